//===- TensorIO.cpp - ONNX TensorProto files as reference tensors ---------===//
#include "tessel/Target/ONNX/TensorIO.h"
#include "Importer.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace tessel;

FailureOr<onnx_import::NamedTensor>
onnx_import::readTensorProtoFile(StringRef path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read '" + path.str() + "': " + buffer.getError().message();
    return failure();
  }
  onnx::TensorProto proto;
  if (!proto.ParseFromArray((*buffer)->getBufferStart(),
                            static_cast<int>((*buffer)->getBufferSize()))) {
    error = "'" + path.str() + "' is not a serialized onnx.TensorProto";
    return failure();
  }
  // Reuse the importer's tensor loading (typed fields, raw data, external
  // data next to the file) through a throwaway context.
  MLIRContext ctx;
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  LoadedModel model;
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  model.baseDir = dir.str().str();
  model.sourceName = path.str();
  TensorLoader loader(&ctx, model);
  FailureOr<ElementsAttr> attr = loader.load(proto, UnknownLoc::get(&ctx));
  if (failed(attr)) {
    error = diagnostics;
    return failure();
  }
  FailureOr<ref::Tensor> t = graph::toTensor(*attr, error);
  if (failed(t))
    return failure();
  return NamedTensor{proto.name(), std::move(*t)};
}
