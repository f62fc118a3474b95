//===- ConvTest.cpp - NHWC convolutions against reference loops -----------===//
#include "TestSupport.h"

using namespace tessel::uk::test;

namespace {

tessel_uk_conv2d_shape makeShape(int64_t n, int64_t h, int64_t w, int64_t c,
                                 int64_t o, int64_t kh, int64_t kw, int64_t sh,
                                 int64_t sw, int64_t dh, int64_t dw, int64_t pt,
                                 int64_t pl, int64_t pb, int64_t pr,
                                 int64_t groups) {
  return tessel_uk_conv2d_shape{n,  h,  w,  c,  o,  kh, kw, sh,
                                sw, dh, dw, pt, pl, pb, pr, groups};
}

/// Double reference of an NHWC convolution with an OIHW filter.
void refConv(const tessel_uk_conv2d_shape &s, const std::vector<float> &in,
             const std::vector<float> &w, const float *bias, const float *res,
             int act, float alpha, float beta, std::vector<double> &out,
             std::vector<double> &mag) {
  const int64_t OH = tessel_uk_conv2d_out_h(&s),
                OW = tessel_uk_conv2d_out_w(&s);
  const int64_t Cg = s.in_c / s.groups, Og = s.out_c / s.groups;
  out.assign(s.batch * OH * OW * s.out_c, 0);
  mag.assign(out.size(), 0);
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t o = 0; o < s.out_c; ++o) {
          const int64_t g = o / Og;
          double acc = 0, m = 0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < s.kernel_h; ++kh)
              for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
                int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.in_h || iw < 0 || iw >= s.in_w)
                  continue;
                double p =
                    double(in[((n * s.in_h + ih) * s.in_w + iw) * s.in_c +
                              g * Cg + c]) *
                    w[((o * Cg + c) * s.kernel_h + kh) * s.kernel_w + kw];
                acc += p;
                m += std::fabs(p);
              }
          const int64_t idx = ((n * OH + oh) * OW + ow) * s.out_c + o;
          if (bias)
            acc += bias[o], m += std::fabs(bias[o]);
          if (res)
            acc += res[idx], m += std::fabs(res[idx]);
          out[idx] = refActivation(act, acc, alpha, beta);
          mag[idx] = m;
        }
}

enum class Kind { Gemm, Depthwise };

void checkConv(const tessel_uk_conv2d_shape &s, Kind kind, bool bias,
               bool residual, int act, uint32_t seed) {
  const int64_t OH = tessel_uk_conv2d_out_h(&s),
                OW = tessel_uk_conv2d_out_w(&s);
  const int64_t Cg = s.in_c / s.groups;
  auto in = randomVector(s.batch * s.in_h * s.in_w * s.in_c, seed);
  auto w = randomVector(s.out_c * Cg * s.kernel_h * s.kernel_w, seed + 1);
  auto b = randomVector(s.out_c, seed + 2);
  const int64_t outSize = s.batch * OH * OW * s.out_c;
  auto res = randomVector(outSize, seed + 3);
  auto [alpha, beta] = actParams(act);
  std::vector<double> ref, mag;
  refConv(s, in, w, bias ? b.data() : nullptr, residual ? res.data() : nullptr,
          act, alpha, beta, ref, mag);

  std::vector<float> packed;
  if (kind == Kind::Gemm) {
    packed.assign(tessel_uk_conv2d_packed_filter_size_f32(&s), -3.0f);
    ASSERT_EQ(tessel_uk_pack_conv2d_filter_f32(&s, w.data(), packed.data()),
              TESSEL_UK_OK);
  } else {
    packed.resize(w.size());
    tessel_uk_pack_depthwise_filter_f32(s.in_c, s.kernel_h, s.kernel_w,
                                        w.data(), packed.data());
  }
  for (const Config &cfg : configs()) {
    SCOPED_TRACE(cfg.name);
    std::vector<float> out(outSize, 555.0f);
    int rc =
        kind == Kind::Gemm
            ? tessel_uk_conv2d_nhwc_f32(cfg.ctx, &s, in.data(), packed.data(),
                                        bias ? b.data() : nullptr,
                                        residual ? res.data() : nullptr,
                                        out.data(), act, alpha, beta)
            : tessel_uk_depthwise_conv2d_nhwc_f32(
                  cfg.ctx, &s, in.data(), packed.data(),
                  bias ? b.data() : nullptr, residual ? res.data() : nullptr,
                  out.data(), act, alpha, beta);
    ASSERT_EQ(rc, TESSEL_UK_OK);
    int failures = 0;
    for (int64_t i = 0; i < outSize && failures < 5; ++i) {
      auto r = near(out[i], ref[i], mag[i]);
      if (!r) {
        ADD_FAILURE() << "output[" << i << "] (pixel " << i / s.out_c
                      << ", channel " << i % s.out_c << "): " << r.message();
        ++failures;
      }
    }
  }
}

TEST(UKernelConv, PointwiseStride1IsThePlainGemm) {
  checkConv(makeShape(2, 5, 7, 19, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1),
            Kind::Gemm, true, true, TESSEL_UK_ACT_RELU, 1);
}

