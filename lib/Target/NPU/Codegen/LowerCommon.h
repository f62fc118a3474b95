//===- LowerCommon.h - Shared pieces of the layer lowerings ------*- C++
//-*-===//
#ifndef TESSEL_LIB_TARGET_NPU_CODEGEN_LOWERCOMMON_H
#define TESSEL_LIB_TARGET_NPU_CODEGEN_LOWERCOMMON_H

#include "tessel/Target/NPU/Codegen/Lowering.h"
#include "tessel/Target/NPU/CostModel.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tessel::npu::cg::detail {

inline uint64_t alignUp(uint64_t v, uint64_t a) {
  return a <= 1 ? v : (v + a - 1) / a * a;
}
inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The distinct tile sizes that split `n` into 1, 2, ... pieces, largest
/// first (ceil(n / k) for every k).
std::vector<int64_t> tileSizes(int64_t n);
/// n, then for every tile count k >= 2 the balanced size ceil(n / k) rounded
/// up to a multiple of `granule` (distinct, largest first).
std::vector<int64_t> granuleSizes(int64_t n, int64_t granule);

/// Cycles the DMA engine needs for `bytes` in `transfers` transfers at the
/// lower of its own and the DDR bandwidth (the first transfer's latency is
/// the caller's business).
uint64_t dmaCycles(const ChipModel &chip, uint64_t bytes, uint64_t transfers,
                   bool touchesDdr = true);

/// A 2-D transfer of `rows` rows of `rowBytes` bytes (collapsed into one row
/// when both sides are contiguous). Strides 0 mean dense.
DmaInstr dmaInstr(DmaDir dir, uint64_t src, uint64_t dst, uint64_t rows,
                  uint64_t rowBytes, uint64_t srcStride = 0,
                  uint64_t dstStride = 0);

/// One tile's instructions, grouped for software pipelining.
struct TileTask {
  std::vector<Instr> constLoads; ///< Weights, tables (may be prefetched).
  std::vector<Instr> loads;      ///< Activations.
  std::vector<Instr> compute;    ///< Matrix and vector engine work.
  std::vector<Instr> stores;
  /// All cores meet at a barrier before this task's constant loads (a
  /// multicast weight tile may overwrite a slot only when every core of
  /// its group is done with the tile it held).
  bool barrierBefore = false;
};

/// Adds weight tile load `d` to task `t`. With multicast, the group's
/// first core (`leader`) loads the tile into every core of `groupMask` with
/// a remote token on kWeightTokenSemaphore + layer parity; every core waits
/// for the token before its first compute with the tile and, but for the
/// first tile, meets the other cores at a barrier before the load (the slot
/// it overwrites must be free on every core).
void addWeightLoad(TileTask &t, DmaInstr d, bool multicast, uint32_t groupMask,
                   size_t layerIndex, bool leader, bool firstTile);

/// Emits the tasks of one core in software-pipelined order: loads(0), then
/// for every i: loads(i+1), compute(i), stores(i). With `prologue`, the
/// first tile's constant loads go to the layer's prologue.
void pipelineTasks(std::vector<TileTask> &tasks, uint32_t core, int32_t mark,
                   bool prologue, LayerSteps &out);

/// Per-layer helpers over the plan.
struct LayerEnv {
  const LowerContext &ctx;
  const Layer &layer;
  const TilePlan &tiles;
  std::vector<BufferReq> reqs;
  const std::vector<uint64_t> &addrs;

  LayerEnv(const LowerContext &c, const PlanContext &pc);
  /// The VTCM address of the buffer `role`; fails if it was not requested.
  StatusOr<uint64_t> buffer(const std::string &role) const;
  bool hasBuffer(const std::string &role) const;
  /// The addresses of buffers `name`0 and `name`1 (slot 1 = slot 0 when
  /// there is one; nothing when `use` is false).
  Status slots(const std::string &name, bool use, uint64_t (&out)[2]) const;
  const Placement &place(TensorId id) const {
    return ctx.plan.placements[ctx.graph.storageOf(id)];
  }
  /// DDR address of a constant's bytes (the weight image is mapped at
  /// plan.weightsBase).
  uint64_t constAddr(TensorId id) const {
    return ctx.plan.weightsBase + ctx.plan.weights.constOffset[id];
  }
  /// The address of byte `offset` of an activation (dense in DDR).
  uint64_t ddrAddr(TensorId id, uint64_t offset) const {
    return place(id).addr + offset;
  }
};

/// The placement (dense, unless pitched by the planner) viewed as rows of
/// `rowDims` leading dims: bytes between rows.
uint64_t rowPitch(const Tensor &t, const Placement &p, int rowDims);

/// Checks that an address fits the 32-bit offset fields.
Status checkAddr(uint64_t a, const Layer &l);

// The per-kind implementations (LowerConv.cpp, LowerMatmul.cpp, ...).
std::vector<TilePlan> convCandidates(const PlanContext &ctx);
std::vector<BufferReq> convBuffers(const PlanContext &ctx, const TilePlan &p);
LayerCost convCost(const PlanContext &ctx, const TilePlan &p);
Status lowerConv(const LowerContext &ctx, const PlanContext &pc,
                 LayerSteps &out);

std::vector<TilePlan> matmulCandidates(const PlanContext &ctx);
std::vector<BufferReq> matmulBuffers(const PlanContext &ctx, const TilePlan &p);
LayerCost matmulCost(const PlanContext &ctx, const TilePlan &p);
Status lowerMatmul(const LowerContext &ctx, const PlanContext &pc,
                   LayerSteps &out);

std::vector<TilePlan> vectorCandidates(const PlanContext &ctx);
std::vector<BufferReq> vectorBuffers(const PlanContext &ctx, const TilePlan &p);
LayerCost vectorCost(const PlanContext &ctx, const TilePlan &p);
Status lowerVector(const LowerContext &ctx, const PlanContext &pc,
                   LayerSteps &out);

std::vector<TilePlan> moveCandidates(const PlanContext &ctx);
std::vector<BufferReq> moveBuffers(const PlanContext &ctx, const TilePlan &p);
LayerCost moveCost(const PlanContext &ctx, const TilePlan &p);
Status lowerMove(const LowerContext &ctx, const PlanContext &pc,
                 LayerSteps &out);

} // namespace tessel::npu::cg::detail

#endif // TESSEL_LIB_TARGET_NPU_CODEGEN_LOWERCOMMON_H
