//===- Registration.cpp - The --import-onnx translation -------------------===//
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace tessel;

static llvm::cl::opt<std::string>
    inputShapes("input-shape",
                llvm::cl::desc("Fix input shapes: name=1x3x224x224[,name2=...]"),
                llvm::cl::value_desc("name=shape"));

void tessel::onnx_import::registerImportTranslation() {
  TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (binary or text) into graph IR",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        ImportOptions options;
        std::string error;
        if (failed(parseInputShapes(inputShapes, options, error))) {
          emitError(UnknownLoc::get(context)) << error;
          return {};
        }
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buffer->getBufferIdentifier();
        // Read real files ourselves (streamed, weights referenced in place);
        // stdin and split chunks come as buffers.
        OwningOpRef<ModuleOp> module;
        if (name != "<stdin>" && buffer->getBufferSize() > 0 &&
            llvm::sys::fs::exists(name) && sourceMgr.getNumBuffers() == 1)
          module = importFile(name, context, options);
        else
          module = importBuffer(buffer->getBuffer(), name, ".", context,
                                options);
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) {
        registry.insert<graph::GraphDialect, func::FuncDialect>();
      });
}
