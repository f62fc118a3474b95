//===- Quant.cpp - Lowering of quantized graph ops to integer linalg ------===//
//
// Quantized tensors lower to their storage integers (the type converter);
// the ops here compute what the reference evaluation computes
// (lib/Reference/Quant.cpp, docs/npu-isa.md), bit for bit: zero points are
// subtracted exactly, conv/matmul accumulate in i32 (8-bit operands,
// wrapping) or i64, and every requantization forms `(acc + bias) * M`
// exactly in i128 before the rounding shift. Multipliers, shifts and clamp
// bounds come from QuantInfo.h, as for every other consumer. Max pooling,
// reduce_max/min and data movement of quantized values are the integer
// lowerings of NN.cpp, Reductions.cpp and Tensor.cpp on the storage type.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "tessel/Dialect/Graph/IR/QuantInfo.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;
using support::Requant;

namespace {

//===----------------------------------------------------------------------===//
// Scalar integer arithmetic
//===----------------------------------------------------------------------===//

/// An integer constant of type `t`: `v` sign-extended (getIntegerAttr would
/// zero-extend it into i128, turning -128 into 2^64 - 128).
Value constI(OpBuilder &b, Location loc, Type t, int64_t v) {
  APInt value(t.getIntOrFloatBitWidth(), static_cast<uint64_t>(v),
              /*isSigned=*/true);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, value));
}

Value i64c(OpBuilder &b, Location loc, int64_t v) {
  return constI(b, loc, b.getI64Type(), v);
}

/// A stored integer extended to i64 (sign or zero extension).
Value toI64(OpBuilder &b, Location loc, Value v, bool isSigned) {
  if (v.getType().isInteger(64))
    return v;
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, b.getI64Type(), v);
  return arith::ExtUIOp::create(b, loc, b.getI64Type(), v);
}

/// clamp(v, lo, hi) exactly as the reference writes it: v < lo ? lo :
/// (v > hi ? hi : v), signed comparisons.
Value clampTo(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, lo);
  Value above = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, v, hi);
  return arith::SelectOp::create(
      b, loc, below, lo, arith::SelectOp::create(b, loc, above, hi, v));
}

Value clampTo(OpBuilder &b, Location loc, Value v, int64_t lo, int64_t hi) {
  Type t = v.getType();
  return clampTo(b, loc, v, constI(b, loc, t, lo), constI(b, loc, t, hi));
}

/// support::requantizeOutput(t, 0, {M, s}, zp, range) on i64 `t`, `m`
/// (the multiplier), `total` (31 + s) and `zp`: the product in i128, the
/// shift rounding half away from zero, saturation to int64, the zero point,
/// saturation to [outMin, outMax]. Returns an i64.
Value requantizeOutput(OpBuilder &b, Location loc, Value t, Value m,
                       Value total, Value zp, int64_t outMin,
                       int64_t outMax) {
  Type i128 = b.getIntegerType(128);
  auto ext = [&](Value v) { return arith::ExtSIOp::create(b, loc, i128, v); };
  Value p = arith::MulIOp::create(b, loc, ext(t), ext(m));
  Value n = ext(total);
  Value zero = constI(b, loc, i128, 0), one = constI(b, loc, i128, 1);
  // half = 2^n / 2 (0 when n = 0).
  Value half = arith::ShRUIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, one, n), one);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, p, zero);
  Value mag = arith::SelectOp::create(
      b, loc, neg, arith::SubIOp::create(b, loc, zero, p), p);
  Value q = arith::ShRUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, mag, half), n);
  Value r = arith::SelectOp::create(
      b, loc, neg, arith::SubIOp::create(b, loc, zero, q), q);
  r = clampTo(b, loc, r, std::numeric_limits<int64_t>::min(),
              std::numeric_limits<int64_t>::max());
  r = arith::AddIOp::create(b, loc, r, ext(zp));
  r = clampTo(b, loc, r, outMin, outMax);
  return arith::TruncIOp::create(b, loc, b.getI64Type(), r);
}

Value requantizeOutput(OpBuilder &b, Location loc, Value t, Requant r,
                       int64_t zp, int64_t outMin, int64_t outMax) {
  return requantizeOutput(b, loc, t, i64c(b, loc, r.multiplier),
                          i64c(b, loc, 31 + r.shift), i64c(b, loc, zp), outMin,
                          outMax);
}

