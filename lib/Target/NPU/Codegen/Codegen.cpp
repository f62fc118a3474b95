//===- Codegen.cpp - LayerGraph to NPU program, end to end ----------------===//
#include "tessel/Target/NPU/Codegen/Codegen.h"
#include "tessel/Target/NPU/Codegen/Lowering.h"
#include "tessel/Target/NPU/Operands.h"

#include <algorithm>

namespace tessel::npu::cg {

namespace {

/// COPYs of one written VTCM region of this core to the same addresses of
/// the cores in `mask` (the region's shape as 2-D byte copies): one
/// multicast copy where the chip has multicast, else one per core.
void copiesOf(const ChipModel &chip, const OperandRegion &r, uint32_t mask,
              std::vector<Step> &out, int32_t layer) {
  auto copy = [&](uint64_t base, uint64_t rows, uint64_t stride,
                  uint64_t rowBytes) {
    CopyInstr c;
    c.dtype = DType::I8;
    c.src.offset = c.dst.offset = static_cast<uint32_t>(base);
    c.rows = static_cast<uint32_t>(rows);
    c.cols = static_cast<uint32_t>(rowBytes);
    if (rows > 1 && stride != rowBytes)
      c.srcStride = c.dstStride = static_cast<uint32_t>(stride);
    if (chip.multicast && chip.supportsOp("multicast")) {
      c.coreMask = mask;
      out.push_back(Step{c, layer});
      return;
    }
    for (uint32_t k = 0; k < kMaxCores; ++k)
      if ((mask >> k) & 1) {
        c.core = k;
        out.push_back(Step{c, layer});
      }
  };
  if (r.n2 <= 1 || r.s2 == r.bytes) {
    uint64_t rowBytes = r.n2 <= 1 ? r.bytes : r.n2 * r.bytes;
    if (r.n1 <= 1 || r.s1 == rowBytes)
      copy(r.base, 1, 0, r.n1 * rowBytes);
    else
      copy(r.base, r.n1, r.s1, rowBytes);
  } else if (r.n1 <= 1 || r.s1 == r.n2 * r.s2) {
    copy(r.base, r.n1 * r.n2, r.s2, r.bytes);
  } else {
    for (uint64_t i = 0; i < r.n1; ++i)
      copy(r.base + i * r.s1, r.n2, r.s2, r.bytes);
  }
}

/// The VTCM bytes [begin, end) a resident tensor occupies on every core.
std::pair<uint64_t, uint64_t> vtcmExtent(const LayerGraph &g,
                                         const NpuPlan &plan, TensorId id) {
  TensorId s = g.storageOf(id);
  const Placement &p = plan.placements[s];
  const Tensor &t = g.tensor(s);
  uint64_t bytes = t.bytes();
  if (p.pitch) {
    uint64_t rows = 1;
    for (int d = 0; d < p.rowDims && d < static_cast<int>(t.shape.size()); ++d)
      rows *= static_cast<uint64_t>(t.shape[d]);
    bytes = rows * p.pitch;
  }
  return {p.addr, p.addr + bytes};
}

/// With several cores, a tensor kept in VTCM is kept in every core's VTCM
/// at the same address: each write a core makes into a layer's resident
/// output is copied over the NoC to the other cores right after it (the
/// copy overlaps the next tiles; the barrier that ends the layer orders it
/// before any reader).
void broadcastResidentWrites(const ChipModel &chip, const LayerGraph &g,
                             const NpuPlan &plan, size_t li, uint32_t core,
                             uint32_t cores, std::vector<Step> &body) {
  const Layer &l = g.layers[li];
  if (cores <= 1 || !plan.placements[g.storageOf(l.output)].vtcm)
    return;
  auto [lo, hi] = vtcmExtent(g, plan, l.output);
  std::vector<Step> out;
  out.reserve(body.size());
  std::vector<OperandRegion> regs;
  for (Step &s : body) {
    bool isCopy = std::holds_alternative<CopyInstr>(s.instr);
    regs.clear();
    if (!isCopy)
      instrOperands(s.instr, core, chip, regs);
    int32_t layer = s.layer;
    out.push_back(std::move(s));
    for (const OperandRegion &r : regs) {
      if (!r.writes() || r.mem != static_cast<int>(core) || r.base < lo ||
          r.wideHi() > hi)
        continue;
      uint32_t mask = 0;
      for (uint32_t to = 0; to < cores; ++to)
        if (to != core)
          mask |= 1u << to;
      copiesOf(chip, r, mask, out, layer);
    }
  }
  body = std::move(out);
}

} // namespace

StatusOr<StepProgram> lowerGraph(const ChipModel &chip, const LayerGraph &graph,
                                 const NpuPlan &plan,
                                 const EmitOptions &options) {
  using R = StatusOr<StepProgram>;
  size_t L = graph.layers.size();
  if (plan.tiles.size() != L || plan.buffers.size() != L)
    return R::error("the plan does not match the graph");
  StepProgram sp;
  std::vector<LayerSteps> steps(L);
  uint32_t cores = 1;
  for (size_t li = 0; li < L; ++li) {
    LowerContext ctx{chip, graph, plan, li,
                     sp.layerIndex(graph.layers[li].name)};
    if (Status s = lowerLayer(ctx, steps[li]); !s)
      return R(s);
    cores = std::max<uint32_t>(
        cores, static_cast<uint32_t>(
                   std::max(steps[li].body.size(), steps[li].prologue.size())));
  }
  sp.cores.resize(cores);
  // Barriers inside a layer (multicast weight tiles) are met by every core:
  // cores with fewer of them (or none: not in the layer) add the rest.
  for (size_t li = 0; li < L && cores > 1; ++li) {
    std::vector<std::vector<Step>> &body = steps[li].body;
    body.resize(cores);
    auto barriers = [](const std::vector<Step> &v) {
      return std::count_if(v.begin(), v.end(), [](const Step &s) {
        return std::holds_alternative<BarrierInstr>(s.instr);
      });
    };
    std::ptrdiff_t most = 0;
    for (const std::vector<Step> &v : body)
      most = std::max(most, barriers(v));
    for (std::vector<Step> &v : body)
      for (std::ptrdiff_t k = barriers(v); k < most; ++k)
        v.push_back(Step{BarrierInstr{}, -1});
  }
  for (size_t li = 0; li < L; ++li)
    for (uint32_t c = 0; c < steps[li].body.size(); ++c)
      broadcastResidentWrites(chip, graph, plan, li, c, cores,
                              steps[li].body[c]);
  // A prologue runs during the previous layer: it may only write VTCM the
  // allocator kept free for it (a mismatch would silently clobber the
  // previous layer's buffers).
  if (options.prefetch)
    for (size_t li = 1; li < L; ++li)
      for (uint32_t c = 0; c < steps[li].prologue.size(); ++c)
        for (const Step &s : steps[li].prologue[c]) {
          std::vector<OperandRegion> regs;
          instrOperands(s.instr, c, chip, regs);
          for (const OperandRegion &r : regs) {
            if (!r.writes() || r.mem == kDdrMemory)
              continue;
            uint64_t hi = static_cast<uint64_t>(r.wideHi());
            bool inside = false;
            for (auto [b, e] : steps[li].earlyRanges)
              inside |= b <= r.base && hi <= e;
            if (!inside)
              return R::error("internal error: layer '" +
                              graph.layers[li].name +
                              "' prefetches into VTCM outside its prefetch "
                              "buffers");
          }
        }
  auto isCompute = [](const Step &s) {
    Unit u = unitOf(s.instr);
    return u == Unit::Matrix || u == Unit::Vector;
  };
  for (size_t li = 0; li < L; ++li) {
    for (uint32_t c = 0; c < cores; ++c) {
      std::vector<Step> &out = sp.cores[c];
      auto part =
          [&](std::vector<std::vector<Step>> &v) -> std::vector<Step> & {
        if (v.size() <= c)
          v.resize(c + 1);
        return v[c];
      };
      std::vector<Step> &body = part(steps[li].body);
      // This layer's own prologue when the previous layer could not take it.
      if (li == 0 || !options.prefetch)
        for (Step &s : part(steps[li].prologue))
          out.push_back(std::move(s));
      std::vector<Step> *next = options.prefetch && li + 1 < L
                                    ? &part(steps[li + 1].prologue)
                                    : nullptr;
      bool placed = next == nullptr;
      for (Step &s : body) {
        bool compute = isCompute(s);
        out.push_back(std::move(s));
        if (!placed && compute) {
          for (Step &p : *next)
            out.push_back(std::move(p));
          placed = true;
        }
      }
      if (!placed)
        for (Step &p : *next)
          out.push_back(std::move(p));
    }
    if (cores > 1 && li + 1 < L)
      for (uint32_t c = 0; c < cores; ++c)
        sp.cores[c].push_back(Step{BarrierInstr{}, -1});
  }
  return sp;
}

StatusOr<Program> emitProgram(const ChipModel &chip, const LayerGraph &graph,
                              const NpuPlan &plan, const EmitOptions &options,
                              SyncStats *stats) {
  StatusOr<StepProgram> sp = lowerGraph(chip, graph, plan, options);
  if (!sp)
    return StatusOr<Program>(sp.status());
  return synchronize(chip, *sp, stats);
}

StatusOr<CompiledSegment>
compileSegment(const ChipModel &chip, const LayerGraph &graph,
               const std::vector<Placement> &ioPlacements,
               const PlanOptions &planOptions, const EmitOptions &emitOptions) {
  using R = StatusOr<CompiledSegment>;
  CompiledSegment out;
  StatusOr<NpuPlan> plan =
      planGraph(chip, graph, ioPlacements, planOptions, &out.report);
  if (!plan)
    return R(plan.status());
  out.plan = plan.take();
  StatusOr<Program> prog =
      emitProgram(chip, graph, out.plan, emitOptions, &out.sync);
  if (!prog)
    return R(prog.status());
  out.program = prog.take();
  return out;
}

} // namespace tessel::npu::cg
