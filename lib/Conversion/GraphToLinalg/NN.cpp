//===- NN.cpp - Lowering of convolution, pooling, matmul, resize ----------===//
//
// The general lowerings here are linalg.generic loop nests that cover every
// form the graph ops allow (N-D, groups, dilation, both layouts, integer
// types). The CPU pipeline swaps the hot f32 cases for micro-kernel calls
// before these patterns run (see CPUPipeline.cpp).
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;

namespace {

Type accumulatorType(OpBuilder &b, Type t) {
  return (t.isF16() || t.isBF16()) ? b.getF32Type() : signless(t);
}

} // namespace

Value lowering::padTensor(OpBuilder &b, Location loc, Value x,
                          ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                          Value value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < shape.size(); ++i)
    shape[i] += low[i] + high[i];
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> lo, hi;
  for (size_t i = 0; i < shape.size(); ++i) {
    lo.push_back(b.getIndexAttr(low[i]));
    hi.push_back(b.getIndexAttr(high[i]));
  }
  return tensor::PadOp::create(b, loc, padded, x, lo, hi, value);
}

namespace {

/// Adds the bias (per output channel `channelDim`) and applies the fused
/// activation, truncating an f32 accumulator back to `elemType`.
Value epilogue(OpBuilder &b, Location loc, Value acc, Value bias,
               int64_t channelDim, g::ActivationAttr act, Type elemType,
               RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t rank = accType.getRank();
  SmallVector<Value> ins = {acc};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  if (bias) {
    ins.push_back(bias);
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(channelDim, ctx)));
  }
  if (!bias && !act && accType == resultType)
    return acc;
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  bool isFloat = isa<FloatType>(elemType);
  Type accElem = accType.getElementType();
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ins,
             ValueRange{emptyTensor(b, loc, resultType)}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               if (bias) {
                 Value bv = args[1];
                 if (bv.getType() != accElem)
                   bv = arith::ExtFOp::create(nb, l, accElem, bv);
                 v = isFloat ? arith::AddFOp::create(nb, l, v, bv).getResult()
                             : arith::AddIOp::create(nb, l, v, bv).getResult();
               }
               if (v.getType() != resultType.getElementType())
                 v = arith::TruncFOp::create(nb, l, resultType.getElementType(),
                                             v);
               v = emitActivation(nb, l, act, v, elemType);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

} // namespace

