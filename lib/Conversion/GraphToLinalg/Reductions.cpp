//===- Reductions.cpp - Lowering of reductions, softmax, normalization ----===//
//
// Reductions accumulate in the element type, except 16-bit floats, which
// accumulate in f32 (the reference accumulates in double and rounds once).
//
//===----------------------------------------------------------------------===//
#include "Common.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;
using ref::ReduceKind;

namespace {

Type accumulatorType(OpBuilder &b, Type t) {
  return (t.isF16() || t.isBF16()) ? b.getF32Type() : signless(t);
}

/// Reduces `input` (lowered) over sorted `axes` with `combine(acc, x)`,
/// after mapping every element through `pre` (in the accumulator type).
/// Returns a tensor of the accumulator type without the reduced dims.
Value reduceOver(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> axes, Type accType, Value init,
                 function_ref<Value(OpBuilder &, Location, Value)> pre,
                 function_ref<Value(OpBuilder &, Location, Value, Value)>
                     combine) {
  MLIRContext *ctx = b.getContext();
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = inType.getRank();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(inType.getDimSize(i));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  auto outType = RankedTensorType::get(outShape, accType);
  Value acc = filledTensor(b, loc, outType, init);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, ctx),
      AffineMap::get(rank, 0, outExprs, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{input}, ValueRange{acc},
             maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value x = pre(nb, nloc, args[0]);
               linalg::YieldOp::create(nb, nloc,
                                       combine(nb, nloc, args[1], x));
             })
      .getResult(0);
}

/// Widens a scalar to the accumulator type.
Value widen(OpBuilder &b, Location loc, Value x, Type accType) {
  if (x.getType() == accType)
    return x;
  return arith::ExtFOp::create(b, loc, accType, x);
}

/// The reduced result, shaped as `resultType` (keepdims or not).
Value finish(OpBuilder &b, Location loc, Value reduced, Type elemType,
             RankedTensorType resultType,
             function_ref<Value(OpBuilder &, Location, Value)> post) {
  auto rt = cast<RankedTensorType>(reduced.getType());
  auto flatResult = RankedTensorType::get(rt.getShape(),
                                          resultType.getElementType());
  Value r = elementwise(b, loc, flatResult, ValueRange{reduced},
                        [&](OpBuilder &nb, Location nloc, ValueRange args) {
                          Value v = post(nb, nloc, args[0]);
                          if (v.getType() != flatResult.getElementType())
                            v = arith::TruncFOp::create(
                                nb, nloc, flatResult.getElementType(), v);
                          return v;
                        });
  (void)elemType;
  return reshapeTensor(b, loc, r, resultType);
}

Value combineFor(OpBuilder &b, Location loc, ReduceKind kind, Value acc,
                 Value x, bool isFloat, bool u) {
  switch (kind) {
  case ReduceKind::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, acc, x);
    return u ? arith::MaxUIOp::create(b, loc, acc, x).getResult()
             : arith::MaxSIOp::create(b, loc, acc, x).getResult();
  case ReduceKind::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, acc, x);
    return u ? arith::MinUIOp::create(b, loc, acc, x).getResult()
             : arith::MinSIOp::create(b, loc, acc, x).getResult();
  case ReduceKind::Prod:
    return isFloat ? arith::MulFOp::create(b, loc, acc, x).getResult()
                   : arith::MulIOp::create(b, loc, acc, x).getResult();
  default:
    return isFloat ? arith::AddFOp::create(b, loc, acc, x).getResult()
                   : arith::AddIOp::create(b, loc, acc, x).getResult();
  }
}

