// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu | FileCheck %s

// Float graphs compute in f16: the segment converts its f32 argument and
// result on the NPU; weights become f16 constants (splats stay splats);
// relu and clip fuse into the conv's clamp epilogue or become an act after
// an eltwise; layers are named after their nodes.

// CHECK-LABEL: func.func private @npu_0
// CHECK-SAME: attributes {npu.segment}
// CHECK: %[[X:.*]] = npu.convert %arg0 {mode = "cast"} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf16>
// CHECK-DAG: %[[W:.*]] = npu.constant dense<1.000210e-02> : tensor<32x3x3x16xf16>
// CHECK-DAG: %[[B:.*]] = npu.constant dense<5.000000e-01> : tensor<32xf16>
// CHECK: %[[C1:.*]] = npu.conv %[[X]], %[[W]], %[[B]] {bias, clamp = array<f32: 0.000000e+00, 0x7F800000>, kernel = array<i64: 3, 3>, npu.name = "conv1", pads = array<i64: 1, 1, 1, 1>}
// CHECK: %[[C2:.*]] = npu.conv %[[C1]], %{{.*}} {kernel = array<i64: 1, 1>, npu.name = "conv2"}
// CHECK: %[[S:.*]] = npu.act %[[C2]] {kind = "sigmoid", npu.name = "sig"}
// CHECK: %[[A:.*]] = npu.eltwise %[[S]], %[[C1]] {npu.name = "add", op = "add"}
// CHECK: %[[R:.*]] = npu.act %[[A]] {fhi = 6.000000e+00 : f32, flo = 0.000000e+00 : f32, kind = "clamp", npu.name = "add#2"}
// CHECK: %[[Y:.*]] = npu.convert %[[R]] {mode = "cast"} : (tensor<1x8x8x32xf16>) -> tensor<1x8x8x32xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: graph.
func.func @main(%x: tensor<1x8x8x16xf32> {tessel.name = "x"}) -> (tensor<1x8x8x32xf32> {tessel.name = "y"}) {
  %w = graph.constant dense<0.01> : tensor<32x3x3x16xf32>
  %b = graph.constant dense<0.5> : tensor<32xf32>
  %w2 = graph.constant dense<0.02> : tensor<32x1x1x32xf32>
  %c = graph.conv %x, %w, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<32x3x3x16xf32>, tensor<32xf32>) -> tensor<1x8x8x32xf32> loc("conv1")
  %d = graph.conv %c, %w2 {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<32x1x1x32xf32>) -> tensor<1x8x8x32xf32> loc("conv2")
  %s = graph.sigmoid %d : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("sig")
  %a = graph.add %s, %c {activation = #graph.act<clip, 0.0, 6.0>} : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("add")
  return %a : tensor<1x8x8x32xf32>
}
