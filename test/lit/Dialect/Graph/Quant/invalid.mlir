// RUN: tessel-opt %s -split-input-file -verify-diagnostics
// Verifier errors of the quantized graph form.

func.func @quantize_to_float(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.quantize' op result must be a tensor of a uniform quantized type with integer storage, got 'tensor<4xf32>'}}
  %0 = graph.quantize %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @quantize_axis_size(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {1.0, 2.0}>> {
  // expected-error @+1 {{per-axis quantization along dim 1 of size 3 has 2 scales}}
  %0 = graph.quantize %x : (tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:1, {1.0, 2.0}>>
}

// -----

func.func @dequantize_int(%x: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{'graph.dequantize' op input must be a tensor of a uniform quantized type}}
  %0 = graph.dequantize %x : (tensor<4xi8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @storage_cast_width(%x: tensor<4xi16>) -> tensor<4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.storage_cast' op storage types differ: 'i16' and '!quant.uniform<i8:f32, 1.000000e+00>'}}
  %0 = graph.storage_cast %x : (tensor<4xi16>) -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @storage_cast_signedness(%x: tensor<4xi8>) -> tensor<4x!quant.uniform<u8:f32, 1.0>> {
  // expected-error @+1 {{'graph.storage_cast' op storage types differ: 'i8' and '!quant.uniform<u8:f32, 1.000000e+00>'}}
  %0 = graph.storage_cast %x : (tensor<4xi8>) -> tensor<4x!quant.uniform<u8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<u8:f32, 1.0>>
}

// -----

func.func @lut_size(%x: tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.lut' op table must have 256 entries, got 2}}
  %0 = graph.lut %x {table = array<i32: 0, 1>} : (tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @lut_int16_input(%x: tensor<4x!quant.uniform<i16:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.lut' op input must be quantized per tensor with 8-bit storage}}
  %0 = graph.lut %x {table = array<i32: 0>} : (tensor<4x!quant.uniform<i16:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @requantize_blocked(%x: tensor<2x4x!quant.uniform<i8:f32:{1:2}, {{1.0, 2.0}}>>) -> tensor<2x4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.requantize' op cannot requantize blocked quantization}}
  %0 = graph.requantize %x : (tensor<2x4x!quant.uniform<i8:f32:{1:2}, {{1.0, 2.0}}>>) -> tensor<2x4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<2x4x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @quantized_conv_float_bias(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, %w: tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>, %b: tensor<1xf32>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.conv' op on quantized types: the bias of a quantized conv/matmul must be i32 or i64 (scale s_in * s_w)}}
  %0 = graph.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>, tensor<1xf32>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @quantized_conv_sigmoid(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, %w: tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.conv' op on quantized types: a quantized conv/matmul can only fuse relu or clip (a clamp); use a graph.lut for other activations}}
  %0 = graph.conv %x, %w {activation = #graph.act<sigmoid>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @quantized_conv_axis(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0>>, %w: tensor<2x2x1x1x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.conv' op on quantized types: per-axis weights must vary along the output channel dim}}
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0>>, tensor<2x2x1x1x!quant.uniform<i8:f32:1, {1.0, 2.0}>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @accumulator_type(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, %w: tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2xi64> {
  // expected-error @+1 {{'graph.conv' op on quantized types: an integer result must be the accumulator type (i32 for 8-bit operands, i64 otherwise)}}
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>, tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2xi64>
  return %0 : tensor<1x1x2x2xi64>
}

// -----

func.func @float_input_quantized_weight(%x: tensor<1x1x2x2xf32>, %w: tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{'graph.conv' op on quantized types: a float conv/matmul takes float weights (dequantize quantized weights first)}}
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

func.func @quantized_add_params(%a: tensor<4x!quant.uniform<i8:f32:0, {1.0, 1.0, 1.0, 1.0}>>, %b: tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.add' op on quantized types: every operand and the result must be quantized per tensor}}
  %0 = graph.add %a, %b : (tensor<4x!quant.uniform<i8:f32:0, {1.0, 1.0, 1.0, 1.0}>>, tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0>>
}

// -----

func.func @quantized_maxpool_params(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x1x1x!quant.uniform<i8:f32, 2.0>> {
  // expected-error @+1 {{'graph.max_pool' op on quantized types: its quantized operands and results must have the same quantization parameters (insert a graph.requantize)}}
  %0 = graph.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2x!quant.uniform<i8:f32, 1.0>>) -> tensor<1x1x1x1x!quant.uniform<i8:f32, 2.0>>
  return %0 : tensor<1x1x1x1x!quant.uniform<i8:f32, 2.0>>
}

// -----

func.func @quantized_sigmoid(%x: tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>> {
  // expected-error @+1 {{'graph.sigmoid' op on quantized types: has no integer semantics; dequantize its operands (or use a graph.lut for an activation on 8-bit values)}}
  %0 = graph.sigmoid %x : (tensor<4x!quant.uniform<i8:f32, 1.0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0>>
}
