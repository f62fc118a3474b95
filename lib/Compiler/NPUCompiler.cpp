//===- NPUCompiler.cpp - graph IR to an NPU deployable binary -------------===//
//
// The order matters: the NPU stages up to weight packing do not depend on
// addresses; the boundary tensors get their arena offsets next; the CPU
// segments are compiled against those offsets (their code bakes them in)
// and report their scratch and weight sizes; only then can the NPU
// allocation place its scratch and the weight images after them, and the
// scheduler emit instructions with final DDR addresses.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/NPUCompiler.h"

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/NPU/Transforms/Passes.h"
#include "tessel/Runtime/HostCode.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>

using namespace mlir;
using namespace tessel;
namespace nir = tessel::npu::ir;

namespace {

int64_t arenaField(ModuleOp module, StringRef name) {
  if (auto d = module->getAttrOfType<DictionaryAttr>("npu.arena"))
    if (auto a = d.getAs<IntegerAttr>(name))
      return a.getInt();
  return 0;
}

void setArenaField(ModuleOp module, StringRef name, int64_t v) {
  NamedAttrList list;
  if (auto d = module->getAttrOfType<DictionaryAttr>("npu.arena"))
    list.append(d.getValue());
  list.set(name, Builder(module).getI64IntegerAttr(v));
  module->setAttr("npu.arena", list.getDictionary(module.getContext()));
}

} // namespace

LogicalResult tessel::runNPUPipeline(ModuleOp module,
                                     const NPUCompileOptions &o,
                                     NPUStage stopAfter) {
  PassManager pm(module.getContext());
  pm.enableVerifier(o.verifyEach);
  NPUPipelineOptions po;
  po.chip = o.chip;
  po.chipFile = o.chipFile;
  po.cores = o.cores;
  po.mos = o.mos;
  po.ols = o.ols;
  po.splitSize = o.splitSizeKiB;
  po.vtcmLimitPercent = o.vtcmLimitPercent;
  po.deallocDelay = o.deallocDelay;
  po.multicastWeights = o.multicastWeights;
  po.residency = o.residency;
  po.solver = o.solver;
  po.forceCpu = o.forceCpu;
  buildNPUPipeline(pm, po, stopAfter);
  return pm.run(module);
}

namespace {

/// The I/O descriptor of a value of @main.
FailureOr<rt::TensorDesc> describe(ModuleOp module, Value v, StringRef name,
                                   rt::TensorDesc::Role role, uint64_t offset) {
  auto type = cast<RankedTensorType>(v.getType());
  std::optional<rt::ElemType> et = runtimeElementType(type.getElementType());
  if (!et)
    return module.emitError("unsupported I/O element type ")
           << type.getElementType();
  rt::TensorDesc t;
  t.name = name.str();
  t.role = role;
  t.dtype = *et;
  t.dims.assign(type.getShape().begin(), type.getShape().end());
  t.offset = offset;
  return t;
}

std::string kindOf(Operation *op) { return op->getName().stripDialect().str(); }

} // namespace

