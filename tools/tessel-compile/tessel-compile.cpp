//===- tessel-compile.cpp - ONNX in, optimized code out -----------------------===//
//
// The user's front door. Imports an ONNX model, runs the graph pipeline and
// stops at the level `--emit` names; `--stats` prints op counts and model
// size as imported and as optimized.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/Stats.h"
#include "tessel/InitAll.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));
static cl::opt<bool> listOnnxOps("list-onnx-ops",
                                 cl::desc("List the ONNX op types Tessel "
                                          "imports, and exit"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<std::string>
    emit("emit", cl::desc("Stop at this level: graph (optimized graph IR) or "
                          "imported (graph IR as imported)"),
         cl::init("graph"));
// `--stats` is LLVM's own option name (pass statistics); main() maps the
// user's `--stats` to this one.
static cl::opt<bool> stats("tessel-stats",
                           cl::desc("(also --stats) Print op counts and model "
                                    "size as imported and as optimized"));
static cl::opt<tessel::graph::Layout>
    layout("layout",
           cl::desc("Layout of the optimized graph's convs and pools"),
           cl::init(tessel::graph::Layout::NCHW),
           cl::values(clEnumValN(tessel::graph::Layout::NCHW, "nchw",
                                 "channels first, as imported (default)"),
                      clEnumValN(tessel::graph::Layout::NHWC, "nhwc",
                                 "channels last")));
static cl::opt<std::string>
    inputShapes("input-shape",
                cl::desc("Fix input shapes: name=1x3x224x224[,name2=...]"));
static cl::opt<unsigned> elideResources(
    "elide-weights-larger-than",
    cl::desc("Print weight blobs larger than this many bytes as elided"),
    cl::init(0));

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

  if (listOnnxOps) {
    for (const std::string &op : tessel::onnx_import::supportedOpTypes())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "tessel-compile: no input model (see --help)\n";
    return 1;
  }

  DialectRegistry registry;
  tessel::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  tessel::onnx_import::ImportOptions options;
  std::string error;
  if (failed(tessel::onnx_import::parseInputShapes(inputShapes, options,
                                                   error))) {
    llvm::errs() << "tessel-compile: " << error << "\n";
    return 1;
  }
  OwningOpRef<ModuleOp> module =
      tessel::onnx_import::importFile(inputFile, &context, options);
  if (!module)
    return 1;
  tessel::ModelStats before = tessel::collectStats(*module);

  if (emit != "imported") {
    if (emit != "graph") {
      llvm::errs() << "tessel-compile: unknown --emit level '" << emit
                   << "' (expected imported or graph)\n";
      return 1;
    }
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
    if (outputFile == "-")
      return 0;
  }

  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "tessel-compile: " << error << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideResources)
    flags.elideLargeResourceString(elideResources);
  module->print(output->os(), flags);
  output->keep();
  return 0;
}
