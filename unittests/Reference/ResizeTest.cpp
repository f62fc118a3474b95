//===- ResizeTest.cpp - resize --------------------------------------------===//
#include "RefTestUtils.h"

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

using Mode = ResizeParams::Mode;
using CoordMode = ResizeParams::CoordMode;
using NearestMode = ResizeParams::NearestMode;

ResizeParams params(Mode mode, CoordMode coord, std::vector<double> scales,
                    Shape outShape) {
  ResizeParams p;
  p.mode = mode;
  p.coordMode = coord;
  p.scales = std::move(scales);
  p.outShape = std::move(outShape);
  return p;
}

TEST(ResizeNearestTest, EveryNearestMode) {
  // 4 -> 3 with half_pixel: x = (o + 0.5) / 0.75 - 0.5 = 1/6, 1.5, 17/6.
  Tensor x = f32({4}, {10, 20, 30, 40});
  ResizeParams p = params(Mode::Nearest, CoordMode::HalfPixel, {0.75}, {3});
  p.nearestMode = NearestMode::RoundPreferFloor; // 0, 1 (tie), 3
  EXPECT_TRUE(matches(resize(x, p), f32({3}, {10, 20, 40})));
  p.nearestMode = NearestMode::RoundPreferCeil; // 0, 2 (tie), 3
  EXPECT_TRUE(matches(resize(x, p), f32({3}, {10, 30, 40})));
  p.nearestMode = NearestMode::Floor; // 0, 1, 2
  EXPECT_TRUE(matches(resize(x, p), f32({3}, {10, 20, 30})));
  p.nearestMode = NearestMode::Ceil; // 1, 2, 3
  EXPECT_TRUE(matches(resize(x, p), f32({3}, {20, 30, 40})));
}

TEST(ResizeNearestTest, UpsampleClampsNegativeCoordinates) {
  // half_pixel, 2 -> 4: x = -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1.
  ResizeParams p = params(Mode::Nearest, CoordMode::HalfPixel, {2}, {4});
  EXPECT_TRUE(matches(resize(f32({2}, {1, 2}), p), f32({4}, {1, 1, 2, 2})));
  // asymmetric with floor: x = o / 2 -> 0, 0, 1, 1 as well.
  p.coordMode = CoordMode::Asymmetric;
  p.nearestMode = NearestMode::Floor;
  EXPECT_TRUE(matches(resize(f32({2}, {1, 2}), p), f32({4}, {1, 1, 2, 2})));
}

TEST(ResizeNearestTest, CopiesIntegersExactlyOnNchw) {
  // N and C keep scale 1; H and W double.
  Tensor x = i8({1, 1, 2, 2}, {-128, 127, 1, 2});
  ResizeParams p =
      params(Mode::Nearest, CoordMode::Asymmetric, {1, 1, 2, 2}, {1, 1, 4, 4});
  p.nearestMode = NearestMode::Floor;
  EXPECT_TRUE(matches(resize(x, p),
                      i8({1, 1, 4, 4}, {-128, -128, 127, 127, -128, -128, 127,
                                        127, 1, 1, 2, 2, 1, 1, 2, 2})));
}

TEST(ResizeLinearTest, CoordinateModesOneD) {
  Tensor x = f64({2}, {1, 2});
  // half_pixel: x = -0.25, 0.25, 0.75, 1.25, clamped into [0, 1].
  ResizeParams p = params(Mode::Linear, CoordMode::HalfPixel, {2}, {4});
  EXPECT_TRUE(matches(resize(x, p), f64({4}, {1, 1.25, 1.75, 2})));
  // pytorch_half_pixel equals half_pixel for outputs longer than 1.
  p.coordMode = CoordMode::PytorchHalfPixel;
  EXPECT_TRUE(matches(resize(x, p), f64({4}, {1, 1.25, 1.75, 2})));
  // align_corners: x = o * (2 - 1) / (4 - 1) = 0, 1/3, 2/3, 1.
  p.coordMode = CoordMode::AlignCorners;
  EXPECT_TRUE(matches(resize(x, p), f64({4}, {1, 4.0 / 3, 5.0 / 3, 2}), 1e-15));
  // asymmetric: x = o / 2 = 0, 0.5, 1, 1.5 (clamped).
  p.coordMode = CoordMode::Asymmetric;
  EXPECT_TRUE(matches(resize(x, p), f64({4}, {1, 1.5, 2, 2})));
}