FailureOr<NPUArtifacts> tessel::compileForNPU(ModuleOp module,
                                              const NPUCompileOptions &o) {
  auto start = std::chrono::steady_clock::now();
  MLIRContext *ctx = module.getContext();
  NPUArtifacts out;
  // 1. Partition, convert, fuse, split, pack weights.
  if (failed(runNPUPipeline(module, o, NPUStage::Plan)))
    return failure();
  if (failed(nir::layoutBoundaries(module)))
    return failure();
  FailureOr<nir::TargetOptions> target = nir::readTargetOptions(module);
  if (failed(target))
    return failure();
  FailureOr<const npu::ChipModel *> chip = nir::targetChip(module, *target);
  if (failed(chip))
    return failure();
  auto main = module.lookupSymbol<func::FuncOp>("main");
  SmallVector<func::CallOp> calls = nir::segmentCalls(module);

  // 2. CPU segments, against the boundary offsets.
  int64_t boundary = arenaField(module, "boundary_bytes");
  int64_t hostScratchOffset = llvm::alignTo(boundary, 64);
  struct HostFn {
    std::string entry;
    uint64_t arenaBytes = 0, weightsAt = 0, weightsBytes = 0;
  };
  llvm::StringMap<HostFn> hostFns;
  std::vector<std::string> objects, entries;
  std::vector<uint8_t> hostWeights;
  int64_t hostScratch = 0;
  std::string triple;
  for (func::CallOp call : calls) {
    auto f = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!nir::isCpuSegment(f))
      continue;
    FailureOr<nir::SegmentIO> io = nir::segmentIO(module, f);
    if (failed(io))
      return failure();
    OwningOpRef<ModuleOp> sub = ModuleOp::create(f.getLoc());
    OpBuilder b = OpBuilder::atBlockBegin(sub->getBody());
    auto clone = cast<func::FuncOp>(b.clone(*f));
    clone.setSymName("main");
    clone.setPublic();
    clone->removeAttr("cpu.segment");
    for (unsigned i = 0; i < clone.getNumResults(); ++i)
      clone.setResultAttr(
          i, "tessel.name",
          b.getStringAttr(f.getSymName() + ".out" + std::to_string(i)));
    SmallVector<int64_t> offsets(io->args.begin(), io->args.end());
    offsets.append(io->results.begin(), io->results.end());
    std::string entry = ("tessel_" + f.getSymName()).str();
    (*sub)->setAttr("tessel.io_offsets", b.getDenseI64ArrayAttr(offsets));
    (*sub)->setAttr("tessel.scratch_offset",
                    b.getI64IntegerAttr(hostScratchOffset));
    (*sub)->setAttr("tessel.entry", b.getStringAttr(entry));
    FailureOr<HostSegment> seg = compileHostSegment(*sub, o.cpu);
    if (failed(seg))
      return f.emitError("compiling the CPU segment failed");
    triple = seg->triple;
    HostFn fn;
    fn.entry = entry;
    fn.arenaBytes = seg->arenaBytes;
    hostScratch = std::max<int64_t>(
        hostScratch, static_cast<int64_t>(seg->arenaBytes) - hostScratchOffset);
    if (!seg->weights.empty()) {
      fn.weightsAt = llvm::alignTo(hostWeights.size(), 64);
      fn.weightsBytes = seg->weights.size();
      hostWeights.resize(fn.weightsAt, 0);
      hostWeights.insert(hostWeights.end(), seg->weights.begin(),
                         seg->weights.end());
    }
    hostFns[f.getSymName()] = fn;
    objects.push_back(std::move(seg->object));
    entries.push_back(entry);
  }
  setArenaField(module, "host_scratch_bytes",
                std::max<int64_t>(hostScratch, 0));
  setArenaField(module, "host_weights_bytes", hostWeights.size());

  // 3. NPU allocation, then the programs.
  {
    PassManager pm(ctx);
    pm.enableVerifier(o.verifyEach);
    pm.addPass(nir::createNPUAllocate());
    if (failed(pm.run(module)))
      return failure();
  }
  rt::ModelBinary &m = out.binary;
  m.target = rt::TargetKind::Npu;
  m.chip = (*chip)->name;
  m.chipFingerprint = (*chip)->fingerprint();
  m.producer = "tessel 0.1.0";
  m.options = o.recordedOptions;
  int64_t weightsOffset = arenaField(module, "weights_offset");
  int64_t weightsBytes = arenaField(module, "weights_bytes");
  m.weights.assign(weightsBytes, 0);
  std::copy(hostWeights.begin(), hostWeights.end(), m.weights.begin());
  std::string assembly;
  llvm::raw_string_ostream asmOs(assembly);
  uint32_t hostIndex = 0;
  for (func::CallOp call : calls) {
    auto f = module.lookupSymbol<func::FuncOp>(call.getCallee());
    std::string name = f.getSymName().str();
    NPUSegmentReport sr;
    sr.name = name;
    for (Operation &op : f.getBody().front().without_terminator())
      if (!isa<nir::ConstantOp, graph::ConstantOp>(op))
        ++sr.ops;
    if (nir::isCpuSegment(f)) {
      const HostFn &fn = hostFns[name];
      sr.npu = false;
      sr.weightBytes = fn.weightsBytes;
      m.plan.steps.push_back(rt::PlanStep::host(
          hostIndex++,
          {fn.arenaBytes,
           fn.weightsBytes ? static_cast<uint64_t>(weightsOffset) + fn.weightsAt
                           : 0,
           fn.weightsBytes},
          name));
      out.report.segments.push_back(sr);
      continue;
    }
    npu::cg::SyncStats sync;
    FailureOr<npu::Program> program = nir::scheduleSegment(module, f, &sync);
    if (failed(program))
      return failure();
    if (auto w = f->getAttrOfType<ElementsAttr>("npu.weights")) {
      int64_t at = f->getAttrOfType<IntegerAttr>("npu.weights_base").getInt() -
                   weightsOffset;
      std::optional<ArrayRef<char>> raw = graph::getRawBytes(w);
      if (raw) {
        if (at < 0 || at + static_cast<int64_t>(raw->size()) > weightsBytes)
          return f.emitError("the weight image lies outside the weights");
        std::memcpy(m.weights.data() + at, raw->data(), raw->size());
        sr.weightBytes = raw->size();
      }
    }
    sr.instructions = program->size();
    sr.waits = sync.waits;
    if (auto a = f->getAttrOfType<IntegerAttr>("npu.vtcm_peak"))
      sr.vtcmPeak = a.getInt();
    if (auto a = f->getAttrOfType<IntegerAttr>("npu.ddr_scratch"))
      sr.ddrScratch = a.getInt();
    FailureOr<nir::SegmentGraph> sg = nir::buildSegmentGraph(f);
    if (failed(sg))
      return failure();
    for (auto [li, opPtr] : llvm::enumerate(sg->layerOps)) {
      Operation &op = *opPtr;
      NPULayerReport lr;
      lr.segment = name;
      lr.layer = sg->graph.layers[li].name;
      lr.kind = kindOf(&op);
      if (auto t = nir::tilingFromAttr(op.getAttr("npu.tiling"))) {
        lr.solver = t->solver;
        lr.estCycles = t->estCycles;
        lr.tiles = t->numTiles;
        lr.vtcmBytes = t->vtcmBytes;
        lr.cores = t->cores;
      }
      if (auto p = nir::placementFromAttr(op.getAttr("npu.place")))
        lr.resident = p->vtcm;
      out.report.layers.push_back(lr);
    }
    asmOs << "# segment " << name << " (chip " << (*chip)->name << ", "
          << program->numCores() << " core"
          << (program->numCores() == 1 ? "" : "s") << ", " << program->size()
          << " instructions)\n"
          << npu::disassembleProgram(*program) << "\n";
    m.plan.steps.push_back(
        rt::PlanStep::npu(static_cast<uint32_t>(m.npuPrograms.size()), name));
    m.npuPrograms.push_back(std::move(*program));
    out.report.segments.push_back(sr);
  }
  out.assembly = std::move(assembly);
  // 4. The model's inputs and outputs.
  for (BlockArgument arg : main.getArguments()) {
    auto name =
        main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tessel.name");
    auto off =
        main.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), "npu.offset");
    FailureOr<rt::TensorDesc> t =
        describe(module, arg,
                 name ? name.getValue()
                      : StringRef("input" + std::to_string(arg.getArgNumber())),
                 rt::TensorDesc::Role::Input, off.getInt());
    if (failed(t))
      return failure();
    m.tensors.push_back(*t);
  }
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto call = v.getDefiningOp<func::CallOp>();
    auto offs = call->getAttrOfType<DenseI64ArrayAttr>("npu.result_offsets");
    auto name = main.getResultAttrOfType<StringAttr>(i, "tessel.name");
    std::string fallbackName = "output" + std::to_string(i);
    FailureOr<rt::TensorDesc> t =
        describe(module, v, name ? name.getValue() : StringRef(fallbackName),
                 rt::TensorDesc::Role::Output,
                 offs[cast<OpResult>(v).getResultNumber()]);
    if (failed(t))
      return failure();
    // The same value returned twice is one tensor in the arena; outputs
    // must not overlap, so the binary names it once.
    bool dup = false;
    for (const rt::TensorDesc &e : m.tensors)
      dup |= e.role == rt::TensorDesc::Role::Output && e.offset == t->offset;
    if (dup)
      return module.emitError("model output ")
             << i << " repeats another output; not supported";
    m.tensors.push_back(*t);
  }
  m.plan.arenaSize = arenaField(module, "arena_bytes");
  m.plan.weightsOffset = weightsBytes ? static_cast<uint64_t>(weightsOffset)
                                      : rt::ExecutionPlan::kNoWeights;
  if (!objects.empty()) {
    std::string error;
    FailureOr<std::vector<char>> so =
        llvmtarget::linkSharedObject(objects, triple, error);
    if (failed(so))
      return module.emitError(error);
    rt::HostCode code;
    llvm::Triple t(triple);
    code.arch = t.getArch() == llvm::Triple::aarch64 ? rt::HostArch::AArch64
                                                     : rt::HostArch::X86_64;
    code.functions = entries;
    code.sharedObject.assign(so->begin(), so->end());
    rt::RawSection section;
    section.type = static_cast<uint32_t>(rt::SectionType::HostCode);
    section.flags = rt::kSectionRequired;
    section.bytes = rt::encodeHostCode(code);
    m.extraSections.push_back(std::move(section));
  }
  if (auto fb = module->getAttrOfType<ArrayAttr>("npu.fallbacks"))
    for (Attribute a : fb) {
      auto d = cast<DictionaryAttr>(a);
      out.report.fallbacks.push_back({d.getAs<StringAttr>("op").str(),
                                      d.getAs<StringAttr>("name").str(),
                                      d.getAs<StringAttr>("reason").str()});
    }
  out.report.arenaBytes = m.plan.arenaSize;
  out.report.weightsBytes = weightsBytes;
  out.report.compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return out;
}