/// The final clamp to [lo, hi] and the store as the storage type.
Value clampAndStore(OpBuilder &b, Location loc, Value v64, int64_t lo,
                    int64_t hi, Type storage) {
  Value v = clampTo(b, loc, v64, lo, hi);
  if (storage.isInteger(64))
    return v;
  return arith::TruncIOp::create(b, loc, storage, v);
}

std::pair<int64_t, int64_t> storageRangeOf(const ref::QuantParams &p) {
  int bits = ref::bitWidth(p.storage);
  if (!ref::isSigned(p.storage))
    return {0, bits >= 63 ? std::numeric_limits<int64_t>::max()
                          : (int64_t(1) << bits) - 1};
  if (bits >= 64)
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  return {-(int64_t(1) << (bits - 1)), (int64_t(1) << (bits - 1)) - 1};
}

bool isSignedStorage(const ref::QuantParams &p) {
  return ref::isSigned(p.storage);
}

//===----------------------------------------------------------------------===//
// Parameter tables
//===----------------------------------------------------------------------===//

/// Per-element parameters of a tensor: constants for per-tensor parameters,
/// else tables (1-D along the axis, or the sub-channel table) read through
/// an affine map from the element's indices.
struct ParamTable {
  SmallVector<Value> tables; ///< Extra generic inputs.
  AffineMap map;             ///< From the loop indices into each table.
  bool perTensor = true;
};

Value tableConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    Type elem, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, elem);
  SmallVector<APInt> v;
  for (int64_t x : values)
    v.push_back(APInt(elem.getIntOrFloatBitWidth(), x, /*isSigned=*/true));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, v));
}

Value tableConstantF32(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       ArrayRef<double> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  SmallVector<float> v(values.begin(), values.end());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, ArrayRef(v)));
}

/// The map from a tensor of `rank` to the parameter table of `p`.
AffineMap paramMap(MLIRContext *ctx, const ref::QuantParams &p,
                   int64_t rank) {
  if (p.blockSizes.empty())
    return AffineMap::get(rank, 0, getAffineDimExpr(p.axis, ctx), ctx);
  SmallVector<AffineExpr> e;
  for (int64_t d = 0; d < rank; ++d)
    e.push_back(p.blockSizes[d] <= 0
                    ? getAffineConstantExpr(0, ctx)
                    : getAffineDimExpr(d, ctx).floorDiv(p.blockSizes[d]));
  return AffineMap::get(rank, 0, e, ctx);
}

ArrayRef<int64_t> tableShape(const ref::QuantParams &p,
                             SmallVectorImpl<int64_t> &storage) {
  if (p.blockSizes.empty())
    storage.assign({static_cast<int64_t>(p.scales.size())});
  else
    storage.assign(p.tableShape.begin(), p.tableShape.end());
  return storage;
}

/// A parallel linalg.generic over `resultType` whose inputs are `inputs`
/// (same shape as the result, identity maps) plus `extra` tables read
/// through `extraMaps`; `body` receives the scalars in that order.
Value generic(OpBuilder &b, Location loc, RankedTensorType resultType,
              ValueRange inputs, ArrayRef<Value> extra,
              ArrayRef<AffineMap> extraMaps,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<Value> ins(inputs.begin(), inputs.end());
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(ctx, rank,
                                cast<RankedTensorType>(in.getType()).getShape(),
                                resultType.getShape()));
  for (auto [t, m] : llvm::zip(extra, extraMaps)) {
    ins.push_back(t);
    maps.push_back(m);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ins,
             ValueRange{emptyTensor(b, loc, resultType)}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
             })
      .getResult(0);
}

/// `q - zp` per element as `acc` (i32 or i64), for quantized `q` (lowered).
Value subtractZeroPoints(OpBuilder &b, Location loc, Value q,
                         const ref::QuantParams &p, Type acc) {
  auto type = cast<RankedTensorType>(q.getType());
  auto resultType = RankedTensorType::get(type.getShape(), acc);
  bool isSigned = isSignedStorage(p);
  bool uniform = llvm::all_equal(p.zeroPoints);
  SmallVector<Value> extra;
  SmallVector<AffineMap> maps;
  if (!uniform) {
    SmallVector<int64_t> shape;
    extra.push_back(
        tableConstant(b, loc, tableShape(p, shape), acc, p.zeroPoints));
    maps.push_back(paramMap(b.getContext(), p, type.getRank()));
  }
  int64_t zp0 = p.zeroPoints[0];
  return generic(b, loc, resultType, q, extra, maps,
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   Value v = toI64(nb, l, args[0], isSigned);
                   Value zp = uniform ? i64c(nb, l, zp0)
                                      : toI64(nb, l, args[1], true);
                   Value d = arith::SubIOp::create(nb, l, v, zp);
                   return acc.isInteger(64)
                              ? d
                              : arith::TruncIOp::create(nb, l, acc, d)
                                    .getResult();
                 });
}

