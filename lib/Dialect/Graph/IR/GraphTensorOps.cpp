//===- GraphTensorOps.cpp - Constants and data movement -------------------===//
//
// Verifiers, type inference, folders and reference evaluation of the ops in
// GraphTensorOps.td.
//
//===----------------------------------------------------------------------===//
#include "GraphOpsCommon.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphTensorOps.cpp.inc"

static bool sameElementTypeModuloQuant(Type a, Type b) {
  if (a == b)
    return true;
  auto qa = dyn_cast<quant::QuantizedType>(a);
  auto qb = dyn_cast<quant::QuantizedType>(b);
  if (qa && qb)
    return qa.getStorageType() == qb.getStorageType();
  return false;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto valueType = cast<ShapedType>(getValue().getType());
  RankedTensorType resultType = getOutput().getType();
  if (valueType.getShape() != resultType.getShape())
    return emitOpError("value shape ")
           << valueType << " differs from the result type " << resultType;
  Type ve = valueType.getElementType(), re = resultType.getElementType();
  if (ve == re)
    return success();
  if (auto q = dyn_cast<quant::QuantizedType>(re))
    if (q.getStorageType() == ve)
      return success();
  return emitOpError("value element type ")
         << ve << " does not match the result element type " << re;
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementsAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value))
    return failure();
  Type type = value.getType();
  if (succeeded(parser.parseOptionalArrow()) && parser.parseType(type))
    return failure();
  result.getOrAddProperties<Properties>().value = value;
  result.addTypes(type);
  return success();
}

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  p << ' ';
  p.printAttribute(getValue());
  if (getValue().getType() != getOutput().getType())
    p << " -> " << getOutput().getType();
}

LogicalResult ConstantOp::evaluate(ArrayRef<ref::Tensor> operands,
                                   SmallVectorImpl<ref::Tensor> &results,
                                   std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  FailureOr<ref::Tensor> t = toTensor(getValue(), error);
  if (failed(t))
    return failure();
  results.push_back(std::move(*t));
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType x = getInput().getType(), y = getOutput().getType();
  if (x.getNumElements() != y.getNumElements())
    return emitOpError("cannot reshape ")
           << x << " (" << x.getNumElements() << " elements) to " << y << " ("
           << y.getNumElements() << " elements)";
  if (!sameElementTypeModuloQuant(x.getElementType(), y.getElementType()))
    return emitOpError("changes the element type from ")
           << x.getElementType() << " to " << y.getElementType();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  // Reshaping a constant keeps its bytes.
  if (auto c = dyn_cast_or_null<ElementsAttr>(adaptor.getInput())) {
    if (auto dense = dyn_cast<DenseElementsAttr>(c))
      return dense.reshape(cast<ShapedType>(dense.getType())
                               .clone(getOutput().getType().getShape()));
    if (std::optional<ArrayRef<char>> raw = getRawBytes(c))
      return elementsFromRawBytes(getOutput().getType(), *raw, "reshaped");
  }
  return {};
}

namespace {
/// reshape(reshape(x)) is one reshape (Flatten, Squeeze and Unsqueeze chains
/// import as such).
struct FoldReshapeChain : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getOutput().getType(),
                                           inner.getInput());
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FoldReshapeChain>(context);
}