/// The convolution loop nest over a zero-padded input: output dims
/// (n, o, y...) parallel, then (ic, k...) reduction. `flip` reads the kernel
/// reversed and `transposedWeights` reads [C, O/g, K...] weights (both for
/// conv_transpose).
Value lowering::convLoops(OpBuilder &b, Location loc, Value x, Value w,
                          RankedTensorType accType, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> dilations, int64_t group,
                          bool channelsLast, bool flip, bool transposedWeights,
                          Type elemType) {
  MLIRContext *ctx = b.getContext();
  auto wType = cast<RankedTensorType>(w.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank(), n = rank - 2;
  int64_t cDim = channelsLast ? rank - 1 : 1, sDim = channelsLast ? 1 : 2;
  int64_t O = accType.getDimSize(cDim);
  int64_t C = xType.getDimSize(cDim);
  int64_t Og = O / group, Cg = C / group;
  SmallVector<int64_t> kernel;
  int64_t wsDim = channelsLast ? 1 : 2;
  for (int64_t i = 0; i < n; ++i)
    kernel.push_back(wType.getDimSize(wsDim + i));
  // Loop dims: 0 = batch, 1 = o, 2..n+1 = y, n+2 = ic, n+3.. = k.
  int64_t numLoops = 2 * n + 3;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  AffineExpr batch = d(0), o = d(1), ic = d(n + 2);
  AffineExpr inChannel = o.floorDiv(Og) * Cg + ic;
  SmallVector<AffineExpr> xExprs(rank), wExprs(rank), yExprs(rank);
  xExprs[0] = batch;
  yExprs[0] = batch;
  xExprs[cDim] = inChannel;
  yExprs[cDim] = o;
  for (int64_t i = 0; i < n; ++i) {
    AffineExpr k = d(n + 3 + i);
    if (flip)
      k = getAffineConstantExpr(kernel[i] - 1, ctx) - k;
    xExprs[sDim + i] = d(2 + i) * strides[i] + d(n + 3 + i) * dilations[i];
    yExprs[sDim + i] = d(2 + i);
    wExprs[wsDim + i] = k;
  }
  int64_t wcDim = channelsLast ? rank - 1 : 1;
  if (transposedWeights) {
    // [C, O/g, K...] (nchw) or [C, K..., O/g] (nhwc).
    wExprs[0] = inChannel;
    wExprs[wcDim] = o % Og;
  } else {
    wExprs[0] = o;
    wExprs[wcDim] = ic;
  }
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < numLoops; ++i)
    iters.push_back(i < n + 2 ? utils::IteratorType::parallel
                              : utils::IteratorType::reduction);
  // A shape-only operand over (ic, k...) keeps the loop ranges derivable
  // when the weights are read through a non-trivial map (conv_transpose).
  SmallVector<int64_t> reductionShape = {Cg};
  llvm::append_range(reductionShape, kernel);
  SmallVector<AffineExpr> rExprs = {d(n + 2)};
  for (int64_t i = 0; i < n; ++i)
    rExprs.push_back(d(n + 3 + i));
  Value shapeOnly =
      tensor::EmptyOp::create(b, loc, reductionShape, b.getI1Type());
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, xExprs, ctx),
                                 AffineMap::get(numLoops, 0, wExprs, ctx),
                                 AffineMap::get(numLoops, 0, rExprs, ctx),
                                 AffineMap::get(numLoops, 0, yExprs, ctx)};
  bool isFloat = isa<FloatType>(elemType);
  Type accElem = accType.getElementType();
  bool uIn = isUnsigned(elemType);
  Value init = filledTensor(b, loc, accType, scalarConstant(b, loc, accElem, 0));
  return linalg::GenericOp::create(
             b, loc, TypeRange{accType}, ValueRange{x, w, shapeOnly},
             ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value a = args[0], c = args[1];
               Value r;
               if (isFloat) {
                 if (a.getType() != accElem) {
                   a = arith::ExtFOp::create(nb, l, accElem, a);
                   c = arith::ExtFOp::create(nb, l, accElem, c);
                 }
                 r = arith::AddFOp::create(
                     nb, l, args[3], arith::MulFOp::create(nb, l, a, c));
               } else {
                 (void)uIn;
                 r = arith::AddIOp::create(
                     nb, l, args[3], arith::MulIOp::create(nb, l, a, c));
               }
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

namespace {

struct ConvLowering : OpConversionPattern<g::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "quantized types");
    Location loc = op.getLoc();
    Type et = op.getInput().getType().getElementType();
    Type acc = accumulatorType(rewriter, et);
    int64_t rank = op.getInput().getType().getRank(), n = rank - 2;
    bool last = op.isChannelsLast();
    int64_t sDim = last ? 1 : 2;
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      low[sDim + i] = op.getPads()[i];
      high[sDim + i] = op.getPads()[n + i];
    }
    Value x = padTensor(rewriter, loc, adaptor.getInput(), low, high,
                        scalarConstant(rewriter, loc, signless(et), 0));
    RankedTensorType resultType = loweredType(op.getOutput());
    auto accType = RankedTensorType::get(resultType.getShape(), acc);
    Value r = convLoops(rewriter, loc, x, adaptor.getWeight(), accType,
                        op.getStrides(), op.getDilations(), op.getGroup(),
                        last, false, false, et);
    r = epilogue(rewriter, loc, r, adaptor.getBias(), last ? rank - 1 : 1,
                 op.getActivationAttr(), et, resultType);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// conv_transpose = the input spread out by the stride (zeros between
