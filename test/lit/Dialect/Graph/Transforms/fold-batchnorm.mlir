// RUN: tessel-opt %s -graph-fold-batchnorm -verify-each -split-input-file | FileCheck %s
// RUN: tessel-opt %s -graph-fold-batchnorm="decompose=false fold-affine=false" -verify-each -split-input-file | FileCheck %s --check-prefix=NOAFFINE
//
// Batch norms and per-channel constant affine ops fold into the weights and
// bias of the conv or matmul before them: w' = w * s per output channel,
// b' = (b - mean) * s + beta with s = scale / sqrt(var + eps).

// s = [2 / 2, 0.5 / 1] = [1, 0.5]
// CHECK-LABEL: func.func @conv_bn
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}1.500000e+00]], {{\[\[}}2.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[5.000000e-01, -1.125000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = graph.conv %[[X]], %[[W]], %[[B]]
// CHECK-NOT: graph.batch_norm
// CHECK: return %[[Y]]
// NOAFFINE-LABEL: func.func @conv_bn
// NOAFFINE-NOT: graph.batch_norm
func.func @conv_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %scale = graph.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %bias = graph.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %mean = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %var = graph.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.batch_norm %0, %scale, %bias, %mean, %var {epsilon = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// An existing bias is scaled and shifted: b' = (b - mean) * s + beta.
// CHECK-LABEL: func.func @conv_bias_bn
// CHECK: %[[B:.*]] = graph.constant dense<[2.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: graph.conv %{{.*}}, %{{.*}}, %[[B]]
// CHECK-NOT: graph.batch_norm
func.func @conv_bias_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %b = graph.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %scale = graph.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %bias = graph.constant dense<[0.0, 0.5]> : tensor<2xf32>
  %mean = graph.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %var = graph.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %0 = graph.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.batch_norm %0, %scale, %bias, %mean, %var {epsilon = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Channels-last convs (OHWI weights) scale along dim 0 as well.
// CHECK-LABEL: func.func @conv_nhwc_bn
// CHECK-DAG: graph.constant dense<{{\[\[\[\[}}2.000000e+00, 2.000000e+00]]], {{\[\[\[}}3.000000e+00, 3.000000e+00]]]]> : tensor<2x1x1x2xf32>
// CHECK: graph.conv {{.*}}layout = #graph.layout<nhwc>
// CHECK-NOT: graph.batch_norm
func.func @conv_nhwc_bn(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = graph.constant dense<1.0> : tensor<2x1x1x2xf32>
  %scale = graph.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %zero = graph.constant dense<0.0> : tensor<2xf32>
  %one = graph.constant dense<1.0> : tensor<2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %1 = graph.batch_norm %0, %scale, %zero, %zero, %one {epsilon = 0.0 : f64, layout = #graph.layout<nhwc>} : (tensor<1x4x4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// -----

// BatchNorm1d after a Gemm: the columns of the weight scale.
// CHECK-LABEL: func.func @matmul_bn
// CHECK-DAG: %[[W:.*]] = graph.constant dense<{{\[\[}}2.000000e+00, 3.000000e+00], [2.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK: graph.matmul %{{.*}}, %[[W]], %[[B]]
// CHECK-NOT: graph.batch_norm
func.func @matmul_bn(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2xf32>
  %scale = graph.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %bias = graph.constant dense<1.0> : tensor<2xf32>
  %zero = graph.constant dense<0.0> : tensor<2xf32>
  %one = graph.constant dense<1.0> : tensor<2xf32>
  %0 = graph.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = graph.batch_norm %0, %scale, %bias, %zero, %one {epsilon = 0.0 : f64} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// Per-channel mul and add after a conv fold into its weights and bias.
// CHECK-LABEL: func.func @conv_mul_add
// CHECK-DAG: graph.constant dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}-1.000000e+00]], {{\[\[}}-1.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: graph.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: graph.conv
// CHECK-NOT: graph.mul
// CHECK-NOT: graph.add
func.func @conv_mul_add(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = graph.constant dense<[[[2.0]], [[-1.0]]]> : tensor<2x1x1xf32>
  %t = graph.constant dense<[[[[0.5]], [[0.25]]]]> : tensor<1x2x1x1xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.add %1, %t : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// A batch norm after a conv with another use cannot fold into it; it becomes
// a per-channel mul and add.
// CHECK-LABEL: func.func @multi_use_conv
// CHECK: %[[C:.*]] = graph.conv
// CHECK: %[[M:.*]] = graph.mul %[[C]], %{{.*}} : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>)
// CHECK: %[[A:.*]] = graph.add %[[M]], %{{.*}} : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>)
// CHECK: return %[[A]], %[[C]]
// NOAFFINE-LABEL: func.func @multi_use_conv
// NOAFFINE: graph.batch_norm
func.func @multi_use_conv(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %scale = graph.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %zero = graph.constant dense<0.0> : tensor<2xf32>
  %one = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.batch_norm %0, %scale, %one, %one, %one {epsilon = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1, %0 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Non-constant weights: nothing folds into the conv (the batch norm is
// decomposed).
// CHECK-LABEL: func.func @non_constant_weights
// CHECK: graph.conv
// CHECK-NEXT: graph.mul
// CHECK-NEXT: graph.add
func.func @non_constant_weights(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %scale = graph.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %one = graph.constant dense<1.0> : tensor<2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.batch_norm %0, %scale, %one, %one, %one {epsilon = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// A constant that varies along a spatial dim is not per channel.
// CHECK-LABEL: func.func @not_per_channel
// CHECK: graph.conv
// CHECK-NEXT: graph.mul
func.func @not_per_channel(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = graph.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// A fused activation sits between the conv and the mul: no fold.
// CHECK-LABEL: func.func @conv_with_activation
// CHECK: graph.conv {{.*}}activation = #graph.act<relu>
// CHECK-NEXT: graph.mul
func.func @conv_with_activation(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = graph.constant dense<-2.0> : tensor<f32>
  %0 = graph.conv %x, %w {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Dividing by a constant with a zero is not folded (w / 0 is not what
// conv(x, w) / 0 gives).
// CHECK-LABEL: func.func @div_by_zero_not_folded
// CHECK: graph.conv
// CHECK-NEXT: graph.div
func.func @div_by_zero_not_folded(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = graph.constant dense<[[[2.0]], [[0.0]]]> : tensor<2x1x1xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.div %0, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}
