//===- SinkTransposes.cpp - Move transposes to the outputs, cancel pairs --===//
//
// op(transpose(x, P)) is transpose(op'(x), P) for every layout-agnostic op,
// where op' has its dim-indexed attributes (axes, pads, starts, scales)
// permuted and its other operands transposed by P^-1 (constants fold;
// tensors whose permuted shape only moves size-1 dims become reshapes).
// Moving transposes towards the outputs this way meets them with their
// inverses, which cancel (transpose chains compose, the identity folds).
//
// A transpose moves only when the op is its only user: moving one with
// other users would add a transpose rather than move it.
//
//===----------------------------------------------------------------------===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHSINKTRANSPOSES
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

using namespace tessel;
using namespace tessel::graph;

namespace {

/// A transpose whose uses are all by `user`.
TransposeOp movableTranspose(Value v, Operation *user) {
  auto t = v.getDefiningOp<TransposeOp>();
  if (!t)
    return {};
  for (Operation *u : t->getUsers())
    if (u != user)
      return {};
  return t;
}

/// An existing transpose(v, perm) before `user` in its block that other
/// ops keep alive (a residual shortcut already transposed for a
/// layout-converted op), or null. One that only `user` uses is the
/// transpose being moved: reusing it would move it back and forth.
Value existingTranspose(Value v, ArrayRef<int64_t> perm, Operation *user) {
  for (Operation *u : v.getUsers()) {
    auto t = dyn_cast<TransposeOp>(u);
    if (!t || t.getPerm() != perm || t->getBlock() != user->getBlock() ||
        !t->isBeforeInBlock(user) ||
        llvm::is_contained(user->getOperands(), t.getOutput()))
      continue;
    if (llvm::any_of(t->getUsers(), [&](Operation *o) { return o != user; }))
      return t.getOutput();
  }
  return {};
}

/// The type of `type` with its dims permuted: result dim i is dim perm[i].
RankedTensorType permuteType(Type type, ArrayRef<int64_t> perm) {
  auto t = cast<RankedTensorType>(type);
  return RankedTensorType::get(permute(t.getShape(), perm), t.getElementType());
}

/// `v` (rank <= rank(P)), an operand of `user`, expressed in the
/// untransposed dim order: the value w with transpose(w, P) broadcasting
/// like v. Constants are transposed (and fold); other values are an existing
/// transpose(v, P^-1) or, when only size-1 dims move, a reshape. Null if
/// none of these.
Value untranspose(PatternRewriter &rewriter, Operation *user, Value v,
                  ArrayRef<int64_t> perm) {
  Location loc = user->getLoc();
  int64_t rank = perm.size();
  std::optional<SmallVector<int64_t>> shape = padShapeToRank(v.getType(), rank);
  if (!shape)
    return {};
  auto elem = cast<RankedTensorType>(v.getType()).getElementType();
  auto padded = RankedTensorType::get(*shape, elem);
  SmallVector<int64_t> inv = invertPermutation(perm);
  auto target = RankedTensorType::get(permute(*shape, inv), elem);
  if (getConstantAttr(v)) {
    Value r = padded == v.getType()
                  ? v
                  : ReshapeOp::create(rewriter, loc, padded, v).getResult();
    return TransposeOp::create(rewriter, loc, target, r, inv);
  }
  if (Value t = existingTranspose(v, inv, user))
    return t;
  // Only size-1 dims move: a reshape.
  int64_t last = -1;
  for (int64_t p : inv) {
    if ((*shape)[p] == 1)
      continue;
    if (p < last)
      return {};
    last = p;
  }
  if (target == v.getType())
    return v;
  return ReshapeOp::create(rewriter, loc, target, v);
}

/// Replaces `op` by `newOp` (computing its results in the untransposed
/// order) followed by transposes `resultPerms[i]` of each result.
void replaceWithTransposed(PatternRewriter &rewriter, Operation *op,
                           Operation *newOp,
                           ArrayRef<SmallVector<int64_t>> resultPerms) {
  SmallVector<Value> results;
  for (auto [r, perm] : llvm::zip(newOp->getResults(), resultPerms)) {
    if (isIdentityPermutation(perm)) {
      results.push_back(r);
      continue;
    }
    results.push_back(TransposeOp::create(
        rewriter, op->getLoc(), permuteType(r.getType(), perm), r, perm));
  }
  rewriter.replaceOp(op, results);
}

/// Clones `op` with new operands and result types (attributes edited by the
/// caller afterwards).
Operation *cloneWith(PatternRewriter &rewriter, Operation *op,
                     ValueRange operands, TypeRange resultTypes) {
  Operation *clone = rewriter.clone(*op);
  clone->setOperands(operands);
  for (auto [r, t] : llvm::zip(clone->getResults(), resultTypes))
    r.setType(t);
  return clone;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// op(transpose(a, P), b, ...) -> transpose(op(a, b'), P) for broadcasting
/// elementwise ops.
struct SinkThroughElementwise : RewritePattern {
  SinkThroughElementwise(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!op->hasTrait<BroadcastElementwise>() || op->getNumResults() != 1)
      return failure();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    // The permutation of the first full-rank transposed operand.
    SmallVector<int64_t> perm;
    for (Value v : op->getOperands())
      if (auto t = movableTranspose(v, op);
          t && t.getType().getRank() == type.getRank()) {
        perm.assign(t.getPerm().begin(), t.getPerm().end());
        break;
      }
    if (perm.empty())
      return failure();
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      auto t = movableTranspose(v, op);
      if (t && t.getPerm() == ArrayRef<int64_t>(perm)) {
        operands.push_back(t.getInput());
        continue;
      }
      // Only constants, reshapable values and values already transposed:
      // anything else would need a new transpose.
      if (!getConstantAttr(v) && !isReshapable(v, perm) &&
          !existingTranspose(v, invertPermutation(perm), op))
        return failure();
      operands.push_back(Value());
    }
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      if (!operands[i])
        operands[i] = untranspose(rewriter, op, v, perm);
    SmallVector<int64_t> inv = invertPermutation(perm);
    Operation *newOp =
        cloneWith(rewriter, op, operands, {permuteType(type, inv)});
    replaceWithTransposed(rewriter, op, newOp, {perm});
    return success();
  }