LogicalResult ReshapeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                  SmallVectorImpl<ref::Tensor> &results,
                                  std::string &error) {
  return take(
      ref::reshape(operands[0], toShape(getOutput().getType().getShape())),
      results, error);
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor a,
                                            SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  ArrayRef<int64_t> perm = a.getPerm();
  if (static_cast<int64_t>(perm.size()) != x.getRank())
    return fail(loc, "perm has ", perm.size(), " entries for rank ",
                x.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return fail(loc, "perm is not a permutation of 0..", x.getRank() - 1);
    seen[p] = true;
    shape.push_back(x.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}
bool TransposeOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
/// Permutes `n` elements of type T: output element o (row-major in the
/// output shape) reads the input at the running offset `src`, which moves by
/// `strides[d]` along output dim d.
template <typename T>
static void permuteElements(const char *in, char *out, int64_t n,
                            ArrayRef<int64_t> outShape,
                            ArrayRef<int64_t> strides) {
  int64_t rank = outShape.size();
  SmallVector<int64_t> idx(rank, 0);
  const T *src = reinterpret_cast<const T *>(in);
  T *dst = reinterpret_cast<T *>(out);
  int64_t inner = rank ? outShape[rank - 1] : 1,
          innerStride = rank ? strides[rank - 1] : 0;
  int64_t s = 0;
  for (int64_t o = 0; o < n; o += inner) {
    // The innermost dim in one loop, the others as an odometer.
    for (int64_t j = 0; j < inner; ++j)
      std::memcpy(dst + o + j, src + s + j * innerStride, sizeof(T));
    for (int64_t d = rank - 2; d >= 0; --d) {
      s += strides[d];
      if (++idx[d] < outShape[d])
        break;
      s -= strides[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return getInput();
  auto c = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!c)
    return {};
  // Permute the packed bytes directly: weights transposed by layout
  // conversion or Gemm normalization are large, and this never widens them.
  std::optional<ArrayRef<char>> raw = getRawBytes(c);
  if (!raw)
    return foldByEvaluation(getOperation(), adaptor.getOperands());
  RankedTensorType in = getInput().getType();
  int64_t n = in.getNumElements(), rank = in.getRank();
  if (n == 0)
    return foldByEvaluation(getOperation(), adaptor.getOperands());
  size_t elem = raw->size() / n;
  ref::Shape inStrides = ref::stridesOf(toShape(in.getShape()));
  ref::Shape outShape = toShape(getOutput().getType().getShape());
  // Input stride of each output dim.
  SmallVector<int64_t> strides(rank);
  for (int64_t i = 0; i < rank; ++i)
    strides[i] = inStrides[perm[i]];
  std::vector<char> out(raw->size());
  ArrayRef<int64_t> outDims(outShape.data(), outShape.size());
  switch (elem) {
  case 1:
    permuteElements<uint8_t>(raw->data(), out.data(), n, outDims, strides);
    break;
  case 2:
    permuteElements<uint16_t>(raw->data(), out.data(), n, outDims, strides);
    break;
  case 4:
    permuteElements<uint32_t>(raw->data(), out.data(), n, outDims, strides);
    break;
  case 8:
    permuteElements<uint64_t>(raw->data(), out.data(), n, outDims, strides);
    break;
  default:
    return foldByEvaluation(getOperation(), adaptor.getOperands());
  }
  std::string name = "transposed";
  if (auto loc = dyn_cast<NameLoc>(getLoc()))
    name = loc.getName().str();
  return elementsFromRawBytes(getOutput().getType(), out, name);
}

bool TransposeOp::isPureReshape() {
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  int64_t last = -1;
  for (int64_t p : getPerm()) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

namespace {
/// transpose(transpose(x, p1), p2) is transpose(x, p1[p2[i]]) (the identity
/// then folds away).
struct FoldTransposeChain : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(inner.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, inner.getInput(), perm);
    return success();
  }
};

/// A transpose that only moves size-1 dims keeps the element order: it is a
/// reshape (which chains and folds with other reshapes).
struct TransposeAsReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.isPureReshape())
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getOutput().getType(),
                                           op.getInput());
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldTransposeChain, TransposeAsReshape>(context);
}

LogicalResult TransposeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                    SmallVectorImpl<ref::Tensor> &results,
                                    std::string &error) {
  return take(ref::transpose(operands[0], toShape(getPerm())), results, error);
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor a,
                                         SmallVectorImpl<Type> &types) {
  if (a.getInputs().empty())
    return fail(loc, "concat needs at least one input");
  auto first = cast<RankedTensorType>(a.getInputs()[0].getType());
  int64_t axis = a.getAxis();
  if (failed(checkAxis(loc, "concat axis", axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : a.getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != first.getRank())
      return fail(loc, "concat inputs differ in rank: ", first, " and ", t);
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (i != axis && t.getDimSize(i) != first.getDimSize(i))
        return fail(loc, "concat inputs differ in dim ", i, ": ", first,
                    " and ", t);
    shape[axis] += t.getDimSize(axis);
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}
bool ConcatOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult ConcatOp::verify() {
  Type e = cast<RankedTensorType>(getInputs()[0].getType()).getElementType();
  for (Value v : getInputs())
    if (!sameElementTypeModuloQuant(
            cast<RankedTensorType>(v.getType()).getElementType(), e))
      return emitOpError("inputs differ in element type");
  return success();
}
OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 &&
      getInputs()[0].getType() == getOutput().getType())
    return getInputs()[0];
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

namespace {
/// concat(a, concat(b, c), d) along one axis is concat(a, b, c, d); empty
/// inputs (size 0 along the axis) are dropped.
struct FlattenConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs;
    bool changed = false;
    for (Value v : op.getInputs()) {
      auto inner = v.getDefiningOp<ConcatOp>();
      if (inner && inner.getAxis() == op.getAxis() && inner->hasOneUse()) {
        llvm::append_range(inputs, inner.getInputs());
        changed = true;
        continue;
      }
      if (cast<RankedTensorType>(v.getType()).getDimSize(op.getAxis()) == 0 &&
          op.getInputs().size() > 1) {
        changed = true;
        continue;
      }
      inputs.push_back(v);
    }
    if (!changed || inputs.empty())
      return failure();
    rewriter.replaceOpWithNewOp<ConcatOp>(op, op.getOutput().getType(), inputs,
                                          op.getAxis());
    return success();
  }
};
} // namespace

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FlattenConcat>(context);
}

