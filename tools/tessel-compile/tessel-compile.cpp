//===- tessel-compile.cpp - ONNX in, a deployable binary out -----------------===//
//
// The user's front door:
//
//   tessel-compile model.onnx --target=cpu -o model.tsl
//   tessel-compile model.onnx --target=gpu [--gpu-arch=sm_80|sm_90] -o model.tsl
//   tessel-compile model.onnx --emit=graph|linalg|bufferized|llvm|asm|obj
//   tessel-compile model.onnx --target=gpu --emit=kernels|nvvm|ptx
//   tessel-compile model.onnx --stats
//   tessel-compile model.onnx --target=npu --chip=mobile-m -o model.tsl
//   tessel-compile model.onnx --target=npu --sweep 'cores=1,2 split-size=512'
//   tessel-compile model.onnx --quantize=w8a8 --calib-data DIR --quant-report
//
// Imports the model, runs the graph pipeline, lowers for the target and
// writes the binary, or stops at the level `--emit` names.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/CPUCompiler.h"
#include "tessel/Compiler/NPUCompiler.h"
#include "tessel/Runtime/Runtime.h"
#include "tessel/Compiler/GPUCompiler.h"
#include "tessel/Compiler/Stats.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/Graph/Transforms/Quantization.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"
#include "tessel/Runtime/TensorFiles.h"
#include "tessel/InitAll.h"
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"));
static cl::opt<std::string>
    target("target", cl::desc("Target: cpu (default), gpu or npu"),
           cl::init("cpu"));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("Stop at a level and print it: imported, graph, linalg, "
             "bufferized, then for the CPU llvm (LLVM IR), asm, obj, for the "
             "GPU kernels (gpu dialect), nvvm, ptx, for the NPU npu (the npu "
             "dialect, scheduled), npu-asm (the instruction streams); "
             "default: the binary"),
    cl::init(""));
static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("GPU architecture for --target=gpu: sm_80 (default; "
                     "runs on sm_80 and newer) or sm_90"),
            cl::init("sm_80"));
// NPU options, named as in vendor NPU compilers.
static cl::OptionCategory npuCategory("NPU options (--target=npu)");
static cl::opt<std::string> chipName("chip", cl::desc("NPU chip model"),
                                     cl::init("mobile-m"),
                                     cl::cat(npuCategory));
static cl::opt<unsigned> cores("cores",
                               cl::desc("Cores one inference uses"),
                               cl::init(1), cl::cat(npuCategory));
static cl::opt<unsigned>
    mos("mos", cl::desc("Cores an output-channel range is split across"),
        cl::init(1), cl::cat(npuCategory));
static cl::opt<unsigned>
    ols("ols",
        cl::desc("Split every layer into at least this many tiles so that "
                 "the matrix and vector engines overlap"),
        cl::init(1), cl::cat(npuCategory));
static cl::opt<unsigned>
    splitSize("split-size",
              cl::desc("Largest activation tile buffer, KiB (0: no limit)"),
              cl::init(0), cl::cat(npuCategory));
static cl::opt<unsigned>
    vtcmLimit("vtcm-limit-percent",
              cl::desc("Part of the chip's usable VTCM the compiler uses"),
              cl::init(100), cl::cat(npuCategory));
static cl::opt<unsigned>
    deallocDelay("dealloc-delay",
                 cl::desc("Keep VTCM buffers alive this many layers longer"),
                 cl::init(0), cl::cat(npuCategory));
static cl::opt<bool>
    multicast("multicast-weights",
              cl::desc("Load weights shared by cores once and multicast them"),
              cl::init(false), cl::cat(npuCategory));
static cl::opt<int64_t> batch("batch",
                              cl::desc("Batch size (the inputs' first dim)"),
                              cl::init(0), cl::cat(npuCategory));
static cl::opt<unsigned>
    instances("instances",
              cl::desc("Copies of the model running at once on disjoint "
                       "cores (for the reported throughput)"),
              cl::init(1), cl::cat(npuCategory));
static cl::opt<std::string>
    npuSolver("npu-solver",
              cl::desc("Tiling search: auto, exhaustive, heuristic"),
              cl::init("auto"), cl::cat(npuCategory));
static cl::opt<bool> npuResidency(
    "npu-residency",
    cl::desc("Keep intermediates in VTCM between layers (default on)"),
    cl::init(true), cl::cat(npuCategory));
static cl::opt<std::string>
    forceCpu("npu-force-cpu",
             cl::desc("Comma-separated op or node names kept on the CPU"),
             cl::init(""), cl::cat(npuCategory));
static cl::opt<std::string> sweep(
    "sweep",
    cl::desc("Compile every combination, simulate, and print a table: e.g. "
             "'cores=1,2,4 split-size=1024,2048 vtcm-limit-percent=50,100 "
             "instances=1,2'"),
    cl::init(""), cl::cat(npuCategory));
static cl::opt<bool> tune(
    "tune",
    cl::desc("Compile with a few overlap settings (--ols 1,2,4 x "
             "--dealloc-delay 0,1,2; those given explicitly stay fixed), "
             "simulate each (timing only) and keep the fastest"),
    cl::init(false), cl::cat(npuCategory));
