//===- Gemm.cpp - Blocked, threaded GEMM driver and B packing -------------===//
//
// Blocking (BLIS/MLAS style, A read in place, B pre-packed in 16-column
// panels):
//   K is cut into blocks of at most kMaxKC; for each block, a task sweeps
//   its rows MR at a time (A's MR x kc strip stays in L1) and, for each
//   strip, its columns NR at a time (its kc x NC block of B stays in L2).
//   C is the accumulator between K blocks: the first block adds bias and
//   residual, the last applies the activation.
// Threading: a task is (batch, row block, column block); row and column
// blocks are whole register tiles, spread evenly. Blocks are split until
// the task count is a multiple of the thread count or large.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include <algorithm>
#include <cstring>

using namespace tessel::uk;

namespace {

constexpr int64_t kMaxKC = 384;
/// Bytes of B one task keeps hot in L2 per K block.
constexpr int64_t kBBlockBytes = 384 * 1024;
/// Bytes of C one task keeps in L2 between K blocks.
constexpr int64_t kCBlockBytes = 256 * 1024;
/// Rows of A one task gathers per K block (implicit im2col scratch).
constexpr int64_t kMaxMC = 240;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// A run of consecutive K indices [k, k + len) that reads consecutive input
/// floats of one input row: kernel row kh, starting at kernel column kw and
/// channel c (with one group and no w dilation a run may span kernel
/// columns; q = kw * C + c is then the offset within the kernel row).
struct Segment {
  int64_t dst; // offset in the gathered row
  int64_t len;
  int64_t kh, kw, c;
};

/// Splits the K block [k0, k0 + kc) of a convolution into segments, once per
/// block (the divisions stay out of the per-row loop).
void planSegments(const ConvSource &src, int64_t k0, int64_t kc,
                  bool rowSegments, std::vector<Segment> &out) {
  const tessel_uk_conv2d_shape &s = *src.s;
  const int64_t Cg = src.groupChannels, KW = s.kernel_w;
  out.clear();
  for (int64_t k = k0, k1 = k0 + kc; k < k1;) {
    const int64_t tap = k / Cg, kh = tap / KW, kw = tap % KW;
    const int64_t c = k - tap * Cg;
    const int64_t end = rowSegments ? (kh + 1) * KW * Cg : (tap + 1) * Cg;
    const int64_t len = std::min(k1, end) - k;
    out.push_back({k - k0, len, kh, kw, c});
    k += len;
  }
}

typedef float V4 __attribute__((vector_size(16), aligned(4), may_alias));

/// Extra floats the gather may write past a row's end (scratch slack).
constexpr int64_t kGatherSlack = 8;

/// dst[0, n) = src[0, n). May write up to dst[n + 7] and, when src + n + 8
/// stays below srcEnd, read up to src[n + 7]: the im2col segments are short
/// (KW * C floats for a 7x7 stem on 3 channels), so a call to memcpy and an
/// exact tail cost more than the copy.
inline void copyFloats(float *dst, const float *src, int64_t n,
                       const float *srcEnd) {
  if (n > 64) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  if (src + n + 8 <= srcEnd) {
    for (int64_t i = 0; i < n; i += 8) {
      *reinterpret_cast<V4 *>(dst + i) = *reinterpret_cast<const V4 *>(src + i);
      *reinterpret_cast<V4 *>(dst + i + 4) =
          *reinterpret_cast<const V4 *>(src + i + 4);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
}

/// dst[0, n) = 0; may write up to dst[n + 3].
inline void zeroFloats(float *dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 4)
    *reinterpret_cast<V4 *>(dst + i) = V4{};
}

/// Fills dst (rows [m0, m1) x the K block of `segs`, leading dimension kc)
/// with the im2col of group g.
void gatherConvRows(const ConvSource &src, const std::vector<Segment> &segs,
                    bool rowSegments, int64_t g, int64_t m0, int64_t m1,
                    int64_t kc, float *dst) {
  const tessel_uk_conv2d_shape &s = *src.s;
  const int64_t C = s.in_c, Cg = src.groupChannels, H = s.in_h, W = s.in_w;
  const int64_t pixels = src.outH * src.outW;
  const float *inputEnd = src.input + s.batch * H * W * C;
  int64_t n = m0 / pixels, oh = (m0 % pixels) / src.outW, ow = m0 % src.outW;
  for (int64_t m = m0; m < m1; ++m, dst += kc) {
    const int64_t ih0 = oh * s.stride_h - s.pad_top;
    const int64_t iw0 = ow * s.stride_w - s.pad_left;
    const float *image = src.input + n * H * W * C + g * Cg;
    for (const Segment &seg : segs) {
      float *out = dst + seg.dst;
      const int64_t ih = ih0 + seg.kh * s.dilation_h;
      if (ih < 0 || ih >= H) {
        zeroFloats(out, seg.len);
        continue;
      }
      const float *row = image + ih * W * C;
      if (rowSegments) {
        // q = kw * C + c within the kernel row; input iw = iw0 + q / C.
        const int64_t qBegin = seg.kw * C + seg.c, qEnd = qBegin + seg.len;
        const int64_t qLo = std::clamp(-iw0 * C, qBegin, qEnd);
        const int64_t qHi = std::clamp((W - iw0) * C, qLo, qEnd);
        zeroFloats(out, qLo - qBegin);
        copyFloats(out + (qLo - qBegin), row + iw0 * C + qLo, qHi - qLo,
                   inputEnd);
        zeroFloats(out + (qHi - qBegin), qEnd - qHi);
        continue;
      }
      const int64_t iw = iw0 + seg.kw * s.dilation_w;
      if (iw < 0 || iw >= W)
        zeroFloats(out, seg.len);
      else
        copyFloats(out, row + iw * C + seg.c, seg.len, inputEnd);
    }
    if (++ow == src.outW) {
      ow = 0;
      if (++oh == src.outH) {
        oh = 0;
        ++n;
      }
    }
  }
}

/// A block of K: [k0, k0 + kc). In direct convolution mode a block is
/// `rows` whole kernel rows from kh (segments of KW * C floats, one input
/// row each), or a piece of kernel row kh (rows = 1, one segment).
struct KBlock {
  int64_t k0, kc, kh, rows, segLen;
};

struct Plan {
  std::vector<KBlock> kBlocks;
  int64_t maxKc;
  int64_t mTiles, nTiles, mBlocks, nBlocks;
  int64_t maxRows; // most rows in a row block
  /// Direct convolution: tiles of output pixels of one output row that read
  /// no padding take A straight from the input (rows sw * C apart, one
  /// segment per kernel row); the rest is gathered.
  bool direct;
  int64_t owLo, owHi; // the pixels of an output row that read no w padding
};

Plan makePlan(const GemmProblem &p, const KernelSet &ks, int threads) {
  Plan pl;
  const ConvSource *conv = p.conv;
  pl.direct = conv && conv->s->groups == 1 && conv->s->dilation_w == 1 &&
              conv->outW >= 4 * ks.mr;
  if (pl.direct) {
    const tessel_uk_conv2d_shape &s = *conv->s;
    const int64_t rowK = s.kernel_w * s.in_c;
    if (rowK <= kMaxKC) {
      // Whole kernel rows, as many per block as fit, spread evenly.
      const int64_t blocks =
          ceilDiv(s.kernel_h, std::max<int64_t>(1, kMaxKC / rowK));
      for (int64_t b = 0; b < blocks; ++b) {
        int64_t kh0 = b * s.kernel_h / blocks;
        int64_t rows = (b + 1) * s.kernel_h / blocks - kh0;
        pl.kBlocks.push_back({kh0 * rowK, rows * rowK, kh0, rows, rowK});
      }
    } else {
      const int64_t pieces = ceilDiv(rowK, kMaxKC), kc = ceilDiv(rowK, pieces);
      for (int64_t kh = 0; kh < s.kernel_h; ++kh)
        for (int64_t k = 0; k < rowK; k += kc) {
          int64_t len = std::min(kc, rowK - k);
          pl.kBlocks.push_back({kh * rowK + k, len, kh, 1, len});
        }
    }
    pl.owLo = std::min(conv->outW, ceilDiv(s.pad_left, s.stride_w));
    const int64_t span = s.in_w - 1 + s.pad_left - (s.kernel_w - 1);
    pl.owHi = span < 0 ? 0 : std::min(conv->outW, span / s.stride_w + 1);
    pl.owHi = std::max(pl.owHi, pl.owLo);
  } else {
    const int64_t blocks = std::max<int64_t>(1, ceilDiv(p.K, kMaxKC));
    const int64_t kc = ceilDiv(p.K, blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t len = std::max<int64_t>(0, std::min(kc, p.K - b * kc));
      pl.kBlocks.push_back({b * kc, len, -1, 0, len});
    }
    pl.owLo = pl.owHi = 0;
  }
  pl.maxKc = 1;
  for (const KBlock &kb : pl.kBlocks)
    pl.maxKc = std::max(pl.maxKc, kb.kc);
  pl.mTiles = ceilDiv(p.M, ks.mr);
  pl.nTiles = ceilDiv(p.N, ks.nr);
  int64_t maxCols = std::max<int64_t>(ks.nr, kBBlockBytes / 4 / pl.maxKc);
  pl.nBlocks = std::min(pl.nTiles, ceilDiv(p.N, maxCols / ks.nr * ks.nr));
  // Rows per block: the gather scratch bounds them for convolutions; with
  // several K blocks, C is the accumulator and its block of rows x columns
  // should stay in L2 between K blocks.
  int64_t maxRows = conv ? kMaxMC : p.M;
  if (pl.kBlocks.size() > 1) {
    const int64_t cols = ceilDiv(p.N, pl.nBlocks);
    maxRows = std::min(maxRows, kCBlockBytes / 4 / cols);
  }
  maxRows = std::max<int64_t>(ks.mr, maxRows / ks.mr * ks.mr);
  pl.mBlocks = std::min(pl.mTiles, ceilDiv(p.M, maxRows));
  if (threads > 1) {
    for (;;) {
      int64_t tasks = p.batch * pl.mBlocks * pl.nBlocks;
      if (tasks >= 8 * threads || tasks % threads == 0)
        break;
      bool canM = pl.mBlocks < pl.mTiles, canN = pl.nBlocks < pl.nTiles;
      if (!canM && !canN)
        break;
      // Split the dimension with more tiles per block.
      if (canM && (!canN || pl.mTiles * pl.nBlocks >= pl.nTiles * pl.mBlocks))
        ++pl.mBlocks;
      else
        ++pl.nBlocks;
    }
  }
  pl.maxRows = ceilDiv(pl.mTiles, pl.mBlocks) * ks.mr;
  return pl;
}

struct TaskRunner {
  const GemmProblem &p;
  const Exec &e;
  const Plan &pl;
  float **scratch; // per thread, conv only

  /// The tiles of rows [m0, m1) x columns [n0, n1) for the K block in t
  /// (t.kc, t.first, t.last set); `a` is row m0 of A, k0 its first column.
  void runRows(TileArgs &t, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
               const float *a, int64_t lda, int64_t k0, const float *bBase,
               float *cBase, const float *bias, const float *res,
               int64_t segStride = 0) const {
    const KernelSet &ks = *e.kernels;
    t.lda = lda;
    t.segStride = segStride;
    for (int64_t m = m0; m < m1; m += ks.mr) {
      t.mr = static_cast<int>(std::min<int64_t>(ks.mr, m1 - m));
      t.a = a + (m - m0) * lda;
      for (int64_t n = n0; n < n1; n += ks.nr) {
        t.nc = static_cast<int>(std::min<int64_t>(ks.nr, n1 - n));
        t.b0 =
            bBase + (n / TESSEL_UK_NR) * p.K * TESSEL_UK_NR + k0 * TESSEL_UK_NR;
        t.b1 = t.nc > TESSEL_UK_NR ? t.b0 + p.K * TESSEL_UK_NR : t.b0;
        t.c = cBase + m * p.ldc + n;
        t.bias = bias ? bias + n : nullptr;
        t.residual = res ? res + m * p.ldr + n : nullptr;
        ks.tile(t);
      }
    }
  }

  void operator()(int64_t task, int thread) const {
    const KernelSet &ks = *e.kernels;
    const int64_t nb = task % pl.nBlocks;
    const int64_t mb = (task / pl.nBlocks) % pl.mBlocks;
    const int64_t b = task / (pl.nBlocks * pl.mBlocks);
    const int64_t m0 = std::min(p.M, mb * pl.mTiles / pl.mBlocks * ks.mr);
    const int64_t m1 = std::min(p.M, (mb + 1) * pl.mTiles / pl.mBlocks * ks.mr);
    const int64_t n0 = std::min(p.N, nb * pl.nTiles / pl.nBlocks * ks.nr);
    const int64_t n1 = std::min(p.N, (nb + 1) * pl.nTiles / pl.nBlocks * ks.nr);
    if (m0 >= m1 || n0 >= n1)
      return;
    const float *bBase = p.bPacked + b * p.strideB;
    float *cBase = p.c + b * p.strideC;
    const float *bias = p.bias ? p.bias + b * p.strideBias : nullptr;
    const float *res = p.residual ? p.residual + b * p.strideR : nullptr;

    // With one group and no w dilation, the taps of one kernel row read
    // KW * C consecutive floats of one input row.
    const bool rowSegments =
        p.conv && p.conv->s->groups == 1 && p.conv->s->dilation_w == 1;
    std::vector<Segment> segs;
    TileArgs t;
    t.ldc = p.ldc;
    t.ldr = p.ldr;
    t.scale = p.scale;
    t.act = p.act;
    t.alpha = p.alpha;
    t.beta = p.beta;
    const size_t numBlocks = pl.kBlocks.size();
    for (size_t kb = 0; kb < numBlocks; ++kb) {
      const KBlock &blk = pl.kBlocks[kb];
      t.kc = blk.kc;
      t.segLen = blk.kc;
      t.first = kb == 0;
      t.last = kb == numBlocks - 1;
      if (!p.conv) {
        runRows(t, m0, m1, n0, n1, p.a + b * p.strideA + m0 * p.lda + blk.k0,
                p.lda, blk.k0, bBase, cBase, bias, res);
      } else if (!pl.direct) {
        planSegments(*p.conv, blk.k0, blk.kc, rowSegments, segs);
        gatherConvRows(*p.conv, segs, rowSegments, b, m0, m1, blk.kc,
                       scratch[thread]);
        runRows(t, m0, m1, n0, n1, scratch[thread], blk.kc, blk.k0, bBase,
                cBase, bias, res);
      } else {
        directBlock(t, blk, thread, m0, m1, n0, n1, segs, bBase, cBase, bias,
                    res);
      }
    }
  }

  /// One K block (kernel rows [blk.kh, blk.kh + blk.rows)) of a direct
  /// convolution task.
  void directBlock(TileArgs &t, const KBlock &blk, int thread, int64_t m0,
                   int64_t m1, int64_t n0, int64_t n1,
                   std::vector<Segment> &segs, const float *bBase, float *cBase,
                   const float *bias, const float *res) const {
    const ConvSource &src = *p.conv;
    const tessel_uk_conv2d_shape &s = *src.s;
    const int64_t C = s.in_c, H = s.in_h, W = s.in_w;
    const int64_t pixels = src.outH * src.outW;
    const int64_t q0 = blk.k0 - blk.kh * s.kernel_w * C;
    bool planned = false;
    int64_t m = m0;
    int64_t n = m / pixels, oh = (m % pixels) / src.outW, ow = m % src.outW;
    while (m < m1) {
      const int64_t rowEnd = std::min(m1, m + src.outW - ow);
      const int64_t owEnd = ow + (rowEnd - m);
      const int64_t ih = oh * s.stride_h - s.pad_top + blk.kh * s.dilation_h;
      const bool rowsInside = ih >= 0 && ih + (blk.rows - 1) * s.dilation_h < H;
      // [lo, hi) of this output row read no padding at all.
      const int64_t lo = rowsInside ? std::clamp(pl.owLo, ow, owEnd) : owEnd;
      const int64_t hi = rowsInside ? std::clamp(pl.owHi, lo, owEnd) : owEnd;
      const int64_t bounds[4] = {ow, lo, hi, owEnd};
      for (int piece = 0; piece < 3; ++piece) {
        const int64_t b0 = bounds[piece], b1 = bounds[piece + 1];
        if (b0 >= b1)
          continue;
        const int64_t pm0 = m + (b0 - ow), pm1 = m + (b1 - ow);
        t.segLen = blk.segLen;
        if (piece == 1) {
          const float *a =
              src.input +
              ((n * H + ih) * W + b0 * s.stride_w - s.pad_left) * C + q0;
          runRows(t, pm0, pm1, n0, n1, a, s.stride_w * C, blk.k0, bBase, cBase,
                  bias, res, s.dilation_h * W * C);
          continue;
        }
        if (!planned) {
          planSegments(src, blk.k0, blk.kc, true, segs);
          planned = true;
        }
        gatherConvRows(src, segs, true, 0, pm0, pm1, blk.kc, scratch[thread]);
        t.segLen = blk.kc;
        runRows(t, pm0, pm1, n0, n1, scratch[thread], blk.kc, blk.k0, bBase,
                cBase, bias, res);
      }
      m = rowEnd;
      ow = 0;
      if (++oh == src.outH) {
        oh = 0;
        ++n;
      }
    }
  }
};

} // namespace

namespace tessel::uk {

bool runGemm(const Exec &e, const GemmProblem &p) {
  if (p.batch <= 0 || p.M <= 0 || p.N <= 0)
    return true;
  const Plan pl = makePlan(p, *e.kernels, e.threads());
  std::vector<float *> scratch(e.threads(), nullptr);
  if (p.conv) {
    for (int i = 0; i < e.threads(); ++i) {
      scratch[i] = e.perThread[i].get(pl.maxRows * pl.maxKc + kGatherSlack);
      if (!scratch[i])
        return false;
    }
  }
  TaskRunner run{p, e, pl, scratch.data()};
  parallelFor(e, p.batch * pl.mBlocks * pl.nBlocks, run);
  return true;
}

void packPanel(int64_t K, int64_t N, const float *B, int64_t ldb, bool trans,
               int64_t p, float *out) {
  const int64_t n0 = p * TESSEL_UK_NR;
  const int64_t cols = std::min<int64_t>(TESSEL_UK_NR, N - n0);
  if (!trans) {
    for (int64_t k = 0; k < K; ++k) {
      float *o = out + k * TESSEL_UK_NR;
      std::memcpy(o, B + k * ldb + n0, cols * sizeof(float));
      std::memset(o + cols, 0, (TESSEL_UK_NR - cols) * sizeof(float));
    }
    return;
  }
  // Transposed: 4 x 4 blocks through registers while whole groups of four
  // rows exist, then the scalar loop below for the rest.
  const int64_t fullRows = cols / 4 * 4, fullK = K / 4 * 4;
  for (int64_t j = 0; j < fullRows; j += 4) {
    const float *r = B + (n0 + j) * ldb;
    for (int64_t k = 0; k < fullK; k += 4) {
      V4 r0 = *reinterpret_cast<const V4 *>(r + k);
      V4 r1 = *reinterpret_cast<const V4 *>(r + ldb + k);
      V4 r2 = *reinterpret_cast<const V4 *>(r + 2 * ldb + k);
      V4 r3 = *reinterpret_cast<const V4 *>(r + 3 * ldb + k);
      V4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      V4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      V4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
      V4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
      float *o = out + k * TESSEL_UK_NR + j;
      *reinterpret_cast<V4 *>(o) = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
      *reinterpret_cast<V4 *>(o + TESSEL_UK_NR) =
          __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
      *reinterpret_cast<V4 *>(o + 2 * TESSEL_UK_NR) =
          __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
      *reinterpret_cast<V4 *>(o + 3 * TESSEL_UK_NR) =
          __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
    }
    for (int64_t jj = j; jj < j + 4; ++jj)
      for (int64_t k = fullK; k < K; ++k)
        out[k * TESSEL_UK_NR + jj] = B[(n0 + jj) * ldb + k];
  }
  for (int64_t j = fullRows; j < TESSEL_UK_NR; ++j) {
    if (j >= cols) {
      for (int64_t k = 0; k < K; ++k)
        out[k * TESSEL_UK_NR + j] = 0.0f;
      continue;
    }
    const float *row = B + (n0 + j) * ldb;
    for (int64_t k = 0; k < K; ++k)
      out[k * TESSEL_UK_NR + j] = row[k];
  }
}

} // namespace tessel::uk

extern "C" {

int64_t tessel_uk_packed_b_size_f32(int64_t K, int64_t N) {
  if (K <= 0 || N <= 0)
    return 0;
  return ceilDiv(N, TESSEL_UK_NR) * TESSEL_UK_NR * K;
}

void tessel_uk_pack_b_f32(int64_t K, int64_t N, const float *B, int64_t ldb,
                          int32_t transB, float *out) {
  if (K <= 0 || N <= 0)
    return;
  for (int64_t p = 0; p < ceilDiv(N, TESSEL_UK_NR); ++p)
    packPanel(K, N, B, ldb, transB != 0, p, out + p * K * TESSEL_UK_NR);
}

void tessel_uk_gemm_f32(tessel_uk_context *ctx, int64_t M, int64_t N, int64_t K,
                        const float *A, int64_t lda, const float *Bpacked,
                        const float *bias, const float *residual, int64_t ldr,
                        float *C, int64_t ldc, int32_t act, float alpha,
                        float beta) {
  GemmProblem p;
  p.M = M;
  p.N = N;
  p.K = std::max<int64_t>(K, 0);
  p.a = A;
  p.lda = lda;
  p.bPacked = Bpacked;
  p.bias = bias;
  p.residual = residual;
  p.ldr = ldr;
  p.c = C;
  p.ldc = ldc;
  p.act = act;
  p.alpha = alpha;
  p.beta = beta;
  runGemm(makeExec(ctx), p);
}

void tessel_uk_gemm_f32_dynamic(
    tessel_uk_context *ctx, int64_t batch, int64_t M, int64_t N, int64_t K,
    const float *A, int64_t lda, int64_t strideA, const float *B, int64_t ldb,
    int64_t strideB, int32_t transB, float scale, const float *bias,
    const float *residual, int64_t ldr, int64_t strideR, float *C, int64_t ldc,
    int64_t strideC, int32_t act, float alpha, float beta) {
  if (batch <= 0 || M <= 0 || N <= 0)
    return;
  K = std::max<int64_t>(K, 0);
  Exec e = makeExec(ctx);
  const int64_t packedSize =
      tessel_uk_packed_b_size_f32(std::max<int64_t>(K, 1), N);
  const int64_t distinctB = strideB == 0 ? 1 : batch;
  float *packed = e.shared->get(distinctB * packedSize);
  if (!packed)
    return;
  const int64_t panels = ceilDiv(N, TESSEL_UK_NR);
  if (K > 0)
    parallelFor(e, distinctB * panels, [&](int64_t task, int) {
      const int64_t b = task / panels, pnl = task % panels;
      packPanel(K, N, B + b * strideB, ldb, transB != 0, pnl,
                packed + b * packedSize + pnl * K * TESSEL_UK_NR);
    });
  GemmProblem p;
  p.batch = batch;
  p.M = M;
  p.N = N;
  p.K = K;
  p.a = A;
  p.lda = lda;
  p.strideA = strideA;
  p.bPacked = packed;
  p.strideB = strideB == 0 ? 0 : packedSize;
  p.bias = bias;
  p.residual = residual;
  p.ldr = ldr;
  p.strideR = strideR;
  p.c = C;
  p.ldc = ldc;
  p.strideC = strideC;
  p.scale = scale;
  p.act = act;
  p.alpha = alpha;
  p.beta = beta;
  runGemm(e, p);
}

} // extern "C"
