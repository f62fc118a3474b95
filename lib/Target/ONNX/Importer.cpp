//===- Importer.cpp - ONNX graphs into the graph dialect ------------------===//
#include "Importer.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <deque>
#include <map>
#include <set>

using namespace mlir;
using namespace tessel;
using namespace tessel::onnx_import;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(ModelImporter &importer, const onnx::NodeProto &node,
                         StringRef displayName, int64_t opset,
                         OpBuilder &builder, Location loc)
    : node(node), displayName(displayName.str()), opset(opset), b(builder),
      loc(loc), importer(importer) {}

bool NodeContext::hasInput(unsigned i) const {
  return i < static_cast<unsigned>(node.input_size()) &&
         !node.input(i).empty();
}

Value NodeContext::input(unsigned i) const {
  if (!hasInput(i))
    return {};
  return importer.lookup(node.input(i));
}

RankedTensorType NodeContext::inputType(unsigned i) const {
  return cast<RankedTensorType>(input(i).getType());
}

std::optional<ref::Tensor> NodeContext::constantInput(unsigned i) const {
  Value v = input(i);
  if (!v)
    return std::nullopt;
  auto c = v.getDefiningOp<graph::ConstantOp>();
  if (!c)
    return std::nullopt;
  std::string error;
  FailureOr<ref::Tensor> t = graph::toTensor(c.getValue(), error);
  if (failed(t))
    return std::nullopt;
  return std::move(*t);
}

FailureOr<SmallVector<int64_t>>
NodeContext::requireConstantInts(unsigned i, StringRef what) {
  std::optional<ref::Tensor> t = constantInput(i);
  if (!t) {
    emitError() << what << " (input " << i << " '" << node.input(i)
                << "') must be a compile-time constant";
    return failure();
  }
  SmallVector<int64_t> out;
  for (int64_t k = 0; k < t->numel(); ++k)
    out.push_back(t->getI(k));
  return out;
}

FailureOr<SmallVector<double>>
NodeContext::requireConstantFloats(unsigned i, StringRef what) {
  std::optional<ref::Tensor> t = constantInput(i);
  if (!t) {
    emitError() << what << " (input " << i << " '" << node.input(i)
                << "') must be a compile-time constant";
    return failure();
  }
  SmallVector<double> out;
  for (int64_t k = 0; k < t->numel(); ++k)
    out.push_back(t->getF(k));
  return out;
}

bool NodeContext::isOutputUsed(unsigned i) const {
  return i < static_cast<unsigned>(node.output_size()) &&
         !node.output(i).empty() && importer.isUsed(node.output(i));
}

