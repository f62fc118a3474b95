//===- Driver.h - GEMM driver shared by the GEMM and conv entries -*- C++
//-*-===//
//
// The execution environment of one call (kernels, pool, scratch) and the
// blocked, threaded GEMM that every entry point runs.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_UKERNELS_DRIVER_H
#define TESSEL_LIB_UKERNELS_DRIVER_H

#include "ThreadPool.h"
#include "UKernelsInternal.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace tessel::uk {

/// A grow-only, 64-byte aligned float buffer.
class ScratchBuffer {
public:
  ScratchBuffer() = default;
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer &) = delete;
  ScratchBuffer &operator=(const ScratchBuffer &) = delete;
  /// At least n floats (contents not kept when it grows); null when out of
  /// memory.
  float *get(int64_t n);

private:
  float *data = nullptr;
  int64_t capacity = 0;
};

/// What one call runs on: resolved from a context, or from nothing (ctx
/// NULL: inline, thread-local scratch).
struct Exec {
  const KernelSet *kernels;
  ThreadPool *pool;         // null: inline
  ScratchBuffer *perThread; // [threads()]
  ScratchBuffer *shared;
  int threads() const { return pool ? pool->size() : 1; }
};

Exec makeExec(tessel_uk_context *ctx);

/// Runs f(task, thread) for task in [0, n) on the pool.
template <typename F> void parallelFor(const Exec &e, int64_t n, F &&f) {
  if (!e.pool || n <= 1) {
    for (int64_t t = 0; t < n; ++t)
      f(t, 0);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  e.pool->run(
      n,
      [](void *arg, int64_t task, int thread) {
        (*static_cast<Fn *>(arg))(task, thread);
      },
      &f);
}

/// The implicit im2col source of a convolution: row m of A is output pixel
/// m (image, oh, ow), column k is (kh, kw, c) of group g's input channels.
struct ConvSource {
  const tessel_uk_conv2d_shape *s;
  int64_t outH, outW;
  const float *input;
  int64_t groupChannels;
};

/// batch independent GEMMs C_b = act(scale * A_b * B_b + bias_b + R_b).
struct GemmProblem {
  int64_t batch = 1, M = 0, N = 0, K = 0;
  /// A_b = a + b * strideA (row-major, lda), unless conv is set: then A_b
  /// is the implicit im2col of group b.
  const float *a = nullptr;
  int64_t lda = 0, strideA = 0;
  const ConvSource *conv = nullptr;
  const float *bPacked = nullptr;
  int64_t strideB = 0; // floats between the batch's packed B
  const float *bias = nullptr;
  int64_t strideBias = 0;
  const float *residual = nullptr;
  int64_t ldr = 0, strideR = 0;
  float *c = nullptr;
  int64_t ldc = 0, strideC = 0;
  float scale = 1.0f;
  int32_t act = TESSEL_UK_ACT_NONE;
  float alpha = 0.0f, beta = 0.0f;
};

/// Runs the problem; false when scratch memory could not be allocated.
bool runGemm(const Exec &e, const GemmProblem &p);

/// Packs panel p (columns [16p, 16p + 16)) of a K x N matrix into out
/// (K * 16 floats).
void packPanel(int64_t K, int64_t N, const float *B, int64_t ldb, bool trans,
               int64_t p, float *out);

} // namespace tessel::uk

#endif // TESSEL_LIB_UKERNELS_DRIVER_H