TEST(UKernelConv, PaddingStrideDilation) {
  const tessel_uk_conv2d_shape shapes[] = {
      // 3x3, stride 1, pad 1.
      makeShape(1, 6, 6, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      // Asymmetric pads, stride 2, dilation 2.
      makeShape(1, 9, 8, 4, 17, 3, 3, 2, 2, 2, 2, 1, 0, 2, 1, 1),
      // A 7x7 stride-2 stem on 3 channels, two images.
      makeShape(2, 13, 11, 3, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1),
      // A 1x1 stride-2 downsample (gathered, not in place).
      makeShape(1, 7, 7, 16, 32, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1),
      // A kernel wider than the input, all padding around it.
      makeShape(1, 2, 3, 2, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1),
      // K = 576: three K blocks.
      makeShape(1, 5, 4, 64, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      // Dilation in w only (per-tap gather path) and stride in h only.
      makeShape(1, 8, 9, 6, 5, 2, 3, 2, 1, 1, 3, 0, 2, 1, 2, 1),
      // A single output pixel.
      makeShape(1, 3, 3, 4, 4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1),
  };
  uint32_t seed = 10;
  for (const auto &s : shapes) {
    checkConv(s, Kind::Gemm, true, false, TESSEL_UK_ACT_NONE, seed += 10);
    checkConv(s, Kind::Gemm, false, true, TESSEL_UK_ACT_CLIP, seed += 10);
  }
}

TEST(UKernelConv, WideRowsReadTheInputInPlace) {
  // Output rows of >= 4 register tiles take A straight from the input
  // (rows stride_w * C apart) and gather only the padded edges.
  const tessel_uk_conv2d_shape shapes[] = {
      makeShape(1, 4, 52, 3, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      // Stem-like: 7x7 stride 2, pads 3 and 2, two images.
      makeShape(2, 5, 101, 3, 33, 7, 7, 2, 2, 1, 1, 3, 3, 2, 2, 1),
      // A kernel row of 3 x 150 floats: two K blocks per kernel row; kernel
      // rows entirely in padding at the top and bottom.
      makeShape(1, 2, 49, 150, 20, 3, 3, 1, 1, 1, 1, 2, 1, 2, 1, 1),
      // h dilation and stride, asymmetric w pads.
      makeShape(1, 7, 60, 4, 18, 3, 2, 2, 1, 2, 1, 1, 0, 2, 1, 1),
  };
  uint32_t seed = 300;
  for (const auto &s : shapes) {
    checkConv(s, Kind::Gemm, true, true, TESSEL_UK_ACT_RELU, seed += 10);
    checkConv(s, Kind::Gemm, false, false, TESSEL_UK_ACT_NONE, seed += 10);
  }
}

TEST(UKernelConv, GroupsArePerGroupGemms) {
  checkConv(makeShape(1, 6, 5, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),
            Kind::Gemm, true, true, TESSEL_UK_ACT_NONE, 1);
  checkConv(makeShape(2, 7, 7, 6, 9, 3, 3, 2, 1, 2, 1, 2, 1, 1, 1, 3),
            Kind::Gemm, true, false, TESSEL_UK_ACT_RELU, 2);
  checkConv(makeShape(1, 4, 4, 64, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 4),
            Kind::Gemm, false, true, TESSEL_UK_ACT_NONE, 3);
  // Depthwise through the general path: correct, if slow.
  checkConv(makeShape(1, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3),
            Kind::Gemm, true, false, TESSEL_UK_ACT_NONE, 4);
}

TEST(UKernelConv, Depthwise) {
  const tessel_uk_conv2d_shape shapes[] = {
      makeShape(1, 12, 12, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32),
      makeShape(1, 11, 13, 19, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 19),
      makeShape(2, 9, 14, 5, 5, 3, 3, 1, 1, 1, 1, 0, 1, 2, 1, 5),
      makeShape(1, 10, 16, 16, 16, 5, 5, 1, 2, 2, 1, 4, 2, 4, 2, 16),
      makeShape(1, 4, 20, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      makeShape(1, 3, 2, 48, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 48),
  };
  uint32_t seed = 50;
  for (const auto &s : shapes) {
    checkConv(s, Kind::Depthwise, true, false, TESSEL_UK_ACT_CLIP, seed += 10);
    checkConv(s, Kind::Depthwise, false, true, TESSEL_UK_ACT_HARD_SWISH,
              seed += 10);
  }
}

TEST(UKernelConv, InvalidShapesAreRejected) {
  std::vector<float> buf(1024);
  auto s = makeShape(1, 4, 4, 6, 4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 4);
  // 6 channels do not split into 4 groups.
  EXPECT_EQ(tessel_uk_conv2d_nhwc_f32(nullptr, &s, buf.data(), buf.data(),
                                      nullptr, nullptr, buf.data(), 0, 0, 0),
            TESSEL_UK_ERR_INVALID);
  // A kernel larger than the padded input has no output.
  s = makeShape(1, 2, 2, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
  EXPECT_EQ(tessel_uk_conv2d_nhwc_f32(nullptr, &s, buf.data(), buf.data(),
                                      nullptr, nullptr, buf.data(), 0, 0, 0),
            TESSEL_UK_ERR_INVALID);
  // Depthwise needs groups == in_c == out_c.
  s = makeShape(1, 4, 4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4);
  EXPECT_EQ(tessel_uk_depthwise_conv2d_nhwc_f32(nullptr, &s, buf.data(),
                                                buf.data(), nullptr, nullptr,
                                                buf.data(), 0, 0, 0),
            TESSEL_UK_ERR_INVALID);
}

} // namespace
