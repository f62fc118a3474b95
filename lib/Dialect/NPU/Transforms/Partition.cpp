//===- Partition.cpp - NPU or CPU, per op; segments outlined --------------===//
//
// An op runs on the NPU when its lowering exists for its shapes and types
// and the code generator can plan and emit it alone on the chip (tiling,
// VTCM budget, instruction limits, alignment): the op is tried for real, in
// a scratch module, so that whatever the back end would reject later is
// found here and the op falls back to the CPU instead, with the reason.
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/NPU/Transforms/Passes.h"

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Target/NPU/Codegen/Codegen.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace tessel::npu::ir {
#define GEN_PASS_DEF_NPUPARTITION
#include "tessel/Dialect/NPU/Transforms/Passes.h.inc"
} // namespace tessel::npu::ir

using namespace mlir;
namespace g = tessel::graph;

namespace tessel::npu::ir {

bool isNpuSegment(func::FuncOp f) { return f->hasAttr("npu.segment"); }
bool isCpuSegment(func::FuncOp f) { return f->hasAttr("cpu.segment"); }

namespace {

std::string opLabel(Operation *op) {
  if (auto n = dyn_cast<NameLoc>(op->getLoc()))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(op->getLoc()))
    for (Location l : f.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().str();
  return "";
}

/// Why `op` cannot run on the NPU ("" if it can).
std::string tryOnNpu(Operation *op, const ChipModel &chip,
                     const cg::PlanOptions &options,
                     bool *plannerFailure = nullptr) {
  if (op->getNumRegions())
    return "ops with regions run on the CPU";
  MLIRContext *ctx = op->getContext();
  std::string why;
  // Diagnostics of the trial are reasons, not errors.
  std::string diag;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    if (diag.empty())
      diag = d.str();
    return success();
  });
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(op->getLoc());
  OpBuilder b(scratch->getBodyRegion());
  GraphToNPULowering lowering(b, chip);
  llvm::SetVector<Value> inputs;
  for (Value v : op->getOperands())
    if (!v.getDefiningOp<g::ConstantOp>())
      inputs.insert(v);
  SmallVector<Type> argTypes, resultTypes;
  for (Value v : inputs) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape())
      return "operands are not static tensors";
    // Inputs in the compute type, as a layer reads them from DDR (the
    // worst case for its tiling); a quantize reads f32 as it is.
    Type et = lowering.computeType(t.getElementType(), why);
    if (!et)
      return why;
    if (std::optional<DType> d = npuDType(t.getElementType());
        isa<g::QuantizeOp>(op) && d && chip.supportsDType(*d))
      et = t.getElementType();
    argTypes.push_back(RankedTensorType::get(t.getShape(), et));
  }
  auto f = func::FuncOp::create(b, op->getLoc(), "trial",
                                FunctionType::get(ctx, argTypes, {}));
  Block *block = f.addEntryBlock();
  b.setInsertionPointToStart(block);
  for (auto [v, arg] : llvm::zip(inputs, block->getArguments()))
    lowering.mapping.map(v, arg);
  if (failed(lowering.lower(op, why)))
    return why.empty() ? "the NPU has no lowering for this op" : why;
  if (std::string label = opLabel(op); !label.empty()) {
    unsigned count = 0;
    for (Operation &o : *block)
      if (isLayerOp(&o))
        o.setAttr("npu.name",
                  b.getStringAttr(count++ ? label + "#" + std::to_string(count)
                                          : label));
  }
  SmallVector<Value> results;
  for (Value r : op->getResults()) {
    Value m = lowering.mapping.lookupOrNull(r);
    if (!m)
      return "the NPU lowering left a result unmapped";
    Value root = m;
    while (auto re = root.getDefiningOp<ReshapeOp>())
      root = re.getInput();
    if (isa<BlockArgument>(root))
      return ""; // A no-op on the NPU (a float cast, a reshape).
    results.push_back(m);
    resultTypes.push_back(m.getType());
  }
  func::ReturnOp::create(b, op->getLoc(), results);
  f.setFunctionType(FunctionType::get(ctx, argTypes, resultTypes));
  FailureOr<SegmentGraph> sg = buildSegmentGraph(f);
  if (failed(sg))
    return diag.empty() ? "the op does not form an NPU layer" : diag;
  std::vector<cg::Placement> io(sg->graph.tensors.size());
  uint64_t offset = 0;
  for (size_t i = 0; i < sg->graph.tensors.size(); ++i) {
    const cg::Tensor &t = sg->graph.tensors[i];
    if ((t.isInput || t.isOutput) && t.aliasOf == cg::kNoTensor) {
      io[i].addr = offset;
      offset = (offset + t.bytes() + 63) / 64 * 64;
    }
  }
  cg::PlanOptions po = options;
  po.ddrScratchBase = offset;
  po.weightsBase = offset + (64ull << 20);
  StatusOr<cg::CompiledSegment> compiled =
      cg::compileSegment(chip, sg->graph, io, po);
  if (!compiled) {
    if (plannerFailure)
      *plannerFailure = true;
    return compiled.message();
  }
  return "";
}

