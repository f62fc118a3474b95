//===- Importer.h - ONNX importer internals ---------------------*- C++ -*-===//
//
// ModelImporter walks one ONNX graph in topological order and hands each
// node to the import function registered for its op type (ImportMath.cpp,
// ImportNN.cpp, ImportTensor.cpp). NodeContext is what an import function
// sees: its node's inputs as MLIR values, attributes with defaults, the
// opset, and builders that infer, verify and fold the ops they create.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_TARGET_ONNX_IMPORTER_H
#define TESSEL_LIB_TARGET_ONNX_IMPORTER_H

#include "ONNXProto.h"

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Reference/Tensor.h"
#include "tessel/Target/ONNX/Import.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <memory>
#include <optional>

namespace tessel::onnx_import {

class ModelImporter;

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// A parsed model and what keeps its weights alive (the protobuf message
/// itself, mmapped external data files).
struct LoadedModel {
  std::shared_ptr<onnx::ModelProto> proto;
  std::string sourceName; ///< For diagnostics and locations.
  std::string baseDir;    ///< Where external data lives.
};

/// Reads a model file; binary or text is decided from the first byte.
llvm::FailureOr<LoadedModel> loadModelFile(llvm::StringRef path,
                                           mlir::MLIRContext *ctx);
llvm::FailureOr<LoadedModel> loadModelBuffer(llvm::StringRef buffer,
                                             llvm::StringRef sourceName,
                                             llvm::StringRef baseDir,
                                             mlir::MLIRContext *ctx);

/// The MLIR element type of an ONNX TensorProto data type, or null.
mlir::Type elementTypeFor(mlir::MLIRContext *ctx, int32_t onnxType);
/// "FLOAT", "INT64", ... for messages.
std::string onnxTypeName(int32_t onnxType);

/// Builds the constant attribute for an initializer or a Constant node's
/// tensor, referencing (not copying) large data where possible.
class TensorLoader {
public:
  TensorLoader(mlir::MLIRContext *ctx, const LoadedModel &model);
  ~TensorLoader();
  mlir::FailureOr<mlir::ElementsAttr> load(const onnx::TensorProto &tensor,
                                           mlir::Location loc);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

//===----------------------------------------------------------------------===//
// Per-node import
//===----------------------------------------------------------------------===//

class NodeContext {
public:
  NodeContext(ModelImporter &importer, const onnx::NodeProto &node,
              llvm::StringRef displayName, int64_t opset,
              mlir::OpBuilder &builder, mlir::Location loc);

  const onnx::NodeProto &node;
  /// The node's name, or OpType_index for unnamed nodes.
  const std::string displayName;
  const int64_t opset;
  mlir::OpBuilder &b;
  const mlir::Location loc;

  mlir::MLIRContext *getContext() const { return b.getContext(); }
  llvm::StringRef opType() const { return node.op_type(); }

  //--- Inputs: an optional input is absent when missing or named "". ---//
  unsigned numInputs() const { return node.input_size(); }
  bool hasInput(unsigned i) const;
  mlir::Value input(unsigned i) const;
  mlir::RankedTensorType inputType(unsigned i) const;
  mlir::Type inputElementType(unsigned i) const {
    return inputType(i).getElementType();
  }
  /// The value of input i when it is a constant.
  std::optional<ref::Tensor> constantInput(unsigned i) const;
  /// Input i's values as integers/floats; a diagnostic if it is not a
  /// compile-time constant.
  llvm::FailureOr<llvm::SmallVector<int64_t>>
  requireConstantInts(unsigned i, llvm::StringRef what);
  llvm::FailureOr<llvm::SmallVector<double>>
  requireConstantFloats(unsigned i, llvm::StringRef what);

  //--- Outputs ---//
  unsigned numOutputs() const { return node.output_size(); }
  /// Whether output i exists and anything (a node or a graph output) reads it.
  bool isOutputUsed(unsigned i) const;
  void setOutput(unsigned i, mlir::Value v);

