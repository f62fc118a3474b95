//===- Codegen.cpp - LayerGraph to NPU program, end to end ----------------===//
#include "tessel/Target/NPU/Codegen/Codegen.h"
#include "tessel/Target/NPU/Codegen/Lowering.h"
#include "tessel/Target/NPU/Operands.h"

#include <algorithm>

namespace tessel::npu::cg {

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
