//===- ConvertLayout.cpp - Layout-sensitive ops to one layout -------------===//
//
// Two steps in one greedy rewrite:
//  1. every conv, conv_transpose, max_pool, avg_pool and batch_norm in
//     another layout becomes the op in the target layout between
//     transposes: to the target layout on its input (and weights, where the
//     transpose of a constant folds), back on its output;
//  2. the sinking patterns of graph-sink-transposes move those transposes
//     through layout-agnostic ops until they meet their inverses and cancel.
// On a convolutional network only the transposes at the graph's inputs (and
// at outputs that keep the original layout) remain.
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHCONVERTLAYOUT
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel;
using namespace tessel::graph;

namespace {

Value transposeValue(PatternRewriter &rewriter, Location loc, Value v,
                     ArrayRef<int64_t> perm) {
  auto t = cast<RankedTensorType>(v.getType());
  auto type =
      RankedTensorType::get(permute(t.getShape(), perm), t.getElementType());
  return TransposeOp::create(rewriter, loc, type, v, perm);
}

/// Rewrites a layout-sensitive op into `target` layout. Operands listed in
/// `permuted` (the activation input, and the weights of convs, whose
/// OIHW/OHWI and CKO/CKO orders convert by the same permutation) are
/// transposed; the result is transposed back.
template <typename OpTy> struct ConvertOpLayout : OpRewritePattern<OpTy> {
  ConvertOpLayout(MLIRContext *ctx, Layout target)
      : OpRewritePattern<OpTy>(ctx), target(target) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getLayout() == target)
      return failure();
    auto type = cast<RankedTensorType>(op.getOutput().getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> toTarget = target == Layout::NHWC
                                        ? toChannelsLastPerm(rank)
                                        : toChannelsFirstPerm(rank);
    SmallVector<int64_t> back = invertPermutation(toTarget);
    constexpr bool hasWeights =
        std::is_same_v<OpTy, ConvOp> || std::is_same_v<OpTy, ConvTransposeOp>;
    SmallVector<Value> operands(op->getOperands());
    Location loc = op.getLoc();
    operands[0] = transposeValue(rewriter, loc, operands[0], toTarget);
    // The weight transpose folds into a constant named after the op.
    if (hasWeights)
      operands[1] = transposeValue(
          rewriter,
          NameLoc::get(rewriter.getStringAttr(nameHint(op, ".weight")), loc),
          operands[1], toTarget);
    Operation *newOp = rewriter.clone(*op);
    newOp->setOperands(operands);
    newOp->getResult(0).setType(RankedTensorType::get(
        permute(type.getShape(), toTarget), type.getElementType()));
    cast<OpTy>(newOp).setLayout(target);
    rewriter.replaceOp(
        op, transposeValue(rewriter, loc, newOp->getResult(0), back));
    return success();
  }

  Layout target;
};

struct GraphConvertLayoutPass
    : tessel::graph::impl::GraphConvertLayoutBase<GraphConvertLayoutPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<ConvertOpLayout<ConvOp>, ConvertOpLayout<ConvTransposeOp>,
                 ConvertOpLayout<MaxPoolOp>, ConvertOpLayout<AvgPoolOp>,
                 ConvertOpLayout<BatchNormOp>>(ctx, layout);
    populateSinkTransposePatterns(patterns);
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
