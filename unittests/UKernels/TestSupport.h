//===- TestSupport.h - Shared helpers of the micro-kernel tests -*- C++ -*-===//
//
// Reference loops (double accumulation), random data and the configurations
// every test runs on: each instruction set this CPU has (the portable path
// always) times 1, 2 and 3 threads.
//
// Tolerance: a result r of a sum of products with magnitude
// S = sum |a_k * b_k| + |bias| + |residual| may differ from the double
// reference by 1e-5 * (S + 1) (float accumulation in another order) plus
// 4e-6 relative (the vector activations' few ulps).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_UNITTESTS_UKERNELS_TESTSUPPORT_H
#define TESSEL_UNITTESTS_UKERNELS_TESTSUPPORT_H

#include "tessel/UKernels/UKernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tessel::uk::test {

inline std::vector<float> randomVector(size_t n, uint32_t seed,
                                       float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

inline double refActivation(int act, double x, double alpha, double beta) {
  switch (act) {
  case TESSEL_UK_ACT_RELU:
    return x > 0 ? x : 0;
  case TESSEL_UK_ACT_CLIP:
    return std::min(std::max(x, alpha), beta);
  case TESSEL_UK_ACT_LEAKY_RELU:
    return x >= 0 ? x : alpha * x;
  case TESSEL_UK_ACT_SIGMOID:
    return 1 / (1 + std::exp(-x));
  case TESSEL_UK_ACT_TANH:
    return std::tanh(x);
  case TESSEL_UK_ACT_HARD_SIGMOID:
    return std::max(0.0, std::min(1.0, alpha * x + beta));
  case TESSEL_UK_ACT_HARD_SWISH:
    return x * std::max(0.0, std::min(1.0, x / 6 + 0.5));
  case TESSEL_UK_ACT_GELU:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case TESSEL_UK_ACT_GELU_TANH:
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  default:
    return x;
  }
}

/// Default (alpha, beta) of each activation for the tests.
inline std::pair<float, float> actParams(int act) {
  switch (act) {
  case TESSEL_UK_ACT_CLIP:
    return {-0.5f, 0.75f};
  case TESSEL_UK_ACT_LEAKY_RELU:
    return {0.1f, 0.0f};
  case TESSEL_UK_ACT_HARD_SIGMOID:
    return {0.2f, 0.5f};
  default:
    return {0.0f, 0.0f};
  }
}

constexpr int kNumActivations = 10;

/// Checks got against a reference value and the magnitude of its terms.
inline ::testing::AssertionResult near(float got, double ref, double mag) {
  double tol = 1e-5 * (mag + 1) + 4e-6 * std::fabs(ref);
  if (std::fabs(got - ref) <= tol)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << got << ", want " << ref << " (tolerance " << tol << ")";
}

struct Config {
  tessel_uk_context *ctx;
  std::string name;
};

/// Contexts for every supported instruction set x {1, 2, 3} threads, made
/// once per test binary.
inline const std::vector<Config> &configs() {
  static const std::vector<Config> all = [] {
    std::vector<Config> v;
    for (int isa = TESSEL_UK_ISA_PORTABLE; isa <= TESSEL_UK_ISA_AVX512; ++isa) {
      if (!tessel_uk_isa_supported(static_cast<tessel_uk_isa>(isa)))
        continue;
      for (int threads : {1, 2, 3}) {
        tessel_uk_context *ctx = tessel_uk_context_create(threads);
        tessel_uk_context_set_isa(ctx, static_cast<tessel_uk_isa>(isa));
        v.push_back({ctx, std::string(tessel_uk_isa_name(
                              static_cast<tessel_uk_isa>(isa))) +
                              " x" + std::to_string(threads)});
      }
    }
    return v;
  }();
  return all;
}

} // namespace tessel::uk::test

#endif // TESSEL_UNITTESTS_UKERNELS_TESTSUPPORT_H
