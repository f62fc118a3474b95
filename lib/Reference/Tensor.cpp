//===- Tensor.cpp - Host tensors for reference evaluation -----------------===//
#include "tessel/Reference/Tensor.h"
#include "tessel/Support/Float16.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace tessel::ref {

bool isFloat(DType t) {
  switch (t) {
  case DType::F16:
  case DType::BF16:
  case DType::F32:
  case DType::F64:
    return true;
  default:
    return false;
  }
}

bool isSigned(DType t) {
  switch (t) {
  case DType::Bool:
  case DType::U8:
  case DType::U16:
  case DType::U32:
  case DType::U64:
    return false;
  default:
    return true;
  }
}

int bitWidth(DType t) {
  switch (t) {
  case DType::Bool:
    return 1;
  case DType::I8:
  case DType::U8:
    return 8;
  case DType::I16:
  case DType::U16:
  case DType::F16:
  case DType::BF16:
    return 16;
  case DType::I32:
  case DType::U32:
  case DType::F32:
    return 32;
  case DType::I64:
  case DType::U64:
  case DType::F64:
    return 64;
  }
  return 0;
}

const char *name(DType t) {
  switch (t) {
  case DType::Bool:
    return "bool";
  case DType::I8:
    return "i8";
  case DType::U8:
    return "u8";
  case DType::I16:
    return "i16";
  case DType::U16:
    return "u16";
  case DType::I32:
    return "i32";
  case DType::U32:
    return "u32";
  case DType::I64:
    return "i64";
  case DType::U64:
    return "u64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  }
  return "?";
}

double roundToFloat(DType t, double v) {
  switch (t) {
  case DType::F16:
    return support::halfToFloat(support::floatToHalf(static_cast<float>(v)));
  case DType::BF16:
    return support::bf16ToFloat(support::floatToBf16(static_cast<float>(v)));
  case DType::F32:
    return static_cast<double>(static_cast<float>(v));
  default:
    return v;
  }
}

int64_t wrapToInt(DType t, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  switch (t) {
  case DType::Bool:
    return v != 0;
  case DType::I8:
    return static_cast<int8_t>(u);
  case DType::U8:
    return static_cast<uint8_t>(u);
  case DType::I16:
    return static_cast<int16_t>(u);
  case DType::U16:
    return static_cast<uint16_t>(u);
  case DType::I32:
    return static_cast<int32_t>(u);
  case DType::U32:
    return static_cast<uint32_t>(u);
  default:
    return v;
  }
}

int64_t saturateToInt(DType t, double v) {
  if (std::isnan(v))
    return 0;
  if (t == DType::Bool)
    return v != 0.0;
  double lo, hi;
  switch (t) {
  case DType::I8:
    lo = -128, hi = 127;
    break;
  case DType::U8:
    lo = 0, hi = 255;
    break;
  case DType::I16:
    lo = -32768, hi = 32767;
    break;
  case DType::U16:
    lo = 0, hi = 65535;
    break;
  case DType::I32:
    lo = -2147483648.0, hi = 2147483647.0;
    break;
  case DType::U32:
    lo = 0, hi = 4294967295.0;
    break;
  case DType::U64:
    if (v <= 0)
      return 0;
    if (v >= 18446744073709551615.0)
      return static_cast<int64_t>(std::numeric_limits<uint64_t>::max());
    return static_cast<int64_t>(static_cast<uint64_t>(std::trunc(v)));
  default: // I64 and float types used as integers.
    if (v <= -9223372036854775808.0)
      return std::numeric_limits<int64_t>::min();
    if (v >= 9223372036854775807.0)
      return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(std::trunc(v));
  }
  double c = std::trunc(v);
  if (c < lo)
    c = lo;
  if (c > hi)
    c = hi;
  return static_cast<int64_t>(c);
}

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Shape stridesOf(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::string shapeToString(const Shape &shape) {
  if (shape.empty())
    return "scalar";
  std::ostringstream os;
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? "x" : "") << shape[i];
  return os.str();
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  if (tessel::ref::isFloat(dtype_))
    f_.assign(numElements(shape_), 0.0);
  else
    i_.assign(numElements(shape_), 0);
}

Tensor Tensor::fromFloats(DType dtype, Shape shape, std::vector<double> data) {
  Tensor t(dtype, std::move(shape));
  assert(static_cast<int64_t>(data.size()) == t.numel() &&
         "element count does not match the shape");
  for (int64_t i = 0, e = t.numel(); i < e; ++i)
    t.setF(i, data[i]);
  return t;
}

Tensor Tensor::fromInts(DType dtype, Shape shape, std::vector<int64_t> data) {
  Tensor t(dtype, std::move(shape));
  assert(static_cast<int64_t>(data.size()) == t.numel() &&
         "element count does not match the shape");
  for (int64_t i = 0, e = t.numel(); i < e; ++i)
    t.setI(i, data[i]);
  return t;
}

int64_t Tensor::getI(int64_t i) const {
  return isFloat() ? saturateToInt(DType::I64, f_[i]) : i_[i];
}

void Tensor::setF(int64_t i, double v) {
  if (isFloat())
    f_[i] = roundToFloat(dtype_, v);
  else
    i_[i] = saturateToInt(dtype_, v);
}

void Tensor::setI(int64_t i, int64_t v) {
  if (isFloat())
    f_[i] = roundToFloat(dtype_, static_cast<double>(v));
  else
    i_[i] = wrapToInt(dtype_, v);
}

Tensor Tensor::reshaped(Shape newShape) const {
  Tensor t = *this;
  assert(numElements(newShape) == numel() && "reshape changes element count");
  t.shape_ = std::move(newShape);
  return t;
}

std::string Tensor::typeString() const {
  return std::string(name(dtype_)) + "[" + shapeToString(shape_) + "]";
}

} // namespace tessel::ref
