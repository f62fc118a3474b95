//===- UKernelsInternal.h - Shared types of the micro-kernels ---*- C++ -*-===//
//
// The drivers (GEMM blocking, implicit im2col, threading) are written once;
// the per-instruction-set code is a KernelSet of a few function pointers,
// made from one generic body (KernelBody.inc) compiled three times.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_UKERNELS_UKERNELSINTERNAL_H
#define TESSEL_LIB_UKERNELS_UKERNELSINTERNAL_H

#include "tessel/UKernels/UKernels.h"

#include <cstdint>

namespace tessel::uk {

/// One register tile: C[0:mr, 0:nc] (+)= A[0:mr, 0:kc] * B[0:kc, 0:nc] plus
/// the epilogue. `b0` points at row 0 of the tile's first packed panel
/// (already offset by k0 * 16), `b1` at the next panel (only read when the
/// tile is wider than one panel).
struct TileArgs {
  int64_t kc;
  /// A[i][k] = a[(k / segLen) * segStride + i * lda + k % segLen]; kc is a
  /// multiple of segLen (> 0). A plain matrix has segLen = kc.
  const float *a;
  int64_t lda;
  int64_t segLen;
  int64_t segStride;
  const float *b0;
  const float *b1;
  float *c;
  int64_t ldc;
  int mr;
  int nc;
  /// First K block: x = scale * acc + bias + residual. Otherwise
  /// x = scale * acc + C (the partial sum the earlier blocks stored).
  bool first;
  /// Last K block: the activation is applied before the store.
  bool last;
  const float *bias;     // at the tile's first column, or null
  const float *residual; // at the tile's origin, or null
  int64_t ldr;
  float scale;
  int32_t act;
  float alpha;
  float beta;
};

/// Depthwise convolution over output rows [rowBegin, rowEnd) where a row is
/// (image, oh) flattened.
struct DepthwiseArgs {
  const tessel_uk_conv2d_shape *s;
  int64_t outH, outW;
  const float *input;
  const float *filter;
  const float *bias;
  const float *residual;
  float *output;
  int32_t act;
  float alpha;
  float beta;
};

struct KernelSet {
  tessel_uk_isa isa;
  /// Register tile: rows, and columns (a multiple of TESSEL_UK_NR; at most
  /// two panels).
  int mr;
  int nr;
  void (*tile)(const TileArgs &t);
  void (*activation)(int32_t act, float alpha, float beta, const float *in,
                     float *out, int64_t n);
  void (*depthwiseRows)(const DepthwiseArgs &d, int64_t rowBegin,
                        int64_t rowEnd);
};

const KernelSet &portableKernels();
#if defined(__x86_64__) || defined(_M_X64)
#define TESSEL_UK_X86 1
const KernelSet &avx2Kernels();
const KernelSet &avx512Kernels();
#endif

/// The kernels of `isa` (the portable ones if `isa` is not built in).
const KernelSet &kernelsFor(tessel_uk_isa isa);

} // namespace tessel::uk

#endif // TESSEL_LIB_UKERNELS_UKERNELSINTERNAL_H
