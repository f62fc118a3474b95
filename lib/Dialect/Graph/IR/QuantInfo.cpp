//===- QuantInfo.cpp - Integer semantics of quantized graph ops -----------===//
//
// The bridge between `quant` element types and the MLIR-free integer kernels
// of lib/Reference/Quant.cpp: parameters from types, the output stage of
// quantized convs and matmuls, and the reference evaluation of every op with
// quantized types (docs/quantization.md lists the rules per op).
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "GraphOpsCommon.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

namespace tessel::graph {

quant::QuantizedType getQuantizedElementType(Type t) {
  if (auto st = dyn_cast<ShapedType>(t))
    t = st.getElementType();
  return dyn_cast<quant::QuantizedType>(t);
}

std::optional<ref::DType> getStorageDType(quant::QuantizedType q) {
  switch (q.getStorageTypeIntegralWidth()) {
  case 8:
    return q.isSigned() ? ref::DType::I8 : ref::DType::U8;
  case 16:
    return q.isSigned() ? ref::DType::I16 : ref::DType::U16;
  case 32:
    return q.isSigned() ? ref::DType::I32 : ref::DType::U32;
  case 64:
    return q.isSigned() ? ref::DType::I64 : ref::DType::U64;
  default:
    return std::nullopt;
  }
}

std::optional<ref::QuantParams> getQuantParams(Type t) {
  quant::QuantizedType q = getQuantizedElementType(t);
  if (!q || !isa<IntegerType>(q.getStorageType()))
    return std::nullopt;
  std::optional<ref::DType> storage = getStorageDType(q);
  if (!storage)
    return std::nullopt;
  ref::QuantParams p;
  p.storage = *storage;
  p.qmin = q.getStorageTypeMin();
  p.qmax = q.getStorageTypeMax();
  if (auto u = dyn_cast<quant::UniformQuantizedType>(q)) {
    p.scales = {u.getScale()};
    p.zeroPoints = {u.getZeroPoint()};
    return p;
  }
  if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(q)) {
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    p.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
    p.axis = a.getQuantizedDimension();
    return p;
  }
  if (auto s = dyn_cast<quant::UniformQuantizedSubChannelType>(q)) {
    auto tableType = cast<ShapedType>(s.getScales().getType());
    p.tableShape.assign(tableType.getShape().begin(),
                        tableType.getShape().end());
    p.blockSizes.assign(p.tableShape.size(), 0);
    for (auto [dim, size] : s.getBlockSizeInfo())
      if (dim >= 0 && dim < static_cast<int32_t>(p.blockSizes.size()))
        p.blockSizes[dim] = size;
    p.scales.clear();
    p.zeroPoints.clear();
    for (APFloat v : s.getScales().getValues<APFloat>())
      p.scales.push_back(v.convertToDouble());
    for (APInt v : s.getZeroPoints().getValues<APInt>())
      p.zeroPoints.push_back(p.qmin < 0 ? v.getSExtValue()
                                        : static_cast<int64_t>(
                                              v.getZExtValue()));
    return p;
  }
  return std::nullopt;
}

bool haveSameQuantParams(Type a, Type b) {
  if (auto sa = dyn_cast<ShapedType>(a))
    a = sa.getElementType();
  if (auto sb = dyn_cast<ShapedType>(b))
    b = sb.getElementType();
  if (a == b)
    return true;
  std::optional<ref::QuantParams> pa = getQuantParams(a),
                                  pb = getQuantParams(b);
  return pa && pb && pa->storage == pb->storage && pa->qmin == pb->qmin &&
         pa->qmax == pb->qmax && pa->scales == pb->scales &&
         pa->zeroPoints == pb->zeroPoints && pa->axis == pb->axis &&
         pa->blockSizes == pb->blockSizes;
}