/// elements), padded by dilation * (K - 1) - pad, convolved with the kernel
/// reversed and its channel dims swapped.
struct ConvTransposeLowering : OpConversionPattern<g::ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "quantized types");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type et = op.getInput().getType().getElementType();
    Type acc = accumulatorType(rewriter, et);
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank(), n = rank - 2;
    bool last = op.getLayout() == g::Layout::NHWC;
    int64_t sDim = last ? 1 : 2, wsDim = last ? 1 : 2;
    // The spread and padded input: size Y + (K-1)d per spatial dim.
    SmallVector<int64_t> shape(xType.getShape());
    SmallVector<int64_t> offsets, strides;
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = wType.getDimSize(wsDim + i), dl = op.getDilations()[i];
      shape[sDim + i] = resultType.getDimSize(sDim + i) + (k - 1) * dl;
      offsets.push_back((k - 1) * dl - op.getPads()[i]);
      strides.push_back(op.getStrides()[i]);
    }
    auto spreadType = RankedTensorType::get(shape, xType.getElementType());
    Value zero = scalarConstant(rewriter, loc, xType.getElementType(), 0);
    Value input = adaptor.getInput();
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value spread =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{spreadType}, ValueRange{},
            ValueRange{emptyTensor(rewriter, loc, spreadType)},
            {AffineMap::getMultiDimIdentityMap(rank, ctx)}, iters,
            [&](OpBuilder &b, Location l, ValueRange) {
              // t -> input index (t - off) / s when divisible and in range.
              Value inBounds = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
              SmallVector<Value> idx;
              for (int64_t dIdx = 0; dIdx < rank; ++dIdx) {
                Value t = linalg::IndexOp::create(b, l, dIdx);
                int64_t i = dIdx - sDim;
                bool spatial = i >= 0 && i < n;
                if (!spatial) {
                  idx.push_back(t);
                  continue;
                }
                Value off = arith::ConstantIndexOp::create(b, l, offsets[i]);
                Value s = arith::ConstantIndexOp::create(b, l, strides[i]);
                Value rel = arith::SubIOp::create(b, l, t, off);
                Value q = arith::DivSIOp::create(b, l, rel, s);
                Value rem = arith::RemSIOp::create(b, l, rel, s);
                Value c0 = arith::ConstantIndexOp::create(b, l, 0);
                Value cd = arith::ConstantIndexOp::create(
                    b, l, xType.getDimSize(dIdx));
                Value ok = arith::AndIOp::create(
                    b, l,
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, rem, c0),
                    arith::AndIOp::create(
                        b, l,
                        arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                              rel, c0),
                        arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, q,
                                              cd)));
                inBounds = arith::AndIOp::create(b, l, inBounds, ok);
                idx.push_back(arith::SelectOp::create(b, l, ok, q, c0));
              }
              Value v = tensor::ExtractOp::create(b, l, input, idx);
              linalg::YieldOp::create(
                  b, l, arith::SelectOp::create(b, l, inBounds, v, zero)
                            .getResult());
            })
            .getResult(0);
    auto accType = RankedTensorType::get(resultType.getShape(), acc);
    SmallVector<int64_t> ones(n, 1);
    Value r = convLoops(rewriter, loc, spread, adaptor.getWeight(), accType,
                        ones, op.getDilations(), op.getGroup(), last,
                        /*flip=*/true, /*transposedWeights=*/true, et);
    r = epilogue(rewriter, loc, r, adaptor.getBias(), last ? rank - 1 : 1,
                 nullptr, et, resultType);
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename OpTy, bool IsMax>
struct PoolLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Max pooling of quantized values is max pooling of the stored integers
    // (same parameters in and out); quantized averages are in Quant.cpp.
    if (g::hasQuantizedTypes(op) && (!IsMax || !g::canEvaluateQuantized(op)))
      return rewriter.notifyMatchFailure(op, "quantized types");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type et = storageElementType(op.getInput().getType().getElementType());
    bool isFloat = isa<FloatType>(et), u = isUnsigned(et);
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank(), n = rank - 2;
    bool last = op.getLayout() == g::Layout::NHWC;
    int64_t sDim = last ? 1 : 2;
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dil = op.getDilations(), pads = op.getPads();
    // Pad by the explicit pads plus what ceil mode's last window needs.
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t in = xType.getDimSize(sDim + i);
      int64_t needed = (resultType.getDimSize(sDim + i) - 1) * strides[i] +
                       dil[i] * (kernel[i] - 1) + 1;
      low[sDim + i] = pads[i];
      high[sDim + i] = std::max<int64_t>(pads[n + i], needed - in - pads[i]);
    }
    Type acc = accumulatorType(rewriter, et);
    Value padValue = IsMax ? lowestValue(rewriter, loc, signless(et), u)
                           : scalarConstant(rewriter, loc, signless(et), 0);
    Value x = padTensor(rewriter, loc, adaptor.getInput(), low, high, padValue);
    // Loops: output dims, then window dims.
    int64_t numLoops = rank + n;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xExprs, yExprs;
    for (int64_t i = 0; i < rank; ++i) {
      yExprs.push_back(d(i));
      int64_t s = i - sDim;
      if (s >= 0 && s < n)
        xExprs.push_back(d(i) * strides[s] + d(rank + s) * dil[s]);
      else
        xExprs.push_back(d(i));
    }
    SmallVector<AffineExpr> windowExprs;
    for (int64_t s = 0; s < n; ++s)
      windowExprs.push_back(d(rank + s));
    // The window's extent comes from a shape-only operand.
    SmallVector<int64_t> kshape(kernel.begin(), kernel.end());
    Value window = tensor::EmptyOp::create(rewriter, loc, kshape,
                                           rewriter.getI1Type());
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < numLoops; ++i)
      iters.push_back(i < rank ? utils::IteratorType::parallel
                               : utils::IteratorType::reduction);
    auto accType = RankedTensorType::get(resultType.getShape(),
                                         IsMax ? signless(et) : acc);
    Value init = filledTensor(rewriter, loc, accType,
                              IsMax ? lowestValue(rewriter, loc, signless(et), u)
                                    : scalarConstant(rewriter, loc, acc, 0));
    Value r =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{accType}, ValueRange{x, window},
            ValueRange{init},
            {AffineMap::get(numLoops, 0, xExprs, ctx),
             AffineMap::get(numLoops, 0, windowExprs, ctx),
             AffineMap::get(numLoops, 0, yExprs, ctx)},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value v = args[0], a = args[2];
              Value res;
              if (IsMax)
                res = isFloat ? arith::MaximumFOp::create(b, l, a, v).getResult()
                              : (u ? arith::MaxUIOp::create(b, l, a, v).getResult()
                                   : arith::MaxSIOp::create(b, l, a, v).getResult());
              else {
                if (v.getType() != a.getType())
                  v = arith::ExtFOp::create(b, l, a.getType(), v);
                res = arith::AddFOp::create(b, l, a, v);
              }
              linalg::YieldOp::create(b, l, res);
            })
            .getResult(0);
    if constexpr (!IsMax) {
      // Divide by the per-position count (a compile-time table).
      bool includePad = op.getCountIncludePad();
      SmallVector<int64_t> spatialOut;
      for (int64_t i = 0; i < n; ++i)
        spatialOut.push_back(resultType.getDimSize(sDim + i));
      int64_t positions = 1;
      for (int64_t s : spatialOut)
        positions *= s;
      std::vector<float> counts(positions);
      SmallVector<int64_t> idx(n, 0);
      for (int64_t p = 0; p < positions; ++p) {
        int64_t count = 1;
        for (int64_t i = 0; i < n; ++i) {
          int64_t in = xType.getDimSize(sDim + i);
          int64_t lo = includePad ? -pads[i] : 0;
          int64_t hi = includePad ? in + pads[n + i] : in;
          int64_t c = 0;
          for (int64_t k = 0; k < kernel[i]; ++k) {
            int64_t pos = idx[i] * strides[i] + k * dil[i] - pads[i];
            c += pos >= lo && pos < hi;
          }
          count *= c;
        }
        counts[p] = static_cast<float>(count == 0 ? 1 : count);
        for (int64_t i = n - 1; i >= 0; --i) {
          if (++idx[i] < spatialOut[i])
            break;
          idx[i] = 0;
        }
      }
      auto countType = RankedTensorType::get(spatialOut, rewriter.getF32Type());
      Value countTensor = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(countType, llvm::ArrayRef<float>(counts)));
      SmallVector<AffineExpr> cExprs;
      for (int64_t i = 0; i < n; ++i)
        cExprs.push_back(d(sDim + i));
      SmallVector<utils::IteratorType> pit(rank, utils::IteratorType::parallel);
      r = linalg::GenericOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{r, countTensor},
              ValueRange{emptyTensor(rewriter, loc, resultType)},
              {AffineMap::getMultiDimIdentityMap(rank, ctx),
               AffineMap::get(rank, 0, cExprs, ctx),
               AffineMap::getMultiDimIdentityMap(rank, ctx)},
              pit,
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value c = args[1];
                if (c.getType() != args[0].getType())
                  c = args[0].getType().getIntOrFloatBitWidth() > 32
                          ? arith::ExtFOp::create(b, l, args[0].getType(), c)
                                .getResult()
                          : c;
                Value v = arith::DivFOp::create(b, l, args[0], c);
                if (v.getType() != resultType.getElementType())
                  v = arith::TruncFOp::create(b, l, resultType.getElementType(),
                                              v);
                linalg::YieldOp::create(b, l, v);
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Batch norm, matmul
//===----------------------------------------------------------------------===//