LogicalResult ConcatOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  std::vector<const ref::Tensor *> inputs;
  for (const ref::Tensor &t : operands)
    inputs.push_back(&t);
  return take(ref::concat(inputs, getAxis()), results, error);
}

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

LogicalResult SplitOp::verify() {
  RankedTensorType x = getInput().getType();
  int64_t axis = getAxis();
  if (failed(checkAxis(getLoc(), "split axis", axis, x.getRank())))
    return failure();
  if (getOutputs().empty())
    return emitOpError("needs at least one result");
  int64_t total = 0;
  for (Value v : getOutputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != x.getRank())
      return emitOpError("result ") << t << " differs in rank from " << x;
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (i != axis && t.getDimSize(i) != x.getDimSize(i))
        return emitOpError("result ")
               << t << " differs from the input " << x << " in dim " << i;
    if (!sameElementTypeModuloQuant(t.getElementType(), x.getElementType()))
      return emitOpError("changes the element type");
    total += t.getDimSize(axis);
  }
  if (total != x.getDimSize(axis))
    return emitOpError("result sizes along axis ")
           << axis << " add up to " << total << ", not "
           << x.getDimSize(axis);
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor adaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() == 1 &&
      getOutputs()[0].getType() == getInput().getType()) {
    results.push_back(getInput());
    return success();
  }
  return foldByEvaluation(getOperation(), adaptor.getOperands(), results);
}