//===----------------------------------------------------------------------===//
// Boundaries
//===----------------------------------------------------------------------===//

struct QuantizeLowering : OpConversionPattern<g::QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ref::QuantParams p = *g::getQuantParams(op.getOutput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    Type storage = resultType.getElementType();
    SmallVector<Value> extra;
    SmallVector<AffineMap> maps;
    if (!p.isPerTensor()) {
      SmallVector<int64_t> shape;
      (void)tableShape(p, shape);
      extra.push_back(tableConstantF32(rewriter, loc, shape, p.scales));
      extra.push_back(
          tableConstant(rewriter, loc, shape, rewriter.getI64Type(),
                        p.zeroPoints));
      AffineMap m = paramMap(getContext(), p, resultType.getRank());
      maps.assign({m, m});
    }
    int64_t qmin = p.qmin, qmax = p.qmax;
    Value r = generic(
        rewriter, loc, resultType, adaptor.getInput(), extra, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0];
          Type f32 = b.getF32Type();
          if (x.getType().getIntOrFloatBitWidth() < 32)
            x = arith::ExtFOp::create(b, l, f32, x);
          else if (!x.getType().isF32())
            x = arith::TruncFOp::create(b, l, f32, x);
          Value scale = p.isPerTensor()
                            ? arith::ConstantOp::create(
                                  b, l, b.getF32FloatAttr(p.scales[0]))
                                  .getResult()
                            : args[1];
          Value zp =
              p.isPerTensor() ? i64c(b, l, p.zeroPoints[0]) : args[2];
          Value q = arith::DivFOp::create(b, l, x, scale);
          Value isNan =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, q, q);
          Value r = math::RoundEvenOp::create(b, l, q);
          r = arith::SelectOp::create(
              b, l, isNan,
              arith::ConstantOp::create(b, l, b.getF32FloatAttr(0.0f)), r);
          // Clamp to [qmin - zp, qmax - zp] in f64 (exact), then add zp.
          Type f64 = b.getF64Type();
          Value rd = arith::ExtFOp::create(b, l, f64, r);
          Value lo = arith::SIToFPOp::create(
              b, l, f64, arith::SubIOp::create(b, l, i64c(b, l, qmin), zp));
          Value hi = arith::SIToFPOp::create(
              b, l, f64, arith::SubIOp::create(b, l, i64c(b, l, qmax), zp));
          Value below =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, rd, lo);
          Value above =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, rd, hi);
          rd = arith::SelectOp::create(
              b, l, below, lo, arith::SelectOp::create(b, l, above, hi, rd));
          Value v = arith::AddIOp::create(
              b, l, arith::FPToSIOp::create(b, l, b.getI64Type(), rd), zp);
          return storage.isInteger(64)
                     ? v
                     : arith::TruncIOp::create(b, l, storage, v).getResult();
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<g::DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ref::QuantParams p = *g::getQuantParams(op.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    Type out = resultType.getElementType();
    bool isSigned = isSignedStorage(p);
    SmallVector<Value> extra;
    SmallVector<AffineMap> maps;
    if (!p.isPerTensor()) {
      SmallVector<int64_t> shape;
      (void)tableShape(p, shape);
      extra.push_back(tableConstantF32(rewriter, loc, shape, p.scales));
      extra.push_back(
          tableConstant(rewriter, loc, shape, rewriter.getI64Type(),
                        p.zeroPoints));
      AffineMap m = paramMap(getContext(), p, resultType.getRank());
      maps.assign({m, m});
    }
    Value r = generic(
        rewriter, loc, resultType, adaptor.getInput(), extra, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value scale = p.isPerTensor()
                            ? arith::ConstantOp::create(
                                  b, l, b.getF32FloatAttr(p.scales[0]))
                                  .getResult()
                            : args[1];
          Value zp =
              p.isPerTensor() ? i64c(b, l, p.zeroPoints[0]) : args[2];
          Value d = arith::SubIOp::create(b, l, toI64(b, l, args[0], isSigned),
                                          zp);
          Value f = arith::SIToFPOp::create(b, l, b.getF32Type(), d);
          Value y = arith::MulFOp::create(b, l, f, scale);
          if (out.getIntOrFloatBitWidth() < 32)
            return arith::TruncFOp::create(b, l, out, y).getResult();
          if (!out.isF32())
            return arith::ExtFOp::create(b, l, out, y).getResult();
          return y;
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// graph.storage_cast: both sides lower to the same integers.
struct StorageCastLowering : OpConversionPattern<g::StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

/// ISA convert.requant from `in` to `out` with the clamp [lo, hi]: requantize
/// and quantized relu/clip.
Value requantizeTensor(OpBuilder &b, Location loc, Value x,
                       const ref::QuantParams &in,
                       const ref::QuantParams &out, int64_t lo, int64_t hi,
                       RankedTensorType resultType) {
  Type storage = resultType.getElementType();
  auto [outMin, outMax] = storageRangeOf(out);
  bool isSigned = isSignedStorage(in);
  SmallVector<Value> extra;
  SmallVector<AffineMap> maps;
  bool perTensor = in.isPerTensor() && out.isPerTensor();
  if (!perTensor) {
    // Per-axis along the same axis: a table of (zp_in, M, 31 + s, zp_out).
    int64_t axis = in.isPerTensor() ? out.axis : in.axis;
    int64_t n = resultType.getDimSize(axis);
    SmallVector<int64_t> zin, mul, shift, zout;
    for (int64_t c = 0; c < n; ++c) {
      size_t i = in.isPerTensor() ? 0 : c, o = out.isPerTensor() ? 0 : c;
      Requant r = ref::rescaleMultiplier(in.scales[i], out.scales[o]);
      zin.push_back(in.zeroPoints[i]);
      mul.push_back(r.multiplier);
      shift.push_back(31 + r.shift);
      zout.push_back(out.zeroPoints[o]);
    }
    for (auto *v : {&zin, &mul, &shift, &zout})
      extra.push_back(tableConstant(b, loc, {n}, b.getI64Type(), *v));
    AffineMap m = AffineMap::get(resultType.getRank(), 0,
                                 getAffineDimExpr(axis, b.getContext()));
    maps.assign(4, m);
  }
  Requant r0 = ref::rescaleMultiplier(in.scales[0], out.scales[0]);
  return generic(b, loc, resultType, x, extra, maps,
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   Value v = toI64(nb, l, args[0], isSigned);
                   Value t, y;
                   if (perTensor) {
                     t = arith::SubIOp::create(nb, l, v,
                                               i64c(nb, l, in.zeroPoints[0]));
                     y = requantizeOutput(nb, l, t, r0, out.zeroPoints[0],
                                          outMin, outMax);
                   } else {
                     t = arith::SubIOp::create(nb, l, v, args[1]);
                     y = requantizeOutput(nb, l, t, args[2], args[3], args[4],
                                          outMin, outMax);
                   }
                   return clampAndStore(nb, l, y, lo, hi, storage);
                 });
}

struct RequantizeLowering : OpConversionPattern<g::RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ref::QuantParams in = *g::getQuantParams(op.getInput().getType());
    ref::QuantParams out = *g::getQuantParams(op.getOutput().getType());
    rewriter.replaceOp(op, requantizeTensor(rewriter, op.getLoc(),
                                            adaptor.getInput(), in, out,
                                            out.qmin, out.qmax,
                                            loweredType(op.getOutput())));
    return success();
  }
};

