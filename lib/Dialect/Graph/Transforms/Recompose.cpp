//===- Recompose.cpp - Exporter-written op chains back into single ops ----===//
//
// Exporters write LayerNorm, Gelu, HardSwish and Softmax out as chains of
// elementwise ops and reductions (opset < 17 has no LayerNormalization, < 20
// no Gelu). These patterns recognize the chains in any association and
// operand order and replace them with the op they spell, which back ends
// implement as one kernel and activation fusion can fold into a producer.
//
// Products are matched as trees: `flattenProduct` collects the factors of
// nested single-use `mul`s (and `div`s by constants), multiplying the
// uniform constants together, so that `x * 0.5 * y`, `0.5 * (x * y)` and
// `(x * y) / 2` all read as {x, y} times 0.5.
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHRECOMPOSE
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel;
using namespace tessel::graph;

namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluTanhCubic = 0.044715;

/// The factors of a product tree.
struct Product {
  SmallVector<Value> factors; ///< Non-constant leaves, in tree order.
  double constant = 1.0;      ///< Product of the uniform constant leaves.
};

/// A mul or div of `v` by a uniform constant (a scaling).
bool isScaling(Operation *op) {
  if (auto mul = dyn_cast<MulOp>(op))
    return getUniformConstant(mul.getLhs()) || getUniformConstant(mul.getRhs());
  if (auto div = dyn_cast<DivOp>(op))
    return getUniformConstant(div.getRhs()).has_value();
  return false;
}

/// Collects the factors of `v`: nested `mul`s and `div`s by a uniform
/// constant are walked when they have a single use, are the root, or are a
/// scaling (which CSE may have shared between two chains; it stays for its
/// other users); anything else is a leaf.
void flattenProduct(Value v, Product &p, bool isRoot = true, int depth = 0) {
  if (std::optional<double> c = getUniformConstant(v)) {
    p.constant *= *c;
    return;
  }
  Operation *op = v.getDefiningOp();
  if (op && depth < 6 && (isRoot || v.hasOneUse() || isScaling(op))) {
    if (auto mul = dyn_cast<MulOp>(op)) {
      flattenProduct(mul.getLhs(), p, false, depth + 1);
      flattenProduct(mul.getRhs(), p, false, depth + 1);
      return;
    }
    if (auto div = dyn_cast<DivOp>(op)) {
      std::optional<double> c = getUniformConstant(div.getRhs());
      if (c && *c != 0.0) {
        flattenProduct(div.getLhs(), p, false, depth + 1);
        p.constant /= *c;
        return;
      }
    }
  }
  p.factors.push_back(v);
}

Product productOf(Value v) {
  Product p;
  flattenProduct(v, p);
  return p;
}

/// `v` is `a + c` (either order) with a uniform constant c and no fused
/// activation: returns a and c.
std::optional<std::pair<Value, double>> matchAddConstant(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add || add.getActivation())
    return std::nullopt;
  if (std::optional<double> c = getUniformConstant(add.getRhs()))
    return std::make_pair(add.getLhs(), *c);
  if (std::optional<double> c = getUniformConstant(add.getLhs()))
    return std::make_pair(add.getRhs(), *c);
  return std::nullopt;
}

/// `v` is `x * k` (any product form) with exactly one non-constant factor.
std::optional<std::pair<Value, double>> matchScaled(Value v) {
  Product p = productOf(v);
  if (p.factors.size() != 1)
    return std::nullopt;
  return std::make_pair(p.factors[0], p.constant);
}

/// Root types must equal the input's: the recomposed op does not broadcast.
bool sameType(Value a, Value b) { return a.getType() == b.getType(); }

//===----------------------------------------------------------------------===//
// Gelu
//===----------------------------------------------------------------------===//

/// The power of x in a product of x's (x, x * x, pow(x, 3), ...): counts
/// the factors, each `pow(x, n)` with a constant integer n counting n.
std::optional<int> powerOf(Value x, ArrayRef<Value> factors) {
  int n = 0;
  for (Value f : factors) {
    if (f == x) {
      ++n;
      continue;
    }
    auto pow = f.getDefiningOp<PowOp>();
    std::optional<double> e =
        pow ? getUniformConstant(pow.getRhs()) : std::nullopt;
    if (!pow || pow.getLhs() != x || !e || *e != std::floor(*e) || *e < 1)
      return std::nullopt;
    n += static_cast<int>(*e);
  }
  return n;
}