std::optional<std::pair<int64_t, int64_t>>
getQuantizedClamp(ActivationAttr act, Type outElementType) {
  std::optional<ref::QuantParams> p = getQuantParams(outElementType);
  if (!p || !p->isPerTensor())
    return std::nullopt;
  ref::ClampKind kind = ref::ClampKind::None;
  double a = 0, b = 0;
  if (act) {
    switch (act.getKind()) {
    case ActivationKind::Relu:
      kind = ref::ClampKind::Relu;
      break;
    case ActivationKind::Clip:
      kind = ref::ClampKind::Clip;
      a = act.getAlphaValue();
      b = act.getBetaValue();
      break;
    default:
      return std::nullopt;
    }
  }
  return ref::activationClamp(kind, a, b, p->scales[0], p->zeroPoints[0],
                              p->qmin, p->qmax);
}

//===----------------------------------------------------------------------===//
// Conv and matmul
//===----------------------------------------------------------------------===//

namespace {

/// The quantized pieces of a conv or matmul.
struct LinearOp {
  Value input, weight, bias, output;
  ActivationAttr activation;
  int64_t outChannelAxis = -1; ///< Of the result; -1: no channel dim.
  int64_t weightChannelAxis = -1;
};

std::optional<LinearOp> asLinearOp(Operation *op) {
  LinearOp l;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    l.input = conv.getInput();
    l.weight = conv.getWeight();
    l.bias = conv.getBias();
    l.output = conv.getOutput();
    l.activation = conv.getActivationAttr();
    int64_t rank = conv.getOutput().getType().getRank();
    l.outChannelAxis = conv.isChannelsLast() ? rank - 1 : 1;
    l.weightChannelAxis = 0;
    return l;
  }
  if (auto mm = dyn_cast<MatMulOp>(op)) {
    l.input = mm.getLhs();
    l.weight = mm.getRhs();
    l.bias = mm.getBias();
    l.output = mm.getOutput();
    l.activation = mm.getActivationAttr();
    int64_t rhsRank = mm.getRhs().getType().getRank();
    if (rhsRank >= 2) {
      l.outChannelAxis = mm.getOutput().getType().getRank() - 1;
      l.weightChannelAxis = rhsRank - 1;
    }
    return l;
  }
  return std::nullopt;
}

/// The accumulator type: int32 for 8-bit operands, int64 when either is
/// wider (ISA 4.4).
ref::DType accumulatorDType(const ref::QuantParams &x,
                            const ref::QuantParams &w) {
  return ref::bitWidth(x.storage) <= 8 && ref::bitWidth(w.storage) <= 8
             ? ref::DType::I32
             : ref::DType::I64;
}

