//===- Planner.h - Tiling, VTCM residency and memory allocation ---*- C++
//-*-===//
//
// Planning a LayerGraph for a chip:
//
//  1. Residency (layer fusion in VTCM): an intermediate tensor whose
//     producer and consumers can all work on it in place stays in VTCM for
//     its whole life instead of going to DDR and back, the way TPU-MLIR's
//     layer groups and Vela's cascades keep intermediates on chip. Tensors
//     that the chip's alignment rules would otherwise make unusable get a
//     padded row pitch.
//  2. Tiling: every layer's tile plan minimizes the cost model's cycles
//     among the plans whose working set fits what VTCM has left next to the
//     resident tensors and the next layer's prefetched weights.
//  3. Allocation: resident tensors and tile buffers are packed into VTCM by
//     their live ranges (in half-layer steps: prefetched weights live
//     through the whole previous layer, whose first compute instruction
//     they are loaded after; --dealloc-delay extends every range), largest
//     first.
//     When the packing does not fit, the largest resident tensor at the
//     fullest moment goes back to DDR and planning repeats.
//  4. DDR: non-resident intermediates get DDR scratch by live ranges too.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_PLANNER_H
#define TESSEL_TARGET_NPU_CODEGEN_PLANNER_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Codegen/Plan.h"

#include <string>
#include <vector>

namespace tessel::npu::cg {

struct PlanOptions {
  uint32_t cores = 1;           ///< --cores: cores one instance uses.
  uint32_t maxChannelCores = 1; ///< --mos: cores an output-channel range
                                ///< is split across.
  uint32_t overlapSplit = 1;    ///< --ols: at least this many tiles.
  uint64_t splitBytes = 0;      ///< --split-size: largest tile buffer.
  double vtcmLimitPercent = 100;
  uint32_t deallocDelay = 0; ///< --dealloc-delay, in layers.
  bool multicastWeights = false;
  bool residency = true; ///< Keep intermediates in VTCM.
  /// Every layer as one tile on one core (the simplest schedule; a
  /// reference for the tiled ones, and --npu-whole-layers).
  bool wholeLayers = false;
  /// "exhaustive" (every candidate of the tile lattice: optimal within the
  /// cost model), "heuristic" (candidates by decreasing tile size, the best
  /// of the first few that fit), or "auto": exhaustive until the planning
  /// has used `searchBudgetMs`, heuristic for the remaining layers. Each
  /// layer's TilePlan::solver says which was used.
  std::string solver = "auto";
  double searchBudgetMs = 5000;

  // Where things go in the DDR arena.
  uint64_t weightsBase = 0;    ///< The weight image.
  uint64_t ddrScratchBase = 0; ///< First byte of scratch for activations.
};

struct LayerPlanReport {
  std::string layer;
  std::string solver;
  size_t candidates = 0;
  uint64_t cycles = 0;
  uint64_t ddrBytes = 0;
  uint64_t macs = 0;
  uint64_t vtcmBytes = 0;
  uint64_t budget = 0;
};

struct PlanReport {
  std::vector<LayerPlanReport> layers;
  size_t residentTensors = 0;
  size_t ddrTensors = 0;
  uint64_t residentBytes = 0;
  unsigned evictions = 0;
  double z3Ms = 0;
};

/// Plans `graph`. Inputs and outputs of the graph (Tensor::isInput/isOutput)
/// must already have DDR placements in `ioPlacements` (indexed by tensor;
/// other entries are ignored). `residency` (by tensor: `vtcm` set for the
/// intermediates to try keeping in VTCM) defaults to initialResidency.
StatusOr<NpuPlan> planGraph(const ChipModel &chip, const LayerGraph &graph,
                            const std::vector<Placement> &ioPlacements,
                            const PlanOptions &options,
                            PlanReport *report = nullptr,
                            const std::vector<Placement> *residency = nullptr);

/// Stage 1 alone: the intermediates that may stay in VTCM (eligible, and
/// at most half the budget), by tensor.
std::vector<Placement> initialResidency(const ChipModel &chip,
                                        const LayerGraph &graph,
                                        const PlanOptions &options);

/// Stages 3 and 4 alone, for a plan whose tiles and residency (the `vtcm`
/// flags of plan.placements) are decided: fills the VTCM addresses of the
/// resident tensors and the layers' buffers, the DDR scratch, vtcmPeak and
/// ddrScratchBytes. Fails when the packing does not fit the budget.
Status allocateMemory(const ChipModel &chip, const LayerGraph &graph,
                      const std::vector<Placement> &ioPlacements,
                      const PlanOptions &options, NpuPlan &plan);

/// Live ranges and addresses of the VTCM allocation, for checking it.
struct AllocItem {
  std::string name;
  uint64_t addr = 0, bytes = 0;
  int64_t begin = 0, end = 0; ///< Inclusive half-layer steps.
};
std::vector<AllocItem> vtcmAllocation(const ChipModel &chip,
                                      const LayerGraph &graph,
                                      const NpuPlan &plan,
                                      const PlanOptions &options);

/// Proves with z3 that no two simultaneously live items overlap and all
/// lie below `limit` (returns the counterexample otherwise); "z3
/// unavailable" without z3.
Status proveNoOverlap(const std::vector<AllocItem> &items, uint64_t limit);

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_PLANNER_H
