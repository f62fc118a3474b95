// The named pipeline is registered with its options, runs its passes in the
// documented order, and replaying it pass by pass gives the same IR.
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-graph-optimize{layout=nhwc})' -verify-each | FileCheck %s
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-graph-optimize{layout=nhwc})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-graph-optimize{layout=nhwc})' -o %t.pipeline
// RUN: tessel-opt %s --pass-pipeline='builtin.module(func.func(canonicalize,cse,graph-fold-constants,graph-recompose,graph-fold-batchnorm,graph-fuse-activations,graph-fold-qdq,graph-convert-layout{layout=nhwc},canonicalize,cse))' -o %t.replay
// RUN: diff %t.pipeline %t.replay

// ORDER: builtin.module(
// ORDER-NEXT: func.func(
// ORDER-NEXT: canonicalize
// ORDER-NEXT: cse
// ORDER-NEXT: graph-fold-constants{max-elements=33554432}
// ORDER-NEXT: graph-recompose
// ORDER-NEXT: graph-fold-batchnorm
// ORDER-NEXT: graph-fuse-activations
// ORDER-NEXT: graph-fold-qdq
// ORDER-NEXT: graph-convert-layout{layout=nhwc}
// ORDER-NEXT: canonicalize
// ORDER-NEXT: cse

// Conv -> BatchNorm -> Relu -> Conv -> BatchNorm -> Add(residual) -> Relu,
// as exported: one boundary transpose remains in NHWC.
// CHECK-LABEL: func.func @conv_bn_relu_block
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C1:.*]] = graph.conv %[[T]], %{{.*}}, %{{.*}} {activation = #graph.act<relu>, {{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[C2:.*]] = graph.conv %[[C1]], %{{.*}}, %{{.*}} {{{.*}}layout = #graph.layout<nhwc>
// CHECK: %[[A:.*]] = graph.add %[[C2]], %[[T]] {activation = #graph.act<relu>}
// CHECK: %[[Y:.*]] = graph.transpose %[[A]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: graph.batch_norm
func.func @conv_bn_relu_block(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = graph.constant dense<[[[[0.5]], [[-1.0]]], [[[2.0]], [[0.25]]]]> : tensor<2x2x1x1xf32>
  %scale = graph.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %bias = graph.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %mean = graph.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %var = graph.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %0 = graph.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = graph.batch_norm %0, %scale, %bias, %mean, %var {epsilon = 1.0e-5 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %2 = graph.relu %1 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = graph.conv %2, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = graph.batch_norm %3, %scale, %bias, %mean, %var {epsilon = 1.0e-5 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %5 = graph.add %4, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %6 = graph.relu %5 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %6 : tensor<1x2x4x4xf32>
}
