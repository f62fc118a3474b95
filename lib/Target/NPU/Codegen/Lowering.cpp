//===- Lowering.cpp - Dispatch and shared helpers of the layer lowerings --===//
#include "LowerCommon.h"
#include "tessel/Target/NPU/Codegen/Sync.h"

namespace tessel::npu::cg {
namespace detail {

std::vector<int64_t> tileSizes(int64_t n) {
  std::vector<int64_t> r;
  for (int64_t k = 1; k <= n; ++k) {
    int64_t t = ceilDiv(n, k);
    if (r.empty() || r.back() != t)
      r.push_back(t);
  }
  return r;
}

std::vector<int64_t> granuleSizes(int64_t n, int64_t granule) {
  std::vector<int64_t> r;
  r.push_back(n);
  if (granule <= 0 || n <= granule)
    return r;
  // One size per tile count: the balanced split into k tiles, rounded up to
  // the granule (a larger size with the same count only adds a remainder).
  // O(sqrt(n / granule)) sizes instead of n / granule (an 800k-element
  // eltwise had 800k candidates).
  int64_t units = ceilDiv(n, granule);
  for (int64_t k = 2; k <= units; ++k) {
    int64_t t = ceilDiv(units, k) * granule;
    if (t < r.back())
      r.push_back(t);
  }
  return r;
}

uint64_t dmaCycles(const ChipModel &chip, uint64_t bytes, uint64_t transfers,
                   bool touchesDdr) {
  double bw = chip.dmaBytesPerCycle;
  if (touchesDdr)
    bw = std::min(bw, chip.ddrBytesPerCycle());
  if (bw <= 0)
    bw = 1;
  // Every transfer also pays at least one DDR burst of rounding.
  uint64_t waste = touchesDdr ? transfers * chip.dmaBurstBytes / 2 : 0;
  return static_cast<uint64_t>((bytes + waste) / bw) + transfers;
}

DmaInstr dmaInstr(DmaDir dir, uint64_t src, uint64_t dst, uint64_t rows,
                  uint64_t rowBytes, uint64_t srcStride, uint64_t dstStride) {
  if (srcStride == 0)
    srcStride = rowBytes;
  if (dstStride == 0)
    dstStride = rowBytes;
  DmaInstr d;
  d.dir = dir;
  d.dtype = DType::I8;
  d.src.offset = static_cast<uint32_t>(src);
  d.dst.offset = static_cast<uint32_t>(dst);
  if (rows > 1 && srcStride == rowBytes && dstStride == rowBytes) {
    rowBytes *= rows;
    rows = 1;
  }
  d.rows = static_cast<uint32_t>(rows);
  d.cols = static_cast<uint32_t>(rowBytes);
  d.srcStride = rows > 1 && srcStride != rowBytes
                    ? static_cast<uint32_t>(srcStride)
                    : kDense;
  d.dstStride = rows > 1 && dstStride != rowBytes
                    ? static_cast<uint32_t>(dstStride)
                    : kDense;
  return d;
}

void addWeightLoad(TileTask &t, DmaInstr d, bool multicast, uint32_t groupMask,
                   size_t layerIndex, bool leader, bool firstTile) {
  if (multicast) {
    auto sem = static_cast<int8_t>(kWeightTokenSemaphore + layerIndex % 2);
    d.coreMask = groupMask;
    d.remoteSignal = true;
    d.sync.signal[1] = sem;
    SyncInstr token;
    token.engine = Engine::Matrix;
    token.sync.wait[0] = sem;
    t.compute.insert(t.compute.begin(), token);
    t.barrierBefore = !firstTile;
  }
  if (!multicast || leader)
    t.constLoads.push_back(d);
}

void pipelineTasks(std::vector<TileTask> &tasks, uint32_t core, int32_t mark,
                   bool prologue, LayerSteps &out) {
  if (tasks.empty())
    return;
  if (out.body.size() <= core)
    out.body.resize(core + 1);
  if (out.prologue.size() <= core)
    out.prologue.resize(core + 1);
  auto put = [&](std::vector<Step> &dst, std::vector<Instr> &src) {
    for (Instr &i : src)
      dst.push_back(Step{std::move(i), mark});
    src.clear();
  };
  std::vector<Step> &body = out.body[core];
  put(prologue ? out.prologue[core] : body, tasks[0].constLoads);
  put(body, tasks[0].loads);
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (i + 1 < tasks.size()) {
      if (tasks[i + 1].barrierBefore)
        body.push_back(Step{BarrierInstr{}, mark});
      put(body, tasks[i + 1].constLoads);
      put(body, tasks[i + 1].loads);
    }
    put(body, tasks[i].compute);
    put(body, tasks[i].stores);
  }
}

LayerEnv::LayerEnv(const LowerContext &c, const PlanContext &pc)
    : ctx(c), layer(c.graph.layers[c.layerIndex]),
      tiles(c.plan.tiles[c.layerIndex]), reqs(layerBuffers(pc, tiles)),
      addrs(c.plan.buffers[c.layerIndex]) {}

bool LayerEnv::hasBuffer(const std::string &role) const {
  for (const BufferReq &r : reqs)
    if (r.role == role)
      return true;
  return false;
}

StatusOr<uint64_t> LayerEnv::buffer(const std::string &role) const {
  for (size_t i = 0; i < reqs.size(); ++i)
    if (reqs[i].role == role) {
      if (i >= addrs.size())
        break;
      return addrs[i];
    }
  return StatusOr<uint64_t>::error("layer '" + layer.name +
                                   "': no VTCM buffer '" + role +
                                   "' was allocated");
}

Status LayerEnv::slots(const std::string &name, bool use,
                       uint64_t (&out)[2]) const {
  if (!use)
    return Status::ok();
  for (int k = 0; k < 2; ++k) {
    std::string role = name + std::to_string(k);
    if (hasBuffer(role)) {
      StatusOr<uint64_t> a = buffer(role);
      if (!a)
        return a.status();
      out[k] = *a;
    } else if (k == 1) {
      out[1] = out[0];
    }
  }
  return Status::ok();
}

uint64_t rowPitch(const Tensor &t, const Placement &p, int rowDims) {
  if (p.pitch && p.rowDims == rowDims)
    return p.pitch;
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(rowDims); d < t.shape.size(); ++d)
    inner *= t.shape[d];
  return static_cast<uint64_t>(inner) * dtypeBytes(t.dtype);
}

