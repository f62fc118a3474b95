//===- tessel-compile.cpp - ONNX in, a deployable binary out -----------------===//
//
// The user's front door:
//
//   tessel-compile model.onnx --target=cpu -o model.tsl
//   tessel-compile model.onnx --emit=graph|linalg|bufferized|llvm|asm|obj
//   tessel-compile model.onnx --stats
//   tessel-compile model.onnx --quantize=w8a8 --calib-data DIR --quant-report
//
// Imports the model, runs the graph pipeline, lowers for the target and
// writes the binary, or stops at the level `--emit` names.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/CPUCompiler.h"
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
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"));
static cl::opt<std::string> target("target",
                                   cl::desc("Target: cpu (default) or npu"),
                                   cl::init("cpu"));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("Stop at a level and print it: imported, graph, linalg, "
             "bufferized, llvm (LLVM IR), asm, obj; default: the binary"),
    cl::init(""));
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
                    "(default: nhwc when compiling for the CPU, whose "
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
  static const char *levels[] = {"",        "imported", "graph", "linalg",
                                 "bufferized", "llvm",  "asm",   "obj"};
  if (!llvm::is_contained(levels, StringRef(emit))) {
    llvm::errs() << "tessel-compile: unknown --emit level '" << emit
                 << "' (expected imported, graph, linalg, bufferized, llvm, "
                    "asm or obj)\n";
    return 1;
  }
  if (target != "cpu" && target != "npu") {
    llvm::errs() << "tessel-compile: unknown --target '" << target
                 << "' (expected cpu or npu)\n";
    return 1;
  }

  DialectRegistry registry;
  tessel::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  tessel::onnx_import::ImportOptions options;
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
    if (!layout.getNumOccurrences() && compiling && target == "cpu")
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
    if (emit.empty() && outputFile.empty())
      return 0;
  }
  if (emit == "graph")
    return printModule();

  if (target == "npu") {
    llvm::errs() << "tessel-compile: error: compiling for the NPU is not "
                    "available yet; use --target=cpu\n";
    return 1;
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
  std::string out = outputFile;
  if (out.empty()) {
    llvm::SmallString<256> p(inputFile);
    llvm::sys::path::replace_extension(p, "tsl");
    out = llvm::sys::path::filename(p).str();
  }
  if (tessel::Status s = tessel::rt::writeBinaryFile(artifacts->binary, out);
      !s) {
    llvm::errs() << "tessel-compile: error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
