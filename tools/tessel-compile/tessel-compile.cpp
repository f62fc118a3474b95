//===- tessel-compile.cpp - ONNX in, a deployable binary out -----------------===//
//
// The user's front door:
//
//   tessel-compile model.onnx --target=cpu -o model.tsl
//   tessel-compile model.onnx --target=gpu [--gpu-arch=sm_80|sm_90] -o model.tsl
//   tessel-compile model.onnx --emit=graph|linalg|bufferized|llvm|asm|obj
//   tessel-compile model.onnx --target=gpu --emit=kernels|nvvm|ptx
//   tessel-compile model.onnx --stats
//
// Imports the model, runs the graph pipeline, lowers for the target and
// writes the binary, or stops at the level `--emit` names.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/CPUCompiler.h"
#include "tessel/Compiler/GPUCompiler.h"
#include "tessel/Compiler/Stats.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Runtime/TensorFiles.h"
#include "tessel/InitAll.h"
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
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
             "GPU kernels (gpu dialect), nvvm, ptx; default: the binary"),
    cl::init(""));
static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("GPU architecture for --target=gpu: sm_80 (default; "
                     "runs on sm_80 and newer) or sm_90"),
            cl::init("sm_80"));
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
  if (target == "gpu" ? !llvm::is_contained(gpuLevels, StringRef(emit))
                      : !llvm::is_contained(cpuLevels, StringRef(emit))) {
    llvm::errs() << "tessel-compile: unknown --emit level '" << emit
                 << "' for --target=" << target << " (expected imported, "
                 << "graph, linalg, bufferized, "
                 << (target == "gpu" ? "kernels, nvvm or ptx"
                                     : "llvm, asm or obj")
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
    if (!layout.getNumOccurrences() && compiling && target != "npu")
      options.layout = tessel::graph::Layout::NHWC;
    tessel::buildGraphOptimizePipeline(pm, options);
    if (failed(pm.run(*module)))
      return 1;
  }
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
