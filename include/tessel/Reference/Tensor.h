//===- Tensor.h - Host tensors for reference evaluation ---------*- C++ -*-===//
//
// The reference evaluators are the oracle of Tessel: constant folding,
// quantization calibration and the tests of every back end use them. They are
// plain C++ (the standard library only, no MLIR or LLVM) so that the runtime
// and the simulator's tests can link them too.
//
// Storage: floating-point tensors keep their elements as `double`, rounded to
// the tensor's element type after every store (so an f32 tensor holds exactly
// the values an f32 computation could hold); integer and boolean tensors keep
// theirs as `int64_t`, wrapped to the element type's range on every store.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_REFERENCE_TENSOR_H
#define TESSEL_REFERENCE_TENSOR_H

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tessel::ref {

/// Element types the reference evaluators know.
enum class DType : uint8_t {
  Bool,
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  F16,
  BF16,
  F32,
  F64
};

bool isFloat(DType t);
bool isSigned(DType t); ///< Signed integers and all floats.
int bitWidth(DType t);  ///< Bool is 1.
const char *name(DType t); ///< "f32", "i8", "bool", ...

/// Rounds `v` to the nearest value of floating type `t` (IEEE round to nearest
/// even; overflow to infinity; NaN preserved).
double roundToFloat(DType t, double v);
/// Wraps `v` into integer type `t` modulo 2^bits (two's complement); Bool maps
/// any non-zero value to 1. U64 keeps the bit pattern.
int64_t wrapToInt(DType t, int64_t v);
/// Converts a float to integer type `t`: truncation toward zero, saturating at
/// the type's bounds; NaN becomes 0.
int64_t saturateToInt(DType t, double v);

using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for a scalar).
int64_t numElements(const Shape &shape);
/// Row-major strides of a shape, in elements.
Shape stridesOf(const Shape &shape);
/// "2x3x4" (or "scalar").
std::string shapeToString(const Shape &shape);

/// A dense, row-major host tensor.
class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(DType dtype, Shape shape);

  static Tensor fromFloats(DType dtype, Shape shape, std::vector<double> data);
  static Tensor fromInts(DType dtype, Shape shape, std::vector<int64_t> data);
  static Tensor scalarFloat(DType dtype, double v) {
    return fromFloats(dtype, {}, {v});
  }
  static Tensor scalarInt(DType dtype, int64_t v) {
    return fromInts(dtype, {}, {v});
  }

  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numel() const { return numElements(shape_); }
  bool isFloat() const { return tessel::ref::isFloat(dtype_); }

  /// Element `i` (flat, row-major) as a double, whatever the element type.
  double getF(int64_t i) const {
    return isFloat() ? f_[i] : static_cast<double>(i_[i]);
  }
  /// Element `i` as an integer. Float elements convert as saturateToInt(I64).
  int64_t getI(int64_t i) const;
  /// Stores `v`: rounded for float types; truncated toward zero, saturated
  /// then stored for integer types.
  void setF(int64_t i, double v);
  /// Stores `v`: wrapped for integer types; converted and rounded for floats.
  void setI(int64_t i, int64_t v);

  /// Raw storage (exactly one of them is in use, per isFloat()).
  std::vector<double> &floats() { return f_; }
  const std::vector<double> &floats() const { return f_; }
  std::vector<int64_t> &ints() { return i_; }
  const std::vector<int64_t> &ints() const { return i_; }

  /// The same elements under another shape with the same element count.
  Tensor reshaped(Shape newShape) const;

  /// "f32[1x3x4]".
  std::string typeString() const;

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  std::vector<double> f_;
  std::vector<int64_t> i_;
};

/// The outcome of a reference kernel: a value, or the reason there is none.
/// Kernels never abort on bad input; they say what is wrong.
template <typename T> class Result {
public:
  Result(T value) : value_(std::move(value)), ok_(true) {}
  static Result error(std::string message) {
    Result r;
    r.error_ = std::move(message);
    return r;
  }
  explicit operator bool() const { return ok_; }
  bool ok() const { return ok_; }
  T &value() {
    assert(ok_ && "no value in an error result");
    return value_;
  }
  const T &value() const {
    assert(ok_ && "no value in an error result");
    return value_;
  }
  T &operator*() { return value(); }
  T *operator->() { return &value(); }
  const std::string &error() const { return error_; }

private:
  Result() = default;
  T value_{};
  std::string error_;
  bool ok_ = false;
};

} // namespace tessel::ref

#endif // TESSEL_REFERENCE_TENSOR_H