TEST(ResizeLinearTest, PytorchHalfPixelMapsALengthOneOutputToZero) {
  // 4 -> 1: pytorch_half_pixel reads x = 0; half_pixel reads
  // (0 + 0.5) / 0.25 - 0.5 = 1.5, halfway between 2 and 3.
  Tensor x = f64({4}, {1, 2, 3, 4});
  ResizeParams p =
      params(Mode::Linear, CoordMode::PytorchHalfPixel, {0.25}, {1});
  EXPECT_TRUE(matches(resize(x, p), f64({1}, {1})));
  p.coordMode = CoordMode::HalfPixel;
  EXPECT_TRUE(matches(resize(x, p), f64({1}, {2.5})));
}

TEST(ResizeLinearTest, HalfPixelSymmetric) {
  // 2 -> 3 with scale 1.56: adjustment = 3 / (1.56 * 2), offset =
  // 1 * (1 - adjustment); x = offset + (o + 0.5) / 1.56 - 0.5 gives
  // -0.14, 0.5 (exactly, up to rounding), 1.14 -> 1, 1.5, 2. Plain
  // half_pixel would read 0.4615 for o = 1.
  Tensor x = f64({2}, {1, 2});
  ResizeParams p =
      params(Mode::Linear, CoordMode::HalfPixelSymmetric, {1.56}, {3});
  EXPECT_TRUE(matches(resize(x, p), f64({3}, {1, 1.5, 2}), 1e-12));
}

TEST(ResizeLinearTest, BilinearTwoD) {
  // ONNX's resize_upsample_scales_linear: every output is the bilinear mix
  // of the clamped half_pixel coordinates -0.25, 0.25, 0.75, 1.25 per dim.
  Tensor x = f32({2, 2}, {1, 2, 3, 4});
  ResizeParams p = params(Mode::Linear, CoordMode::HalfPixel, {2, 2}, {4, 4});
  EXPECT_TRUE(matches(resize(x, p),
                      f32({4, 4}, {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5,
                                   2.75, 3.25, 3.5, 3, 3.25, 3.75, 4})));
  p.coordMode = CoordMode::AlignCorners;
  // Rows and columns at 0, 1/3, 2/3, 1: y = 1 + c/3 + 2r/3 (r, c in 0..3).
  std::vector<double> expected;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      expected.push_back(1 + c / 3.0 + 2 * r / 3.0);
  EXPECT_TRUE(matches(resize(x, p), DType::F32, {4, 4}, expected, 1e-6));
}

