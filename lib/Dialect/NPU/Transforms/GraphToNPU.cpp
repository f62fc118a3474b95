//===- GraphToNPU.cpp - One graph op as npu layer ops --------------------===//
//
// The per-op lowering that both tessel-npu-partition (to try an op on the
// chip) and tessel-convert-graph-to-npu (to convert a segment) use. Float
// graphs compute in f16 on the NPU: tensors become f16, constants are
// rounded to f16 once, at compile time.
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/NPU/Transforms/Passes.h"

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Support/Float16.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
namespace g = tessel::graph;

namespace tessel::npu::ir {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

RankedTensorType withElement(Type t, Type element) {
  auto rt = cast<RankedTensorType>(t);
  return RankedTensorType::get(rt.getShape(), element);
}

/// A fused activation as a clamp (`lo`, `hi`), or an act kind after the
/// layer; fails for activations the chip has no instruction for.
struct Epilogue {
  bool clamp = false;
  float lo = -kInf, hi = kInf;
  std::optional<StringRef> act;
};
LogicalResult epilogueOf(g::ActivationAttr a, Epilogue &e, std::string &why) {
  if (!a)
    return success();
  switch (a.getKind()) {
  case g::ActivationKind::Relu:
    e.clamp = true;
    e.lo = 0;
    return success();
  case g::ActivationKind::Clip:
    e.clamp = true;
    e.lo = static_cast<float>(a.getAlphaValue());
    e.hi = static_cast<float>(a.getBetaValue());
    return success();
  case g::ActivationKind::Sigmoid:
    e.act = "sigmoid";
    return success();
  case g::ActivationKind::Tanh:
    e.act = "tanh";
    return success();
  default:
    why = "the fused activation " +
          g::stringifyActivationKind(a.getKind()).str() +
          " has no NPU instruction";
    return failure();
  }
}

} // namespace

Type GraphToNPULowering::computeType(Type t, std::string &why) const {
  if (isa<Float32Type, Float16Type>(t)) {
    if (!chip.supportsDType(DType::F16)) {
      why = "chip " + chip.name +
            " computes no floats (float ops run on the "
            "CPU; quantize the model to run it on this chip)";
      return {};
    }
    return Float16Type::get(t.getContext());
  }
  if (auto q = dyn_cast<quant::QuantizedType>(t)) {
    std::optional<DType> d = npuDType(q);
    if (!d) {
      why = "quantized storage " + typeStr(q.getStorageType()) +
            " has no NPU type";
      return {};
    }
    if (!chip.supportsDType(*d)) {
      why = std::string("chip ") + chip.name + " has no " + dtypeName(*d);
      return {};
    }
    return t;
  }
  std::optional<DType> d = npuDType(t);
  if (!d) {
    why = "element type " + typeStr(t) + " is not an NPU type";
    return {};
  }
  if (!chip.supportsDType(*d)) {
    why = std::string("chip ") + chip.name + " has no " + dtypeName(*d);
    return {};
  }
  return t;
}

Value GraphToNPULowering::constantOf(ElementsAttr value, Type elementType,
                                     ArrayRef<int64_t> shape,
                                     std::string &why) {
  auto srcType = cast<RankedTensorType>(value.getType());
  if (auto q = dyn_cast<quant::QuantizedType>(elementType))
    elementType = IntegerType::get(
        q.getContext(), q.getStorageTypeIntegralWidth(),
        q.isSigned() ? IntegerType::Signless : IntegerType::Unsigned);
  auto type = RankedTensorType::get(shape, elementType);
  if (srcType.getNumElements() != type.getNumElements()) {
    why = "constant of " + typeStr(srcType) + " cannot become " + typeStr(type);
    return {};
  }
  Type srcElement = srcType.getElementType();
  ElementsAttr attr;
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (dense && dense.isSplat() && isa<FloatType>(srcElement) &&
      isa<FloatType>(elementType)) {
    bool lost;
    APFloat v = dense.getSplatValue<APFloat>();
    v.convert(cast<FloatType>(elementType).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    attr = DenseElementsAttr::get(type, v);
  } else if (srcElement == elementType ||
             (isa<IntegerType>(srcElement) && isa<IntegerType>(elementType) &&
              srcElement.getIntOrFloatBitWidth() ==
                  elementType.getIntOrFloatBitWidth())) {
    if (std::optional<ArrayRef<char>> raw = g::getRawBytes(value))
      attr = g::elementsFromRawBytes(type, *raw, "npu_const");
    else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      if (dense.getElementType() == elementType)
        attr = dense.reshape(type);
      else if (dense.isSplat() && isa<IntegerType>(elementType))
        attr = DenseElementsAttr::get(type, dense.getSplatValue<APInt>());
    }
  } else if (isa<Float32Type>(srcElement) && isa<Float16Type>(elementType)) {
    std::vector<uint16_t> half(type.getNumElements());
    if (std::optional<ArrayRef<char>> raw = g::getRawBytes(value)) {
      const char *p = raw->data();
      for (size_t i = 0; i < half.size(); ++i) {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        half[i] = support::floatToHalf(f);
      }
    } else {
      std::string error;
      FailureOr<ref::Tensor> t = g::toTensor(value, error);
      if (failed(t)) {
        why = "cannot read a constant: " + error;
        return {};
      }
      for (size_t i = 0; i < half.size(); ++i)
        half[i] = support::floatToHalf(static_cast<float>(t->getF(i)));
    }
    attr = g::elementsFromRawBytes(
        type,
        ArrayRef<char>(reinterpret_cast<const char *>(half.data()),
                       half.size() * 2),
        "npu_const");
  }
  if (!attr) {
    why = "cannot convert a constant of " + typeStr(srcType) + " to " +
          typeStr(type);
    return {};
  }
  return ConstantOp::create(b, b.getUnknownLoc(), type, attr);
}

