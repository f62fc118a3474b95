//===- TensorConversion.cpp - ElementsAttr <-> reference tensors ----------===//
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Support/Float16.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace tessel;
using ref::DType;

namespace tessel::graph {

std::optional<DType> toDType(Type type) {
  if (auto q = dyn_cast<quant::QuantizedType>(type)) {
    // The quantized type says the signedness of its (signless) storage.
    if (!isa<IntegerType>(q.getStorageType()))
      return std::nullopt;
    type = IntegerType::get(type.getContext(),
                            q.getStorageTypeIntegralWidth(),
                            q.isSigned() ? IntegerType::Signless
                                         : IntegerType::Unsigned);
  }
  if (type.isF16())
    return DType::F16;
  if (type.isBF16())
    return DType::BF16;
  if (type.isF32())
    return DType::F32;
  if (type.isF64())
    return DType::F64;
  auto it = dyn_cast<IntegerType>(type);
  if (!it)
    return std::nullopt;
  bool isUnsigned = it.isUnsigned();
  switch (it.getWidth()) {
  case 1:
    return DType::Bool;
  case 8:
    return isUnsigned ? DType::U8 : DType::I8;
  case 16:
    return isUnsigned ? DType::U16 : DType::I16;
  case 32:
    return isUnsigned ? DType::U32 : DType::I32;
  case 64:
    return isUnsigned ? DType::U64 : DType::I64;
  default:
    return std::nullopt;
  }
}

Type fromDType(MLIRContext *ctx, DType dtype) {
  Builder b(ctx);
  switch (dtype) {
  case DType::Bool:
    return b.getI1Type();
  case DType::I8:
    return b.getIntegerType(8);
  case DType::U8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case DType::I16:
    return b.getIntegerType(16);
  case DType::U16:
    return b.getIntegerType(16, false);
  case DType::I32:
    return b.getI32Type();
  case DType::U32:
    return b.getIntegerType(32, false);
  case DType::I64:
    return b.getI64Type();
  case DType::U64:
    return b.getIntegerType(64, false);
  case DType::F16:
    return b.getF16Type();
  case DType::BF16:
    return b.getBF16Type();
  case DType::F32:
    return b.getF32Type();
  case DType::F64:
    return b.getF64Type();
  }
  return {};
}

/// Decodes `count` elements of `dtype` from packed little-endian bytes; a
/// single element is broadcast (splat).
static void decodeRaw(DType dtype, const char *data, size_t bytes,
                      ref::Tensor &t) {
  int64_t n = t.numel();
  int width = ref::bitWidth(dtype);
  size_t elemBytes = width == 1 ? 1 : width / 8;
  bool splat = bytes < static_cast<size_t>(n) * elemBytes;
  auto at = [&](int64_t i) { return data + (splat ? 0 : i * elemBytes); };
  auto loadU = [&](int64_t i) -> uint64_t {
    uint64_t v = 0;
    std::memcpy(&v, at(i), elemBytes);
    return v;
  };
  for (int64_t i = 0; i < n; ++i) {
    uint64_t u = loadU(i);
    switch (dtype) {
    case DType::Bool:
      t.ints()[i] = (u & 0xff) != 0;
      break;
    case DType::I8:
      t.ints()[i] = static_cast<int8_t>(u);
      break;
    case DType::U8:
      t.ints()[i] = static_cast<uint8_t>(u);
      break;
    case DType::I16:
      t.ints()[i] = static_cast<int16_t>(u);
      break;
    case DType::U16:
      t.ints()[i] = static_cast<uint16_t>(u);
      break;
    case DType::I32:
      t.ints()[i] = static_cast<int32_t>(u);
      break;
    case DType::U32:
      t.ints()[i] = static_cast<uint32_t>(u);
      break;
    case DType::I64:
    case DType::U64:
      t.ints()[i] = static_cast<int64_t>(u);
      break;
    case DType::F16:
      t.floats()[i] = support::halfToFloat(static_cast<uint16_t>(u));
      break;
    case DType::BF16:
      t.floats()[i] = support::bf16ToFloat(static_cast<uint16_t>(u));
      break;
    case DType::F32:
      t.floats()[i] = support::bitsFloat(static_cast<uint32_t>(u));
      break;
    case DType::F64: {
      double d;
      std::memcpy(&d, &u, 8);
      t.floats()[i] = d;
      break;
    }
    }
  }
}

FailureOr<ref::Tensor> toTensor(ElementsAttr attr, std::string &error) {
  auto type = cast<ShapedType>(attr.getType());
  std::optional<DType> dtype = toDType(type.getElementType());
  if (!dtype) {
    llvm::raw_string_ostream os(error);
    os << "element type " << type.getElementType()
       << " has no reference evaluation";
    return failure();
  }
  ref::Shape shape(type.getShape().begin(), type.getShape().end());
  ref::Tensor t(*dtype, shape);
  if (t.numel() == 0)
    return t;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (*dtype == DType::Bool) {
      int64_t i = 0;
      for (bool b : dense.getValues<bool>())
        t.ints()[i++] = b;
      return t;
    }
    ArrayRef<char> raw = dense.getRawData();
    decodeRaw(*dtype, raw.data(), dense.isSplat() ? 0 : raw.size(), t);
    return t;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob) {
      error = "constant resource '" + resource.getRawHandle().getKey().str() +
              "' has no data";
      return failure();
    }
    ArrayRef<char> raw = blob->getData();
    int width = ref::bitWidth(*dtype);
    size_t elemBytes = width == 1 ? 1 : width / 8;
    if (raw.size() != static_cast<size_t>(t.numel()) * elemBytes &&
        raw.size() != elemBytes) {
      error = "constant resource '" + resource.getRawHandle().getKey().str() +
              "' holds " + std::to_string(raw.size()) + " bytes, expected " +
              std::to_string(t.numel() * elemBytes);
      return failure();
    }
    decodeRaw(*dtype, raw.data(),
              raw.size() == elemBytes && t.numel() != 1 ? 0 : raw.size(), t);
    return t;
  }
  // Any other ElementsAttr: go through the generic value iterator.
  if (t.isFloat()) {
    auto values = attr.tryGetValues<APFloat>();
    if (!values) {
      error = "unsupported constant attribute kind";
      return failure();
    }
    int64_t i = 0;
    for (APFloat v : *values)
      t.floats()[i++] = v.convertToDouble();
    return t;
  }
  auto values = attr.tryGetValues<APInt>();
  if (!values) {
    error = "unsupported constant attribute kind";
    return failure();
  }
  int64_t i = 0;
  bool isUnsigned = !ref::isSigned(*dtype);
  for (APInt v : *values)
    t.setI(i++, isUnsigned ? static_cast<int64_t>(v.getZExtValue())
                           : v.getSExtValue());
  return t;
}

