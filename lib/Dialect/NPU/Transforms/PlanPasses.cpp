//===- PlanPasses.cpp - Fuse, split, reorder weights, allocate, schedule --===//
//
// Each pass builds the LayerGraph of every NPU segment, runs one planning
// stage of tessel/Target/NPU/Codegen on it and records the result as
// attributes (Bridge.h); the next pass starts from what is recorded, so
// every stage can be replayed and inspected alone in tessel-opt.
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/NPU/Transforms/Passes.h"

#include "tessel/Target/NPU/Codegen/Codegen.h"
#include "tessel/Target/NPU/Codegen/Packing.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/Support/MathExtras.h"

namespace tessel::npu::ir {
#define GEN_PASS_DEF_NPUFUSELAYERS
#define GEN_PASS_DEF_NPUSPLIT
#define GEN_PASS_DEF_NPUREORDERWEIGHTS
#define GEN_PASS_DEF_NPUALLOCATE
#define GEN_PASS_DEF_NPUSCHEDULE
#include "tessel/Dialect/NPU/Transforms/Passes.h.inc"
} // namespace tessel::npu::ir

using namespace mlir;

namespace tessel::npu::ir {

namespace {

uint64_t valueBytes(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  Type et = t.getElementType();
  unsigned bits = 8;
  if (auto q = dyn_cast<quant::QuantizedType>(et))
    bits = q.getStorageTypeIntegralWidth();
  else
    bits = std::max(8u, et.getIntOrFloatBitWidth());
  return static_cast<uint64_t>(t.getNumElements()) * bits / 8;
}

/// The module's chip and options, or failure (diagnosed).
struct Target {
  TargetOptions options;
  const ChipModel *chip = nullptr;
};
FailureOr<Target> readTarget(ModuleOp module) {
  FailureOr<TargetOptions> to = readTargetOptions(module);
  if (failed(to))
    return failure();
  FailureOr<const ChipModel *> chip = targetChip(module, *to);
  if (failed(chip))
    return failure();
  return Target{*to, *chip};
}

/// A planner error at the layer it names ("layer 'NAME' ..."), or at the
/// segment.
LogicalResult planError(func::FuncOp f, const SegmentGraph &sg,
                        const std::string &message) {
  for (size_t li = 0; li < sg.graph.layers.size(); ++li)
    if (StringRef(message).starts_with("layer '" + sg.graph.layers[li].name +
                                       "'"))
      return sg.layerOps[li]->emitError(message);
  return f.emitError(message);
}

SmallVector<func::FuncOp> npuSegments(ModuleOp module) {
  SmallVector<func::FuncOp> out;
  for (auto f : module.getOps<func::FuncOp>())
    if (isNpuSegment(f))
      out.push_back(f);
  return out;
}

/// DDR placements at offset 0 for the segment's inputs and outputs (the
/// planning stages before allocation do not depend on where they are).
std::vector<cg::Placement> anyIo(const cg::LayerGraph &g) {
  return std::vector<cg::Placement>(g.tensors.size());
}

/// Records residency decisions (placements without addresses) of the
/// segment's intermediates.
void writeResidency(func::FuncOp f, const SegmentGraph &sg,
                    const std::vector<cg::Placement> &places) {
  for (size_t i = 0; i < sg.values.size() && i < places.size(); ++i) {
    const cg::Tensor &t = sg.graph.tensors[i];
    if (t.isConstant || t.aliasOf != cg::kNoTensor || t.isInput || t.isOutput)
      continue;
    cg::Placement p = places[i];
    p.addr = 0;
    if (!p.vtcm)
      p = cg::Placement{};
    if (Operation *def = sg.values[i].getDefiningOp())
      def->setAttr("npu.place", placementAttr(f.getContext(), p));
  }
}

/// Runs `fn` on every NPU segment's graph.
template <typename Fn> LogicalResult forEachSegment(ModuleOp module, Fn fn) {
  FailureOr<Target> target = readTarget(module);
  if (failed(target))
    return failure();
  for (func::FuncOp f : npuSegments(module)) {
    FailureOr<SegmentGraph> sg = buildSegmentGraph(f);
    if (failed(sg) || failed(fn(f, *sg, *target)))
      return failure();
  }
  return success();
}

struct FuseLayersPass : impl::NPUFuseLayersBase<FuseLayersPass> {
  void runOnOperation() override {
    if (failed(forEachSegment(getOperation(), [](func::FuncOp f,
                                                 SegmentGraph &sg, Target &t) {
          writeResidency(
              f, sg, cg::initialResidency(*t.chip, sg.graph, t.options.plan));
          return success();
        })))
      signalPassFailure();
  }
};

struct SplitPass : impl::NPUSplitBase<SplitPass> {
  void runOnOperation() override {
    if (failed(forEachSegment(
            getOperation(),
            [](func::FuncOp f, SegmentGraph &sg, Target &t) -> LogicalResult {
              RecordedPlan rp = readRecordedPlan(f, sg);
              cg::PlanReport report;
              StatusOr<cg::NpuPlan> plan = cg::planGraph(
                  *t.chip, sg.graph, anyIo(sg.graph), t.options.plan, &report,
                  rp.hasPlacements ? &rp.plan.placements : nullptr);
              if (!plan)
                return planError(f, sg, plan.message());
              writeTiling(sg, plan->tiles);
              writeResidency(f, sg, plan->placements);
              f->setAttr("npu.evictions",
                         Builder(f).getI64IntegerAttr(report.evictions));
              return success();
            })))
      signalPassFailure();
  }
};

struct ReorderWeightsPass : impl::NPUReorderWeightsBase<ReorderWeightsPass> {
  void runOnOperation() override {
    if (failed(forEachSegment(
            getOperation(),
            [](func::FuncOp f, SegmentGraph &sg, Target &t) -> LogicalResult {
              RecordedPlan rp = readRecordedPlan(f, sg);
              if (!rp.hasTiling && !sg.graph.layers.empty())
                return f.emitError("no tiling recorded (run tessel-npu-split "
                                   "first)");
              StatusOr<cg::WeightImage> image =
                  cg::packWeights(*t.chip, sg.graph, rp.plan.tiles);
              if (!image)
                return planError(f, sg, image.message());
              writeWeights(f, sg, *image);
              return success();
            })))
      signalPassFailure();
  }
};

int64_t arenaField(ModuleOp module, StringRef name, int64_t def = 0) {
  if (auto d = module->getAttrOfType<DictionaryAttr>("npu.arena"))
    if (auto a = d.getAs<IntegerAttr>(name))
      return a.getInt();
  return def;
}

void setArena(ModuleOp module, ArrayRef<std::pair<StringRef, int64_t>> kv) {
  Builder b(module.getContext());
  NamedAttrList list;
  if (auto d = module->getAttrOfType<DictionaryAttr>("npu.arena"))
    list.append(d.getValue());
  for (auto [k, v] : kv)
    list.set(k, b.getI64IntegerAttr(v));
  module->setAttr("npu.arena", list.getDictionary(module.getContext()));
}

/// The segment's I/O placements, by tensor.
FailureOr<std::vector<cg::Placement>>
ioPlacements(ModuleOp module, func::FuncOp f, const SegmentGraph &sg) {
  FailureOr<SegmentIO> io = segmentIO(module, f);
  if (failed(io))
    return failure();
  std::vector<cg::Placement> places(sg.graph.tensors.size());
  for (BlockArgument arg : f.getArguments())
    places[sg.idOf(arg)].addr = io->args[arg.getArgNumber()];
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  for (auto [k, v] : llvm::enumerate(ret.getOperands()))
    places[sg.graph.storageOf(sg.idOf(v))].addr = io->results[k];
  return places;
}

struct AllocatePass : impl::NPUAllocateBase<AllocatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(layoutBoundaries(module)))
      return signalPassFailure();
    FailureOr<Target> target = readTarget(module);
    if (failed(target))
      return signalPassFailure();
    int64_t boundary = arenaField(module, "boundary_bytes");
    int64_t hostScratch = arenaField(module, "host_scratch_bytes");
    int64_t hostWeights = arenaField(module, "host_weights_bytes");
    int64_t npuScratch = llvm::alignTo(boundary + hostScratch, 64);
    int64_t scratchBytes = 0;
    SmallVector<func::FuncOp> segments = npuSegments(module);
    for (func::FuncOp f : segments) {
      FailureOr<SegmentGraph> sg = buildSegmentGraph(f);
      if (failed(sg))
        return signalPassFailure();
      RecordedPlan rp = readRecordedPlan(f, *sg);
      if (!rp.hasTiling && !sg->graph.layers.empty()) {
        f.emitError("no tiling recorded (run tessel-npu-split first)");
        return signalPassFailure();
      }
      FailureOr<std::vector<cg::Placement>> io = ioPlacements(module, f, *sg);
      if (failed(io))
        return signalPassFailure();
      cg::PlanOptions po = target->options.plan;
      po.ddrScratchBase = npuScratch;
      cg::NpuPlan plan = rp.plan;
      if (Status s =
              cg::allocateMemory(*target->chip, sg->graph, *io, po, plan);
          !s) {
        (void)planError(f, *sg, s.message());
        return signalPassFailure();
      }
      writePlacements(f, *sg, plan.placements);
      writeBuffers(*sg, plan.buffers);
      Builder b(f);
      f->setAttr("npu.vtcm_peak", b.getI64IntegerAttr(plan.vtcmPeak));
      f->setAttr("npu.ddr_scratch", b.getI64IntegerAttr(plan.ddrScratchBytes));
      scratchBytes = std::max<int64_t>(scratchBytes, plan.ddrScratchBytes);
    }
    // The weight section: the CPU segments' weights, then each NPU
    // segment's packed image.
    int64_t weights = llvm::alignTo(npuScratch + scratchBytes, 64);
    int64_t cursor = llvm::alignTo(weights + hostWeights, 64);
    for (func::FuncOp f : segments) {
      f->setAttr("npu.weights_base", Builder(f).getI64IntegerAttr(cursor));
      if (auto w = f->getAttrOfType<ElementsAttr>("npu.weights"))
        cursor = llvm::alignTo(cursor + w.getNumElements(), 64);
    }
    int64_t arena = std::max<int64_t>(cursor, 64);
    setArena(module, {{"host_scratch_offset", llvm::alignTo(boundary, 64)},
                      {"npu_scratch_offset", npuScratch},
                      {"npu_scratch_bytes", scratchBytes},
                      {"weights_offset", weights},
                      {"weights_bytes", cursor - weights},
                      {"arena_bytes", arena}});
    if (static_cast<uint64_t>(arena) > target->chip->ddrBytes) {
      module.emitError("the model needs a DDR arena of ")
          << arena << " bytes, more than chip " << target->chip->name << "'s "
          << target->chip->ddrBytes << " bytes";
      return signalPassFailure();
    }
  }
};

