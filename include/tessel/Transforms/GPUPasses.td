//===- GPUPasses.td - The GPU back end's passes ------------*- tablegen -*-===//
//
// The order they run in, and why, is in lib/Transforms/Pipelines.cpp
// (tessel-lower-to-gpu); docs/gpu.md describes each stage.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TRANSFORMS_GPUPASSES
#define TESSEL_TRANSFORMS_GPUPASSES

include "mlir/Pass/PassBase.td"

def GPUFuseElementwise : Pass<"tessel-gpu-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops into elementwise consumers only";
  let description = [{
    Upstream `linalg-fuse-elementwise-ops` (producers with one use fused
    into their consumers, reshapes folded by expansion, constant folding),
    except that the consumer must have parallel loops only: an elementwise
    producer of a matmul or convolution stays its own kernel, so that the
    contraction keeps the plain form tessel-gpu-distribute tiles into
    shared memory and tensor-core instructions.

    ```mlir
    // add -> relu -> matmul: add and relu fuse into one generic; the
    // matmul's generic keeps `mulf` + `addf` as its body.
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect"];
}

def GPUPlanMemory : Pass<"tessel-gpu-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place inputs, outputs and intermediates in one device arena";
  let description = [{
    Runs on bufferized IR after buffer-results-to-out-params and weight
    externalization. `@main(inputs..., outputs..., weights)` becomes
    `@main(arena, weights)`: the inputs and outputs are views into the
    arena at 64-byte aligned offsets from 0 (recorded in `tessel.io`), and
    every `memref.alloc` becomes a view at an offset after them, chosen so
    that buffers whose lifetimes overlap never share bytes (first fit,
    largest first). Deallocations go away. The module gets
    `tessel.io_size` (bytes of inputs and outputs) and `tessel.arena_size`
    (the whole device arena).

    ```mlir
    %0 = memref.alloc() : memref<4x8xf32>
    // becomes
    %c64 = arith.constant 64 : index
    %0 = memref.view %arena[%c64][] : memref<192xi8> to memref<4x8xf32>
    ```
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def GPUDistribute : Pass<"tessel-gpu-distribute", "mlir::ModuleOp"> {
  let summary = "Distribute every computation of @main over GPU blocks and threads";
  let description = [{
    Every linalg op of `@main` (on buffers) becomes an `scf.forall` over
    blocks (`#gpu.block<...>`) holding an `scf.forall` over threads
    (`#gpu.thread<...>`), the form tessel-gpu-map-forall turns into
    `gpu.launch`.

    - Contractions (matmul, batch matmul, convolution as an implicit GEMM)
      of at least `min-gemm` in each of M, N and K are tiled: a block
      computes a 64x64 output tile, staging the K-slices of both operands
      in workgroup (shared) memory; f32 and integer contractions run on
      SIMT threads (4x4 outputs each), f16/bf16 with f32 accumulation on
      tensor cores (`nvvm.mma.sync` m16n8k16) when `tensor-cores` is set.
    - Everything else runs one thread per point of the op's parallel
      iteration space (linearized, `block-size` threads per block), looping
      over the reduction dimensions with the accumulators in registers.

    Ops other than linalg ops that write memory run in a one-thread kernel;
    anything that would leave a value on the host fails the pass.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block of the one-thread-per-point kernels">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "Use tensor cores (mma.sync) for f16/bf16 contractions">,
    Option<"minGemm", "min-gemm", "int64_t", "16",
           "Smallest M, N and K a contraction needs to be tiled">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::gpu::GPUDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::NVVM::NVVMDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GPUMapForall : Pass<"tessel-gpu-map-forall", "mlir::ModuleOp"> {
  let summary = "Turn block- and thread-mapped scf.forall nests into gpu.launch";
  let description = [{
    Each top-level `scf.forall` mapped to `#gpu.block<x|y|z>` becomes a
    `gpu.launch` whose grid is its trip counts and whose block is the
    largest of the thread-mapped `scf.forall` ops it holds; those are
    mapped by upstream MLIR's `mapNestedForallToThreadsImpl` (the transform
    dialect's `map_nested_forall_to_threads`): predicated where they have
    fewer iterations than the block, followed by a barrier. Workgroup
    memory allocations become the launch's workgroup attributions.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect"];
}

def GPUSinkIntoLaunch : Pass<"tessel-gpu-sink-into-launch", "mlir::ModuleOp"> {
  let summary = "Clone the views and constants a launch uses into its body";
  let description = [{
    Before kernel outlining: every side-effect-free op defined outside a
    `gpu.launch` whose result the launch uses (constants, index arithmetic,
    `memref.view`/`subview`/reshapes of the arena and the weights) is
    cloned into the body, so that the outlined kernels take only the base
    pointers of the device arena and the weights.
  }];
}

def GPUMergeModules : Pass<"tessel-gpu-merge-modules", "mlir::ModuleOp"> {
  let summary = "Put every outlined kernel in one gpu.module";
  let description = [{
    After gpu-kernel-outlining (one `gpu.module` per kernel): the kernels
    move into one module, `@tessel_kernels`, and the launches follow. The
    runtime then JIT-compiles one PTX module per model, and `ptxas` checks a
    model's kernels in one call. Identical kernels (the same body, e.g. the
    repeated blocks of a ResNet) are kept once. Helper functions the kernels
    share (integer powers) are kept once.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GPULowerMath : Pass<"tessel-gpu-lower-math"> {
  let summary = "Expand math ops the NVPTX back end cannot lower by itself";
  let description = [{
    Runs on the kernels' modules before the NVVM conversion. exp, log,
    tanh, erf, sin, cos (and the ops built from them) become MLIR's
    polynomial approximations in f32 (f16 and bf16 are computed in f32,
    f64 in f32 as well: the kernels call no device library, so the PTX is
    the same whether or not a CUDA toolkit is installed); powf expands to
    exp/log with the sign of negative bases with odd integer exponents;
    what is left (sqrt, fabs, floor, ceil, rounding, copysign, fma) maps
    to LLVM intrinsics that NVPTX selects directly.
  }];
  let dependentDialects = ["mlir::math::MathDialect", "mlir::arith::ArithDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GPUSerialize : Pass<"tessel-gpu-serialize", "mlir::ModuleOp"> {
  let summary = "Translate the NVVM kernel modules to PTX";
  let description = [{
    Each `gpu.module` (lowered to the LLVM and NVVM dialects) is translated
    to LLVM IR, optimized, and compiled to PTX by LLVM's NVPTX back end for
    `chip`; the module is replaced by a `gpu.binary` holding the PTX as an
    `assembly` object for `#nvvm.target<chip = ...>`, the same form as
    upstream `gpu-module-to-binary{format=isa}` produces (but without
    looking for a CUDA toolkit or libdevice, so the output does not depend
    on the machine).
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"",
           "The GPU architecture: sm_80 or sm_90">,
    Option<"optLevel", "opt-level", "unsigned", "3",
           "LLVM optimization level for the kernels">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::NVVM::NVVMDialect"];
}

#endif // TESSEL_TRANSFORMS_GPUPASSES
