//===- GraphQuantOps.cpp - Quantization boundaries and tables -------------===//
//
// Verifiers, folders and reference evaluation of the ops in
// GraphQuantOps.td. The arithmetic is in lib/Reference/Quant.cpp, reached
// through evaluateQuantized (QuantInfo.cpp).
//
//===----------------------------------------------------------------------===//
#include "GraphOpsCommon.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphQuantOps.cpp.inc"

/// Checks that `type` is a tensor of a uniform quantized type whose
/// parameters fit its shape (axis in range, one pair per index, blocks).
static LogicalResult verifyQuantTensor(Operation *op, RankedTensorType type,
                                       StringRef what) {
  std::optional<ref::QuantParams> p = getQuantParams(type.getElementType());
  if (!p)
    return op->emitOpError() << what << " must be a tensor of a uniform "
                             << "quantized type with integer storage, got "
                             << type;
  ref::Shape shape(type.getShape().begin(), type.getShape().end());
  if (std::optional<std::string> err = ref::checkQuantParams(*p, shape))
    return op->emitOpError() << what << " " << type << ": " << *err;
  return success();
}

static LogicalResult verifySameShape(Operation *op) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (in.getShape() != out.getShape())
    return op->emitOpError("changes the shape from ")
           << in << " to " << out;
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  if (!isa<FloatType>(getInput().getType().getElementType()))
    return emitOpError("input must be a float tensor, got ")
           << getInput().getType();
  return verifyQuantTensor(*this, getOutput().getType(), "result");
}

namespace {
/// quantize(dequantize(q)) with q's type is q: |q - zp| <= 2^16 makes the
/// fp32 round trip exact.
struct FoldQuantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto d = op.getInput().getDefiningOp<DequantizeOp>();
    if (!d || d.getInput().getType() != op.getOutput().getType() ||
        !d.getOutput().getType().getElementType().isF32())
      return failure();
    quant::QuantizedType q = getQuantizedElementType(op.getOutput().getType());
    if (q.getStorageTypeIntegralWidth() > 16)
      return failure();
    rewriter.replaceOp(op, d.getInput());
    return success();
  }
};
} // namespace

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<FoldQuantizeOfDequantize>(context);
}

LogicalResult QuantizeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                   SmallVectorImpl<ref::Tensor> &results,
                                   std::string &error) {
  return evaluateQuantized(*this, operands, results, error);
}

LogicalResult DequantizeOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  if (!isa<FloatType>(getOutput().getType().getElementType()))
    return emitOpError("result must be a float tensor, got ")
           << getOutput().getType();
  return verifyQuantTensor(*this, getInput().getType(), "input");
}

OpFoldResult DequantizeOp::fold(FoldAdaptor) {
  // Never evaluated on constants: dequantized weights stay integers.
  return {};
}

LogicalResult DequantizeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                     SmallVectorImpl<ref::Tensor> &results,
                                     std::string &error) {
  return evaluateQuantized(*this, operands, results, error);
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult RequantizeOp::verify() {
  if (failed(verifySameShape(*this)) ||
      failed(verifyQuantTensor(*this, getInput().getType(), "input")) ||
      failed(verifyQuantTensor(*this, getOutput().getType(), "result")))
    return failure();
  ref::QuantParams in = *getQuantParams(getInput().getType());
  ref::QuantParams out = *getQuantParams(getOutput().getType());
  if (!in.blockSizes.empty() || !out.blockSizes.empty())
    return emitOpError("cannot requantize blocked quantization");
  if (!out.isPerTensor() && in.axis != out.axis)
    return emitOpError("per-axis parameters must stay along the same axis");
  return success();
}

OpFoldResult RequantizeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult RequantizeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                     SmallVectorImpl<ref::Tensor> &results,
                                     std::string &error) {
  return evaluateQuantized(*this, operands, results, error);
}

//===----------------------------------------------------------------------===//
// LutOp
//===----------------------------------------------------------------------===//