struct BatchNormLowering : OpConversionPattern<g::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type et = op.getInput().getType().getElementType();
    Type acc = accumulatorType(rewriter, et);
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = resultType.getRank();
    int64_t c = op.getLayout() == g::Layout::NHWC ? rank - 1 : 1;
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap ch = AffineMap::get(rank, 0, getAffineDimExpr(c, ctx));
    double eps = op.getEpsilon().convertToDouble();
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value r =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType},
            ValueRange{adaptor.getInput(), adaptor.getScale(), adaptor.getBias(),
                       adaptor.getMean(), adaptor.getVar()},
            ValueRange{emptyTensor(rewriter, loc, resultType)},
            {id, ch, ch, ch, ch, id}, iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              auto w = [&](Value v) -> Value {
                return v.getType() == acc
                           ? v
                           : arith::ExtFOp::create(b, l, acc, v).getResult();
              };
              Value x = w(args[0]), scale = w(args[1]), bias = w(args[2]),
                    mean = w(args[3]), var = w(args[4]);
              Value inv = arith::DivFOp::create(
                  b, l, scale,
                  math::SqrtOp::create(
                      b, l,
                      arith::AddFOp::create(b, l, var,
                                            scalarConstant(b, l, acc, eps))));
              Value v = arith::AddFOp::create(
                  b, l,
                  arith::MulFOp::create(b, l,
                                        arith::SubFOp::create(b, l, x, mean),
                                        inv),
                  bias);
              if (v.getType() != resultType.getElementType())
                v = arith::TruncFOp::create(b, l, resultType.getElementType(),
                                            v);
              linalg::YieldOp::create(b, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

Value lowering::matmulAccumulate(OpBuilder &rewriter, Location loc, Value a,
                               Value bm, Type acc, bool isFloat,
                               SmallVectorImpl<int64_t> &full) {
  MLIRContext *ctx = rewriter.getContext();
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bm.getType());
  // Promote 1-D operands as numpy does.
  bool aVec = aType.getRank() == 1, bVec = bType.getRank() == 1;
  if (aVec)
    a = reshapeTensor(rewriter, loc, a,
                      RankedTensorType::get({1, aType.getDimSize(0)},
                                            aType.getElementType()));
  if (bVec)
    bm = reshapeTensor(rewriter, loc, bm,
                       RankedTensorType::get({bType.getDimSize(0), 1},
                                             bType.getElementType()));
  aType = cast<RankedTensorType>(a.getType());
  bType = cast<RankedTensorType>(bm.getType());
  // The full (unsqueezed) product shape: batch..., m, n.
  SmallVector<int64_t> batch;
  int64_t ra = aType.getRank(), rb = bType.getRank();
  int64_t nb = std::max(ra, rb) - 2;
  for (int64_t i = 0; i < nb; ++i) {
    int64_t da = i - (nb - (ra - 2)) >= 0 ? aType.getDimSize(i - (nb - (ra - 2))) : 1;
    int64_t db = i - (nb - (rb - 2)) >= 0 ? bType.getDimSize(i - (nb - (rb - 2))) : 1;
    batch.push_back(std::max(da, db));
  }
  int64_t m = aType.getDimSize(ra - 2), nn = bType.getDimSize(rb - 1);
  full.assign(batch.begin(), batch.end());
  full.push_back(m);
  full.push_back(nn);
  int64_t numLoops = nb + 3;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  auto operandMap = [&](RankedTensorType t, AffineExpr r0, AffineExpr r1) {
    SmallVector<AffineExpr> e;
    int64_t r = t.getRank(), off = nb - (r - 2);
    for (int64_t i = 0; i < r - 2; ++i)
      e.push_back(t.getDimSize(i) == 1 && batch[off + i] != 1
                      ? getAffineConstantExpr(0, ctx)
                      : d(off + i));
    e.push_back(r0);
    e.push_back(r1);
    return AffineMap::get(numLoops, 0, e, ctx);
  };
  SmallVector<AffineExpr> outE;
  for (int64_t i = 0; i < nb + 2; ++i)
    outE.push_back(d(i));
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  auto accType = RankedTensorType::get(full, acc);
  Value init = filledTensor(rewriter, loc, accType,
                            scalarConstant(rewriter, loc, acc, 0));
  Value r =
      linalg::GenericOp::create(
          rewriter, loc, TypeRange{accType}, ValueRange{a, bm},
          ValueRange{init},
          {operandMap(aType, d(nb), d(nb + 2)),
           operandMap(bType, d(nb + 2), d(nb + 1)),
           AffineMap::get(numLoops, 0, outE, ctx)},
          iters,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value x = args[0], y = args[1];
            Value res;
            if (isFloat) {
              if (x.getType() != acc) {
                x = arith::ExtFOp::create(b, l, acc, x);
                y = arith::ExtFOp::create(b, l, acc, y);
              }
              res = arith::AddFOp::create(b, l, args[2],
                                          arith::MulFOp::create(b, l, x, y));
            } else {
              res = arith::AddIOp::create(b, l, args[2],
                                          arith::MulIOp::create(b, l, x, y));
            }
            linalg::YieldOp::create(b, l, res);
          })
          .getResult(0);
  return r;
}