/// x * C * (c2 * f(s) + c1) with C * c2 = C * c1 = 1/2 and
///   erf:  s = x / sqrt(2)
///   tanh: s = sqrt(2 / pi) * (x + 0.044715 x^3)
struct RecomposeGelu : OpRewritePattern<MulOp> {
  RecomposeGelu(MLIRContext *ctx, double tol)
      : OpRewritePattern<MulOp>(ctx, /*benefit=*/2), tol(tol) {}

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getType()))
      return failure();
    Product p = productOf(op.getOutput());
    if (p.factors.size() != 2)
      return failure();
    for (int i = 0; i < 2; ++i) {
      Value x = p.factors[i], a = p.factors[1 - i];
      if (!sameType(x, op.getOutput()) || !a.hasOneUse())
        continue;
      std::optional<bool> tanhForm = matchHalfOnePlus(x, a, p.constant);
      if (!tanhForm)
        continue;
      rewriter.replaceOpWithNewOp<GeluOp>(op, op.getType(), x, *tanhForm);
      return success();
    }
    return failure();
  }

  /// `a` is c2 * f(s) + c1 with C * c2 = C * c1 = 1/2; returns whether f is
  /// the tanh form.
  std::optional<bool> matchHalfOnePlus(Value x, Value a, double C) const {
    std::optional<std::pair<Value, double>> add = matchAddConstant(a);
    if (!add)
      return std::nullopt;
    std::optional<std::pair<Value, double>> e = matchScaled(add->first);
    if (!e || !isClose(C * add->second, 0.5, tol) ||
        !isClose(C * e->second, 0.5, tol) || !e->first.hasOneUse())
      return std::nullopt;
    if (auto erf = e->first.getDefiningOp<ErfOp>()) {
      std::optional<std::pair<Value, double>> s = matchScaled(erf.getInput());
      if (s && s->first == x && isClose(s->second, 1.0 / kSqrt2, tol))
        return false;
      return std::nullopt;
    }
    if (auto th = e->first.getDefiningOp<TanhOp>()) {
      // s = k * (x + c * x^3)
      std::optional<std::pair<Value, double>> s = matchScaled(th.getInput());
      if (!s || !isClose(s->second, kSqrt2OverPi, tol))
        return std::nullopt;
      auto inner = s->first.getDefiningOp<AddOp>();
      if (!inner || inner.getActivation())
        return std::nullopt;
      for (int j = 0; j < 2; ++j) {
        Value lin = j ? inner.getRhs() : inner.getLhs();
        Value cub = j ? inner.getLhs() : inner.getRhs();
        if (lin != x)
          continue;
        Product c = productOf(cub);
        std::optional<int> n = powerOf(x, c.factors);
        if (n && *n == 3 && isClose(c.constant, kGeluTanhCubic, tol))
          return true;
      }
    }
    return std::nullopt;
  }

  double tol;
};

//===----------------------------------------------------------------------===//
// HardSigmoid and HardSwish
//===----------------------------------------------------------------------===//

/// `v` is clip(x + b, 0, m) (or clip(x, 0, m), b = 0): returns x, b, m.
struct ClipForm {
  Value x;
  double b, m;
};
std::optional<ClipForm> matchShiftedRelu6(Value v) {
  auto clip = v.getDefiningOp<ClipOp>();
  if (!clip || !clip.getMin() || !clip.getMax() ||
      clip.getMin()->convertToDouble() != 0.0)
    return std::nullopt;
  double m = clip.getMax()->convertToDouble();
  if (std::optional<std::pair<Value, double>> add =
          matchAddConstant(clip.getInput()))
    return ClipForm{add->first, add->second, m};
  return ClipForm{clip.getInput(), 0.0, m};
}

