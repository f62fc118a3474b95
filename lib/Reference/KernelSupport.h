//===- KernelSupport.h - Helpers of the reference kernels -------*- C++ -*-===//
//
// Private to lib/Reference: error building, element access that respects
// unsigned 64-bit storage, index arithmetic and the broadcasting loop every
// elementwise kernel uses. Plain C++ (the standard library only).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_REFERENCE_KERNELSUPPORT_H
#define TESSEL_LIB_REFERENCE_KERNELSUPPORT_H

#include "tessel/Reference/Kernels.h"

#include <array>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>

namespace tessel::ref::detail {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// An error message that converts to any failed Result, so that kernels can
/// write `return fail("Conv: ...", x.typeString());`.
struct Failure {
  std::string message;
  template <typename T> operator Result<T>() const {
    return Result<T>::error(message);
  }
};

inline void appendTo(std::ostringstream &os, const Shape &s) {
  os << shapeToString(s);
}
inline void appendTo(std::ostringstream &os, DType t) { os << name(t); }
template <typename T> void appendTo(std::ostringstream &os, const T &v) {
  os << v;
}

/// Concatenates its arguments (shapes print as "2x3", dtypes by name).
template <typename... Ts> std::string str(const Ts &...parts) {
  std::ostringstream os;
  (appendTo(os, parts), ...);
  return os.str();
}

template <typename... Ts> Failure fail(const Ts &...parts) {
  return Failure{str(parts...)};
}

/// "<op>: unsupported element type <dtype> (<what>: <type>)".
inline Failure unsupported(const char *op, const Tensor &t,
                           const char *what = "x") {
  return fail(op, ": unsupported element type ", t.dtype(), " (", what, ": ",
              t.typeString(), ")");
}

/// Checks that each non-null operand is well formed: dims >= 0 and storage
/// of numel() elements of the kind its element type uses. A default-built
/// or hand-edited tensor then makes an error, not an out-of-bounds read.
inline std::optional<Failure> malformed(
    const char *op,
    std::initializer_list<std::pair<const Tensor *, const char *>> operands) {
  for (const auto &[t, what] : operands) {
    if (!t)
      continue;
    for (int64_t d : t->shape())
      if (d < 0)
        return fail(op, ": ", what, " has a negative dim (",
                    shapeToString(t->shape()), ")");
    size_t stored = t->isFloat() ? t->floats().size() : t->ints().size();
    if (static_cast<int64_t>(stored) != t->numel())
      return fail(op, ": ", what, " ", t->typeString(),
                  " is malformed: ", stored, " stored elements for ",
                  t->numel());
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Element types and access
//===----------------------------------------------------------------------===//

/// Integer types other than Bool.
inline bool isInteger(DType t) { return !isFloat(t) && t != DType::Bool; }

/// The exact value of an integer element: U64 storage holds the bit
/// pattern, so it is reinterpreted as unsigned.
inline __int128 wideInt(DType t, int64_t v) {
  if (t == DType::U64)
    return static_cast<__int128>(static_cast<uint64_t>(v));
  return v;
}

/// Element `i` as a double, reading U64 storage as unsigned.
inline double loadF(const Tensor &t, int64_t i) {
  if (t.isFloat())
    return t.floats()[i];
  if (t.dtype() == DType::U64)
    return static_cast<double>(static_cast<uint64_t>(t.ints()[i]));
  return static_cast<double>(t.ints()[i]);
}

/// Stores the low 64 bits of `v`; setI then wraps to the element type.
inline void storeWide(Tensor &y, int64_t i, __int128 v) {
  y.setI(i, static_cast<int64_t>(static_cast<uint64_t>(v)));
}

/// Low 64 bits of a * b (exact modulo 2^64, no signed overflow).
inline __int128 mulWrap(__int128 a, __int128 b) {
  return static_cast<__int128>(static_cast<uint64_t>(a) *
                               static_cast<uint64_t>(b));
}

/// Calls fn(src, dst) with the raw storage pointers of two tensors of the
/// same element type (double for floats, int64_t otherwise): data movement
/// copies stored values exactly, without a round trip through double.
template <typename Fn> void withStorage(const Tensor &src, Tensor &dst, Fn fn) {
  if (src.isFloat())
    fn(src.floats().data(), dst.floats().data());
  else
    fn(src.ints().data(), dst.ints().data());
}

//===----------------------------------------------------------------------===//
// Index arithmetic
//===----------------------------------------------------------------------===//

/// Floor and ceiling of a / b for b > 0.
inline int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
inline int64_t ceilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

/// Strides to read a tensor of shape `in` at the positions of a broadcast
/// result of shape `out` (right-aligned; 0 along broadcast dims).
inline Shape broadcastStrides(const Shape &in, const Shape &out) {
  Shape strides(out.size(), 0);
  Shape inStrides = stridesOf(in);
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    strides[lead + i] = in[i] == 1 ? 0 : inStrides[i];
  return strides;
}

/// Calls fn(flatOut, offsets) for every element of `out`, in row-major order,
/// with offsets[k] = sum_d index[d] * strides[k][d]. Innermost dim first,
/// no allocation per element.
template <size_t N, typename Fn>
void forEachOffset(const Shape &out, const std::array<Shape, N> &strides,
                   Fn &&fn) {
  int64_t total = numElements(out);
  if (total == 0)
    return;
  int64_t rank = static_cast<int64_t>(out.size());
  std::array<int64_t, N> base{};
  if (rank == 0) {
    fn(int64_t(0), base);
    return;
  }
  Shape idx(rank, 0);
  int64_t inner = out[rank - 1];
  std::array<int64_t, N> innerStride;
  for (size_t k = 0; k < N; ++k)
    innerStride[k] = strides[k][rank - 1];
  for (int64_t flat = 0; flat < total; flat += inner) {
    std::array<int64_t, N> off = base;
    for (int64_t j = 0; j < inner; ++j) {
      fn(flat + j, off);
      for (size_t k = 0; k < N; ++k)
        off[k] += innerStride[k];
    }
    for (int64_t d = rank - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k)
        base[k] += strides[k][d];
      if (++idx[d] < out[d])
        break;
      for (size_t k = 0; k < N; ++k)
        base[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

/// Copies `x` with its dims permuted (y.shape[i] = x.shape[perm[i]]); `perm`
/// must be a valid permutation. Defined in DataMovement.cpp.
Tensor permute(const Tensor &x, const Shape &perm);

/// A copy of `x` with shape `outShape` whose element at multi-index o is
/// x[sum_d tables[d][o_d]] (flat offsets), or `fillValue` (stored as the
/// element type stores it) where any table entry is negative. Defined in
/// DataMovement.cpp.
Tensor copyByTables(const Tensor &x, const Shape &outShape,
                    const std::vector<Shape> &tables, double fillValue = 0.0);

/// The permutation taking [N, D..., C] to [N, C, D...], and its inverse.
inline Shape toChannelsFirst(int64_t rank) {
  Shape perm = {0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  return perm;
}
inline Shape toChannelsLast(int64_t rank) {
  Shape perm = {0};
  for (int64_t d = 2; d < rank; ++d)
    perm.push_back(d);
  perm.push_back(1);
  return perm;
}

/// Whether `axis` names a dim of a tensor of rank `rank`.
inline bool axisInRange(int64_t axis, int64_t rank) {
  return axis >= 0 && axis < rank;
}

} // namespace tessel::ref::detail

#endif // TESSEL_LIB_REFERENCE_KERNELSUPPORT_H