LogicalResult LutOp::verify() {
  if (failed(verifySameShape(*this)) ||
      failed(verifyQuantTensor(*this, getInput().getType(), "input")) ||
      failed(verifyQuantTensor(*this, getOutput().getType(), "result")))
    return failure();
  ref::QuantParams in = *getQuantParams(getInput().getType());
  ref::QuantParams out = *getQuantParams(getOutput().getType());
  if (ref::bitWidth(in.storage) != 8 || !in.isPerTensor())
    return emitOpError("input must be quantized per tensor with 8-bit "
                       "storage, got ")
           << getInput().getType();
  if (!out.isPerTensor() || ref::bitWidth(out.storage) > 16)
    return emitOpError("result must be quantized per tensor with 8- or "
                       "16-bit storage, got ")
           << getOutput().getType();
  if (getTable().size() != 256)
    return emitOpError("table must have 256 entries, got ")
           << getTable().size();
  for (auto [i, v] : llvm::enumerate(getTable()))
    if (v < out.qmin || v > out.qmax)
      return emitOpError("table entry ")
             << i << " (" << v << ") is outside the result range ["
             << out.qmin << ", " << out.qmax << "]";
  return success();
}

LogicalResult LutOp::evaluate(ArrayRef<ref::Tensor> operands,
                              SmallVectorImpl<ref::Tensor> &results,
                              std::string &error) {
  return evaluateQuantized(*this, operands, results, error);
}

//===----------------------------------------------------------------------===//
// StorageCastOp
//===----------------------------------------------------------------------===//

/// The (width, signedness) of integer storage: a quantized type's storage,
/// or an integer type (signless counts as signed).
static std::optional<std::pair<unsigned, bool>> storageOf(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return std::make_pair(q.getStorageTypeIntegralWidth(), q.isSigned());
  if (auto i = dyn_cast<IntegerType>(t))
    return std::make_pair(i.getWidth(), !i.isUnsigned());
  return std::nullopt;
}

LogicalResult StorageCastOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  Type in = getInput().getType().getElementType();
  Type out = getOutput().getType().getElementType();
  bool qin = isa<quant::QuantizedType>(in), qout = isa<quant::QuantizedType>(out);
  if (!qin && !qout)
    return emitOpError("one side must be quantized, got ")
           << in << " and " << out;
  auto si = storageOf(in), so = storageOf(out);
  if (!si || !so || *si != *so)
    return emitOpError("storage types differ: ") << in << " and " << out;
  if (qin && failed(verifyQuantTensor(*this, getInput().getType(), "input")))
    return failure();
  if (qout &&
      failed(verifyQuantTensor(*this, getOutput().getType(), "result")))
    return failure();
  return success();
}

OpFoldResult StorageCastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

namespace {
/// storage_cast(storage_cast(x)) is one cast, or x itself.
struct FoldStorageCastChain : OpRewritePattern<StorageCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StorageCastOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<StorageCastOp>();
    if (!inner)
      return failure();
    Value x = inner.getInput();
    if (x.getType() == op.getOutput().getType()) {
      rewriter.replaceOp(op, x);
      return success();
    }
    if (!isa<quant::QuantizedType>(
            cast<RankedTensorType>(x.getType()).getElementType()) &&
        !isa<quant::QuantizedType>(op.getOutput().getType().getElementType()))
      return failure(); // int -> quant -> int of another signedness.
    rewriter.replaceOpWithNewOp<StorageCastOp>(op, op.getOutput().getType(),
                                               x);
    return success();
  }
};
} // namespace

void StorageCastOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                MLIRContext *context) {
  results.add<FoldStorageCastChain>(context);
}

LogicalResult StorageCastOp::evaluate(ArrayRef<ref::Tensor> operands,
                                      SmallVectorImpl<ref::Tensor> &results,
                                      std::string &error) {
  return evaluateQuantized(*this, operands, results, error);
}
