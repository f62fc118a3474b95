//===- Pipelines.h - Tessel's named pass pipelines --------------*- C++ -*-===//
//
// The pipelines `tessel-compile` runs, registered by name so that
// `tessel-opt --pass-pipeline='builtin.module(tessel-graph-optimize{...})'`
// replays them (and `--mlir-print-ir-after-all` shows each stage).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TRANSFORMS_PIPELINES_H
#define TESSEL_TRANSFORMS_PIPELINES_H

#include "tessel/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace tessel {

struct GraphOptimizeOptions
    : public mlir::PassPipelineOptions<GraphOptimizeOptions> {
  Option<graph::Layout> layout{
      *this, "layout",
      llvm::cl::desc("Layout of the optimized graph's convs and pools"),
      llvm::cl::init(graph::Layout::NCHW),
      llvm::cl::values(
          clEnumValN(graph::Layout::NCHW, "nchw",
                     "channels first (as imported)"),
          clEnumValN(graph::Layout::NHWC, "nhwc", "channels last"))};
  Option<int64_t> foldBudget{
      *this, "fold-budget",
      llvm::cl::desc("Largest op (operand plus result elements) that "
                     "graph-fold-constants evaluates"),
      llvm::cl::init(int64_t(1) << 25)};
};

/// tessel-graph-optimize: the hardware-independent optimizer. The stages and
/// the reasons for their order are in Pipelines.cpp.
void buildGraphOptimizePipeline(mlir::OpPassManager &pm,
                                const GraphOptimizeOptions &options);

/// The stages of the CPU lowering, in order.
enum class CPUStage {
  Linalg,     ///< graph -> linalg/tensor (and micro-kernel calls), fused.
  Bufferized, ///< memrefs, micro-kernel calls, the host entry, the weights.
  LLVM,       ///< the LLVM dialect, ready for translation.
};

/// Appends the passes of one CPU stage (the stages before it must have run).
void buildCPUStage(mlir::OpPassManager &pm, CPUStage stage);

/// tessel-lower-to-cpu: the CPU lowering of an optimized `graph` module up
/// to and including `stopAfter`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      CPUStage stopAfter = CPUStage::LLVM);

/// Registers the named pipelines with the pass registry.
void registerPipelines();

} // namespace tessel

#endif // TESSEL_TRANSFORMS_PIPELINES_H
