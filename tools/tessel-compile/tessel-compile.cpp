//===- tessel-compile.cpp - ONNX in, optimized code out -----------------------===//
//
// The user's front door. Imports an ONNX model, runs the graph pipeline and
// stops at the level `--emit` names; `--stats` prints op counts and model
// size as imported and as optimized.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/Stats.h"
#include "tessel/InitAll.h"
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/ONNX/Import.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));
static cl::opt<bool> listChips("list-chips",
                               cl::desc("List the NPU chip models, and exit"));
static cl::list<std::string>
    chipFiles("chip-file", cl::desc("Add the chip models defined in FILE"),
              cl::value_desc("file"));
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
    PassManager pm(&context);
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (failed(pm.run(*module)))
      return 1;
  }

  if (stats) {
    tessel::printStatsTable(llvm::outs(), "Tessel model statistics: " + inputFile,
                            before, tessel::collectStats(*module));
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
