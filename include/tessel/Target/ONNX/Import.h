//===- Import.h - ONNX model import into the graph dialect ------*- C++ -*-===//
//
// Reads binary `.onnx` models (with external data), and ONNX's textual
// syntax, opsets 7 through kMaxOpset, into a module holding one
// `func.func @main` of graph ops. ONNX semantics are normalized on the way in
// (see docs/onnx-import.md). Every error is a diagnostic naming the node.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_ONNX_IMPORT_H
#define TESSEL_TARGET_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

#include "tessel/Reference/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace tessel::onnx_import {

/// The opset range the importer implements for the default ONNX domain.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 28;

struct ImportOptions {
  /// Fixed shapes for graph inputs (overriding or completing their declared
  /// shapes, e.g. a dynamic batch dim).
  llvm::StringMap<std::vector<int64_t>> inputShapes;
  /// Graph inputs fixed to known values: they become constants, so that
  /// shape-like inputs (axes, sizes, repeats) can be folded.
  std::map<std::string, ref::Tensor> frozenInputs;
  /// If > 0: the first dim of every graph input (a dynamic one, or one
  /// already fixed to this value) is the batch size.
  int64_t batch = 0;
  /// Name of the function holding the graph.
  std::string functionName = "main";
};

/// Parses "name=1x3x224x224[,name2=...]" into `options.inputShapes`.
llvm::LogicalResult parseInputShapes(llvm::StringRef spec,
                                     ImportOptions &options,
                                     std::string &error);

/// Imports an ONNX model file (binary or text, detected from the contents).
/// Large initializers stay in the parsed model or the external data file
/// (mmapped) and are referenced, not copied, by dense_resource constants.
mlir::OwningOpRef<mlir::ModuleOp> importFile(llvm::StringRef path,
                                             mlir::MLIRContext *context,
                                             const ImportOptions &options);

/// Imports a model held in memory; `sourceName` names it in diagnostics and
/// `baseDir` is where external data files are looked up.
mlir::OwningOpRef<mlir::ModuleOp>
importBuffer(llvm::StringRef buffer, llvm::StringRef sourceName,
             llvm::StringRef baseDir, mlir::MLIRContext *context,
             const ImportOptions &options);

/// The op types a model file uses (sorted, unique; other domains prefixed
/// with the domain). Empty if the file does not parse.
std::vector<std::string> modelOpTypes(llvm::StringRef path);

/// How many nodes of each op type a model file has (other domains prefixed
/// with the domain). Empty if the file does not parse.
std::map<std::string, int64_t> modelNodeCounts(llvm::StringRef path);

/// The names of a model's graph inputs that are not initializers, in order.
std::vector<std::string> modelInputNames(llvm::StringRef path);

/// The ONNX op types (default domain) the importer supports, sorted.
std::vector<std::string> supportedOpTypes();

/// Registers `--import-onnx` (and its options) with mlir-translate.
void registerImportTranslation();

} // namespace tessel::onnx_import

#endif // TESSEL_TARGET_ONNX_IMPORT_H
