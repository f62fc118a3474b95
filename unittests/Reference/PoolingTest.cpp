//===- PoolingTest.cpp - maxPool, avgPool ---------------------------------===//
#include "RefTestUtils.h"

#include <limits>

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

PoolParams pool(Shape kernel, Shape strides, Shape padsBegin, Shape padsEnd,
                Shape dilations = {}) {
  PoolParams p;
  if (dilations.empty())
    dilations.assign(kernel.size(), 1);
  p.kernel = std::move(kernel);
  p.strides = std::move(strides);
  p.dilations = std::move(dilations);
  p.padsBegin = std::move(padsBegin);
  p.padsEnd = std::move(padsEnd);
  return p;
}

TEST(PoolTest, MaxTwoByTwoStrideTwo) {
  EXPECT_TRUE(
      matches(maxPool(iota({1, 1, 4, 4}), pool({2, 2}, {2, 2}, {0, 0}, {0, 0})),
              f32({1, 1, 2, 2}, {5, 7, 13, 15})));
}

TEST(PoolTest, MaxIgnoresPadding) {
  // 3x3 windows centred on each element: the largest in-bounds neighbour.
  // All inputs are negative, so a padding zero would show.
  Tensor x = f32({1, 1, 3, 3}, {-9, -8, -7, -6, -5, -4, -3, -2, -1});
  EXPECT_TRUE(matches(maxPool(x, pool({3, 3}, {1, 1}, {1, 1}, {1, 1})),
                      f32({1, 1, 3, 3}, {-5, -4, -4, -2, -1, -1, -2, -1, -1})));
}

TEST(PoolTest, Dilation) {
  // Kernel 2 with dilation 2 reads x[i] and x[i + 2].
  Tensor x = f32({1, 1, 5}, {1, 5, 2, 4, 3});
  EXPECT_TRUE(matches(maxPool(x, pool({2}, {1}, {0}, {0}, {2})),
                      f32({1, 1, 3}, {2, 5, 3})));
}

TEST(PoolTest, CeilModeAddsAPartialLastWindow) {
  Tensor x = f32({1, 1, 5}, {1, 2, 3, 4, 5});
  PoolParams p = pool({2}, {2}, {0}, {0});
  // Floor: (5 - 2) / 2 + 1 = 2 windows; ceil: 3, the last over x[4] only.
  EXPECT_TRUE(matches(maxPool(x, p), f32({1, 1, 2}, {2, 4})));
  p.ceilMode = true;
  EXPECT_TRUE(matches(maxPool(x, p), f32({1, 1, 3}, {2, 4, 5})));
  // The partial window's divisor is 1 with or without countIncludePad: the
  // position past the input is not explicit padding.
  EXPECT_TRUE(matches(avgPool(x, p), f32({1, 1, 3}, {1.5, 3.5, 5})));
  p.countIncludePad = true;
  EXPECT_TRUE(matches(avgPool(x, p), f32({1, 1, 3}, {1.5, 3.5, 5})));
}

TEST(PoolTest, CeilModeDropsAWindowStartingInTheEndPadding) {
  // Length 4, padsEnd 1: ceil((4 + 1 - 2) / 2) + 1 = 3 windows, but the
  // third would start at 4, inside the end padding: dropped.
  PoolParams p = pool({2}, {2}, {0}, {1});
  p.ceilMode = true;
  EXPECT_TRUE(matches(maxPool(f32({1, 1, 4}, {1, 2, 3, 4}), p),
                      f32({1, 1, 2}, {2, 4})));
}

TEST(PoolTest, CountIncludePadWithCeilMode) {
  // Length 6, kernel 3, stride 2, pads (1, 1), ceil: 4 windows starting at
  // -1, 1, 3, 5. Sums: 1+2, 2+3+4, 4+5+6, 6. In-bounds counts 2, 3, 3, 1;
  // counts inside the padded input [-1, 7): 3, 3, 3, 2 (the last window's
  // position 7 is past the end padding and never counts).
  Tensor x = f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  PoolParams p = pool({3}, {2}, {1}, {1});
  p.ceilMode = true;
  EXPECT_TRUE(matches(maxPool(x, p), f32({1, 1, 4}, {2, 4, 6, 6})));
  EXPECT_TRUE(matches(avgPool(x, p), f32({1, 1, 4}, {1.5, 3, 5, 6})));
  p.countIncludePad = true;
  EXPECT_TRUE(matches(avgPool(x, p), f32({1, 1, 4}, {1, 3, 5, 3})));
}

