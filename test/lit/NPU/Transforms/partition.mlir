// RUN: tessel-opt %s -tessel-npu-partition='chip=mobile-m' -split-input-file -verify-diagnostics | FileCheck %s
// RUN: tessel-opt %s -tessel-npu-partition='chip=edge-s' -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=EDGE

// A matmul runs on the NPU, the softmax after it falls back to the CPU (with
// its reason), the add after that is on the NPU again: three segments called
// in order, constants cloned into the segments that use them.

// CHECK: module attributes
// CHECK-SAME: npu.fallbacks = [{name = "sm", op = "graph.softmax", reason = "the NPU has no lowering for this op"}]
// CHECK-SAME: npu.target = {chip = "mobile-m", cores = 1 : i64
// CHECK-LABEL: func.func @main
// CHECK-NEXT: %[[A:.*]] = call @npu_0(%arg0)
// CHECK-NEXT: %[[B:.*]] = call @cpu_0(%[[A]])
// CHECK-NEXT: %[[C:.*]] = call @npu_1(%[[B]], %[[A]])
// CHECK-NEXT: return %[[C]]
// CHECK: func.func private @npu_0({{.*}} attributes {npu.segment}
// CHECK: graph.constant
// CHECK: graph.matmul
// CHECK: func.func private @cpu_0({{.*}} attributes {cpu.segment}
// CHECK-NEXT: graph.softmax
// CHECK: func.func private @npu_1
// CHECK-NEXT: graph.add

// A chip without fp16 runs a float model on the CPU.
// EDGE: npu.fallbacks = [{name = "mm", op = "graph.matmul", reason = "chip edge-s computes no floats (float ops run on the CPU; quantize the model to run it on this chip)"}
// EDGE: call @cpu_0(%arg0)
// EDGE-NOT: call @npu
func.func @main(%x: tensor<2x8xf32> {tessel.name = "x"}) -> tensor<2x4xf32> {
  %w = graph.constant dense<0.5> : tensor<8x4xf32>
  %m = graph.matmul %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32> loc("mm")
  %s = graph.softmax %m {axis = 1 : i64} : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("sm")
  %a = graph.add %s, %m : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("add")
  return %a : tensor<2x4xf32>
}

// -----

// A conv whose fused activation has no NPU instruction runs on the NPU
// without it; the activation alone goes to the CPU.
// CHECK-LABEL: func.func @main
// CHECK: call @npu_0
// CHECK: call @cpu_0
// CHECK: func.func private @npu_0
// CHECK: graph.conv
// CHECK-NOT: activation
// CHECK: func.func private @cpu_0
// CHECK-NEXT: graph.gelu
func.func @main(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %w = graph.constant dense<0.1> : tensor<8x1x1x8xf32>
  %c = graph.conv %x, %w {activation = #graph.act<gelu>, dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>) -> tensor<1x4x4x8xf32>
  return %c : tensor<1x4x4x8xf32>
}

// -----

// A conv in NCHW cannot run on the NPU, and the reason says what to do.
// CHECK: reason = "the conv is in NCHW layout (the NPU needs NHWC: compile with --layout=nhwc)"
func.func @main(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = graph.constant dense<0.1> : tensor<8x8x1x1xf32>
  %c = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