/// C * clip(x + b, 0, M) with C * M = 1 is hard_sigmoid(x, C, C * b);
/// clip(a * x + b, 0, 1) is hard_sigmoid(x, a, b).
struct RecomposeHardSigmoid : RewritePattern {
  RecomposeHardSigmoid(MLIRContext *ctx, double tol)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx), tol(tol) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || !isFloatTensor(op->getResult(0).getType()))
      return failure();
    Value out = op->getResult(0);
    if (isa<MulOp, DivOp>(op)) {
      Product p = productOf(out);
      if (p.factors.size() != 1 || !p.factors[0].hasOneUse() || p.constant <= 0)
        return failure();
      std::optional<ClipForm> c = matchShiftedRelu6(p.factors[0]);
      if (!c || !sameType(c->x, out) || !isClose(p.constant * c->m, 1.0, tol))
        return failure();
      replace(rewriter, op, c->x, p.constant, p.constant * c->b);
      return success();
    }
    if (auto clip = dyn_cast<ClipOp>(op)) {
      std::optional<ClipForm> c = matchShiftedRelu6(out);
      if (!c || c->m != 1.0 || !c->x.hasOneUse())
        return failure();
      std::optional<std::pair<Value, double>> s = matchScaled(c->x);
      if (!s || s->first == c->x || !sameType(s->first, out))
        return failure();
      replace(rewriter, op, s->first, s->second, c->b);
      return success();
    }
    return failure();
  }

  static void replace(PatternRewriter &rewriter, Operation *op, Value x,
                      double alpha, double beta) {
    rewriter.replaceOpWithNewOp<HardSigmoidOp>(op, x.getType(), x,
                                               APFloat(alpha), APFloat(beta));
  }

  double tol;
};

/// x * C * h with h = hard_sigmoid(x, 1/6, 1/2) and C = 1 (the clamp's
/// upper bound does not scale), or h = clip(x + b, 0, M) with C = 1/6,
/// C b = 1/2, C M = 1.
struct RecomposeHardSwish : OpRewritePattern<MulOp> {
  RecomposeHardSwish(MLIRContext *ctx, double tol)
      : OpRewritePattern<MulOp>(ctx, /*benefit=*/2), tol(tol) {}

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getType()))
      return failure();
    return rewrite(op, op.getOutput(), rewriter);
  }

  LogicalResult rewrite(Operation *op, Value out,
                        PatternRewriter &rewriter) const {
    Product p = productOf(out);
    if (p.factors.size() != 2)
      return failure();
    double C = p.constant;
    for (int i = 0; i < 2; ++i) {
      Value x = p.factors[i], h = p.factors[1 - i];
      if (!sameType(x, out) || !h.hasOneUse())
        continue;
      bool match = false;
      if (auto hs = h.getDefiningOp<HardSigmoidOp>()) {
        match = hs.getInput() == x && isClose(C, 1.0, tol) &&
                isClose(hs.getAlpha().convertToDouble(), 1.0 / 6, tol) &&
                isClose(hs.getBeta().convertToDouble(), 0.5, tol);
      } else if (std::optional<ClipForm> c = matchShiftedRelu6(h)) {
        match = c->x == x && isClose(C, 1.0 / 6, tol) &&
                isClose(C * c->b, 0.5, tol) && isClose(C * c->m, 1.0, tol);
      }
      if (!match)
        continue;
      rewriter.replaceOpWithNewOp<HardSwishOp>(op, out.getType(), x);
      return success();
    }
    return failure();
  }

  double tol;
};

/// (x * clip(x + 3, 0, 6)) / 6: the same with a div at the root.
struct RecomposeHardSwishDiv : OpRewritePattern<DivOp> {
  RecomposeHardSwishDiv(MLIRContext *ctx, double tol)
      : OpRewritePattern<DivOp>(ctx, /*benefit=*/2), impl(ctx, tol) {}
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getType()))
      return failure();
    return impl.rewrite(op, op.getOutput(), rewriter);
  }
  RecomposeHardSwish impl;
};

//===----------------------------------------------------------------------===//
// Softmax and LogSoftmax
//===----------------------------------------------------------------------===//

/// The single axis of a keepdims reduction of `x`, or nullopt.
template <typename ReduceOpTy>
std::optional<int64_t> singleAxisReduction(Value v, Value x) {
  auto r = v.getDefiningOp<ReduceOpTy>();
  if (!r || r.getInput() != x || !r.getKeepdims() || r.getAxes().size() != 1)
    return std::nullopt;
  return r.getAxes()[0];
}