/// Quantized relu and clip: convert.requant with the activation's clamp.
template <typename OpTy>
struct QuantClampLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op) || !g::canEvaluateQuantized(op))
      return rewriter.notifyMatchFailure(op, "not a quantized clamp");
    ref::QuantParams in = *g::getQuantParams(op.getInput().getType());
    ref::QuantParams out = *g::getQuantParams(op.getOutput().getType());
    ref::ClampKind kind = ref::ClampKind::Relu;
    double a = 0, b = 0;
    if constexpr (std::is_same_v<OpTy, g::ClipOp>) {
      kind = ref::ClampKind::Clip;
      a = op.getMin() ? op.getMin()->convertToDouble()
                      : -std::numeric_limits<double>::infinity();
      b = op.getMax() ? op.getMax()->convertToDouble()
                      : std::numeric_limits<double>::infinity();
    }
    auto [lo, hi] = ref::activationClamp(kind, a, b, out.scales[0],
                                         out.zeroPoints[0], out.qmin,
                                         out.qmax);
    rewriter.replaceOp(op, requantizeTensor(rewriter, op.getLoc(),
                                            adaptor.getInput(), in, out, lo,
                                            hi, loweredType(op.getOutput())));
    return success();
  }
};

struct LutLowering : OpConversionPattern<g::LutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::LutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ref::QuantParams in = *g::getQuantParams(op.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    Type storage = resultType.getElementType();
    SmallVector<int64_t> entries(op.getTable().begin(), op.getTable().end());
    Value table = tableConstant(rewriter, loc, {256}, storage, entries);
    bool isSigned = isSignedStorage(in);
    int64_t inMin = isSigned ? -128 : 0;
    Value r = generic(rewriter, loc, resultType, adaptor.getInput(), {}, {},
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value k = arith::SubIOp::create(
                            b, l, toI64(b, l, args[0], isSigned),
                            i64c(b, l, inMin));
                        Value idx = arith::IndexCastOp::create(
                            b, l, b.getIndexType(), k);
                        return tensor::ExtractOp::create(b, l, table, idx)
                            .getResult();
                      });
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Conv and matmul
//===----------------------------------------------------------------------===//

