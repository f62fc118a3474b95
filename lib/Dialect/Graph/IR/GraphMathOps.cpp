//===- GraphMathOps.cpp - Elementwise, matmul, softmax, reductions --------===//
//
// Verifiers, type inference, folders and reference evaluation of the ops in
// GraphMathOps.td, in the order they are declared there.
//
//===----------------------------------------------------------------------===//
#include "GraphOpsCommon.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphMathOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Unary ops with parameters
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalUnary(getApproximateTanh() ? ref::UnaryKind::GeluTanh
                                        : ref::UnaryKind::Gelu,
                   {}, operands, results, error);
}

LogicalResult LeakyReluOp::evaluate(ArrayRef<ref::Tensor> operands,
                                    SmallVectorImpl<ref::Tensor> &results,
                                    std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalUnary(ref::UnaryKind::LeakyRelu,
                   {getAlpha().convertToDouble(), 0.0}, operands, results,
                   error);
}

LogicalResult EluOp::evaluate(ArrayRef<ref::Tensor> operands,
                              SmallVectorImpl<ref::Tensor> &results,
                              std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalUnary(ref::UnaryKind::Elu, {getAlpha().convertToDouble(), 0.0},
                   operands, results, error);
}

LogicalResult SeluOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalUnary(
      ref::UnaryKind::Selu,
      {getAlpha().convertToDouble(), getGamma().convertToDouble()}, operands,
      results, error);
}

LogicalResult HardSigmoidOp::evaluate(ArrayRef<ref::Tensor> operands,
                                      SmallVectorImpl<ref::Tensor> &results,
                                      std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalUnary(
      ref::UnaryKind::HardSigmoid,
      {getAlpha().convertToDouble(), getBeta().convertToDouble()}, operands,
      results, error);
}

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() &&
      getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError("min ") << getMin()->convertToDouble()
                               << " is greater than max "
                               << getMax()->convertToDouble();
  return success();
}

OpFoldResult ClipOp::fold(FoldAdaptor adaptor) {
  if (!getMin() && !getMax() && getInput().getType() == getOutput().getType())
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

namespace {
/// Clamping bounds of a relu or clip (a missing bound is unbounded).
struct Bounds {
  std::optional<double> lo, hi;
};
std::optional<Bounds> clampBounds(Operation *op) {
  if (isa<ReluOp>(op))
    return Bounds{0.0, std::nullopt};
  if (auto clip = dyn_cast<ClipOp>(op)) {
    Bounds b;
    if (clip.getMin())
      b.lo = clip.getMin()->convertToDouble();
    if (clip.getMax())
      b.hi = clip.getMax()->convertToDouble();
    return b;
  }
  return std::nullopt;
}

/// Replaces `op` by the clamp of `x` to `b`: a relu for [0, inf), else a
/// clip.
void replaceWithClamp(PatternRewriter &rewriter, Operation *op, Value x,
                      Bounds b) {
  Type type = op->getResult(0).getType();
  if (b.lo && *b.lo == 0.0 && !b.hi) {
    rewriter.replaceOpWithNewOp<ReluOp>(op, type, x);
    return;
  }
  auto attr = [&](std::optional<double> v) {
    return v ? rewriter.getF64FloatAttr(*v) : FloatAttr();
  };
  rewriter.replaceOpWithNewOp<ClipOp>(op, type, x, attr(b.lo), attr(b.hi));
}

/// clamp(clamp(x)) is one clamp to the intersection of the bounds; a clip
/// to [0, inf) is a relu.
struct MergeClamps : RewritePattern {
  MergeClamps(MLIRContext *ctx, StringRef name)
      : RewritePattern(name, /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    std::optional<Bounds> outer = clampBounds(op);
    if (!outer || hasQuantizedTypes(op) ||
        !isa<FloatType>(cast<RankedTensorType>(op->getResult(0).getType())
                            .getElementType()))
      return failure();
    Operation *producer = op->getOperand(0).getDefiningOp();
    std::optional<Bounds> inner =
        producer ? clampBounds(producer) : std::nullopt;
    if (!inner) {
      if (isa<ClipOp>(op) && outer->lo && *outer->lo == 0.0 && !outer->hi) {
        replaceWithClamp(rewriter, op, op->getOperand(0), *outer);
        return success();
      }
      return failure();
    }
    auto combine = [](std::optional<double> a, std::optional<double> b,
                      bool takeMax) -> std::optional<double> {
      if (!a)
        return b;
      if (!b)
        return a;
      return takeMax ? std::max(*a, *b) : std::min(*a, *b);
    };
    Bounds merged{combine(outer->lo, inner->lo, true),
                  combine(outer->hi, inner->hi, false)};
    if (merged.lo && merged.hi && *merged.lo > *merged.hi)
      return failure();
    replaceWithClamp(rewriter, op, producer->getOperand(0), merged);
    return success();
  }
};

/// max(x, c) and min(x, c) with a uniform constant c that does not
/// broadcast x: clip(x, min = c) and clip(x, max = c) (a relu for max(x, 0)),
/// so that min(max(x, 0), 6) reads as ReLU6.
template <typename OpTy> struct MinMaxToClamp : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getOutput().getType();
    if (hasQuantizedTypes(op) || !isa<FloatType>(type.getElementType()))
      return failure();
    for (int i = 0; i < 2; ++i) {
      Value x = i ? op.getRhs() : op.getLhs();
      Value c = i ? op.getLhs() : op.getRhs();
      Attribute attr;
      auto dense = matchPattern(c, m_Constant(&attr))
                       ? dyn_cast<DenseElementsAttr>(attr)
                       : DenseElementsAttr();
      if (x.getType() != type || !dense || !dense.isSplat())
        continue;
      double v = dense.getSplatValue<APFloat>().convertToDouble();
      if (std::isnan(v))
        continue;
      Bounds b;
      (std::is_same_v<OpTy, MaxOp> ? b.lo : b.hi) = v;
      replaceWithClamp(rewriter, op, x, b);
      return success();
    }
    return failure();
  }
};
} // namespace

void ReluOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<MergeClamps>(context, ReluOp::getOperationName());
}
void ClipOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<MergeClamps>(context, ClipOp::getOperationName());
}
void MaxOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<MinMaxToClamp<MaxOp>>(context);
}
void MinOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<MinMaxToClamp<MinOp>>(context);
}

LogicalResult ClipOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  double lo = getMin() ? getMin()->convertToDouble()
                       : -std::numeric_limits<double>::infinity();
  double hi = getMax() ? getMax()->convertToDouble()
                       : std::numeric_limits<double>::infinity();
  return evalUnary(ref::UnaryKind::Clip, {lo, hi}, operands, results, error);
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("changes the shape from ")
           << getInput().getType() << " to " << getOutput().getType();
  for (Type t : {getInput().getType().getElementType(),
                 getOutput().getType().getElementType()})
    if (!toDType(t) || isa<quant::QuantizedType>(t))
      return emitOpError("cannot cast element type ") << t;
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

namespace {
/// Integer width and signedness (signless is signed, as in the reference).
struct IntInfo {
  unsigned width;
  bool isSigned;
};
std::optional<IntInfo> intInfo(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  if (!i)
    return std::nullopt;
  return IntInfo{i.getWidth(), !i.isUnsigned()};
}

/// Bits of precision (with the implicit bit) and of exponent of a float type.
std::optional<std::pair<unsigned, unsigned>> floatInfo(Type t) {
  auto f = dyn_cast<FloatType>(t);
  if (!f)
    return std::nullopt;
  const llvm::fltSemantics &sem = f.getFloatSemantics();
  return std::make_pair(
      llvm::APFloat::semanticsPrecision(sem),
      static_cast<unsigned>(llvm::APFloat::semanticsMaxExponent(sem)));
}
} // namespace

/// Every value of `from` converts to `to` without change, so casting on to a
/// third type gives the same result as casting directly.
static bool isValuePreservingCast(Type from, Type to) {
  if (from == to || from.isInteger(1))
    return true;
  if (to.isInteger(1))
    return false;
  std::optional<IntInfo> fi = intInfo(from), ti = intInfo(to);
  auto ff = floatInfo(from), tf = floatInfo(to);
  if (fi && ti) {
    if (fi->isSigned == ti->isSigned)
      return ti->width >= fi->width;
    return !fi->isSigned && ti->width > fi->width;
  }
  if (fi && tf) {
    unsigned valueBits = fi->isSigned ? fi->width - 1 : fi->width;
    return tf->first >= valueBits && tf->second > fi->width;
  }
  if (ff && tf)
    return tf->first >= ff->first && tf->second >= ff->second;
  return false;
}

namespace {
/// cast(cast(x : A -> B) -> C) is cast(x : A -> C) when A -> B keeps every
/// value (and x itself when C is A); an integer round trip through a type at
/// least as wide is x (the reference wraps, so the low bits survive).
struct FoldCastChain : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<CastOp>();
    if (!inner)
      return failure();
    Type a = inner.getInput().getType().getElementType();
    Type b = inner.getOutput().getType().getElementType();
    Type c = op.getOutput().getType().getElementType();
    if (isValuePreservingCast(a, b)) {
      if (a == c)
        rewriter.replaceOp(op, inner.getInput());
      else
        rewriter.replaceOpWithNewOp<CastOp>(op, op.getOutput().getType(),
                                            inner.getInput());
      return success();
    }
    std::optional<IntInfo> ai = intInfo(a), bi = intInfo(b);
    if (a == c && ai && bi && !a.isInteger(1) && bi->width >= ai->width) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    return failure();
  }
};
} // namespace

void CastOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FoldCastChain>(context);
}

LogicalResult CastOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  return take(ref::cast(operands[0],
                        *toDType(getOutput().getType().getElementType())),
              results, error);
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

/// `value` is a constant splat equal to `x` (integer or float).
static bool isSplatOf(Attribute value, double x) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(value);
  if (!dense || !dense.isSplat())
    return false;
  Type t = dense.getElementType();
  if (isa<FloatType>(t))
    return dense.getSplatValue<APFloat>().convertToDouble() == x;
  if (isa<IntegerType>(t))
    return static_cast<double>(dense.getSplatValue<APInt>().getSExtValue()) ==
           x;
  return false;
}

/// Folds `op` to `keep` when the other operand is the identity element and
/// broadcasting does not change `keep`'s type.
template <typename OpTy>
static OpFoldResult foldIdentity(OpTy op, ArrayRef<Attribute> operands,
                                 double identity, bool commutative) {
  if (OpFoldResult folded =
          foldByEvaluation(op.getOperation(), operands))
    return folded;
  if (hasQuantizedTypes(op.getOperation()) || op->hasAttr("activation"))
    return {};
  Type resultType = op.getOutput().getType();
  if (isSplatOf(operands[1], identity) &&
      op.getLhs().getType() == resultType)
    return op.getLhs();
  if (commutative && isSplatOf(operands[0], identity) &&
      op.getRhs().getType() == resultType)
    return op.getRhs();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 0.0, true);
}
OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 0.0, false);
}
OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 1.0, true);
}
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldIdentity(*this, adaptor.getOperands(), 1.0, false);
}

LogicalResult AddOp::evaluate(ArrayRef<ref::Tensor> operands,
                              SmallVectorImpl<ref::Tensor> &results,
                              std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  if (failed(evalBinary(ref::BinaryKind::Add, operands, results, error)))
    return failure();
  return applyActivation(getActivationAttr(), results.back(), error);
}

namespace {
/// x + 0, x - 0, x * 1, x / 1 where broadcasting against the identity
/// constant grows x: the op is a broadcast_to (the folder handles the case
/// where x already has the result type).
template <typename OpTy> struct BroadcastingIdentity : OpRewritePattern<OpTy> {
  BroadcastingIdentity(MLIRContext *ctx, double identity, bool commutative)
      : OpRewritePattern<OpTy>(ctx), identity(identity),
        commutative(commutative) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (hasQuantizedTypes(op) || op->hasAttr("activation"))
      return failure();
    RankedTensorType type = op.getOutput().getType();
    auto tryOperand = [&](Value keep, Value other) {
      Attribute attr;
      auto keepType = cast<RankedTensorType>(keep.getType());
      if (keepType == type ||
          keepType.getElementType() != type.getElementType())
        return false;
      return matchPattern(other, m_Constant(&attr)) &&
             isSplatOf(attr, identity);
    };
    Value keep;
    if (tryOperand(op.getLhs(), op.getRhs()))
      keep = op.getLhs();
    else if (commutative && tryOperand(op.getRhs(), op.getLhs()))
      keep = op.getRhs();
    else
      return failure();
    rewriter.replaceOpWithNewOp<BroadcastToOp>(op, type, keep);
    return success();
  }
  double identity;
  bool commutative;
};
} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BroadcastingIdentity<AddOp>>(context, 0.0, true);
}
void SubOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BroadcastingIdentity<SubOp>>(context, 0.0, false);
}
void MulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BroadcastingIdentity<MulOp>>(context, 1.0, true);
}
void DivOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<BroadcastingIdentity<DivOp>>(context, 1.0, false);
}

//===----------------------------------------------------------------------===//
// NegOp
//===----------------------------------------------------------------------===//

namespace {
/// -(-x) is x.
struct FoldDoubleNeg : OpRewritePattern<NegOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NegOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<NegOp>();
    if (!inner || inner.getInput().getType() != op.getOutput().getType())
      return failure();
    rewriter.replaceOp(op, inner.getInput());
    return success();
  }
};
} // namespace

void NegOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FoldDoubleNeg>(context);
}

LogicalResult ModOp::evaluate(ArrayRef<ref::Tensor> operands,
                              SmallVectorImpl<ref::Tensor> &results,
                              std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return evalBinary(getFmod() ? ref::BinaryKind::FMod : ref::BinaryKind::Mod,
                    operands, results, error);
}