/// Whether the npu lowering fuses this activation kind.
bool npuActivation(g::ActivationKind k) {
  return k == g::ActivationKind::Relu || k == g::ActivationKind::Clip ||
         k == g::ActivationKind::Sigmoid || k == g::ActivationKind::Tanh;
}

/// The fused activation of `op` as its own graph op after it (the op keeps
/// none); null for kinds without a standalone op.
Operation *unfuse(Operation *op, g::ActivationAttr act) {
  OpBuilder b(op->getContext());
  b.setInsertionPointAfter(op);
  Value r = op->getResult(0);
  Location loc = op->getLoc();
  Type type = r.getType();
  Operation *a = nullptr;
  switch (act.getKind()) {
  case g::ActivationKind::Gelu:
  case g::ActivationKind::GeluTanh:
    a = g::GeluOp::create(
        b, loc, type, r,
        b.getBoolAttr(act.getKind() == g::ActivationKind::GeluTanh));
    break;
  case g::ActivationKind::LeakyRelu:
    a = g::LeakyReluOp::create(b, loc, type, r,
                               b.getF64FloatAttr(act.getAlphaValue()));
    break;
  case g::ActivationKind::HardSigmoid:
    a = g::HardSigmoidOp::create(b, loc, type, r,
                                 b.getF64FloatAttr(act.getAlphaValue()),
                                 b.getF64FloatAttr(act.getBetaValue()));
    break;
  case g::ActivationKind::HardSwish:
    a = g::HardSwishOp::create(b, loc, type, r);
    break;
  default:
    return nullptr;
  }
  r.replaceAllUsesExcept(a->getResult(0), a);
  op->removeAttr("activation");
  return a;
}