void NodeContext::setOutput(unsigned i, Value v) {
  if (i < static_cast<unsigned>(node.output_size()) && !node.output(i).empty())
    importer.define(node.output(i), v);
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::getInt(StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : dflt;
}

double NodeContext::getFloat(StringRef name, double dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::getString(StringRef name, StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>> NodeContext::getInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<SmallVector<double>> NodeContext::getFloats(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<double>(a->floats().begin(), a->floats().end());
}

InFlightDiagnostic NodeContext::emitError() const {
  InFlightDiagnostic diag = mlir::emitError(loc);
  diag << "node '" << displayName << "' (" << node.op_type() << "): ";
  return diag;
}

LogicalResult NodeContext::error(const Twine &message) const {
  return emitError() << message;
}

FailureOr<Value> NodeContext::finish(OperationState &state) {
  FailureOr<SmallVector<Value>> results = finishMulti(state);
  if (failed(results))
    return failure();
  return (*results)[0];
}

FailureOr<SmallVector<Value>> NodeContext::finishMulti(OperationState &state) {
  Operation *op = b.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<Value> results;
  if (succeeded(b.tryFold(op, results)) && !results.empty()) {
    op->erase();
    return results;
  }
  return SmallVector<Value>(op->getResults());
}

FailureOr<ElementsAttr>
NodeContext::constantAttr(const onnx::TensorProto &tensor) {
  return importer.loadTensor(tensor, loc);
}

Value NodeContext::constant(Type elementType, const ref::Tensor &t) {
  auto type = RankedTensorType::get(t.shape(), elementType);
  return graph::ConstantOp::create(b, loc, graph::toElementsAttr(type, t));
}

Value NodeContext::scalar(Type elementType, double value,
                          ArrayRef<int64_t> shape) {
  ref::Tensor t(*graph::toDType(elementType), ref::Shape(shape.begin(),
                                                         shape.end()));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.setF(i, value);
  return constant(elementType, t);
}

FailureOr<Value> NodeContext::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return buildTyped<graph::ReshapeOp>(type.clone(shape), v);
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= rank) {
    emitError() << what << " " << axis << " is out of range for rank "
                << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

static bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

const ImporterRegistry &tessel::onnx_import::getImporterRegistry() {
  static const ImporterRegistry registry = [] {
    ImporterRegistry r;
    registerMathImporters(r);
    registerNNImporters(r);
    registerTensorImporters(r);
    registerQuantImporters(r);
    return r;
  }();
  return registry;
}

std::vector<std::string> tessel::onnx_import::modelOpTypes(StringRef path) {
  MLIRContext ctx;
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  FailureOr<LoadedModel> model = loadModelFile(path, &ctx);
  std::set<std::string> ops;
  if (succeeded(model))
    for (const onnx::NodeProto &node : model->proto->graph().node())
      ops.insert(isDefaultDomain(node.domain())
                     ? node.op_type()
                     : node.domain() + "." + node.op_type());
  return std::vector<std::string>(ops.begin(), ops.end());
}

std::map<std::string, int64_t>
tessel::onnx_import::modelNodeCounts(StringRef path) {
  MLIRContext ctx;
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  FailureOr<LoadedModel> model = loadModelFile(path, &ctx);
  std::map<std::string, int64_t> counts;
  if (succeeded(model))
    for (const onnx::NodeProto &node : model->proto->graph().node())
      ++counts[isDefaultDomain(node.domain())
                   ? node.op_type()
                   : node.domain() + "." + node.op_type()];
  return counts;
}

std::vector<std::string> tessel::onnx_import::modelInputNames(StringRef path) {
  MLIRContext ctx;
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  FailureOr<LoadedModel> model = loadModelFile(path, &ctx);
  std::vector<std::string> names;
  if (failed(model))
    return names;
  llvm::StringSet<> inits;
  for (const onnx::TensorProto &t : model->proto->graph().initializer())
    inits.insert(t.name());
  for (const onnx::ValueInfoProto &in : model->proto->graph().input())
    if (!inits.count(in.name()))
      names.push_back(in.name());
  return names;
}

std::vector<std::string> tessel::onnx_import::supportedOpTypes() {
  std::vector<std::string> ops;
  for (const auto &entry : getImporterRegistry())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}

//===----------------------------------------------------------------------===//
// ModelImporter
//===----------------------------------------------------------------------===//

ModelImporter::ModelImporter(MLIRContext *ctx, const LoadedModel &model,
                             const ImportOptions &options)
    : ctx(ctx), model(model), options(options), builder(ctx),
      tensors(ctx, model) {}

std::string ModelImporter::displayName(const onnx::NodeProto &node,
                                       unsigned index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

Location ModelImporter::nodeLoc(const onnx::NodeProto &node, unsigned index) {
  return NameLoc::get(StringAttr::get(ctx, displayName(node, index)),
                      FileLineColLoc::get(ctx, model.sourceName, 0, 0));
}

Value ModelImporter::lookup(StringRef name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return {};
  // Initializer constants are created on first use, at the function start.
  OpBuilder::InsertionGuard guard(builder);
  Block *entry = builder.getInsertionBlock();
  builder.setInsertionPointToStart(entry);
  Location loc = NameLoc::get(StringAttr::get(ctx, name),
                              FileLineColLoc::get(ctx, model.sourceName, 0, 0));
  FailureOr<ElementsAttr> attr = tensors.load(*init->second, loc);
  if (failed(attr))
    return {};
  Value v = graph::ConstantOp::create(builder, loc, *attr);
  values[name] = v;
  return v;
}

LogicalResult ModelImporter::checkOpset() {
  Location loc = FileLineColLoc::get(ctx, model.sourceName, 0, 0);
  for (const onnx::OperatorSetIdProto &o : model.proto->opset_import())
    if (isDefaultDomain(o.domain()))
      opset = o.version();
  if (opset == 0)
    return emitError(loc) << "the model imports no opset of the default ONNX "
                             "domain";
  if (opset < kMinOpset)
    return emitError(loc) << "opset " << opset
                          << " is older than the oldest supported (" << kMinOpset
                          << "); upgrade the model with "
                             "onnx.version_converter";
  if (opset > kMaxOpset)
    return emitError(loc) << "opset " << opset
                          << " is newer than the newest supported ("
                          << kMaxOpset << ")";
  return success();
}

LogicalResult ModelImporter::checkSupported(const onnx::GraphProto &graph) {
  const ImporterRegistry &registry = getImporterRegistry();
  // Op type -> names of the nodes using it, for one message listing all.
  std::map<std::string, std::vector<std::string>> unsupported;
  std::map<std::string, std::string> reasons;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string key = isDefaultDomain(node.domain())
                          ? node.op_type()
                          : node.domain() + "." + node.op_type();
    std::string nodeName = node.name().empty()
                               ? node.op_type() + "_" + std::to_string(i)
                               : node.name();
    if (!isDefaultDomain(node.domain())) {
      unsupported[key].push_back(nodeName);
      reasons[key] = "domain '" + node.domain() + "' is not supported";
      continue;
    }
    auto it = registry.find(node.op_type());
    if (it == registry.end()) {
      unsupported[key].push_back(nodeName);
      continue;
    }
    if (opset < it->second.sinceOpset) {
      unsupported[key].push_back(nodeName);
      reasons[key] = "supported from opset " +
                     std::to_string(it->second.sinceOpset);
    }
  }
  if (unsupported.empty())
    return success();
  InFlightDiagnostic diag =
      emitError(FileLineColLoc::get(ctx, model.sourceName, 0, 0));
  diag << "the model uses " << unsupported.size()
       << " unsupported op type" << (unsupported.size() > 1 ? "s" : "")
       << ": ";
  bool first = true;
  for (auto &[op, nodes] : unsupported) {
    diag << (first ? "" : "; ") << op;
    first = false;
    auto reason = reasons.find(op);
    if (reason != reasons.end())
      diag << " [" << reason->second << "]";
    diag << " (" << nodes.size() << " node" << (nodes.size() > 1 ? "s" : "")
         << ": ";
    for (size_t k = 0; k < nodes.size() && k < 3; ++k)
      diag << (k ? ", " : "") << "'" << nodes[k] << "'";
    if (nodes.size() > 3)
      diag << ", ...";
    diag << ")";
  }
  return failure();
}

LogicalResult
ModelImporter::sortNodes(const onnx::GraphProto &graph,
                         SmallVectorImpl<const onnx::NodeProto *> &order) {
  // Kahn's algorithm, stable: nodes already in order stay in order.
  int n = graph.node_size();
  llvm::StringMap<int> producer;
  for (int i = 0; i < n; ++i)
    for (const std::string &out : graph.node(i).output())
      if (!out.empty())
        producer[out] = i;
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int i = 0; i < n; ++i) {
    for (const std::string &in : graph.node(i).input()) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end())
        continue;
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::set<int> ready;
  for (int i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.insert(i);
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&graph.node(i));
    for (int c : consumers[i])
      if (--pending[c] == 0)
        ready.insert(c);
  }
  if (static_cast<int>(order.size()) != n) {
    for (int i = 0; i < n; ++i)
      if (pending[i] > 0)
        return emitError(nodeLoc(graph.node(i), i))
               << "node '" << displayName(graph.node(i), i) << "' ("
               << graph.node(i).op_type() << ") is part of a cycle";
  }
  return success();
}

FailureOr<RankedTensorType>
ModelImporter::inputType(const onnx::ValueInfoProto &info) {
  Location loc = NameLoc::get(StringAttr::get(ctx, info.name()),
                              FileLineColLoc::get(ctx, model.sourceName, 0, 0));
  if (!info.type().has_tensor_type())
    return emitError(loc) << "graph input '" << info.name()
                          << "' is not a tensor (sequences, maps and "
                             "optionals are not supported)";
  const onnx::TypeProto::Tensor &tt = info.type().tensor_type();
  Type elementType = elementTypeFor(ctx, tt.elem_type());
  if (!elementType)
    return emitError(loc) << "graph input '" << info.name()
                          << "' has unsupported data type "
                          << onnxTypeName(tt.elem_type());
  auto override = options.inputShapes.find(info.name());
  if (override != options.inputShapes.end()) {
    const std::vector<int64_t> &dims = override->second;
    if (tt.has_shape()) {
      if (tt.shape().dim_size() != static_cast<int>(dims.size()))
        return emitError(loc)
               << "--input-shape for '" << info.name() << "' has rank "
               << dims.size() << " but the model declares rank "
               << tt.shape().dim_size();
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto &d = tt.shape().dim(i);
        if (d.has_dim_value() && d.dim_value() != dims[i])
          return emitError(loc)
                 << "--input-shape for '" << info.name() << "' sets dim " << i
                 << " to " << dims[i] << " but the model fixes it to "
                 << d.dim_value();
      }
    }
    return RankedTensorType::get(dims, elementType);
  }
  if (!tt.has_shape())
    return emitError(loc) << "graph input '" << info.name()
                          << "' has no shape; give one with --input-shape "
                          << info.name() << "=...";
  SmallVector<int64_t> shape;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (i == 0 && options.batch > 0) {
      if (d.has_dim_value() && d.dim_value() != options.batch)
        return emitError(loc)
               << "--batch=" << options.batch << ": graph input '"
               << info.name() << "' fixes its first dim to " << d.dim_value();
      shape.push_back(options.batch);
      continue;
    }
    if (!d.has_dim_value() || d.dim_value() < 0)
      return emitError(loc)
             << "graph input '" << info.name() << "' has a dynamic dim " << i
             << (d.has_dim_param() ? " ('" + d.dim_param() + "')"
                                   : std::string())
             << "; fix it with --input-shape " << info.name() << "=...";
    shape.push_back(d.dim_value());
  }
  return RankedTensorType::get(shape, elementType);
}

