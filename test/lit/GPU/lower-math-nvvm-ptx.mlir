// The kernels' last stages: tessel-gpu-lower-math leaves no op that would
// need libdevice (exp becomes a polynomial, sqrt/floor LLVM intrinsic calls
// NVPTX selects, remf an expansion, f16 transcendental ops computed in f32),
// the NVVM conversion, and tessel-gpu-serialize's PTX for each --chip.
// RUN: tessel-opt %s --pass-pipeline='builtin.module(gpu.module(tessel-gpu-lower-math))' | FileCheck %s --check-prefix=MATH
// RUN: tessel-opt %s --pass-pipeline='builtin.module(gpu.module(lower-affine,convert-scf-to-cf,tessel-gpu-lower-math,expand-strided-metadata,lower-affine,arith-expand{include-bf16=true},convert-math-to-llvm,convert-gpu-to-nvvm{index-bitwidth=64 use-bare-ptr-memref-call-conv=true},convert-nvvm-to-llvm,reconcile-unrealized-casts,canonicalize))' | FileCheck %s --check-prefix=NVVM
// RUN: tessel-opt %s --pass-pipeline='builtin.module(gpu.module(lower-affine,convert-scf-to-cf,tessel-gpu-lower-math,expand-strided-metadata,lower-affine,arith-expand{include-bf16=true},convert-math-to-llvm,convert-gpu-to-nvvm{index-bitwidth=64 use-bare-ptr-memref-call-conv=true},convert-nvvm-to-llvm,reconcile-unrealized-casts,canonicalize),tessel-gpu-serialize{chip=sm_80})' | FileCheck %s --check-prefix=PTX80
// RUN: tessel-opt %s --pass-pipeline='builtin.module(gpu.module(lower-affine,convert-scf-to-cf,tessel-gpu-lower-math,expand-strided-metadata,lower-affine,arith-expand{include-bf16=true},convert-math-to-llvm,convert-gpu-to-nvvm{index-bitwidth=64 use-bare-ptr-memref-call-conv=true},convert-nvvm-to-llvm,reconcile-unrealized-casts,canonicalize),tessel-gpu-serialize{chip=sm_90})' | FileCheck %s --check-prefix=PTX90

// MATH-LABEL: gpu.func @k
// MATH-NOT: math.exp
// MATH: llvm.call_intrinsic "llvm.sqrt.f32"
// MATH: llvm.call_intrinsic "llvm.floor.f32"
// MATH: llvm.call_intrinsic "llvm.trunc.f32"
// remf = x - trunc(x / y) * y, but x itself when y is infinite and x finite
// (fmod's definition; the expansion alone gives NaN from 0 * inf).
// MATH: %[[AY:.*]] = llvm.call_intrinsic "llvm.fabs.f32"
// MATH-NEXT: %[[AX:.*]] = llvm.call_intrinsic "llvm.fabs.f32"
// MATH-NEXT: %[[YINF:.*]] = arith.cmpf oeq, %[[AY]], %{{.*}} : f32
// MATH-NEXT: %[[XFIN:.*]] = arith.cmpf olt, %[[AX]], %{{.*}} : f32
// MATH-NEXT: %[[KEEP:.*]] = arith.andi %[[YINF]], %[[XFIN]] : i1
// MATH-NEXT: arith.select %[[KEEP]]
// MATH: arith.truncf %{{.*}} : f32 to f16
// MATH-NOT: math.
// MATH-NOT: arith.remf

// NVVM-LABEL: llvm.func @k
// NVVM-SAME: nvvm.kernel
// NVVM: nvvm.read.ptx.sreg.tid.x
// NVVM-NOT: llvm.call @__nv_
// NVVM-NOT: gpu.

// PTX80: gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">, assembly = "{{.*}}.target sm_80{{.*}}.visible .entry k({{.*}}sqrt.rn.f32{{.*}}cvt.rmi.f32.f32{{.*}}"
// PTX90: gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90">, assembly = "{{.*}}.version 7.8\0A.target sm_90{{.*}}.visible .entry k(
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%p: memref<64xf32>, %h: memref<64xf16>) kernel {
      %t = gpu.thread_id x
      %x = memref.load %p[%t] : memref<64xf32>
      %e = math.exp %x : f32
      %s = math.sqrt %e : f32
      %f = math.floor %s : f32
      %r = arith.remf %f, %x : f32
      memref.store %r, %p[%t] : memref<64xf32>
      %y = memref.load %h[%t] : memref<64xf16>
      %ty = math.tanh %y : f16
      memref.store %ty, %h[%t] : memref<64xf16>
      gpu.return
    }
  }
}