/// The output stage over accumulators `acc` (i32/i64, result shape):
/// (acc + bias[c]) requantized with the channel's multiplier, zero point,
/// clamp, stored as the output storage type.
Value outputStage(OpBuilder &b, Location loc, Value acc, Value bias,
                  const ref::OutputStage &s, RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  Type storage = resultType.getElementType();
  ref::QuantParams outP =
      ref::QuantParams::perTensor(s.out, 1.0, 0); // For the storage range.
  auto [outMin, outMax] = storageRangeOf(outP);
  SmallVector<Value> extra;
  SmallVector<AffineMap> maps;
  bool perChannel = s.requants.size() > 1;
  AffineMap channelMap =
      s.channelAxis >= 0
          ? AffineMap::get(rank, 0, getAffineDimExpr(s.channelAxis, ctx), ctx)
          : AffineMap();
  if (bias) {
    extra.push_back(bias);
    maps.push_back(channelMap);
  }
  if (perChannel) {
    SmallVector<int64_t> mul, shift;
    for (const Requant &r : s.requants) {
      mul.push_back(r.multiplier);
      shift.push_back(31 + r.shift);
    }
    int64_t n = s.requants.size();
    extra.push_back(tableConstant(b, loc, {n}, b.getI64Type(), mul));
    extra.push_back(tableConstant(b, loc, {n}, b.getI64Type(), shift));
    maps.push_back(channelMap);
    maps.push_back(channelMap);
  }
  bool isSignedAcc = true;
  return generic(
      b, loc, resultType, acc, extra, maps,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value t = toI64(nb, l, args[0], isSignedAcc);
        unsigned next = 1;
        if (bias)
          t = arith::AddIOp::create(nb, l, t, toI64(nb, l, args[next++], true));
        Value y;
        if (perChannel)
          y = requantizeOutput(nb, l, t, args[next], args[next + 1],
                               i64c(nb, l, s.zeroPoint), outMin, outMax);
        else
          y = requantizeOutput(nb, l, t, s.requants[0], s.zeroPoint, outMin,
                               outMax);
        return clampAndStore(nb, l, y, s.lo, s.hi, storage);
      });
}

Type accumulatorFor(OpBuilder &b, const ref::QuantParams &x,
                    const ref::QuantParams &w) {
  return ref::bitWidth(x.storage) <= 8 && ref::bitWidth(w.storage) <= 8
             ? b.getI32Type()
             : b.getI64Type();
}

struct QuantConvLowering : OpConversionPattern<g::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "not quantized");
    std::string why;
    if (!g::canEvaluateQuantized(op, &why))
      return op.emitOpError(why);
    Location loc = op.getLoc();
    ref::QuantParams x = *g::getQuantParams(op.getInput().getType());
    ref::QuantParams w = *g::getQuantParams(op.getWeight().getType());
    Type acc = accumulatorFor(rewriter, x, w);
    Value xs = subtractZeroPoints(rewriter, loc, adaptor.getInput(), x, acc);
    Value ws = subtractZeroPoints(rewriter, loc, adaptor.getWeight(), w, acc);
    int64_t rank = op.getInput().getType().getRank(), n = rank - 2;
    bool last = op.isChannelsLast();
    int64_t sDim = last ? 1 : 2;
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      low[sDim + i] = op.getPads()[i];
      high[sDim + i] = op.getPads()[n + i];
    }
    // Padding taps contribute nothing: pad the zero-point-free input with 0.
    xs = padTensor(rewriter, loc, xs, low, high, constI(rewriter, loc, acc, 0));
    RankedTensorType resultType = loweredType(op.getOutput());
    auto accType = RankedTensorType::get(resultType.getShape(), acc);
    Value sum = convLoops(rewriter, loc, xs, ws, accType, op.getStrides(),
                          op.getDilations(), op.getGroup(), last, false, false,
                          acc);
    if (isa<IntegerType>(op.getOutput().getType().getElementType())) {
      rewriter.replaceOp(op, sum);
      return success();
    }
    FailureOr<ref::OutputStage> stage = g::getOutputStage(op, why);
    if (failed(stage))
      return op.emitOpError(why);
    rewriter.replaceOp(op, outputStage(rewriter, loc, sum, adaptor.getBias(),
                                       *stage, resultType));
    return success();
  }
};

