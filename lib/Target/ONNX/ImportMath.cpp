//===- ImportMath.cpp - Elementwise, matmul, softmax, reductions ----------===//
//
// ONNX math ops into graph ops. Each import function handles every opset
// from 7 on; where a signature changed (attributes becoming inputs, new
// defaults), the function says at which opset.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace tessel;
using namespace tessel::onnx_import;
namespace g = tessel::graph;

namespace {

LogicalResult setResult(NodeContext &nc, FailureOr<Value> v) {
  if (failed(v))
    return failure();
  nc.setOutput(0, *v);
  return success();
}

template <typename OpTy>
LogicalResult importUnary(NodeContext &nc) {
  return setResult(nc, nc.build<OpTy>(nc.input(0)));
}

template <typename OpTy>
LogicalResult importBinary(NodeContext &nc) {
  return setResult(nc, nc.build<OpTy>(nc.input(0), nc.input(1)));
}

/// Sum, Max, Min: a left fold of the binary op over all inputs.
template <typename OpTy>
FailureOr<Value> foldVariadic(NodeContext &nc) {
  if (nc.numInputs() == 0) {
    (void)nc.error("needs at least one input");
    return failure();
  }
  Value acc = nc.input(0);
  for (unsigned i = 1; i < nc.numInputs(); ++i) {
    FailureOr<Value> next = nc.build<OpTy>(acc, nc.input(i));
    if (failed(next))
      return failure();
    acc = *next;
  }
  return acc;
}

template <typename OpTy>
LogicalResult importVariadic(NodeContext &nc) {
  return setResult(nc, foldVariadic<OpTy>(nc));
}

LogicalResult importMean(NodeContext &nc) {
  FailureOr<Value> sum = foldVariadic<g::AddOp>(nc);
  if (failed(sum))
    return failure();
  Type et = nc.inputElementType(0);
  return setResult(nc, nc.build<g::DivOp>(*sum, nc.scalar(et, nc.numInputs())));
}

LogicalResult importMod(NodeContext &nc) {
  bool fmod = nc.getInt("fmod", 0) != 0;
  if (!fmod && isa<FloatType>(nc.inputElementType(0)) && nc.opset < 28)
    return nc.error("Mod with fmod=0 is defined for integers only before "
                    "opset 28");
  return setResult(nc, nc.build<g::ModOp>(nc.input(0), nc.input(1),
                                          nc.b.getBoolAttr(fmod)));
}

LogicalResult importIdentity(NodeContext &nc) {
  nc.setOutput(0, nc.input(0));
  return success();
}

/// Inference Dropout is the identity; its mask (all true) is a constant.
LogicalResult importDropout(NodeContext &nc) {
  if (nc.opset >= 12 && nc.hasInput(2)) {
    std::optional<ref::Tensor> training = nc.constantInput(2);
    if (!training)
      return nc.error("training_mode must be a compile-time constant");
    if (training->numel() == 1 && training->getI(0) != 0)
      return nc.error("training mode is not supported (inference only)");
  }
  nc.setOutput(0, nc.input(0));
  if (nc.isOutputUsed(1))
    nc.setOutput(1, nc.scalar(nc.b.getI1Type(), 1.0,
                              nc.inputType(0).getShape()));
  return success();
}

LogicalResult importLeakyRelu(NodeContext &nc) {
  return setResult(nc, nc.build<g::LeakyReluOp>(
                           nc.input(0),
                           nc.b.getF64FloatAttr(nc.getFloat("alpha", 0.01))));
}

LogicalResult importElu(NodeContext &nc) {
  return setResult(nc, nc.build<g::EluOp>(
                           nc.input(0),
                           nc.b.getF64FloatAttr(nc.getFloat("alpha", 1.0))));
}

LogicalResult importSelu(NodeContext &nc) {
  return setResult(
      nc, nc.build<g::SeluOp>(
              nc.input(0),
              nc.b.getF64FloatAttr(
                  nc.getFloat("alpha", 1.67326319217681884765625)),
              nc.b.getF64FloatAttr(
                  nc.getFloat("gamma", 1.05070102214813232421875))));
}

LogicalResult importHardSigmoid(NodeContext &nc) {
  return setResult(nc, nc.build<g::HardSigmoidOp>(
                           nc.input(0),
                           nc.b.getF64FloatAttr(nc.getFloat("alpha", 0.2)),
                           nc.b.getF64FloatAttr(nc.getFloat("beta", 0.5))));
}

LogicalResult importGelu(NodeContext &nc) {
  std::string approximate = nc.getString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return nc.error("unknown approximate mode '" + approximate + "'");
  return setResult(nc, nc.build<g::GeluOp>(
                           nc.input(0),
                           nc.b.getBoolAttr(approximate == "tanh")));
}

/// Clip: bounds are attributes before opset 11, optional constant inputs
/// from 11 on.
LogicalResult importClip(NodeContext &nc) {
  FloatAttr lo, hi;
  if (nc.opset < 11) {
    if (const onnx::AttributeProto *a = nc.attr("min"))
      lo = nc.b.getF64FloatAttr(a->f());
    if (const onnx::AttributeProto *a = nc.attr("max"))
      hi = nc.b.getF64FloatAttr(a->f());
  } else {
    for (unsigned i = 1; i <= 2; ++i) {
      if (!nc.hasInput(i))
        continue;
      FailureOr<SmallVector<double>> v =
          nc.requireConstantFloats(i, i == 1 ? "min" : "max");
      if (failed(v))
        return failure();
      if (v->size() != 1)
        return nc.error("Clip bounds must be scalars");
      (i == 1 ? lo : hi) = nc.b.getF64FloatAttr((*v)[0]);
    }
  }
  return setResult(nc, nc.build<g::ClipOp>(nc.input(0), lo, hi));
}

LogicalResult importCast(NodeContext &nc) {
  Type to;
  if (nc.opType() == "CastLike") {
    to = nc.inputElementType(1);
  } else {
    const onnx::AttributeProto *a = nc.attr("to");
    if (!a)
      return nc.error("missing the 'to' attribute");
    to = elementTypeFor(nc.getContext(), static_cast<int32_t>(a->i()));
    if (!to)
      return nc.error("cast to unsupported data type " +
                      onnxTypeName(static_cast<int32_t>(a->i())));
  }
  return setResult(nc, nc.buildTyped<g::CastOp>(nc.inputType(0).clone(to),
                                                nc.input(0)));
}

LogicalResult importWhere(NodeContext &nc) {
  return setResult(
      nc, nc.build<g::WhereOp>(nc.input(0), nc.input(1), nc.input(2)));
}

LogicalResult importMatMul(NodeContext &nc) {
  return setResult(nc, nc.build<g::MatMulOp>(nc.input(0), nc.input(1),
                                             Value(), g::ActivationAttr()));
}

/// Gemm: Y = alpha * A' B' + beta * C becomes a matmul with bias; the
/// transposes and scalings fold into constant operands.
LogicalResult importGemm(NodeContext &nc) {
  Value a = nc.input(0), b = nc.input(1);
  if (nc.inputType(0).getRank() != 2 || nc.inputType(1).getRank() != 2)
    return nc.error("Gemm operands must be 2-D");
  auto transpose = [&](Value v) {
    return nc.build<g::TransposeOp>(v, nc.b.getDenseI64ArrayAttr({1, 0}));
  };
  if (nc.getInt("transA", 0)) {
    FailureOr<Value> t = transpose(a);
    if (failed(t))
      return failure();
    a = *t;
  }
  if (nc.getInt("transB", 0)) {
    FailureOr<Value> t = transpose(b);
    if (failed(t))
      return failure();
    b = *t;
  }
  Type et = nc.inputElementType(0);
  double alpha = nc.getFloat("alpha", 1.0), beta = nc.getFloat("beta", 1.0);
  if (alpha != 1.0) {
    // Scale the constant operand if there is one (the weights), so that the
    // product stays a plain matmul.
    bool bConst = b.getDefiningOp<g::ConstantOp>() != nullptr;
    FailureOr<Value> scaled =
        nc.build<g::MulOp>(bConst ? b : a, nc.scalar(et, alpha));
    if (failed(scaled))
      return failure();
    (bConst ? b : a) = *scaled;
  }
  Value bias;
  if (nc.hasInput(2) && beta != 0.0) {
    bias = nc.input(2);
    if (beta != 1.0) {
      FailureOr<Value> scaled = nc.build<g::MulOp>(bias, nc.scalar(et, beta));
      if (failed(scaled))
        return failure();
      bias = *scaled;
    }
  }
  return setResult(nc, nc.build<g::MatMulOp>(a, b, bias, g::ActivationAttr()));
}

/// Softmax, LogSoftmax: before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalized over the second dim; from 13 on the
/// normalization is along `axis` (default -1).
template <typename OpTy>
LogicalResult importSoftmax(NodeContext &nc) {
  RankedTensorType t = nc.inputType(0);
  int64_t rank = t.getRank();
  if (rank == 0)
    return nc.error("softmax of a scalar");
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.getInt("axis", nc.opset < 13 ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  if (nc.opset >= 13 || *axis == rank - 1)
    return setResult(nc, nc.build<OpTy>(nc.input(0),
                                        nc.b.getI64IntegerAttr(*axis)));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < *axis ? outer : inner) *= t.getDimSize(i);
  FailureOr<Value> flat = nc.reshape(nc.input(0), {outer, inner});
  if (failed(flat))
    return failure();
  FailureOr<Value> sm = nc.build<OpTy>(*flat, nc.b.getI64IntegerAttr(1));
  if (failed(sm))
    return failure();
  return setResult(nc, nc.reshape(*sm, t.getShape()));
}

/// Reductions: axes are an attribute until opset 13 (ReduceSum) or 18 (the
/// others), then an optional input with noop_with_empty_axes.
template <typename OpTy, int64_t AxesInputSince>
LogicalResult importReduce(NodeContext &nc) {
  RankedTensorType t = nc.inputType(0);
  int64_t rank = t.getRank();
  SmallVector<int64_t> axes;
  bool noop = false;
  if (nc.opset >= AxesInputSince) {
    noop = nc.getInt("noop_with_empty_axes", 0) != 0;
    if (nc.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> a = nc.requireConstantInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else if (std::optional<SmallVector<int64_t>> a = nc.getInts("axes")) {
    axes = *a;
  }
  if (axes.empty()) {
    if (noop) {
      nc.setOutput(0, nc.input(0));
      return success();
    }
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = nc.normalizeAxis(a, rank, "reduction axis");
    if (failed(n))
      return failure();
    a = *n;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  bool keepdims = nc.getInt("keepdims", 1) != 0;
  return setResult(nc, nc.build<OpTy>(nc.input(0),
                                      nc.b.getDenseI64ArrayAttr(axes),
                                      nc.b.getBoolAttr(keepdims)));
}

template <typename OpTy>
LogicalResult importArgReduce(NodeContext &nc) {
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.getInt("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(nc, nc.build<OpTy>(
                           nc.input(0), nc.b.getI64IntegerAttr(*axis),
                           nc.b.getBoolAttr(nc.getInt("keepdims", 1) != 0),
                           nc.b.getBoolAttr(nc.getInt("select_last_index",
                                                      0) != 0)));
}

} // namespace

void tessel::onnx_import::registerMathImporters(ImporterRegistry &r) {
  r["Relu"] = {importUnary<g::ReluOp>};
  r["Sigmoid"] = {importUnary<g::SigmoidOp>};
  r["Tanh"] = {importUnary<g::TanhOp>};
  r["Erf"] = {importUnary<g::ErfOp>};
  r["Exp"] = {importUnary<g::ExpOp>};
  r["Log"] = {importUnary<g::LogOp>};
  r["Sqrt"] = {importUnary<g::SqrtOp>};
  r["Reciprocal"] = {importUnary<g::ReciprocalOp>};
  r["Neg"] = {importUnary<g::NegOp>};
  r["Abs"] = {importUnary<g::AbsOp>};
  r["Floor"] = {importUnary<g::FloorOp>};
  r["Ceil"] = {importUnary<g::CeilOp>};
  r["Round"] = {importUnary<g::RoundOp>, 11};
  r["Sign"] = {importUnary<g::SignOp>, 9};
  r["Not"] = {importUnary<g::NotOp>};
  r["Sin"] = {importUnary<g::SinOp>};
  r["Cos"] = {importUnary<g::CosOp>};
  r["Softplus"] = {importUnary<g::SoftplusOp>};
  r["Softsign"] = {importUnary<g::SoftsignOp>};
  r["HardSwish"] = {importUnary<g::HardSwishOp>, 14};
  r["Mish"] = {importUnary<g::MishOp>, 18};
  r["Gelu"] = {importGelu, 20};
  r["LeakyRelu"] = {importLeakyRelu};
  r["Elu"] = {importElu};
  r["Selu"] = {importSelu};
  r["HardSigmoid"] = {importHardSigmoid};
  r["Clip"] = {importClip};
  r["Cast"] = {importCast};
  r["CastLike"] = {importCast, 15};
  r["Identity"] = {importIdentity};
  r["Dropout"] = {importDropout};

  r["Add"] = {importBinary<g::AddOp>};
  r["Sub"] = {importBinary<g::SubOp>};
  r["Mul"] = {importBinary<g::MulOp>};
  r["Div"] = {importBinary<g::DivOp>};
  r["Pow"] = {importBinary<g::PowOp>};
  r["PRelu"] = {importBinary<g::PReluOp>};
  r["Mod"] = {importMod, 10};
  r["And"] = {importBinary<g::AndOp>};
  r["Or"] = {importBinary<g::OrOp>};
  r["Xor"] = {importBinary<g::XorOp>};
  r["Equal"] = {importBinary<g::EqualOp>};
  r["Less"] = {importBinary<g::LessOp>};
  r["LessOrEqual"] = {importBinary<g::LessEqualOp>, 12};
  r["Greater"] = {importBinary<g::GreaterOp>};
  r["GreaterOrEqual"] = {importBinary<g::GreaterEqualOp>, 12};
  r["Max"] = {importVariadic<g::MaxOp>};
  r["Min"] = {importVariadic<g::MinOp>};
  r["Sum"] = {importVariadic<g::AddOp>};
  r["Mean"] = {importMean};
  r["Where"] = {importWhere, 9};

  r["MatMul"] = {importMatMul};
  r["Gemm"] = {importGemm};
  r["Softmax"] = {importSoftmax<g::SoftmaxOp>};
  r["LogSoftmax"] = {importSoftmax<g::LogSoftmaxOp>};

  r["ReduceSum"] = {importReduce<g::ReduceSumOp, 13>};
  r["ReduceMean"] = {importReduce<g::ReduceMeanOp, 18>};
  r["ReduceMax"] = {importReduce<g::ReduceMaxOp, 18>};
  r["ReduceMin"] = {importReduce<g::ReduceMinOp, 18>};
  r["ReduceProd"] = {importReduce<g::ReduceProdOp, 18>};
  r["ReduceL1"] = {importReduce<g::ReduceL1Op, 18>};
  r["ReduceL2"] = {importReduce<g::ReduceL2Op, 18>};
  r["ReduceSumSquare"] = {importReduce<g::ReduceSumSquareOp, 18>};
  r["ReduceLogSumExp"] = {importReduce<g::ReduceLogSumExpOp, 18>};
  r["ArgMax"] = {importArgReduce<g::ArgMaxOp>};
  r["ArgMin"] = {importArgReduce<g::ArgMinOp>};
}