static cl::opt<std::string>
    sweepObjective("sweep-objective",
                   cl::desc("Mark the best row: throughput or latency"),
                   cl::init("throughput"), cl::cat(npuCategory));
static cl::opt<std::string> triple("triple",
                                   cl::desc("Target triple (default: host); "
                                            "e.g. aarch64-linux-gnu"));
static cl::opt<std::string>
    cpu("cpu", cl::desc("Target CPU (default: the host's for host triples; "
                        "'generic' for a baseline build)"));
static cl::opt<std::string> dumpDir("dump-dir",
                                    cl::desc("Keep every stage's IR here"));
// `--stats` is LLVM's own option name (pass statistics); main() maps the
// user's `--stats` to this one.
static cl::opt<bool> stats("tessel-stats",
                           cl::desc("(also --stats) Print op counts and model "
                                    "size as imported and as optimized"));
static cl::opt<tessel::graph::Layout>
    layout("layout",
           cl::desc("Layout of the optimized graph's convs and pools "
                    "(default: nhwc when compiling for the CPU or the GPU, whose "
                    "kernels are channels-last; nchw for --emit=graph)"),
           cl::init(tessel::graph::Layout::NCHW),
           cl::values(clEnumValN(tessel::graph::Layout::NCHW, "nchw",
                                 "channels first, as imported"),
                      clEnumValN(tessel::graph::Layout::NHWC, "nhwc",
                                 "channels last")));
static cl::opt<std::string>
    inputShapes("input-shape",
                cl::desc("Fix input shapes: name=1x3x224x224[,name2=...]"));
static cl::list<std::string> freezeInputs(
    "freeze-input",
    cl::desc("Fix a graph input to a tensor's value (.npy or ONNX .pb), so "
             "that shape-like inputs fold: NAME=FILE"),
    cl::value_desc("name=file"));
static cl::opt<unsigned> elideResources(
    "elide-weights-larger-than",
    cl::desc("Print weight blobs larger than this many bytes as elided"),
    cl::init(0));
static cl::opt<bool> listChips("list-chips",
                               cl::desc("List the NPU chip models, and exit"));
static cl::list<std::string>
    chipFiles("chip-file", cl::desc("Add the chip models defined in FILE"),
              cl::value_desc("file"));
// Post-training quantization (docs/quantization.md).
static cl::OptionCategory quantCategory("Quantization");
static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize the optimized graph: w8a8, w8a16, w8-weight-only or "
             "fp16"),
    cl::cat(quantCategory));
static cl::opt<std::string>
    calibData("calib-data",
              cl::desc("Calibration data: a folder of .npy or ONNX .pb "
                       "tensors (per input, or test_data_set_* folders)"),
              cl::value_desc("dir"), cl::cat(quantCategory));
static cl::opt<std::string>
    calibMethod("calib-method",
                cl::desc("max, kl (default), minmax, percentile or mse"),
                cl::init("kl"), cl::cat(quantCategory));
static cl::opt<double> calibPercentile(
    "calib-percentile", cl::desc("Percentile for --calib-method=percentile"),
    cl::init(99.99), cl::cat(quantCategory));
static cl::opt<int> calibSamples("calib-samples",
                                 cl::desc("Use at most N calibration samples"),
                                 cl::init(0), cl::cat(quantCategory));
static cl::opt<int> calibRandom(
    "calib-random",
    cl::desc("Calibrate on N seeded random inputs (no data; the ranges do "
             "not represent real activations)"),
    cl::init(0), cl::cat(quantCategory));
static cl::opt<bool> perChannel(
    "per-channel",
    cl::desc("Quantize weights per output channel (default; "
             "--per-channel=false for per tensor)"),
    cl::init(true), cl::cat(quantCategory));
static cl::opt<bool> asymmetric(
    "asymmetric",
    cl::desc("Activation ranges with separate negative and positive "
             "thresholds (affine)"),
    cl::cat(quantCategory));
static cl::opt<std::string>
    qtableFile("qtable",
               cl::desc("Mixed precision: lines 'layer fp32|fp16|int8|int16'"),
               cl::value_desc("file"), cl::cat(quantCategory));
static cl::opt<std::string> calibTableIn(
    "calib-table",
    cl::desc("Load the activation ranges from a calibration table file"),
    cl::value_desc("file"), cl::cat(quantCategory));
static cl::opt<std::string> calibTableOut(
    "save-calib-table", cl::desc("Write the calibration table to a file"),
    cl::value_desc("file"), cl::cat(quantCategory));
static cl::opt<bool> autoMixedPrecision(
    "auto-mixed-precision",
    cl::desc("Keep the fewest most sensitive layers in fp32 that reach "
             "--target-cosine"),
    cl::cat(quantCategory));
static cl::opt<double>
    targetCosine("target-cosine",
                 cl::desc("Output cosine for --auto-mixed-precision"),
                 cl::init(0.99), cl::cat(quantCategory));
