//===- GraphCommon.cpp - Type inference, folding and evaluation helpers ---===//
#include "GraphOpsCommon.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Reference/Kernels.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

namespace tessel::graph {

static bool isQuantOrInteger(Type t) {
  return isa<quant::QuantizedType>(t) || isa<IntegerType>(t);
}

bool areCompatibleModuloQuant(TypeRange lhs, TypeRange rhs) {
  if (lhs.size() != rhs.size())
    return false;
  for (auto [l, r] : llvm::zip(lhs, rhs)) {
    if (l == r)
      continue;
    auto lt = dyn_cast<RankedTensorType>(l);
    auto rt = dyn_cast<RankedTensorType>(r);
    if (!lt || !rt || lt.getShape() != rt.getShape())
      return false;
    Type le = lt.getElementType(), re = rt.getElementType();
    bool lq = isa<quant::QuantizedType>(le), rq = isa<quant::QuantizedType>(re);
    if (!(lq || rq) || !isQuantOrInteger(le) || !isQuantOrInteger(re))
      return false;
  }
  return true;
}

LogicalResult inferBroadcastType(MLIRContext *ctx,
                                 std::optional<Location> loc,
                                 ArrayRef<Type> operandTypes, bool boolResult,
                                 SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape;
  for (Type t : operandTypes) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt)
      return emitOptionalError(loc, "expected ranked tensor operands");
    ref::Shape a(shape.begin(), shape.end());
    ref::Shape b(rt.getShape().begin(), rt.getShape().end());
    std::optional<ref::Shape> out = ref::broadcastShapes(a, b);
    if (!out)
      return emitOptionalError(
          loc, "operand shapes do not broadcast: ", ref::shapeToString(a),
          " and ", ref::shapeToString(b));
    shape.assign(out->begin(), out->end());
  }
  Type elementType = boolResult
                         ? IntegerType::get(ctx, 1)
                         : cast<RankedTensorType>(operandTypes[0]).getElementType();
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult inferReduceType(std::optional<Location> loc, Type inputType,
                              ArrayRef<int64_t> axes, bool keepDims,
                              SmallVectorImpl<Type> &types) {
  auto rt = cast<RankedTensorType>(inputType);
  SmallVector<int64_t> shape;
  for (int64_t i = 0, e = rt.getRank(); i < e; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    if (!reduced)
      shape.push_back(rt.getDimSize(i));
    else if (keepDims)
      shape.push_back(1);
  }
  for (int64_t a : axes)
    if (a < 0 || a >= rt.getRank())
      return emitOptionalError(loc, "reduction axis ", a,
                               " out of range for rank ", rt.getRank());
  types.push_back(RankedTensorType::get(shape, rt.getElementType()));
  return success();
}

LogicalResult verifyBinaryOperands(Operation *op) {
  Type l = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  Type r = cast<RankedTensorType>(op->getOperand(1).getType()).getElementType();
  if (l != r && !isa<PowOp>(op) &&
      !(isa<quant::QuantizedType>(l) || isa<quant::QuantizedType>(r)))
    return op->emitOpError("operand element types differ: ")
           << l << " and " << r;
  return success();
}

LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes, int64_t rank) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return op->emitOpError("axis ")
             << axes[i] << " is out of range for rank " << rank;
    if (i > 0 && axes[i] <= axes[i - 1])
      return op->emitOpError("axes must be sorted and unique");
  }
  return success();
}

bool hasQuantizedTypes(Operation *op) {
  auto isQuant = [](Type t) {
    auto rt = dyn_cast<RankedTensorType>(t);
    return rt && isa<quant::QuantizedType>(rt.getElementType());
  };
  return llvm::any_of(op->getOperandTypes(), isQuant) ||
         llvm::any_of(op->getResultTypes(), isQuant);
}

//===----------------------------------------------------------------------===//
// Folding through the reference evaluators
//===----------------------------------------------------------------------===//

static bool collectConstantOperands(Operation *op, ArrayRef<Attribute> operands,
                                    SmallVectorImpl<ref::Tensor> &values,
                                    int64_t budget) {
  int64_t elements = 0;
  for (Value r : op->getResults()) {
    auto t = dyn_cast<RankedTensorType>(r.getType());
    if (!t)
      return false;
    elements += t.getNumElements();
  }
  for (Attribute a : operands) {
    auto e = dyn_cast_or_null<ElementsAttr>(a);
    if (!e)
      return false;
    elements += e.getNumElements();
  }
  if (elements > budget)
    return false;
  for (Attribute a : operands) {
    std::string error;
    FailureOr<ref::Tensor> t = toTensor(cast<ElementsAttr>(a), error);
    if (failed(t))
      return false;
    values.push_back(std::move(*t));
  }
  return true;
}