struct SchedulePass : impl::NPUScheduleBase<SchedulePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Target> target = readTarget(module);
    if (failed(target))
      return signalPassFailure();
    for (func::FuncOp f : npuSegments(module)) {
      cg::SyncStats stats;
      FailureOr<Program> program = scheduleSegment(module, f, &stats);
      if (failed(program))
        return signalPassFailure();
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      std::string name = (f.getSymName() + "_program").str();
      if (Operation *old = module.lookupSymbol(name))
        old->erase();
      auto p = ProgramOp::create(b, f.getLoc(), name, target->chip->name);
      p->setAttr("instructions", b.getI64IntegerAttr(program->size()));
      p->setAttr("waits", b.getI64IntegerAttr(stats.waits));
      Block *pb = new Block();
      p.getBody().push_back(pb);
      for (uint32_t c = 0; c < program->numCores(); ++c) {
        b.setInsertionPointToEnd(pb);
        auto core = CoreOp::create(b, f.getLoc(), c);
        Block *cb = new Block();
        core.getBody().push_back(cb);
        b.setInsertionPointToEnd(cb);
        const std::vector<Word> &words = program->streams[c];
        for (uint32_t i = 0; i < words.size(); ++i) {
          StatusOr<Instr> instr = decode(words[i]);
          if (!instr) {
            f.emitError("the scheduler emitted an invalid word: ")
                << instr.message();
            return signalPassFailure();
          }
          int32_t layer = program->layerAt(c, i);
          InstOp::create(b, f.getLoc(), disassemble(*instr),
                         layer >= 0
                             ? b.getStringAttr(program->layerNames[layer])
                             : StringAttr());
        }
      }
    }
  }
};

} // namespace