/// Checks the types of a quantized conv/matmul; `raw` says whether it
/// produces the accumulators (ConvInteger's int32 result).
bool checkLinear(const LinearOp &l, bool &raw, std::string &why) {
  std::optional<ref::QuantParams> x = getQuantParams(l.input.getType());
  std::optional<ref::QuantParams> w = getQuantParams(l.weight.getType());
  if (!x && w) {
    why = "a float conv/matmul takes float weights (dequantize quantized "
          "weights first)";
    return false;
  }
  if (!x || !w) {
    why = "a quantized conv/matmul needs quantized input and weights";
    return false;
  }
  Type out = cast<ShapedType>(l.output.getType()).getElementType();
  raw = isa<IntegerType>(out);
  if (!raw && !getQuantParams(out)) {
    why = "the result must be quantized, or an integer accumulator";
    return false;
  }
  if (!x->blockSizes.empty() || !w->blockSizes.empty()) {
    why = "blocked quantization is not supported on conv/matmul operands";
    return false;
  }
  if (w->axis >= 0 && w->axis != l.weightChannelAxis) {
    why = "per-axis weights must vary along the output channel dim";
    return false;
  }
  if (raw) {
    ref::DType acc = accumulatorDType(*x, *w);
    if (out != IntegerType::get(out.getContext(), ref::bitWidth(acc))) {
      why = "an integer result must be the accumulator type (i32 for 8-bit "
            "operands, i64 otherwise)";
      return false;
    }
    if (l.bias || l.activation) {
      why = "an accumulator result takes no bias and no activation";
      return false;
    }
    return true;
  }
  if (!x->isPerTensor()) {
    why = "a requantized conv/matmul needs a per-tensor input";
    return false;
  }
  if (!getQuantParams(out)->isPerTensor()) {
    why = "a quantized conv/matmul result must be per-tensor";
    return false;
  }
  if (l.bias) {
    auto bt = cast<RankedTensorType>(l.bias.getType());
    if (!bt.getElementType().isSignlessInteger(32) &&
        !bt.getElementType().isSignlessInteger(64)) {
      why = "the bias of a quantized conv/matmul must be i32 or i64 (scale "
            "s_in * s_w)";
      return false;
    }
    if (l.outChannelAxis < 0 ||
        bt.getNumElements() !=
            cast<ShapedType>(l.output.getType())
                .getDimSize(l.outChannelAxis)) {
      why = "the bias of a quantized conv/matmul has one value per output "
            "channel";
      return false;
    }
  }
  if (!getQuantizedClamp(l.activation, out)) {
    why = "a quantized conv/matmul can only fuse relu or clip (a clamp); "
          "use a graph.lut for other activations";
    return false;
  }
  return true;
}

} // namespace

FailureOr<ref::OutputStage> getOutputStage(Operation *op, std::string &error) {
  std::optional<LinearOp> l = asLinearOp(op);
  bool raw = false;
  if (!l || !hasQuantizedTypes(op)) {
    error = "not a quantized conv or matmul";
    return failure();
  }
  if (!checkLinear(*l, raw, error))
    return failure();
  if (raw) {
    error = "the op produces accumulators (no output stage)";
    return failure();
  }
  ref::QuantParams x = *getQuantParams(l->input.getType());
  ref::QuantParams w = *getQuantParams(l->weight.getType());
  Type outType = cast<ShapedType>(l->output.getType()).getElementType();
  ref::QuantParams y = *getQuantParams(outType);
  ref::OutputStage s;
  for (double sw : w.scales)
    s.requants.push_back(ref::outputMultiplier(x.scales[0], sw, y.scales[0]));
  s.channelAxis = (w.scales.size() > 1 || l->bias) ? l->outChannelAxis : -1;
  s.zeroPoint = y.zeroPoints[0];
  std::tie(s.lo, s.hi) = *getQuantizedClamp(l->activation, outType);
  s.out = y.storage;
  return s;
}

FailureOr<ElementwiseStage> getElementwiseStage(Operation *op,
                                                std::string &error) {
  if (!isa<AddOp, SubOp, MulOp>(op) || op->getNumOperands() != 2) {
    error = "not a graph.add, graph.sub or graph.mul";
    return failure();
  }
  std::optional<ref::QuantParams> a =
      getQuantParams(op->getOperand(0).getType());
  std::optional<ref::QuantParams> b =
      getQuantParams(op->getOperand(1).getType());
  Type outType = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  std::optional<ref::QuantParams> y = getQuantParams(outType);
  if (!a || !b || !y || !a->isPerTensor() || !b->isPerTensor() ||
      !y->isPerTensor()) {
    error = "operands and result must have per-tensor quantized types";
    return failure();
  }
  ElementwiseStage s;
  s.lhs = *a;
  s.rhs = *b;
  s.out = *y;
  s.isMul = isa<MulOp>(op);
  s.isSub = isa<SubOp>(op);
  s.add = ref::addRescale(a->scales[0], b->scales[0], y->scales[0],
                          std::max(ref::bitWidth(a->storage),
                                   ref::bitWidth(b->storage)));
  s.mul = ref::mulMultiplier(a->scales[0], b->scales[0], y->scales[0]);
  s.lo = y->qmin;
  s.hi = y->qmax;
  if (auto add = dyn_cast<AddOp>(op)) {
    std::optional<std::pair<int64_t, int64_t>> c =
        getQuantizedClamp(add.getActivationAttr(), outType);
    if (!c) {
      error = "the fused activation is not a clamp";
      return failure();
    }
    std::tie(s.lo, s.hi) = *c;
  }
  return s;
}

