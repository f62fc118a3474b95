// RUN: tessel-opt %s -graph-fuse-activations -verify-each -split-input-file | FileCheck %s
// RUN: tessel-opt %s -graph-fuse-activations="fuse-into-add=false fuse-bias=false" -verify-each -split-input-file | FileCheck %s --check-prefix=NOADD
//
// conv/matmul + bias + activation become one op; a residual add takes the
// activation that follows it.

// CHECK-LABEL: func.func @conv_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>, %[[W:.*]]: tensor<2x2x3x3xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.conv %[[X]], %[[W]] {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NEXT: return %[[Y]]
func.func @conv_relu(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.relu %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// The per-channel add becomes the bias, then ReLU6 (clip) fuses.
// CHECK-LABEL: func.func @conv_bias_relu6
// CHECK: %[[B:.*]] = graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = graph.conv %{{.*}}, %{{.*}}, %[[B]] {activation = #graph.act<clip, 0.000000e+00, 6.000000e+00>
// CHECK-NEXT: return %[[Y]]
// NOADD-LABEL: func.func @conv_bias_relu6
// NOADD: graph.add
// NOADD: graph.clip
func.func @conv_bias_relu6(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %b = graph.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.add %0, %b : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// matmul + Add(bias, y) (as torch writes it) + Gelu: one op.
// CHECK-LABEL: func.func @matmul_bias_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK: %[[B:.*]] = graph.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[Y:.*]] = graph.matmul %[[X]], %[[W]], %[[B]] {activation = #graph.act<gelu>}
// CHECK-NEXT: return %[[Y]]
func.func @matmul_bias_gelu(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %b = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = graph.add %b, %0 : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = graph.gelu %1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}

// -----

// Every activation kind fuses, with its parameters.
// CHECK-LABEL: func.func @activation_kinds
// CHECK: graph.matmul {{.*}}{activation = #graph.act<leaky_relu, 1.000000e-01>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<sigmoid>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<tanh>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<hard_sigmoid, 2.000000e-01, 5.000000e-01>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<hard_swish>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<gelu_tanh>}
// CHECK: graph.matmul {{.*}}{activation = #graph.act<relu>}
// CHECK-NOT: graph.{{leaky_relu|sigmoid|tanh|hard_sigmoid|hard_swish|gelu|clip}}
func.func @activation_kinds(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = graph.leaky_relu %0 {alpha = 0.1 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %3 = graph.sigmoid %2 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %5 = graph.tanh %4 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %7 = graph.hard_sigmoid %6 {alpha = 0.2 : f64, beta = 0.5 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %8 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %9 = graph.hard_swish %8 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %11 = graph.gelu %10 {approximate_tanh = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %12 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %13 = graph.clip %12 {min = 0.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1, %3, %5, %7, %9, %11, %13 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A residual add of two computed tensors takes the activation.
// CHECK-LABEL: func.func @residual_add_relu
// CHECK-SAME: (%[[A:.*]]: tensor<1x8xf32>, %[[B:.*]]: tensor<1x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.add %[[A]], %[[B]] {activation = #graph.act<relu>}
// CHECK-NEXT: return %[[Y]]
// NOADD-LABEL: func.func @residual_add_relu
// NOADD: graph.relu
func.func @residual_add_relu(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %0 = graph.add %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %1 = graph.relu %0 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %1 : tensor<1x8xf32>
}

// -----

// The producer has another use: fusing would change that use's value.
// CHECK-LABEL: func.func @multi_use_producer
// CHECK: %[[C:.*]] = graph.conv
// CHECK-NOT: activation
// CHECK: %[[R:.*]] = graph.relu %[[C]]
// CHECK: return %[[R]], %[[C]]
func.func @multi_use_producer(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.relu %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %1, %0 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// One activation per op: a second one stays.
// CHECK-LABEL: func.func @already_fused
// CHECK: graph.conv {{.*}}activation = #graph.act<relu>
// CHECK-NEXT: graph.sigmoid
func.func @already_fused(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32> {
  %0 = graph.conv %x, %w {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.sigmoid %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// An add with a constant operand is not a residual add (it may still
// become a bias); a clip with only an upper bound has no fused form.
// CHECK-LABEL: func.func @not_fusable
// CHECK: graph.add
// CHECK-NEXT: graph.relu
// CHECK: graph.conv
// CHECK-NEXT: graph.clip
func.func @not_fusable(%a: tensor<1x8xf32>, %x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>) -> (tensor<1x8xf32>, tensor<1x2x4x4xf32>) {
  %c = graph.constant dense<1.0> : tensor<1x8xf32>
  %0 = graph.add %a, %c : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %1 = graph.relu %0 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %2 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %3 = graph.clip %2 {max = 6.0 : f64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %1, %3 : tensor<1x8xf32>, tensor<1x2x4x4xf32>
}
