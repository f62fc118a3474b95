//===- Tensor.cpp - Lowering of constants and data movement ---------------===//
#include "Common.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;

namespace {

struct ConstantLowering : OpConversionPattern<g::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Quantized constants hold their storage integers already.
    RankedTensorType type = loweredType(op.getOutput());
    Attribute value = op.getValue();
    if (cast<ShapedType>(op.getValue().getType()) != type) {
      // Unsigned element types: the same bytes under the signless type.
      if (auto dense = dyn_cast<DenseElementsAttr>(value))
        value = dense.bitcast(type.getElementType());
      else if (auto res = dyn_cast<DenseResourceElementsAttr>(value))
        value = DenseResourceElementsAttr::get(type, res.getRawHandle());
      else
        return rewriter.notifyMatchFailure(op, "unsupported constant kind");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   cast<TypedAttr>(value));
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<g::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(),
                                         adaptor.getInput(),
                                         loweredType(op.getOutput())));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<g::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = loweredType(op.getOutput());
    Value r = linalg::TransposeOp::create(
                  rewriter, op.getLoc(), adaptor.getInput(),
                  emptyTensor(rewriter, op.getLoc(), type), op.getPerm())
                  .getResult()[0];
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<g::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = loweredType(op.getOutput());
    int64_t axis = op.getAxis(), rank = type.getRank();
    Value acc = emptyTensor(rewriter, loc, type);
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto t = cast<RankedTensorType>(in.getType());
      if (t.getNumElements() == 0)
        continue;
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      acc = tensor::InsertSliceOp::create(rewriter, loc, in, acc, ValueRange{},
                                          ValueRange{}, ValueRange{}, offsets,
                                          t.getShape(), strides);
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, acc);
    return success();
  }
};

struct SplitLowering : OpConversionPattern<g::SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    int64_t rank = op.getInput().getType().getRank();
    SmallVector<Value> results;
    int64_t offset = 0;
    for (Value out : op.getOutputs()) {
      RankedTensorType t = loweredType(out);
      if (t.getNumElements() == 0) { // extract_slice rejects offset == size.
        results.push_back(emptyTensor(rewriter, loc, t));
        continue;
      }
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, t, adaptor.getInput(), ValueRange{}, ValueRange{},
          ValueRange{}, offsets, t.getShape(), strides));
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Positive steps are a strided extract_slice; any step reads through an
/// affine map start + step * i.
struct SliceLowering : OpConversionPattern<g::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = loweredType(op.getOutput());
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (type.getNumElements() == 0) {
      rewriter.replaceOp(op, emptyTensor(rewriter, loc, type));
      return success();
    }
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                                 rewriter, loc, type, adaptor.getInput(),
                                 ValueRange{}, ValueRange{}, ValueRange{},
                                 starts, type.getShape(), steps));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank; ++i)
      exprs.push_back(getAffineDimExpr(i, ctx) * steps[i] + starts[i]);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type}, ValueRange{adaptor.getInput()},
                  ValueRange{emptyTensor(rewriter, loc, type)},
                  {AffineMap::get(rank, 0, exprs, ctx),
                   AffineMap::getMultiDimIdentityMap(rank, ctx)},
                  iters,
                  [](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(b, l, args[0]);
                  })
                  .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// An index read from a tensor, wrapped if negative and clamped into range
/// (the reference rejects out-of-range indices; compiled code clamps).
Value normalizeIndex(OpBuilder &b, Location loc, Value idx, int64_t dim) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), idx);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value d = arith::ConstantIndexOp::create(b, loc, dim);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, c0);
  i = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, i, d),
                              i);
  i = arith::MaxSIOp::create(b, loc, i, c0);
  return arith::MinSIOp::create(
      b, loc, i, arith::ConstantIndexOp::create(b, loc, std::max<int64_t>(dim - 1, 0)));
}

struct GatherLowering : OpConversionPattern<g::GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = loweredType(op.getOutput());
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto iType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t axis = op.getAxis(), rank = type.getRank(), q = iType.getRank();
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < q; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value data = adaptor.getInput();
    int64_t dim = xType.getDimSize(axis);
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type}, ValueRange{adaptor.getIndices()},
                  ValueRange{emptyTensor(rewriter, loc, type)},
                  {AffineMap::get(rank, 0, idxExprs, ctx),
                   AffineMap::getMultiDimIdentityMap(rank, ctx)},
                  iters,
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    SmallVector<Value> at;
                    for (int64_t i = 0; i < axis; ++i)
                      at.push_back(linalg::IndexOp::create(b, l, i));
                    at.push_back(normalizeIndex(b, l, args[0], dim));
                    for (int64_t i = axis + 1; i < xType.getRank(); ++i)
                      at.push_back(linalg::IndexOp::create(b, l, i - 1 + q));
                    linalg::YieldOp::create(
                        b, l, tensor::ExtractOp::create(b, l, data, at)
                                  .getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct GatherElementsLowering : OpConversionPattern<g::GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = loweredType(op.getOutput());
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = op.getAxis(), rank = type.getRank();
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value data = adaptor.getInput();
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type}, ValueRange{adaptor.getIndices()},
                  ValueRange{emptyTensor(rewriter, loc, type)},
                  {AffineMap::getMultiDimIdentityMap(rank, ctx),
                   AffineMap::getMultiDimIdentityMap(rank, ctx)},
                  iters,
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    SmallVector<Value> at;
                    for (int64_t i = 0; i < rank; ++i)
                      at.push_back(i == axis ? normalizeIndex(
                                                   b, l, args[0],
                                                   xType.getDimSize(axis))
                                             : linalg::IndexOp::create(b, l, i)
                                                   .getResult());
                    linalg::YieldOp::create(
                        b, l, tensor::ExtractOp::create(b, l, data, at)
                                  .getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<g::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value r = elementwise(rewriter, op.getLoc(), loweredType(op.getOutput()),
                          adaptor.getOperands(),
                          [](OpBuilder &, Location, ValueRange args) {
                            return args[0];
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct TileLowering : OpConversionPattern<g::TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = loweredType(op.getOutput());
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = type.getRank();
    if (type.getNumElements() == 0) {
      rewriter.replaceOp(op, emptyTensor(rewriter, loc, type));
      return success();
    }
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank; ++i)
      exprs.push_back(getAffineDimExpr(i, ctx) % xType.getDimSize(i));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type}, ValueRange{adaptor.getInput()},
                  ValueRange{emptyTensor(rewriter, loc, type)},
                  {AffineMap::get(rank, 0, exprs, ctx),
                   AffineMap::getMultiDimIdentityMap(rank, ctx)},
                  iters,
                  [](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(b, l, args[0]);
                  })
                  .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void lowering::populateTensorPatterns(GraphTypeConverter &tc,
                                      RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering,
               ConcatLowering, SplitLowering, SliceLowering, GatherLowering,
               GatherElementsLowering, BroadcastToLowering, TileLowering>(
      tc, patterns.getContext());
}
