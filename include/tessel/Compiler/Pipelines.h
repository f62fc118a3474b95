//===- Pipelines.h - Tessel's back-end pass pipelines -----------*- C++ -*-===//
//
// Every back end's pipeline is built here, in one place, with the reason for
// each stage's position (see Pipelines.cpp); `tessel-opt` registers the same
// builders as named pipelines so that what tessel-compile runs can be
// replayed pass by pass.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_COMPILER_PIPELINES_H
#define TESSEL_COMPILER_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace tessel {

/// The stages of the CPU lowering, in order.
enum class CPUStage {
  Linalg,     ///< graph -> linalg/tensor, fused elementwise ops.
  Bufferized, ///< memrefs, the host entry, weights externalized.
  LLVM,       ///< the LLVM dialect, ready for translation.
};

/// Appends the passes of one CPU stage (the stages before it must have
/// run).
void buildCPUStage(mlir::OpPassManager &pm, CPUStage stage);

/// Appends the CPU lowering of a `graph` module up to and including
/// `stopAfter`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      CPUStage stopAfter = CPUStage::LLVM);

/// Registers `tessel-lower-to-cpu` (and the other named pipelines).
void registerPipelines();

} // namespace tessel

#endif // TESSEL_COMPILER_PIPELINES_H