struct QuantMatMulLowering : OpConversionPattern<g::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "not quantized");
    std::string why;
    if (!g::canEvaluateQuantized(op, &why))
      return op.emitOpError(why);
    Location loc = op.getLoc();
    ref::QuantParams a = *g::getQuantParams(op.getLhs().getType());
    ref::QuantParams w = *g::getQuantParams(op.getRhs().getType());
    Type acc = accumulatorFor(rewriter, a, w);
    Value as = subtractZeroPoints(rewriter, loc, adaptor.getLhs(), a, acc);
    Value bs = subtractZeroPoints(rewriter, loc, adaptor.getRhs(), w, acc);
    SmallVector<int64_t> full;
    Value sum = matmulAccumulate(rewriter, loc, as, bs, acc, false, full);
    RankedTensorType resultType = loweredType(op.getOutput());
    if (isa<IntegerType>(op.getOutput().getType().getElementType())) {
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, sum, resultType));
      return success();
    }
    FailureOr<ref::OutputStage> stage = g::getOutputStage(op, why);
    if (failed(stage))
      return op.emitOpError(why);
    // The stage's channel axis is the result's last dim, which is also the
    // full product's last dim.
    ref::OutputStage s = *stage;
    auto fullType = RankedTensorType::get(full, resultType.getElementType());
    if (s.channelAxis >= 0)
      s.channelAxis = fullType.getRank() - 1;
    Value bias = adaptor.getBias();
    if (bias && cast<RankedTensorType>(bias.getType()).getRank() != 1) {
      auto bt = cast<RankedTensorType>(bias.getType());
      bias = reshapeTensor(
          rewriter, loc, bias,
          RankedTensorType::get({bt.getNumElements()}, bt.getElementType()));
    }
    Value y = outputStage(rewriter, loc, sum, bias, s, fullType);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, y, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

template <typename OpTy>
struct QuantBinaryLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "not quantized");
    std::string why;
    if (!g::canEvaluateQuantized(op, &why))
      return op.emitOpError(why);
    Location loc = op.getLoc();
    std::string error;
    FailureOr<g::ElementwiseStage> stage = g::getElementwiseStage(op, error);
    if (failed(stage))
      return rewriter.notifyMatchFailure(op, error);
    const ref::QuantParams &pa = stage->lhs, &pb = stage->rhs,
                           &out = stage->out;
    auto [outMin, outMax] = storageRangeOf(out);
    int64_t lo = stage->lo, hi = stage->hi;
    RankedTensorType resultType = loweredType(op.getOutput());
    Type storage = resultType.getElementType();
    bool sa = isSignedStorage(pa), sb = isSignedStorage(pb);
    int64_t za = pa.zeroPoints[0], zb = pb.zeroPoints[0],
            zo = out.zeroPoints[0];
    constexpr bool isMul = std::is_same_v<OpTy, g::MulOp>;
    constexpr bool isSub = std::is_same_v<OpTy, g::SubOp>;
    const ref::AddRescale &ar = stage->add;
    Requant mm = stage->mul;
    int64_t i32min = std::numeric_limits<int32_t>::min();
    int64_t i32max = std::numeric_limits<int32_t>::max();
    Value r = elementwise(
        rewriter, loc, resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = arith::SubIOp::create(b, l, toI64(b, l, args[0], sa),
                                          i64c(b, l, za));
          Value y = arith::SubIOp::create(b, l, toI64(b, l, args[1], sb),
                                          i64c(b, l, zb));
          Value s;
          Requant outR;
          if (isMul) {
            s = clampTo(b, l, arith::MulIOp::create(b, l, x, y), i32min,
                        i32max);
            outR = mm;
          } else {
            // Each input to the common int32 scale (convert.requant into
            // i32), the exact sum saturated to i32 (eltwise), then out.
            Value x32 = requantizeOutput(b, l, x, ar.lhs, 0, i32min, i32max);
            Value y32 = requantizeOutput(b, l, y, ar.rhs, 0, i32min, i32max);
            Value sum = isSub ? arith::SubIOp::create(b, l, x32, y32).getResult()
                              : arith::AddIOp::create(b, l, x32, y32).getResult();
            s = clampTo(b, l, sum, i32min, i32max);
            outR = ar.out;
          }
          Value v = requantizeOutput(b, l, s, outR, zo, outMin, outMax);
          return clampAndStore(b, l, v, lo, hi, storage);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Averages
//===----------------------------------------------------------------------===//

/// sat(rhaz(num / count)) for an i64 numerator and a positive i64 count.
Value divRoundHalfAway(OpBuilder &b, Location loc, Value num, Value count) {
  Value zero = i64c(b, loc, 0), two = i64c(b, loc, 2);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, num,
                                    zero);
  Value mag = arith::SelectOp::create(
      b, loc, neg, arith::SubIOp::create(b, loc, zero, num), num);
  Value q = arith::DivUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, mag, two),
                            count),
      arith::MulIOp::create(b, loc, count, two));
  return arith::SelectOp::create(b, loc, neg,
                                 arith::SubIOp::create(b, loc, zero, q), q);
}

