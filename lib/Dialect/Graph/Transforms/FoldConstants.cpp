//===- FoldConstants.cpp - Evaluate ops on constants, remove dead ops -----===//
//
// Op folders evaluate ops on constants while canonicalizing, within the
// 16M-element budget of kFoldElementBudget; this pass does the same for any
// op within its own `max-elements` budget, so that a deployment engineer can
// fold (or refuse to fold) large weight preprocessing explicitly.
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHFOLDCONSTANTS
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel::graph;

namespace {

/// Replaces a graph op whose operands are all constants by the constants its
/// reference evaluation computes.
struct EvaluateOnConstants : RewritePattern {
  EvaluateOnConstants(MLIRContext *ctx, int64_t budget)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        budget(budget) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RefEvalOpInterface>(op) || isa<ConstantOp>(op) ||
        op->getNumOperands() == 0)
      return failure();
    SmallVector<Attribute> operands;
    for (Value v : op->getOperands()) {
      Attribute attr;
      if (!matchPattern(v, m_Constant(&attr)))
        return rewriter.notifyMatchFailure(op, "operand is not a constant");
      operands.push_back(attr);
    }
    SmallVector<OpFoldResult> folded;
    if (failed(foldByEvaluation(op, operands, folded, budget)))
      return rewriter.notifyMatchFailure(op, "over budget or not evaluable");
    SmallVector<Value> values;
    for (auto [result, value] : llvm::zip(op->getResults(), folded)) {
      auto attr = cast<ElementsAttr>(cast<Attribute>(value));
      values.push_back(
          ConstantOp::create(rewriter, op->getLoc(),
                             cast<RankedTensorType>(result.getType()), attr));
    }
    rewriter.replaceOp(op, values);
    return success();
  }

  int64_t budget;
};

struct GraphFoldConstantsPass
    : tessel::graph::impl::GraphFoldConstantsBase<GraphFoldConstantsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<EvaluateOnConstants>(&getContext(), maxElements);
    // The ops' own folders stay off, so that `max-elements` alone decides
    // what is evaluated; the driver still erases ops whose results are
    // unused (all graph ops are pure).
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