/// The full reduction of `input` as graph semantics define it.
Value lowerReduce(OpBuilder &b, Location loc, ReduceKind kind, Value input,
                  Type elemType, ArrayRef<int64_t> axes,
                  RankedTensorType resultType) {
  bool isFloat = isa<FloatType>(elemType);
  bool u = isUnsigned(elemType);
  Type acc = accumulatorType(b, elemType);
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t count = 1;
  for (int64_t a : axes)
    count *= inType.getDimSize(a);
  auto identity = [](OpBuilder &, Location, Value v) { return v; };

  if (kind == ReduceKind::LogSumExp) {
    // log(sum(exp(x - m))) + m with m the max, for range safety.
    Value mx = reduceOver(
        b, loc, input, axes, acc, lowestValue(b, loc, acc, false),
        [&](OpBuilder &nb, Location nl, Value x) { return widen(nb, nl, x, acc); },
        [&](OpBuilder &nb, Location nl, Value a, Value x) {
          return combineFor(nb, nl, ReduceKind::Max, a, x, true, false);
        });
    // Broadcast the max back over the reduced dims.
    MLIRContext *ctx = b.getContext();
    int64_t rank = inType.getRank();
    SmallVector<AffineExpr> keep;
    for (int64_t i = 0; i < rank; ++i)
      if (!llvm::is_contained(axes, i))
        keep.push_back(getAffineDimExpr(i, ctx));
    SmallVector<int64_t> outShape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < rank; ++i) {
      bool r = llvm::is_contained(axes, i);
      iters.push_back(r ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
      if (!r) {
        outShape.push_back(inType.getDimSize(i));
        outExprs.push_back(getAffineDimExpr(i, ctx));
      }
    }
    auto sumType = RankedTensorType::get(outShape, acc);
    Value zero = filledTensor(b, loc, sumType, scalarConstant(b, loc, acc, 0));
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, keep, ctx), AffineMap::get(rank, 0, outExprs, ctx)};
    Value sum =
        linalg::GenericOp::create(
            b, loc, TypeRange{sumType}, ValueRange{input, mx}, ValueRange{zero},
            maps, iters,
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value x = widen(nb, nl, args[0], acc);
              Value e = math::ExpOp::create(
                  nb, nl, arith::SubFOp::create(nb, nl, x, args[1]));
              linalg::YieldOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, args[2], e).getResult());
            })
            .getResult(0);
    auto flat = RankedTensorType::get(outShape, resultType.getElementType());
    Value r = elementwise(
        b, loc, flat, ValueRange{sum, mx},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value v = arith::AddFOp::create(
              nb, nl, math::LogOp::create(nb, nl, args[0]), args[1]);
          if (v.getType() != flat.getElementType())
            v = arith::TruncFOp::create(nb, nl, flat.getElementType(), v);
          return v;
        });
    return reshapeTensor(b, loc, r, resultType);
  }

  ReduceKind combineKind = kind;
  if (kind == ReduceKind::Mean || kind == ReduceKind::L1 ||
      kind == ReduceKind::L2 || kind == ReduceKind::SumSquare)
    combineKind = ReduceKind::Sum;
  Value init = reductionInit(b, loc, combineKind, acc, u);
  Value reduced = reduceOver(
      b, loc, input, axes, acc, init,
      [&](OpBuilder &nb, Location nl, Value x) -> Value {
        x = isFloat ? widen(nb, nl, x, acc) : x;
        if (kind == ReduceKind::L1)
          return isFloat ? math::AbsFOp::create(nb, nl, x).getResult()
                         : (u ? x : math::AbsIOp::create(nb, nl, x).getResult());
        if (kind == ReduceKind::L2 || kind == ReduceKind::SumSquare)
          return isFloat ? arith::MulFOp::create(nb, nl, x, x).getResult()
                         : arith::MulIOp::create(nb, nl, x, x).getResult();
        return x;
      },
      [&](OpBuilder &nb, Location nl, Value a, Value x) {
        return combineFor(nb, nl, combineKind, a, x, isFloat, u);
      });
  auto post = [&](OpBuilder &nb, Location nl, Value v) -> Value {
    if (kind == ReduceKind::Mean) {
      if (isFloat)
        return arith::DivFOp::create(nb, nl, v,
                                     scalarConstant(nb, nl, acc, count));
      Value c = scalarConstant(nb, nl, acc, count);
      return u ? arith::DivUIOp::create(nb, nl, v, c).getResult()
               : arith::DivSIOp::create(nb, nl, v, c).getResult();
    }
    if (kind == ReduceKind::L2)
      return math::SqrtOp::create(nb, nl, v);
    return v;
  };
  (void)identity;
  return finish(b, loc, reduced, elemType, resultType, post);
}

