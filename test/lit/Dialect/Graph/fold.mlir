// RUN: tessel-opt %s -canonicalize -split-input-file | FileCheck %s
// Folders: constant operands evaluate through the reference kernels;
// algebraic identities and no-op casts fold away.

// CHECK-LABEL: func.func @fold_arithmetic
func.func @fold_arithmetic() -> tensor<3xf32> {
  %a = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.mul %a, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = graph.relu %0 : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK-NEXT: %[[C:.*]] = graph.constant dense<[5.000000e-01, 1.000000e+00, 1.500000e+00]> : tensor<3xf32>
  // CHECK-NEXT: return %[[C]]
  return %1 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_shape_subgraph
func.func @fold_shape_subgraph() -> tensor<2xi64> {
  %shape = graph.constant dense<[1, 64, 7, 7]> : tensor<4xi64>
  %idx = graph.constant dense<0> : tensor<i64>
  %0 = graph.gather %shape, %idx {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %1 = graph.reshape %0 : (tensor<i64>) -> tensor<1xi64>
  %m1 = graph.constant dense<-1> : tensor<1xi64>
  %2 = graph.concat %1, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // CHECK-NEXT: %[[C:.*]] = graph.constant dense<[1, -1]> : tensor<2xi64>
  // CHECK-NEXT: return %[[C]]
  return %2 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = graph.constant dense<0.0> : tensor<3xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %0 = graph.add %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = graph.mul %one, %0 : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = graph.div %1, %one : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = graph.sub %2, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = graph.cast %3 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[X]]
  return %4 : tensor<2x3xf32>
}

// -----

// Adding zero that broadcasts to a larger shape is not an identity: it is a
// broadcast.
// CHECK-LABEL: func.func @broadcasting_add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
func.func @broadcasting_add_zero(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %zero = graph.constant dense<0.0> : tensor<2x3xf32>
  // CHECK-NEXT: %[[B:.*]] = graph.broadcast_to %[[X]] : (tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[B]]
  %0 = graph.add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_split
func.func @fold_split() -> (tensor<1xi64>, tensor<2xi64>) {
  %c = graph.constant dense<[7, 8, 9]> : tensor<3xi64>
  %0:2 = graph.split %c {axis = 0 : i64} : (tensor<3xi64>) -> (tensor<1xi64>, tensor<2xi64>)
  // CHECK-DAG: %[[A:.*]] = graph.constant dense<7> : tensor<1xi64>
  // CHECK-DAG: %[[B:.*]] = graph.constant dense<[8, 9]> : tensor<2xi64>
  // CHECK: return %[[A]], %[[B]]
  return %0#0, %0#1 : tensor<1xi64>, tensor<2xi64>
}

// -----

// Integer division by zero does not fold (the reference reports an error).
// CHECK-LABEL: func.func @no_fold_div_by_zero
func.func @no_fold_div_by_zero() -> tensor<2xi32> {
  %a = graph.constant dense<[4, 6]> : tensor<2xi32>
  %b = graph.constant dense<[2, 0]> : tensor<2xi32>
  // CHECK: graph.div
  %0 = graph.div %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// Large folded results become resource blobs.
// CHECK-LABEL: func.func @large_fold_to_resource
func.func @large_fold_to_resource() -> tensor<4x8xf32> {
  %a = graph.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<4x8xf32>
  %0 = graph.neg %a : (tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK-NEXT: %[[C:.*]] = graph.constant dense_resource<neg> : tensor<4x8xf32>
  // CHECK-NEXT: return %[[C]]
  return %0 : tensor<4x8xf32>
}
// CHECK: dialect_resources
// CHECK: neg: "0x10000000000080BF000000C0