LogicalResult ModelImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index) {
  Location loc = nodeLoc(node, index);
  std::string name = displayName(node, index);
  NodeContext nc(*this, node, name, opset, builder, loc);
  // Errors from type inference and verifiers of the ops being built do not
  // know the ONNX node: prefix them with it, like the importer's own.
  std::string prefix = "node '" + name + "' (" + node.op_type() + "): ";
  bool reentered = false;
  ScopedDiagnosticHandler nodeDiagnostics(ctx, [&](Diagnostic &diag) {
    if (reentered || diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    std::string message = diag.str();
    if (StringRef(message).starts_with("node '"))
      return failure();
    reentered = true;
    mlir::emitError(diag.getLocation()) << prefix << message;
    reentered = false;
    return success();
  });
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    Value v = lookup(node.input(i));
    if (!v)
      return nc.emitError() << "input '" << node.input(i)
                            << "' is not produced by any node, initializer "
                               "or graph input";
  }
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.type() == onnx::AttributeProto::GRAPH ||
        a.type() == onnx::AttributeProto::GRAPHS)
      return nc.emitError() << "subgraph attribute '" << a.name()
                            << "' (control flow) is not supported";
  const OpImporter &importer = getImporterRegistry().find(node.op_type())
                                   ->second;
  if (failed(importer.fn(nc)))
    return failure();
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &out = node.output(i);
    if (out.empty() || values.count(out))
      continue;
    if (isUsed(out))
      return nc.emitError() << "output " << i << " ('" << out
                            << "') is not supported by the importer";
  }
  return success();
}