static cl::opt<bool> quantReport(
    "quant-report",
    cl::desc("Print per-layer and output cosine/SQNR against fp32 on the "
             "calibration samples"),
    cl::cat(quantCategory));
static cl::opt<unsigned>
    quantReportLayers("quant-report-layers",
                      cl::desc("Rows of the report's layer table (0: all)"),
                      cl::init(20), cl::cat(quantCategory));
static cl::opt<std::string> referenceInputs(
    "reference-inputs",
    cl::desc("With --reference-outputs: the inputs (a folder in the "
             "--calib-data format; default: the calibration samples, "
             "written to DIR/inputs)"),
    cl::value_desc("dir"), cl::cat(quantCategory));
static cl::opt<std::string> referenceOutputs(
    "reference-outputs",
    cl::desc("Evaluate the final graph (quantized: the integer reference) "
             "on --reference-inputs and write each output as DIR/NAME.npy "
             "(DIR/NAME.K.npy for sample K of several)"),
    cl::value_desc("dir"), cl::cat(quantCategory));
static cl::opt<bool> listOnnxOps("list-onnx-ops",
                                 cl::desc("List the ONNX op types Tessel "
                                          "imports, and exit"));

static int writeText(StringRef text, StringRef path) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(path.empty() ? "-" : path, &error);
  if (!output) {
    llvm::errs() << "tessel-compile: " << error << "\n";
    return 1;
  }
  output->os() << text;
  output->keep();
  return 0;
}

static std::string defaultOutput() {
  if (!outputFile.empty())
    return outputFile;
  llvm::SmallString<256> p(inputFile);
  llvm::sys::path::replace_extension(p, "tsl");
  return llvm::sys::path::filename(p).str();
}

static tessel::NPUCompileOptions npuOptions() {
  tessel::NPUCompileOptions o;
  o.chip = chipName;
  if (!chipFiles.empty())
    o.chipFile = chipFiles[chipFiles.size() - 1];
  o.cores = cores;
  o.mos = mos;
  o.ols = ols;
  o.splitSizeKiB = splitSize;
  o.vtcmLimitPercent = vtcmLimit;
  o.deallocDelay = deallocDelay;
  o.multicastWeights = multicast;
  o.residency = npuResidency;
  o.solver = npuSolver;
  o.forceCpu = forceCpu;
  o.cpu.codegen.triple = triple;
  o.cpu.codegen.cpu = cpu;
  o.cpu.dumpDir = dumpDir;
  o.recordedOptions = {{"target", "npu"},
                       {"chip", chipName},
                       {"cores", std::to_string(cores)},
                       {"mos", std::to_string(mos)},
                       {"ols", std::to_string(ols)},
                       {"split-size", std::to_string(splitSize)},
                       {"vtcm-limit-percent", std::to_string(vtcmLimit)},
                       {"dealloc-delay", std::to_string(deallocDelay)},
                       {"multicast-weights", multicast ? "1" : "0"},
                       {"batch", std::to_string(batch ? batch : 1)},
                       {"instances", std::to_string(instances)}};
  return o;
}

/// One row of a sweep: a combination of options and what the simulator
/// says about it.
struct SweepRow {
  std::vector<std::pair<std::string, std::string>> settings;
  bool ok = false;
  std::string error;
  double ips = 0, latencyUs = 0, ipj = 0, util = 0, ddrBytes = 0;
  uint64_t vtcmPeak = 0;
  bool ddrBound = false;
};

/// Runs a compiled binary on the simulator (zero inputs; the timing does not
/// depend on the data) and fills the row's numbers.
static tessel::Status simulate(const tessel::rt::ModelBinary &binary,
                               unsigned inst, bool timingOnly, SweepRow &row) {
  tessel::StatusOr<std::vector<uint8_t>> bytes =
      tessel::rt::writeBinary(binary);
  if (!bytes)
    return bytes.status();
  tessel::rt::LoadOptions lo;
  lo.chipFiles.assign(chipFiles.begin(), chipFiles.end());
  auto model =
      tessel::rt::Model::loadMemory(bytes->data(), bytes->size(), lo);
  if (!model)
    return model.status();
  tessel::rt::RunOptions ro;
  ro.summary.batch = batch > 0 ? static_cast<uint32_t>(batch) : 1;
  ro.summary.instances = inst;
  ro.sim.timingOnly = timingOnly;
  auto ctxOr = tessel::rt::Context::create(*model, ro);
  if (!ctxOr)
    return ctxOr.status();
  auto &ctx = *ctxOr;
  for (size_t i = 0; i < ctx->model().inputs().size(); ++i) {
    const auto &t = ctx->model().tensor(ctx->model().inputs()[i]);
    std::vector<uint8_t> zeros(t.byteSize(), 0);
    if (tessel::Status st = ctx->setInput(i, zeros.data(), zeros.size()); !st)
      return st;
  }
  if (tessel::Status st = ctx->run(); !st)
    return st;
  const auto &s = ctx->report().summary;
  row.ok = true;
  row.ips = s.inferencesPerSecond;
  row.latencyUs = s.latencyUs;
  row.ipj = s.inferencesPerJoule;
  row.util = s.utilization;
  row.ddrBytes = s.ddrBytesPerInference;
  row.ddrBound = s.ddrBound;
  return tessel::Status::ok();
}

