//===- QuantizeRewrite.cpp - Annotate, rewrite and fold QDQ ---------------===//
//
// graph-quantize-annotate decides, op by op in program order, which ops
// become integer and the quantized type of their results; graph-quantize-
// rewrite builds the quantized form from those decisions; graph-fold-qdq
// builds the same form from the DequantizeLinear/QuantizeLinear pairs of
// pre-quantized ONNX models. What each op kind becomes is decided in one
// place, `classify` and `buildQuantized`, for both.
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Dialect/Graph/Transforms/Quantization.h"

#include "mlir/IR/Matchers.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <set>

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHQUANTIZEANNOTATE
#define GEN_PASS_DEF_GRAPHQUANTIZEREWRITE
#define GEN_PASS_DEF_GRAPHFOLDQDQ
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

namespace {

//===----------------------------------------------------------------------===//
// What each op becomes
//===----------------------------------------------------------------------===//

enum class Kind {
  None,     ///< Stays float.
  Linear,   ///< conv, matmul: int8 weights, int32/int64 accumulation.
  Arith,    ///< add, sub, mul.
  Clamp,    ///< relu, clip.
  Preserve, ///< Pooling, reductions and data movement: same parameters.
  Concat,   ///< Inputs requantized to the result's parameters.
  Lut,      ///< Activations on 8-bit values: a table.
};

bool isConstant(Value v) { return v && matchPattern(v, m_Constant()); }

/// A constant, or the dequantized constant of a QDQ model's weights.
bool isWeight(Value v) {
  if (auto dq = v ? v.getDefiningOp<DequantizeOp>() : DequantizeOp())
    return isConstant(dq.getInput());
  return isConstant(v);
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

bool isClampOrNone(Operation *op) {
  auto act = op->getAttrOfType<ActivationAttr>("activation");
  return !act || act.getKind() == ActivationKind::Relu ||
         act.getKind() == ActivationKind::Clip;
}

/// The number of output channels a matmul bias must cover, or -1.
int64_t matmulColumns(MatMulOp mm) {
  auto rt = mm.getRhs().getType();
  return rt.getRank() >= 2 ? rt.getDimSize(rt.getRank() - 1) : -1;
}

Kind classify(Operation *op) {
  if (op->getNumResults() == 0 || !llvm::all_of(op->getResults(), isFloatTensor))
    return Kind::None;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    if (!isWeight(conv.getWeight()) || !isFloatTensor(conv.getInput()) ||
        (conv.getBias() && !isWeight(conv.getBias())) || !isClampOrNone(op))
      return Kind::None;
    return Kind::Linear;
  }
  if (auto mm = dyn_cast<MatMulOp>(op)) {
    if (!isFloatTensor(mm.getLhs()) || !isFloatTensor(mm.getRhs()) ||
        !isClampOrNone(op) || matmulColumns(mm) < 0)
      return Kind::None;
    if (mm.getBias() &&
        (!isWeight(mm.getBias()) ||
         mm.getBias().getType().getNumElements() != matmulColumns(mm)))
      return Kind::None;
    return Kind::Linear;
  }
  if (isa<AddOp, SubOp, MulOp>(op))
    return isClampOrNone(op) && llvm::all_of(op->getOperands(), isFloatTensor)
               ? Kind::Arith
               : Kind::None;
  if (isa<ReluOp, ClipOp>(op))
    return Kind::Clamp;
  if (auto r = dyn_cast<ResizeOp>(op))
    return r.getMode() == ResizeMode::Nearest ? Kind::Preserve : Kind::None;
  if (isa<MaxPoolOp, AvgPoolOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp,
          ReshapeOp, TransposeOp, SliceOp, PadOp, BroadcastToOp, TileOp,
          DepthToSpaceOp, SpaceToDepthOp, GatherOp, SplitOp>(op))
    return isFloatTensor(op->getOperand(0)) ? Kind::Preserve : Kind::None;
  if (isa<ConcatOp>(op))
    return Kind::Concat;
  if (isa<SigmoidOp, TanhOp, HardSigmoidOp, HardSwishOp, GeluOp, LeakyReluOp,
          EluOp, SeluOp, SoftplusOp, SoftsignOp, MishOp>(op))
    return Kind::Lut;
  return Kind::None;
}

//===----------------------------------------------------------------------===//
// Types and ranges
//===----------------------------------------------------------------------===//

std::optional<tessel::quant::Range> rangeAttr(Attribute a) {
  auto arr = dyn_cast_or_null<DenseF64ArrayAttr>(a);
  if (!arr || arr.size() != 4)
    return std::nullopt;
  return tessel::quant::Range{arr[2], arr[3]};
}

/// The calibrated range of a value (its op's or argument's tessel.calib;
/// through a dequantize, the range of the quantized producer).
std::optional<tessel::quant::Range> rangeOf(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    return func ? rangeAttr(func.getArgAttr(arg.getArgNumber(), kCalibAttr))
                : std::nullopt;
  }
  Operation *op = v.getDefiningOp();
  if (auto d = dyn_cast<DequantizeOp>(op))
    if (std::optional<tessel::quant::Range> r = rangeOf(d.getInput()))
      return r;
  return rangeAttr(op->getAttr(kCalibAttr));
}

