// tessel-gpu-fuse-elementwise fuses elementwise chains into one op but
// leaves a contraction's operands alone: upstream linalg-fuse-elementwise-ops
// would pull add + relu into the matmul, which then could no longer be
// tiled as a GEMM (and would recompute them K times per output).
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-record-io,convert-graph-to-linalg{ukernels=false},canonicalize,tessel-gpu-fuse-elementwise)' | FileCheck %s
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-record-io,convert-graph-to-linalg{ukernels=false},canonicalize,linalg-fuse-elementwise-ops)' | FileCheck %s --check-prefix=UPSTREAM

// CHECK-LABEL: func.func @main
// CHECK: %[[R:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: arith.select
// CHECK: linalg.generic {{{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[R]], %{{.*}} : tensor<64x128xf32>, tensor<128x128xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// UPSTREAM-LABEL: func.func @main
// UPSTREAM: linalg.generic {{{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1, %arg2 :
// UPSTREAM: arith.select
func.func @main(%a: tensor<64x128xf32>, %b: tensor<64x128xf32>, %w: tensor<128x128xf32>) -> tensor<64x128xf32> {
  %0 = graph.add %a, %b : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %1 = graph.relu %0 : (tensor<64x128xf32>) -> tensor<64x128xf32>
  %2 = graph.matmul %1, %w : (tensor<64x128xf32>, tensor<128x128xf32>) -> tensor<64x128xf32>
  return %2 : tensor<64x128xf32>
}
