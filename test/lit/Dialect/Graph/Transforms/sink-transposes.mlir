// RUN: tessel-opt %s -graph-sink-transposes -verify-each -split-input-file | FileCheck %s
//
// Transposes move towards the outputs through layout-agnostic ops (their
// dim-indexed attributes and other operands permuted) and cancel against
// their inverses.

// CHECK-LABEL: func.func @cancel_through_elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<1x4x4x2xf32>, %[[B:.*]]: tensor<1x4x4x2xf32>)
// CHECK-DAG: %[[C:.*]] = graph.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: %[[S:.*]] = graph.add %[[A]], %[[B]] {activation = #graph.act<relu>} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[M:.*]] = graph.mul %[[S]], %[[C]]
// CHECK: %[[E:.*]] = graph.sigmoid %[[M]]
// CHECK-NOT: graph.transpose
// CHECK: return %[[E]]
func.func @cancel_through_elementwise(%a: tensor<1x4x4x2xf32>, %b: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %c = graph.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %0 = graph.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.transpose %b {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.add %0, %1 {activation = #graph.act<relu>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = graph.mul %2, %c : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = graph.sigmoid %3 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %5 = graph.transpose %4 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  return %5 : tensor<1x4x4x2xf32>
}

// -----

// Reductions remap their axes; without keepdims the surviving dims may need
// a smaller transpose.
// CHECK-LABEL: func.func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-DAG: %[[K:.*]] = graph.reduce_sum %[[X]] {axes = array<i64: 0>} : (tensor<2x3x4xf32>) -> tensor<1x3x4xf32>
// CHECK-DAG: %[[KT:.*]] = graph.transpose %[[K]] {perm = array<i64: 2, 0, 1>} : (tensor<1x3x4xf32>) -> tensor<4x1x3xf32>
// CHECK-DAG: %[[D:.*]] = graph.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
// CHECK-DAG: %[[DT:.*]] = graph.transpose %[[D]] {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
// CHECK: return %[[KT]], %[[DT]]
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<4x1x3xf32>, tensor<4x2xf32>) {
  %0 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %1 = graph.reduce_sum %0 {axes = array<i64: 1>} : (tensor<4x2x3xf32>) -> tensor<4x1x3xf32>
  %2 = graph.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %3 = graph.reduce_max %2 {axes = array<i64: 2>, keepdims = false} : (tensor<4x2x3xf32>) -> tensor<4x2xf32>
  return %1, %3 : tensor<4x1x3xf32>, tensor<4x2xf32>
}

// -----

// Softmax, pad and slice remap their per-dim attributes.
// CHECK-LABEL: func.func @softmax_pad_slice
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[S:.*]] = graph.softmax %[[X]] {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[P:.*]] = graph.pad %[[S]] {pads = array<i64: 1, 0, 0, 2>} : (tensor<2x3xf32>) -> tensor<3x5xf32>
// CHECK: %[[L:.*]] = graph.slice %[[P]] {starts = array<i64: 0, 1>, steps = array<i64: 1, 2>} : (tensor<3x5xf32>) -> tensor<3x2xf32>
// CHECK: %[[T:.*]] = graph.transpose %[[L]] {perm = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[T]]
func.func @softmax_pad_slice(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = graph.softmax %0 {axis = 1 : i64} : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %2 = graph.pad %1 {pads = array<i64: 0, 1, 2, 0>} : (tensor<3x2xf32>) -> tensor<5x3xf32>
  %3 = graph.slice %2 {starts = array<i64: 1, 0>, steps = array<i64: 2, 1>} : (tensor<5x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// -----

// split remaps its axis; each result gets the transpose (a reshape where
// it only moves a size-1 dim).
// CHECK-LABEL: func.func @split
// CHECK: %[[S:.*]]:2 = graph.split %{{.*}} {axis = 1 : i64} : (tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x3xf32>)
// CHECK-DAG: graph.reshape %[[S]]#0 : (tensor<2x1xf32>) -> tensor<1x2xf32>
// CHECK-DAG: graph.transpose %[[S]]#1 {perm = array<i64: 1, 0>}
func.func @split(%x: tensor<2x4xf32>) -> (tensor<1x2xf32>, tensor<3x2xf32>) {
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %1:2 = graph.split %0 {axis = 0 : i64} : (tensor<4x2xf32>) -> (tensor<1x2xf32>, tensor<3x2xf32>)
  return %1#0, %1#1 : tensor<1x2xf32>, tensor<3x2xf32>
}

// -----

// A transpose with another user stays where it is (moving it would add
// one); a matmul is not layout-agnostic.
// CHECK-LABEL: func.func @not_sunk
// CHECK: %[[T:.*]] = graph.transpose
// CHECK-NEXT: %[[R:.*]] = graph.relu %[[T]]
// CHECK-NEXT: %[[T2:.*]] = graph.transpose
// CHECK-NEXT: %[[M:.*]] = graph.matmul %[[T2]]
// CHECK-NEXT: return %[[R]], %[[T]], %[[M]]
func.func @not_sunk(%x: tensor<2x3xf32>, %w: tensor<2x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = graph.relu %0 : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %2 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %3 = graph.matmul %2, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %1, %0, %3 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// A non-constant operand whose permuted shape only moves size-1 dims is
// reshaped; any other non-transposed operand blocks the move.
// CHECK-LABEL: func.func @broadcast_operands
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x2xf32>, %[[V:.*]]: tensor<2x1x1xf32>, %[[U:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[R:.*]] = graph.reshape %[[V]] : (tensor<2x1x1xf32>) -> tensor<1x1x1x2xf32>
// CHECK: %[[A:.*]] = graph.add %[[X]], %[[R]]
// CHECK: %[[T:.*]] = graph.transpose %[[A]]
// CHECK: graph.sub %[[T]], %[[U]]
func.func @broadcast_operands(%x: tensor<1x4x4x2xf32>, %v: tensor<2x1x1xf32>, %u: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.add %0, %v : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.sub %1, %u : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// x + transpose(x) with a self-inverse permutation: x is not available
// transposed (the only transpose of x is the one that would move, and
// reusing it would move it back and forth), so nothing moves.
// CHECK-LABEL: func.func @self_inverse_no_loop
// CHECK-SAME: (%[[X:.*]]: tensor<3x3xf32>)
// CHECK-NEXT: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 1, 0>}
// CHECK-NEXT: %[[A:.*]] = graph.add %[[X]], %[[T]]
// CHECK-NEXT: return %[[A]]
func.func @self_inverse_no_loop(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = graph.add %x, %0 : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}
