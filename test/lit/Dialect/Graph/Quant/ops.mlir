// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// The quantized graph form (docs/quantization.md) parses, verifies and
// prints back.

!qx = !quant.uniform<i8:f32, 0.5:-3>
!qy = !quant.uniform<i8:f32, 0.25:10>
!qw = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>

// CHECK-LABEL: func.func @boundaries
func.func @boundaries(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: graph.quantize %{{.*}} : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>
  %q = graph.quantize %x : (tensor<1x4xf32>) -> tensor<1x4x!qx>
  // CHECK: graph.requantize %{{.*}} : (tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x4x!quant.uniform<i16:f32, 1.000000e-03>>
  %r = graph.requantize %q : (tensor<1x4x!qx>) -> tensor<1x4x!quant.uniform<i16:f32, 0.001>>
  // CHECK: graph.storage_cast %{{.*}} : (tensor<1x4x!quant.uniform<i16:f32, 1.000000e-03>>) -> tensor<1x4xi16>
  %s = graph.storage_cast %r : (tensor<1x4x!quant.uniform<i16:f32, 0.001>>) -> tensor<1x4xi16>
  // CHECK: graph.dequantize %{{.*}} : (tensor<1x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x4xf32>
  %y = graph.dequantize %q : (tensor<1x4x!qx>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @per_axis_and_blocked
func.func @per_axis_and_blocked(%x: tensor<2x4xf32>) -> (tensor<2x4x!quant.uniform<i8:f32:1, {1.0, 2.0, 3.0, 4.0}>>, tensor<2x4x!quant.uniform<u8:f32:{0:1, 1:2}, {{1.0:1, 2.0:2}, {3.0:3, 4.0:4}}>>) {
  // CHECK: graph.quantize %{{.*}} : (tensor<2x4xf32>) -> tensor<2x4x!quant.uniform<i8:f32:1, {1.000000e+00,2.000000e+00,3.000000e+00,4.000000e+00}>>
  %0 = graph.quantize %x : (tensor<2x4xf32>) -> tensor<2x4x!quant.uniform<i8:f32:1, {1.0, 2.0, 3.0, 4.0}>>
  // CHECK: graph.quantize %{{.*}} : (tensor<2x4xf32>) -> tensor<2x4x!quant.uniform<u8:f32:{0:1, 1:2}
  %1 = graph.quantize %x : (tensor<2x4xf32>) -> tensor<2x4x!quant.uniform<u8:f32:{0:1, 1:2}, {{1.0:1, 2.0:2}, {3.0:3, 4.0:4}}>>
  return %0, %1 : tensor<2x4x!quant.uniform<i8:f32:1, {1.0, 2.0, 3.0, 4.0}>>, tensor<2x4x!quant.uniform<u8:f32:{0:1, 1:2}, {{1.0:1, 2.0:2}, {3.0:3, 4.0:4}}>>
}

// CHECK-LABEL: func.func @conv_and_matmul
func.func @conv_and_matmul(%x: tensor<1x3x3x4x!qx>, %m: tensor<2x4x!qx>) -> (tensor<1x3x3x2x!qy>, tensor<2x2x!qy>, tensor<1x3x3x2xi32>) {
  %w = graph.constant dense<[[[[1, 2, 3, 4]]], [[[5, 6, 7, 8]]]]> : tensor<2x1x1x4xi8> -> tensor<2x1x1x4x!qw>
  %b = graph.constant dense<[100, -100]> : tensor<2xi32>
  // CHECK: graph.conv %{{.*}}, %{{.*}}, %{{.*}} {activation = #graph.act<relu>, {{.*}}layout = #graph.layout<nhwc>{{.*}}} : (tensor<1x3x3x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>, tensor<2x1x1x4x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>>, tensor<2xi32>) -> tensor<1x3x3x2x!quant.uniform<i8:f32, 2.500000e-01:10>>
  %0 = graph.conv %x, %w, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x3x4x!qx>, tensor<2x1x1x4x!qw>, tensor<2xi32>) -> tensor<1x3x3x2x!qy>
  %wm = graph.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> -> tensor<4x2x!quant.uniform<i8<-127:127>:f32:1, {0.1, 0.2}>>
  // CHECK: graph.matmul %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>, tensor<4x2x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-01,2.000000e-01}>>, tensor<2xi32>) -> tensor<2x2x!quant.uniform<i8:f32, 2.500000e-01:10>>
  %1 = graph.matmul %m, %wm, %b : (tensor<2x4x!qx>, tensor<4x2x!quant.uniform<i8<-127:127>:f32:1, {0.1, 0.2}>>, tensor<2xi32>) -> tensor<2x2x!qy>
  // Accumulator result (ConvInteger): no bias, no activation.
  // CHECK: graph.conv %{{.*}}, %{{.*}} {{.*}} -> tensor<1x3x3x2xi32>
  %2 = graph.conv %x, %w {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x3x4x!qx>, tensor<2x1x1x4x!qw>) -> tensor<1x3x3x2xi32>
  return %0, %1, %2 : tensor<1x3x3x2x!qy>, tensor<2x2x!qy>, tensor<1x3x3x2xi32>
}

// CHECK-LABEL: func.func @elementwise_and_tables
func.func @elementwise_and_tables(%a: tensor<4x!qx>, %b: tensor<4x!qy>) -> (tensor<4x!qy>, tensor<4x!qy>) {
  // CHECK: graph.add %{{.*}}, %{{.*}} {activation = #graph.act<relu>} : (tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>>, tensor<4x!quant.uniform<i8:f32, 2.500000e-01:10>>) -> tensor<4x!quant.uniform<i8:f32, 2.500000e-01:10>>
  %0 = graph.add %a, %b {activation = #graph.act<relu>} : (tensor<4x!qx>, tensor<4x!qy>) -> tensor<4x!qy>
  // CHECK: graph.lut %{{.*}} {function = "sigmoid", table = array<i32: 0, 1, 2, {{.*}}, 127, 127>} : (tensor<4x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<4x!quant.uniform<i8:f32, 2.500000e-01:10>>
  %1 = graph.lut %a {function = "sigmoid", table = array<i32: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127>} : (tensor<4x!qx>) -> tensor<4x!qy>
  return %0, %1 : tensor<4x!qy>, tensor<4x!qy>
}