/// `t` is x - reduce_max(x, k) (returns x) or anything else (returns t).
std::pair<Value, std::optional<int64_t>> stripMaxShift(Value t) {
  if (auto sub = t.getDefiningOp<SubOp>())
    if (std::optional<int64_t> k =
            singleAxisReduction<ReduceMaxOp>(sub.getRhs(), sub.getLhs()))
      return {sub.getLhs(), k};
  return {t, std::nullopt};
}

/// exp(t) / reduce_sum(exp(t), k) (or * reciprocal(..)), t = x or
/// x - reduce_max(x, k): softmax(x, k).
struct RecomposeSoftmax : RewritePattern {
  RecomposeSoftmax(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Value e, sum;
    if (auto div = dyn_cast<DivOp>(op)) {
      e = div.getLhs();
      sum = div.getRhs();
    } else if (auto mul = dyn_cast<MulOp>(op)) {
      for (int i = 0; i < 2 && !sum; ++i) {
        Value r = i ? mul.getLhs() : mul.getRhs();
        if (auto rec = r.getDefiningOp<ReciprocalOp>()) {
          e = i ? mul.getRhs() : mul.getLhs();
          sum = rec.getInput();
        }
      }
    }
    if (!e || !sum || !isFloatTensor(e.getType()) ||
        !sameType(e, op->getResult(0)))
      return failure();
    auto exp = e.getDefiningOp<ExpOp>();
    std::optional<int64_t> k = singleAxisReduction<ReduceSumOp>(sum, e);
    if (!exp || !k)
      return failure();
    auto [x, maxAxis] = stripMaxShift(exp.getInput());
    if ((maxAxis && *maxAxis != *k) || !sameType(x, e))
      return failure();
    rewriter.replaceOpWithNewOp<SoftmaxOp>(op, e.getType(), x, *k);
    return success();
  }
};

/// t - log(reduce_sum(exp(t), k)), t = x - reduce_max(x, k) or x:
/// log_softmax(x, k).
struct RecomposeLogSoftmax : OpRewritePattern<SubOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SubOp op,
                                PatternRewriter &rewriter) const override {
    Value t = op.getLhs();
    auto log = op.getRhs().getDefiningOp<LogOp>();
    if (!log || !isFloatTensor(t.getType()) || !sameType(t, op.getOutput()))
      return failure();
    auto sum = log.getInput().getDefiningOp<ReduceSumOp>();
    if (!sum || !sum.getKeepdims() || sum.getAxes().size() != 1)
      return failure();
    auto exp = sum.getInput().getDefiningOp<ExpOp>();
    if (!exp || exp.getInput() != t)
      return failure();
    int64_t k = sum.getAxes()[0];
    auto [x, maxAxis] = stripMaxShift(t);
    if ((maxAxis && *maxAxis != k) || !sameType(x, t))
      return failure();
    rewriter.replaceOpWithNewOp<LogSoftmaxOp>(op, t.getType(), x, k);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// LayerNorm
//===----------------------------------------------------------------------===//

/// reduce_mean(v) over trailing axes [a, rank) with keepdims: returns its
/// input and a.
std::optional<std::pair<Value, int64_t>> matchTrailingMean(Value v) {
  auto mean = v.getDefiningOp<ReduceMeanOp>();
  if (!mean || !mean.getKeepdims() || mean.getAxes().empty())
    return std::nullopt;
  int64_t rank = mean.getInput().getType().getRank();
  ArrayRef<int64_t> axes = mean.getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] !=
        rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  return std::make_pair(mean.getInput(), axes.front());
}

/// `d` is x - reduce_mean(x) over trailing axes: returns x and the axis.
std::optional<std::pair<Value, int64_t>> matchCentered(Value d) {
  auto sub = d.getDefiningOp<SubOp>();
  if (!sub)
    return std::nullopt;
  std::optional<std::pair<Value, int64_t>> mean =
      matchTrailingMean(sub.getRhs());
  if (!mean || mean->first != sub.getLhs())
    return std::nullopt;
  return mean;
}

/// Two values compute the same centering (one value, or two identical subs
/// that CSE has not merged).
bool sameCentering(Value a, Value b) {
  if (a == b)
    return true;
  auto sa = a.getDefiningOp<SubOp>(), sb = b.getDefiningOp<SubOp>();
  return sa && sb && sa.getLhs() == sb.getLhs() && sa.getRhs() == sb.getRhs();
}

