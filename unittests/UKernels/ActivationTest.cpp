//===- ActivationTest.cpp - Vector activations against libm ---------------===//
//
// Sweeps each activation over a dense grid and checks the error bound the
// documentation states: |got - want| <= ulps * ulp(want) + cancel * |x| *
// 2^-24, the second term for activations that cancel in float by nature
// (hard sigmoid and hard swish near their kinks, GELU where 1 + erf(x)
// vanishes), as any float implementation does.
//
//===----------------------------------------------------------------------===//
#include "TestSupport.h"

#include <cfloat>

using namespace tessel::uk::test;

namespace {

struct ActCase {
  int act;
  double maxUlps;
  double cancel = 0;
};

TEST(UKernelActivation, AccurateOnADenseGrid) {
  const ActCase cases[] = {
      {TESSEL_UK_ACT_NONE, 0},
      {TESSEL_UK_ACT_RELU, 0},
      {TESSEL_UK_ACT_CLIP, 0},
      {TESSEL_UK_ACT_LEAKY_RELU, 1},
      {TESSEL_UK_ACT_SIGMOID, 3},
      {TESSEL_UK_ACT_TANH, 3},
      {TESSEL_UK_ACT_HARD_SIGMOID, 2, 1},
      {TESSEL_UK_ACT_HARD_SWISH, 3, 2},
      {TESSEL_UK_ACT_GELU, 4, 2},
      {TESSEL_UK_ACT_GELU_TANH, 4, 2},
  };
  // -12..12 in steps of 2^-10, plus a few special magnitudes; an odd count
  // exercises the scalar tail.
  std::vector<float> x;
  for (int i = -12 * 1024; i <= 12 * 1024; ++i)
    x.push_back(i / 1024.0f);
  for (float v : {1e-6f, -1e-6f, 30.0f, -30.0f, 80.0f, -80.0f, 100.0f, -100.0f})
    x.push_back(v);
  std::vector<tessel_uk_isa> isas;
  for (int isa = TESSEL_UK_ISA_PORTABLE; isa <= TESSEL_UK_ISA_AVX512; ++isa)
    if (tessel_uk_isa_supported(static_cast<tessel_uk_isa>(isa)))
      isas.push_back(static_cast<tessel_uk_isa>(isa));
  // The activation entry point uses the detected ISA; the kernels' own
  // epilogues use the same code, checked through GEMM for every ISA.
  for (const ActCase &c : cases) {
    auto [alpha, beta] = actParams(c.act);
    std::vector<float> y(x.size());
    tessel_uk_activation_f32(c.act, alpha, beta, x.data(), y.data(),
                             int64_t(x.size()));
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double want = refActivation(c.act, x[i], alpha, beta);
      double err = std::fabs(y[i] - want);
      double ulp = std::nextafter(float(std::fabs(want)), FLT_MAX) -
                   float(std::fabs(want));
      double excess = err - c.cancel * std::fabs(x[i]) * 0x1p-24;
      if (excess <= 1e-30)
        continue;
      double ulps = excess / ulp;
      worst = std::max(worst, ulps);
      ASSERT_LE(ulps, c.maxUlps + 1e-9)
          << "activation " << c.act << " at x = " << x[i] << ": got " << y[i]
          << ", want " << want;
    }
    RecordProperty("worst_ulps_" + std::to_string(c.act),
                   std::to_string(worst));
  }
}

TEST(UKernelActivation, InPlaceAndEveryLength) {
  for (int64_t n = 0; n < 40; ++n) {
    auto x = randomVector(n, uint32_t(n + 1), -3, 3);
    std::vector<float> y = x;
    tessel_uk_activation_f32(TESSEL_UK_ACT_TANH, 0, 0, y.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], std::tanh(double(x[i])), 4e-7) << n << " " << i;
  }
}

} // namespace