//===----------------------------------------------------------------------===//
// WhereOp
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  SmallVector<Type> inferred;
  if (failed(inferBroadcastType(
          ctx, loc,
          {adaptor.getX().getType(), adaptor.getY().getType(),
           adaptor.getCondition().getType()},
          false, inferred)))
    return failure();
  types.push_back(inferred[0]);
  return success();
}

bool WhereOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}

LogicalResult WhereOp::verify() {
  if (!getCondition().getType().getElementType().isInteger(1))
    return emitOpError("condition must be a tensor of i1, got ")
           << getCondition().getType();
  if (getX().getType().getElementType() != getY().getType().getElementType())
    return emitOpError("x and y element types differ: ")
           << getX().getType().getElementType() << " and "
           << getY().getType().getElementType();
  return success();
}

LogicalResult WhereOp::evaluate(ArrayRef<ref::Tensor> operands,
                                SmallVectorImpl<ref::Tensor> &results,
                                std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::where(operands[0], operands[1], operands[2]), results,
              error);
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto a = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto b = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (a.getRank() < 1 || b.getRank() < 1)
    return fail(loc, "matmul operands must have rank >= 1");
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    as.insert(as.begin(), 1);
  if (bVec)
    bs.push_back(1);
  int64_t k = as.back(), k2 = bs[bs.size() - 2];
  if (k != k2)
    return fail(loc, "matmul contraction dims differ: lhs ", a, " has ", k,
                ", rhs ", b, " has ", k2);
  ref::Shape batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  std::optional<ref::Shape> batch = ref::broadcastShapes(batchA, batchB);
  if (!batch)
    return fail(loc, "matmul batch dims do not broadcast: ", a, " and ", b);
  SmallVector<int64_t> shape(batch->begin(), batch->end());
  if (!aVec)
    shape.push_back(as[as.size() - 2]);
  if (!bVec)
    shape.push_back(bs.back());
  if (adaptor.getBias()) {
    auto bias = cast<RankedTensorType>(adaptor.getBias().getType());
    std::optional<ref::Shape> withBias = ref::broadcastShapes(
        toShape(shape), toShape(bias.getShape()));
    if (!withBias || *withBias != toShape(shape))
      return fail(loc, "matmul bias ", bias,
                  " does not broadcast to the product shape ",
                  ref::shapeToString(toShape(shape)));
  }
  types.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

bool MatMulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}

LogicalResult MatMulOp::verify() {
  Type a = getLhs().getType().getElementType();
  Type b = getRhs().getType().getElementType();
  if (a != b && !isa<quant::QuantizedType>(a) && !isa<quant::QuantizedType>(b))
    return emitOpError("operand element types differ: ") << a << " and " << b;
  return success();
}

LogicalResult MatMulOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  ref::Result<ref::Tensor> r = ref::matmul(
      operands[0], operands[1], operands.size() > 2 ? &operands[2] : nullptr);
  if (failed(take(std::move(r), results, error)))
    return failure();
  return applyActivation(getActivationAttr(), results.back(), error);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult inferSoftmax(typename OpTy::Adaptor adaptor,
                                  std::optional<Location> loc,
                                  SmallVectorImpl<Type> &types) {
  auto t = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkAxis(loc, "softmax axis", adaptor.getAxis(), t.getRank())))
    return failure();
  types.push_back(t);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax<SoftmaxOp>(adaptor, loc, types);
}
bool SoftmaxOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult SoftmaxOp::evaluate(ArrayRef<ref::Tensor> operands,
                                  SmallVectorImpl<ref::Tensor> &results,
                                  std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::softmax(operands[0], getAxis(), false), results, error);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax<LogSoftmaxOp>(adaptor, loc, types);
}
bool LogSoftmaxOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult LogSoftmaxOp::evaluate(ArrayRef<ref::Tensor> operands,
                                     SmallVectorImpl<ref::Tensor> &results,
                                     std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::softmax(operands[0], getAxis(), true), results, error);
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult inferArgReduce(MLIRContext *ctx,
                                    typename OpTy::Adaptor adaptor,
                                    std::optional<Location> loc,
                                    SmallVectorImpl<Type> &types) {
  auto t = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, "axis", axis, t.getRank())))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (i != axis)
      shape.push_back(t.getDimSize(i));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduce<ArgMaxOp>(ctx, adaptor, loc, types);
}
bool ArgMaxOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return l == r;
}
LogicalResult ArgMaxOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  return take(ref::argReduce(true, operands[0], getAxis(), getKeepdims(),
                             getSelectLastIndex()),
              results, error);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduce<ArgMinOp>(ctx, adaptor, loc, types);
}
bool ArgMinOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return l == r;
}
LogicalResult ArgMinOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  return take(ref::argReduce(false, operands[0], getAxis(), getKeepdims(),
                             getSelectLastIndex()),
              results, error);
}