//===----------------------------------------------------------------------===//
// What evaluates
//===----------------------------------------------------------------------===//

/// Every quantized operand and result has the same parameters.
static bool uniformParams(Operation *op, std::string *why) {
  Type first;
  auto check = [&](Type t) {
    quant::QuantizedType q = getQuantizedElementType(t);
    if (!q)
      return true;
    if (!first) {
      first = q;
      return true;
    }
    return haveSameQuantParams(first, q);
  };
  for (Type t : op->getOperandTypes())
    if (!check(t))
      goto differ;
  for (Type t : op->getResultTypes())
    if (!check(t))
      goto differ;
  return true;
differ:
  if (why)
    *why = "its quantized operands and results must have the same "
           "quantization parameters (insert a graph.requantize)";
  return false;
}

static bool allPerTensorQuant(Operation *op, std::string *why) {
  auto ok = [](Type t) {
    std::optional<ref::QuantParams> p = getQuantParams(t);
    return p && p->isPerTensor();
  };
  if (llvm::all_of(op->getOperandTypes(), ok) &&
      llvm::all_of(op->getResultTypes(), ok))
    return true;
  if (why)
    *why = "every operand and the result must be quantized per tensor";
  return false;
}

bool canEvaluateQuantized(Operation *op, std::string *why) {
  if (!hasQuantizedTypes(op))
    return true;
  std::string reason;
  bool ok = llvm::TypeSwitch<Operation *, bool>(op)
                .Case<ConstantOp, QuantizeOp, DequantizeOp, RequantizeOp,
                      StorageCastOp>([](Operation *) { return true; })
                .Case<LutOp>(
                    [&](LutOp) { return allPerTensorQuant(op, &reason); })
                .Case<ConvOp, MatMulOp>([&](Operation *) {
                  bool raw;
                  return checkLinear(*asLinearOp(op), raw, reason);
                })
                .Case<AddOp, SubOp, MulOp>(
                    [&](Operation *) { return allPerTensorQuant(op, &reason); })
                .Case<ReluOp, ClipOp>(
                    [&](Operation *) { return allPerTensorQuant(op, &reason); })
                .Case<MaxPoolOp, AvgPoolOp, ReduceMeanOp, ReduceMaxOp,
                      ReduceMinOp>([&](Operation *) {
                  return allPerTensorQuant(op, &reason) &&
                         uniformParams(op, &reason);
                })
                .Case<ReshapeOp, TransposeOp, ConcatOp, SplitOp, SliceOp,
                      PadOp, GatherOp, BroadcastToOp, TileOp, DepthToSpaceOp,
                      SpaceToDepthOp>(
                    [&](Operation *) { return uniformParams(op, &reason); })
                .Case<ResizeOp>([&](ResizeOp r) {
                  if (r.getMode() != ResizeMode::Nearest) {
                    reason = "only nearest resizing moves quantized values "
                             "unchanged";
                    return false;
                  }
                  return uniformParams(op, &reason);
                })
                .Default([&](Operation *) {
                  reason = "has no integer semantics; dequantize its "
                           "operands (or use a graph.lut for an activation "
                           "on 8-bit values)";
                  return false;
                });
  if (ok && isa<AddOp>(op) &&
      !getQuantizedClamp(cast<AddOp>(op).getActivationAttr(),
                         op->getResult(0).getType())) {
    ok = false;
    reason = "a quantized add can only fuse relu or clip (a clamp)";
  }
  if (!ok && why)
    *why = reason;
  return ok;
}