struct PartitionPass : impl::NPUPartitionBase<PartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    TargetOptions to;
    to.chip = chip;
    to.plan.cores = cores;
    to.plan.maxChannelCores = mos;
    to.plan.overlapSplit = ols;
    to.plan.splitBytes = static_cast<uint64_t>(splitSize) * 1024;
    to.plan.vtcmLimitPercent = vtcmLimitPercent;
    to.plan.deallocDelay = deallocDelay;
    to.plan.multicastWeights = multicastWeights;
    to.plan.residency = residency;
    to.plan.solver = solver;
    DictionaryAttr attr = targetOptionsAttr(ctx, to);
    if (!chipFile.empty()) {
      NamedAttrList list(attr);
      list.set("chip_file", StringAttr::get(ctx, chipFile));
      attr = list.getDictionary(ctx);
    }
    module->setAttr("npu.target", attr);
    FailureOr<const ChipModel *> chipModel = targetChip(module, to);
    if (failed(chipModel))
      return signalPassFailure();
    const ChipModel &c = **chipModel;
    if (cores == 0 || cores > c.cores) {
      module.emitError("--cores=")
          << static_cast<unsigned>(cores) << " is outside [1, " << c.cores
          << "]: chip " << c.name << " has " << c.cores << " core"
          << (c.cores == 1 ? "" : "s");
      return signalPassFailure();
    }
    if (mos == 0 || mos > cores) {
      module.emitError("--mos=")
          << static_cast<unsigned>(mos)
          << " must be in [1, --cores=" << static_cast<unsigned>(cores) << "]";
      return signalPassFailure();
    }
    if (multicastWeights && !(c.multicast && c.supportsOp("multicast"))) {
      module.emitError("--multicast-weights: chip ")
          << c.name << " has no multicast (its DMA loads reach one core)";
      return signalPassFailure();
    }
    if (vtcmLimitPercent == 0 || vtcmLimitPercent > 100) {
      module.emitError("--vtcm-limit-percent=")
          << static_cast<unsigned>(vtcmLimitPercent) << " must be in [1, 100]";
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal()) {
      module.emitError("no @main function to partition");
      return signalPassFailure();
    }
    SmallVector<StringRef> forced;
    StringRef(forceCpu).split(forced, ',', -1, false);

    // 0. A model output that is an input, a constant or another output
    // gets a copy to compute (an identity reshape), so that every output
    // is a tensor some segment writes.
    Block &body = main.getBody().front();
    {
      Operation *ret = body.getTerminator();
      llvm::SmallPtrSet<Value, 8> seen;
      for (OpOperand &use : ret->getOpOperands()) {
        Value v = use.get();
        bool copy = isa<BlockArgument>(v) || v.getDefiningOp<g::ConstantOp>() ||
                    !seen.insert(v).second;
        if (!copy)
          continue;
        OpBuilder rb(ret);
        use.set(g::ReshapeOp::create(rb, ret->getLoc(), v.getType(), v));
      }
    }

    // 1. Decide.
    SmallVector<Operation *> ops;
    SmallVector<bool> onNpu;
    SmallVector<Attribute> fallbacks;
    Builder b(ctx);
    SmallVector<Operation *> snapshot;
    for (Operation &op : body.without_terminator())
      if (!isa<g::ConstantOp>(op))
        snapshot.push_back(&op);
    auto decide = [&](Operation *op, const std::string &why) {
      ops.push_back(op);
      onNpu.push_back(why.empty());
      if (!why.empty())
        fallbacks.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("op",
                            b.getStringAttr(op->getName().getStringRef())),
             b.getNamedAttr("name", b.getStringAttr(opLabel(op))),
             b.getNamedAttr("reason", b.getStringAttr(why))}));
    };
    for (Operation *op : snapshot) {
      std::string label = opLabel(op);
      if (llvm::is_contained(forced, op->getName().getStringRef()) ||
          (!label.empty() && llvm::is_contained(forced, label))) {
        decide(op, "kept on the CPU by --npu-force-cpu");
        continue;
      }
      bool planner = false;
      std::string why = tryOnNpu(op, c, to.plan, &planner);
      // The op has a lowering but these options leave no way to schedule
      // it: worth a warning, since the options caused the fallback.
      if (planner)
        op->emitWarning(why) << "; it runs on the CPU";
      // A conv or matmul whose fused activation the NPU lacks runs there
      // without it; the activation alone goes to the CPU.
      auto act = op->getAttrOfType<g::ActivationAttr>("activation");
      if (!why.empty() && act && !npuActivation(act.getKind())) {
        op->removeAttr("activation");
        std::string bare = tryOnNpu(op, c, to.plan);
        op->setAttr("activation", act);
        if (bare.empty()) {
          if (Operation *a = unfuse(op, act)) {
            decide(op, "");
            decide(a, tryOnNpu(a, c, to.plan));
            continue;
          }
        }
      }
      decide(op, why);
    }
    module->setAttr("npu.fallbacks", b.getArrayAttr(fallbacks));

    // 2. Outline maximal runs of ops on the same device, in order: program
    // order is topological, so a run's outside operands are all defined
    // before its first op.
    unsigned npuCount = 0, cpuCount = 0;
    for (size_t begin = 0; begin < ops.size();) {
      size_t end = begin + 1;
      while (end < ops.size() && onNpu[end] == onNpu[begin])
        ++end;
      ArrayRef<Operation *> run(ops.begin() + begin, ops.begin() + end);
      if (failed(outline(module, main, run, onNpu[begin],
                         onNpu[begin] ? npuCount++ : cpuCount++)))
        return signalPassFailure();
      begin = end;
    }
    // Constants only segments used are gone from @main.
    for (Operation &op : llvm::make_early_inc_range(body))
      if (isa<g::ConstantOp>(op) && op.use_empty())
        op.erase();
    for (Value v : body.getTerminator()->getOperands())
      if (!v.getDefiningOp<func::CallOp>()) {
        main.emitError("internal error: a model output is not computed by "
                       "a segment");
        return signalPassFailure();
      }
  }

  LogicalResult outline(ModuleOp module, func::FuncOp main,
                        ArrayRef<Operation *> run, bool npu, unsigned index) {
    MLIRContext *ctx = module.getContext();
    llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
    llvm::SetVector<Value> inputs, outputs;
    for (Operation *op : run) {
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (def && (inRun.contains(def) || isa<g::ConstantOp>(def)))
          continue;
        inputs.insert(v);
      }
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (!inRun.contains(user)) {
            outputs.insert(r);
            break;
          }
    }
    SmallVector<Type> inTypes, outTypes;
    for (Value v : inputs)
      inTypes.push_back(v.getType());
    for (Value v : outputs)
      outTypes.push_back(v.getType());
    OpBuilder mb(ctx);
    mb.setInsertionPointToEnd(module.getBody());
    std::string name = (npu ? "npu_" : "cpu_") + std::to_string(index);
    auto f = func::FuncOp::create(mb, run.front()->getLoc(), name,
                                  FunctionType::get(ctx, inTypes, outTypes));
    f.setPrivate();
    f->setAttr(npu ? "npu.segment" : "cpu.segment", UnitAttr::get(ctx));
    Block *block = f.addEntryBlock();
    OpBuilder fb = OpBuilder::atBlockBegin(block);
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(inputs)) {
      map.map(v, block->getArgument(i));
      StringAttr argName;
      if (auto arg = dyn_cast<BlockArgument>(v))
        argName = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    "tessel.name");
      f.setArgAttr(
          i, "tessel.name",
          argName ? argName
                  : StringAttr::get(ctx, name + ".in" + std::to_string(i)));
    }
    for (Operation *op : run) {
      for (Value v : op->getOperands())
        if (auto c = v.getDefiningOp<g::ConstantOp>(); c && !map.contains(v))
          map.map(v, fb.clone(*c)->getResult(0));
      fb.clone(*op, map);
    }
    SmallVector<Value> rets;
    for (Value v : outputs)
      rets.push_back(map.lookup(v));
    func::ReturnOp::create(fb, f.getLoc(), rets);

    OpBuilder cb(run.front());
    auto call = func::CallOp::create(cb, run.front()->getLoc(), f,
                                     inputs.getArrayRef());
    for (auto [v, r] : llvm::zip(outputs, call.getResults()))
      Value(v).replaceAllUsesWith(r);
    for (Operation *op : llvm::reverse(run)) {
      op->dropAllUses();
      op->erase();
    }
    return success();
  }
};

} // namespace
} // namespace tessel::npu::ir
