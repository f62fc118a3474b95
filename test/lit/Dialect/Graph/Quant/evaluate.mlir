// RUN: tessel-opt %s -graph-fold-constants -split-input-file | FileCheck %s
// The integer reference evaluation of quantized ops, through constant
// folding. Expected values follow docs/npu-isa.md by hand (and an
// independent numpy transcription of its formulas).

!q1 = !quant.uniform<i8:f32, 1.0>

// graph.quantize: x / scale in fp32, half to even, zero point, saturation.
// CHECK-LABEL: func.func @quantize_rounding
func.func @quantize_rounding() -> tensor<8x!q1> {
  %x = graph.constant dense<[0.5, 1.5, 2.5, -2.5, -0.5, 126.5, 300.0, -300.0]> : tensor<8xf32>
  // CHECK: graph.constant dense<[0, 2, 2, -2, 0, 126, 127, -128]> : tensor<8xi8> -> tensor<8x!quant.uniform<i8:f32, 1.000000e+00>>
  %q = graph.quantize %x : (tensor<8xf32>) -> tensor<8x!q1>
  return %q : tensor<8x!q1>
}

// -----

// Unsigned storage with a zero point; per-axis along dim 1.
// CHECK-LABEL: func.func @quantize_u8_per_axis
func.func @quantize_u8_per_axis() -> tensor<2x2x!quant.uniform<u8:f32:1, {0.5:128, 2.0:0}>> {
  %x = graph.constant dense<[[1.0, 4.0], [-64.0, 600.0]]> : tensor<2x2xf32>
  // CHECK: graph.constant dense<{{\[\[}}-126, 2], [0, -1]]> : tensor<2x2xi8>
  %q = graph.quantize %x : (tensor<2x2xf32>) -> tensor<2x2x!quant.uniform<u8:f32:1, {0.5:128, 2.0:0}>>
  return %q : tensor<2x2x!quant.uniform<u8:f32:1, {0.5:128, 2.0:0}>>
}

// -----

// Dequantize never folds (quantized weights stay integers).
// CHECK-LABEL: func.func @dequantize_stays
func.func @dequantize_stays() -> tensor<2xf32> {
  %q = graph.constant dense<[1, 2]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8:f32, 0.5>>
  // CHECK: graph.dequantize
  %x = graph.dequantize %q : (tensor<2x!quant.uniform<i8:f32, 0.5>>) -> tensor<2xf32>
  return %x : tensor<2xf32>
}

// -----

// A 1x1 NHWC conv with per-channel weights, an i32 bias and a fused ReLU:
// y = clamp(rhaz((acc + bias) * M / 2^(31+s)) + zp, zp, 127) with
// M * 2^-(31+s) = 0.5 * {0.1, 0.2} / 0.25.
// CHECK-LABEL: func.func @conv_per_channel
func.func @conv_per_channel() -> tensor<1x2x3x2x!quant.uniform<i8:f32, 0.25:10>> {
  %x = graph.constant dense<[[[[-3, 1], [5, -7], [127, -128]], [[0, 0], [2, 2], [-50, 60]]]]> : tensor<1x2x3x2xi8> -> tensor<1x2x3x2x!quant.uniform<i8:f32, 0.5:-3>>
  %w = graph.constant dense<[[[[1, 2]]], [[[-3, 4]]]]> : tensor<2x1x1x2xi8> -> tensor<2x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>
  %b = graph.constant dense<[100, -100]> : tensor<2xi32>
  // CHECK: graph.constant dense<{{\[\[\[\[}}32, 10], [30, 10], [10, 10]], {{\[\[}}32, 10], [33, 10], [46, 127]]]]> : tensor<1x2x3x2xi8>
  %y = graph.conv %x, %w, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x2x!quant.uniform<i8:f32, 0.5:-3>>, tensor<2x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>, tensor<2xi32>) -> tensor<1x2x3x2x!quant.uniform<i8:f32, 0.25:10>>
  return %y : tensor<1x2x3x2x!quant.uniform<i8:f32, 0.25:10>>
}

// -----

// ConvInteger-style accumulators: sum of (x - zx)(w - zw), no output stage.
// CHECK-LABEL: func.func @conv_accumulators
func.func @conv_accumulators() -> tensor<1x1x1x1xi32> {
  %x = graph.constant dense<[[[[-56]], [[100]]]]> : tensor<1x2x1x1xi8> -> tensor<1x2x1x1x!quant.uniform<u8:f32, 1.0:128>>
  %w = graph.constant dense<[[[[-1]], [[1]]]]> : tensor<1x2x1x1xi8> -> tensor<1x2x1x1x!quant.uniform<u8:f32, 1.0:255>>
  // (200 - 128)(255 - 255) + (100 - 128)(1 - 255) = 7112
  // CHECK: graph.constant dense<7112> : tensor<1x1x1x1xi32>
  %y = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x1x1x!quant.uniform<u8:f32, 1.0:128>>, tensor<1x2x1x1x!quant.uniform<u8:f32, 1.0:255>>) -> tensor<1x1x1x1xi32>
  return %y : tensor<1x1x1x1xi32>
}

// -----

// Quantized add: both inputs to the common int32 scale, exact sum, requant
// to the output, fused ReLU as the clamp lo = zp.
// CHECK-LABEL: func.func @add_relu
func.func @add_relu() -> tensor<4x!quant.uniform<i8:f32, 0.5:-5>> {
  %a = graph.constant dense<[10, -10, 100, 3]> : tensor<4xi8> -> tensor<4x!quant.uniform<i8:f32, 0.25>>
  %b = graph.constant dense<[1, 1, 100, -2]> : tensor<4xi8> -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  // 2.5 + 1 = 3.5 -> 7 - 5 = 2; -2.5 + 1 -> -3 - 5 = -8 -> clamp -5;
  // 25 + 100 -> 250 - 5 -> 127; 0.75 - 2 = -1.25 -> rhaz(-2.5) = -3 - 5 -> -5.
  // CHECK: graph.constant dense<[2, -5, 127, -5]>
  %y = graph.add %a, %b {activation = #graph.act<relu>} : (tensor<4x!quant.uniform<i8:f32, 0.25>>, tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 0.5:-5>>
  return %y : tensor<4x!quant.uniform<i8:f32, 0.5:-5>>
}

// -----

// Requantize to int16 and a table lookup.
// CHECK-LABEL: func.func @requantize_and_lut
func.func @requantize_and_lut() -> (tensor<3x!quant.uniform<i16:f32, 0.125>>, tensor<3x!quant.uniform<i8:f32, 1.0>>) {
  %q = graph.constant dense<[-128, 0, 127]> : tensor<3xi8> -> tensor<3x!quant.uniform<i8:f32, 0.5:1>>
  // (q - 1) * 4
  // CHECK-DAG: graph.constant dense<[-516, -4, 504]> : tensor<3xi16>
  %r = graph.requantize %q : (tensor<3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<3x!quant.uniform<i16:f32, 0.125>>
  // table[i] = i - 128 clamped to [-8, 8] ... reads q + 128.
  // CHECK-DAG: graph.constant dense<[-8, 0, 8]> : tensor<3xi8>
  %l = graph.lut %q {table = array<i32: -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8>} : (tensor<3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<3x!quant.uniform<i8:f32, 1.0>>
  return %r, %l : tensor<3x!quant.uniform<i16:f32, 0.125>>, tensor<3x!quant.uniform<i8:f32, 1.0>>
}
