//===- FuseActivations.cpp - Biases and activations into their producer ---===//
//
// conv/matmul + bias + activation become one op: constant adds become the
// bias operand, and the activation that follows becomes the `activation`
// attribute (applied after the bias). A residual add of two computed tensors
// followed by an activation takes the activation too (as TFLite's ADD).
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHFUSEACTIVATIONS
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel;
using namespace tessel::graph;

namespace {

//===----------------------------------------------------------------------===//
// Bias
//===----------------------------------------------------------------------===//

/// conv(x) + c or conv(x) - c with c constant per output channel -> conv
/// with the constant in its bias.
template <typename OpTy>
struct FuseConstantIntoConvBias : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr bool isSub = std::is_same_v<OpTy, SubOp>;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op->hasAttr("activation"))
      return failure();
    Value prod = op.getLhs(), c = op.getRhs();
    if (!isSub && getConstantAttr(prod) && !getConstantAttr(c))
      std::swap(prod, c);
    auto conv = prod.getDefiningOp<ConvOp>();
    if (!isFoldableConv(conv, /*scalesWeights=*/false) ||
        prod.getType() != op.getOutput().getType())
      return rewriter.notifyMatchFailure(op, "no foldable conv");
    RankedTensorType type = op.getOutput().getType();
    int64_t o = conv.getWeight().getType().getDimSize(0);
    std::optional<ref::Tensor> v = readPerChannelConstant(
        c, type.getRank(), channelDim(conv.getLayout(), type.getRank()), o);
    if (!v)
      return rewriter.notifyMatchFailure(op, "not a per-channel constant");
    ChannelAffine a;
    for (int64_t i = 0; i < o; ++i)
      a.shift.push_back(isSub ? -v->getF(i) : v->getF(i));
    if (!allFinite(a.shift))
      return failure();
    FailureOr<Value> folded = foldIntoConv(rewriter, conv, a, op.getLoc());
    if (failed(folded))
      return failure();
    rewriter.replaceOp(op, *folded);
    return success();
  }
};

/// matmul(x, w) + c or - c, c a constant that broadcasts to the product ->
/// matmul(x, w, c) (added to an existing constant bias).
template <typename OpTy>
struct FuseConstantIntoMatMulBias : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr bool isSub = std::is_same_v<OpTy, SubOp>;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op->hasAttr("activation"))
      return failure();
    Value prod = op.getLhs(), c = op.getRhs();
    if (!isSub && getConstantAttr(prod) && !getConstantAttr(c))
      std::swap(prod, c);
    auto mm = prod.getDefiningOp<MatMulOp>();
    if (!isFoldableMatMul(mm, /*scalesWeights=*/false) || !getConstantAttr(c) ||
        prod.getType() != op.getOutput().getType())
      return rewriter.notifyMatchFailure(op, "no foldable matmul");
    // The new bias is computed from constants; the folders evaluate it.
    Location loc = op.getLoc();
    Value bias;
    if (!mm.getBias())
      bias = isSub ? Value(NegOp::create(rewriter, loc, c)) : c;
    else if (isSub)
      bias = SubOp::create(rewriter, loc, mm.getBias(), c);
    else
      bias = AddOp::create(rewriter, loc, mm.getBias(), c);
    // A copy at the root, which the constant dominates (mm may not).
    auto newMm = cast<MatMulOp>(rewriter.clone(*mm));
    rewriter.modifyOpInPlace(newMm, [&] {
      newMm.getBiasMutable().assign(bias);
      newMm->setLoc(rewriter.getFusedLoc({mm.getLoc(), loc}));
    });
    rewriter.replaceOp(op, newMm.getOutput());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// The fused form of an activation op, or null.
ActivationAttr activationOf(Operation *op) {
  MLIRContext *ctx = op->getContext();
  if (isa<ReluOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::Relu);
  if (auto clip = dyn_cast<ClipOp>(op)) {
    std::optional<double> lo, hi;
    if (clip.getMin())
      lo = clip.getMin()->convertToDouble();
    if (clip.getMax())
      hi = clip.getMax()->convertToDouble();
    if (lo && hi)
      return ActivationAttr::get(ctx, ActivationKind::Clip, *lo, *hi);
    if (lo && *lo == 0.0 && !hi)
      return ActivationAttr::get(ctx, ActivationKind::Relu);
    return {};
  }
  if (auto lr = dyn_cast<LeakyReluOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::LeakyRelu,
                               lr.getAlpha().convertToDouble());
  if (isa<SigmoidOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::Sigmoid);
  if (isa<TanhOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::Tanh);
  if (auto hs = dyn_cast<HardSigmoidOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::HardSigmoid,
                               hs.getAlpha().convertToDouble(),
                               hs.getBeta().convertToDouble());
  if (isa<HardSwishOp>(op))
    return ActivationAttr::get(ctx, ActivationKind::HardSwish);
  if (auto g = dyn_cast<GeluOp>(op))
    return ActivationAttr::get(ctx, g.getApproximateTanh()
                                        ? ActivationKind::GeluTanh
                                        : ActivationKind::Gelu);
  return {};
}

/// act(conv(...)), act(matmul(...)) or act(a + b) -> the producer with
/// `activation` set. The producer must have no other use and no activation.
struct FuseActivation : RewritePattern {
  FuseActivation(MLIRContext *ctx, bool intoAdd)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        intoAdd(intoAdd) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() != 1 || op->getNumResults() != 1 ||
        !isFloatTensor(op->getResult(0).getType()))
      return failure();
    ActivationAttr act = activationOf(op);
    Operation *prod = op->getOperand(0).getDefiningOp();
    if (!act || !prod || !prod->hasOneUse() ||
        prod->getResult(0).getType() != op->getResult(0).getType())
      return failure();
    if (!isa<ConvOp, MatMulOp>(prod)) {
      // An add with a constant operand may still become a bias: only
      // residual adds of two computed tensors take an activation.
      auto add = dyn_cast<AddOp>(prod);
      if (!intoAdd || !add || getConstantAttr(add.getLhs()) ||
          getConstantAttr(add.getRhs()))
        return failure();
    }
    if (prod->hasAttr("activation"))
      return rewriter.notifyMatchFailure(op, "producer has an activation");
    rewriter.modifyOpInPlace(prod, [&] {
      prod->setAttr("activation", act);
      prod->setLoc(rewriter.getFusedLoc({prod->getLoc(), op->getLoc()}));
    });
    rewriter.replaceOp(op, prod->getResults());
    return success();
  }

  bool intoAdd;
};

struct GraphFuseActivationsPass
    : tessel::graph::impl::GraphFuseActivationsBase<GraphFuseActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    if (fuseBias)
      populateFuseBiasPatterns(patterns);
    patterns.add<FuseActivation>(ctx, fuseIntoAdd);
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void tessel::graph::populateFuseBiasPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<FuseConstantIntoConvBias<AddOp>, FuseConstantIntoConvBias<SubOp>,
               FuseConstantIntoMatMulBias<AddOp>,
               FuseConstantIntoMatMulBias<SubOp>>(ctx);
}