static bool evaluateForFold(Operation *op, ArrayRef<Attribute> operands,
                            SmallVectorImpl<ref::Tensor> &results,
                            int64_t budget) {
  auto eval = dyn_cast<RefEvalOpInterface>(op);
  // Dequantized weights stay integers (for the back ends and QDQ folding);
  // ops without integer semantics do not evaluate quantized types.
  if (!eval || op->getNumOperands() == 0 || isa<DequantizeOp>(op) ||
      !canEvaluateQuantized(op))
    return false;
  SmallVector<ref::Tensor> values;
  if (!collectConstantOperands(op, operands, values, budget))
    return false;
  std::string error;
  if (failed(eval.evaluate(values, results, error)))
    return false;
  return results.size() == op->getNumResults();
}

static std::string nameHintFor(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().stripDialect().str();
}

OpFoldResult foldByEvaluation(Operation *op, ArrayRef<Attribute> operands) {
  SmallVector<ref::Tensor> results;
  if (op->getNumResults() != 1 ||
      !evaluateForFold(op, operands, results, kFoldElementBudget))
    return {};
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  return toElementsAttr(type, results[0], nameHintFor(op));
}

LogicalResult foldByEvaluation(Operation *op, ArrayRef<Attribute> operands,
                               SmallVectorImpl<OpFoldResult> &folded,
                               int64_t budget) {
  SmallVector<ref::Tensor> results;
  if (!evaluateForFold(op, operands, results, budget))
    return failure();
  for (auto [value, tensor] : llvm::zip(op->getResults(), results))
    folded.push_back(toElementsAttr(cast<RankedTensorType>(value.getType()),
                                    tensor, nameHintFor(op)));
  return success();
}

//===----------------------------------------------------------------------===//
// Evaluation glue
//===----------------------------------------------------------------------===//

std::pair<ref::UnaryKind, ref::UnaryParams>
activationKernel(ActivationAttr act) {
  ref::UnaryParams p{act.getAlphaValue(), act.getBetaValue()};
  switch (act.getKind()) {
  case ActivationKind::Relu:
    return {ref::UnaryKind::Relu, p};
  case ActivationKind::Clip:
    return {ref::UnaryKind::Clip, p};
  case ActivationKind::LeakyRelu:
    return {ref::UnaryKind::LeakyRelu, p};
  case ActivationKind::Sigmoid:
    return {ref::UnaryKind::Sigmoid, p};
  case ActivationKind::Tanh:
    return {ref::UnaryKind::Tanh, p};
  case ActivationKind::HardSigmoid:
    return {ref::UnaryKind::HardSigmoid, p};
  case ActivationKind::HardSwish:
    return {ref::UnaryKind::HardSwish, p};
  case ActivationKind::Gelu:
    return {ref::UnaryKind::Gelu, p};
  case ActivationKind::GeluTanh:
    return {ref::UnaryKind::GeluTanh, p};
  }
  return {ref::UnaryKind::Identity, p};
}

LogicalResult applyActivation(ActivationAttr act, ref::Tensor &t,
                              std::string &error) {
  if (!act)
    return success();
  auto [kind, params] = activationKernel(act);
  ref::Result<ref::Tensor> r = ref::unary(kind, t, params);
  if (!r) {
    error = r.error();
    return failure();
  }
  t = std::move(r.value());
  return success();
}

LogicalResult checkAxis(std::optional<Location> loc, StringRef what,
                        int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return fail(loc, what, " ", axis, " is out of range for rank ", rank);
  return success();
}

LogicalResult evalUnary(ref::UnaryKind kind, ref::UnaryParams params,
                        ArrayRef<ref::Tensor> operands,
                        SmallVectorImpl<ref::Tensor> &results,
                        std::string &error) {
  return take(ref::unary(kind, operands[0], params), results, error);
}

LogicalResult evalBinary(ref::BinaryKind kind, ArrayRef<ref::Tensor> operands,
                         SmallVectorImpl<ref::Tensor> &results,
                         std::string &error) {
  return take(ref::binary(kind, operands[0], operands[1]), results, error);
}

LogicalResult evalReduce(ref::ReduceKind kind, ArrayRef<int64_t> axes,
                         bool keepDims, ArrayRef<ref::Tensor> operands,
                         SmallVectorImpl<ref::Tensor> &results,
                         std::string &error) {
  ref::Shape a(axes.begin(), axes.end());
  return take(ref::reduce(kind, operands[0], a, keepDims), results, error);
}

} // namespace tessel::graph