std::string tessel::formatNPUReport(const NPUReport &r) {
  std::string s;
  llvm::raw_string_ostream os(s);
  size_t npuOps = 0, cpuOps = 0;
  for (const NPUSegmentReport &seg : r.segments)
    (seg.npu ? npuOps : cpuOps) += seg.ops;
  os << "NPU compilation: " << npuOps << " ops on the NPU, " << cpuOps
     << " on the CPU, " << r.segments.size() << " segments; arena "
     << r.arenaBytes << " bytes (weights " << r.weightsBytes << ")\n";
  os << "\nSegments:\n";
  os << llvm::format("  %-10s %-4s %6s %12s %8s %12s %12s %12s\n", "segment",
                     "on", "ops", "instructions", "waits", "vtcm-peak",
                     "ddr-scratch", "weights");
  for (const NPUSegmentReport &seg : r.segments)
    os << llvm::format(
        "  %-10s %-4s %6zu %12llu %8llu %12llu %12llu %12llu\n",
        seg.name.c_str(), seg.npu ? "npu" : "cpu", seg.ops,
        (unsigned long long)seg.instructions, (unsigned long long)seg.waits,
        (unsigned long long)seg.vtcmPeak, (unsigned long long)seg.ddrScratch,
        (unsigned long long)seg.weightBytes);
  os << "\nFell back to the CPU (" << r.fallbacks.size() << "):\n";
  if (r.fallbacks.empty())
    os << "  (none)\n";
  for (const NPUFallback &f : r.fallbacks)
    os << "  " << f.op << (f.name.empty() ? "" : " '" + f.name + "'") << ": "
       << f.reason << "\n";
  std::map<std::string, int> solvers;
  size_t resident = 0;
  for (const NPULayerReport &l : r.layers) {
    ++solvers[l.solver];
    resident += l.resident;
  }
  os << "\nNPU layers: " << r.layers.size()
     << " (outputs kept in VTCM: " << resident << "); tiling solver:";
  for (auto &[k, v] : solvers)
    os << " " << k << "=" << v;
  os << "\n";
  os << llvm::format("  %-10s %-28s %-9s %6s %5s %10s %12s %-10s\n", "segment",
                     "layer", "kind", "tiles", "cores", "vtcm", "est-cycles",
                     "solver");
  for (const NPULayerReport &l : r.layers)
    os << llvm::format(
        "  %-10s %-28s %-9s %6llu %5llu %10llu %12llu %-10s%s\n",
        l.segment.c_str(), l.layer.substr(0, 28).c_str(), l.kind.c_str(),
        (unsigned long long)l.tiles, (unsigned long long)l.cores,
        (unsigned long long)l.vtcmBytes, (unsigned long long)l.estCycles,
        l.solver.c_str(), l.resident ? " vtcm" : "");
  os << llvm::format("\nCompile time: %.2f s\n", r.compileSeconds);
  return s;
}
