//===- NormalizationTest.cpp - batchNorm, layerNorm, softmax --------------===//
#include "RefTestUtils.h"

#include <cmath>
#include <limits>

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

TEST(BatchNormTest, NormalizesPerChannel) {
  // x [N=1, C=2, L=2]; channel 0 is (x - 1.5) / 0.5, channel 1 is
  // 2 (x - 3.5) / 0.5 + 1.
  Tensor x = f32({1, 2, 2}, {1, 2, 3, 4});
  Tensor scale = f32({2}, {1, 2}), bias = f32({2}, {0, 1});
  Tensor mean = f32({2}, {1.5, 3.5}), var = f32({2}, {0.25, 0.25});
  EXPECT_TRUE(matches(batchNorm(x, scale, bias, mean, var, 0.0, false),
                      f32({1, 2, 2}, {-1, 1, -1, 3})));
  // Channels-last: the same numbers, channel is the last dim.
  Tensor xl = f32({1, 2, 2}, {1, 3, 2, 4});
  EXPECT_TRUE(matches(batchNorm(xl, scale, bias, mean, var, 0.0, true),
                      f32({1, 2, 2}, {-1, -1, 1, 3})));
}

TEST(BatchNormTest, EpsilonIsAddedToTheVariance) {
  // (4 - 0) / sqrt(0 + 4) = 2.
  Tensor one = f32({1}, {1}), zero = f32({1}, {0});
  EXPECT_TRUE(
      matches(batchNorm(f32({1, 1}, {4}), one, zero, zero, zero, 4.0, false),
              f32({1, 1}, {2})));
}

TEST(BatchNormTest, RejectsBadOperands) {
  Tensor c2 = f32({2}, {1, 1});
  Tensor c3 = f32({3}, {1, 1, 1});
  EXPECT_TRUE(
      failsWith(batchNorm(f32({1, 2}, {1, 2}), c3, c2, c2, c2, 0, false),
                "scale must have shape [2] (the channels of x "
                "f32[1x2]), got f32[3]"));
  EXPECT_TRUE(
      failsWith(batchNorm(i32({1, 2}, {1, 2}), c2, c2, c2, c2, 0, false),
                "BatchNormalization: unsupported element type i32"));
  EXPECT_TRUE(failsWith(batchNorm(f32({2}, {1, 2}), c2, c2, c2, c2, 0, false),
                        "x must have rank >= 2"));
}

TEST(LayerNormTest, NormalizesTrailingDims) {
  // Rows [1 2 3] and [2 4 6]: (x - mean) / std gives (-1.2247, 0, 1.2247) for
  // both (population variance 2/3 and 8/3); then * [1 2 3] + [0 0 1].
  Tensor x = f64({2, 3}, {1, 2, 3, 2, 4, 6});
  Tensor scale = f64({3}, {1, 2, 3}), bias = f64({3}, {0, 0, 1});
  double k = 1.224744871391589; // sqrt(3/2)
  EXPECT_TRUE(matches(layerNorm(x, scale, &bias, 1, 0.0),
                      f64({2, 3}, {-k, 0, 3 * k + 1, -k, 0, 3 * k + 1}),
                      1e-14));
  // Axis 0 normalizes all six values together: mean 3, variance 8/3.
  double s = std::sqrt(8.0 / 3.0);
  Tensor two = f64({}, {2});
  EXPECT_TRUE(matches(layerNorm(x, two, nullptr, 0, 0.0),
                      f64({2, 3}, {-4 / s, -2 / s, 0, -2 / s, 2 / s, 6 / s}),
                      1e-14));
}

TEST(LayerNormTest, RejectsBadOperands) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(failsWith(layerNorm(x, f32({2}, {1, 1}), nullptr, 1, 1e-5),
                        "scale f32[2] does not broadcast to the normalized "
                        "dims 3"));
  EXPECT_TRUE(failsWith(layerNorm(x, f32({3}, {1, 1, 1}), nullptr, 2, 1e-5),
                        "axis 2 is out of range"));
}

TEST(SoftmaxTest, SoftmaxAndLogSoftmax) {
  Tensor x = f64({3}, {1, 2, 3});
  // e^x / (e + e^2 + e^3).
  EXPECT_TRUE(matches(
      softmax(x, 0, false),
      f64({3}, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218}),
      1e-15));
  // x - log(e + e^2 + e^3) = x - 3.40760596444438.
  EXPECT_TRUE(matches(
      softmax(x, 0, true),
      f64({3}, {-2.40760596444438, -1.40760596444438, -0.40760596444438}),
      1e-14));
}

TEST(SoftmaxTest, LargeInputsDoNotOverflow) {
  // e^1000 overflows double; subtracting the max gives the same result as
  // for [1, 2, 3].
  Tensor x = f64({3}, {1000, 1001, 1002});
  EXPECT_TRUE(matches(
      softmax(x, 0, false),
      f64({3}, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218}),
      1e-15));
  EXPECT_TRUE(matches(
      softmax(x, 0, true),
      f64({3}, {-2.40760596444438, -1.40760596444438, -0.40760596444438}),
      1e-12));
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(
      matches(softmax(f32({2}, {-inf, 0}), 0, false), f32({2}, {0, 1})));
}

TEST(SoftmaxTest, AlongAnInnerAxis) {
  // Columns of [[0, ln 3], [0, ln 3]] along axis 0 are uniform; along axis
  // 1 the rows are [1/4, 3/4].
  Tensor x = f64({2, 2}, {0, std::log(3.0), 0, std::log(3.0)});
  EXPECT_TRUE(
      matches(softmax(x, 0, false), f64({2, 2}, {0.5, 0.5, 0.5, 0.5}), 1e-15));
  EXPECT_TRUE(matches(softmax(x, 1, false),
                      f64({2, 2}, {0.25, 0.75, 0.25, 0.75}), 1e-15));
}

TEST(SoftmaxTest, RejectsBadOperands) {
  EXPECT_TRUE(failsWith(softmax(f32({2}, {1, 2}), 1, false),
                        "Softmax: axis 1 is out of range for x f32[2]"));
  EXPECT_TRUE(failsWith(softmax(i32({2}, {1, 2}), 0, true),
                        "LogSoftmax: unsupported element type i32"));
}

} // namespace
