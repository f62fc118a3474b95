// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// Every graph op parses, verifies and prints back to the same form.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xi1>) -> tensor<2x3xf32> {
  // CHECK: graph.relu %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = graph.relu %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = graph.add %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f64}
  %2 = graph.leaky_relu %1 {alpha = 0.1 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  %3 = graph.clip %2 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.gelu %{{.*}} {approximate_tanh = true}
  %4 = graph.gelu %3 {approximate_tanh = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.less %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %5 = graph.less %4, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: graph.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %6 = graph.where %5, %4, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.mod %{{.*}}, %{{.*}} {fmod = true}
  %7 = graph.mod %6, %b {fmod = true} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: graph.cast %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  %8 = graph.cast %7 : (tensor<2x3xf32>) -> tensor<2x3xi8>
  // CHECK: graph.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  %e = graph.constant dense<2> : tensor<i32>
  %9 = graph.pow %7, %e : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  // CHECK: graph.add %{{.*}}, %{{.*}} {activation = #graph.act<relu>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = graph.add %9, %a {activation = #graph.act<relu>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %10 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @matmul_softmax_reduce
func.func @matmul_softmax_reduce(%x: tensor<4x8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> (tensor<4x1xf32>, tensor<4x32xi64>) {
  // CHECK: graph.matmul %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph.act<relu>} : (tensor<4x8x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<4x8x32xf32>
  %0 = graph.matmul %x, %w, %b {activation = #graph.act<relu>} : (tensor<4x8x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<4x8x32xf32>
  // CHECK: graph.softmax %{{.*}} {axis = 2 : i64}
  %1 = graph.softmax %0 {axis = 2 : i64} : (tensor<4x8x32xf32>) -> tensor<4x8x32xf32>
  // CHECK: graph.reduce_mean %{{.*}} {axes = array<i64: 1, 2>, keepdims = false} : (tensor<4x8x32xf32>) -> tensor<4xf32>
  %2 = graph.reduce_mean %1 {axes = array<i64: 1, 2>, keepdims = false} : (tensor<4x8x32xf32>) -> tensor<4xf32>
  // CHECK: graph.reshape %{{.*}} : (tensor<4xf32>) -> tensor<4x1xf32>
  %3 = graph.reshape %2 : (tensor<4xf32>) -> tensor<4x1xf32>
  // CHECK: graph.arg_max %{{.*}} {axis = 1 : i64, keepdims = false}
  %4 = graph.arg_max %1 {axis = 1 : i64, keepdims = false} : (tensor<4x8x32xf32>) -> tensor<4x32xi64>
  return %3, %4 : tensor<4x1xf32>, tensor<4x32xi64>
}

// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>, %dw: tensor<4x1x3x3xf32>) -> tensor<1x4x2x2xf32> {
  // CHECK: graph.conv %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph.act<clip, 0.000000e+00, 6.000000e+00>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
  %0 = graph.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, activation = #graph.act<clip, 0.0, 6.0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: graph.conv %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>, group = 4 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 2, 2>}
  %1 = graph.conv %0, %dw {strides = array<i64: 2, 2>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: graph.batch_norm {{.*}} {epsilon = 1.000000e-05 : f64}
  %2 = graph.batch_norm %1, %b, %b, %b, %b {epsilon = 1.0e-5 : f64} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: graph.max_pool %{{.*}} {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
  %3 = graph.max_pool %2 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  // The default layout (nchw) is not printed.
  // CHECK: graph.avg_pool %{{.*}} {count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} :
  %4 = graph.avg_pool %3 {kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, count_include_pad = true, layout = #graph.layout<nchw>} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %4 : tensor<1x4x2x2xf32>
}

// CHECK-LABEL: func.func @nhwc_conv
func.func @nhwc_conv(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x6x6x4xf32> {
  // CHECK: graph.conv {{.*}}layout = #graph.layout<nhwc>{{.*}} -> tensor<1x6x6x4xf32>
  %0 = graph.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, layout = #graph.layout<nhwc>} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x6x4xf32>
  return %0 : tensor<1x6x6x4xf32>
}

// CHECK-LABEL: func.func @conv_transpose_1d
func.func @conv_transpose_1d(%x: tensor<1x2x5xf32>, %w: tensor<2x3x3xf32>) -> tensor<1x3x12xf32> {
  // CHECK: graph.conv_transpose {{.*}}output_padding = array<i64: 1>{{.*}} -> tensor<1x3x12xf32>
  %0 = graph.conv_transpose %x, %w {strides = array<i64: 2>, dilations = array<i64: 1>, pads = array<i64: 0, 0>, output_padding = array<i64: 1>} : (tensor<1x2x5xf32>, tensor<2x3x3xf32>) -> tensor<1x3x12xf32>
  return %0 : tensor<1x3x12xf32>
}

// CHECK-LABEL: func.func @norms_and_resize
func.func @norms_and_resize(%x: tensor<2x4x8xf32>, %s: tensor<8xf32>, %img: tensor<1x1x2x2xf32>) -> (tensor<2x4x8xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  // CHECK: graph.layer_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 1.000000e-05 : f64}
  %0 = graph.layer_norm %x, %s {axis = 2 : i64, epsilon = 1.0e-5 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: graph.resize %{{.*}} {coordinate_transformation_mode = #graph.coord_mode<asymmetric>, mode = #graph.resize_mode<nearest>, nearest_mode = #graph.nearest_mode<floor>, scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>}
  %1 = graph.resize %img {mode = #graph.resize_mode<nearest>, coordinate_transformation_mode = #graph.coord_mode<asymmetric>, nearest_mode = #graph.nearest_mode<floor>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  // CHECK: graph.pad %{{.*}} {mode = #graph.pad_mode<reflect>, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>}
  %2 = graph.pad %img {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = #graph.pad_mode<reflect>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0, %1, %2 : tensor<2x4x8xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x6xf32>, %i: tensor<3xi64>) -> (tensor<6x2xf32>, tensor<2x3xf32>, tensor<2x2xf32>, tensor<2x4xf32>, tensor<3x6xf32>, tensor<4x6xf32>, tensor<3x2x6xf32>, tensor<2x12xf32>) {
  // CHECK: graph.transpose %{{.*}} {perm = array<i64: 1, 0>}
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x6xf32>) -> tensor<6x2xf32>
  // CHECK: graph.split %{{.*}} {axis = 1 : i64} : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x2xf32>)
  %1:3 = graph.split %x {axis = 1 : i64} : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x2xf32>)
  // CHECK: graph.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  %2 = graph.concat %1#1, %1#0 {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  // CHECK: graph.slice %{{.*}} {starts = array<i64: 0, 5>, steps = array<i64: 1, -2>} : (tensor<2x6xf32>) -> tensor<2x3xf32>
  %3 = graph.slice %x {starts = array<i64: 0, 5>, steps = array<i64: 1, -2>} : (tensor<2x6xf32>) -> tensor<2x3xf32>
  // CHECK: graph.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<6x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  %4 = graph.gather %0, %i {axis = 0 : i64} : (tensor<6x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  // CHECK: graph.broadcast_to %{{.*}} : (tensor<2x6xf32>) -> tensor<3x2x6xf32>
  %5 = graph.broadcast_to %x : (tensor<2x6xf32>) -> tensor<3x2x6xf32>
  // CHECK: graph.tile %{{.*}} {repeats = array<i64: 2, 1>} : (tensor<2x6xf32>) -> tensor<4x6xf32>
  %6 = graph.tile %x {repeats = array<i64: 2, 1>} : (tensor<2x6xf32>) -> tensor<4x6xf32>
  %7 = graph.reshape %4 : (tensor<3x2xf32>) -> tensor<6xf32>
  %8 = graph.broadcast_to %7 : (tensor<6xf32>) -> tensor<3x6xf32>
  // CHECK: graph.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x12xf32>
  %9 = graph.concat %x, %x {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x12xf32>
  return %0, %3, %1#2, %2, %8, %6, %5, %9 : tensor<6x2xf32>, tensor<2x3xf32>, tensor<2x2xf32>, tensor<2x4xf32>, tensor<3x6xf32>, tensor<4x6xf32>, tensor<3x2x6xf32>, tensor<2x12xf32>
}

// CHECK-LABEL: func.func @quantized_types
func.func @quantized_types(%x: tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4x1x!quant.uniform<i8:f32, 0.5:-3>> {
  // CHECK: graph.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<4x1x!quant.uniform<i8:f32, 5.000000e-01:-3>>
  %0 = graph.transpose %x {perm = array<i64: 1, 0>} : (tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<4x1x!quant.uniform<i8:f32, 0.5:-3>>
  return %0 : tensor<4x1x!quant.uniform<i8:f32, 0.5:-3>>
}

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<4xi8>) {
  // CHECK: graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: graph.constant dense<[1, 2, 3, 4]> : tensor<4xi8>
  %1 = graph.constant dense<[1, 2, 3, 4]> : tensor<4xi8>
  return %0, %1 : tensor<2xf32>, tensor<4xi8>
}