FailureOr<Value> GraphToNPULowering::operand(Value v, std::string &why) {
  if (Value m = mapping.lookupOrNull(v))
    return m;
  if (auto c = v.getDefiningOp<g::ConstantOp>()) {
    Type et =
        computeType(cast<RankedTensorType>(v.getType()).getElementType(), why);
    if (!et)
      return failure();
    Value out = constantOf(c.getValue(), et,
                           cast<RankedTensorType>(v.getType()).getShape(), why);
    if (!out)
      return failure();
    mapping.map(v, out);
    return out;
  }
  why = "an operand is not available on the NPU";
  return failure();
}

LogicalResult GraphToNPULowering::lower(Operation *op, std::string &why) {
  Location loc = op->getLoc();
  auto fail = [&](const std::string &m) {
    why = m;
    return failure();
  };
  for (Type t : op->getResultTypes()) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return fail("result type " + typeStr(t) + " is not a static tensor");
  }
  for (Type t : op->getOperandTypes()) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return fail("operand type " + typeStr(t) + " is not a static tensor");
  }
  auto resultType = [&](unsigned i = 0) -> RankedTensorType {
    Type et = computeType(
        cast<RankedTensorType>(op->getResult(i).getType()).getElementType(),
        why);
    return et ? withElement(op->getResult(i).getType(), et)
              : RankedTensorType();
  };
  // An operand in the compute type: f32 values (segment arguments, results
  // of dequantize) are converted to f16 once, where they are defined.
  auto get = [&](Value v, Value &out) -> LogicalResult {
    FailureOr<Value> r = operand(v, why);
    if (failed(r))
      return failure();
    out = *r;
    Type et = cast<RankedTensorType>(out.getType()).getElementType();
    if (!et.isF32())
      return success();
    Type ct = computeType(et, why);
    if (!ct)
      return failure();
    if (ct == et)
      return success();
    Value &cached = f16Of[out];
    if (!cached) {
      OpBuilder::InsertionGuard guard(b);
      if (Operation *def = out.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(out).getOwner());
      cached = ConvertOp::create(b, loc, withElement(out.getType(), ct),
                                 ValueRange{out}, b.getStringAttr("cast"),
                                 nullptr, nullptr, nullptr, nullptr, nullptr)
                   .getResult();
    }
    out = cached;
    return success();
  };
  // A clamp epilogue attribute, or an act op after the layer.
  auto finish = [&](Value v, const Epilogue &e) -> Value {
    if (!e.act)
      return v;
    return ActOp::create(b, loc, v.getType(), ValueRange{v},
                         b.getStringAttr(*e.act), nullptr, nullptr, nullptr,
                         nullptr)
        .getResult();
  };
  auto clampAttr = [&](const Epilogue &e) -> DenseF32ArrayAttr {
    if (!e.clamp)
      return nullptr;
    return b.getDenseF32ArrayAttr({e.lo, e.hi});
  };
  auto isFloat = [&](Value v) {
    return isa<FloatType>(cast<RankedTensorType>(v.getType()).getElementType());
  };

  if (isa<g::ConstantOp>(op))
    return success(); // Materialized where used.
  {
    bool quantized =
        isa<g::QuantizeOp, g::DequantizeOp, g::RequantizeOp, g::LutOp>(op);
    for (Type t : op->getOperandTypes())
      quantized |= bool(g::getQuantizedElementType(t));
    for (Type t : op->getResultTypes())
      quantized |= bool(g::getQuantizedElementType(t));
    // Ops that move or compare stored integers keep the float lowering.
    // Reductions and average pooling that keep the input's parameters
    // work on the stored integers too (docs/quantization.md): max/min
    // compare them, and mean/average is sat(rhaz(sum / n)) with padded taps
    // counted as the zero point, REDUCE's and POOL's integer mean.
    bool moves =
        isa<g::MaxPoolOp, g::ReshapeOp, g::TransposeOp, g::ConcatOp, g::SliceOp,
            g::ReduceMeanOp, g::ReduceMaxOp, g::ReduceMinOp, g::AvgPoolOp>(op);
    if (quantized && moves)
      for (Value v : op->getOperands())
        if (!g::haveSameQuantParams(
                cast<RankedTensorType>(v.getType()).getElementType(),
                cast<RankedTensorType>(op->getResult(0).getType())
                    .getElementType()))
          return fail("operands and result have different quantization");
    if (quantized && !moves)
      return lowerQuantized(op, why);
  }

  if (auto c = dyn_cast<g::ConvOp>(op)) {
    if (c.getInput().getType().getRank() != 4)
      return fail("only 2-D convolutions run on the NPU");
    if (!c.isChannelsLast())
      return fail("the conv is in NCHW layout (the NPU needs NHWC: compile "
                  "with --layout=nhwc)");
    if (!isFloat(c.getInput()))
      return fail("integer conv without quantization parameters");
    auto wc = c.getWeight().getDefiningOp<g::ConstantOp>();
    if (!wc)
      return fail("the conv's weights are not a constant");
    Epilogue e;
    if (failed(epilogueOf(c.getActivationAttr(), e, why)))
      return failure();
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x, w, bias;
    if (failed(get(c.getInput(), x)) || failed(get(c.getWeight(), w)))
      return failure();
    SmallVector<Value> ins = {x, w};
    if (c.getBias()) {
      if (!c.getBias().getDefiningOp<g::ConstantOp>())
        return fail("the conv's bias is not a constant");
      if (failed(get(c.getBias(), bias)))
        return failure();
      ins.push_back(bias);
    }
    auto kshape = c.getWeight().getType().getShape();
    ArrayRef<int64_t> pads = c.getPads();
    auto conv = ConvOp::create(
        b, loc, rt, ins, b.getDenseI64ArrayAttr({kshape[1], kshape[2]}),
        b.getDenseI64ArrayAttr(c.getStrides()),
        b.getDenseI64ArrayAttr(c.getDilations()),
        b.getDenseI64ArrayAttr({pads[0], pads[1], pads[2], pads[3]}),
        b.getI64IntegerAttr(c.getGroup()), nullptr, nullptr, nullptr, nullptr,
        nullptr, nullptr, bias ? b.getUnitAttr() : nullptr, clampAttr(e));
    mapping.map(c.getResult(), finish(conv.getResult(), e));
    return success();
  }

  if (auto m = dyn_cast<g::MatMulOp>(op)) {
    auto lt = cast<RankedTensorType>(m.getLhs().getType());
    auto rtB = cast<RankedTensorType>(m.getRhs().getType());
    if (lt.getRank() < 2 || rtB.getRank() < 2)
      return fail("matmul operands must have rank >= 2 on the NPU");
    if (!isFloat(m.getLhs()))
      return fail("integer matmul without quantization parameters");
    Epilogue e;
    if (failed(epilogueOf(m.getActivationAttr(), e, why)))
      return failure();
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value a, bv, bias;
    if (failed(get(m.getLhs(), a)))
      return failure();
    if (auto bc = m.getRhs().getDefiningOp<g::ConstantOp>()) {
      // A constant right operand as [K][N] (leading 1s dropped).
      for (int64_t d : rtB.getShape().drop_back(2))
        if (d != 1)
          return fail("a batched constant right operand");
      Type et = computeType(rtB.getElementType(), why);
      if (!et)
        return failure();
      bv = constantOf(bc.getValue(), et, rtB.getShape().take_back(2), why);
      if (!bv)
        return failure();
    } else {
      if (rtB.getRank() != 2 && rtB.getRank() != lt.getRank())
        return fail("the right operand's batch dims do not match the left's");
      if (rtB.getRank() == lt.getRank() &&
          rtB.getShape().drop_back(2) != lt.getShape().drop_back(2))
        return fail("broadcast batch dims in a matmul");
      if (failed(get(m.getRhs(), bv)))
        return failure();
    }
    SmallVector<Value> ins = {a, bv};
    if (m.getBias()) {
      auto bc = m.getBias().getDefiningOp<g::ConstantOp>();
      auto bt = cast<RankedTensorType>(m.getBias().getType());
      if (!bc || bt.getNumElements() != rt.getShape().back())
        return fail("the matmul's bias is not a constant per column");
      bias = constantOf(bc.getValue(), rt.getElementType(),
                        {rt.getShape().back()}, why);
      if (!bias)
        return failure();
      ins.push_back(bias);
    }
    auto mm = MatmulOp::create(b, loc, rt, ins, b.getUnitAttr(), nullptr,
                               nullptr, nullptr, nullptr, nullptr, nullptr,
                               bias ? b.getUnitAttr() : nullptr, clampAttr(e));
    mapping.map(m.getResult(), finish(mm.getResult(), e));
    return success();
  }

  // Elementwise binary ops.
  StringRef eop = llvm::TypeSwitch<Operation *, StringRef>(op)
                      .Case<g::AddOp>([](auto) { return "add"; })
                      .Case<g::SubOp>([](auto) { return "sub"; })
                      .Case<g::MulOp>([](auto) { return "mul"; })
                      .Case<g::MaxOp>([](auto) { return "max"; })
                      .Case<g::MinOp>([](auto) { return "min"; })
                      .Default([](auto) { return ""; });
  if (!eop.empty()) {
    if (op->getNumOperands() != 2)
      return fail("variadic elementwise op");
    if (!isFloat(op->getOperand(0)))
      return fail("integer elementwise op without quantization parameters");
    Epilogue e;
    if (failed(epilogueOf(op->getAttrOfType<g::ActivationAttr>("activation"), e,
                          why)))
      return failure();
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x, y;
    if (failed(get(op->getOperand(0), x)) || failed(get(op->getOperand(1), y)))
      return failure();
    Value r = EltwiseOp::create(b, loc, rt, ValueRange{x, y},
                                b.getStringAttr(eop), nullptr, nullptr, nullptr,
                                nullptr, nullptr, nullptr, nullptr)
                  .getResult();
    if (e.clamp)
      r = ActOp::create(b, loc, rt, ValueRange{r}, b.getStringAttr("clamp"),
                        nullptr, nullptr, b.getF32FloatAttr(e.lo),
                        b.getF32FloatAttr(e.hi))
              .getResult();
    mapping.map(op->getResult(0), finish(r, e));
    return success();
  }

  // Division by a constant: multiplication by its reciprocal.
  if (auto d = dyn_cast<g::DivOp>(op)) {
    auto c = d.getRhs().getDefiningOp<g::ConstantOp>();
    if (!c || !isFloat(d.getLhs()))
      return fail("division by a tensor (the NPU has no divide)");
    std::string error;
    FailureOr<ref::Tensor> t = g::toTensor(c.getValue(), error);
    if (failed(t))
      return fail("cannot read the divisor: " + error);
    auto ct = cast<RankedTensorType>(c.getType());
    std::vector<float> recip(ct.getNumElements());
    for (size_t i = 0; i < recip.size(); ++i)
      recip[i] = static_cast<float>(1.0 / t->getF(i));
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(d.getLhs(), x)))
      return failure();
    Value r =
        constantOf(DenseElementsAttr::get(
                       RankedTensorType::get(ct.getShape(), b.getF32Type()),
                       ArrayRef<float>(recip)),
                   rt.getElementType(), ct.getShape(), why);
    if (!r)
      return failure();
    mapping.map(d.getResult(),
                EltwiseOp::create(b, loc, rt, ValueRange{x, r},
                                  b.getStringAttr("mul"), nullptr, nullptr,
                                  nullptr, nullptr, nullptr, nullptr, nullptr)
                    .getResult());
    return success();
  }

  // Unary activations.
  if (isa<g::ReluOp, g::ClipOp, g::SigmoidOp, g::TanhOp, g::ExpOp>(op)) {
    if (!isFloat(op->getOperand(0)))
      return fail("integer activation without quantization parameters");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(op->getOperand(0), x)))
      return failure();
    StringRef kind = isa<g::SigmoidOp>(op) ? "sigmoid"
                     : isa<g::TanhOp>(op)  ? "tanh"
                     : isa<g::ExpOp>(op)   ? "exp"
                                           : "clamp";
    FloatAttr flo, fhi;
    if (isa<g::ReluOp>(op))
      flo = b.getF32FloatAttr(0);
    if (auto c = dyn_cast<g::ClipOp>(op)) {
      if (c.getMin())
        flo = b.getF32FloatAttr(
            static_cast<float>(c.getMin()->convertToDouble()));
      if (c.getMax())
        fhi = b.getF32FloatAttr(
            static_cast<float>(c.getMax()->convertToDouble()));
    }
    mapping.map(op->getResult(0),
                ActOp::create(b, loc, rt, ValueRange{x}, b.getStringAttr(kind),
                              nullptr, nullptr, flo, fhi)
                    .getResult());
    return success();
  }

  // Pooling.
  if (isa<g::MaxPoolOp, g::AvgPoolOp>(op)) {
    auto in = cast<RankedTensorType>(op->getOperand(0).getType());
    auto layout = op->getAttrOfType<g::LayoutAttr>("layout");
    if (in.getRank() != 4)
      return fail("only 2-D pooling runs on the NPU");
    if (!layout || layout.getValue() != g::Layout::NHWC)
      return fail("the pool is in NCHW layout (the NPU needs NHWC)");
    auto dil = op->getAttrOfType<DenseI64ArrayAttr>("dilations");
    for (int64_t d : dil.asArrayRef())
      if (d != 1)
        return fail("dilated pooling");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    auto kernel = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape");
    auto strides = op->getAttrOfType<DenseI64ArrayAttr>("strides");
    SmallVector<int64_t> pads(
        op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef());
    // Ceil mode: the pool instruction's output size is the floor form;
    // extra end padding gives the same windows.
    for (int d = 0; d < 2; ++d) {
      int64_t inSize = in.getShape()[1 + d], out = rt.getShape()[1 + d];
      int64_t need = (out - 1) * strides[d] + kernel[d] - inSize - pads[d];
      if (need > pads[2 + d]) {
        if (isa<g::AvgPoolOp>(op))
          return fail("ceil-mode average pooling");
        pads[2 + d] = need;
      }
    }
    bool countPad = false;
    if (auto a = dyn_cast<g::AvgPoolOp>(op))
      countPad = a.getCountIncludePad();
    // A quantized average counts padded taps as the zero point.
    IntegerAttr zp;
    if (countPad)
      if (std::optional<ref::QuantParams> q = g::getQuantParams(
              cast<RankedTensorType>(op->getOperand(0).getType())
                  .getElementType())) {
        if (!q->isPerTensor())
          return fail("per-axis quantized average pooling with counted "
                      "padding");
        zp = b.getI64IntegerAttr(q->zeroPoints[0]);
      }
    Value x;
    if (failed(get(op->getOperand(0), x)))
      return failure();
    auto pool = PoolOp::create(
        b, loc, rt, ValueRange{x},
        b.getStringAttr(isa<g::MaxPoolOp>(op) ? "max" : "avg"),
        b.getDenseI64ArrayAttr(kernel.asArrayRef()),
        b.getDenseI64ArrayAttr(strides.asArrayRef()),
        b.getDenseI64ArrayAttr(pads), countPad ? b.getUnitAttr() : nullptr, zp);
    mapping.map(op->getResult(0), pool.getResult());
    return success();
  }

  // Reductions over consecutive axes.
  StringRef rkind = llvm::TypeSwitch<Operation *, StringRef>(op)
                        .Case<g::ReduceSumOp>([](auto) { return "sum"; })
                        .Case<g::ReduceMeanOp>([](auto) { return "mean"; })
                        .Case<g::ReduceMaxOp>([](auto) { return "max"; })
                        .Case<g::ReduceMinOp>([](auto) { return "min"; })
                        .Default([](auto) { return ""; });
  if (!rkind.empty()) {
    auto in = cast<RankedTensorType>(op->getOperand(0).getType());
    ArrayRef<int64_t> axes =
        op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    if (axes.empty())
      return fail("a reduction over no axes");
    for (size_t i = 1; i < axes.size(); ++i)
      if (axes[i] != axes[i - 1] + 1)
        return fail("the reduced axes are not consecutive");
    if (!isFloat(op->getOperand(0)) &&
        !g::getQuantizedElementType(op->getOperand(0).getType()))
      return fail("integer reduction without quantization parameters");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    int64_t outer = 1, n = 1, inner = 1;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (d < axes.front())
        outer *= in.getShape()[d];
      else if (d <= axes.back())
        n *= in.getShape()[d];
      else
        inner *= in.getShape()[d];
    }
    Value x;
    if (failed(get(op->getOperand(0), x)))
      return failure();
    mapping.map(op->getResult(0),
                ReduceOp::create(b, loc, rt, ValueRange{x},
                                 b.getStringAttr(rkind),
                                 b.getDenseI64ArrayAttr({outer, n, inner}))
                    .getResult());
    return success();
  }

  if (isa<g::ReshapeOp>(op) ||
      (isa<g::TransposeOp>(op) && cast<g::TransposeOp>(op).isPureReshape())) {
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(op->getOperand(0), x)))
      return failure();
    mapping.map(op->getResult(0), ReshapeOp::create(b, loc, rt, x).getResult());
    return success();
  }

  if (auto c = dyn_cast<g::CastOp>(op)) {
    // Between float types the NPU value (f16) is already the result.
    if (!isFloat(c.getInput()) ||
        !isa<FloatType>(
            cast<RankedTensorType>(c.getResult().getType()).getElementType()))
      return fail("integer casts run on the CPU");
    // Both ends must be NPU float types (f64 and bf16 are not).
    if (!resultType())
      return failure();
    if (!computeType(
            cast<RankedTensorType>(c.getInput().getType()).getElementType(),
            why))
      return failure();
    Value x;
    if (failed(get(c.getInput(), x)))
      return failure();
    mapping.map(c.getResult(), x);
    return success();
  }

  if (auto t = dyn_cast<g::TransposeOp>(op)) {
    auto in = cast<RankedTensorType>(t.getInput().getType());
    int64_t r = in.getRank();
    if (r > 4)
      return fail("transposes of rank above 4");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(t.getInput(), x)))
      return failure();
    int64_t k = 4 - r;
    SmallVector<int64_t> in4(k, 1), out4(k, 1), perm;
    llvm::append_range(in4, in.getShape());
    llvm::append_range(out4, rt.getShape());
    for (int64_t i = 0; i < k; ++i)
      perm.push_back(i);
    for (int64_t p : t.getPerm())
      perm.push_back(p + k);
    Type et = rt.getElementType();
    Value x4 = k ? ReshapeOp::create(b, loc, RankedTensorType::get(in4, et), x)
                       .getResult()
                 : x;
    Value y4 = TransposeOp::create(b, loc, RankedTensorType::get(out4, et),
                                   ValueRange{x4}, b.getDenseI64ArrayAttr(perm))
                   .getResult();
    mapping.map(t.getResult(),
                k ? ReshapeOp::create(b, loc, rt, y4).getResult() : y4);
    return success();
  }

  if (auto c = dyn_cast<g::ConcatOp>(op)) {
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    SmallVector<Value> ins;
    for (Value v : c.getInputs()) {
      Value x;
      if (failed(get(v, x)))
        return failure();
      ins.push_back(x);
    }
    int64_t axis = c.getAxis();
    if (axis < 0)
      axis += rt.getRank();
    mapping.map(c.getResult(),
                ConcatOp::create(b, loc, rt, ins, b.getI64IntegerAttr(axis))
                    .getResult());
    return success();
  }

  if (auto s = dyn_cast<g::SliceOp>(op)) {
    for (int64_t st : s.getSteps())
      if (st != 1)
        return fail("strided slices");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(s.getInput(), x)))
      return failure();
    mapping.map(s.getResult(),
                SliceOp::create(b, loc, rt, ValueRange{x},
                                b.getDenseI64ArrayAttr(s.getStarts()))
                    .getResult());
    return success();
  }

  if (auto p = dyn_cast<g::PadOp>(op)) {
    if (p.getMode() != g::PadMode::Constant)
      return fail("reflect and edge padding");
    double v = p.getValue().convertToDouble();
    if (v != std::round(v) || std::abs(v) > 2147483647.0)
      return fail("the DMA fills padding with an integer value");
    RankedTensorType rt = resultType();
    if (!rt)
      return failure();
    Value x;
    if (failed(get(p.getInput(), x)))
      return failure();
    ArrayRef<int64_t> pads = p.getPads();
    size_t r = pads.size() / 2;
    mapping.map(p.getResult(),
                PadOp::create(b, loc, rt, ValueRange{x},
                              b.getDenseI64ArrayAttr(pads.take_front(r)),
                              b.getDenseI64ArrayAttr(pads.drop_front(r)),
                              b.getF64FloatAttr(p.getValue().convertToDouble()))
                    .getResult());
    return success();
  }

  return fail("the NPU has no lowering for this op");
}