namespace {

struct MatMulLowering : OpConversionPattern<g::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "quantized types");
    Location loc = op.getLoc();
    Type et = op.getLhs().getType().getElementType();
    Type acc = accumulatorType(rewriter, et);
    RankedTensorType resultType = loweredType(op.getOutput());
    bool isFloat = isa<FloatType>(et);
    SmallVector<int64_t> full;
    Value r = matmulAccumulate(rewriter, loc, adaptor.getLhs(), adaptor.getRhs(),
                               acc, isFloat, full);
    // Bias (numpy-broadcast to the product) and activation.
    auto fullResult = RankedTensorType::get(full, resultType.getElementType());
    SmallVector<Value> ins = {r};
    if (adaptor.getBias())
      ins.push_back(adaptor.getBias());
    g::ActivationAttr act = op.getActivationAttr();
    bool hasBias = static_cast<bool>(adaptor.getBias());
    Value y = elementwise(
        rewriter, loc, fullResult, ins,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (hasBias) {
            Value bv = args[1];
            if (bv.getType() != v.getType())
              bv = arith::ExtFOp::create(b, l, v.getType(), bv);
            v = isFloat ? arith::AddFOp::create(b, l, v, bv).getResult()
                        : arith::AddIOp::create(b, l, v, bv).getResult();
          }
          if (v.getType() != fullResult.getElementType())
            v = arith::TruncFOp::create(b, l, fullResult.getElementType(), v);
          return emitActivation(b, l, act, v, et);
        });
    // Drop the promoted dims again.
    y = reshapeTensor(rewriter, loc, y, resultType);
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pad, resize, depth/space
//===----------------------------------------------------------------------===//

