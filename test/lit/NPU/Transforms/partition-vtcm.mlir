// RUN: tessel-opt %s -tessel-npu-partition='vtcm-limit-percent=1' 2>&1 | FileCheck %s

// Partitioning the same conv under that budget does not fail the compile:
// the conv falls back to the CPU, with a warning that names the layer.
// CHECK: warning: loc("big_conv"): layer 'big_conv' (conv): no tiling fits the VTCM budget: the smallest needs {{[0-9]+}} bytes, but only {{[0-9]+}} of the 73400 bytes allowed (--vtcm-limit-percent=1) are free{{.*}}; it runs on the CPU
// CHECK: npu.fallbacks = [{name = "big_conv", op = "graph.conv", reason = "layer 'big_conv' (conv): no tiling fits the VTCM budget
// CHECK: call @cpu_0
func.func @main(%x: tensor<1x16x16x256xf32>) -> tensor<1x16x16x256xf32> {
  %w = graph.constant dense<0.01> : tensor<256x3x3x256xf32>
  %c = graph.conv %x, %w {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x16x16x256xf32>, tensor<256x3x3x256xf32>) -> tensor<1x16x16x256xf32> loc("big_conv")
  return %c : tensor<1x16x16x256xf32>
}
