//===- PatternUtils.cpp - Helpers shared by the graph rewrite patterns ----===//
#include "PatternUtils.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Reference/Kernels.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"

#include "llvm/Support/SwapByteOrder.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace tessel::graph {

ElementsAttr getConstantAttr(Value v) {
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return {};
  return dyn_cast<ElementsAttr>(attr);
}

std::optional<double> getUniformConstant(Value v) {
  ElementsAttr attr = getConstantAttr(v);
  if (!attr)
    return std::nullopt;
  Type et = attr.getElementType();
  if (!isa<FloatType, IntegerType>(et))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr);
      dense && dense.isSplat()) {
    if (isa<FloatType>(et))
      return dense.getSplatValue<APFloat>().convertToDouble();
    auto it = cast<IntegerType>(et);
    APInt i = dense.getSplatValue<APInt>();
    return it.isUnsigned() ? static_cast<double>(i.getZExtValue())
                           : static_cast<double>(i.getSExtValue());
  }
  // Small literals with equal elements (a resource blob is never uniform in
  // practice, and reading a large one just to find out costs too much).
  if (attr.getNumElements() == 0 || attr.getNumElements() > 64)
    return std::nullopt;
  FailureOr<ref::Tensor> t = readConstant(v);
  if (failed(t))
    return std::nullopt;
  double first = t->getF(0);
  for (int64_t i = 1; i < t->numel(); ++i)
    if (t->getF(i) != first)
      return std::nullopt;
  return first;
}

bool isClose(double a, double b, double tol) {
  return std::fabs(a - b) <= tol * std::max(std::fabs(a), std::fabs(b));
}

bool isConstantClose(Value v, double expected, double tol) {
  std::optional<double> c = getUniformConstant(v);
  return c && isClose(*c, expected, tol);
}

FailureOr<ref::Tensor> readConstant(Value v) {
  ElementsAttr attr = getConstantAttr(v);
  if (!attr ||
      isa<quant::QuantizedType>(cast<ShapedType>(v.getType()).getElementType()))
    return failure();
  std::string error;
  return toTensor(attr, error);
}

Value createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                     const ref::Tensor &t, StringRef nameHint) {
  return ConstantOp::create(b, loc, type, toElementsAttr(type, t, nameHint));
}

LogicalResult applyGraphPatterns(Operation *root,
                                 const FrozenRewritePatternSet &patterns,
                                 GreedyRewriteConfig config) {
  int64_t numOps = 0;
  root->walk([&](Operation *) { ++numOps; });
  config.setMaxNumRewrites(std::max<int64_t>(100000, 100 * numOps));
  if (succeeded(applyPatternsGreedily(root, patterns, config)))
    return success();
  return root->emitError("graph rewrite patterns did not converge");
}

std::string nameHint(Operation *op, StringRef suffix) {
  std::string base = op->getName().stripDialect().str();
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc);
      fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    base = name.getName().str();
  return base + suffix.str();
}

bool isFloatTensor(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && isa<FloatType>(t.getElementType());
}

SmallVector<int64_t> invertPermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inv(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inv[p] = static_cast<int64_t>(i);
  return inv;
}

SmallVector<int64_t> permute(ArrayRef<int64_t> values, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(values[p]);
  return out;
}

bool isIdentityPermutation(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != static_cast<int64_t>(i))
      return false;
  return true;
}

