//===- Packing.h - Weights in the order and layout the schedule reads -*- C++
//-*-===//
//
// Conv and matmul weights are packed offline into the matrix engine's
// layout, one contiguous tile per output-channel range of the layer's tile
// plan, in the order the schedule loads them: [tile 0 | tile 1 | ...], each
// tile holding
//
//   weights  [cout_t][kh][kw][cin/groups] (conv) or [n_t][k] (matmul; a
//            [k][n] constant is transposed here), aligned to align.weight
//   table    cout_t requant entries {i64 bias, i32 M, i32 s} (16-aligned)
//   bias     cout_t float biases (float epilogues), aligned to align.vector
//
// so that one DMA brings everything a tile needs. Every other constant
// (lookup tables, convert tables, constant operands) is stored as is. Tiles
// and constants start on 64-byte boundaries (whole DDR bursts).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_PACKING_H
#define TESSEL_TARGET_NPU_CODEGEN_PACKING_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Codegen/Plan.h"

namespace tessel::npu::cg {

/// The layout (offsets from the tile's start) of a packed tile of `count`
/// output channels of `layer` (conv or matmul with a constant B).
PackedTile packedTileLayout(const ChipModel &chip, const LayerGraph &graph,
                            const Layer &layer, int64_t count);
/// Alignment of a packed tile's VTCM buffer.
uint32_t packedTileAlign(const ChipModel &chip);

/// Whether a layer's weights are packed in tiles (conv, matmul with a
/// constant B).
bool hasPackedWeights(const LayerGraph &graph, const Layer &layer);

/// Packs every constant and every layer's weight tiles for `plans`.
StatusOr<WeightImage> packWeights(const ChipModel &chip,
                                  const LayerGraph &graph,
                                  const std::vector<TilePlan> &plans);

/// The dense weights ([Co][Kh][Kw][Cg] for conv, [N][K] for matmul) read
/// back from a packed image (the inverse of packing, for tests).
StatusOr<std::vector<uint8_t>> unpackWeights(const ChipModel &chip,
                                             const LayerGraph &graph,
                                             const WeightImage &image,
                                             size_t layerIndex,
                                             const TilePlan &plan);

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_PACKING_H