Type typeFromRange(MLIRContext *ctx, tessel::quant::Range r, int bits) {
  tessel::quant::ScaleZeroPoint p = tessel::quant::activationParams(r, bits);
  return makeQuantType(ctx, bits == 16 ? ref::DType::I16 : ref::DType::I8,
                       p.scale, p.zeroPoint);
}

int storageBits(Type t) {
  mlir::quant::QuantizedType q = getQuantizedElementType(t);
  return q ? static_cast<int>(q.getStorageTypeIntegralWidth()) : 0;
}

/// The quantized element type `v` has as an operand of a `bits`-bit op.
Type operandType(Value v, int bits) {
  if (auto d = v.getDefiningOp<DequantizeOp>()) {
    Type q = d.getInput().getType().getElementType();
    if (storageBits(q) == bits)
      return q;
  }
  if (Operation *op = v.getDefiningOp())
    if (auto q = op->getAttrOfType<TypeAttr>(kQTypeAttr))
      if (storageBits(q.getValue()) == bits)
        return q.getValue();
  std::optional<tessel::quant::Range> r = rangeOf(v);
  if (!r)
    return {};
  return typeFromRange(v.getContext(), *r, bits);
}

/// A per-tensor type for the values of a constant (the range of its
/// values, 0 included).
Type constantType(Value c, int bits) {
  Attribute attr;
  if (!matchPattern(c, m_Constant(&attr)))
    return {};
  std::string error;
  FailureOr<ref::Tensor> t = toTensor(cast<ElementsAttr>(attr), error);
  if (failed(t) || !t->isFloat())
    return {};
  tessel::quant::Range r;
  for (double v : t->floats()) {
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  return typeFromRange(c.getContext(), r, bits);
}

//===----------------------------------------------------------------------===//
// Building the quantized form
//===----------------------------------------------------------------------===//

class QuantBuilder {
public:
  QuantBuilder(func::FuncOp func) : func(func), b(func.getContext()) {}

  /// `v` as a quantized value of element type `want`.
  Value quantized(Value v, Type want) {
    auto key = std::make_pair(v, want);
    auto it = cache.find(key);
    if (it != cache.end())
      return it->second;
    auto type = cast<RankedTensorType>(v.getType()).clone(want);
    Value r;
    OpBuilder::InsertionGuard guard(b);
    if (auto d = v.getDefiningOp<DequantizeOp>()) {
      Value q = d.getInput();
      if (q.getType() == type) {
        r = q;
      } else {
        b.setInsertionPointAfter(d);
        r = RequantizeOp::create(b, d.getLoc(), type, q);
      }
    } else {
      if (auto arg = dyn_cast<BlockArgument>(v))
        b.setInsertionPointToStart(arg.getOwner());
      else
        b.setInsertionPointAfter(v.getDefiningOp());
      Operation *q = QuantizeOp::create(b, v.getLoc(), type, v);
      r = q->getResult(0);
      // Constants quantize at compile time.
      SmallVector<OpFoldResult> folded;
      Attribute attr;
      if (matchPattern(v, m_Constant(&attr)) &&
          succeeded(foldByEvaluation(q, {attr}, folded))) {
        r = ConstantOp::create(b, v.getLoc(), type,
                               cast<ElementsAttr>(cast<Attribute>(folded[0])));
        q->erase();
      }
    }
    cache[key] = r;
    return r;
  }

  /// Weights quantized symmetrically over [-127, 127], per channel along
  /// `axis` (-1: per tensor).
  FailureOr<Value> weights(Value w, int64_t axis) {
    Attribute attr;
    if (!matchPattern(w, m_Constant(&attr)))
      return failure();
    std::string error;
    FailureOr<ref::Tensor> t = toTensor(cast<ElementsAttr>(attr), error);
    if (failed(t) || !t->isFloat())
      return failure();
    auto type = cast<RankedTensorType>(w.getType());
    int64_t channels = axis < 0 ? 1 : type.getDimSize(axis);
    std::vector<double> absMax(channels, 0.0);
    int64_t inner = 1;
    for (int64_t d = axis + 1; axis >= 0 && d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    for (int64_t i = 0; i < t->numel(); ++i) {
      int64_t c = axis < 0 ? 0 : (i / inner) % channels;
      absMax[c] = std::max(absMax[c], std::fabs(t->floats()[i]));
    }
    SmallVector<double> scales;
    for (double m : absMax)
      scales.push_back(tessel::quant::weightScale(m));
    MLIRContext *ctx = w.getContext();
    Type qt = axis < 0 ? Type(makeQuantType(ctx, ref::DType::I8, scales[0], 0,
                                            /*narrow=*/true))
                       : Type(makePerAxisQuantType(
                             ctx, ref::DType::I8, scales,
                             SmallVector<int64_t>(channels, 0),
                             static_cast<int32_t>(axis), /*narrow=*/true));
    std::optional<ref::QuantParams> p = getQuantParams(qt);
    ref::Result<ref::Tensor> q = ref::quantize(*t, *p);
    if (!q)
      return failure();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfter(w.getDefiningOp());
    auto qType = type.clone(qt);
    return ConstantOp::create(b, w.getLoc(), qType,
                              toElementsAttr(qType, *q, "quantized_weights"))
        .getResult();
  }

  /// A float bias as integers at scale s_in * s_w[c] (i32, or i64 for
  /// 16-bit inputs), one per output channel.
  FailureOr<Value> bias(Value bias, double sIn, ArrayRef<double> sW,
                        int64_t channels, bool wide, Location loc) {
    Attribute attr;
    if (!matchPattern(bias, m_Constant(&attr)))
      return failure();
    std::string error;
    FailureOr<ref::Tensor> t = toTensor(cast<ElementsAttr>(attr), error);
    if (failed(t) || t->numel() != channels)
      return failure();
    ref::Tensor ints(wide ? ref::DType::I64 : ref::DType::I32, {channels});
    double lim = wide ? 9.0e18 : 2147483647.0;
    for (int64_t c = 0; c < channels; ++c) {
      double s = sIn * sW[sW.size() == 1 ? 0 : c];
      double v = std::nearbyint(t->getF(c) / s);
      ints.ints()[c] = static_cast<int64_t>(std::clamp(v, -lim, lim));
    }
    auto type = RankedTensorType::get(
        {channels}, IntegerType::get(bias.getContext(), wide ? 64 : 32));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfter(bias.getDefiningOp());
    return ConstantOp::create(b, loc, type,
                              toElementsAttr(type, ints, "quantized_bias"))
        .getResult();
  }

  /// The quantized op for `op` with result element type `resultQ`, or null
  /// if it cannot be built (the op then stays float).
  Operation *build(Operation *op, Type resultQ, bool perChannel);

  /// Replaces `op`'s results by dequantized `newOp` results and erases it.
  void replace(Operation *op, Operation *newOp) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfter(newOp);
    for (auto [old, q] : llvm::zip(op->getResults(), newOp->getResults())) {
      Value d = DequantizeOp::create(b, op->getLoc(), old.getType(), q);
      old.replaceAllUsesWith(d);
    }
    op->erase();
  }

  OpBuilder &builder() { return b; }

private:
  func::FuncOp func;
  OpBuilder b;
  DenseMap<std::pair<Value, Type>, Value> cache;
};

/// The LUT of a float activation `op` from `in` to `out` (8-bit input).
std::optional<SmallVector<int32_t>> lutTable(Operation *op, Type in,
                                             Type out) {
  std::optional<ref::QuantParams> pi = getQuantParams(in),
                                  po = getQuantParams(out);
  auto eval = dyn_cast<RefEvalOpInterface>(op);
  if (!pi || !po || !eval)
    return std::nullopt;
  int64_t inMin = ref::isSigned(pi->storage) ? -128 : 0;
  ref::Tensor q(pi->storage, {256});
  for (int64_t i = 0; i < 256; ++i)
    q.ints()[i] = inMin + i;
  ref::Result<ref::Tensor> x = ref::dequantize(q, *pi, ref::DType::F32);
  if (!x)
    return std::nullopt;
  SmallVector<ref::Tensor> results;
  std::string error;
  if (failed(eval.evaluate({*x}, results, error)) || results.size() != 1)
    return std::nullopt;
  ref::Tensor y = results[0];
  if (!y.isFloat())
    return std::nullopt;
  SmallVector<int32_t> table;
  for (int64_t i = 0; i < 256; ++i)
    table.push_back(static_cast<int32_t>(
        ref::quantizeScalar(y.getF(i), po->scales[0], po->zeroPoints[0],
                            po->qmin, po->qmax)));
  return table;
}

Operation *QuantBuilder::build(Operation *op, Type resultQ, bool perChannel) {
  Kind kind = classify(op);
  int bits = storageBits(resultQ);
  if (kind == Kind::None || bits == 0)
    return nullptr;
  MLIRContext *ctx = op->getContext();
  SmallVector<Value> operands(op->getOperands());
  Location loc = op->getLoc();
  auto asQ = [&](Value v, Type t) -> Value {
    return t ? quantized(v, t) : Value();
  };
  switch (kind) {
  case Kind::Linear: {
    Value x = op->getOperand(0), w = op->getOperand(1);
    Type xt = operandType(x, bits);
    if (!xt)
      return nullptr;
    Value xq = asQ(x, xt);
    Value wq;
    bool isConv = isa<ConvOp>(op);
    int64_t wRank = cast<RankedTensorType>(w.getType()).getRank();
    if (isConstant(w)) {
      FailureOr<Value> q =
          weights(w, perChannel ? (isConv ? 0 : wRank - 1) : -1);
      if (failed(q))
        return nullptr;
      wq = *q;
    } else {
      Type wt = operandType(w, bits);
      if (!wt)
        return nullptr;
      wq = asQ(w, wt);
    }
    operands[0] = xq;
    operands[1] = wq;
    if (op->getNumOperands() > 2) {
      std::optional<ref::QuantParams> px = getQuantParams(xq.getType());
      std::optional<ref::QuantParams> pw = getQuantParams(wq.getType());
      int64_t channels =
          isConv ? cast<RankedTensorType>(w.getType()).getDimSize(0)
                 : matmulColumns(cast<MatMulOp>(op));
      FailureOr<Value> bq = bias(op->getOperand(2), px->scales[0], pw->scales,
                                 channels, bits == 16, loc);
      if (failed(bq))
        return nullptr;
      operands[2] = *bq;
    }
    break;
  }
  case Kind::Arith:
  case Kind::Clamp:
    for (Value &v : operands) {
      Type t = isConstant(v) ? constantType(v, bits) : operandType(v, bits);
      if (!t)
        return nullptr;
      v = asQ(v, t);
    }
    break;
  case Kind::Preserve:
    operands[0] = asQ(operands[0], resultQ);
    break;
  case Kind::Concat:
    for (Value &v : operands)
      v = asQ(v, resultQ);
    break;
  case Kind::Lut: {
    Type in = operandType(op->getOperand(0), 8);
    if (!in || bits != 8)
      return nullptr;
    std::optional<SmallVector<int32_t>> table = lutTable(op, in, resultQ);
    if (!table)
      return nullptr;
    b.setInsertionPoint(op);
    auto rt = cast<RankedTensorType>(op->getResult(0).getType());
    return LutOp::create(
        b, loc, rt.clone(resultQ), asQ(op->getOperand(0), in),
        b.getDenseI32ArrayAttr(*table),
        b.getStringAttr(op->getName().stripDialect()));
  }
  case Kind::None:
    return nullptr;
  }
  b.setInsertionPoint(op);
  Operation *clone = b.clone(*op);
  clone->setOperands(operands);
  for (Value r : clone->getResults())
    r.setType(cast<RankedTensorType>(r.getType()).clone(resultQ));
  for (StringRef a : {kPrecisionAttr, kQTypeAttr})
    clone->removeAttr(a);
  (void)ctx;
  return clone;
}

//===----------------------------------------------------------------------===//
// fp16 and weight-only
//===----------------------------------------------------------------------===//

/// `op` computed in f16: float operands cast to f16, results back to f32.
void rewriteToF16(Operation *op) {
  OpBuilder b(op);
  Type f16 = b.getF16Type();
  for (OpOperand &o : op->getOpOperands()) {
    auto t = dyn_cast<RankedTensorType>(o.get().getType());
    if (!t || !t.getElementType().isF32())
      continue;
    o.set(CastOp::create(b, op->getLoc(), t.clone(f16), o.get()));
  }
  b.setInsertionPointAfter(op);
  for (Value r : op->getResults()) {
    auto t = dyn_cast<RankedTensorType>(r.getType());
    if (!t || !t.getElementType().isF32())
      continue;
    r.setType(t.clone(f16));
    Value back = CastOp::create(b, op->getLoc(), t, r);
    r.replaceAllUsesExcept(back, back.getDefiningOp());
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Annotate
//===----------------------------------------------------------------------===//

LogicalResult graph::annotate(func::FuncOp func, const AnnotateOptions &o,
                              std::string &error) {
  std::string dflt;
  if (o.scheme == "w8a8")
    dflt = "int8";
  else if (o.scheme == "w8a16")
    dflt = "int16";
  else if (o.scheme == "w8-weight-only")
    dflt = "w8";
  else if (o.scheme == "fp16")
    dflt = "fp16";
  else {
    error = "unknown quantization scheme '" + o.scheme +
            "' (expected w8a8, w8a16, w8-weight-only or fp16)";
    return failure();
  }
  MLIRContext *ctx = func.getContext();
  std::set<std::string> unused;
  for (const auto &[name, p] : o.qtable)
    unused.insert(name);
  func.walk([&](Operation *op) {
    if (!isa<GraphDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
        op->getNumResults() == 0)
      return;
    std::string name = valueName(op->getResult(0));
    std::string prec = dflt;
    auto it = o.qtable.find(name);
    if (it != o.qtable.end()) {
      prec = it->second;
      unused.erase(name);
    }
    Kind kind = classify(op);
    auto set = [&](StringRef p, Type qt = {}) {
      op->setAttr(kPrecisionAttr, StringAttr::get(ctx, p));
      if (qt)
        op->setAttr(kQTypeAttr, TypeAttr::get(qt));
      else
        op->removeAttr(kQTypeAttr);
    };
    if (prec == "fp32") {
      set("fp32");
      return;
    }
    if (prec == "fp16") {
      bool anyF32 = llvm::any_of(op->getResultTypes(), [](Type t) {
        auto rt = dyn_cast<RankedTensorType>(t);
        return rt && rt.getElementType().isF32();
      });
      set(anyF32 ? "fp16" : "fp32");
      return;
    }
    if (prec == "w8") {
      set(kind == Kind::Linear ? "w8" : "fp32");
      return;
    }
    int bits = prec == "int16" ? 16 : 8;
    if (kind == Kind::None || (kind == Kind::Lut && bits != 8)) {
      set("fp32");
      return;
    }
    Type qt;
    if (kind == Kind::Preserve) {
      qt = operandType(op->getOperand(0), bits);
      if (qt && !getQuantParams(qt)->isPerTensor())
        qt = {};
    } else if (std::optional<tessel::quant::Range> r = rangeOf(op->getResult(0))) {
      qt = typeFromRange(ctx, *r, bits);
    }
    if (kind == Kind::Lut && !operandType(op->getOperand(0), 8))
      qt = {};
    if (kind == Kind::Linear || kind == Kind::Arith || kind == Kind::Clamp)
      for (Value v : op->getOperands().take_front(
               kind == Kind::Linear ? 1 : op->getNumOperands()))
        if (!isConstant(v) && !operandType(v, bits))
          qt = {};
    set(qt ? (bits == 16 ? "int16" : "int8") : "fp32", qt);
  });
  if (!unused.empty()) {
    error = "the mixed-precision table names no op '" + *unused.begin() + "'";
    return failure();
  }
  // Integer elementwise arithmetic whose every user computes in float gains
  // nothing and costs a rounding at the output's scale: an attention mask
  // (0 / -10000) added to the scores before a softmax forces a scale of
  // ~80 per step on int8 scores of magnitude ~10, and the softmax sees
  // noise. Such adds/subs/muls stay float (in reverse order, so that chains
  // feeding float ops resolve); ops the qtable names keep their precision.
  SmallVector<Operation *> annotated;
  func.walk([&](Operation *op) {
    if (op->hasAttr(kPrecisionAttr))
      annotated.push_back(op);
  });
  auto isFloatUser = [](Operation *user) {
    auto p = user->getAttrOfType<StringAttr>(kPrecisionAttr);
    return p && (p.getValue() == "fp32" || p.getValue() == "fp16");
  };
  for (Operation *op : llvm::reverse(annotated)) {
    auto p = op->getAttrOfType<StringAttr>(kPrecisionAttr);
    if (!p.getValue().starts_with("int") || classify(op) != Kind::Arith ||
        o.qtable.count(valueName(op->getResult(0))) ||
        op->getResult(0).use_empty() ||
        !llvm::all_of(op->getResult(0).getUsers(), isFloatUser))
      continue;
    op->setAttr(kPrecisionAttr, StringAttr::get(ctx, "fp32"));
    op->removeAttr(kQTypeAttr);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Rewrite
//===----------------------------------------------------------------------===//

LogicalResult graph::rewriteQuantized(func::FuncOp func, bool perChannel,
                                      std::string &error) {
  QuantBuilder qb(func);
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (op->hasAttr(kPrecisionAttr))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    StringRef prec = op->getAttrOfType<StringAttr>(kPrecisionAttr).getValue();
    if (prec == "fp16") {
      rewriteToF16(op);
      continue;
    }
    if (prec == "w8") {
      auto w = op->getOperand(1);
      bool isConv = isa<ConvOp>(op);
      int64_t rank = cast<RankedTensorType>(w.getType()).getRank();
      FailureOr<Value> q =
          qb.weights(w, perChannel ? (isConv ? 0 : rank - 1) : -1);
      if (failed(q))
        continue;
      OpBuilder &b = qb.builder();
      b.setInsertionPoint(op);
      op->setOperand(1, DequantizeOp::create(b, op->getLoc(), w.getType(), *q));
      continue;
    }
    if (prec != "int8" && prec != "int16")
      continue;
    auto qt = op->getAttrOfType<TypeAttr>(kQTypeAttr);
    if (!qt)
      continue;
    Operation *q = qb.build(op, qt.getValue(), perChannel);
    if (!q)
      continue;
    if (Attribute c = op->getAttr(kCalibAttr))
      q->setAttr(kCalibAttr, c);
    qb.replace(op, q);
  }
  // The annotations have served; drop quantize/dequantize ops nothing uses.
  func.walk([&](Operation *op) {
    op->removeAttr(kPrecisionAttr);
    op->removeAttr(kQTypeAttr);
    op->removeAttr(kCalibAttr);
  });
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.removeArgAttr(i, kCalibAttr);
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    func.walk([&](Operation *op) {
      if (isa<GraphDialect>(op->getDialect()) && op->use_empty() &&
          op->getNumResults() > 0)
        dead.push_back(op);
    });
    for (Operation *op : dead) {
      op->erase();
      changed = true;
    }
  }
  (void)error;
  return success();
}

//===----------------------------------------------------------------------===//
// QDQ folding
//===----------------------------------------------------------------------===//

int graph::foldQDQ(func::FuncOp func) {
  QuantBuilder qb(func);
  int folded = 0;
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) { ops.push_back(op); });
  // Folding erases the quantize ops after a folded op: they are skipped.
  llvm::SmallPtrSet<Operation *, 16> erased;
  for (Operation *op : ops) {
    if (erased.contains(op))
      continue;
    Kind kind = classify(op);
    if (kind == Kind::None || op->getNumResults() != 1 || op->use_empty())
      continue;
    // Every user quantizes the result to one per-tensor type.
    Type resultQ;
    bool ok = true;
    for (Operation *user : op->getResult(0).getUsers()) {
      auto q = dyn_cast<QuantizeOp>(user);
      Type t = q ? q.getOutput().getType().getElementType() : Type();
      if (!q || (resultQ && t != resultQ) || !getQuantParams(t) ||
          !getQuantParams(t)->isPerTensor()) {
        ok = false;
        break;
      }
      resultQ = t;
    }
    // Every activation operand is dequantized (weights may be float
    // constants too).
    auto dequantized = [](Value v) {
      return v.getDefiningOp<DequantizeOp>() || isConstant(v);
    };
    if (!ok || !resultQ ||
        !llvm::all_of(op->getOperands().take_front(
                          kind == Kind::Linear ? 1 : op->getNumOperands()),
                      [&](Value v) { return v.getDefiningOp<DequantizeOp>(); }) ||
        !llvm::all_of(op->getOperands(), dequantized))
      continue;
    if (kind == Kind::Preserve &&
        !haveSameQuantParams(
            op->getOperand(0).getDefiningOp<DequantizeOp>().getInput().getType(),
            resultQ))
      continue;
    // Quantized weights keep their own parameters: fold DQ(weights) and
    // DQ(int bias) operands into the integers they hold.
    Operation *q = nullptr;
    if (kind == Kind::Linear) {
      Value x = op->getOperand(0).getDefiningOp<DequantizeOp>().getInput();
      Value w = op->getOperand(1);
      Value wq = w.getDefiningOp<DequantizeOp>()
                     ? w.getDefiningOp<DequantizeOp>().getInput()
                     : Value();
      if (!wq) {
        FailureOr<Value> r = qb.weights(w, isa<ConvOp>(op) ? 0 : 
            cast<RankedTensorType>(w.getType()).getRank() - 1);
        if (failed(r))
          continue;
        wq = *r;
      }
      SmallVector<Value> operands = {x, wq};
      if (op->getNumOperands() > 2) {
        Value bias = op->getOperand(2);
        std::optional<ref::QuantParams> px = getQuantParams(x.getType());
        std::optional<ref::QuantParams> pw = getQuantParams(wq.getType());
        if (!px || !pw)
          continue;
        int64_t channels = cast<RankedTensorType>(op->getResult(0).getType())
                               .getDimSize(isa<ConvOp>(op) ? 1 : 
                                   cast<RankedTensorType>(op->getResult(0).getType()).getRank() - 1);
        Value bi;
        if (auto d = bias.getDefiningOp<DequantizeOp>()) {
          // ONNX QDQ biases are int32 at scale s_x * s_w.
          std::optional<ref::QuantParams> pb = getQuantParams(d.getInput().getType());
          bool matches = pb && ref::bitWidth(pb->storage) == 32;
          for (size_t c = 0; matches && c < pb->scales.size(); ++c) {
            double want = px->scales[0] * pw->scales[pw->scales.size() == 1 ? 0 : c];
            matches = std::fabs(pb->scales[c] - want) <= 1e-6 * want &&
                      pb->zeroPoints[c] == 0;
          }
          if (!matches)
            continue;
          OpBuilder &b = qb.builder();
          b.setInsertionPoint(op);
          auto it = cast<RankedTensorType>(d.getInput().getType());
          bi = StorageCastOp::create(
              b, op->getLoc(), it.clone(b.getI32Type()), d.getInput());
          if (it.getNumElements() != channels)
            continue;
          if (it.getRank() != 1)
            bi = ReshapeOp::create(b, op->getLoc(),
                                   RankedTensorType::get({channels}, b.getI32Type()), bi);
        } else {
          FailureOr<Value> r = qb.bias(bias, px->scales[0], pw->scales,
                                       channels, false, op->getLoc());
          if (failed(r))
            continue;
          bi = *r;
        }
        operands.push_back(bi);
      }
      OpBuilder &b = qb.builder();
      b.setInsertionPoint(op);
      q = b.clone(*op);
      q->setOperands(operands);
      q->getResult(0).setType(
          cast<RankedTensorType>(q->getResult(0).getType()).clone(resultQ));
    } else {
      q = qb.build(op, resultQ, true);
    }
    if (!q)
      continue;
    if (!canEvaluateQuantized(q)) {
      q->erase();
      continue;
    }
    // The quantize ops after `op` are now `q` itself.
    for (Operation *user :
         llvm::make_early_inc_range(op->getResult(0).getUsers())) {
      user->getResult(0).replaceAllUsesWith(q->getResult(0));
      erased.insert(user);
      user->erase();
    }
    erased.insert(op);
    op->erase();
    ++folded;
  }
  return folded;
}

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

namespace {

std::optional<std::string> readFile(StringRef path, std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    error = "cannot read '" + path.str() + "': " + buf.getError().message();
    return std::nullopt;
  }
  return (*buf)->getBuffer().str();
}

struct GraphQuantizeAnnotatePass
    : tessel::graph::impl::GraphQuantizeAnnotateBase<
          GraphQuantizeAnnotatePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::string error;
    AnnotateOptions o;
    o.scheme = scheme;
    o.perChannel = perChannel;
    if (!qtable.empty()) {
      std::optional<std::string> text = readFile(qtable, error);
      std::optional<std::map<std::string, std::string>> q =
          text ? tessel::quant::parseQTable(*text, error) : std::nullopt;
      if (!q) {
        func.emitError("mixed-precision table: ") << error;
        return signalPassFailure();
      }
      o.qtable = *q;
    }
    assignOpNames(func);
    if (!table.empty()) {
      std::optional<std::string> text = readFile(table, error);
      std::optional<tessel::quant::CalibrationTable> t =
          text ? tessel::quant::parseCalibrationTable(*text, error) : std::nullopt;
      if (!t) {
        func.emitError("calibration table: ") << error;
        return signalPassFailure();
      }
      applyCalibration(func, *t);
    }
    if (failed(annotate(func, o, error))) {
      func.emitError(error);
      return signalPassFailure();
    }
  }
};

struct GraphQuantizeRewritePass
    : tessel::graph::impl::GraphQuantizeRewriteBase<GraphQuantizeRewritePass> {
  using Base::Base;
  void runOnOperation() override {
    std::string error;
    if (failed(rewriteQuantized(getOperation(), perChannel, error))) {
      getOperation().emitError(error);
      signalPassFailure();
    }
  }
};

struct GraphFoldQDQPass
    : tessel::graph::impl::GraphFoldQDQBase<GraphFoldQDQPass> {
  using Base::Base;
  void runOnOperation() override { (void)foldQDQ(getOperation()); }
};

} // namespace
