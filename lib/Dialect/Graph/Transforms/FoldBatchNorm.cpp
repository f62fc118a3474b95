//===- FoldBatchNorm.cpp - Batch norms and affine constants into weights --===//
//
// Inference batch norm is a per-channel affine map y = x * s + t with
// s = scale / sqrt(var + eps) and t = beta - mean * s. After a conv (per
// output channel o: w'[o] = w[o] * s[o], b'[o] = b[o] * s[o] + t[o]) or a
// matmul whose output's last dim is the channel dim (columns of the constant
// right operand) it folds into the weights, as do per-channel constant
// multiplies, divides, adds and subtracts. The arithmetic is done in double
// precision and rounded once to the weights' element type.
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Reference/Kernels.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHFOLDBATCHNORM
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel;
using namespace tessel::graph;

namespace {

/// The affine map of a batch norm with constant parameters.
std::optional<ChannelAffine> readBatchNorm(BatchNormOp bn) {
  if (!isFloatTensor(bn.getInput().getType()))
    return std::nullopt;
  FailureOr<ref::Tensor> gamma = readConstant(bn.getScale());
  FailureOr<ref::Tensor> beta = readConstant(bn.getBias());
  FailureOr<ref::Tensor> mean = readConstant(bn.getMean());
  FailureOr<ref::Tensor> var = readConstant(bn.getVar());
  if (failed(gamma) || failed(beta) || failed(mean) || failed(var))
    return std::nullopt;
  double eps = bn.getEpsilon().convertToDouble();
  ChannelAffine a;
  for (int64_t c = 0, e = gamma->numel(); c < e; ++c) {
    double s = gamma->getF(c) / std::sqrt(var->getF(c) + eps);
    a.scale.push_back(s);
    a.shift.push_back(beta->getF(c) - mean->getF(c) * s);
  }
  if (!allFinite(a.scale) || !allFinite(a.shift))
    return std::nullopt;
  return a;
}

/// batch_norm(conv(x)) -> conv(x) with folded weights and bias.
struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  FoldBatchNormIntoConv(MLIRContext *ctx)
      : OpRewritePattern<BatchNormOp>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!isFoldableConv(conv, /*scalesWeights=*/true))
      return rewriter.notifyMatchFailure(bn, "no foldable conv producer");
    if (conv.getLayout() != bn.getLayout())
      return rewriter.notifyMatchFailure(bn,
                                         "conv and batch norm layouts differ");
    std::optional<ChannelAffine> a = readBatchNorm(bn);
    FailureOr<Value> folded = a ? foldIntoConv(rewriter, conv, *a, bn.getLoc())
                                : FailureOr<Value>(failure());
    if (failed(folded))
      return rewriter.notifyMatchFailure(bn, "parameters are not constants");
    rewriter.replaceOp(bn, *folded);
    return success();
  }
};

/// batch_norm(matmul(x, w)) over the output's last dim -> matmul(x, w', b').
struct FoldBatchNormIntoMatMul : OpRewritePattern<BatchNormOp> {
  FoldBatchNormIntoMatMul(MLIRContext *ctx)
      : OpRewritePattern<BatchNormOp>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto mm = bn.getInput().getDefiningOp<MatMulOp>();
    if (!isFoldableMatMul(mm, /*scalesWeights=*/true))
      return rewriter.notifyMatchFailure(bn, "no foldable matmul producer");
    int64_t rank = bn.getInput().getType().getRank();
    if (channelDim(bn.getLayout(), rank) != rank - 1)
      return rewriter.notifyMatchFailure(bn, "channels are not the last dim");
    std::optional<ChannelAffine> a = readBatchNorm(bn);
    FailureOr<Value> folded = a ? foldIntoMatMul(rewriter, mm, *a, bn.getLoc())
                                : FailureOr<Value>(failure());
    if (failed(folded))
      return rewriter.notifyMatchFailure(bn, "parameters are not constants");
    rewriter.replaceOp(bn, *folded);
    return success();
  }
};