SmallVector<func::CallOp> segmentCalls(ModuleOp module) {
  SmallVector<func::CallOp> calls;
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    for (auto call : main.getOps<func::CallOp>())
      calls.push_back(call);
  return calls;
}

LogicalResult layoutBoundaries(ModuleOp module) {
  if (module->getAttrOfType<DictionaryAttr>("npu.arena") &&
      arenaField(module, "boundary_bytes", -1) >= 0)
    return success();
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return module.emitError("no @main function");
  Builder b(module.getContext());
  uint64_t offset = 0;
  auto place = [&](Value v) {
    uint64_t at = offset;
    offset = llvm::alignTo(offset + std::max<uint64_t>(valueBytes(v), 1), 64);
    return static_cast<int64_t>(at);
  };
  for (BlockArgument arg : main.getArguments())
    main.setArgAttr(arg.getArgNumber(), "npu.offset",
                    b.getI64IntegerAttr(place(arg)));
  for (func::CallOp call : segmentCalls(module)) {
    SmallVector<int64_t> offs;
    for (Value r : call.getResults())
      offs.push_back(place(r));
    call->setAttr("npu.result_offsets", b.getDenseI64ArrayAttr(offs));
  }
  setArena(module, {{"boundary_bytes", static_cast<int64_t>(offset)}});
  return success();
}