SmallVector<int64_t> toChannelsLastPerm(int64_t rank) {
  SmallVector<int64_t> perm = {0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  return perm;
}

SmallVector<int64_t> toChannelsFirstPerm(int64_t rank) {
  return invertPermutation(toChannelsLastPerm(rank));
}

std::optional<SmallVector<int64_t>> padShapeToRank(Type type, int64_t rank) {
  auto t = cast<RankedTensorType>(type);
  if (t.getRank() > rank)
    return std::nullopt;
  SmallVector<int64_t> shape(rank - t.getRank(), 1);
  llvm::append_range(shape, t.getShape());
  return shape;
}

std::optional<ref::Tensor> readPerChannelConstant(Value v, int64_t rank,
                                                  int64_t dim, int64_t size) {
  std::optional<SmallVector<int64_t>> shape = padShapeToRank(v.getType(), rank);
  if (!shape)
    return std::nullopt;
  for (int64_t i = 0; i < rank; ++i)
    if ((*shape)[i] != 1 && (i != dim || (*shape)[i] != size))
      return std::nullopt;
  FailureOr<ref::Tensor> t = readConstant(v);
  if (failed(t) || !t->isFloat())
    return std::nullopt;
  ref::Tensor out(t->dtype(), {size});
  for (int64_t i = 0; i < size; ++i)
    out.setF(i, t->getF(t->numel() == 1 ? 0 : i));
  return out;
}

//===----------------------------------------------------------------------===//
// Affine maps folded into conv and matmul weights
//===----------------------------------------------------------------------===//

bool allFinite(ArrayRef<double> v) {
  return llvm::all_of(v, [](double x) { return std::isfinite(x); });
}

namespace {
/// (i / inner) % count for consecutive i, without dividing.
struct ChannelCounter {
  ChannelCounter(int64_t inner, int64_t count) : inner(inner), count(count) {}
  void next() {
    if (++pos < inner)
      return;
    pos = 0;
    if (++index == count)
      index = 0;
  }
  int64_t inner, count, pos = 0, index = 0;
};
} // namespace

/// `w` with element i multiplied by scale[(i / inner) % scale.size()]
/// (rounded once to w's element type). f32 weights, the common case, are
/// scaled on their raw bytes: ResNet-50's 25M weights would otherwise go
/// through a double-precision copy.
static FailureOr<Value> scaleConstant(PatternRewriter &rewriter, Location loc,
                                      Value w, ArrayRef<double> scale,
                                      int64_t inner, StringRef name) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t n = type.getNumElements(), c = scale.size();
  ElementsAttr attr = getConstantAttr(w);
  std::optional<ArrayRef<char>> raw =
      attr ? getRawBytes(attr) : std::optional<ArrayRef<char>>();
  if (type.getElementType().isF32() && raw && llvm::sys::IsLittleEndianHost &&
      raw->size() == static_cast<size_t>(n) * sizeof(float)) {
    std::vector<char> out(raw->size());
    ChannelCounter ch(inner, c);
    for (int64_t i = 0; i < n; ++i, ch.next()) {
      float x;
      std::memcpy(&x, raw->data() + i * sizeof(float), sizeof(float));
      float y = static_cast<float>(static_cast<double>(x) * scale[ch.index]);
      std::memcpy(out.data() + i * sizeof(float), &y, sizeof(float));
    }
    return Value(ConstantOp::create(rewriter, loc, type,
                                    elementsFromRawBytes(type, out, name)));
  }
  FailureOr<ref::Tensor> t = readConstant(w);
  if (failed(t))
    return failure();
  ChannelCounter ch(inner, c);
  for (int64_t i = 0; i < n; ++i, ch.next())
    t->setF(i, t->getF(i) * scale[ch.index]);
  return createConstant(rewriter, loc, type, *t, name);
}

bool isFoldableConv(ConvOp conv, bool scalesWeights) {
  return conv && conv->hasOneUse() && !conv.getActivation() &&
         isFloatTensor(conv.getOutput().getType()) &&
         (!scalesWeights || getConstantAttr(conv.getWeight())) &&
         (!conv.getBias() || getConstantAttr(conv.getBias()));
}

bool isFoldableMatMul(MatMulOp mm, bool scalesWeights) {
  return mm && mm->hasOneUse() && !mm.getActivation() &&
         isFloatTensor(mm.getOutput().getType()) &&
         mm.getOutput().getType().getRank() >= 1 &&
         (!scalesWeights || (mm.getRhs().getType().getRank() >= 2 &&
                             getConstantAttr(mm.getRhs()))) &&
         (!mm.getBias() || getConstantAttr(mm.getBias()));
}