/// d / sqrt(reduce_mean(d^2) + eps) with d = x - reduce_mean(x) over the
/// same trailing axes: layer_norm(x, 1, axis, eps). Gamma and beta join
/// afterwards (AbsorbLayerNormScale/Bias).
struct RecomposeLayerNorm : RewritePattern {
  RecomposeLayerNorm(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<DivOp, MulOp>(op) || !isFloatTensor(op->getResult(0).getType()))
      return failure();
    for (int i = 0; i < 2; ++i) {
      if (isa<DivOp>(op) && i == 1)
        break;
      Value d = op->getOperand(i), r = op->getOperand(1 - i);
      std::optional<std::pair<Value, int64_t>> centered = matchCentered(d);
      if (!centered || !sameType(centered->first, op->getResult(0)))
        continue;
      std::optional<Value> variancePlusEps =
          isa<DivOp>(op) ? matchSqrt(r) : matchInverseSqrt(r);
      if (!variancePlusEps)
        continue;
      std::optional<double> eps = 0.0;
      Value var = *variancePlusEps;
      if (std::optional<std::pair<Value, double>> add = matchAddConstant(var)) {
        var = add->first;
        eps = add->second;
      }
      if (*eps < 0 || !matchVariance(var, d, centered->second))
        continue;
      Value x = centered->first;
      RankedTensorType type = cast<RankedTensorType>(x.getType());
      int64_t axis = centered->second;
      auto scaleType = RankedTensorType::get(type.getShape().drop_front(axis),
                                             type.getElementType());
      Value scale = ConstantOp::create(
          rewriter, op->getLoc(), scaleType,
          DenseElementsAttr::get(
              scaleType, rewriter.getFloatAttr(type.getElementType(), 1.0)));
      rewriter.replaceOpWithNewOp<LayerNormOp>(op, type, x, scale, Value(),
                                               static_cast<uint64_t>(axis),
                                               APFloat(*eps));
      return success();
    }
    return failure();
  }

  static std::optional<Value> matchSqrt(Value v) {
    if (auto sqrt = v.getDefiningOp<SqrtOp>())
      return sqrt.getInput();
    return std::nullopt;
  }

  /// reciprocal(sqrt(v)), 1 / sqrt(v) or pow(v, -0.5).
  static std::optional<Value> matchInverseSqrt(Value v) {
    if (auto rec = v.getDefiningOp<ReciprocalOp>())
      return matchSqrt(rec.getInput());
    if (auto div = v.getDefiningOp<DivOp>())
      if (getUniformConstant(div.getLhs()) == 1.0)
        return matchSqrt(div.getRhs());
    if (auto pow = v.getDefiningOp<PowOp>())
      if (getUniformConstant(pow.getRhs()) == -0.5)
        return pow.getLhs();
    return std::nullopt;
  }

  /// `sq` is v * v or pow(v, 2) for some v with `same(v)`.
  template <typename Pred> static bool isSquareOf(Value sq, Pred same) {
    if (auto pow = sq.getDefiningOp<PowOp>())
      return getUniformConstant(pow.getRhs()) == 2.0 && same(pow.getLhs());
    if (auto mul = sq.getDefiningOp<MulOp>())
      return same(mul.getLhs()) && same(mul.getRhs());
    return false;
  }

  /// The variance over the centering's axes: reduce_mean(d^2), or
  /// reduce_mean(x^2) - mean^2 (ONNX's own LayerNormalization function).
  static bool matchVariance(Value var, Value d, int64_t axis) {
    if (std::optional<std::pair<Value, int64_t>> mean =
            matchTrailingMean(var)) {
      return mean->second == axis && isSquareOf(mean->first, [&](Value v) {
               return sameCentering(v, d);
             });
    }
    auto sub = var.getDefiningOp<SubOp>();
    auto center = d.getDefiningOp<SubOp>();
    if (!sub || !center)
      return false;
    Value x = center.getLhs(), mean = center.getRhs();
    std::optional<std::pair<Value, int64_t>> meanSq =
        matchTrailingMean(sub.getLhs());
    return meanSq && meanSq->second == axis &&
           isSquareOf(meanSq->first, [&](Value v) { return v == x; }) &&
           isSquareOf(sub.getRhs(), [&](Value v) { return v == mean; });
  }
};