  static bool isReshapable(Value v, ArrayRef<int64_t> perm) {
    std::optional<SmallVector<int64_t>> shape =
        padShapeToRank(v.getType(), perm.size());
    if (!shape)
      return false;
    int64_t last = -1;
    for (int64_t p : invertPermutation(perm)) {
      if ((*shape)[p] == 1)
        continue;
      if (p < last)
        return false;
      last = p;
    }
    return true;
  }
};

//===----------------------------------------------------------------------===//
// Ops with dim-indexed attributes
//===----------------------------------------------------------------------===//

/// reduce(transpose(x, P), axes) -> transpose(reduce(x, P[axes]), Q).
template <typename OpTy> struct SinkThroughReduce : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto t = movableTranspose(op.getInput(), op);
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes())
      axes.push_back(perm[a]);
    llvm::sort(axes);
    SmallVector<int64_t> resultPerm =
        reducedPermutation(perm, op.getAxes(), op.getKeepdims());
    RankedTensorType type = op.getOutput().getType();
    Operation *newOp =
        cloneWith(rewriter, op, {t.getInput()},
                  {permuteType(type, invertPermutation(resultPerm))});
    cast<OpTy>(newOp).setAxes(axes);
    replaceWithTransposed(rewriter, op, newOp, {resultPerm});
    return success();
  }

  /// The permutation from reduce(x, P[axes]) to reduce(transpose(x, P),
  /// axes): the perm itself with keepdims, else the order of the surviving
  /// dims.
  static SmallVector<int64_t> reducedPermutation(ArrayRef<int64_t> perm,
                                                 ArrayRef<int64_t> axes,
                                                 bool keepDims) {
    if (keepDims)
      return SmallVector<int64_t>(perm);
    SmallVector<int64_t> kept; // x dims surviving, in result order
    for (int64_t i = 0, e = perm.size(); i < e; ++i)
      if (!llvm::is_contained(axes, i))
        kept.push_back(perm[i]);
    SmallVector<int64_t> sorted(kept);
    llvm::sort(sorted);
    SmallVector<int64_t> result;
    for (int64_t d : kept)
      result.push_back(llvm::find(sorted, d) - sorted.begin());
    return result;
  }
};

