// The quantization passes one at a time, as tessel-compile --quantize runs
// them: prepare (names), calibrate (ranges, table file), annotate (precision
// per op from the ranges, the scheme and a mixed-precision table), rewrite
// (the quantized graph form of docs/quantization.md).

// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare))' | FileCheck %s --check-prefix=PREPARE
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-calibrate{random-samples=4 method=max table=%t.table}))' 2>%t.err | FileCheck %s --check-prefix=CALIB
// RUN: FileCheck %s --check-prefix=WARN < %t.err
// RUN: FileCheck %s --check-prefix=TABLE < %t.table
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{table=%S/Inputs/net.table scheme=w8a8},graph-quantize-rewrite))' | FileCheck %s --check-prefix=W8A8
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{table=%S/Inputs/net.table scheme=w8a8 per-channel=0},graph-quantize-rewrite{per-channel=0}))' | FileCheck %s --check-prefix=PERTENSOR
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{table=%S/Inputs/net.table scheme=w8a8 qtable=%S/Inputs/net.qtable},graph-quantize-rewrite))' | FileCheck %s --check-prefix=MIXED
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{table=%S/Inputs/net.table scheme=w8a16},graph-quantize-rewrite))' | FileCheck %s --check-prefix=W8A16
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{scheme=w8-weight-only},graph-quantize-rewrite))' | FileCheck %s --check-prefix=WONLY
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-quantize-annotate{scheme=fp16},graph-quantize-rewrite))' | FileCheck %s --check-prefix=FP16

// PREPARE-LABEL: func.func @net
// PREPARE: graph.conv {{.*}}tessel.name = "conv_0"
// PREPARE: graph.sigmoid {{.*}}tessel.name = "sigmoid_0"
// PREPARE: graph.add {{.*}}tessel.name = "add_0"

// WARN: warning: calibrating on 4 random inputs
// CALIB-LABEL: func.func @net
// CALIB-SAME: tessel.calib = array<f64: {{.*}}>, tessel.name = "x"
// CALIB: graph.conv {{.*}}tessel.calib = array<f64: 0.000000e+00, {{.*}}>, tessel.name = "conv_0"
// CALIB: graph.sigmoid {{.*}}tessel.calib = array<f64: {{.*}}>, tessel.name = "sigmoid_0"

// TABLE: # tessel calibration table v1
// TABLE: # method max
// TABLE: # samples 4
// TABLE: x -{{[0-9.]+}} {{[0-9.]+}}
// TABLE: conv_0 0 {{[0-9.]+}} 0 {{[0-9.]+}}

// From the table: x in [-2.54, 2.54] -> scale 0.02; the ReLU output in
// [0, 2.55] uses all 256 codes (scale 0.01, zero point -128); weights per
// output channel, max |w| / 127, narrow range; the bias in i32 at
// s_x * s_w[c] (0.1 / (0.02 * 0.5 / 127) = 1270); the sigmoid a table.
// W8A8-LABEL: func.func @net
// W8A8: %[[X:.*]] = graph.quantize %arg0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.019999999552965164>>
// W8A8: %[[W:.*]] = graph.constant dense<{{\[\[\[\[}}127]], {{\[\[}}-64]]], {{\[\[\[}}16]], {{\[\[}}127]]]]> : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.0039370078593492508,0.0078740157186985015}>>
// W8A8: %[[B:.*]] = graph.constant dense<[1270, -1270]> : tensor<2xi32>
// W8A8: %[[C:.*]] = graph.conv %[[X]], %[[W]], %[[B]] {activation = #graph.act<relu>, {{.*}}} : {{.*}} -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// W8A8: %[[S:.*]] = graph.lut %[[C]] {function = "sigmoid", table = array<i32: {{.*}}} : {{.*}} -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.0039215688593685627:-128>>
// W8A8: %[[A:.*]] = graph.add %[[S]], %[[X]] {{.*}} -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.02500000037252903>>
// W8A8: %[[Y:.*]] = graph.dequantize %[[A]] : {{.*}} -> tensor<1x2x4x4xf32>
// W8A8: return %[[Y]]

// One weight scale for the tensor: max |w| = 1.
// PERTENSOR-LABEL: func.func @net
// PERTENSOR: graph.constant dense<{{\[\[\[\[}}64]], {{\[\[}}-32]]], {{\[\[\[}}16]], {{\[\[}}127]]]]> : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!quant.uniform<i8<-127:127>:f32, 0.0078740157186985015>>
// PERTENSOR: graph.constant dense<[635, -1270]> : tensor<2xi32>

// The qtable keeps the sigmoid in fp32 (dequantize, float op, quantize) and
// the add in int16 (symmetric, 16-bit storage).
// MIXED-LABEL: func.func @net
// MIXED: graph.conv {{.*}} -> tensor<1x2x4x4x!quant.uniform<i8:f32, {{.*}}>>
// MIXED: graph.dequantize
// MIXED-NEXT: graph.sigmoid {{.*}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// MIXED-NEXT: graph.quantize {{.*}} -> tensor<1x2x4x4x!quant.uniform<i16:f32, {{.*}}>>
// MIXED-NEXT: graph.add {{.*}} -> tensor<1x2x4x4x!quant.uniform<i16:f32, {{.*}}>>

// 16-bit activations: i64 biases; the sigmoid (no 16-bit table) in float.
// W8A16-LABEL: func.func @net
// W8A16: graph.quantize %arg0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i16:f32, {{.*}}>>
// W8A16: graph.constant dense<[327670, -327670]> : tensor<2xi64>
// W8A16: graph.conv {{.*}} -> tensor<1x2x4x4x!quant.uniform<i16:f32, {{.*}}>>
// W8A16: graph.sigmoid {{.*}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>

// Weight-only: int8 weights dequantized in front of a float conv; no data.
// WONLY-LABEL: func.func @net
// WONLY-NOT: graph.quantize
// WONLY: %[[W:.*]] = graph.constant {{.*}} -> tensor<2x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {{.*}}>>
// WONLY: %[[D:.*]] = graph.dequantize %[[W]]
// WONLY: graph.conv %arg0, %[[D]], {{.*}} -> tensor<1x2x4x4xf32>

// fp16: every op computes in f16 between casts.
// FP16-LABEL: func.func @net
// FP16: graph.conv {{.*}} : (tensor<1x2x4x4xf16>, tensor<2x2x1x1xf16>, tensor<2xf16>) -> tensor<1x2x4x4xf16>
// FP16: graph.sigmoid {{.*}} : (tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf16>
// FP16: graph.add {{.*}} -> tensor<1x2x4x4xf16>
func.func @net(%x: tensor<1x2x4x4xf32> {tessel.name = "x"}) -> (tensor<1x2x4x4xf32> {tessel.name = "y"}) {
  %w = graph.constant dense<[[[[0.5]], [[-0.25]]], [[[0.125]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b = graph.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %c = graph.conv %x, %w, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %s = graph.sigmoid %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %a = graph.add %s, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}
