// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu -split-input-file | FileCheck %s

// Matmul with a constant [K][N] right operand: trans_b, bias per column.
// CHECK-LABEL: func.func private @npu_0
// CHECK: npu.matmul %{{.*}}, %{{.*}}, %{{.*}} {bias, trans_b} : (tensor<2x8xf16>, tensor<8x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
func.func @main(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = graph.constant dense<0.5> : tensor<8x4xf32>
  %b = graph.constant dense<0.25> : tensor<4xf32>
  %m = graph.matmul %x, %w, %b : (tensor<2x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %m : tensor<2x4xf32>
}

// -----

// Pooling (ceil mode as extra end padding), a global mean as a reduction,
// division by a constant as a multiplication by its reciprocal, a 3-D
// transpose through 4-D reshapes.
// CHECK-LABEL: func.func private @npu_0
// CHECK: npu.pool %{{.*}} {kernel = array<i64: 3, 3>, kind = "max", pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x8x4xf16>) -> tensor<1x4x4x4xf16>
// CHECK: npu.reduce %{{.*}} {kind = "mean", view = array<i64: 1, 16, 4>} : (tensor<1x4x4x4xf16>) -> tensor<1x1x1x4xf16>
// CHECK: %[[R:.*]] = npu.constant dense<2.500000e-01> : tensor<1xf16>
// CHECK: npu.eltwise %{{.*}}, %[[R]] {op = "mul"}
func.func @main(%x: tensor<1x8x8x4xf32>) -> tensor<1x1x1x4xf32> {
  %p = graph.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  %m = graph.reduce_mean %p {axes = array<i64: 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x1x1x4xf32>
  %four = graph.constant dense<4.0> : tensor<1xf32>
  %d = graph.div %m, %four : (tensor<1x1x1x4xf32>, tensor<1xf32>) -> tensor<1x1x1x4xf32>
  return %d : tensor<1x1x1x4xf32>
}

// -----

// CHECK-LABEL: func.func private @npu_0
// CHECK: npu.reshape %{{.*}} : (tensor<2x3x4xf16>) -> tensor<1x2x3x4xf16>
// CHECK: npu.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf16>) -> tensor<1x4x2x3xf16>
// CHECK: npu.reshape %{{.*}} : (tensor<1x4x2x3xf16>) -> tensor<4x2x3xf16>
// CHECK: npu.slice %{{.*}} {starts = array<i64: 1, 0, 0>} : (tensor<4x2x3xf16>) -> tensor<2x2x3xf16>
// CHECK: npu.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2x2x3xf16>, tensor<2x2x3xf16>) -> tensor<4x2x3xf16>
// CHECK: npu.pad %{{.*}} {after = array<i64: 0, 0, 1>, before = array<i64: 0, 1, 0>} : (tensor<4x2x3xf16>) -> tensor<4x3x4xf16>
func.func @main(%x: tensor<2x3x4xf32>) -> tensor<4x3x4xf32> {
  %t = graph.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %s = graph.slice %t {starts = array<i64: 1, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<4x2x3xf32>) -> tensor<2x2x3xf32>
  %c = graph.concat %s, %s {axis = 0 : i64} : (tensor<2x2x3xf32>, tensor<2x2x3xf32>) -> tensor<4x2x3xf32>
  %p = graph.pad %c {pads = array<i64: 0, 1, 0, 0, 0, 1>} : (tensor<4x2x3xf32>) -> tensor<4x3x4xf32>
  return %p : tensor<4x3x4xf32>
}

// -----

// Quantized reductions keep their parameters and run on the stored integers.
// CHECK-LABEL: func.func private @npu_0
// CHECK: npu.reduce %{{.*}} {kind = "mean", view = array<i64: 1, 16, 8>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 5.000000e-01:-3>>) -> tensor<1x1x1x8x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK: npu.reduce %{{.*}} {kind = "max", view = array<i64: 4, 4, 8>}
!q = !quant.uniform<i8:f32, 0.5:-3>
func.func @main(%x: tensor<1x4x4x8x!q>) -> (tensor<1x1x1x8x!q>, tensor<1x4x1x8x!q>) {
  %m = graph.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<1x4x4x8x!q>) -> tensor<1x1x1x8x!q>
  %mx = graph.reduce_max %x {axes = array<i64: 2>} : (tensor<1x4x4x8x!q>) -> tensor<1x4x1x8x!q>
  return %m, %mx : tensor<1x1x1x8x!q>, tensor<1x4x1x8x!q>
}