FailureOr<ref::Tensor> fromRawBytes(Type elementType, ArrayRef<int64_t> shape,
                                    ArrayRef<char> bytes, std::string &error) {
  std::optional<DType> dtype = toDType(elementType);
  if (!dtype) {
    error = "element type has no reference evaluation";
    return failure();
  }
  ref::Tensor t(*dtype, ref::Shape(shape.begin(), shape.end()));
  int width = ref::bitWidth(*dtype);
  size_t elemBytes = width == 1 ? 1 : width / 8;
  if (bytes.size() != static_cast<size_t>(t.numel()) * elemBytes) {
    error = "expected " + std::to_string(t.numel() * elemBytes) +
            " bytes, got " + std::to_string(bytes.size());
    return failure();
  }
  if (t.numel() > 0)
    decodeRaw(*dtype, bytes.data(), bytes.size(), t);
  return t;
}

std::vector<char> toRawBytes(Type elementType, const ref::Tensor &t) {
  std::optional<DType> dtype = toDType(elementType);
  int width = ref::bitWidth(*dtype);
  size_t elemBytes = width == 1 ? 1 : width / 8;
  int64_t n = t.numel();
  std::vector<char> out(n * elemBytes);
  for (int64_t i = 0; i < n; ++i) {
    char *p = out.data() + i * elemBytes;
    switch (*dtype) {
    case DType::F16: {
      uint16_t h = support::floatToHalf(static_cast<float>(t.getF(i)));
      std::memcpy(p, &h, 2);
      break;
    }
    case DType::BF16: {
      uint16_t h = support::floatToBf16(static_cast<float>(t.getF(i)));
      std::memcpy(p, &h, 2);
      break;
    }
    case DType::F32: {
      float f = static_cast<float>(t.getF(i));
      std::memcpy(p, &f, 4);
      break;
    }
    case DType::F64: {
      double d = t.getF(i);
      std::memcpy(p, &d, 8);
      break;
    }
    default: {
      int64_t v = t.isFloat() ? ref::saturateToInt(*dtype, t.getF(i))
                              : ref::wrapToInt(*dtype, t.getI(i));
      std::memcpy(p, &v, elemBytes); // Little-endian host.
      break;
    }
    }
  }
  return out;
}

