//===- ImportQuant.cpp - Quantized ONNX ops into the quantized graph form -===//
//
// QuantizeLinear/DequantizeLinear become graph.quantize/graph.dequantize
// with the parameters in `!quant.uniform` types; QLinearConv, QLinearMatMul,
// ConvInteger and MatMulInteger become graph.conv/graph.matmul on quantized
// types (the integer form of docs/quantization.md). ONNX passes quantized
// tensors around as plain integers: graph.storage_cast reinterprets them
// (and canonicalization removes the cast pairs between ops). Scales and
// zero points must be compile-time constants.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::onnx_import;
namespace g = tessel::graph;

namespace {

LogicalResult setResult(NodeContext &nc, FailureOr<Value> v) {
  if (failed(v))
    return failure();
  nc.setOutput(0, *v);
  return success();
}

/// The storage dtype of an ONNX quantized integer type.
std::optional<ref::DType> storageOf(Type t) {
  auto it = dyn_cast<IntegerType>(t);
  if (!it || it.getWidth() == 1 || it.getWidth() > 32)
    return std::nullopt;
  return g::toDType(t);
}

/// How one tensor is quantized: the scales and zero points as ONNX gives
/// them, and how they spread over the tensor.
struct QuantSpec {
  ref::DType storage = ref::DType::U8;
  Type storageType; ///< The ONNX integer type (ui8, i8, ...).
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  SmallVector<int64_t> paramShape; ///< Shape of the scale tensor.
};

/// Reads the scale input `si` and the optional zero-point input `zi`; the
/// storage type comes from the zero point, else from `fallback` (the
/// quantized tensor's own type, or uint8 for QuantizeLinear).
FailureOr<QuantSpec> readSpec(NodeContext &nc, unsigned si, unsigned zi,
                              Type fallback, StringRef what) {
  QuantSpec s;
  FailureOr<SmallVector<double>> scales =
      nc.requireConstantFloats(si, (what + " scale").str());
  if (failed(scales))
    return failure();
  s.scales = *scales;
  s.paramShape.assign(nc.inputType(si).getShape().begin(),
                      nc.inputType(si).getShape().end());
  s.storageType = fallback;
  if (nc.hasInput(zi)) {
    FailureOr<SmallVector<int64_t>> zps =
        nc.requireConstantInts(zi, (what + " zero point").str());
    if (failed(zps))
      return failure();
    s.zeroPoints = *zps;
    s.storageType = nc.inputElementType(zi);
    if (s.zeroPoints.size() != s.scales.size() && s.zeroPoints.size() != 1) {
      (void)nc.error(what + ": scale and zero point have different sizes");
      return failure();
    }
  }
  if (s.zeroPoints.size() < s.scales.size())
    s.zeroPoints.assign(s.scales.size(),
                        s.zeroPoints.empty() ? 0 : s.zeroPoints[0]);
  std::optional<ref::DType> storage = storageOf(s.storageType);
  if (!storage) {
    InFlightDiagnostic d = nc.emitError();
    d << what << ": quantized type " << s.storageType
      << " is not supported (8-, 16- and 32-bit integers are)";
    return failure();
  }
  s.storage = *storage;
  for (double v : s.scales)
    if (!(v > 0) || !std::isfinite(v)) {
      (void)nc.error(what + ": scales must be positive and finite");
      return failure();
    }
  return s;
}

/// The quantized element type of a tensor of `shape` quantized by `s` along
/// `axis` (per-axis when there is more than one scale), or in blocks of
/// `blockSize` along `axis`.
FailureOr<Type> quantTypeFor(NodeContext &nc, const QuantSpec &s,
                             ArrayRef<int64_t> shape, int64_t axis,
                             int64_t blockSize, StringRef what) {
  MLIRContext *ctx = nc.getContext();
  if (blockSize > 0) {
    if (s.paramShape.size() != shape.size()) {
      (void)nc.error(what + ": blocked quantization needs a scale of the "
                            "input's rank");
      return failure();
    }
    bool isSigned = ref::isSigned(s.storage);
    auto storageType = IntegerType::get(ctx, ref::bitWidth(s.storage));
    auto scaleType = RankedTensorType::get(s.paramShape, Float32Type::get(ctx));
    auto zpType = RankedTensorType::get(s.paramShape, storageType);
    SmallVector<float> scales(s.scales.begin(), s.scales.end());
    SmallVector<APInt> zps;
    for (int64_t z : s.zeroPoints)
      zps.push_back(APInt(ref::bitWidth(s.storage), z, isSigned));
    SmallVector<int32_t> dims;
    SmallVector<int64_t> blocks;
    for (int64_t d = 0, r = shape.size(); d < r; ++d) {
      dims.push_back(d);
      blocks.push_back(d == axis ? blockSize
                                 : (s.paramShape[d] == 1 ? shape[d] : 1));
    }
    int64_t lo = isSigned ? -(int64_t(1) << (ref::bitWidth(s.storage) - 1))
                          : 0;
    int64_t hi = isSigned ? (int64_t(1) << (ref::bitWidth(s.storage) - 1)) - 1
                          : (int64_t(1) << ref::bitWidth(s.storage)) - 1;
    auto t = quant::UniformQuantizedSubChannelType::getChecked(
        [&] { return nc.emitError(); },
        isSigned ? quant::QuantizationFlags::Signed : 0, storageType,
        Float32Type::get(ctx), DenseElementsAttr::get(scaleType, ArrayRef(scales)),
        DenseElementsAttr::get(zpType, zps), dims, blocks, lo, hi);
    if (!t)
      return failure();
    return Type(t);
  }
  if (s.scales.size() == 1)
    return Type(g::makeQuantType(ctx, s.storage, s.scales[0],
                                 s.zeroPoints[0]));
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size()) ||
      shape[axis] != static_cast<int64_t>(s.scales.size())) {
    InFlightDiagnostic d = nc.emitError();
    d << what << ": " << s.scales.size()
      << " scales do not match the size of axis " << axis;
    return failure();
  }
  return Type(g::makePerAxisQuantType(ctx, s.storage, s.scales, s.zeroPoints,
                                      static_cast<int32_t>(axis)));
}

