// tessel-lower-to-gpu is registered with its --gpu-arch option, runs its
// stages in the documented order (lib/Transforms/Pipelines.cpp), and
// replaying it pass by pass in tessel-opt gives the same module. The result
// is @main launching kernels over the device arena and the weights, and one
// gpu.binary with the PTX of every kernel for the chosen architecture.
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-lower-to-gpu{gpu-arch=sm_90})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-lower-to-gpu{gpu-arch=sm_90})' -o %t.pipeline
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-record-io,convert-graph-to-linalg{ukernels=false},canonicalize,tessel-gpu-fuse-elementwise,canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries=true function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},canonicalize,tessel-cpu-externalize-weights{min-bytes=0},tessel-gpu-plan-memory,canonicalize,cse,tessel-gpu-distribute,canonicalize,tessel-gpu-map-forall,canonicalize,cse,tessel-gpu-sink-into-launch,convert-math-to-funcs,gpu-kernel-outlining,tessel-gpu-merge-modules,gpu.module(lower-affine,convert-scf-to-cf,tessel-gpu-lower-math,expand-strided-metadata,lower-affine,arith-expand{include-bf16=true},convert-math-to-llvm,convert-gpu-to-nvvm{index-bitwidth=64 use-bare-ptr-memref-call-conv=true},convert-nvvm-to-llvm,reconcile-unrealized-casts,canonicalize),tessel-gpu-serialize{chip=sm_90})' -o %t.replay
// RUN: diff %t.pipeline %t.replay
// RUN: FileCheck %s --check-prefixes=CHECK,SM90 < %t.pipeline
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-lower-to-gpu)' | FileCheck %s --check-prefixes=CHECK,SM80

// ORDER: builtin.module(
// ORDER-NEXT: tessel-record-io
// ORDER-NEXT: convert-graph-to-linalg{ukernels=false}
// ORDER-NEXT: canonicalize
// ORDER-NEXT: tessel-gpu-fuse-elementwise
// ORDER-NEXT: canonicalize
// ORDER-NEXT: cse
// ORDER-NEXT: one-shot-bufferize
// ORDER-NEXT: buffer-results-to-out-params
// ORDER-NEXT: canonicalize
// ORDER-NEXT: tessel-cpu-externalize-weights{min-bytes=0}
// ORDER-NEXT: tessel-gpu-plan-memory
// ORDER-NEXT: canonicalize
// ORDER-NEXT: cse
// ORDER-NEXT: tessel-gpu-distribute{block-size=256 min-gemm=16 tensor-cores=true}
// ORDER-NEXT: canonicalize
// ORDER-NEXT: tessel-gpu-map-forall
// ORDER-NEXT: canonicalize
// ORDER-NEXT: cse
// ORDER-NEXT: tessel-gpu-sink-into-launch
// ORDER-NEXT: convert-math-to-funcs
// ORDER-NEXT: gpu-kernel-outlining
// ORDER-NEXT: tessel-gpu-merge-modules
// ORDER-NEXT: gpu.module(
// ORDER-NEXT: lower-affine
// ORDER-NEXT: convert-scf-to-cf
// ORDER-NEXT: tessel-gpu-lower-math
// ORDER-NEXT: expand-strided-metadata
// ORDER-NEXT: lower-affine
// ORDER-NEXT: arith-expand
// ORDER-NEXT: convert-math-to-llvm
// ORDER-NEXT: convert-gpu-to-nvvm
// ORDER-NEXT: convert-nvvm-to-llvm
// ORDER-NEXT: reconcile-unrealized-casts
// ORDER-NEXT: canonicalize
// ORDER-NEXT: )
// ORDER-NEXT: tessel-gpu-serialize{chip=sm_90 opt-level=3}

// The inputs and outputs live in the device arena (tessel.io offsets);
// @main keeps nothing but launches.
// CHECK: module attributes {gpu.container_module, tessel.arena_size = {{[0-9]+}} : i64, tessel.io = [{bytes = 32768 : i64, name = "input0", offset = 0 : i64
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[ARENA:.*]]: memref<{{[0-9]+}}xi8> {tessel.arena}, %[[W:.*]]: memref<{{[0-9]+}}xi8> {tessel.weights})
// add + relu fused into one kernel; each matmul's zero fill and its tiled
// kernel (which adds to the output); the f16 matmul's f32 -> f16
// conversion: six launches.
// CHECK-COUNT-6: gpu.launch_func @tessel_kernels::@main_kernel{{[_0-9]*}} blocks in ({{.*}}) threads in ({{.*}}) args(%[[ARENA]] : memref<{{[0-9]+}}xi8>)
// CHECK-NOT: gpu.launch_func
// CHECK: return
// CHECK: gpu.binary @tessel_kernels
// SM90-SAME: #nvvm.target<O = 3, chip = "sm_90">
// SM80-SAME: #nvvm.target<O = 3, chip = "sm_80">
// SM90-SAME: .version 7.8\0A.target sm_90
// SM80-SAME: .target sm_80
// The f32 matmul stages its tiles in shared memory; the f16 one runs on
// tensor cores.
// CHECK-SAME: .shared .align
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @main(%a: tensor<64x128xf32>, %b: tensor<64x128xf32>, %w: tensor<128x128xf32>, %x: tensor<64x64xf16>, %y: tensor<64x64xf16>) -> (tensor<64x128xf32>, tensor<64x64xf16>) {
  %0 = graph.add %a, %b : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %1 = graph.relu %0 : (tensor<64x128xf32>) -> tensor<64x128xf32>
  %2 = graph.matmul %1, %w : (tensor<64x128xf32>, tensor<128x128xf32>) -> tensor<64x128xf32>
  %3 = graph.matmul %x, %y : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16>
  return %2, %3 : tensor<64x128xf32>, tensor<64x64xf16>
}