/// A batch norm with constant parameters and nothing to fold into becomes
/// x * s + t on per-channel constants (which later patterns, and back ends,
/// treat as ordinary elementwise ops).
struct DecomposeBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    std::optional<ChannelAffine> a = readBatchNorm(bn);
    if (!a)
      return rewriter.notifyMatchFailure(bn, "parameters are not constants");
    RankedTensorType type = bn.getOutput().getType();
    int64_t rank = type.getRank(), c = a->scale.size();
    // [C, 1, ..., 1] broadcasts along dim 1 of a channels-first tensor; [C]
    // along the last dim.
    SmallVector<int64_t> shape = {c};
    if (bn.getLayout() == Layout::NCHW)
      shape.append(rank - 2, 1);
    auto pType = RankedTensorType::get(shape, type.getElementType());
    ref::DType dt = *toDType(type.getElementType());
    ref::Shape refShape(shape.begin(), shape.end());
    ref::Tensor s(dt, refShape), t(dt, refShape);
    for (int64_t i = 0; i < c; ++i) {
      s.setF(i, a->scale[i]);
      t.setF(i, a->shift[i]);
    }
    Location loc = bn.getLoc();
    Value sv = createConstant(rewriter, loc, pType, s, nameHint(bn, ".scale"));
    Value tv = createConstant(rewriter, loc, pType, t, nameHint(bn, ".shift"));
    Value mul = MulOp::create(rewriter, loc, bn.getInput(), sv);
    rewriter.replaceOpWithNewOp<AddOp>(bn, mul, tv);
    return success();
  }
};

/// conv(x) * c or conv(x) / c, c constant per output channel -> conv with
/// scaled weights and bias; the same for a matmul's columns.
template <typename OpTy> struct FoldScaleIntoProducer : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr bool isDiv = std::is_same_v<OpTy, DivOp>;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value prod = op.getLhs(), c = op.getRhs();
    if (!isDiv && getConstantAttr(prod) && !getConstantAttr(c))
      std::swap(prod, c);
    if (prod.getType() != op.getOutput().getType() || !getConstantAttr(c))
      return rewriter.notifyMatchFailure(op, "no constant or broadcasts");
    RankedTensorType type = op.getOutput().getType();
    int64_t rank = type.getRank();
    auto toAffine = [&](const ref::Tensor &v) -> std::optional<ChannelAffine> {
      ChannelAffine a;
      for (int64_t i = 0; i < v.numel(); ++i) {
        double x = v.getF(i);
        if (isDiv && x == 0.0)
          return std::nullopt;
        a.scale.push_back(isDiv ? 1.0 / x : x);
        a.shift.push_back(0.0);
      }
      if (!allFinite(a.scale))
        return std::nullopt;
      return a;
    };
    if (auto conv = prod.getDefiningOp<ConvOp>();
        isFoldableConv(conv, /*scalesWeights=*/true)) {
      int64_t o = conv.getWeight().getType().getDimSize(0);
      std::optional<ref::Tensor> v = readPerChannelConstant(
          c, rank, channelDim(conv.getLayout(), rank), o);
      std::optional<ChannelAffine> a = v ? toAffine(*v) : std::nullopt;
      FailureOr<Value> folded =
          a ? foldIntoConv(rewriter, conv, *a, op.getLoc())
            : FailureOr<Value>(failure());
      if (failed(folded))
        return rewriter.notifyMatchFailure(op, "not a per-channel constant");
      rewriter.replaceOp(op, *folded);
      return success();
    }
    if (auto mm = prod.getDefiningOp<MatMulOp>();
        isFoldableMatMul(mm, /*scalesWeights=*/true)) {
      int64_t n = type.getShape().back();
      if (mm.getRhs().getType().getShape().back() != n)
        return failure();
      std::optional<ref::Tensor> v =
          readPerChannelConstant(c, rank, rank - 1, n);
      std::optional<ChannelAffine> a = v ? toAffine(*v) : std::nullopt;
      FailureOr<Value> folded =
          a ? foldIntoMatMul(rewriter, mm, *a, op.getLoc())
            : FailureOr<Value>(failure());
      if (failed(folded))
        return rewriter.notifyMatchFailure(op, "not a per-column constant");
      rewriter.replaceOp(op, *folded);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no foldable producer");
  }
};

struct GraphFoldBatchNormPass
    : tessel::graph::impl::GraphFoldBatchNormBase<GraphFoldBatchNormPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<FoldBatchNormIntoConv, FoldBatchNormIntoMatMul>(ctx);
    if (decompose)
      patterns.add<DecomposeBatchNorm>(ctx);
    if (foldAffine) {
      patterns.add<FoldScaleIntoProducer<MulOp>, FoldScaleIntoProducer<DivOp>>(
          ctx);
      populateFuseBiasPatterns(patterns);
    }
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