//===----------------------------------------------------------------------===//
// Quantized ops (docs/quantization.md, "The quantized graph form")
//===----------------------------------------------------------------------===//
//
// Every integer parameter comes from QuantInfo.h, as for the reference
// evaluation and the CPU lowering; the npu layers compute exactly what the
// reference does (the ISA's rounding, saturation and requant tables are the
// reference's), so a quantized model on the NPU equals the integer
// reference bit for bit.

namespace {

/// The 16-byte requant entries {i64 bias, i32 M, i32 s} of `n` channels.
std::vector<char> requantTable(ArrayRef<support::Requant> rq, size_t n,
                               ArrayRef<int64_t> bias) {
  std::vector<char> t(n * 16, 0);
  for (size_t c = 0; c < n; ++c) {
    const support::Requant &r = rq.size() == 1 ? rq[0] : rq[c];
    int64_t bv = bias.empty() ? 0 : bias[c];
    std::memcpy(&t[c * 16], &bv, 8);
    std::memcpy(&t[c * 16 + 8], &r.multiplier, 4);
    std::memcpy(&t[c * 16 + 12], &r.shift, 4);
  }
  return t;
}

} // namespace

LogicalResult GraphToNPULowering::lowerQuantized(Operation *op,
                                                 std::string &why) {
  Location loc = op->getLoc();
  MLIRContext *ctx = op->getContext();
  auto fail = [&](const std::string &m) {
    why = m;
    return failure();
  };
  auto elem = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  };
  auto params = [&](Value v) { return g::getQuantParams(elem(v)); };
  auto get = [&](Value v, Value &out) -> LogicalResult {
    FailureOr<Value> r = operand(v, why);
    if (failed(r))
      return failure();
    out = *r;
    return success();
  };
  auto bytesConst = [&](std::vector<char> bytes) -> Value {
    auto type = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                      b.getIntegerType(8));
    return ConstantOp::create(
        b, loc, type, g::elementsFromRawBytes(type, bytes, "npu_table"));
  };
  auto scaleConst = [&](double scale) -> Value {
    auto type = RankedTensorType::get({1}, b.getF32Type());
    return ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type,
                               ArrayRef<float>{static_cast<float>(scale)}));
  };
  for (Type t : op->getResultTypes())
    if (!computeType(cast<RankedTensorType>(t).getElementType(), why))
      return failure();
  Type rt = op->getResult(0).getType();
  auto perTensor = [&](Value v) -> std::optional<ref::QuantParams> {
    std::optional<ref::QuantParams> p = params(v);
    if (!p || !p->isPerTensor())
      return std::nullopt;
    return p;
  };

  if (auto q = dyn_cast<g::QuantizeOp>(op)) {
    std::optional<ref::QuantParams> p = perTensor(q.getResult());
    if (!p || !elem(q.getInput()).isF32())
      return fail("per-axis quantization, or from a type other than f32");
    if (!chip.supportsDType(DType::F32))
      return fail(std::string("chip ") + chip.name + " has no f32");
    Value x;
    if (failed(get(q.getInput(), x)))
      return failure();
    if (!elem(x).isF32())
      return fail("the input is not available in f32 on the NPU");
    mapping.map(q.getResult(),
                ConvertOp::create(
                    b, loc, rt, ValueRange{x, scaleConst(p->scales[0])},
                    b.getStringAttr("quant"), nullptr, nullptr,
                    b.getI64IntegerAttr(p->zeroPoints[0]),
                    b.getI64IntegerAttr(p->qmin), b.getI64IntegerAttr(p->qmax))
                    .getResult());
    return success();
  }
  if (auto d = dyn_cast<g::DequantizeOp>(op)) {
    std::optional<ref::QuantParams> p = perTensor(d.getInput());
    if (!p || !elem(d.getResult()).isF32())
      return fail("per-axis dequantization, or to a type other than f32");
    if (!chip.supportsDType(DType::F32))
      return fail(std::string("chip ") + chip.name + " has no f32");
    Value x;
    if (failed(get(d.getInput(), x)))
      return failure();
    mapping.map(d.getResult(),
                ConvertOp::create(b, loc, rt,
                                  ValueRange{x, scaleConst(p->scales[0])},
                                  b.getStringAttr("dequant"), nullptr,
                                  b.getI64IntegerAttr(p->zeroPoints[0]),
                                  nullptr, nullptr, nullptr)
                    .getResult());
    return success();
  }
  // requantize, relu, clip: convert.requant with a clamp.
  if (isa<g::RequantizeOp, g::ReluOp, g::ClipOp>(op)) {
    std::optional<ref::QuantParams> in = perTensor(op->getOperand(0));
    std::optional<ref::QuantParams> out = perTensor(op->getResult(0));
    if (!in || !out)
      return fail("per-axis requantization");
    int64_t lo = out->qmin, hi = out->qmax;
    if (!isa<g::RequantizeOp>(op)) {
      ref::ClampKind kind = ref::ClampKind::Relu;
      double a = 0, bnd = 0;
      if (auto clip = dyn_cast<g::ClipOp>(op)) {
        kind = ref::ClampKind::Clip;
        a = clip.getMin() ? clip.getMin()->convertToDouble()
                          : -std::numeric_limits<double>::infinity();
        bnd = clip.getMax() ? clip.getMax()->convertToDouble()
                            : std::numeric_limits<double>::infinity();
      }
      std::tie(lo, hi) =
          ref::activationClamp(kind, a, bnd, out->scales[0], out->zeroPoints[0],
                               out->qmin, out->qmax);
    }
    Value x;
    if (failed(get(op->getOperand(0), x)))
      return failure();
    support::Requant r = ref::rescaleMultiplier(in->scales[0], out->scales[0]);
    Value table = bytesConst(requantTable({r}, 1, {}));
    mapping.map(op->getResult(0),
                ConvertOp::create(b, loc, rt, ValueRange{x, table},
                                  b.getStringAttr("requant"), nullptr,
                                  b.getI64IntegerAttr(in->zeroPoints[0]),
                                  b.getI64IntegerAttr(out->zeroPoints[0]),
                                  b.getI64IntegerAttr(lo),
                                  b.getI64IntegerAttr(hi))
                    .getResult());
    return success();
  }
  if (isa<g::ConvOp, g::MatMulOp>(op)) {
    std::string error;
    FailureOr<ref::OutputStage> st = g::getOutputStage(op, error);
    if (failed(st))
      return fail("quantized " + op->getName().stripDialect().str() +
                  " without an integer output stage: " + error);
    Value xv = op->getOperand(0), wv = op->getOperand(1);
    Value biasV = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
    std::optional<ref::QuantParams> pin = perTensor(xv);
    std::optional<ref::QuantParams> pw = params(wv);
    if (!pin || !pw)
      return fail("per-axis activations");
    int64_t zw = pw->zeroPoints[0];
    for (int64_t z : pw->zeroPoints)
      if (z != zw)
        return fail("per-channel weight zero points");
    auto wc = wv.getDefiningOp<g::ConstantOp>();
    if (!wc)
      return fail("the weights are not a constant");
    std::vector<int64_t> bias;
    if (biasV) {
      auto bc = biasV.getDefiningOp<g::ConstantOp>();
      if (!bc)
        return fail("the bias is not a constant");
      FailureOr<ref::Tensor> bt = g::toTensor(bc.getValue(), error);
      if (failed(bt))
        return fail("cannot read the bias: " + error);
      for (int64_t i = 0; i < bt->numel(); ++i)
        bias.push_back(bt->getI(i));
    }
    auto outT = cast<RankedTensorType>(rt);
    int64_t n = outT.getShape().back();
    if (!bias.empty() && static_cast<int64_t>(bias.size()) != n)
      return fail("the bias is not one value per output channel");
    Value x, w;
    if (failed(get(xv, x)))
      return failure();
    auto wt = cast<RankedTensorType>(wv.getType());
    if (auto conv = dyn_cast<g::ConvOp>(op)) {
      if (!conv.isChannelsLast() || conv.getInput().getType().getRank() != 4)
        return fail("the conv is not a 2-D NHWC conv");
      w = constantOf(wc.getValue(), wt.getElementType(), wt.getShape(), why);
      if (!w)
        return failure();
      Value table = bytesConst(requantTable(st->requants, n, bias));
      ArrayRef<int64_t> pads = conv.getPads();
      auto ks = wt.getShape();
      mapping.map(
          conv.getResult(),
          ConvOp::create(
              b, loc, rt, ValueRange{x, w, table},
              b.getDenseI64ArrayAttr({ks[1], ks[2]}),
              b.getDenseI64ArrayAttr(conv.getStrides()),
              b.getDenseI64ArrayAttr(conv.getDilations()),
              b.getDenseI64ArrayAttr({pads[0], pads[1], pads[2], pads[3]}),
              b.getI64IntegerAttr(conv.getGroup()), b.getUnitAttr(),
              b.getI64IntegerAttr(pin->zeroPoints[0]), b.getI64IntegerAttr(zw),
              b.getI64IntegerAttr(st->zeroPoint), b.getI64IntegerAttr(st->lo),
              b.getI64IntegerAttr(st->hi), nullptr, nullptr)
              .getResult());
      return success();
    }
    // matmul: a constant [K][N] right operand.
    for (int64_t d : wt.getShape().drop_back(2))
      if (d != 1)
        return fail("a batched constant right operand");
    if (wt.getRank() < 2)
      return fail("a rank-1 right operand");
    w = constantOf(wc.getValue(), wt.getElementType(),
                   wt.getShape().take_back(2), why);
    if (!w)
      return failure();
    Value table = bytesConst(requantTable(st->requants, n, bias));
    mapping.map(op->getResult(0),
                MatmulOp::create(
                    b, loc, rt, ValueRange{x, w, table}, b.getUnitAttr(),
                    b.getUnitAttr(), b.getI64IntegerAttr(pin->zeroPoints[0]),
                    b.getI64IntegerAttr(zw), b.getI64IntegerAttr(st->zeroPoint),
                    b.getI64IntegerAttr(st->lo), b.getI64IntegerAttr(st->hi),
                    nullptr, nullptr)
                    .getResult());
    return success();
  }
  if (isa<g::AddOp, g::SubOp, g::MulOp>(op)) {
    std::string error;
    FailureOr<g::ElementwiseStage> st = g::getElementwiseStage(op, error);
    if (failed(st))
      return fail("quantized elementwise op: " + error);
    Value x, y;
    if (failed(get(op->getOperand(0), x)) || failed(get(op->getOperand(1), y)))
      return failure();
    support::Requant identity{1 << 30, -1};
    support::Requant ra = st->isMul ? identity : st->add.lhs;
    support::Requant rb = st->isMul ? identity : st->add.rhs;
    support::Requant ro = st->isMul ? st->mul : st->add.out;
    StringRef kind = st->isMul ? "mul" : st->isSub ? "sub" : "add";
    mapping.map(op->getResult(0),
                EltwiseOp::create(
                    b, loc, rt,
                    ValueRange{x, y, bytesConst(requantTable({ra}, 1, {})),
                               bytesConst(requantTable({rb}, 1, {})),
                               bytesConst(requantTable({ro}, 1, {}))},
                    b.getStringAttr(kind), b.getUnitAttr(),
                    TypeAttr::get(b.getI32Type()),
                    b.getI64IntegerAttr(st->lhs.zeroPoints[0]),
                    b.getI64IntegerAttr(st->rhs.zeroPoints[0]),
                    b.getI64IntegerAttr(st->out.zeroPoints[0]),
                    b.getI64IntegerAttr(st->lo), b.getI64IntegerAttr(st->hi))
                    .getResult());
    return success();
  }
  if (auto l = dyn_cast<g::LutOp>(op)) {
    std::optional<ref::QuantParams> in = perTensor(l.getInput());
    auto outT = cast<RankedTensorType>(rt);
    std::optional<DType> od = npuDType(outT.getElementType());
    if (!in || !od || dtypeBytes(*od) != 1 || l.getTable().size() != 256 ||
        (in->storage != ref::DType::I8 && in->storage != ref::DType::U8))
      return fail("lookup tables of other than 8-bit types");
    Value x;
    if (failed(get(l.getInput(), x)))
      return failure();
    std::vector<char> table(256);
    for (int i = 0; i < 256; ++i)
      table[i] = static_cast<char>(l.getTable()[i]);
    mapping.map(l.getResult(),
                ActOp::create(b, loc, rt, ValueRange{x, bytesConst(table)},
                              b.getStringAttr("lut"), nullptr, nullptr, nullptr,
                              nullptr)
                    .getResult());
    return success();
  }
  (void)ctx;
  return fail("the NPU has no lowering for this quantized op");
}

} // namespace tessel::npu::ir
