//===- tessel-translate.cpp - Tessel's mlir-translate ------------------------===//
//
// `--import-onnx` reads a binary or textual ONNX model and prints graph IR.
// Real files are imported straight from disk (streamed through protobuf,
// weights referenced in place) rather than read into a buffer first, which
// would hold a second copy of every weight; stdin and `--split-input-file`
// go through mlir-translate's usual buffer path.
//
//===----------------------------------------------------------------------===//
#include "tessel/InitAll.h"
#include "tessel/Target/ONNX/Import.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

/// Imports `path` directly when the command line is a plain file import.
static std::optional<int> tryDirectImport(int argc, char **argv) {
  std::string input, output = "-", shapes;
  bool importOnnx = false;
  std::vector<char *> rest;
  for (int i = 1; i < argc; ++i) {
    StringRef a(argv[i]);
    if (a == "--import-onnx" || a == "-import-onnx") {
      importOnnx = true;
    } else if ((a == "-o" || a == "--o") && i + 1 < argc) {
      output = argv[++i];
    } else if (a.consume_front("--input-shape=") ||
               a.consume_front("-input-shape=")) {
      shapes = a.str();
    } else if ((a == "--input-shape" || a == "-input-shape") && i + 1 < argc) {
      shapes = argv[++i];
    } else if (a.starts_with("--mlir-") || a.starts_with("-mlir-")) {
      rest.push_back(argv[i]);
    } else if (!a.starts_with("-") && input.empty()) {
      input = a.str();
    } else {
      return std::nullopt; // Anything else: mlir-translate's own handling.
    }
  }
  if (!importOnnx || input.empty() || input == "-" ||
      !llvm::sys::fs::is_regular_file(input))
    return std::nullopt;

  // Parse the printing/context flags mlir-translate would accept.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  rest.insert(rest.begin(), argv[0]);
  llvm::cl::ParseCommandLineOptions(rest.size(), rest.data(),
                                    "Tessel translation driver\n");
  DialectRegistry registry;
  tessel::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  tessel::onnx_import::ImportOptions options;
  std::string error;
  if (failed(tessel::onnx_import::parseInputShapes(shapes, options, error))) {
    llvm::errs() << "tessel-translate: " << error << "\n";
    return 1;
  }
  OwningOpRef<ModuleOp> module =
      tessel::onnx_import::importFile(input, &context, options);
  if (!module)
    return 1;
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "tessel-translate: " << error << "\n";
    return 1;
  }
  module->print(out->os(), OpPrintingFlags());
  out->os() << "\n";
  out->keep();
  return 0;
}

int main(int argc, char **argv) {
  if (std::optional<int> rc = tryDirectImport(argc, argv))
    return *rc;
  tessel::onnx_import::registerImportTranslation();
  return failed(mlir::mlirTranslateMain(argc, argv,
                                        "Tessel translation driver\n"))
             ? 1
             : 0;
}
