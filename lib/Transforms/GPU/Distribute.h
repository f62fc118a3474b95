//===- Distribute.h - Building blocks of tessel-gpu-distribute --*- C++ -*-===//
//
// Shared by the kernel builders: the block/thread scf.forall nest, the
// scalar body of a linalg.generic at one point, and the description of a
// contraction (matmul, convolution) as a GEMM.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_TRANSFORMS_GPU_DISTRIBUTE_H
#define TESSEL_LIB_TRANSFORMS_GPU_DISTRIBUTE_H

#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"

namespace tessel::gpudist {

using BodyFn =
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// scf.forall over `grid` (1 to 3 dims, mapped to #gpu.block<x>, <y>, <z>).
mlir::scf::ForallOp buildBlockForall(mlir::OpBuilder &b, mlir::Location loc,
                                     llvm::ArrayRef<int64_t> grid, BodyFn body);
/// scf.forall over `threads` (1 to 3 dims, mapped to #gpu.thread<x>, ...).
mlir::scf::ForallOp buildThreadForall(mlir::OpBuilder &b, mlir::Location loc,
                                      llvm::ArrayRef<int64_t> threads,
                                      BodyFn body);

/// Index constant.
mlir::Value cst(mlir::OpBuilder &b, mlir::Location loc, int64_t v);

/// The values of an indexing map's results at `ivs` (the op's loop
/// induction values).
llvm::SmallVector<mlir::Value> applyMap(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::AffineMap map,
                                        mlir::ValueRange ivs);

/// The body of `op` with its block arguments bound to `args` (null for
/// arguments the body does not use) and linalg.index to `ivs`; returns the
/// yielded values.
llvm::SmallVector<mlir::Value> cloneBody(mlir::OpBuilder &b,
                                         mlir::linalg::GenericOp op,
                                         mlir::ValueRange args,
                                         mlir::ValueRange ivs);

/// Emits what `op` computes at the point of its parallel loops given by
/// `parallelIvs` (in loop order): reads the inputs, loops over the
/// reduction dims with the outputs' values as loop-carried accumulators,
/// and stores the outputs once.
mlir::LogicalResult emitPointBody(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::linalg::GenericOp op,
                                  mlir::ValueRange parallelIvs);

/// One thread per point of the op's parallel iteration space.
mlir::LogicalResult distributePointwise(mlir::RewriterBase &rewriter,
                                        mlir::linalg::GenericOp op,
                                        int64_t blockSize);

/// Runs `op` (which writes memory and produces no value) in a kernel of
/// one thread.
void distributeSingleThread(mlir::RewriterBase &rewriter,
                            mlir::Operation *op);

/// A contraction `out[...] += ext(A[...]) * ext(B[...])` seen as a batch
/// of GEMMs: the loops split into batch, M, N and K groups (each
/// linearized in loop order), A reads (m, k), B reads (k, n).
struct Contraction {
  mutable mlir::linalg::GenericOp op;
  unsigned lhs = 0, rhs = 1; ///< Input operand numbers of A and B.
  llvm::SmallVector<unsigned> batchDims, mDims, nDims, kDims;
  int64_t batch = 1, m = 1, n = 1, k = 1;
  mlir::Type lhsType, rhsType, accType; ///< Element types.
  /// The op's indexing maps, with the trivial group divisions of an
  /// ungrouped convolution folded away.
  llvm::SmallVector<mlir::AffineMap> maps;
  bool isFloat = true;
};

/// Recognizes a contraction; fails if the op is not one (or the loops do
/// not split cleanly, e.g. grouped convolutions).
mlir::FailureOr<Contraction> matchContraction(mlir::linalg::GenericOp op);

/// Tiled GEMM on SIMT threads: 64x64 output tiles, 256 threads of 4x4.
/// Both fail without touching the IR when the problem does not fit the
/// tiling (the caller then falls back to one thread per point).
mlir::LogicalResult distributeGemmSimt(mlir::RewriterBase &rewriter,
                                       const Contraction &c);
/// Tiled GEMM on tensor cores (mma.sync m16n8k16, f16/bf16 in, f32 acc).
mlir::LogicalResult distributeGemmMma(mlir::RewriterBase &rewriter,
                                      const Contraction &c);

} // namespace tessel::gpudist

#endif // TESSEL_LIB_TRANSFORMS_GPU_DISTRIBUTE_H