/// `v` (plain integers) reinterpreted as `quantType`.
FailureOr<Value> asQuantized(NodeContext &nc, Value v, Type quantType) {
  auto t = cast<RankedTensorType>(v.getType());
  return nc.buildTyped<g::StorageCastOp>(t.clone(quantType), v);
}

/// `v` (quantized) as the plain integers ONNX expects.
FailureOr<Value> asIntegers(NodeContext &nc, Value v, Type intType) {
  auto t = cast<RankedTensorType>(v.getType());
  return nc.buildTyped<g::StorageCastOp>(t.clone(intType), v);
}

/// The axis of a QuantizeLinear/DequantizeLinear: only per-axis and blocked
/// parameters have one (a per-tensor scale ignores the attribute, whose
/// default 1 is out of range for a 1-D input).
FailureOr<int64_t> quantAxis(NodeContext &nc, const QuantSpec &spec,
                             int64_t rank) {
  if (spec.scales.size() <= 1 && nc.getInt("block_size", 0) == 0)
    return 0;
  return nc.normalizeAxis(nc.getInt("axis", 1), std::max<int64_t>(1, rank));
}

LogicalResult importQuantizeLinear(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  Type fallback = IntegerType::get(nc.getContext(), 8, IntegerType::Unsigned);
  if (nc.opset >= 21 && !nc.hasInput(2) && nc.hasAttr("output_dtype")) {
    fallback = elementTypeFor(nc.getContext(), nc.getInt("output_dtype", 2));
    if (!fallback)
      return nc.error("unsupported output_dtype");
  }
  FailureOr<QuantSpec> spec = readSpec(nc, 1, 2, fallback, "y");
  if (failed(spec))
    return failure();
  FailureOr<int64_t> axis = quantAxis(nc, *spec, x.getRank());
  if (failed(axis))
    return failure();
  FailureOr<Type> qt = quantTypeFor(nc, *spec, x.getShape(), *axis,
                                    nc.getInt("block_size", 0), "y");
  if (failed(qt))
    return failure();
  FailureOr<Value> q = nc.buildTyped<g::QuantizeOp>(x.clone(*qt), nc.input(0));
  if (failed(q))
    return failure();
  return setResult(nc, asIntegers(nc, *q, spec->storageType));
}

