// tessel-gpu-distribute: every linalg op of @main becomes an scf.forall over
// blocks holding an scf.forall over threads. Contractions large enough are
// tiled (64x64 output tiles, K-slices staged in workgroup memory; f16/bf16
// on tensor cores), the rest get one thread per point; tessel-gpu-map-forall
// then turns each nest into a gpu.launch.
// RUN: tessel-opt %s -split-input-file --tessel-gpu-distribute | FileCheck %s
// RUN: tessel-opt %s -split-input-file --tessel-gpu-distribute --tessel-gpu-map-forall | FileCheck %s --check-prefix=LAUNCH
// RUN: tessel-opt %s -split-input-file --tessel-gpu-distribute='tensor-cores=false' | FileCheck %s --check-prefix=SIMT

#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @main
// CHECK: scf.forall ({{.*}}) in (1, 2, 1) {
// CHECK: memref.alloc() : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<16x64xf32, #gpu.address_space<workgroup>>
// CHECK: scf.forall ({{.*}}) in (256) {
// CHECK: gpu.barrier
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>, #gpu.block<y>, #gpu.block<z>]}
// LAUNCH-LABEL: func.func @main
// LAUNCH: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c2, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) workgroup({{.*}} : memref<16x65xf32, #gpu.address_space<workgroup>>, {{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>)
// LAUNCH-NOT: scf.forall
// LAUNCH: gpu.terminator
func.func @main(%a: memref<64x128xf32>, %b: memref<128x128xf32>, %c: memref<64x128xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<64x128xf32>, memref<128x128xf32>) outs(%c : memref<64x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// f16 operands with f32 accumulation: tensor cores (mma.sync m16n8k16),
// unless tensor-cores=false.
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @main
// The tiles hold f16 pairs packed in i32 (the mma operand registers).
// CHECK: memref.alloc() : memref<64x20xi32, #gpu.address_space<workgroup>>
// CHECK: nvvm.mma.sync A[{{.*}}]  B[{{.*}}]  C[{{.*}}]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// SIMT-LABEL: func.func @main
// SIMT-NOT: nvvm.mma.sync
// SIMT: memref.alloc() : memref<16x65xf16, #gpu.address_space<workgroup>>
// SIMT-NOT: nvvm.mma.sync
func.func @main(%a: memref<64x64xf16>, %b: memref<64x64xf16>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<64x64xf16>, memref<64x64xf16>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %0 = arith.extf %x : f16 to f32
    %1 = arith.extf %y : f16 to f32
    %2 = arith.mulf %0, %1 : f32
    %3 = arith.addf %acc, %2 : f32
    linalg.yield %3 : f32
  }
  return
}

// -----

// A convolution (NHWC, 3x3, written in the grouped form the lowering uses
// for every conv: the group index `d1 floordiv 64` is 0 here) is an
// implicit GEMM: M = 56 * 56 output pixels in 49 tiles, N = 64 channels,
// K = 3 * 3 * 64, read through the input's indexing map (no im2col buffer).
#in = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2 + d5, d3 + d6, (d1 floordiv 64) * 64 + d4)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d5, d6, d4)>
#out = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @main
// CHECK: scf.forall ({{.*}}) in (49, 1, 1) {
// CHECK: memref.alloc() : memref<16x65xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.alloc() : memref<{{.*}}x58x58x64xf32
func.func @main(%a: memref<1x58x58x64xf32>, %w: memref<64x3x3x64xf32>, %o: memref<1x56x56x64xf32>) {
  linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%a, %w : memref<1x58x58x64xf32>, memref<64x3x3x64xf32>) outs(%o : memref<1x56x56x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Below min-gemm (16) in M, N or K, and any non-contraction: one thread
// per point of the parallel loops (linearized, at most 256 per block), the
// reduction loop in registers; no workgroup memory.
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @main
// CHECK-NOT: workgroup
// CHECK: scf.forall ({{.*}}) in (1) {
// CHECK: scf.forall ({{.*}}) in (64) {
// CHECK: scf.for
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall ({{.*}}) in (1) {
// CHECK: scf.forall ({{.*}}) in (64) {
// CHECK: math.exp
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: workgroup
func.func @main(%a: memref<8x4xf32>, %b: memref<4x8xf32>, %c: memref<8x8xf32>, %d: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<8x4xf32>, memref<4x8xf32>) outs(%c : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<8x8xf32>) outs(%d : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  }
  return
}