Status checkAddr(uint64_t a, const Layer &l) {
  if (a > UINT32_MAX)
    return Status::error("layer '" + l.name + "': address 0x" +
                         std::to_string(a) +
                         " does not fit the 32-bit address fields");
  return Status::ok();
}

} // namespace detail

using namespace detail;

std::vector<TilePlan> candidateTiles(const PlanContext &ctx) {
  switch (ctx.layer.kind) {
  case LayerKind::Conv:
  case LayerKind::Pool:
    return convCandidates(ctx);
  case LayerKind::Matmul:
    return matmulCandidates(ctx);
  case LayerKind::Eltwise:
  case LayerKind::Act:
  case LayerKind::Convert:
  case LayerKind::Reduce:
  case LayerKind::Transpose:
    return vectorCandidates(ctx);
  case LayerKind::Concat:
  case LayerKind::Slice:
  case LayerKind::Pad:
    return moveCandidates(ctx);
  }
  return {};
}

std::vector<BufferReq> layerBuffers(const PlanContext &ctx,
                                    const TilePlan &plan) {
  switch (ctx.layer.kind) {
  case LayerKind::Conv:
  case LayerKind::Pool:
    return convBuffers(ctx, plan);
  case LayerKind::Matmul:
    return matmulBuffers(ctx, plan);
  case LayerKind::Eltwise:
  case LayerKind::Act:
  case LayerKind::Convert:
  case LayerKind::Reduce:
  case LayerKind::Transpose:
    return vectorBuffers(ctx, plan);
  case LayerKind::Concat:
  case LayerKind::Slice:
  case LayerKind::Pad:
    return moveBuffers(ctx, plan);
  }
  return {};
}

LayerCost layerCost(const PlanContext &ctx, const TilePlan &plan) {
  switch (ctx.layer.kind) {
  case LayerKind::Conv:
  case LayerKind::Pool:
    return convCost(ctx, plan);
  case LayerKind::Matmul:
    return matmulCost(ctx, plan);
  case LayerKind::Eltwise:
  case LayerKind::Act:
  case LayerKind::Convert:
  case LayerKind::Reduce:
  case LayerKind::Transpose:
    return vectorCost(ctx, plan);
  case LayerKind::Concat:
  case LayerKind::Slice:
  case LayerKind::Pad:
    return moveCost(ctx, plan);
  }
  return {};
}

uint64_t workingSet(const std::vector<BufferReq> &buffers) {
  uint64_t total = 0;
  for (const BufferReq &b : buffers)
    total = alignUp(total, b.align) + b.bytes;
  return total;
}

Status lowerLayer(const LowerContext &ctx, LayerSteps &out) {
  const Layer &l = ctx.graph.layers[ctx.layerIndex];
  PlanContext pc{ctx.chip, ctx.graph, l, ctx.plan.placements};
  const TilePlan &tp = ctx.plan.tiles[ctx.layerIndex];
  pc.maxCores = tp.cores;
  pc.maxChannelCores = tp.channelCores;
  pc.multicastWeights = tp.multicastWeights;
  {
    std::vector<BufferReq> reqs = layerBuffers(pc, tp);
    const std::vector<uint64_t> &addrs = ctx.plan.buffers[ctx.layerIndex];
    for (size_t r = 0; r < reqs.size() && r < addrs.size(); ++r)
      if (reqs[r].early)
        out.earlyRanges.push_back({addrs[r], addrs[r] + reqs[r].bytes});
  }
  switch (l.kind) {
  case LayerKind::Conv:
  case LayerKind::Pool:
    return lowerConv(ctx, pc, out);
  case LayerKind::Matmul:
    return lowerMatmul(ctx, pc, out);
  case LayerKind::Eltwise:
  case LayerKind::Act:
  case LayerKind::Convert:
  case LayerKind::Reduce:
  case LayerKind::Transpose:
    return lowerVector(ctx, pc, out);
  case LayerKind::Concat:
  case LayerKind::Slice:
  case LayerKind::Pad:
    return lowerMove(ctx, pc, out);
  }
  return Status::error("layer '" + l.name + "': unknown kind");
}

} // namespace tessel::npu::cg