static int runSweep(ModuleOp optimized) {
  // Parse "key=v1,v2 key2=..." into the cartesian product.
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (StringRef item : llvm::split(StringRef(sweep), ' ')) {
    item = item.trim();
    if (item.empty())
      continue;
    auto [key, values] = item.split('=');
    static const char *known[] = {"cores", "mos", "ols", "split-size",
                                  "vtcm-limit-percent", "dealloc-delay",
                                  "multicast-weights", "instances"};
    if (!llvm::is_contained(known, key) || values.empty()) {
      llvm::errs() << "tessel-compile: --sweep: unknown or empty setting '"
                   << item
                   << "' (known: cores, mos, ols, split-size, "
                      "vtcm-limit-percent, dealloc-delay, multicast-weights, "
                      "instances)\n";
      return 1;
    }
    std::vector<std::string> vs;
    for (StringRef v : llvm::split(values, ','))
      vs.push_back(v.str());
    axes.push_back({key.str(), vs});
  }
  if (sweepObjective != "throughput" && sweepObjective != "latency") {
    llvm::errs() << "tessel-compile: --sweep-objective must be throughput or "
                    "latency\n";
    return 1;
  }
  std::vector<SweepRow> rows;
  std::vector<size_t> idx(axes.size(), 0);
  while (true) {
    SweepRow row;
    tessel::NPUCompileOptions o = npuOptions();
    unsigned inst = instances;
    bool bad = false;
    for (size_t a = 0; a < axes.size(); ++a) {
      const std::string &k = axes[a].first, &v = axes[a].second[idx[a]];
      row.settings.push_back({k, v});
      unsigned n = 0;
      if (StringRef(v).getAsInteger(10, n)) {
        row.error = "'" + v + "' is not a number";
        bad = true;
      }
      if (k == "cores") o.cores = n;
      else if (k == "mos") o.mos = n;
      else if (k == "ols") o.ols = n;
      else if (k == "split-size") o.splitSizeKiB = n;
      else if (k == "vtcm-limit-percent") o.vtcmLimitPercent = n;
      else if (k == "dealloc-delay") o.deallocDelay = n;
      else if (k == "multicast-weights") o.multicastWeights = n != 0;
      else if (k == "instances") inst = n;
    }
    if (o.mos > o.cores)
      o.mos = o.cores;
    if (!bad) {
      OwningOpRef<ModuleOp> copy = optimized.clone();
      std::string diag;
      FailureOr<tessel::NPUArtifacts> art;
      {
        ScopedDiagnosticHandler h(copy->getContext(), [&](Diagnostic &d) {
          if (diag.empty())
            diag = d.str();
          return success();
        });
        art = tessel::compileForNPU(*copy, o);
      }
      if (failed(art)) {
        row.error = diag;
      } else {
        for (const tessel::NPUSegmentReport &s : art->report.segments)
          row.vtcmPeak = std::max<uint64_t>(row.vtcmPeak, s.vtcmPeak);
        if (tessel::Status st = simulate(art->binary, inst, true, row); !st)
          row.error = st.message();
      }
    }
    rows.push_back(row);
    size_t a = 0;
    for (; a < axes.size(); ++a) {
      if (++idx[a] < axes[a].second.size())
        break;
      idx[a] = 0;
    }
    if (a == axes.size())
      break;
  }
  int best = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].ok)
      continue;
    bool better = best < 0 ||
                  (sweepObjective == "throughput"
                       ? rows[i].ips > rows[best].ips
                       : rows[i].latencyUs < rows[best].latencyUs);
    if (better)
      best = static_cast<int>(i);
  }
  llvm::outs() << "Sweep of " << inputFile << " on " << chipName << " ("
               << rows.size() << " combinations, objective "
               << sweepObjective << "; simulated NPU steps)\n";
  std::string header;
  for (auto &[k, v] : axes)
    header += llvm::formatv("{0,-20}", k).str();
  llvm::outs() << "  " << header
               << llvm::formatv("{0,12} {1,12} {2,12} {3,8} {4,12} {5,14}\n",
                                "infer/s", "latency-us", "infer/J", "MAC-%",
                                "peak-VTCM", "DDR-B/infer");
  for (size_t i = 0; i < rows.size(); ++i) {
    const SweepRow &r = rows[i];
    std::string line;
    for (auto &[k, v] : r.settings)
      line += llvm::formatv("{0,-20}", v).str();
    llvm::outs() << (static_cast<int>(i) == best ? "* " : "  ") << line;
    if (!r.ok) {
      llvm::outs() << "failed: " << r.error << "\n";
      continue;
    }
    llvm::outs() << llvm::formatv(
        "{0,12:F1} {1,12:F1} {2,12:F1} {3,8:F1} {4,12} {5,14:F0}{6}\n", r.ips,
        r.latencyUs, r.ipj, 100 * r.util, r.vtcmPeak, r.ddrBytes,
        r.ddrBound ? " (DDR-bound)" : "");
  }
  return best >= 0 ? 0 : 1;
}

