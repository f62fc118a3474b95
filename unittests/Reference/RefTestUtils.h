//===- RefTestUtils.h - Helpers for the reference kernel tests --*- C++ -*-===//
//
// Tensor builders and assertions whose failure messages name the element
// that differs, so that a failing test explains itself.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_UNITTESTS_REFERENCE_REFTESTUTILS_H
#define TESSEL_UNITTESTS_REFERENCE_REFTESTUTILS_H

#include "tessel/Reference/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace tessel::ref::test {

inline Tensor f32(Shape shape, std::vector<double> data) {
  return Tensor::fromFloats(DType::F32, std::move(shape), std::move(data));
}
inline Tensor f64(Shape shape, std::vector<double> data) {
  return Tensor::fromFloats(DType::F64, std::move(shape), std::move(data));
}
inline Tensor i64(Shape shape, std::vector<int64_t> data) {
  return Tensor::fromInts(DType::I64, std::move(shape), std::move(data));
}
inline Tensor i32(Shape shape, std::vector<int64_t> data) {
  return Tensor::fromInts(DType::I32, std::move(shape), std::move(data));
}
inline Tensor i8(Shape shape, std::vector<int64_t> data) {
  return Tensor::fromInts(DType::I8, std::move(shape), std::move(data));
}
inline Tensor boolean(Shape shape, std::vector<int64_t> data) {
  return Tensor::fromInts(DType::Bool, std::move(shape), std::move(data));
}

/// 0, 1, 2, ... as a float tensor of the given shape.
inline Tensor iota(Shape shape, DType t = DType::F32) {
  std::vector<double> v(numElements(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>(i);
  return Tensor::fromFloats(t, std::move(shape), std::move(v));
}

/// The tensor's elements as doubles (exact for integers below 2^53).
inline std::vector<double> values(const Tensor &t) {
  std::vector<double> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = t.getF(i);
  return v;
}

/// Checks a kernel result: success, element type, shape, and every element
/// (within `tol`; NaN matches NaN).
inline ::testing::AssertionResult matches(const Result<Tensor> &r, DType dtype,
                                          const Shape &shape,
                                          const std::vector<double> &expected,
                                          double tol = 0.0) {
  if (!r)
    return ::testing::AssertionFailure() << "kernel failed: " << r.error();
  const Tensor &t = r.value();
  if (t.dtype() != dtype || t.shape() != shape)
    return ::testing::AssertionFailure()
           << "got " << t.typeString() << ", expected "
           << Tensor(dtype, shape).typeString();
  if (static_cast<int64_t>(expected.size()) != t.numel())
    return ::testing::AssertionFailure()
           << "test bug: " << expected.size() << " expected values for "
           << t.typeString();
  for (int64_t i = 0; i < t.numel(); ++i) {
    double got = t.getF(i), want = expected[i];
    bool ok = (std::isnan(got) && std::isnan(want)) || got == want ||
              std::fabs(got - want) <= tol;
    if (!ok)
      return ::testing::AssertionFailure()
             << "element " << i << " of " << t.typeString() << " is " << got
             << ", expected " << want << " (tolerance " << tol << ")";
  }
  return ::testing::AssertionSuccess();
}

/// Same, for float tensors with the shape and dtype of `expected`.
inline ::testing::AssertionResult
matches(const Result<Tensor> &r, const Tensor &expected, double tol = 0.0) {
  return matches(r, expected.dtype(), expected.shape(), values(expected), tol);
}

/// Checks that a kernel failed with a message containing `needle`.
template <typename T>
::testing::AssertionResult failsWith(const Result<T> &r,
                                     const std::string &needle) {
  if (r)
    return ::testing::AssertionFailure()
           << "kernel succeeded; expected an error containing \"" << needle
           << "\"";
  if (r.error().find(needle) == std::string::npos)
    return ::testing::AssertionFailure()
           << "error \"" << r.error() << "\" does not contain \"" << needle
           << "\"";
  return ::testing::AssertionSuccess();
}

} // namespace tessel::ref::test

#endif // TESSEL_UNITTESTS_REFERENCE_REFTESTUTILS_H
