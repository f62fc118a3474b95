//===- Lowering.h - Layers to tiled instruction sequences --------*- C++
//-*-===//
//
// For every layer kind, four functions that must agree with each other:
//
//   candidateTiles  the tile plans worth considering (the search space);
//   layerBuffers    the VTCM buffers a plan needs (double-buffered slots);
//   layerCost       the cost model's estimate for a plan (cycles, DDR bytes)
//                   from the chip's cost functions (CostModel.h);
//   lowerLayer      the instructions, in program order, for a plan with
//                   allocated buffers and placed tensors.
//
// The program order software-pipelines the tiles: the loads of tile i+1 come
// before the compute of tile i, its stores after, and the tile buffers
// alternate between two slots, so that once Sync.h has inserted the waits
// the DMA engine fills one slot while the matrix or vector engine works on
// the other. Constant loads of a layer's first tile go to its `prologue`,
// which the emitter places inside the previous layer (weight prefetch).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_LOWERING_H
#define TESSEL_TARGET_NPU_CODEGEN_LOWERING_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Codegen/Plan.h"
#include "tessel/Target/NPU/Codegen/Sync.h"

#include <vector>

namespace tessel::npu::cg {

/// What planning knows about a layer's neighbourhood.
struct PlanContext {
  const ChipModel &chip;
  const LayerGraph &graph;
  const Layer &layer;
  /// Per tensor; during tiling only `vtcm`, `pitch` and `rowDims` matter.
  const std::vector<Placement> &placements;
  /// The most cores the layer may use, and how many of them may split
  /// output channels (--mos).
  uint32_t maxCores = 1;
  uint32_t maxChannelCores = 1;
  bool multicastWeights = false;
  /// Largest tile buffer in bytes (--split-size; 0: no limit).
  uint64_t splitBytes = 0;
  /// At least this many row tiles per image when possible (--ols).
  uint32_t overlapSplit = 1;

  const Placement &placementOf(TensorId id) const {
    return placements[graph.storageOf(id)];
  }
};

struct LayerCost {
  uint64_t cycles = 0;
  uint64_t ddrBytes = 0;
  uint64_t macs = 0;
  uint64_t tiles = 0;
};

/// The search space of a layer (every plan listed satisfies the alignment
/// and instruction-field limits; the VTCM budget is checked by the caller).
std::vector<TilePlan> candidateTiles(const PlanContext &ctx);
std::vector<BufferReq> layerBuffers(const PlanContext &ctx,
                                    const TilePlan &plan);
LayerCost layerCost(const PlanContext &ctx, const TilePlan &plan);
/// Total bytes of layerBuffers (each aligned).
uint64_t workingSet(const std::vector<BufferReq> &buffers);

struct LowerContext {
  const ChipModel &chip;
  const LayerGraph &graph;
  const NpuPlan &plan;
  size_t layerIndex = 0;
  int32_t mark = -1; ///< StepProgram layer index for the profile.
};

/// A layer's instructions per core: `prologue` (constant loads that may run
/// during the previous layer) and `body`.
struct LayerSteps {
  std::vector<std::vector<Step>> prologue, body; ///< By core.
  /// The VTCM ranges [begin, end) the prologue may write: the layer's
  /// buffers marked `early` (the allocator keeps them live through the
  /// previous layer).
  std::vector<std::pair<uint64_t, uint64_t>> earlyRanges;
};

Status lowerLayer(const LowerContext &ctx, LayerSteps &out);

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_LOWERING_H