/// --tune: compiles the settings that decide how much the engines overlap
/// (finer row tiles, longer buffer lives) and keeps the binary the simulator
/// finds fastest. The first candidate is the plain compile: its errors are
/// the user's; a candidate that fails otherwise is skipped.
static FailureOr<tessel::NPUArtifacts> tuneNpu(ModuleOp module) {
  std::vector<unsigned> olsValues = {1, 2, 4}, delayValues = {0, 1, 2};
  if (ols.getNumOccurrences())
    olsValues = {ols};
  if (deallocDelay.getNumOccurrences())
    delayValues = {deallocDelay};
  FailureOr<tessel::NPUArtifacts> best = failure();
  double bestLatency = 0;
  unsigned bestOls = 0, bestDelay = 0;
  bool first = true;
  if (stats)
    llvm::outs() << "Tuning (simulated latency, timing only):\n";
  for (unsigned d : delayValues)
    for (unsigned o : olsValues) {
      tessel::NPUCompileOptions opt = npuOptions();
      opt.ols = o;
      opt.deallocDelay = d;
      for (auto &[k, v] : opt.recordedOptions)
        if (k == "ols")
          v = std::to_string(o);
        else if (k == "dealloc-delay")
          v = std::to_string(d);
      OwningOpRef<ModuleOp> copy = module.clone();
      FailureOr<tessel::NPUArtifacts> art;
      if (first) {
        art = tessel::compileForNPU(*copy, opt); // Diagnostics reach the user.
        if (failed(art))
          return failure();
      } else {
        ScopedDiagnosticHandler quiet(copy->getContext(),
                                      [](Diagnostic &) { return success(); });
        art = tessel::compileForNPU(*copy, opt);
      }
      first = false;
      SweepRow row;
      tessel::Status st = failed(art) ? tessel::Status::error("does not compile")
                                      : simulate(art->binary, instances, true,
                                                 row);
      if (stats) {
        llvm::outs() << llvm::formatv("  ols={0} dealloc-delay={1}: ", o, d);
        if (st)
          llvm::outs() << llvm::formatv("{0:F1} us, {1:F1}% MAC\n",
                                        row.latencyUs, 100 * row.util);
        else
          llvm::outs() << st.message() << "\n";
      }
      // A model with nothing on the NPU has no latency to compare.
      if (!st || (succeeded(best) && !(row.latencyUs < bestLatency)))
        continue;
      best = std::move(art);
      bestLatency = row.latencyUs;
      bestOls = o;
      bestDelay = d;
    }
  if (failed(best)) // Nothing simulated: compile as asked.
    return tessel::compileForNPU(module, npuOptions());
  if (stats)
    llvm::outs() << llvm::formatv("  chosen: ols={0} dealloc-delay={1}\n",
                                  bestOls, bestDelay);
  return best;
}