LogicalResult importDequantizeLinear(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  FailureOr<QuantSpec> spec =
      readSpec(nc, 1, 2, x.getElementType(), "x");
  if (failed(spec))
    return failure();
  if (spec->storageType != x.getElementType())
    return nc.error("x and x_zero_point have different types");
  FailureOr<int64_t> axis = quantAxis(nc, *spec, x.getRank());
  if (failed(axis))
    return failure();
  FailureOr<Type> qt = quantTypeFor(nc, *spec, x.getShape(), *axis,
                                    nc.getInt("block_size", 0), "x");
  if (failed(qt))
    return failure();
  FailureOr<Value> q = asQuantized(nc, nc.input(0), *qt);
  if (failed(q))
    return failure();
  Type out = nc.inputElementType(1);
  if (nc.opset >= 23 && nc.hasAttr("output_dtype")) {
    out = elementTypeFor(nc.getContext(), nc.getInt("output_dtype", 1));
    if (!out || !isa<FloatType>(out))
      return nc.error("unsupported output_dtype");
  }
  return setResult(nc, nc.buildTyped<g::DequantizeOp>(x.clone(out), *q));
}

/// Reads the window attributes of a Conv-like node (as importConv).
struct ConvAttrs {
  SmallVector<int64_t> strides, dilations, pads;
  int64_t group = 1;
};

