// RUN: tessel-opt %s -graph-convert-layout=layout=nhwc -verify-each -split-input-file | FileCheck %s
// RUN: tessel-opt %s -graph-convert-layout=layout=nhwc -graph-convert-layout=layout=nchw -verify-each -split-input-file | FileCheck %s --check-prefix=BACK
//
// Layout-sensitive ops move to the target layout between transposes; the
// transposes sink through layout-agnostic ops and cancel, leaving only those
// at the graph's boundary.

// The weights are transposed OIHW -> OHWI (and fold); the channels-first
// result is transposed back at the output (with one channel, a reshape).
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[C:.*]] = graph.conv %[[T]], %[[W]] {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x1xf32>
// CHECK: %[[Y:.*]] = graph.reshape %[[C]] : (tensor<1x4x4x1xf32>) -> tensor<1x1x4x4xf32>
// CHECK-NEXT: return %[[Y]]
// BACK-LABEL: func.func @conv
// BACK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// BACK-NEXT: %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]], {{\[\[}}3.000000e+00, 4.000000e+00]]]]> : tensor<1x2x1x2xf32>
// BACK-NEXT: %[[C:.*]] = graph.conv %[[X]], %[[W]] {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>}
// BACK-NEXT: return %[[C]]
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = graph.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// A ResNet-style block and head: conv, pool, residual add, global average
// pool, flatten, matmul. Only the input transpose remains.
// CHECK-LABEL: func.func @resnet_block
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK-NOT: graph.transpose
// CHECK: %[[C1:.*]] = graph.conv %[[T]], {{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[P:.*]] = graph.max_pool %[[C1]] {{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[C2:.*]] = graph.conv %[[P]], {{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[A:.*]] = graph.add %[[C2]], %[[P]] {activation = #graph.act<relu>} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[M:.*]] = graph.reduce_mean %[[A]] {axes = array<i64: 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[R:.*]] = graph.reshape %[[M]] : (tensor<1x1x1x4xf32>) -> tensor<1x4xf32>
// CHECK: graph.matmul %[[R]]
func.func @resnet_block(%x: tensor<1x3x8x8xf32>) -> tensor<1x10xf32> {
  %w1 = graph.constant dense<1.0> : tensor<4x3x3x3xf32>
  %w2 = graph.constant dense<0.5> : tensor<4x4x1x1xf32>
  %fc = graph.constant dense<1.0> : tensor<4x10xf32>
  %0 = graph.conv %x, %w1 {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = graph.max_pool %0 {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %2 = graph.conv %1, %w2 {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %3 = graph.add %2, %1 {activation = #graph.act<relu>} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %4 = graph.reduce_mean %3 {axes = array<i64: 2, 3>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32>
  %5 = graph.reshape %4 : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
  %6 = graph.matmul %5, %fc : (tensor<1x4xf32>, tensor<4x10xf32>) -> tensor<1x10xf32>
  return %6 : tensor<1x10xf32>
}

// -----

// Concat along channels (an Inception/DenseNet join), a per-channel bias add
// with a constant, average pooling and batch norm: the concat axis, the
// constant and the pooling move to channels-last.
// CHECK-LABEL: func.func @concat_pool_bn
// CHECK-DAG: %[[BIAS:.*]] = graph.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]]]> : tensor<1x1x1x4xf32>
// CHECK: %[[CAT:.*]] = graph.concat %{{.*}}, %{{.*}} {axis = 3 : i64} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[ADD:.*]] = graph.add %[[CAT]], %[[BIAS]]
// CHECK: %[[AP:.*]] = graph.avg_pool %[[ADD]] {{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[BN:.*]] = graph.batch_norm %[[AP]], {{.*}}layout = #graph.layout<nhwc>
// CHECK: graph.transpose %[[BN]] {perm = array<i64: 0, 3, 1, 2>}
func.func @concat_pool_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x2x2xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %bias = graph.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %p = graph.constant dense<1.0> : tensor<4xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.conv %x, %w {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.concat %0, %1 {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %3 = graph.add %2, %bias : (tensor<1x4x4x4xf32>, tensor<4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %4 = graph.avg_pool %3 {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  %5 = graph.batch_norm %4, %p, %p, %p, %p {epsilon = 1.0e-5 : f64} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return %5 : tensor<1x4x2x2xf32>
}

// -----

// conv_transpose weights [C, O/group, K...] become [C, K..., O/group].
// CHECK-LABEL: func.func @conv_transpose
// CHECK: graph.conv_transpose %{{.*}}, %{{.*}} {{.*}}layout = #graph.layout<nhwc>{{.*}} : (tensor<1x2x2x2xf32>, tensor<2x1x1x3xf32>) -> tensor<1x2x2x3xf32>
func.func @conv_transpose(%x: tensor<1x2x2x2xf32>) -> tensor<1x3x2x2xf32> {
  %w = graph.constant dense<1.0> : tensor<2x3x1x1xf32>
  %0 = graph.conv_transpose %x, %w {dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x3x1x1xf32>) -> tensor<1x3x2x2xf32>
  return %0 : tensor<1x3x2x2xf32>
}

// -----

// depth_to_space has no channels-last form: the transposes around it stay.
// CHECK-LABEL: func.func @depth_to_space_keeps_transposes
// CHECK: graph.conv
// CHECK-NEXT: %[[T:.*]] = graph.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: graph.depth_to_space %[[T]]
func.func @depth_to_space_keeps_transposes(%x: tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<4x4x1x1xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x2x2xf32>
  %1 = graph.depth_to_space %0 {block_size = 2 : i64} : (tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %1 : tensor<1x1x4x4xf32>
}