static int compileNpu(ModuleOp module) {
  if (!sweep.empty())
    return runSweep(module);
  if (emit == "npu") {
    if (failed(tessel::runNPUPipeline(module, npuOptions(),
                                      tessel::NPUStage::Schedule)))
      return 1;
    std::string s;
    llvm::raw_string_ostream os(s);
    OpPrintingFlags flags;
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
    module.print(os, flags);
    return writeText(s, outputFile);
  }
  if (!emit.empty() && emit != "npu-asm") {
    llvm::errs() << "tessel-compile: --emit=" << emit
                 << " is a CPU level; for --target=npu use npu or npu-asm\n";
    return 1;
  }
  FailureOr<tessel::NPUArtifacts> art =
      tune ? tuneNpu(module) : tessel::compileForNPU(module, npuOptions());
  if (failed(art))
    return 1;
  if (stats)
    llvm::outs() << tessel::formatNPUReport(art->report);
  if (emit == "npu-asm")
    return writeText(art->assembly, outputFile);
  if (stats && outputFile.empty())
    return 0;
  if (tessel::Status s = tessel::rt::writeBinaryFile(art->binary,
                                                     defaultOutput());
      !s) {
    llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

/// The runtime element type of a compiler element type, if any.
static std::optional<tessel::rt::ElemType> runtimeElemType(Type t) {
  for (unsigned k = 1; k < tessel::rt::kNumElemTypes; ++k) {
    auto e = static_cast<tessel::rt::ElemType>(k);
    if (tessel::compilerElementType(t.getContext(), e) == t)
      return e;
  }
  return std::nullopt;
}

/// Evaluates the final graph (the integer reference when it is quantized)
/// on the samples in `inputDir` (the --calib-data format) and writes every
/// output as `outputDir/NAME.npy` (one sample) or `outputDir/NAME.K.npy`
/// (sample K of several): what the compiled model must reproduce bit for
/// bit.
static int writeReferenceOutputs(ModuleOp module, StringRef inputDir,
                                 ArrayRef<tessel::graph::Sample> calibration,
                                 StringRef outputDir) {
  auto funcs = module.getOps<func::FuncOp>();
  if (funcs.empty()) {
    llvm::errs() << "tessel-compile: the model has no function\n";
    return 1;
  }
  func::FuncOp main = *funcs.begin();
  std::string error;
  std::vector<tessel::graph::Sample> samples(calibration.begin(),
                                             calibration.end());
  if (!inputDir.empty()) {
    FailureOr<std::vector<tessel::graph::Sample>> loaded =
        tessel::graph::loadSamples(main, inputDir, 0, error);
    if (failed(loaded)) {
      llvm::errs() << "tessel-compile: error: --reference-inputs: " << error
                   << "\n";
      return 1;
    }
    samples = std::move(*loaded);
  }
  if (samples.empty()) {
    llvm::errs() << "tessel-compile: error: --reference-outputs: no inputs "
                    "(give --reference-inputs DIR, or calibration samples)\n";
    return 1;
  }
  llvm::SmallString<256> inputsDir(outputDir);
  llvm::sys::path::append(inputsDir, "inputs");
  if (std::error_code ec = llvm::sys::fs::create_directories(
          inputDir.empty() ? inputsDir.str() : outputDir)) {
    llvm::errs() << "tessel-compile: error: " << outputDir << ": "
                 << ec.message() << "\n";
    return 1;
  }
  FunctionType type = main.getFunctionType();
  auto write = [&](Type elementType, const tessel::ref::Tensor &t,
                   StringRef dir, std::string name) {
    std::optional<tessel::rt::ElemType> dtype = runtimeElemType(elementType);
    if (!dtype) {
      llvm::errs() << "tessel-compile: error: '" << name
                   << "' has an element type .npy cannot hold\n";
      return false;
    }
    tessel::rt::HostTensor host;
    host.dtype = *dtype;
    host.dims.assign(t.shape().begin(), t.shape().end());
    std::vector<char> raw = tessel::graph::toRawBytes(elementType, t);
    host.data.assign(raw.begin(), raw.end());
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name + ".npy");
    if (tessel::Status s = tessel::rt::writeNpy(path.str().str(), host); !s) {
      llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
      return false;
    }
    return true;
  };
  auto valueName = [&](DictionaryAttr attrs, StringRef fallback, size_t i,
                       size_t k) {
    std::string name = fallback.str() + std::to_string(i);
    if (auto attr = attrs ? attrs.getAs<StringAttr>("tessel.name")
                          : StringAttr())
      name = attr.str();
    if (samples.size() > 1)
      name += "." + std::to_string(k);
    return name;
  };
  for (auto [k, sample] : llvm::enumerate(samples)) {
    // Inputs that were not files already (calibration samples).
    if (inputDir.empty())
      for (auto [i, t] : llvm::enumerate(sample))
        if (!write(cast<ShapedType>(type.getInput(i)).getElementType(), t,
                   inputsDir, valueName(main.getArgAttrDict(i), "input_", i, k)))
          return 1;
    FailureOr<std::vector<tessel::ref::Tensor>> outputs =
        tessel::graph::interpret(main, sample, error);
    if (failed(outputs)) {
      llvm::errs() << "tessel-compile: error: reference evaluation: " << error
                   << "\n";
      return 1;
    }
    for (auto [i, t] : llvm::enumerate(*outputs))
      if (!write(cast<ShapedType>(type.getResult(i)).getElementType(), t,
                 outputDir,
                 valueName(main.getResultAttrDict(i), "output_", i, k)))
        return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  tessel::registerAllPasses();
  // --mlir-timing, --mlir-print-ir-after-all and friends, as in tessel-opt.
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  std::vector<const char *> args(argv, argv + argc);
  for (const char *&a : args)
    if (StringRef(a) == "--stats" || StringRef(a) == "-stats")
      a = "--tessel-stats";
  cl::ParseCommandLineOptions(args.size(), args.data(), "Tessel compiler\n");

  if (listChips) {
    tessel::npu::ChipRegistry chips;
    for (const std::string &file : chipFiles)
      if (tessel::Status s = chips.addFile(file); !s) {
        llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
        return 1;
      }
    llvm::outs() << chips.listText();
    return 0;
  }
  if (listOnnxOps) {
    for (const std::string &op : tessel::onnx_import::supportedOpTypes())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "tessel-compile: no input model (see --help)\n";
    return 1;
  }
  if (target != "cpu" && target != "gpu" && target != "npu") {
    llvm::errs() << "tessel-compile: unknown --target '" << target
                 << "' (expected cpu, gpu or npu)\n";
    return 1;
  }
  static const char *cpuLevels[] = {"",           "imported", "graph",
                                    "linalg",     "bufferized", "llvm",
                                    "asm",        "obj"};
  static const char *gpuLevels[] = {"",           "imported", "graph",
                                    "linalg",     "bufferized", "kernels",
                                    "nvvm",       "ptx"};
  static const char *npuLevels[] = {"", "imported", "graph", "npu",
                                    "npu-asm"};
  bool knownLevel =
      target == "gpu"   ? llvm::is_contained(gpuLevels, StringRef(emit))
      : target == "npu" ? llvm::is_contained(npuLevels, StringRef(emit))
                        : llvm::is_contained(cpuLevels, StringRef(emit));
  if (!knownLevel) {
    llvm::errs() << "tessel-compile: unknown --emit level '" << emit
                 << "' for --target=" << target << " (expected imported, "
                 << "graph, "
                 << (target == "gpu"   ? "linalg, bufferized, kernels, nvvm "
                                         "or ptx"
                     : target == "npu" ? "npu or npu-asm"
                                       : "linalg, bufferized, llvm, asm or obj")
                 << ")\n";
    return 1;
  }
  if (gpuArch != "sm_80" && gpuArch != "sm_90") {
    llvm::errs() << "tessel-compile: unknown --gpu-arch '" << gpuArch
                 << "' (expected sm_80 or sm_90)\n";
    return 1;
  }

  DialectRegistry registry;
  tessel::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  tessel::onnx_import::ImportOptions options;
  options.batch = batch;
  std::string error;
  if (failed(tessel::onnx_import::parseInputShapes(inputShapes, options,
                                                   error))) {
    llvm::errs() << "tessel-compile: " << error << "\n";
    return 1;
  }
  for (const std::string &spec : freezeInputs) {
    auto [name, file] = StringRef(spec).split('=');
    tessel::StatusOr<tessel::rt::HostTensor> t =
        tessel::rt::readTensorFile(file.str());
    if (name.empty() || file.empty() || !t) {
      llvm::errs() << "tessel-compile: bad --freeze-input '" << spec << "'"
                   << (t ? "" : ": " + t.message()) << "\n";
      return 1;
    }
    std::optional<tessel::ref::DType> dtype =
        tessel::graph::toDType(tessel::compilerElementType(&context, t->dtype));
    FailureOr<tessel::ref::Tensor> value = tessel::graph::fromRawBytes(
        tessel::compilerElementType(&context, t->dtype), t->dims,
        ArrayRef<char>(reinterpret_cast<const char *>(t->data.data()),
                       t->data.size()),
        error);
    if (!dtype || failed(value)) {
      llvm::errs() << "tessel-compile: --freeze-input '" << spec
                   << "': " << error << "\n";
      return 1;
    }
    options.frozenInputs[name.str()] = std::move(*value);
  }
  OwningOpRef<ModuleOp> module =
      tessel::onnx_import::importFile(inputFile, &context, options);
  if (!module)
    return 1;
  tessel::ModelStats before = tessel::collectStats(*module);
  OpPrintingFlags flags;
  if (elideResources)
    flags.elideLargeResourceString(elideResources);
  auto printModule = [&]() {
    std::string s;
    llvm::raw_string_ostream os(s);
    module->print(os, flags);
    return writeText(s, outputFile);
  };
  if (emit == "imported")
    return printModule();

  {
    // The pipeline tessel-opt replays as
    // --pass-pipeline='builtin.module(tessel-graph-optimize{layout=...})'.
    DefaultTimingManager tm;
    applyDefaultTimingManagerCLOptions(tm);
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    TimingScope timing = tm.getRootScope();
    pm.enableTiming(timing);
    tessel::GraphOptimizeOptions options;
    options.layout = layout;
    bool compiling = emit != "graph";
    if (!layout.getNumOccurrences() && compiling)
      options.layout = tessel::graph::Layout::NHWC;
    tessel::buildGraphOptimizePipeline(pm, options);
    if (failed(pm.run(*module)))
      return 1;
  }
  std::vector<tessel::graph::Sample> calibrationSamples;
  if (!quantize.empty()) {
    static const char *schemes[] = {"w8a8", "w8a16", "w8-weight-only",
                                    "fp16"};
    if (!llvm::is_contained(schemes, StringRef(quantize))) {
      llvm::errs() << "tessel-compile: unknown --quantize scheme '" << quantize
                   << "' (expected w8a8, w8a16, w8-weight-only or fp16)\n";
      return 1;
    }
    if (!tessel::quant::parseMethod(calibMethod)) {
      llvm::errs() << "tessel-compile: unknown --calib-method '" << calibMethod
                   << "' (expected max, kl, minmax, percentile or mse)\n";
      return 1;
    }
    auto funcs = module->getOps<func::FuncOp>();
    if (funcs.empty()) {
      llvm::errs() << "tessel-compile: the model has no function\n";
      return 1;
    }
    func::FuncOp main = *funcs.begin();
    // Calibration samples: data, or random inputs only when asked for.
    std::vector<tessel::graph::Sample> &samples = calibrationSamples;
    bool needsData = (quantize == "w8a8" || quantize == "w8a16") &&
                     calibTableIn.empty();
    if (!calibData.empty()) {
      FailureOr<std::vector<tessel::graph::Sample>> loaded =
          tessel::graph::loadSamples(main, calibData, calibSamples, error);
      if (failed(loaded)) {
        llvm::errs() << "tessel-compile: error: " << error << "\n";
        return 1;
      }
      samples = std::move(*loaded);
    } else if (calibRandom > 0) {
      llvm::errs() << "tessel-compile: warning: calibrating on " << calibRandom
                   << " random inputs: the ranges do not represent real "
                      "activations (give --calib-data DIR)\n";
      samples = tessel::graph::randomSamples(main, calibRandom, 0);
    } else if (needsData || autoMixedPrecision) {
      llvm::errs()
          << "tessel-compile: error: --quantize=" << quantize
          << " needs calibration data: give --calib-data DIR (a folder of "
             ".npy or .pb tensors), --calib-table FILE, or --calib-random N "
             "to calibrate on random inputs\n";
      return 1;
    }
    tessel::graph::QuantizeOptions qo;
    qo.scheme = quantize;
    qo.method = calibMethod;
    qo.perChannel = perChannel;
    qo.asymmetric = asymmetric;
    qo.percentile = calibPercentile;
    qo.qtable = qtableFile;
    qo.tableIn = calibTableIn;
    qo.tableOut = calibTableOut;
    qo.targetCosine = autoMixedPrecision ? targetCosine.getValue() : 0.0;
    OwningOpRef<ModuleOp> reference;
    if (failed(tessel::graph::quantizeModule(
            *module, qo, samples, quantReport ? &reference : nullptr, nullptr,
            llvm::errs())))
      return 1;
    if (failed(mlir::verify(*module)))
      return 1;
    if (quantReport) {
      if (samples.empty()) {
        llvm::errs() << "tessel-compile: warning: --quant-report needs "
                        "calibration samples; no report\n";
      } else {
        FailureOr<tessel::graph::QuantReport> report =
            tessel::graph::compareWithFloat(
                *reference->getOps<func::FuncOp>().begin(),
                *module->getOps<func::FuncOp>().begin(), samples, error);
        if (failed(report)) {
          llvm::errs() << "tessel-compile: error: quantization report: "
                       << error << "\n";
          return 1;
        }
        tessel::graph::printQuantReport(llvm::outs(), *report,
                                        quantReportLayers);
      }
    }
  }
  if (!referenceOutputs.empty())
    if (int rc = writeReferenceOutputs(*module, referenceInputs,
                                       calibrationSamples, referenceOutputs))
      return rc;
  if (stats) {
    std::map<std::string, int64_t> onnxNodes =
        tessel::onnx_import::modelNodeCounts(inputFile);
    tessel::printStatsTable(llvm::outs(),
                            "Tessel model statistics: " + inputFile, before,
                            tessel::collectStats(*module), &onnxNodes);
    if (emit.empty() && outputFile.empty() && target != "npu")
      return 0;
  }
  if (emit == "graph")
    return printModule();

  if (target == "npu")
    return compileNpu(*module);
  std::string out = outputFile;
  if (out.empty()) {
    llvm::SmallString<256> p(inputFile);
    llvm::sys::path::replace_extension(p, "tsl");
    out = llvm::sys::path::filename(p).str();
  }
  if (target == "gpu") {
    tessel::GPUCompileOptions gpuOptions;
    gpuOptions.gpuArch = gpuArch;
    gpuOptions.dumpDir = dumpDir;
    FailureOr<tessel::GPUArtifacts> artifacts =
        tessel::compileForGPU(*module, gpuOptions, emit);
    if (failed(artifacts))
      return 1;
    if (emit == "linalg")
      return writeText(artifacts->linalgIR, outputFile);
    if (emit == "bufferized")
      return writeText(artifacts->bufferizedIR, outputFile);
    if (emit == "kernels")
      return writeText(artifacts->kernelsIR, outputFile);
    if (emit == "nvvm")
      return writeText(artifacts->nvvmIR, outputFile);
    if (emit == "ptx")
      return writeText(tessel::ptxListing(artifacts->ptx), outputFile);
    if (tessel::Status s = tessel::rt::writeBinaryFile(artifacts->binary, out);
        !s) {
      llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
      return 1;
    }
    return 0;
  }
  tessel::CPUCompileOptions cpuOptions;
  cpuOptions.codegen.triple = triple;
  cpuOptions.codegen.cpu = cpu;
  cpuOptions.dumpDir = dumpDir;
  FailureOr<tessel::CPUArtifacts> artifacts =
      tessel::compileForCPU(*module, cpuOptions, emit);
  if (failed(artifacts))
    return 1;
  if (emit == "linalg")
    return writeText(artifacts->linalgIR, outputFile);
  if (emit == "bufferized")
    return writeText(artifacts->bufferizedIR, outputFile);
  if (emit == "llvm")
    return writeText(artifacts->llvmIR, outputFile);
  if (emit == "asm")
    return writeText(artifacts->assembly, outputFile);
  if (emit == "obj") {
    if (outputFile.empty() || outputFile == "-") {
      llvm::errs() << "tessel-compile: --emit=obj needs -o FILE\n";
      return 1;
    }
    return writeText(artifacts->object, outputFile);
  }
  if (tessel::Status s = tessel::rt::writeBinaryFile(artifacts->binary, out);
      !s) {
    llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