std::optional<ArrayRef<char>> getRawBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (type.getElementType().isInteger(1))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat() && type.getNumElements() != 1)
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

ElementsAttr elementsFromRawBytes(RankedTensorType type, ArrayRef<char> bytes,
                                  StringRef nameHint) {
  RankedTensorType storageType = type;
  if (auto q = dyn_cast<quant::QuantizedType>(type.getElementType()))
    storageType = type.clone(q.getStorageType());
  if (type.getNumElements() <= kMaxInlineElements)
    return DenseElementsAttr::getFromRawBuffer(storageType, bytes);
  size_t align = std::max<size_t>(
      16, ref::bitWidth(*toDType(storageType.getElementType())) / 8);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align);
  return DenseResourceElementsAttr::get(storageType, nameHint,
                                        std::move(blob));
}

static bool isSplatTensor(const ref::Tensor &t) {
  int64_t n = t.numel();
  if (n <= 1)
    return n == 1;
  if (t.isFloat()) {
    const std::vector<double> &f = t.floats();
    for (int64_t i = 1; i < n; ++i)
      if (std::memcmp(&f[i], &f[0], sizeof(double)) != 0)
        return false;
    return true;
  }
  const std::vector<int64_t> &v = t.ints();
  for (int64_t i = 1; i < n; ++i)
    if (v[i] != v[0])
      return false;
  return true;
}

ElementsAttr toElementsAttr(RankedTensorType type, const ref::Tensor &t,
                            StringRef nameHint) {
  Type elementType = type.getElementType();
  // Quantized constants are stored as their storage type.
  RankedTensorType storageType = type;
  if (auto q = dyn_cast<quant::QuantizedType>(elementType))
    storageType = type.clone(q.getStorageType());
  Type storageElt = storageType.getElementType();
  bool splat = isSplatTensor(t);
  if (storageElt.isInteger(1)) {
    SmallVector<bool> bits;
    bits.reserve(t.numel());
    for (int64_t i = 0, e = splat ? 1 : t.numel(); i < e; ++i)
      bits.push_back(t.getI(i) != 0);
    return DenseElementsAttr::get(storageType, bits);
  }
  if (splat || t.numel() <= kMaxInlineElements || t.numel() == 0) {
    std::vector<char> raw;
    if (splat) {
      ref::Tensor one(t.dtype(), {1});
      if (t.isFloat())
        one.floats()[0] = t.floats()[0];
      else
        one.ints()[0] = t.ints()[0];
      raw = toRawBytes(storageElt, one);
      return DenseElementsAttr::getFromRawBuffer(storageType, raw);
    }
    raw = toRawBytes(storageElt, t);
    return DenseElementsAttr::getFromRawBuffer(storageType, raw);
  }
  std::vector<char> raw = toRawBytes(storageElt, t);
  size_t align = std::max<size_t>(1, ref::bitWidth(*toDType(storageElt)) / 8);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      raw, std::max<size_t>(align, 16));
  return DenseResourceElementsAttr::get(storageType, nameHint,
                                        std::move(blob));
}

} // namespace tessel::graph
