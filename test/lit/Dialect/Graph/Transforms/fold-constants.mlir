// RUN: tessel-opt %s -graph-fold-constants -verify-each -split-input-file | FileCheck %s
// RUN: tessel-opt %s -graph-fold-constants=max-elements=8 -verify-each -split-input-file | FileCheck %s --check-prefix=SMALL
//
// Ops whose operands are all constants are evaluated by their reference
// kernels within the `max-elements` budget; dead ops disappear.

// CHECK-LABEL: func.func @fold_chain
// CHECK-NEXT: %[[C:.*]] = graph.constant dense<[3.000000e+00, 5.000000e+00, 7.000000e+00]> : tensor<3xf32>
// CHECK-NEXT: return %[[C]]
// SMALL-LABEL: func.func @fold_chain
// SMALL: graph.add
// SMALL: graph.relu
func.func @fold_chain() -> tensor<3xf32> {
  %a = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = graph.constant dense<[2.0, 3.0, 4.0]> : tensor<3xf32>
  %0 = graph.add %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = graph.relu %0 : (tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// -----

// The shape subgraphs exporters write (Shape -> Gather -> Concat -> Reshape)
// fold to constants; ops with several results fold too.
// CHECK-LABEL: func.func @shape_subgraph
// CHECK-SAME: (%[[X:.*]]: tensor<2x6xf32>)
// CHECK-DAG: %[[S:.*]] = graph.constant dense<[2, 3]> : tensor<2xi64>
// CHECK-DAG: %[[T:.*]] = graph.constant dense<4> : tensor<1xi64>
// CHECK: return %[[X]], %[[S]], %[[T]]
func.func @shape_subgraph(%x: tensor<2x6xf32>) -> (tensor<2x6xf32>, tensor<2xi64>, tensor<1xi64>) {
  %shape = graph.constant dense<[2, 6]> : tensor<2xi64>
  %i = graph.constant dense<0> : tensor<1xi64>
  %three = graph.constant dense<3> : tensor<1xi64>
  %0 = graph.gather %shape, %i {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %1 = graph.concat %0, %three {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %2:2 = graph.split %shape {axis = 0 : i64} : (tensor<2xi64>) -> (tensor<1xi64>, tensor<1xi64>)
  %3 = graph.sub %2#1, %0 : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %unused = graph.mul %x, %x : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  return %x, %1, %3 : tensor<2x6xf32>, tensor<2xi64>, tensor<1xi64>
}

// -----

// What the reference reports as an error (integer division by zero) stays.
// CHECK-LABEL: func.func @not_evaluable
// CHECK: graph.div
func.func @not_evaluable() -> tensor<2xi32> {
  %a = graph.constant dense<[4, 6]> : tensor<2xi32>
  %b = graph.constant dense<[2, 0]> : tensor<2xi32>
  %0 = graph.div %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