struct QuantReduceMeanLowering : OpConversionPattern<g::ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "not quantized");
    std::string why;
    if (!g::canEvaluateQuantized(op, &why))
      return op.emitOpError(why);
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    ref::QuantParams p = *g::getQuantParams(op.getInput().getType());
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank();
    ArrayRef<int64_t> axes = op.getAxes();
    // Sum in i64 into the kept dims.
    SmallVector<int64_t> kept;
    SmallVector<AffineExpr> outE;
    int64_t count = 1;
    for (int64_t i = 0; i < rank; ++i) {
      if (llvm::is_contained(axes, i)) {
        count *= xType.getDimSize(i);
        continue;
      }
      kept.push_back(xType.getDimSize(i));
      outE.push_back(getAffineDimExpr(i, ctx));
    }
    auto sumType = RankedTensorType::get(kept, rewriter.getI64Type());
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < rank; ++i)
      iters.push_back(llvm::is_contained(axes, i)
                          ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
    bool isSigned = isSignedStorage(p);
    Value init = filledTensor(rewriter, loc, sumType, i64c(rewriter, loc, 0));
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{sumType}, adaptor.getInput(), init,
            {AffineMap::getMultiDimIdentityMap(rank, ctx),
             AffineMap::get(rank, 0, outE, ctx)},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l,
                  arith::AddIOp::create(b, l, args[1],
                                        toI64(b, l, args[0], isSigned))
                      .getResult());
            })
            .getResult(0);
    auto keptType = RankedTensorType::get(kept, resultType.getElementType());
    Type storage = resultType.getElementType();
    Value mean = generic(rewriter, loc, keptType, sum, {}, {},
                         [&](OpBuilder &b, Location l, ValueRange args) {
                           Value q = divRoundHalfAway(b, l, args[0],
                                                      i64c(b, l, count));
                           return clampAndStore(b, l, q, p.qmin, p.qmax,
                                                storage);
                         });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, mean, resultType));
    return success();
  }
};