FailureOr<SegmentIO> segmentIO(ModuleOp module, func::FuncOp segment) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  func::CallOp call;
  for (func::CallOp c : segmentCalls(module))
    if (c.getCallee() == segment.getSymName()) {
      if (call)
        return segment.emitError("segment is called more than once");
      call = c;
    }
  if (!call || !main)
    return segment.emitError("segment is not called from @main");
  auto offsetOf = [&](Value v) -> FailureOr<uint64_t> {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (auto a = main.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                      "npu.offset"))
        return static_cast<uint64_t>(a.getInt());
    } else if (auto c = v.getDefiningOp<func::CallOp>()) {
      if (auto a = c->getAttrOfType<DenseI64ArrayAttr>("npu.result_offsets"))
        return static_cast<uint64_t>(a[cast<OpResult>(v).getResultNumber()]);
    }
    return emitError(v.getLoc(), "a segment operand has no arena offset "
                                 "(run tessel-npu-allocate)");
  };
  SegmentIO io;
  for (Value v : call.getOperands()) {
    FailureOr<uint64_t> o = offsetOf(v);
    if (failed(o))
      return failure();
    io.args.push_back(*o);
  }
  for (Value v : call.getResults()) {
    FailureOr<uint64_t> o = offsetOf(v);
    if (failed(o))
      return failure();
    io.results.push_back(*o);
  }
  return io;
}

FailureOr<Program> scheduleSegment(ModuleOp module, func::FuncOp f,
                                   cg::SyncStats *stats) {
  FailureOr<Target> target = readTarget(module);
  if (failed(target))
    return failure();
  FailureOr<SegmentGraph> sg = buildSegmentGraph(f);
  if (failed(sg))
    return failure();
  RecordedPlan rp = readRecordedPlan(f, *sg);
  if (!sg->graph.layers.empty() &&
      (!rp.hasTiling || !rp.hasBuffers || !rp.hasPlacements))
    return f.emitError("the segment is not planned (run tessel-npu-split, "
                       "tessel-npu-reorder-weights and tessel-npu-allocate)");
  bool needsWeights = false;
  for (const cg::Tensor &t : sg->graph.tensors)
    needsWeights |= t.isConstant;
  if (needsWeights && !rp.hasWeights)
    return f.emitError("no packed weights (run tessel-npu-reorder-weights)");
  if (auto a = f->getAttrOfType<IntegerAttr>("npu.weights_base"))
    rp.plan.weightsBase = a.getInt();
  StatusOr<Program> program =
      cg::emitProgram(*target->chip, sg->graph, rp.plan, {}, stats);
  if (!program)
    return f.emitError(program.message());
  return program.take();
}

} // namespace tessel::npu::ir