/// Rewrites `conv` in place to compute conv(x) * a.scale + a.shift per output
/// channel. An empty scale leaves the weights alone.
FailureOr<Value> foldIntoConv(PatternRewriter &rewriter, ConvOp conv,
                              const ChannelAffine &a, Location loc) {
  RankedTensorType wType = conv.getWeight().getType();
  int64_t o = wType.getDimSize(0);
  Value newWeight = conv.getWeight();
  if (!a.scale.empty()) {
    if (o == 0)
      return failure();
    FailureOr<Value> w =
        scaleConstant(rewriter, loc, conv.getWeight(), a.scale,
                      wType.getNumElements() / o, nameHint(conv, ".weight"));
    if (failed(w))
      return failure();
    newWeight = *w;
  }
  Type et = conv.getOutput().getType().getElementType();
  auto bType = RankedTensorType::get({o}, et);
  ref::Tensor b(*toDType(et), {o});
  if (conv.getBias()) {
    FailureOr<ref::Tensor> old = readConstant(conv.getBias());
    if (failed(old))
      return failure();
    b = *old;
  }
  for (int64_t c = 0; c < o; ++c)
    b.setF(c, b.getF(c) * (a.scale.empty() ? 1.0 : a.scale[c]) + a.shift[c]);
  Value newBias =
      createConstant(rewriter, loc, bType, b, nameHint(conv, ".bias"));
  auto newConv = cast<ConvOp>(rewriter.clone(*conv));
  rewriter.modifyOpInPlace(newConv, [&] {
    newConv.getWeightMutable().assign(newWeight);
    newConv.getBiasMutable().assign(newBias);
    newConv->setLoc(rewriter.getFusedLoc({conv.getLoc(), loc}));
  });
  return newConv.getOutput();
}

/// Rewrites `mm` in place to compute mm(x) * a.scale + a.shift along the
/// output's last dim (columns of the right operand).
FailureOr<Value> foldIntoMatMul(PatternRewriter &rewriter, MatMulOp mm,
                                const ChannelAffine &a, Location loc) {
  RankedTensorType rType = mm.getRhs().getType();
  int64_t n = rType.getShape().back();
  Value newRhs = mm.getRhs();
  if (!a.scale.empty()) {
    FailureOr<Value> w = scaleConstant(rewriter, loc, mm.getRhs(), a.scale,
                                       /*inner=*/1, nameHint(mm, ".weight"));
    if (failed(w))
      return failure();
    newRhs = *w;
  }
  Type et = mm.getOutput().getType().getElementType();
  ref::Tensor b(*toDType(et), {n});
  if (mm.getBias()) {
    FailureOr<ref::Tensor> old = readConstant(mm.getBias());
    if (failed(old))
      return failure();
    std::optional<ref::Shape> shape = ref::broadcastShapes(old->shape(), {n});
    if (!shape)
      return failure();
    ref::Result<ref::Tensor> wide = ref::broadcastTo(*old, *shape);
    if (!wide)
      return failure();
    b = std::move(wide.value());
  }
  for (int64_t i = 0, e = b.numel(); i < e; ++i)
    b.setF(i, b.getF(i) * (a.scale.empty() ? 1.0 : a.scale[i % n]) +
                  a.shift[i % n]);
  auto bType = RankedTensorType::get(
      SmallVector<int64_t>(b.shape().begin(), b.shape().end()), et);
  Value newBias =
      createConstant(rewriter, loc, bType, b, nameHint(mm, ".bias"));
  auto newMm = cast<MatMulOp>(rewriter.clone(*mm));
  rewriter.modifyOpInPlace(newMm, [&] {
    newMm.getRhsMutable().assign(newRhs);
    newMm.getBiasMutable().assign(newBias);
    newMm->setLoc(rewriter.getFusedLoc({mm.getLoc(), loc}));
  });
  return newMm.getOutput();
}

} // namespace tessel::graph