struct PadLowering : OpConversionPattern<g::PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = op.getInput().getType().getElementType();
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    // Negative pads crop first (a slice), then positive pads extend.
    SmallVector<int64_t> cropLo(rank), cropShape(rank), lo(rank), hi(rank);
    for (int64_t i = 0; i < rank; ++i) {
      cropLo[i] = std::max<int64_t>(0, -pads[i]);
      int64_t cropHi = std::max<int64_t>(0, -pads[rank + i]);
      cropShape[i] = xType.getDimSize(i) - cropLo[i] - cropHi;
      lo[i] = std::max<int64_t>(0, pads[i]);
      hi[i] = std::max<int64_t>(0, pads[rank + i]);
    }
    Value x = adaptor.getInput();
    if (cropShape != SmallVector<int64_t>(xType.getShape())) {
      SmallVector<int64_t> ones(rank, 1);
      x = tensor::ExtractSliceOp::create(
          rewriter, loc,
          RankedTensorType::get(cropShape, xType.getElementType()), x,
          ValueRange{}, ValueRange{}, ValueRange{}, cropLo, cropShape, ones);
    }
    if (op.getMode() == g::PadMode::Constant) {
      double padValue = op.getValue().convertToDouble();
      // A quantized tensor pads with the stored value of the real value.
      if (std::optional<ref::QuantParams> q = g::getQuantParams(et))
        padValue = static_cast<double>(
            ref::quantizeScalar(padValue, q->scales[0], q->zeroPoints[0],
                                q->qmin, q->qmax));
      Value value = scalarConstant(rewriter, loc, signless(et), padValue);
      rewriter.replaceOp(op, padTensor(rewriter, loc, x, lo, hi, value));
      return success();
    }
    // reflect / edge / wrap: every output element reads a mapped index.
    g::PadMode mode = op.getMode();
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value r =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType}, ValueRange{},
            ValueRange{emptyTensor(rewriter, loc, resultType)},
            {AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext())},
            iters,
            [&](OpBuilder &b, Location l, ValueRange) {
              SmallVector<Value> idx;
              for (int64_t i = 0; i < rank; ++i) {
                Value o = linalg::IndexOp::create(b, l, i);
                int64_t size = cropShape[i];
                Value sz = arith::ConstantIndexOp::create(b, l, size);
                Value t = arith::SubIOp::create(
                    b, l, o, arith::ConstantIndexOp::create(b, l, lo[i]));
                Value c0 = arith::ConstantIndexOp::create(b, l, 0);
                Value c1 = arith::ConstantIndexOp::create(b, l, 1);
                Value m;
                if (mode == g::PadMode::Edge) {
                  m = arith::MaxSIOp::create(
                      b, l, c0,
                      arith::MinSIOp::create(
                          b, l, t, arith::SubIOp::create(b, l, sz, c1)));
                } else if (mode == g::PadMode::Wrap) {
                  Value r0 = arith::RemSIOp::create(b, l, t, sz);
                  Value neg = arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::slt, r0, c0);
                  m = arith::SelectOp::create(
                      b, l, neg, arith::AddIOp::create(b, l, r0, sz), r0);
                } else {
                  // Reflect with period 2 (size - 1), like numpy.pad.
                  if (size == 1) {
                    m = c0;
                  } else {
                    Value period = arith::ConstantIndexOp::create(
                        b, l, 2 * (size - 1));
                    Value r0 = arith::RemSIOp::create(b, l, t, period);
                    Value neg = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::slt, r0, c0);
                    r0 = arith::SelectOp::create(
                        b, l, neg, arith::AddIOp::create(b, l, r0, period), r0);
                    Value upper = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::sge, r0, sz);
                    m = arith::SelectOp::create(
                        b, l, upper, arith::SubIOp::create(b, l, period, r0),
                        r0);
                  }
                }
                idx.push_back(m);
              }
              Value v = tensor::ExtractOp::create(b, l, x, idx);
              linalg::YieldOp::create(b, l, v);
            })
            .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// Resize: one separable pass per dim (innermost first), each reading the
