//===- Conv.cpp - NHWC convolutions on the GEMM driver --------------------===//
//
// A convolution is a GEMM per group: rows are output pixels (all images),
// columns output channels, K the (kh, kw, c) taps. A is never materialized:
// each task gathers its rows of the current K block (implicit im2col) into
// per-thread scratch. 1x1, stride-1, unpadded, one-group convolutions read
// the input in place. Depthwise convolutions have their own vector kernel,
// threaded over output rows.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include <algorithm>
#include <cstring>

using namespace tessel::uk;

namespace {

bool validShape(const tessel_uk_conv2d_shape *s) {
  if (!s)
    return false;
  if (s->batch < 1 || s->in_h < 1 || s->in_w < 1 || s->in_c < 1 ||
      s->out_c < 1 || s->kernel_h < 1 || s->kernel_w < 1 || s->stride_h < 1 ||
      s->stride_w < 1 || s->dilation_h < 1 || s->dilation_w < 1 ||
      s->pad_top < 0 || s->pad_left < 0 || s->pad_bottom < 0 ||
      s->pad_right < 0 || s->groups < 1)
    return false;
  if (s->in_c % s->groups || s->out_c % s->groups)
    return false;
  return tessel_uk_conv2d_out_h(s) >= 1 && tessel_uk_conv2d_out_w(s) >= 1;
}

int64_t groupK(const tessel_uk_conv2d_shape *s) {
  return s->kernel_h * s->kernel_w * (s->in_c / s->groups);
}

} // namespace

extern "C" {

int64_t tessel_uk_conv2d_out_h(const tessel_uk_conv2d_shape *s) {
  int64_t span = s->in_h + s->pad_top + s->pad_bottom -
                 s->dilation_h * (s->kernel_h - 1) - 1;
  return span < 0 || s->stride_h < 1 ? 0 : span / s->stride_h + 1;
}

int64_t tessel_uk_conv2d_out_w(const tessel_uk_conv2d_shape *s) {
  int64_t span = s->in_w + s->pad_left + s->pad_right -
                 s->dilation_w * (s->kernel_w - 1) - 1;
  return span < 0 || s->stride_w < 1 ? 0 : span / s->stride_w + 1;
}

int64_t
tessel_uk_conv2d_packed_filter_size_f32(const tessel_uk_conv2d_shape *s) {
  if (!validShape(s))
    return 0;
  return s->groups *
         tessel_uk_packed_b_size_f32(groupK(s), s->out_c / s->groups);
}

int tessel_uk_pack_conv2d_filter_f32(const tessel_uk_conv2d_shape *s,
                                     const float *filter, float *out) {
  if (!validShape(s))
    return TESSEL_UK_ERR_INVALID;
  const int64_t G = s->groups, Cg = s->in_c / G, Og = s->out_c / G;
  const int64_t KH = s->kernel_h, KW = s->kernel_w, K = groupK(s);
  const int64_t groupSize = tessel_uk_packed_b_size_f32(K, Og);
  std::memset(out, 0, G * groupSize * sizeof(float));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t o = 0; o < Og; ++o) {
      float *panel = out + g * groupSize +
                     (o / TESSEL_UK_NR) * K * TESSEL_UK_NR + o % TESSEL_UK_NR;
      const float *w = filter + (g * Og + o) * Cg * KH * KW;
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            panel[((kh * KW + kw) * Cg + c) * TESSEL_UK_NR] =
                w[(c * KH + kh) * KW + kw];
    }
  return TESSEL_UK_OK;
}

int tessel_uk_conv2d_nhwc_f32(tessel_uk_context *ctx,
                              const tessel_uk_conv2d_shape *s,
                              const float *input, const float *packed_filter,
                              const float *bias, const float *residual,
                              float *output, int32_t act, float alpha,
                              float beta) {
  if (!validShape(s))
    return TESSEL_UK_ERR_INVALID;
  const int64_t outH = tessel_uk_conv2d_out_h(s),
                outW = tessel_uk_conv2d_out_w(s);
  const int64_t G = s->groups, Cg = s->in_c / G, Og = s->out_c / G;
  const int64_t K = groupK(s);
  Exec e = makeExec(ctx);
  GemmProblem p;
  p.batch = G;
  p.M = s->batch * outH * outW;
  p.N = Og;
  p.K = K;
  p.bPacked = packed_filter;
  p.strideB = tessel_uk_packed_b_size_f32(K, Og);
  p.bias = bias;
  p.strideBias = Og;
  p.residual = residual;
  p.ldr = s->out_c;
  p.strideR = Og;
  p.c = output;
  p.ldc = s->out_c;
  p.strideC = Og;
  p.act = act;
  p.alpha = alpha;
  p.beta = beta;
  ConvSource src{s, outH, outW, input, Cg};
  const bool pointwise = G == 1 && s->kernel_h == 1 && s->kernel_w == 1 &&
                         s->stride_h == 1 && s->stride_w == 1 &&
                         s->pad_top == 0 && s->pad_left == 0 &&
                         s->pad_bottom == 0 && s->pad_right == 0;
  if (pointwise) {
    p.a = input;
    p.lda = s->in_c;
  } else {
    p.conv = &src;
  }
  return runGemm(e, p) ? TESSEL_UK_OK : TESSEL_UK_ERR_INVALID;
}

int tessel_uk_depthwise_conv2d_nhwc_f32(tessel_uk_context *ctx,
                                        const tessel_uk_conv2d_shape *s,
                                        const float *input, const float *filter,
                                        const float *bias,
                                        const float *residual, float *output,
                                        int32_t act, float alpha, float beta) {
  if (!validShape(s) || s->groups != s->in_c || s->out_c != s->in_c)
    return TESSEL_UK_ERR_INVALID;
  Exec e = makeExec(ctx);
  DepthwiseArgs d{s,
                  tessel_uk_conv2d_out_h(s),
                  tessel_uk_conv2d_out_w(s),
                  input,
                  filter,
                  bias,
                  residual,
                  output,
                  act,
                  alpha,
                  beta};
  const int64_t rows = s->batch * d.outH;
  // Contiguous row ranges; a few per thread so that uneven rows (padding)
  // balance out.
  const int64_t tasks = std::min<int64_t>(rows, 4 * e.threads());
  const KernelSet &ks = *e.kernels;
  parallelFor(e, tasks, [&](int64_t t, int) {
    ks.depthwiseRows(d, t * rows / tasks, (t + 1) * rows / tasks);
  });
  return TESSEL_UK_OK;
}

void tessel_uk_pack_depthwise_filter_f32(int64_t C, int64_t KH, int64_t KW,
                                         const float *filter, float *out) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw)
        out[(kh * KW + kw) * C + c] = filter[(c * KH + kh) * KW + kw];
}

} // extern "C"
