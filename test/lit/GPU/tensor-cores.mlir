// f16 and bf16 convolutions and matmuls (f32 accumulation, as the linalg
// lowering writes them) run on tensor cores: mma.sync m16n8k16 in the PTX.
// f32 stays on SIMT threads (its tiles in shared memory, no mma).
// RUN: tessel-opt %s -split-input-file --pass-pipeline='builtin.module(tessel-lower-to-gpu)' | FileCheck %s

// CHECK-LABEL: gpu.binary @tessel_kernels
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @main(%x: tensor<1x16x16x32xf16>, %w: tensor<64x3x3x32xf16>) -> tensor<1x16x16x64xf16> {
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, layout = #graph.layout<nhwc>} : (tensor<1x16x16x32xf16>, tensor<64x3x3x32xf16>) -> tensor<1x16x16x64xf16>
  return %0 : tensor<1x16x16x64xf16>
}

// -----

// CHECK-LABEL: gpu.binary @tessel_kernels
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
func.func @main(%a: tensor<2x64x96xbf16>, %b: tensor<2x96x32xbf16>) -> tensor<2x64x32xbf16> {
  %0 = graph.matmul %a, %b : (tensor<2x64x96xbf16>, tensor<2x96x32xbf16>) -> tensor<2x64x32xbf16>
  return %0 : tensor<2x64x32xbf16>
}

// -----

// CHECK-LABEL: gpu.binary @tessel_kernels
// CHECK-NOT: mma.sync
// CHECK-SAME: .shared .align
// CHECK-NOT: mma.sync
func.func @main(%x: tensor<1x16x16x32xf32>, %w: tensor<64x3x3x32xf32>) -> tensor<1x16x16x64xf32> {
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, layout = #graph.layout<nhwc>} : (tensor<1x16x16x32xf32>, tensor<64x3x3x32xf32>) -> tensor<1x16x16x64xf32>
  return %0 : tensor<1x16x16x64xf32>
}