template <typename OpTy>
struct ReduceLowering : OpConversionPattern<OpTy> {
  ReduceLowering(const TypeConverter &tc, MLIRContext *ctx, ReduceKind kind)
      : OpConversionPattern<OpTy>(tc, ctx), kind(kind) {}
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The max/min of quantized values is that of the stored integers (same
    // parameters in and out); quantized means are in Quant.cpp.
    if (g::hasQuantizedTypes(op) &&
        ((kind != ReduceKind::Max && kind != ReduceKind::Min) ||
         !g::canEvaluateQuantized(op)))
      return rewriter.notifyMatchFailure(op, "quantized types");
    Type et = storageElementType(op.getInput().getType().getElementType());
    Value r = lowerReduce(rewriter, op.getLoc(), kind, adaptor.getInput(), et,
                          op.getAxes(), loweredType(op.getOutput()));
    rewriter.replaceOp(op, r);
    return success();
  }
  ReduceKind kind;
};

template <typename OpTy>
struct ArgReduceLowering : OpConversionPattern<OpTy> {
  ArgReduceLowering(const TypeConverter &tc, MLIRContext *ctx, bool isMax)
      : OpConversionPattern<OpTy>(tc, ctx), isMax(isMax) {}
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type et = op.getInput().getType().getElementType();
    bool isFloat = isa<FloatType>(et), u = isUnsigned(et);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    SmallVector<int64_t> outShape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < rank; ++i) {
      iters.push_back(i == axis ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
      if (i != axis) {
        outShape.push_back(inType.getDimSize(i));
        outExprs.push_back(getAffineDimExpr(i, ctx));
      }
    }
    Type set = signless(et);
    auto valType = RankedTensorType::get(outShape, set);
    auto idxType = RankedTensorType::get(outShape, rewriter.getI64Type());
    Value vInit = filledTensor(rewriter, loc, valType,
                               isMax ? lowestValue(rewriter, loc, et, u)
                                     : highestValue(rewriter, loc, et, u));
    Value iInit = filledTensor(rewriter, loc, idxType,
                               scalarConstant(rewriter, loc,
                                              rewriter.getI64Type(), 0));
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    bool last = op.getSelectLastIndex();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valType, idxType}, ValueRange{adaptor.getInput()},
        ValueRange{vInit, iInit},
        {AffineMap::getMultiDimIdentityMap(rank, ctx), outMap, outMap}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIdx = args[2];
          Value idx = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isFloat) {
            auto p = isMax ? (last ? arith::CmpFPredicate::OGE
                                   : arith::CmpFPredicate::OGT)
                           : (last ? arith::CmpFPredicate::OLE
                                   : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(b, l, p, x, best);
          } else {
            arith::CmpIPredicate p;
            if (isMax)
              p = last ? (u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge)
                       : (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt);
            else
              p = last ? (u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
                       : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
            better = arith::CmpIOp::create(b, l, p, x, best);
          }
          // The first element always wins (covers all-NaN / extreme rows).
          Value first = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq, idx,
              scalarConstant(b, l, b.getI64Type(), 0));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, x, best),
                         arith::SelectOp::create(b, l, better, idx, bestIdx)});
        });
    Value r = reshapeTensor(rewriter, loc, generic.getResult(1),
                            loweredType(op.getOutput()));
    rewriter.replaceOp(op, r);
    return success();
  }
  bool isMax;
};