/// reference's own interpolation plan from constant tables.
struct ResizeLowering : OpConversionPattern<g::ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type et = op.getInput().getType().getElementType();
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank();
    ref::ResizeParams p;
    p.mode = static_cast<ref::ResizeParams::Mode>(op.getMode());
    p.coordMode = static_cast<ref::ResizeParams::CoordMode>(
        op.getCoordinateTransformationMode());
    p.nearestMode =
        static_cast<ref::ResizeParams::NearestMode>(op.getNearestMode());
    p.cubicCoeffA = op.getCubicCoeffA().convertToDouble();
    p.excludeOutside = op.getExcludeOutside();
    p.extrapolationValue = op.getExtrapolationValue().convertToDouble();
    p.scales.assign(op.getScales().begin(), op.getScales().end());
    p.outShape.assign(resultType.getShape().begin(),
                      resultType.getShape().end());
    if (op.getRoi())
      p.roi.assign(op.getRoi()->begin(), op.getRoi()->end());
    ref::Shape inShape(xType.getShape().begin(), xType.getShape().end());
    auto plans = ref::resizePlans(p, inShape, *graph::toDType(et));
    if (!plans)
      return rewriter.notifyMatchFailure(op, plans.error());
    bool nearest = p.mode == ref::ResizeParams::Mode::Nearest;
    Value cur = adaptor.getInput();
    SmallVector<int64_t> curShape(xType.getShape());
    Type computeType = isa<FloatType>(et) ? accumulatorType(rewriter, et)
                                          : signless(et);
    for (int64_t d = rank - 1; d >= 0; --d) {
      const std::vector<ref::ResizeTaps> &plan = (*plans)[d];
      if (ref::resizeDimIsIdentity(plan, curShape[d]) &&
          curShape[d] == resultType.getDimSize(d))
        continue;
      int64_t out = resultType.getDimSize(d);
      int taps = nearest ? 1 : 0;
      for (const ref::ResizeTaps &t : plan)
        taps = std::max(taps, t.count);
      taps = std::max(taps, 1);
      // Tables [out][taps]: index and weight (weight 0 for unused taps);
      // extrapolated outputs get index -1.
      std::vector<int64_t> idx(out * taps, 0);
      std::vector<double> wts(out * taps, 0.0);
      for (int64_t o = 0; o < out; ++o) {
        const ref::ResizeTaps &t = plan[o];
        if (t.extrapolate) {
          idx[o * taps] = -1;
          continue;
        }
        for (int k = 0; k < t.count && k < taps; ++k) {
          idx[o * taps + k] = t.index[k];
          wts[o * taps + k] = nearest ? 1.0 : t.weight[k];
        }
      }
      auto idxType = RankedTensorType::get({out, taps}, rewriter.getI64Type());
      auto wType = RankedTensorType::get({out, taps}, rewriter.getF64Type());
      Value idxT = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(idxType, ArrayRef<int64_t>(idx)));
      Value wT = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(wType, ArrayRef<double>(wts)));
      SmallVector<int64_t> nextShape(curShape);
      nextShape[d] = out;
      bool lastPass = true;
      for (int64_t e = d - 1; e >= 0; --e)
        if (!(ref::resizeDimIsIdentity((*plans)[e], curShape[e]) &&
              curShape[e] == resultType.getDimSize(e)))
          lastPass = false;
      Type outElem = (lastPass || nearest) ? signless(et) : computeType;
      auto nextType = RankedTensorType::get(nextShape, outElem);
      Value src = cur;
      SmallVector<utils::IteratorType> iters(rank,
                                             utils::IteratorType::parallel);
      double extrapolation = p.extrapolationValue;
      cur = linalg::GenericOp::create(
                rewriter, loc, TypeRange{nextType}, ValueRange{},
                ValueRange{emptyTensor(rewriter, loc, nextType)},
                {AffineMap::getMultiDimIdentityMap(rank, ctx)}, iters,
                [&](OpBuilder &b, Location l, ValueRange) {
                  SmallVector<Value> pos;
                  for (int64_t i = 0; i < rank; ++i)
                    pos.push_back(linalg::IndexOp::create(b, l, i));
                  Value o = pos[d];
                  Value acc;
                  Type srcElem =
                      cast<RankedTensorType>(src.getType()).getElementType();
                  Value first = arith::IndexCastOp::create(
                      b, l, b.getIndexType(),
                      tensor::ExtractOp::create(
                          b, l, idxT,
                          ValueRange{o, arith::ConstantIndexOp::create(b, l, 0)}));
                  Value isExtra = arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::slt, first,
                      arith::ConstantIndexOp::create(b, l, 0));
                  for (int k = 0; k < taps; ++k) {
                    Value kk = arith::ConstantIndexOp::create(b, l, k);
                    Value ii = arith::IndexCastOp::create(
                        b, l, b.getIndexType(),
                        tensor::ExtractOp::create(b, l, idxT, ValueRange{o, kk}));
                    ii = arith::MaxSIOp::create(
                        b, l, ii, arith::ConstantIndexOp::create(b, l, 0));
                    SmallVector<Value> at(pos);
                    at[d] = ii;
                    Value v = tensor::ExtractOp::create(b, l, src, at);
                    if (nearest) {
                      acc = v;
                      break;
                    }
                    if (v.getType() != computeType)
                      v = arith::ExtFOp::create(b, l, computeType, v);
                    Value w = tensor::ExtractOp::create(b, l, wT,
                                                        ValueRange{o, kk});
                    if (computeType != w.getType())
                      w = arith::TruncFOp::create(b, l, computeType, w);
                    Value term = arith::MulFOp::create(b, l, v, w);
                    acc = acc ? arith::AddFOp::create(b, l, acc, term).getResult()
                              : term;
                  }
                  (void)srcElem;
                  if (acc.getType() != outElem)
                    acc = arith::TruncFOp::create(b, l, outElem, acc);
                  Value ex = scalarConstant(b, l, outElem, extrapolation);
                  acc = arith::SelectOp::create(b, l, isExtra, ex, acc);
                  linalg::YieldOp::create(b, l, acc);
                })
                .getResult(0);
      curShape = nextShape;
    }
    if (cast<RankedTensorType>(cur.getType()) != resultType)
      cur = elementwise(rewriter, loc, resultType, ValueRange{cur},
                        [&](OpBuilder &b, Location l, ValueRange args) {
                          Value v = args[0];
                          if (v.getType() != resultType.getElementType())
                            v = arith::TruncFOp::create(
                                b, l, resultType.getElementType(), v);
                          return v;
                        });
    rewriter.replaceOp(op, cur);
    return success();
  }
};

