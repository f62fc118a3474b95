// The bufferized module's buffers go to one device arena
// (tessel-gpu-plan-memory): @main(arena, weights) with the input and output
// at their tessel.io offsets and the intermediates after them; every
// constant is in the weight section. After distribution, sinking and
// outlining, the kernels live in one gpu.module and take nothing but the
// arena and (where they read weights) the weights.
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-record-io,convert-graph-to-linalg{ukernels=false},canonicalize,tessel-gpu-fuse-elementwise,canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries=true function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},canonicalize,tessel-cpu-externalize-weights{min-bytes=0},tessel-gpu-plan-memory)' | FileCheck %s --check-prefix=PLAN
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-record-io,convert-graph-to-linalg{ukernels=false},canonicalize,tessel-gpu-fuse-elementwise,canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries=true function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},canonicalize,tessel-cpu-externalize-weights{min-bytes=0},tessel-gpu-plan-memory,canonicalize,cse,tessel-gpu-distribute,canonicalize,tessel-gpu-map-forall,canonicalize,cse,tessel-gpu-sink-into-launch,convert-math-to-funcs,gpu-kernel-outlining,tessel-gpu-merge-modules,canonicalize)' | FileCheck %s --check-prefix=KERNELS

// PLAN: module attributes {tessel.arena_size = 320 : i64, tessel.io = [{bytes = 128 : i64, name = "input0", offset = 0 : i64, role = "input", type = tensor<4x8xf32>}, {bytes = 128 : i64, name = "output0", offset = 128 : i64, role = "output", type = tensor<4x8xf32>}], tessel.io_size = 256 : i64, tessel.weights = [{offset = 0 : i64, value = dense<[1.000000e+00, 2.000000e+00
// PLAN-LABEL: func.func @main
// PLAN-SAME: (%[[ARENA:.*]]: memref<320xi8> {tessel.arena}, %[[W:.*]]: memref<64xi8> {tessel.weights})
// PLAN-DAG: memref.view %[[ARENA]][%c0{{.*}}][] : memref<320xi8> to memref<4x8xf32>
// PLAN-DAG: memref.view %[[ARENA]][%c128][] : memref<320xi8> to memref<4x8xf32>
// PLAN-DAG: memref.view %[[W]][%c0{{.*}}][] : memref<64xi8> to memref<8xf32>
// The softmax's row statistics: an intermediate after the I/O.
// PLAN-DAG: memref.view %[[ARENA]][%c256][] : memref<320xi8> to memref<4xf32>
// PLAN-NOT: memref.alloc
// PLAN-NOT: memref.dealloc

// KERNELS-LABEL: func.func @main
// KERNELS-SAME: (%[[ARENA:.*]]: memref<320xi8> {tessel.arena}, %[[W:.*]]: memref<64xi8> {tessel.weights})
// add + exp fused, reading the bias from the weights:
// KERNELS-NOT: memref.view
// KERNELS: gpu.launch_func  @tessel_kernels::@main_kernel blocks in ({{.*}}) threads in ({{.*}})  args(%[[ARENA]] : memref<320xi8>, %[[W]] : memref<64xi8>)
// the softmax (max, exp, sum, divide, with their fills), on the arena only:
// KERNELS-COUNT-6: gpu.launch_func  @tessel_kernels::@main_kernel_{{[0-5]}} blocks in ({{.*}}) threads in ({{.*}})  args(%[[ARENA]] : memref<320xi8>)
// KERNELS-NEXT: return
// KERNELS: gpu.module @tessel_kernels {
// KERNELS-NEXT: gpu.func @main_kernel(%{{.*}}: memref<320xi8>, %{{.*}}: memref<64xi8>) kernel
// KERNELS: math.exp
// KERNELS-COUNT-6: gpu.func @main_kernel_{{[0-5]}}(%{{.*}}: memref<320xi8>) kernel
// KERNELS-NOT: gpu.module
func.func @main(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %b = graph.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %0 = graph.add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = graph.exp %0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = graph.softmax %1 {axis = 1 : i64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}