/// softmax(x) = exp(x - max) / sum(exp(x - max)); log_softmax(x) =
/// x - max - log(sum(exp(x - max))), along one axis.
template <typename OpTy>
struct SoftmaxLowering : OpConversionPattern<OpTy> {
  SoftmaxLowering(const TypeConverter &tc, MLIRContext *ctx, bool isLog)
      : OpConversionPattern<OpTy>(tc, ctx), isLog(isLog) {}
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = op.getInput().getType().getElementType();
    if (!isa<FloatType>(et))
      return rewriter.notifyMatchFailure(op, "softmax of non-floats");
    Type acc = accumulatorType(rewriter, et);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = op.getAxis(), rank = inType.getRank();
    SmallVector<int64_t> keepShape(inType.getShape());
    keepShape[axis] = 1;
    auto keepType = RankedTensorType::get(keepShape, acc);
    Value input = adaptor.getInput();
    Value mx = reduceOver(
        rewriter, loc, input, {axis}, acc, lowestValue(rewriter, loc, acc, false),
        [&](OpBuilder &b, Location l, Value x) { return widen(b, l, x, acc); },
        [&](OpBuilder &b, Location l, Value a, Value x) {
          return arith::MaximumFOp::create(b, l, a, x).getResult();
        });
    mx = reshapeTensor(rewriter, loc, mx, keepType);
    // e = exp(x - max), in the accumulator type.
    auto accType = RankedTensorType::get(inType.getShape(), acc);
    Value e = elementwise(rewriter, loc, accType, ValueRange{input, mx},
                          [&](OpBuilder &b, Location l, ValueRange args) {
                            Value x = widen(b, l, args[0], acc);
                            return math::ExpOp::create(
                                b, l, arith::SubFOp::create(b, l, x, args[1]));
                          });
    Value sum = reduceOver(
        rewriter, loc, e, {axis}, acc, scalarConstant(rewriter, loc, acc, 0),
        [](OpBuilder &, Location, Value x) { return x; },
        [&](OpBuilder &b, Location l, Value a, Value x) {
          return arith::AddFOp::create(b, l, a, x).getResult();
        });
    sum = reshapeTensor(rewriter, loc, sum, keepType);
    RankedTensorType outType = loweredType(op.getOutput());
    Value r;
    if (isLog)
      r = elementwise(rewriter, loc, outType, ValueRange{input, mx, sum},
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value x = widen(b, l, args[0], acc);
                        Value v = arith::SubFOp::create(
                            b, l, arith::SubFOp::create(b, l, x, args[1]),
                            math::LogOp::create(b, l, args[2]));
                        return v.getType() == et
                                   ? v
                                   : arith::TruncFOp::create(b, l, et, v)
                                         .getResult();
                      });
    else
      r = elementwise(rewriter, loc, outType, ValueRange{e, sum},
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value v = arith::DivFOp::create(b, l, args[0], args[1]);
                        return v.getType() == et
                                   ? v
                                   : arith::TruncFOp::create(b, l, et, v)
                                         .getResult();
                      });
    (void)rank;
    rewriter.replaceOp(op, r);
    return success();
  }
  bool isLog;
};