/// A value that varies only along the normalized dims of `ln`, reshaped to
/// the normalized shape's rank (null if it does not fit).
Value normalizedParameter(PatternRewriter &rewriter, LayerNormOp ln, Value c) {
  RankedTensorType type = ln.getOutput().getType();
  int64_t axis = ln.getAxis(), rank = type.getRank();
  std::optional<SmallVector<int64_t>> shape = padShapeToRank(c.getType(), rank);
  if (!shape || cast<RankedTensorType>(c.getType()).getElementType() !=
                    type.getElementType())
    return {};
  for (int64_t i = 0; i < axis; ++i)
    if ((*shape)[i] != 1)
      return {};
  auto newType = RankedTensorType::get(
      ArrayRef<int64_t>(*shape).drop_front(axis), type.getElementType());
  if (newType == c.getType())
    return c;
  return ReshapeOp::create(rewriter, c.getLoc(), newType, c);
}

/// layer_norm(x, s) * g -> layer_norm(x, s * g) (no bias yet).
struct AbsorbLayerNormScale : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto ln = (i ? op.getRhs() : op.getLhs()).getDefiningOp<LayerNormOp>();
      Value g = i ? op.getLhs() : op.getRhs();
      if (!ln || ln.getBias() || !ln->hasOneUse() ||
          ln.getType() != op.getType() || !getConstantAttr(ln.getScale()))
        continue;
      Value gamma = normalizedParameter(rewriter, ln, g);
      if (!gamma)
        continue;
      // A new layer norm at the root, which gamma dominates (ln may not).
      Value scale = getUniformConstant(ln.getScale()) == 1.0
                        ? gamma
                        : Value(MulOp::create(rewriter, op.getLoc(),
                                              ln.getScale(), gamma));
      auto newLn = cast<LayerNormOp>(rewriter.clone(*ln));
      rewriter.modifyOpInPlace(newLn, [&] {
        newLn.getScaleMutable().assign(scale);
        newLn->setLoc(rewriter.getFusedLoc({ln.getLoc(), op.getLoc()}));
      });
      rewriter.replaceOp(op, newLn.getOutput());
      return success();
    }
    return failure();
  }
};

/// layer_norm(x, s, b) + beta -> layer_norm(x, s, b + beta).
struct AbsorbLayerNormBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getActivation())
      return failure();
    for (int i = 0; i < 2; ++i) {
      auto ln = (i ? op.getRhs() : op.getLhs()).getDefiningOp<LayerNormOp>();
      Value c = i ? op.getLhs() : op.getRhs();
      if (!ln || !ln->hasOneUse() || ln.getType() != op.getType() ||
          (ln.getBias() && !getConstantAttr(ln.getBias())))
        continue;
      Value beta = normalizedParameter(rewriter, ln, c);
      if (!beta)
        continue;
      Value bias =
          ln.getBias()
              ? Value(AddOp::create(rewriter, op.getLoc(), ln.getBias(), beta))
              : beta;
      auto newLn = cast<LayerNormOp>(rewriter.clone(*ln));
      rewriter.modifyOpInPlace(newLn, [&] {
        newLn.getBiasMutable().assign(bias);
        newLn->setLoc(rewriter.getFusedLoc({ln.getLoc(), op.getLoc()}));
      });
      rewriter.replaceOp(op, newLn.getOutput());
      return success();
    }
    return failure();
  }
};

struct GraphRecomposePass
    : tessel::graph::impl::GraphRecomposeBase<GraphRecomposePass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    if (layerNorm)
      patterns
          .add<RecomposeLayerNorm, AbsorbLayerNormScale, AbsorbLayerNormBias>(
              ctx);
    if (gelu)
      patterns.add<RecomposeGelu>(ctx, tolerance);
    if (hardSwish)
      patterns
          .add<RecomposeHardSigmoid, RecomposeHardSwish, RecomposeHardSwishDiv>(
              ctx, tolerance);
    if (softmax)
      patterns.add<RecomposeSoftmax, RecomposeLogSoftmax>(ctx);
    if (matmulBias)
      populateFuseBiasPatterns(patterns);
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