FailureOr<ConvAttrs> readConvAttrs(NodeContext &nc, RankedTensorType x,
                                   RankedTensorType w) {
  int64_t n = x.getRank() - 2;
  ConvAttrs a;
  a.strides = nc.getInts("strides").value_or(SmallVector<int64_t>(n, 1));
  a.dilations = nc.getInts("dilations").value_or(SmallVector<int64_t>(n, 1));
  a.group = nc.getInt("group", 1);
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  if (static_cast<int64_t>(a.strides.size()) != n ||
      static_cast<int64_t>(a.dilations.size()) != n) {
    (void)nc.error("strides and dilations need one value per spatial dim");
    return failure();
  }
  if (autoPad == "NOTSET") {
    a.pads = nc.getInts("pads").value_or(SmallVector<int64_t>(2 * n, 0));
  } else if (autoPad == "VALID") {
    a.pads.assign(2 * n, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    a.pads.assign(2 * n, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t in = x.getDimSize(2 + i), s = a.strides[i];
      int64_t out = (in + s - 1) / s;
      int64_t span = (w.getDimSize(2 + i) - 1) * a.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + span - in);
      int64_t small = total / 2, large = total - small;
      a.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      a.pads[n + i] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else {
    (void)nc.error("unknown auto_pad '" + autoPad + "'");
    return failure();
  }
  if (static_cast<int64_t>(a.pads.size()) != 2 * n) {
    (void)nc.error("pads needs two values per spatial dim");
    return failure();
  }
  return a;
}

/// A conv whose result element type is `resultElement` (the shape is
/// inferred).
FailureOr<Value> buildConv(NodeContext &nc, Value x, Value w, Value bias,
                           const ConvAttrs &a, Type resultElement) {
  Builder &b = nc.b;
  OperationState state(nc.loc, g::ConvOp::getOperationName());
  auto args = std::make_tuple(
      b.getDenseI64ArrayAttr(a.strides), b.getDenseI64ArrayAttr(a.dilations),
      b.getDenseI64ArrayAttr(a.pads), b.getI64IntegerAttr(a.group),
      g::LayoutAttr::get(nc.getContext(), g::Layout::NCHW),
      g::ActivationAttr());
  g::ConvOp::build(nc.b, state, TypeRange{}, x, w, bias, std::get<0>(args),
                   std::get<1>(args), std::get<2>(args), std::get<3>(args),
                   std::get<4>(args), std::get<5>(args));
  SmallVector<Type> types;
  if (failed(g::ConvOp::inferReturnTypes(
          nc.getContext(), nc.loc, state.operands,
          state.attributes.getDictionary(nc.getContext()),
          state.getRawProperties(), state.regions, types)))
    return failure();
  return nc.buildTyped<g::ConvOp>(
      cast<RankedTensorType>(types[0]).clone(resultElement), x, w, bias,
      std::get<0>(args), std::get<1>(args), std::get<2>(args),
      std::get<3>(args), std::get<4>(args), std::get<5>(args));
}

FailureOr<Value> buildMatMul(NodeContext &nc, Value a, Value b,
                             Type resultElement) {
  OperationState state(nc.loc, g::MatMulOp::getOperationName());
  g::MatMulOp::build(nc.b, state, TypeRange{}, a, b, Value(),
                     g::ActivationAttr());
  SmallVector<Type> types;
  if (failed(g::MatMulOp::inferReturnTypes(
          nc.getContext(), nc.loc, state.operands,
          state.attributes.getDictionary(nc.getContext()),
          state.getRawProperties(), state.regions, types)))
    return failure();
  return nc.buildTyped<g::MatMulOp>(
      cast<RankedTensorType>(types[0]).clone(resultElement), a, b, Value(),
      g::ActivationAttr());
}

/// The quantized value of input `vi` with scale input `si` and zero point
/// `zi` (per-axis along `axis` when there are several scales).
FailureOr<Value> quantizedInput(NodeContext &nc, unsigned vi, unsigned si,
                                unsigned zi, int64_t axis, StringRef what,
                                QuantSpec *specOut = nullptr) {
  RankedTensorType t = nc.inputType(vi);
  FailureOr<QuantSpec> spec = readSpec(nc, si, zi, t.getElementType(), what);
  if (failed(spec))
    return failure();
  if (spec->storageType != t.getElementType()) {
    (void)nc.error(what + " and its zero point have different types");
    return failure();
  }
  FailureOr<Type> qt = quantTypeFor(nc, *spec, t.getShape(), axis, 0, what);
  if (failed(qt))
    return failure();
  if (specOut)
    *specOut = *spec;
  return asQuantized(nc, nc.input(vi), *qt);
}

LogicalResult importQLinearConv(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0), w = nc.inputType(3);
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return nc.error("QLinearConv needs input and weight of the same rank >= 3");
  FailureOr<ConvAttrs> attrs = readConvAttrs(nc, x, w);
  if (failed(attrs))
    return failure();
  FailureOr<Value> xq = quantizedInput(nc, 0, 1, 2, -1, "x");
  FailureOr<Value> wq =
      failed(xq) ? FailureOr<Value>(failure()) : quantizedInput(nc, 3, 4, 5, 0, "w");
  if (failed(wq))
    return failure();
  FailureOr<QuantSpec> y = readSpec(nc, 6, 7, x.getElementType(), "y");
  if (failed(y))
    return failure();
  if (y->scales.size() != 1)
    return nc.error("y_scale must be a scalar");
  Type yt = g::makeQuantType(nc.getContext(), y->storage, y->scales[0],
                             y->zeroPoints[0]);
  Value bias = nc.hasInput(8) ? nc.input(8) : Value();
  FailureOr<Value> conv = buildConv(nc, *xq, *wq, bias, *attrs, yt);
  if (failed(conv))
    return failure();
  return setResult(nc, asIntegers(nc, *conv, y->storageType));
}

LogicalResult importQLinearMatMul(NodeContext &nc) {
  RankedTensorType a = nc.inputType(0), b = nc.inputType(3);
  if (a.getRank() < 1 || b.getRank() < 1)
    return nc.error("QLinearMatMul needs operands of rank >= 1");
  FailureOr<Value> aq = quantizedInput(nc, 0, 1, 2, -1, "a");
  if (failed(aq))
    return failure();
  FailureOr<Value> bq = quantizedInput(nc, 3, 4, 5, b.getRank() - 1, "b");
  if (failed(bq))
    return failure();
  FailureOr<QuantSpec> y = readSpec(nc, 6, 7, a.getElementType(), "y");
  if (failed(y))
    return failure();
  if (y->scales.size() != 1)
    return nc.error("y_scale must be a scalar");
  Type yt = g::makeQuantType(nc.getContext(), y->storage, y->scales[0],
                             y->zeroPoints[0]);
  FailureOr<Value> mm = buildMatMul(nc, *aq, *bq, yt);
  if (failed(mm))
    return failure();
  return setResult(nc, asIntegers(nc, *mm, y->storageType));
}

/// An integer input with an optional zero-point input, as a quantized value
/// of scale 1 (per-axis along `axis` when the zero point is a vector).
FailureOr<Value> integerInput(NodeContext &nc, unsigned vi, unsigned zi,
                              int64_t axis, StringRef what) {
  RankedTensorType t = nc.inputType(vi);
  std::optional<ref::DType> storage = storageOf(t.getElementType());
  if (!storage) {
    (void)nc.error(what + " must be an 8-bit integer tensor");
    return failure();
  }
  QuantSpec s;
  s.storage = *storage;
  s.storageType = t.getElementType();
  if (nc.hasInput(zi)) {
    FailureOr<SmallVector<int64_t>> zps =
        nc.requireConstantInts(zi, (what + " zero point").str());
    if (failed(zps))
      return failure();
    s.zeroPoints = *zps;
  }
  if (s.zeroPoints.empty())
    s.zeroPoints = {0};
  bool uniform = llvm::all_equal(s.zeroPoints);
  if (uniform)
    s.zeroPoints.resize(1);
  s.scales.assign(s.zeroPoints.size(), 1.0);
  FailureOr<Type> qt = quantTypeFor(nc, s, t.getShape(), axis, 0, what);
  if (failed(qt))
    return failure();
  return asQuantized(nc, nc.input(vi), *qt);
}

LogicalResult importConvInteger(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0), w = nc.inputType(1);
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return nc.error("ConvInteger needs input and weight of the same rank >= 3");
  FailureOr<ConvAttrs> attrs = readConvAttrs(nc, x, w);
  if (failed(attrs))
    return failure();
  FailureOr<Value> xq = integerInput(nc, 0, 2, -1, "x");
  FailureOr<Value> wq = failed(xq) ? FailureOr<Value>(failure()) : integerInput(nc, 1, 3, 0, "w");
  if (failed(wq))
    return failure();
  return setResult(nc, buildConv(nc, *xq, *wq, Value(), *attrs,
                                 nc.b.getI32Type()));
}

LogicalResult importMatMulInteger(NodeContext &nc) {
  RankedTensorType a = nc.inputType(0), b = nc.inputType(1);
  if (a.getRank() < 1 || b.getRank() < 1)
    return nc.error("MatMulInteger needs operands of rank >= 1");
  FailureOr<Value> aq =
      integerInput(nc, 0, 2, std::max<int64_t>(0, a.getRank() - 2), "A");
  FailureOr<Value> bq = failed(aq) ? FailureOr<Value>(failure())
                                   : integerInput(nc, 1, 3, b.getRank() - 1,
                                                  "B");
  if (failed(bq))
    return failure();
  return setResult(nc, buildMatMul(nc, *aq, *bq, nc.b.getI32Type()));
}

} // namespace

void tessel::onnx_import::registerQuantImporters(ImporterRegistry &r) {
  r["QuantizeLinear"] = {importQuantizeLinear, 10};
  r["DequantizeLinear"] = {importDequantizeLinear, 10};
  r["QLinearConv"] = {importQLinearConv, 10};
  r["QLinearMatMul"] = {importQLinearMatMul, 10};
  r["ConvInteger"] = {importConvInteger, 10};
  r["MatMulInteger"] = {importMatMulInteger, 10};
}