TEST(PoolTest, AveragePaddedTwoD) {
  // [[1, 2], [3, 4]] with one pad on every side and 2x2 windows: a 3x3
  // output. Without countIncludePad each window averages its in-bounds
  // elements; with it, every divisor is 4.
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  PoolParams p = pool({2, 2}, {1, 1}, {1, 1}, {1, 1});
  EXPECT_TRUE(matches(avgPool(x, p),
                      f32({1, 1, 3, 3}, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4})));
  p.countIncludePad = true;
  EXPECT_TRUE(matches(avgPool(x, p), f32({1, 1, 3, 3}, {0.25, 0.75, 0.5, 1, 2.5,
                                                        1.5, 0.75, 1.75, 1})));
}

TEST(PoolTest, ThreeD) {
  PoolParams p = pool({2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0});
  EXPECT_TRUE(
      matches(maxPool(iota({1, 1, 2, 2, 2}), p), f32({1, 1, 1, 1, 1}, {7})));
  EXPECT_TRUE(
      matches(avgPool(iota({1, 1, 2, 2, 2}), p), f32({1, 1, 1, 1, 1}, {3.5})));
}

TEST(PoolTest, ChannelsLastIsChannelsFirstTransposed) {
  Tensor x = iota({2, 3, 5, 4});
  PoolParams p = pool({3, 2}, {2, 1}, {1, 0}, {1, 1});
  p.ceilMode = true;
  for (bool isMax : {true, false}) {
    p.channelsLast = false;
    Result<Tensor> first = isMax ? maxPool(x, p) : avgPool(x, p);
    ASSERT_TRUE(first.ok()) << first.error();
    p.channelsLast = true;
    Tensor xl = *transpose(x, {0, 2, 3, 1});
    Result<Tensor> last = isMax ? maxPool(xl, p) : avgPool(xl, p);
    EXPECT_TRUE(matches(last, *transpose(*first, {0, 2, 3, 1})))
        << (isMax ? "max" : "avg");
  }
}

TEST(PoolTest, MaxPropagatesNaN) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(
      matches(maxPool(f32({1, 1, 3}, {1, nan, 3}), pool({2}, {1}, {0}, {0})),
              f32({1, 1, 2}, {nan, nan})));
}

TEST(PoolTest, IntegerPooling) {
  // Average truncates toward zero: -7 / 2 = -3.
  PoolParams p = pool({2}, {2}, {0}, {0});
  EXPECT_TRUE(matches(avgPool(i32({1, 1, 4}, {-3, -4, 3, 4}), p),
                      i32({1, 1, 2}, {-3, 3})));
  EXPECT_TRUE(matches(maxPool(i8({1, 1, 4}, {-128, -5, 127, 0}), p),
                      i8({1, 1, 2}, {-5, 127})));
}

TEST(PoolTest, ZeroBatch) {
  EXPECT_TRUE(matches(maxPool(f32({0, 2, 4}, {}), pool({2}, {2}, {0}, {0})),
                      DType::F32, {0, 2, 2}, {}));
}

TEST(PoolTest, RejectsBadParams) {
  Tensor x = iota({1, 1, 4, 4});
  EXPECT_TRUE(failsWith(maxPool(iota({4, 4}), pool({2}, {1}, {0}, {0})),
                        "MaxPool: x must have rank >= 3"));
  EXPECT_TRUE(failsWith(maxPool(x, pool({2}, {1}, {0}, {0})),
                        "kernel must have 2 entries"));
  EXPECT_TRUE(failsWith(avgPool(x, pool({2, 0}, {1, 1}, {0, 0}, {0, 0})),
                        "kernel, strides and dilations must be >= 1"));
  EXPECT_TRUE(failsWith(maxPool(x, pool({5, 1}, {1, 1}, {0, 0}, {0, 0})),
                        "the dilated window (5) is larger than the padded "
                        "input (4)"));
  // A window made only of padding has no maximum (nor an average without
  // countIncludePad).
  EXPECT_TRUE(failsWith(maxPool(f32({1, 1, 1}, {1}), pool({1}, {1}, {1}, {0})),
                        "window 0 of spatial dim 0 covers only padding"));
  EXPECT_TRUE(
      failsWith(maxPool(boolean({1, 1, 1}, {1}), pool({1}, {1}, {0}, {0})),
                "unsupported element type bool"));
}

} // namespace
