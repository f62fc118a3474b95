//===- Codegen.h - LayerGraph to NPU program, end to end ----------*- C++
//-*-===//
//
//   planGraph (Planner.h)  ->  emitProgram  ->  Program (+ weight image)
//
// emitProgram lowers every layer (Lowering.h), places each layer's constant
// prologue inside the previous layer (after its first compute instruction,
// so the weights of layer i+1 load while layer i computes), separates layers
// with barriers when several cores work, and synchronizes (Sync.h).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_CODEGEN_H
#define TESSEL_TARGET_NPU_CODEGEN_CODEGEN_H

#include "tessel/Target/NPU/Codegen/Planner.h"
#include "tessel/Target/NPU/Codegen/Sync.h"

namespace tessel::npu::cg {

struct EmitOptions {
  /// Load each layer's first weights during the previous layer.
  bool prefetch = true;
};

/// The ordered instructions of every core (before synchronization).
StatusOr<StepProgram> lowerGraph(const ChipModel &chip, const LayerGraph &graph,
                                 const NpuPlan &plan,
                                 const EmitOptions &options = {});

/// lowerGraph + synchronize.
StatusOr<Program> emitProgram(const ChipModel &chip, const LayerGraph &graph,
                              const NpuPlan &plan,
                              const EmitOptions &options = {},
                              SyncStats *stats = nullptr);

struct CompiledSegment {
  NpuPlan plan;
  Program program;
  PlanReport report;
  SyncStats sync;
};

/// planGraph + emitProgram.
StatusOr<CompiledSegment>
compileSegment(const ChipModel &chip, const LayerGraph &graph,
               const std::vector<Placement> &ioPlacements,
               const PlanOptions &planOptions,
               const EmitOptions &emitOptions = {});

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_CODEGEN_H