  //--- Attributes (ONNX defaults are passed by the caller) ---//
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  double getFloat(llvm::StringRef name, double dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<llvm::SmallVector<int64_t>>
  getInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<double>>
  getFloats(llvm::StringRef name) const;

  //--- Diagnostics: "node 'name' (OpType): ..." at the node's location ---//
  mlir::InFlightDiagnostic emitError() const;
  llvm::LogicalResult error(const llvm::Twine &message) const;

  //--- Building ---//
  /// Creates an op whose result types are inferred; verifies and folds it.
  template <typename OpTy, typename... Args>
  llvm::FailureOr<mlir::Value> build(Args &&...args) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    OpTy::build(b, state, mlir::TypeRange{}, std::forward<Args>(args)...);
    llvm::SmallVector<mlir::Type> types;
    if (failed(OpTy::inferReturnTypes(
            getContext(), loc, state.operands,
            state.attributes.getDictionary(getContext()),
            state.getRawProperties(), state.regions, types)))
      return llvm::failure();
    state.addTypes(types);
    return finish(state);
  }
  /// Creates an op with an explicit result type; verifies and folds it.
  template <typename OpTy, typename... Args>
  llvm::FailureOr<mlir::Value> buildTyped(mlir::Type type, Args &&...args) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    OpTy::build(b, state, type, std::forward<Args>(args)...);
    return finish(state);
  }
  /// The same for ops with several results.
  llvm::FailureOr<llvm::SmallVector<mlir::Value>>
  finishMulti(mlir::OperationState &state);

  /// The constant attribute of a tensor attribute (a Constant's value).
  mlir::FailureOr<mlir::ElementsAttr>
  constantAttr(const onnx::TensorProto &tensor);

  /// A constant holding `t` with element type `elementType`.
  mlir::Value constant(mlir::Type elementType, const ref::Tensor &t);
  /// A scalar constant of `elementType` (rank 0), or shaped `shape`.
  mlir::Value scalar(mlir::Type elementType, double value,
                     llvm::ArrayRef<int64_t> shape = {});
  /// Reshapes `v` to `shape` (no-op if it already has that shape).
  llvm::FailureOr<mlir::Value> reshape(mlir::Value v,
                                       llvm::ArrayRef<int64_t> shape);

  /// Normalizes a possibly negative axis; a diagnostic if out of range.
  llvm::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis");

private:
  llvm::FailureOr<mlir::Value> finish(mlir::OperationState &state);
  ModelImporter &importer;
};

using ImportFn = llvm::LogicalResult (*)(NodeContext &);

struct OpImporter {
  ImportFn fn;
  /// The first opset at which the importer supports the op.
  int64_t sinceOpset = 1;
};

using ImporterRegistry = llvm::StringMap<OpImporter>;
void registerMathImporters(ImporterRegistry &registry);
void registerNNImporters(ImporterRegistry &registry);
void registerTensorImporters(ImporterRegistry &registry);
void registerQuantImporters(ImporterRegistry &registry);
const ImporterRegistry &getImporterRegistry();

//===----------------------------------------------------------------------===//
// Whole-model import
//===----------------------------------------------------------------------===//

class ModelImporter {
public:
  ModelImporter(mlir::MLIRContext *ctx, const LoadedModel &model,
                const ImportOptions &options);
  mlir::OwningOpRef<mlir::ModuleOp> run();

  /// The value of an ONNX name: a graph input, a node output, or an
  /// initializer (whose constant is created on first use). Null (with a
  /// diagnostic for a bad initializer) if there is none.
  mlir::Value lookup(llvm::StringRef name);
  bool isUsed(llvm::StringRef name) const { return uses.count(name) != 0; }
  void define(llvm::StringRef name, mlir::Value v) { values[name] = v; }
  llvm::StringRef sourceName() const { return model.sourceName; }
  mlir::FailureOr<mlir::ElementsAttr>
  loadTensor(const onnx::TensorProto &tensor, mlir::Location loc) {
    return tensors.load(tensor, loc);
  }

private:
  llvm::LogicalResult checkOpset();
  llvm::LogicalResult checkSupported(const onnx::GraphProto &graph);
  llvm::LogicalResult
  sortNodes(const onnx::GraphProto &graph,
            llvm::SmallVectorImpl<const onnx::NodeProto *> &order);
  llvm::FailureOr<mlir::RankedTensorType>
  inputType(const onnx::ValueInfoProto &info);
  llvm::LogicalResult importNode(const onnx::NodeProto &node, unsigned index);
  mlir::Location nodeLoc(const onnx::NodeProto &node, unsigned index);
  static std::string displayName(const onnx::NodeProto &node, unsigned index);

  mlir::MLIRContext *ctx;
  const LoadedModel &model;
  const ImportOptions &options;
  mlir::OpBuilder builder;
  TensorLoader tensors;
  int64_t opset = 0;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  llvm::StringSet<> uses;
};

} // namespace tessel::onnx_import

#endif // TESSEL_LIB_TARGET_ONNX_IMPORTER_H