TEST(ResizeLinearTest, DownsampleUsesTheGivenScales) {
  // ONNX's resize_downsample_scales_linear: scales 0.6 give sizes 1x2, but
  // the coordinates use 0.6, not 1/2 and 2/4: rows at 1/3, columns at
  // 1/3 and 2. Rows mix to [7/3, 10/3, 13/3, 16/3]; columns then give
  // 7/3 * 2/3 + 10/3 * 1/3 = 8/3 and 13/3.
  Tensor x = f64({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  ResizeParams p =
      params(Mode::Linear, CoordMode::HalfPixel, {0.6, 0.6}, {1, 2});
  EXPECT_TRUE(matches(resize(x, p), f64({1, 2}, {8.0 / 3, 13.0 / 3}), 1e-14));
  // Without scales they default to output / input: row coordinate
  // (0.5) / 0.5 - 0.5 = 0.5, columns 0.5 and 2.5.
  p.scales.clear();
  EXPECT_TRUE(matches(resize(x, p), f64({1, 2}, {3.5, 5.5})));
}

TEST(ResizeLinearTest, TfCropAndResizeExtrapolates) {
  Tensor x = f64({5}, {1, 2, 3, 4, 5});
  ResizeParams p = params(Mode::Linear, CoordMode::TfCropAndResize, {0.6}, {3});
  // roi [0.25, 0.75]: x = 0.25 * 4 + o * 0.5 * 4 / 2 = 1, 2, 3.
  p.roi = {0.25, 0.75};
  EXPECT_TRUE(matches(resize(x, p), f64({3}, {2, 3, 4})));
  // roi [0.5, 1.5]: x = 2, 4, 6; 6 > 4 takes the extrapolation value.
  p.roi = {0.5, 1.5};
  p.extrapolationValue = 9;
  EXPECT_TRUE(matches(resize(x, p), f64({3}, {3, 5, 9})));
  p.mode = Mode::Nearest;
  EXPECT_TRUE(matches(resize(x, p), f64({3}, {3, 5, 9})));
  p.roi = {0.5};
  EXPECT_TRUE(failsWith(resize(x, p), "needs a roi of 2 entries, got 1"));
}

TEST(ResizeCubicTest, AsymmetricOneD) {
  // x = o / 2. At fraction t = 0.5 the Keys weights (a = -0.75) of the
  // neighbours floor-1 .. floor+2 are -0.09375, 0.59375, 0.59375, -0.09375
  // (e.g. (a+2) t^3 - (a+3) t^2 + 1 = 0.15625 - 0.5625 + 1). Neighbours
  // outside [0, 3] take the edge value:
  //   o = 1: 1, 1, 2, 3 -> 1.40625;  o = 5: 2, 3, 4, 4 -> 3.59375;
  //   o = 7: 3, 4, 4, 4 -> 4.09375; linear data is reproduced elsewhere.
  Tensor x = f64({4}, {1, 2, 3, 4});
  ResizeParams p = params(Mode::Cubic, CoordMode::Asymmetric, {2}, {8});
  EXPECT_TRUE(matches(resize(x, p),
                      f64({8}, {1, 1.40625, 2, 2.5, 3, 3.59375, 4, 4.09375})));
  // excludeOutside drops the outside neighbours and renormalizes:
  //   o = 1: (0.59375 * 1 + 0.59375 * 2 - 0.09375 * 3) / 1.09375 = 48 / 35;
  //   o = 5: (-0.09375 * 2 + 0.59375 * 3 + 0.59375 * 4) / 1.09375 = 127 / 35;
  //   o = 7: (-0.09375 * 3 + 0.59375 * 4) / 0.5 = 4.1875.
  p.excludeOutside = true;
  EXPECT_TRUE(matches(
      resize(x, p), f64({8}, {1, 48.0 / 35, 2, 2.5, 3, 127.0 / 35, 4, 4.1875}),
      1e-14));
}

TEST(ResizeCubicTest, HalfPixelTwoD) {
  // ONNX's resize_upsample_scales_cubic (4x4 of 1..16, scale 2). At
  // x = -0.25 (floor -1, t = 0.75) the weights are -0.03515625, 0.26171875,
  // 0.87890625, -0.10546875 on neighbours clamped to 0, 0, 0, 1, so a row
  // gives v0 - 0.10546875 (v1 - v0). For y[0][0]: along columns,
  // 1 - 0.10546875; along rows (step 4), 0.89453125 - 0.421875 = 0.47265625.
  std::vector<double> data(16);
  for (int i = 0; i < 16; ++i)
    data[i] = i + 1;
  Tensor x = f64({4, 4}, data);
  ResizeParams p = params(Mode::Cubic, CoordMode::HalfPixel, {2, 2}, {8, 8});
  Result<Tensor> y = resize(x, p);
  ASSERT_TRUE(y.ok()) << y.error();
  std::vector<double> row0 = {0.47265625, 0.76953125, 1.24609375, 1.875,
                              2.28125,    2.91015625, 3.38671875, 3.68359375};
  for (int c = 0; c < 8; ++c)
    EXPECT_DOUBLE_EQ(y->getF(c), row0[c]) << "column " << c;
  EXPECT_DOUBLE_EQ(y->getF(63), 16.52734375);
}

TEST(ResizeTest, UnchangedDimsAreCopied) {
  // Scale 1 and the same size: no interpolation, even of infinities.
  double inf = std::numeric_limits<double>::infinity();
  Tensor x = f64({2, 2}, {inf, 1, 2, 3});
  ResizeParams p = params(Mode::Cubic, CoordMode::HalfPixel, {1, 1}, {2, 2});
  EXPECT_TRUE(matches(resize(x, p), x));
}

TEST(ResizeTest, RejectsBadParams) {
  Tensor x = f32({2}, {1, 2});
  EXPECT_TRUE(failsWith(
      resize(x, params(Mode::Linear, CoordMode::HalfPixel, {2}, {4, 4})),
      "outShape must have 1 entries"));
  EXPECT_TRUE(
      failsWith(resize(x, params(Mode::Linear, CoordMode::HalfPixel, {0}, {4})),
                "scales[0] must be positive and finite"));
  EXPECT_TRUE(
      failsWith(resize(i32({2}, {1, 2}),
                       params(Mode::Linear, CoordMode::HalfPixel, {2}, {4})),
                "Resize (linear): unsupported element type i32"));
  EXPECT_TRUE(
      failsWith(resize(f32({0}, {}),
                       params(Mode::Nearest, CoordMode::HalfPixel, {2}, {2})),
                "is empty and cannot be resized to 2"));
  EXPECT_TRUE(
      matches(resize(f32({0, 2}, {}), params(Mode::Linear, CoordMode::HalfPixel,
                                             {1, 2}, {0, 4})),
              DType::F32, {0, 4}, {}));
}

} // namespace