LogicalResult SplitOp::evaluate(ArrayRef<ref::Tensor> operands,
                                SmallVectorImpl<ref::Tensor> &results,
                                std::string &error) {
  ref::Shape sizes;
  for (Value v : getOutputs())
    sizes.push_back(cast<RankedTensorType>(v.getType()).getDimSize(getAxis()));
  ref::Result<std::vector<ref::Tensor>> r =
      ref::split(operands[0], getAxis(), sizes);
  if (!r) {
    error = r.error();
    return failure();
  }
  for (ref::Tensor &t : r.value())
    results.push_back(std::move(t));
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  RankedTensorType x = getInput().getType(), y = getOutput().getType();
  int64_t rank = x.getRank();
  if (y.getRank() != rank)
    return emitOpError("changes the rank from ")
           << rank << " to " << y.getRank();
  if (static_cast<int64_t>(getStarts().size()) != rank ||
      static_cast<int64_t>(getSteps().size()) != rank)
    return emitOpError("expected ") << rank << " starts and steps";
  if (!sameElementTypeModuloQuant(x.getElementType(), y.getElementType()))
    return emitOpError("changes the element type");
  for (int64_t i = 0; i < rank; ++i) {
    int64_t start = getStarts()[i], step = getSteps()[i],
            count = y.getDimSize(i), size = x.getDimSize(i);
    if (step == 0)
      return emitOpError("step of dim ") << i << " is zero";
    if (count == 0)
      continue;
    int64_t last = start + (count - 1) * step;
    if (start < 0 || start >= size || last < 0 || last >= size)
      return emitOpError("reads out of bounds in dim ")
             << i << ": indices " << start << " to " << last
             << " of a dim of size " << size;
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  bool noop = getInput().getType() == getOutput().getType() &&
              llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
              llvm::all_of(getSteps(), [](int64_t s) { return s == 1; });
  // A size-1 dim reads its only element whatever the step.
  if (getInput().getType() == getOutput().getType() && !noop) {
    noop = true;
    for (auto [i, size] : llvm::enumerate(getInput().getType().getShape()))
      noop &= getStarts()[i] == 0 && (getSteps()[i] == 1 || size <= 1);
  }
  if (noop)
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult SliceOp::evaluate(ArrayRef<ref::Tensor> operands,
                                SmallVectorImpl<ref::Tensor> &results,
                                std::string &error) {
  return take(ref::slice(operands[0], toShape(getStarts()),
                         toShape(getSteps()),
                         toShape(getOutput().getType().getShape())),
              results, error);
}

//===----------------------------------------------------------------------===//
// GatherOp / GatherElementsOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor a,
                                         SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  auto idx = cast<RankedTensorType>(a.getIndices().getType());
  int64_t axis = a.getAxis();
  if (failed(checkAxis(loc, "gather axis", axis, x.getRank())))
    return failure();
  SmallVector<int64_t> shape(x.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, x.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}
bool GatherOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult GatherOp::verify() {
  Type it = getIndices().getType().getElementType();
  if (!it.isSignlessInteger(32) && !it.isSignlessInteger(64))
    return emitOpError("indices must be i32 or i64, got ") << it;
  return success();
}
LogicalResult GatherOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  return take(ref::gather(operands[0], operands[1], getAxis()), results,
              error);
}

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor a,
    SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  auto idx = cast<RankedTensorType>(a.getIndices().getType());
  if (failed(checkAxis(loc, "gather_elements axis", a.getAxis(),
                       x.getRank())))
    return failure();
  if (idx.getRank() != x.getRank())
    return fail(loc, "gather_elements indices ", idx,
                " must have the input's rank ", x.getRank());
  types.push_back(RankedTensorType::get(idx.getShape(), x.getElementType()));
  return success();
}
bool GatherElementsOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult GatherElementsOp::verify() {
  Type it = getIndices().getType().getElementType();
  if (!it.isSignlessInteger(32) && !it.isSignlessInteger(64))
    return emitOpError("indices must be i32 or i64, got ") << it;
  return success();
}
LogicalResult GatherElementsOp::evaluate(ArrayRef<ref::Tensor> operands,
                                         SmallVectorImpl<ref::Tensor> &results,
                                         std::string &error) {
  return take(ref::gatherElements(operands[0], operands[1], getAxis()),
              results, error);
}

//===----------------------------------------------------------------------===//
// BroadcastToOp / TileOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  RankedTensorType x = getInput().getType(), y = getOutput().getType();
  std::optional<ref::Shape> b =
      ref::broadcastShapes(toShape(x.getShape()), toShape(y.getShape()));
  if (!b || *b != toShape(y.getShape()))
    return emitOpError("cannot broadcast ") << x << " to " << y;
  if (!sameElementTypeModuloQuant(x.getElementType(), y.getElementType()))
    return emitOpError("changes the element type");
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult BroadcastToOp::evaluate(ArrayRef<ref::Tensor> operands,
                                      SmallVectorImpl<ref::Tensor> &results,
                                      std::string &error) {
  return take(ref::broadcastTo(operands[0],
                               toShape(getOutput().getType().getShape())),
              results, error);
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc, Adaptor a,
                                       SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  ArrayRef<int64_t> repeats = a.getRepeats();
  if (static_cast<int64_t>(repeats.size()) != x.getRank())
    return fail(loc, "expected ", x.getRank(), " repeats, got ",
                repeats.size());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < x.getRank(); ++i) {
    if (repeats[i] < 0)
      return fail(loc, "repeats must be non-negative, got ", repeats[i]);
    shape.push_back(x.getDimSize(i) * repeats[i]);
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}
bool TileOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  if (llvm::all_of(getRepeats(), [](int64_t r) { return r == 1; }))
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult TileOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  return take(ref::tile(operands[0], toShape(getRepeats())), results, error);
}