LogicalResult verifyQuantizedSemantics(Operation *op) {
  std::string why;
  if (!canEvaluateQuantized(op, &why))
    return op->emitOpError("on quantized types: ") << why;
  return success();
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

namespace {

ref::QuantParams paramsOf(Value v) { return *getQuantParams(v.getType()); }

/// The same stored integers under another integer dtype (wrapping).
ref::Tensor reinterpret(const ref::Tensor &t, ref::DType dtype) {
  if (t.dtype() == dtype)
    return t;
  ref::Tensor r(dtype, t.shape());
  for (int64_t i = 0, e = t.numel(); i < e; ++i)
    r.setI(i, t.getI(i));
  return r;
}

/// The dtype a value's tensors have in the reference (storage for quant).
std::optional<ref::DType> valueDType(Type t) {
  Type e = cast<ShapedType>(t).getElementType();
  if (auto q = dyn_cast<quant::QuantizedType>(e))
    return getStorageDType(q);
  return toDType(e);
}

LogicalResult evalLinear(Operation *op, ArrayRef<ref::Tensor> operands,
                         SmallVectorImpl<ref::Tensor> &results,
                         std::string &error) {
  LinearOp l = *asLinearOp(op);
  bool raw = false;
  if (!checkLinear(l, raw, error))
    return failure();
  ref::QuantParams x = paramsOf(l.input), w = paramsOf(l.weight);
  ref::DType acc = accumulatorDType(x, w);
  ref::Result<ref::Tensor> xs = ref::subtractZeroPoints(operands[0], x, acc);
  if (!xs) {
    error = xs.error();
    return failure();
  }
  ref::Result<ref::Tensor> ws = ref::subtractZeroPoints(operands[1], w, acc);
  if (!ws) {
    error = ws.error();
    return failure();
  }
  ref::Result<ref::Tensor> sum = [&]() -> ref::Result<ref::Tensor> {
    if (auto conv = dyn_cast<ConvOp>(op)) {
      ref::ConvParams p;
      size_t n = conv.getStrides().size();
      p.strides = toShape(conv.getStrides());
      p.dilations = toShape(conv.getDilations());
      p.padsBegin = toShape(conv.getPads().take_front(n));
      p.padsEnd = toShape(conv.getPads().take_back(n));
      p.group = conv.getGroup();
      p.channelsLast = conv.isChannelsLast();
      return ref::conv(*xs, *ws, nullptr, p);
    }
    return ref::matmul(*xs, *ws, nullptr);
  }();
  if (!sum) {
    error = sum.error();
    return failure();
  }
  if (raw) {
    results.push_back(std::move(*sum));
    return success();
  }
  FailureOr<ref::OutputStage> stage = getOutputStage(op, error);
  if (failed(stage))
    return failure();
  const ref::Tensor *bias = l.bias ? &operands[2] : nullptr;
  return take(ref::requantizeAccumulators(*sum, bias, *stage), results, error);
}

} // namespace

LogicalResult evaluateQuantized(Operation *op, ArrayRef<ref::Tensor> operands,
                                SmallVectorImpl<ref::Tensor> &results,
                                std::string &error) {
  std::string why;
  if (!canEvaluateQuantized(op, &why)) {
    error = "'" + op->getName().getStringRef().str() +
            "' on quantized types: " + why;
    return failure();
  }
  // Operands arrive with their reference dtype (the storage type for
  // quantized values; constants are reinterpreted below).
  SmallVector<ref::Tensor> ins;
  for (auto [v, t] : llvm::zip(op->getOperands(), operands)) {
    std::optional<ref::DType> d = valueDType(v.getType());
    ins.push_back(d && !t.isFloat() && !ref::isFloat(*d) ? reinterpret(t, *d)
                                                        : t);
  }
  Type outType = op->getNumResults() ? op->getResult(0).getType() : Type();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ConstantOp>([&](ConstantOp c) {
        FailureOr<ref::Tensor> t = toTensor(c.getValue(), error);
        if (failed(t))
          return failure();
        results.push_back(reinterpret(*t, *valueDType(outType)));
        return success();
      })
      .Case<QuantizeOp>([&](QuantizeOp) {
        return take(ref::quantize(ins[0], *getQuantParams(outType)), results,
                    error);
      })
      .Case<DequantizeOp>([&](DequantizeOp d) {
        return take(ref::dequantize(ins[0], paramsOf(d.getInput()),
                                    *valueDType(outType)),
                    results, error);
      })
      .Case<RequantizeOp>([&](RequantizeOp r) {
        ref::QuantParams out = *getQuantParams(outType);
        return take(ref::requantize(ins[0], paramsOf(r.getInput()), out,
                                    out.qmin, out.qmax),
                    results, error);
      })
      .Case<StorageCastOp>([&](StorageCastOp) {
        results.push_back(reinterpret(ins[0], *valueDType(outType)));
        return success();
      })
      .Case<LutOp>([&](LutOp lut) {
        ref::QuantParams in = paramsOf(lut.getInput());
        ref::DType out = getQuantParams(outType)->storage;
        int64_t inMin = ref::isSigned(in.storage)
                            ? -(int64_t(1) << (ref::bitWidth(in.storage) - 1))
                            : 0;
        std::vector<int64_t> table(lut.getTable().begin(),
                                   lut.getTable().end());
        return take(ref::lookupTable(ins[0], table, inMin, out), results,
                    error);
      })
      .Case<ConvOp, MatMulOp>([&](Operation *) {
        return evalLinear(op, ins, results, error);
      })
      .Case<AddOp, SubOp, MulOp>([&](Operation *) {
        FailureOr<ElementwiseStage> e = getElementwiseStage(op, error);
        if (failed(e))
          return failure();
        if (e->isMul)
          return take(ref::quantizedMul(ins[0], e->lhs, ins[1], e->rhs,
                                        e->out, e->lo, e->hi),
                      results, error);
        return take(ref::quantizedAdd(ins[0], e->lhs, ins[1], e->rhs, e->out,
                                      e->isSub, e->lo, e->hi),
                    results, error);
      })
      .Case<ReluOp, ClipOp>([&](Operation *) {
        ref::QuantParams out = *getQuantParams(outType);
        ref::ClampKind kind = ref::ClampKind::Relu;
        double lo = 0, hi = 0;
        if (auto clip = dyn_cast<ClipOp>(op)) {
          kind = ref::ClampKind::Clip;
          lo = clip.getMin() ? clip.getMin()->convertToDouble()
                             : -std::numeric_limits<double>::infinity();
          hi = clip.getMax() ? clip.getMax()->convertToDouble()
                             : std::numeric_limits<double>::infinity();
        }
        auto [qlo, qhi] =
            ref::activationClamp(kind, lo, hi, out.scales[0],
                                 out.zeroPoints[0], out.qmin, out.qmax);
        return take(ref::requantize(ins[0], paramsOf(op->getOperand(0)), out,
                                    qlo, qhi),
                    results, error);
      })
      .Case<MaxPoolOp>([&](MaxPoolOp pool) {
        ref::PoolParams p;
        size_t n = pool.getKernelShape().size();
        p.kernel = toShape(pool.getKernelShape());
        p.strides = toShape(pool.getStrides());
        p.dilations = toShape(pool.getDilations());
        p.padsBegin = toShape(pool.getPads().take_front(n));
        p.padsEnd = toShape(pool.getPads().take_back(n));
        p.ceilMode = pool.getCeilMode();
        p.channelsLast = pool.getLayout() == Layout::NHWC;
        return take(ref::maxPool(ins[0], p), results, error);
      })
      .Case<AvgPoolOp>([&](AvgPoolOp pool) {
        ref::QuantParams in = paramsOf(pool.getInput());
        ref::PoolParams p;
        size_t n = pool.getKernelShape().size();
        p.kernel = toShape(pool.getKernelShape());
        p.strides = toShape(pool.getStrides());
        p.dilations = toShape(pool.getDilations());
        p.padsBegin = toShape(pool.getPads().take_front(n));
        p.padsEnd = toShape(pool.getPads().take_back(n));
        p.ceilMode = pool.getCeilMode();
        p.countIncludePad = pool.getCountIncludePad();
        p.channelsLast = pool.getLayout() == Layout::NHWC;
        return take(ref::quantizedAvgPool(ins[0], p, in.zeroPoints[0],
                                          in.qmin, in.qmax),
                    results, error);
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp r) {
        ref::QuantParams in = paramsOf(r.getInput());
        return take(ref::quantizedReduceMean(ins[0], toShape(r.getAxes()),
                                             r.getKeepdims(), in.qmin,
                                             in.qmax),
                    results, error);
      })
      .Case<ReduceMaxOp, ReduceMinOp>([&](Operation *) {
        auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
        auto keep = op->getAttrOfType<BoolAttr>("keepdims");
        return take(ref::reduce(isa<ReduceMaxOp>(op) ? ref::ReduceKind::Max
                                                     : ref::ReduceKind::Min,
                                ins[0], toShape(axes.asArrayRef()),
                                keep ? keep.getValue() : true),
                    results, error);
      })
      .Case<PadOp>([&](PadOp pad) {
        ref::QuantParams in = paramsOf(pad.getInput());
        int64_t rank = pad.getInput().getType().getRank();
        ArrayRef<int64_t> pads = pad.getPads();
        int64_t value = ref::quantizeScalar(pad.getValue().convertToDouble(),
                                            in.scales[0], in.zeroPoints[0],
                                            in.qmin, in.qmax);
        return take(ref::pad(ins[0], toShape(pads.take_front(rank)),
                             toShape(pads.take_back(rank)),
                             static_cast<ref::PadMode>(pad.getMode()),
                             static_cast<double>(value)),
                    results, error);
      })
      .Default([&](Operation *) {
        error = "'" + op->getName().getStringRef().str() +
                "' has no quantized evaluation";
        return failure();
      });
}

//===----------------------------------------------------------------------===//
// Building types
//===----------------------------------------------------------------------===//

static std::pair<int64_t, int64_t> storageRange(ref::DType storage,
                                                bool narrow) {
  int bits = ref::bitWidth(storage);
  if (!ref::isSigned(storage))
    return {0, (int64_t(1) << bits) - 1};
  int64_t hi = (int64_t(1) << (bits - 1)) - 1;
  return {narrow ? -hi : -hi - 1, hi};
}

quant::UniformQuantizedType makeQuantType(MLIRContext *ctx,
                                          ref::DType storage, double scale,
                                          int64_t zeroPoint, bool narrow) {
  auto [lo, hi] = storageRange(storage, narrow);
  bool isSigned = ref::isSigned(storage);
  return quant::UniformQuantizedType::get(
      isSigned ? quant::QuantizationFlags::Signed : 0,
      IntegerType::get(ctx, ref::bitWidth(storage)), Float32Type::get(ctx),
      scale, zeroPoint, lo, hi);
}

quant::UniformQuantizedPerAxisType
makePerAxisQuantType(MLIRContext *ctx, ref::DType storage,
                     ArrayRef<double> scales, ArrayRef<int64_t> zeroPoints,
                     int32_t axis, bool narrow) {
  auto [lo, hi] = storageRange(storage, narrow);
  bool isSigned = ref::isSigned(storage);
  return quant::UniformQuantizedPerAxisType::get(
      isSigned ? quant::QuantizationFlags::Signed : 0,
      IntegerType::get(ctx, ref::bitWidth(storage)), Float32Type::get(ctx),
      scales, zeroPoints, axis, lo, hi);
}

} // namespace tessel::graph