/// DepthToSpace/SpaceToDepth as reshape + transpose + reshape.
template <typename OpTy, bool ToSpace>
struct BlockRearrangeLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t bs = op.getBlockSize();
    int64_t N = xType.getDimSize(0), C = xType.getDimSize(1),
            H = xType.getDimSize(2), W = xType.getDimSize(3);
    Type e = xType.getElementType();
    SmallVector<int64_t> mid, perm;
    bool crd = op.getCrd();
    if (ToSpace) {
      int64_t Co = C / (bs * bs);
      if (crd) {
        mid = {N, Co, bs, bs, H, W};
        perm = {0, 1, 4, 2, 5, 3};
      } else {
        mid = {N, bs, bs, Co, H, W};
        perm = {0, 3, 4, 1, 5, 2};
      }
    } else {
      int64_t Ho = H / bs, Wo = W / bs;
      mid = {N, C, Ho, bs, Wo, bs};
      perm = crd ? SmallVector<int64_t>{0, 1, 3, 5, 2, 4}
                 : SmallVector<int64_t>{0, 3, 5, 1, 2, 4};
    }
    Value r = reshapeTensor(rewriter, loc, adaptor.getInput(),
                            RankedTensorType::get(mid, e));
    SmallVector<int64_t> tShape;
    for (int64_t p : perm)
      tShape.push_back(mid[p]);
    auto tType = RankedTensorType::get(tShape, e);
    r = linalg::TransposeOp::create(rewriter, loc, r,
                                    emptyTensor(rewriter, loc, tType), perm)
            .getResult()[0];
    r = reshapeTensor(rewriter, loc, r, resultType);
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void lowering::populateNNPatterns(GraphTypeConverter &tc,
                                  RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ConvLowering, ConvTransposeLowering, BatchNormLowering,
               MatMulLowering, PadLowering, ResizeLowering,
               PoolLowering<g::MaxPoolOp, true>,
               PoolLowering<g::AvgPoolOp, false>,
               BlockRearrangeLowering<g::DepthToSpaceOp, true>,
               BlockRearrangeLowering<g::SpaceToDepthOp, false>>(tc, ctx);
}