/// arg_max/arg_min(transpose(x, P), axis) likewise.
template <typename OpTy> struct SinkThroughArgReduce : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto t = movableTranspose(op.getInput(), op);
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    int64_t axis = op.getAxis();
    SmallVector<int64_t> resultPerm =
        SinkThroughReduce<ReduceSumOp>::reducedPermutation(perm, {axis},
                                                           op.getKeepdims());
    Operation *newOp = cloneWith(
        rewriter, op, {t.getInput()},
        {permuteType(op.getOutput().getType(), invertPermutation(resultPerm))});
    cast<OpTy>(newOp).setAxis(perm[axis]);
    replaceWithTransposed(rewriter, op, newOp, {resultPerm});
    return success();
  }
};

/// softmax(transpose(x, P), axis) -> transpose(softmax(x, P[axis]), P).
template <typename OpTy> struct SinkThroughSoftmax : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto t = movableTranspose(op.getInput(), op);
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    Operation *newOp = cloneWith(
        rewriter, op, {t.getInput()},
        {permuteType(op.getOutput().getType(), invertPermutation(perm))});
    cast<OpTy>(newOp).setAxis(perm[op.getAxis()]);
    replaceWithTransposed(rewriter, op, newOp, {SmallVector<int64_t>(perm)});
    return success();
  }
};

/// concat(transpose(a, P), transpose(b, P), c, axis) ->
/// transpose(concat(a, b, c', P[axis]), P).
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<int64_t> perm;
    for (Value v : op.getInputs())
      if (auto t = movableTranspose(v, op)) {
        perm.assign(t.getPerm().begin(), t.getPerm().end());
        break;
      }
    if (perm.empty())
      return failure();
    SmallVector<Value> inputs;
    for (Value v : op.getInputs()) {
      auto t = movableTranspose(v, op);
      if (t && t.getPerm() == ArrayRef<int64_t>(perm))
        inputs.push_back(t.getInput());
      else if (getConstantAttr(v))
        inputs.push_back(Value());
      else
        return failure();
    }
    for (auto [i, v] : llvm::enumerate(op.getInputs()))
      if (!inputs[i])
        inputs[i] = untranspose(rewriter, op, v, perm);
    SmallVector<int64_t> inv = invertPermutation(perm);
    Operation *newOp = cloneWith(rewriter, op, inputs,
                                 {permuteType(op.getOutput().getType(), inv)});
    cast<ConcatOp>(newOp).setAxis(perm[op.getAxis()]);
    replaceWithTransposed(rewriter, op, newOp, {perm});
    return success();
  }
};

/// split(transpose(x, P), axis) -> transpose(split(x, P[axis]), P) each.
struct SinkThroughSplit : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp op,
                                PatternRewriter &rewriter) const override {
    auto t = movableTranspose(op.getInput(), op);
    if (!t)
      return failure();
    SmallVector<int64_t> perm(t.getPerm()), inv = invertPermutation(perm);
    SmallVector<Type> types;
    for (Type type : op.getResultTypes())
      types.push_back(permuteType(type, inv));
    Operation *newOp = cloneWith(rewriter, op, {t.getInput()}, types);
    cast<SplitOp>(newOp).setAxis(perm[op.getAxis()]);
    SmallVector<SmallVector<int64_t>> perms(op.getNumResults(), perm);
    replaceWithTransposed(rewriter, op, newOp, perms);
    return success();
  }
};

