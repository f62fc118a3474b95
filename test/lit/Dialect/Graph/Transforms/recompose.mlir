// RUN: tessel-opt %s -graph-recompose -verify-each -split-input-file | FileCheck %s
//
// Chains that exporters write out become the op they spell, in any
// association and operand order, with constants matched to a tolerance.

// BERT's generator (PyTorch's node order): Div(sqrt 2) -> Erf -> Add(1) ->
// Mul(x) -> Mul(0.5).
// CHECK-LABEL: func.func @gelu_erf_torch
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-NEXT: %[[G:.*]] = graph.gelu %[[X]] : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf_torch(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = graph.erf %0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = graph.add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = graph.mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = graph.mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// 0.5 * x first, 1/sqrt(2) printed as 0.7071, constants on the left.
// CHECK-LABEL: func.func @gelu_erf_half_first
// CHECK-NEXT: graph.gelu
// CHECK-NEXT: return
func.func @gelu_erf_half_first(%x: tensor<8xf32>) -> tensor<8xf32> {
  %k = graph.constant dense<0.7071> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<1xf32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.mul %k, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = graph.erf %0 : (tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.add %one, %1 : (tensor<1xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = graph.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.mul %3, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// The tanh approximation, x^3 as pow(x, 3).
// CHECK-LABEL: func.func @gelu_tanh_pow
// CHECK-NEXT: graph.gelu %{{.*}} {approximate_tanh = true}
// CHECK-NEXT: return
func.func @gelu_tanh_pow(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = graph.constant dense<3.0> : tensor<f32>
  %c = graph.constant dense<0.044715> : tensor<f32>
  %k = graph.constant dense<0.797884583> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.pow %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = graph.mul %0, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %2 = graph.add %x, %1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = graph.mul %2, %k : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = graph.tanh %3 : (tensor<8xf32>) -> tensor<8xf32>
  %5 = graph.add %4, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = graph.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = graph.mul %6, %5 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %7 : tensor<8xf32>
}

// -----

// The tanh approximation, x^3 as x * x * x.
// CHECK-LABEL: func.func @gelu_tanh_mul
// CHECK-NEXT: graph.gelu %{{.*}} {approximate_tanh = true}
// CHECK-NEXT: return
func.func @gelu_tanh_mul(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = graph.constant dense<0.044715> : tensor<f32>
  %k = graph.constant dense<0.7978846> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.mul %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = graph.mul %0, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.mul %1, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = graph.add %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.mul %k, %3 : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %5 = graph.tanh %4 : (tensor<8xf32>) -> tensor<8xf32>
  %6 = graph.add %5, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = graph.mul %6, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %8 = graph.mul %x, %7 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %8 : tensor<8xf32>
}

// -----

// Wrong constants (0.6 instead of 0.5) are not a Gelu.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: graph.gelu
// CHECK: graph.erf
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %c = graph.constant dense<0.6> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = graph.erf %0 : (tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.add %1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = graph.mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.mul %3, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// An intermediate with another use stays computed: no Gelu.
// CHECK-LABEL: func.func @gelu_intermediate_used
// CHECK-NOT: graph.gelu
func.func @gelu_intermediate_used(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = graph.erf %0 : (tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.add %1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = graph.mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.mul %3, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %4, %2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// BERT's written-out LayerNorm: ReduceMean -> Sub -> Pow(2) -> ReduceMean ->
// Add(eps) -> Sqrt -> Div -> Mul(gamma) -> Add(beta).
// CHECK-LABEL: func.func @layer_norm_bert
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8xf32>)
// CHECK-DAG: %[[G:.*]] = graph.constant dense_resource<gamma> : tensor<8xf32>
// CHECK-DAG: %[[B:.*]] = graph.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK: %[[Y:.*]] = graph.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.999999960041972E-13 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_bert(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %eps = graph.constant dense<1.0e-12> : tensor<f32>
  %gamma = graph.constant dense_resource<gamma> : tensor<8xf32>
  %beta = graph.constant dense<0.5> : tensor<8xf32>
  %0 = graph.reduce_mean %x {axes = array<i64: 2>} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
  %1 = graph.sub %x, %0 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %2 = graph.pow %1, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
  %4 = graph.add %3, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %5 = graph.sqrt %4 : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %6 = graph.div %1, %5 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %7 = graph.mul %6, %gamma : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %8 = graph.add %7, %beta : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  return %8 : tensor<1x4x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      gamma: "0x04000000000080BF0000803F0000004000000040000080BF0000803F0000004000000040"
    }
  }
#-}

// -----

// d * d for the square, multiplication by reciprocal(sqrt(..)), over the two
// trailing axes, no gamma or beta.
// CHECK-LABEL: func.func @layer_norm_reciprocal
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[ONE:.*]] = graph.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK: %[[Y:.*]] = graph.layer_norm %[[X]], %[[ONE]] {axis = 1 : i64, epsilon = 9.9999997473787516E-6 : f64}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_reciprocal(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %eps = graph.constant dense<1.0e-5> : tensor<f32>
  %0 = graph.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %4 = graph.add %eps, %3 : (tensor<f32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %5 = graph.sqrt %4 : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %6 = graph.reciprocal %5 : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %7 = graph.mul %6, %1 : (tensor<2x1x1xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %7 : tensor<2x3x4xf32>
}

// -----

// Normalizing over a leading axis is not a LayerNorm.
// CHECK-LABEL: func.func @not_layer_norm_leading_axis
// CHECK-NOT: graph.layer_norm
func.func @not_layer_norm_leading_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.reduce_mean %x {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %1 = graph.sub %x, %0 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %2 = graph.pow %1, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %4 = graph.sqrt %3 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %5 = graph.div %1, %4 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return %5 : tensor<4x8xf32>
}

// -----

// Softmax written out with the max subtraction, and with a reciprocal.
// CHECK-LABEL: func.func @softmax_forms
// CHECK-SAME: (%[[X:.*]]: tensor<2x5xf32>)
// CHECK-NEXT: %[[A:.*]] = graph.softmax %[[X]] {axis = 1 : i64}
// CHECK-NEXT: %[[B:.*]] = graph.softmax %[[X]] {axis = 0 : i64}
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @softmax_forms(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  %0 = graph.reduce_max %x {axes = array<i64: 1>} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %2 = graph.exp %1 : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 1>} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %4 = graph.div %2, %3 : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %5 = graph.exp %x : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %6 = graph.reduce_sum %5 {axes = array<i64: 0>} : (tensor<2x5xf32>) -> tensor<1x5xf32>
  %7 = graph.reciprocal %6 : (tensor<1x5xf32>) -> tensor<1x5xf32>
  %8 = graph.mul %7, %5 : (tensor<1x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  return %4, %8 : tensor<2x5xf32>, tensor<2x5xf32>
}

// -----

// The max and the sum over different axes: not a softmax.
// CHECK-LABEL: func.func @not_softmax
// CHECK-NOT: graph.softmax
func.func @not_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 0>} : (tensor<2x5xf32>) -> tensor<1x5xf32>
  %1 = graph.sub %x, %0 : (tensor<2x5xf32>, tensor<1x5xf32>) -> tensor<2x5xf32>
  %2 = graph.exp %1 : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 1>} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %4 = graph.div %2, %3 : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %4 : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x5xf32>)
// CHECK-NEXT: %[[Y:.*]] = graph.log_softmax %[[X]] {axis = 1 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 1>} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %2 = graph.exp %1 : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 1>} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %4 = graph.log %3 : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %5 = graph.sub %1, %4 : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %5 : tensor<2x5xf32>
}

// -----

// HardSwish as x * relu6(x + 3) / 6 (MobileNetV3 exports), and HardSigmoid
// as relu6(x + 3) / 6 and clip(x * a + b, 0, 1).
// CHECK-LABEL: func.func @hard_swish_forms
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK-DAG: graph.hard_swish %[[X]]
// CHECK-DAG: graph.hard_sigmoid %[[X]] {alpha = 0.16666666666666666 : f64, beta = 5.000000e-01 : f64}
// CHECK-DAG: graph.hard_sigmoid %[[X]] {alpha = 0.20000000298023224 : f64, beta = 5.000000e-01 : f64}
// CHECK-NOT: graph.clip
func.func @hard_swish_forms(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %three = graph.constant dense<3.0> : tensor<f32>
  %six = graph.constant dense<6.0> : tensor<f32>
  %a = graph.constant dense<0.2> : tensor<f32>
  %b = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.add %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = graph.clip %0 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.mul %x, %1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = graph.div %2, %six : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = graph.add %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %5 = graph.clip %4 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %6 = graph.div %5, %six : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = graph.mul %x, %a : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %8 = graph.add %7, %b : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %9 = graph.clip %8 {min = 0.0 : f64, max = 1.0 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  return %3, %6, %9 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// x * hard_sigmoid(x) with ONNX's default alpha 0.2 is not a HardSwish, and
// neither is 2 x * hard_sigmoid(x, 1/12, 1/4) (the clamp's upper bound
// does not scale with the factor); x * hard_sigmoid(x, 1/6, 1/2) is.
// CHECK-LABEL: func.func @hard_swish_from_hard_sigmoid
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK: graph.hard_sigmoid %[[X]] {alpha = 2.000000e-01 : f64
// CHECK-NEXT: graph.mul
// CHECK: graph.hard_sigmoid %[[X]] {alpha = 0.083333333333333329 : f64
// CHECK-NEXT: graph.mul
// CHECK-NEXT: graph.mul
// CHECK-NEXT: %[[HS:.*]] = graph.hard_swish %[[X]]
// CHECK-NEXT: return %{{.*}}, %{{.*}}, %[[HS]]
func.func @hard_swish_from_hard_sigmoid(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.hard_sigmoid %x {alpha = 0.2 : f64, beta = 0.5 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %1 = graph.mul %x, %0 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %2 = graph.hard_sigmoid %x {alpha = 0.083333333333333329 : f64, beta = 0.25 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %3 = graph.mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.mul %3, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %5 = graph.hard_sigmoid %x {alpha = 0.16666666666666666 : f64, beta = 0.5 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %6 = graph.mul %5, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %1, %4, %6 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// MatMul then Add(bias, y): a biased matmul.
// CHECK-LABEL: func.func @matmul_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<4x3xf32>)
// CHECK: %[[B:.*]] = graph.constant
// CHECK-NEXT: %[[Y:.*]] = graph.matmul %[[X]], %[[W]], %[[B]] : (tensor<2x4xf32>, tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @matmul_bias(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %b = graph.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %0 = graph.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = graph.add %b, %0 : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