/// layer_norm: mean and variance over [axis, rank), then scale and bias.
struct LayerNormLowering : OpConversionPattern<g::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = op.getInput().getType().getElementType();
    Type acc = accumulatorType(rewriter, et);
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t i = axis; i < rank; ++i) {
      axes.push_back(i);
      count *= inType.getDimSize(i);
    }
    SmallVector<int64_t> keepShape(inType.getShape());
    for (int64_t a : axes)
      keepShape[a] = 1;
    auto keepType = RankedTensorType::get(keepShape, acc);
    Value input = adaptor.getInput();
    Value cnt = scalarConstant(rewriter, loc, acc, count);
    auto sumOf = [&](Value v, bool square) {
      return reduceOver(
          rewriter, loc, v, axes, acc, scalarConstant(rewriter, loc, acc, 0),
          [&](OpBuilder &b, Location l, Value x) -> Value {
            x = widen(b, l, x, acc);
            return square ? arith::MulFOp::create(b, l, x, x).getResult() : x;
          },
          [&](OpBuilder &b, Location l, Value a, Value x) {
            return arith::AddFOp::create(b, l, a, x).getResult();
          });
    };
    Value sum = sumOf(input, false);
    Value mean = elementwise(
        rewriter, loc, cast<RankedTensorType>(sum.getType()), ValueRange{sum},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return arith::DivFOp::create(b, l, args[0], cnt);
        });
    mean = reshapeTensor(rewriter, loc, mean, keepType);
    auto accType = RankedTensorType::get(inType.getShape(), acc);
    Value centered = elementwise(rewriter, loc, accType, ValueRange{input, mean},
                                 [&](OpBuilder &b, Location l, ValueRange args) {
                                   return arith::SubFOp::create(
                                       b, l, widen(b, l, args[0], acc), args[1]);
                                 });
    Value sq = sumOf(centered, true);
    double eps = op.getEpsilon().convertToDouble();
    Value rstd = elementwise(
        rewriter, loc,
        RankedTensorType::get(cast<RankedTensorType>(sq.getType()).getShape(),
                              acc),
        ValueRange{sq}, [&](OpBuilder &b, Location l, ValueRange args) {
          Value var = arith::DivFOp::create(b, l, args[0], cnt);
          Value ve = arith::AddFOp::create(b, l, var,
                                           scalarConstant(b, l, acc, eps));
          return arith::DivFOp::create(b, l, scalarConstant(b, l, acc, 1),
                                       math::SqrtOp::create(b, l, ve));
        });
    rstd = reshapeTensor(rewriter, loc, rstd, keepType);
    SmallVector<Value> ins = {centered, rstd, adaptor.getScale()};
    if (adaptor.getBias())
      ins.push_back(adaptor.getBias());
    bool hasBias = static_cast<bool>(adaptor.getBias());
    Value r = elementwise(
        rewriter, loc, loweredType(op.getOutput()), ins,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = arith::MulFOp::create(b, l, args[0], args[1]);
          v = arith::MulFOp::create(b, l, v, widen(b, l, args[2], acc));
          if (hasBias)
            v = arith::AddFOp::create(b, l, v, widen(b, l, args[3], acc));
          return v.getType() == et
                     ? v
                     : arith::TruncFOp::create(b, l, et, v).getResult();
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void lowering::populateReductionPatterns(GraphTypeConverter &tc,
                                         RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ReduceLowering<g::ReduceSumOp>>(tc, ctx, ReduceKind::Sum);
  patterns.add<ReduceLowering<g::ReduceMeanOp>>(tc, ctx, ReduceKind::Mean);
  patterns.add<ReduceLowering<g::ReduceMaxOp>>(tc, ctx, ReduceKind::Max);
  patterns.add<ReduceLowering<g::ReduceMinOp>>(tc, ctx, ReduceKind::Min);
  patterns.add<ReduceLowering<g::ReduceProdOp>>(tc, ctx, ReduceKind::Prod);
  patterns.add<ReduceLowering<g::ReduceL1Op>>(tc, ctx, ReduceKind::L1);
  patterns.add<ReduceLowering<g::ReduceL2Op>>(tc, ctx, ReduceKind::L2);
  patterns.add<ReduceLowering<g::ReduceSumSquareOp>>(tc, ctx,
                                                     ReduceKind::SumSquare);
  patterns.add<ReduceLowering<g::ReduceLogSumExpOp>>(tc, ctx,
                                                     ReduceKind::LogSumExp);
  patterns.add<ArgReduceLowering<g::ArgMaxOp>>(tc, ctx, true);
  patterns.add<ArgReduceLowering<g::ArgMinOp>>(tc, ctx, false);
  patterns.add<SoftmaxLowering<g::SoftmaxOp>>(tc, ctx, false);
  patterns.add<SoftmaxLowering<g::LogSoftmaxOp>>(tc, ctx, true);
  patterns.add<LayerNormLowering>(tc, ctx);
}