/// A per-dim attribute vector in the untransposed order: out[P[i]] = in[i],
/// for each of `blocks` consecutive blocks of rank(P) entries.
SmallVector<int64_t> unpermuteBlocks(ArrayRef<int64_t> values,
                                     ArrayRef<int64_t> perm) {
  size_t n = perm.size();
  SmallVector<int64_t> out(values.size());
  for (size_t b = 0; b < values.size() / n; ++b)
    for (size_t i = 0; i < n; ++i)
      out[b * n + perm[i]] = values[b * n + i];
  return out;
}
SmallVector<double> unpermuteBlocks(ArrayRef<double> values,
                                    ArrayRef<int64_t> perm) {
  size_t n = perm.size();
  SmallVector<double> out(values.size());
  for (size_t b = 0; b < values.size() / n; ++b)
    for (size_t i = 0; i < n; ++i)
      out[b * n + perm[i]] = values[b * n + i];
  return out;
}

/// slice, pad and resize of transpose(x, P): their per-dim attributes are
/// permuted back.
struct SinkThroughSlicePadResize : RewritePattern {
  SinkThroughSlicePadResize(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<SliceOp, PadOp, ResizeOp>(op))
      return failure();
    auto t = movableTranspose(op->getOperand(0), op);
    if (!t)
      return failure();
    SmallVector<int64_t> perm(t.getPerm()), inv = invertPermutation(perm);
    Operation *newOp =
        cloneWith(rewriter, op, {t.getInput()},
                  {permuteType(op->getResult(0).getType(), inv)});
    if (auto slice = dyn_cast<SliceOp>(newOp)) {
      slice.setStarts(unpermuteBlocks(slice.getStarts(), perm));
      slice.setSteps(unpermuteBlocks(slice.getSteps(), perm));
    } else if (auto pad = dyn_cast<PadOp>(newOp)) {
      pad.setPads(unpermuteBlocks(pad.getPads(), perm));
    } else if (auto resize = dyn_cast<ResizeOp>(newOp)) {
      resize.setScales(unpermuteBlocks(resize.getScales(), perm));
      if (std::optional<ArrayRef<double>> roi = resize.getRoi())
        resize.setRoi(unpermuteBlocks(*roi, perm));
    }
    replaceWithTransposed(rewriter, op, newOp, {perm});
    return success();
  }
};

struct GraphSinkTransposesPass
    : tessel::graph::impl::GraphSinkTransposesBase<GraphSinkTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSinkTransposePatterns(patterns);
    if (failed(applyGraphPatterns(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void tessel::graph::populateSinkTransposePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<SinkThroughElementwise, SinkThroughConcat, SinkThroughSplit,
               SinkThroughSlicePadResize, SinkThroughSoftmax<SoftmaxOp>,
               SinkThroughSoftmax<LogSoftmaxOp>, SinkThroughArgReduce<ArgMaxOp>,
               SinkThroughArgReduce<ArgMinOp>, SinkThroughReduce<ReduceSumOp>,
               SinkThroughReduce<ReduceMeanOp>, SinkThroughReduce<ReduceMaxOp>,
               SinkThroughReduce<ReduceMinOp>, SinkThroughReduce<ReduceProdOp>,
               SinkThroughReduce<ReduceL1Op>, SinkThroughReduce<ReduceL2Op>,
               SinkThroughReduce<ReduceSumSquareOp>,
               SinkThroughReduce<ReduceLogSumExpOp>>(ctx);
  // Chains compose, identities fold, size-1 moves become reshapes.
  TransposeOp::getCanonicalizationPatterns(patterns, ctx);
  ReshapeOp::getCanonicalizationPatterns(patterns, ctx);
}
