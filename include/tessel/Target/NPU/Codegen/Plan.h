//===- Plan.h - Tiling, placement and weight-packing decisions ---*- C++
//-*-===//
//
// What the planning stages decide about a LayerGraph, in plain structs that
// the MLIR passes record as attributes and the emitter reads back:
//
//  - TilePlan (per layer): tile sizes, loop order and core split, with the
//    working set and the cost model's estimate; `solver` says how it was
//    chosen (exhaustive search, z3, heuristic).
//  - Placement (per tensor): DDR (arena offset) or VTCM (offset, row pitch)
//    for activations; constants live in the weight image.
//  - LayerBuffers (per layer): the VTCM addresses of its tile buffers.
//  - WeightImage: the packed weight section and where each constant (and
//    each packed weight tile of a conv/matmul) lies in it.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_PLAN_H
#define TESSEL_TARGET_NPU_CODEGEN_PLAN_H

#include "tessel/Target/NPU/Codegen/LayerGraph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::npu::cg {

/// The tile sizes of one layer. Meaning by kind:
///   conv, pool:          rows = output rows (of one image), cols = output
///                        channels (conv; pool: channels) per tile;
///   matmul:              rows = rows of A (within one batch), cols = N;
///   eltwise, act, convert: rows of the [rows][cols] view, cols = columns;
///   reduce:              rows = `outer` indices, cols = `inner` indices;
///   transpose, concat, slice, pad: no tiles (whole tensors).
/// 0 means "all".
struct TilePlan {
  int64_t rows = 0;
  int64_t cols = 0;
  /// conv/matmul with several weight tiles: true = each weight tile loads
  /// once and the inputs stream past it; false = each input tile loads once
  /// and the weight tiles stream past it.
  bool weightsOuter = true;
  /// Cores this layer runs on, and how many of them split the output
  /// channels (the rest split the rows).
  uint32_t cores = 1;
  uint32_t channelCores = 1;
  /// conv/matmul weights shared by the cores are loaded once and multicast.
  bool multicastWeights = false;

  // What the cost model says about this choice.
  uint64_t vtcmBytes = 0; ///< Working set, all buffers, per core.
  uint64_t estCycles = 0;
  uint64_t estDdrBytes = 0;
  uint64_t numTiles = 0;
  std::string solver; ///< "exhaustive", "z3-optimal", "heuristic", ...

  bool operator==(const TilePlan &o) const {
    return rows == o.rows && cols == o.cols && weightsOuter == o.weightsOuter &&
           cores == o.cores && channelCores == o.channelCores &&
           multicastWeights == o.multicastWeights;
  }
};

/// Where an activation tensor lives.
struct Placement {
  bool vtcm = false;
  uint64_t addr = 0;  ///< DDR arena offset, or VTCM offset (every core).
  uint64_t pitch = 0; ///< Bytes between rows (0: dense).
  /// With a pitch: rows are the indices of the first `rowDims` dims, a row
  /// holds the rest (dense).
  int rowDims = 0;
};

/// A VTCM buffer a layer asks for.
struct BufferReq {
  std::string role; ///< "in0", "out1", "wt0", ...
  uint64_t bytes = 0;
  uint32_t align = 1;
  /// Live from the middle of the previous layer (constants prefetched while
  /// it runs) rather than from the start of this one.
  bool early = false;
};

/// A packed weight tile of a conv or matmul: the weights of one output
/// channel range in the matrix engine's layout, then its requant table
/// entries, then its float bias, each aligned.
struct PackedTile {
  uint64_t offset = 0; ///< In the weight image.
  uint64_t bytes = 0;  ///< The whole tile (one DMA).
  uint64_t weightBytes = 0;
  uint64_t tableOffset = 0; ///< From `offset` (0 bytes if none).
  uint64_t biasOffset = 0;
};

struct WeightImage {
  std::vector<uint8_t> bytes;
  /// Per tensor: its offset in the image (constants read as they are), or
  /// -1.
  std::vector<int64_t> constOffset;
  /// Per layer: its packed tiles by output-channel tile (conv, matmul with
  /// constant B).
  std::vector<std::vector<PackedTile>> layerTiles;
};

/// Everything the emitter needs to know.
struct NpuPlan {
  std::vector<TilePlan> tiles;                ///< Per layer.
  std::vector<Placement> placements;          ///< Per tensor.
  std::vector<std::vector<uint64_t>> buffers; ///< Per layer, per req.
  WeightImage weights;
  uint64_t weightsBase = 0; ///< Arena offset the weight image is mapped at.
  uint64_t vtcmPeak = 0;    ///< Highest VTCM byte used + 1.
  uint64_t ddrScratchBytes = 0;
};

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_PLAN_H