OwningOpRef<ModuleOp> ModelImporter::run() {
  Location fileLoc = FileLineColLoc::get(ctx, model.sourceName, 0, 0);
  const onnx::GraphProto &graph = model.proto->graph();
  if (failed(checkOpset()) || failed(checkSupported(graph)))
    return {};

  for (const onnx::TensorProto &t : graph.initializer())
    initializers[t.name()] = &t;
  if (graph.sparse_initializer_size() > 0) {
    emitError(fileLoc) << "sparse initializers are not supported";
    return {};
  }
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &in : node.input())
      if (!in.empty())
        uses.insert(in);
  for (const onnx::ValueInfoProto &out : graph.output())
    uses.insert(out.name());

  // Check --input-shape names.
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &in : graph.input())
    inputNames.insert(in.name());
  for (const auto &entry : options.inputShapes) {
    if (!inputNames.count(entry.getKey())) {
      InFlightDiagnostic diag = emitError(fileLoc);
      diag << "--input-shape names '" << entry.getKey()
           << "', which is not a graph input; inputs are:";
      for (const onnx::ValueInfoProto &in : graph.input())
        if (!initializers.count(in.name()))
          diag << " '" << in.name() << "'";
      return {};
    }
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  module->getOperation()->setAttr(
      "tessel.source", StringAttr::get(ctx, model.sourceName));
  module->getOperation()->setAttr(
      "tessel.onnx_opset",
      IntegerAttr::get(IntegerType::get(ctx, 64), opset));
  if (!model.proto->producer_name().empty())
    module->getOperation()->setAttr(
        "tessel.onnx_producer",
        StringAttr::get(ctx, model.proto->producer_version().empty()
                                 ? model.proto->producer_name()
                                 : model.proto->producer_name() + " " +
                                       model.proto->producer_version()));

  // Graph inputs (initializers listed as inputs are constants).
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (initializers.count(in.name()))
      continue;
    auto frozen = options.frozenInputs.find(in.name());
    if (frozen != options.frozenInputs.end())
      continue; // Becomes a constant below.
    FailureOr<RankedTensorType> type = inputType(in);
    if (failed(type))
      return {};
    argTypes.push_back(*type);
    argNames.push_back(in.name());
  }
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, options.functionName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "tessel.name", builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(entry);
  for (const onnx::ValueInfoProto &in : graph.input()) {
    auto frozen = options.frozenInputs.find(in.name());
    if (frozen == options.frozenInputs.end() || initializers.count(in.name()))
      continue;
    Location loc = NameLoc::get(StringAttr::get(ctx, in.name()), fileLoc);
    const onnx::TypeProto::Tensor &tt = in.type().tensor_type();
    Type elementType = elementTypeFor(ctx, tt.elem_type());
    const ref::Tensor &value = frozen->second;
    if (!elementType ||
        graph::toDType(elementType) != std::optional(value.dtype())) {
      emitError(loc) << "frozen value for input '" << in.name() << "' is "
                     << value.typeString() << ", which does not match the "
                     << onnxTypeName(tt.elem_type()) << " input";
      return {};
    }
    auto type = RankedTensorType::get(value.shape(), elementType);
    values[in.name()] = graph::ConstantOp::create(
        builder, loc, graph::toElementsAttr(type, value, in.name()));
  }
  for (const auto &entry : options.frozenInputs)
    if (!inputNames.count(entry.first)) {
      emitError(fileLoc) << "frozen input '" << entry.first
                         << "' is not a graph input";
      return {};
    }

  SmallVector<const onnx::NodeProto *> order;
  if (failed(sortNodes(graph, order)))
    return {};
  for (auto [i, node] : llvm::enumerate(order))
    if (failed(importNode(*node, i)))
      return {};

  // Graph outputs.
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Location loc = NameLoc::get(StringAttr::get(ctx, out.name()), fileLoc);
    Value v = lookup(out.name());
    if (!v) {
      emitError(loc) << "graph output '" << out.name()
                     << "' is not produced by any node";
      return {};
    }
    auto type = cast<RankedTensorType>(v.getType());
    if (out.type().has_tensor_type()) {
      const auto &tt = out.type().tensor_type();
      Type declared = elementTypeFor(ctx, tt.elem_type());
      if (tt.elem_type() != 0 && declared != type.getElementType()) {
        emitError(loc) << "graph output '" << out.name()
                       << "' is declared as " << onnxTypeName(tt.elem_type())
                       << " but computes " << type.getElementType();
        return {};
      }
      if (tt.has_shape()) {
        bool mismatch = tt.shape().dim_size() != type.getRank();
        for (int i = 0; !mismatch && i < tt.shape().dim_size(); ++i)
          mismatch = tt.shape().dim(i).has_dim_value() &&
                     tt.shape().dim(i).dim_value() != type.getDimSize(i);
        if (mismatch) {
          InFlightDiagnostic diag = emitError(loc);
          diag << "shape mismatch: graph output '" << out.name()
               << "' is declared as [";
          for (int i = 0; i < tt.shape().dim_size(); ++i) {
            const auto &d = tt.shape().dim(i);
            diag << (i ? "," : "")
                 << (d.has_dim_value() ? std::to_string(d.dim_value())
                                       : d.dim_param());
          }
          diag << "] but computes " << type;
          return {};
        }
      }
    }
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(argTypes, TypeRange(results)));
  // Folding at import leaves the constants of shape subgraphs unused.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "tessel.name", builder.getStringAttr(out.name()));
  if (failed(mlir::verify(*module)))
    return {};
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp>
tessel::onnx_import::importFile(StringRef path, MLIRContext *context,
                                const ImportOptions &options) {
  context->loadDialect<graph::GraphDialect, func::FuncDialect>();
  FailureOr<LoadedModel> model = loadModelFile(path, context);
  if (failed(model))
    return {};
  return ModelImporter(context, *model, options).run();
}

OwningOpRef<ModuleOp> tessel::onnx_import::importBuffer(
    StringRef buffer, StringRef sourceName, StringRef baseDir,
    MLIRContext *context, const ImportOptions &options) {
  context->loadDialect<graph::GraphDialect, func::FuncDialect>();
  FailureOr<LoadedModel> model =
      loadModelBuffer(buffer, sourceName, baseDir, context);
  if (failed(model))
    return {};
  return ModelImporter(context, *model, options).run();
}

LogicalResult tessel::onnx_import::parseInputShapes(StringRef spec,
                                                    ImportOptions &options,
                                                    std::string &error) {
  SmallVector<StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    auto [name, dims] = item.rsplit('=');
    if (name.empty() || dims.empty() || item.count('=') == 0) {
      error = "bad --input-shape '" + item.str() +
              "': expected name=DxDx... (e.g. input=1x3x224x224)";
      return failure();
    }
    std::vector<int64_t> shape;
    SmallVector<StringRef> parts;
    if (dims != "scalar")
      dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0) {
        error = "bad dim '" + p.str() + "' in --input-shape '" + item.str() +
                "'";
        return failure();
      }
      shape.push_back(d);
    }
    options.inputShapes[name] = shape;
  }
  return success();
}
