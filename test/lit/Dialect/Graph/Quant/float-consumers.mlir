// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(graph-quantize-prepare,graph-calibrate{random-samples=2 method=max},graph-quantize-annotate{scheme=w8a8},graph-quantize-rewrite))' 2>/dev/null | FileCheck %s

// Scores plus an attention mask (0 or -10000) before a softmax: quantizing
// the sum to int8 would need a scale of ~80 and wipe out the scores. An
// integer add whose users all compute in float stays float; the matmul
// producing the scores stays integer.
// CHECK-LABEL: func.func @attention_mask
// CHECK: %[[S:.*]] = graph.matmul {{.*}} -> tensor<1x4x4x!quant.uniform<i8:f32, {{.*}}>>
// CHECK: %[[D:.*]] = graph.dequantize %[[S]]
// CHECK: %[[A:.*]] = graph.add %[[D]], %{{.*}} {tessel.name = "add_0"} : (tensor<1x4x4xf32>, tensor<1x1x4xf32>) -> tensor<1x4x4xf32>
// CHECK: graph.softmax %[[A]]
func.func @attention_mask(%q: tensor<1x4x8xf32> {tessel.name = "q"}, %k: tensor<1x8x4xf32> {tessel.name = "k"}) -> (tensor<1x4x4xf32> {tessel.name = "p"}) {
  %mask = graph.constant dense<[[[0.0, 0.0, -10000.0, -10000.0]]]> : tensor<1x1x4xf32>
  %s = graph.matmul %q, %k : (tensor<1x4x8xf32>, tensor<1x8x4xf32>) -> tensor<1x4x4xf32>
  %a = graph.add %s, %mask : (tensor<1x4x4xf32>, tensor<1x1x4xf32>) -> tensor<1x4x4xf32>
  %p = graph.softmax %a {axis = 2 : i64} : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  return %p : tensor<1x4x4xf32>
}