/// ISA pool.avg: the exact sum of the in-bounds taps, plus the zero point
/// for each tap in the explicit padding when counting it, divided by the
/// count, rounded half away from zero. Both tables are compile-time.
struct QuantAvgPoolLowering : OpConversionPattern<g::AvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::AvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "not quantized");
    std::string why;
    if (!g::canEvaluateQuantized(op, &why))
      return op.emitOpError(why);
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    ref::QuantParams p = *g::getQuantParams(op.getInput().getType());
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType resultType = loweredType(op.getOutput());
    int64_t rank = xType.getRank(), n = rank - 2;
    bool last = op.getLayout() == g::Layout::NHWC;
    int64_t sDim = last ? 1 : 2;
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dil = op.getDilations(), pads = op.getPads();
    bool isSigned = isSignedStorage(p);
    // Widen to i64 and pad with 0 (padded taps are accounted for below).
    Value xs = generic(
        rewriter, loc, RankedTensorType::get(xType.getShape(),
                                             rewriter.getI64Type()),
        adaptor.getInput(), {}, {},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return toI64(b, l, args[0], isSigned);
        });
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t in = xType.getDimSize(sDim + i);
      int64_t needed = (resultType.getDimSize(sDim + i) - 1) * strides[i] +
                       dil[i] * (kernel[i] - 1) + 1;
      low[sDim + i] = pads[i];
      high[sDim + i] = std::max<int64_t>(pads[n + i], needed - in - pads[i]);
    }
    xs = padTensor(rewriter, loc, xs, low, high, i64c(rewriter, loc, 0));
    int64_t numLoops = rank + n;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xExprs, yExprs, windowExprs;
    for (int64_t i = 0; i < rank; ++i) {
      yExprs.push_back(d(i));
      int64_t s = i - sDim;
      xExprs.push_back(s >= 0 && s < n ? d(i) * strides[s] + d(rank + s) * dil[s]
                                       : d(i));
    }
    for (int64_t s = 0; s < n; ++s)
      windowExprs.push_back(d(rank + s));
    Value window = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<int64_t>(kernel), rewriter.getI1Type());
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < numLoops; ++i)
      iters.push_back(i < rank ? utils::IteratorType::parallel
                               : utils::IteratorType::reduction);
    auto sumType =
        RankedTensorType::get(resultType.getShape(), rewriter.getI64Type());
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{sumType}, ValueRange{xs, window},
            ValueRange{filledTensor(rewriter, loc, sumType,
                                    i64c(rewriter, loc, 0))},
            {AffineMap::get(numLoops, 0, xExprs, ctx),
             AffineMap::get(numLoops, 0, windowExprs, ctx),
             AffineMap::get(numLoops, 0, yExprs, ctx)},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l, arith::AddIOp::create(b, l, args[2], args[0])
                            .getResult());
            })
            .getResult(0);
    // Per output position: the divisor and the number of explicitly padded
    // taps counted (the reference's tables).
    SmallVector<int64_t> spatialOut;
    for (int64_t i = 0; i < n; ++i)
      spatialOut.push_back(resultType.getDimSize(sDim + i));
    int64_t positions = 1;
    for (int64_t s : spatialOut)
      positions *= s;
    bool includePad = op.getCountIncludePad();
    SmallVector<int64_t> counts(positions), padded(positions);
    SmallVector<int64_t> idx(n, 0);
    for (int64_t pos = 0; pos < positions; ++pos) {
      int64_t inside = 1, counted = 1;
      for (int64_t i = 0; i < n; ++i) {
        int64_t in = xType.getDimSize(sDim + i);
        int64_t ci = 0, cp = 0;
        for (int64_t k = 0; k < kernel[i]; ++k) {
          int64_t at = idx[i] * strides[i] + k * dil[i] - pads[i];
          ci += at >= 0 && at < in;
          cp += at >= -pads[i] && at < in + pads[n + i];
        }
        inside *= ci;
        counted *= includePad ? cp : ci;
      }
      counts[pos] = counted == 0 ? 1 : counted;
      padded[pos] = includePad ? counted - inside : 0;
      for (int64_t i = n - 1; i >= 0; --i) {
        if (++idx[i] < spatialOut[i])
          break;
        idx[i] = 0;
      }
    }
    Value countT = tableConstant(rewriter, loc, spatialOut,
                                 rewriter.getI64Type(), counts);
    Value padT = tableConstant(rewriter, loc, spatialOut,
                               rewriter.getI64Type(), padded);
    SmallVector<AffineExpr> cExprs;
    for (int64_t i = 0; i < n; ++i)
      cExprs.push_back(d(sDim + i));
    AffineMap cMap = AffineMap::get(rank, 0, cExprs, ctx);
    int64_t zp = p.zeroPoints[0];
    Type storage = resultType.getElementType();
    Value r = generic(rewriter, loc, resultType, sum, {countT, padT},
                      {cMap, cMap},
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value num = arith::AddIOp::create(
                            b, l, args[0],
                            arith::MulIOp::create(b, l, args[2],
                                                  i64c(b, l, zp)));
                        Value q = divRoundHalfAway(b, l, num, args[1]);
                        return clampAndStore(b, l, q, p.qmin, p.qmax, storage);
                      });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void lowering::populateQuantPatterns(GraphTypeConverter &tc,
                                     RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  // Above the float patterns, which decline quantized types anyway.
  PatternBenefit benefit(2);
  patterns.add<QuantizeLowering, DequantizeLowering, StorageCastLowering,
               RequantizeLowering, LutLowering, QuantConvLowering,
               QuantMatMulLowering, QuantBinaryLowering<g::AddOp>,
               QuantBinaryLowering<g::SubOp>, QuantBinaryLowering<g::MulOp>,
               QuantClampLowering<g::ReluOp>, QuantClampLowering<g::ClipOp>,
               QuantReduceMeanLowering, QuantAvgPoolLowering>(tc, ctx,
                                                              benefit);
}
