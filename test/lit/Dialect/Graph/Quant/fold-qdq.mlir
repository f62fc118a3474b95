// RUN: tessel-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(graph-fold-qdq,canonicalize))' | FileCheck %s

// A QDQ conv (ONNX QuantizeLinear/DequantizeLinear around a float conv with
// int8 weights and a float bias) becomes the quantized conv: the weights keep
// their integers and scales, the bias is quantized at s_x * s_w[c]
// (0.1 / (0.02 * 0.004) = 1250), the output type is the QuantizeLinear's.
// CHECK-LABEL: func.func @qdq_conv
// CHECK-DAG: %[[X:.*]] = graph.quantize %arg0
// CHECK-DAG: %[[W:.*]] = graph.constant dense<{{.*}}> : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!quant.uniform<i8:f32:0, {4.000000e-03,8.000000e-03}>>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<[1250, -1250]> : tensor<2xi32>
// CHECK: %[[C:.*]] = graph.conv %[[X]], %[[W]], %[[B]] {activation = #graph.act<relu>, {{.*}}} : {{.*}} -> tensor<1x2x4x4x!quant.uniform<i8:f32, 1.000000e-02:-128>>
// CHECK: %[[Y:.*]] = graph.dequantize %[[C]]
// CHECK: return %[[Y]]
func.func @qdq_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = graph.quantize %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.02>>
  %dx = graph.dequantize %q : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x2x4x4xf32>
  %w = graph.constant dense<[[[[127]], [[-64]]], [[[16]], [[127]]]]> : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.004, 0.008}>>
  %dw = graph.dequantize %w : (tensor<2x2x1x1x!quant.uniform<i8:f32:0, {0.004, 0.008}>>) -> tensor<2x2x1x1xf32>
  %b = graph.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %c = graph.conv %dx, %dw, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %qc = graph.quantize %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.01:-128>>
  %y = graph.dequantize %qc : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.01:-128>>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A float model has no pairs: nothing changes.
// CHECK-LABEL: func.func @float_model
// CHECK: graph.conv %arg0, %{{.*}}, %{{.*}} {{.*}} -> tensor<1x2x4x4xf32>
// CHECK-NOT: graph.quantize
func.func @float_model(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<[[[[0.5]], [[-0.25]]], [[[0.125]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b = graph.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %c = graph.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %c : tensor<1x2x4x4xf32>
}
