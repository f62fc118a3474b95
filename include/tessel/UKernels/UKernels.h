/*===- UKernels.h - CPU micro-kernels: the C ABI of generated code -*- C
 *-*-===//
 *
 * The CPU back end's heavy ops (matmul, convolution, depthwise convolution)
 * call these functions with raw pointers. The library is plain C++17 behind a
 * C ABI, links neither MLIR nor LLVM, and is linked both by the compiler
 * (which packs constant weights offline with the packing functions) and by
 * the compiled models at run time.
 *
 * Conventions for every function below:
 *  - All sizes, leading dimensions and strides are int64_t counts of float
 *    elements (not bytes). Matrices are row-major: element (i, j) of a matrix
 *    X with leading dimension ldx is X[i * ldx + j].
 *  - No pointer needs any alignment beyond that of float.
 *  - Output buffers must not overlap inputs, except that `residual` may be
 *    exactly the output (same pointer, same leading dimension and strides),
 *    which computes C = act(A*B + bias + C) in place.
 *  - `ctx` may be NULL: the call then runs on the calling thread with the
 *    best instruction set the CPU has (see tessel_uk_detect_isa).
 *  - Functions returning int return 0 on success and a negative
 *    TESSEL_UK_ERR_* code for invalid arguments (nothing is written then).
 *
 * The packed weight layout ("packed B") is target-independent, so that a
 * model packed on x86-64 runs unchanged on AArch64:
 *
 *   packed[p][k][j] = B[k][p * 16 + j]   for p in [0, ceil(N / 16)),
 *                                        k in [0, K), j in [0, 16),
 *   and 0 where p * 16 + j >= N.
 *
 * i.e. N-panels of TESSEL_UK_NR = 16 columns, each K x 16 contiguous, zero
 * padded on the N tail: tessel_uk_packed_b_size_f32(K, N) floats in all.
 *
 * docs/cpu-ukernels.md describes the blocking, the threading and the accuracy
 * of every activation.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSEL_UKERNELS_UKERNELS_H
#define TESSEL_UKERNELS_UKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Width of a packed-B panel, in floats. Part of the ABI: never changes. */
#define TESSEL_UK_NR 16

/* Error codes. */
#define TESSEL_UK_OK 0
#define TESSEL_UK_ERR_INVALID (-1)

/*===--------------------------------------------------------------------===*
 * Activations, applied in the kernels' epilogue to x = A*B + bias + residual.
 *===--------------------------------------------------------------------===*/
typedef enum tessel_uk_activation {
  TESSEL_UK_ACT_NONE = 0,         /* x                                    */
  TESSEL_UK_ACT_RELU = 1,         /* max(x, 0)                            */
  TESSEL_UK_ACT_CLIP = 2,         /* min(max(x, alpha), beta)             */
  TESSEL_UK_ACT_LEAKY_RELU = 3,   /* x >= 0 ? x : alpha * x               */
  TESSEL_UK_ACT_SIGMOID = 4,      /* 1 / (1 + exp(-x))                    */
  TESSEL_UK_ACT_TANH = 5,         /* tanh(x)                              */
  TESSEL_UK_ACT_HARD_SIGMOID = 6, /* max(0, min(1, alpha * x + beta))     */
  TESSEL_UK_ACT_HARD_SWISH = 7,   /* x * max(0, min(1, x / 6 + 1 / 2))    */
  TESSEL_UK_ACT_GELU = 8,         /* x / 2 * (1 + erf(x / sqrt(2)))       */
  TESSEL_UK_ACT_GELU_TANH = 9     /* x / 2 * (1 + tanh(sqrt(2 / pi) *
                                     (x + 0.044715 x^3)))                 */
} tessel_uk_activation;

/* Applies `act` to n floats (out may equal in). The same vector code as the
 * kernels' epilogues; for the compiler's stand-alone elementwise ops and for
 * tests. */
void tessel_uk_activation_f32(int32_t act, float alpha, float beta,
                              const float *in, float *out, int64_t n);

/*===--------------------------------------------------------------------===*
 * Instruction sets and contexts.
 *===--------------------------------------------------------------------===*/
typedef enum tessel_uk_isa {
  TESSEL_UK_ISA_PORTABLE = 0, /* GCC vector extensions, 128-bit (NEON/SSE) */
  TESSEL_UK_ISA_AVX2 = 1,     /* x86-64 AVX2 + FMA, 6x16 register tile     */
  TESSEL_UK_ISA_AVX512 = 2    /* x86-64 AVX-512F/DQ/BW/VL, 12x32 tile      */
} tessel_uk_isa;

/* The best instruction set this CPU (and OS) supports, capped by the
 * environment variable TESSEL_UK_ISA=portable|avx2|avx512 when it is set
 * (read on every call). */
tessel_uk_isa tessel_uk_detect_isa(void);

/* Whether this CPU can run `isa` (PORTABLE: always). */
int tessel_uk_isa_supported(tessel_uk_isa isa);

/* "portable", "avx2", "avx512"; "unknown" for other values. */
const char *tessel_uk_isa_name(tessel_uk_isa isa);

/* A thread pool plus scratch memory. `threads` <= 1 creates no thread: every
 * call runs inline on the caller. Otherwise threads - 1 workers are started
 * and the calling thread works as the last one. A context serves one call at
 * a time; different contexts may be used concurrently from different
 * threads. The context starts with tessel_uk_detect_isa(). Returns NULL when
 * out of memory or threads cannot be started. */
typedef struct tessel_uk_context tessel_uk_context;
tessel_uk_context *tessel_uk_context_create(int32_t threads);
void tessel_uk_context_destroy(tessel_uk_context *ctx);
int32_t tessel_uk_context_threads(const tessel_uk_context *ctx);

/* Selects the code path of the context's later calls (tests run the portable
 * path and the dispatched one and compare). Returns TESSEL_UK_ERR_INVALID and
 * changes nothing when the CPU cannot run `isa`. */
int tessel_uk_context_set_isa(tessel_uk_context *ctx, tessel_uk_isa isa);
tessel_uk_isa tessel_uk_context_isa(const tessel_uk_context *ctx);

/*===--------------------------------------------------------------------===*
 * Weight packing (run by the compiler offline, or at run time).
 *===--------------------------------------------------------------------===*/

/* Floats in a packed B of K rows and N columns: ceil(N / 16) * 16 * K. */
int64_t tessel_uk_packed_b_size_f32(int64_t K, int64_t N);

/* Packs B (K x N) into `out` (tessel_uk_packed_b_size_f32(K, N) floats; the
 * padding is written as zeros). transB == 0: B[k][n] = B[k * ldb + n];
 * transB != 0: the caller holds B transposed, B[k][n] = B[n * ldb + k]
 * (an N x K row-major matrix, as ONNX Gemm's transB = 1 or an OHWI filter). */
void tessel_uk_pack_b_f32(int64_t K, int64_t N, const float *B, int64_t ldb,
                          int32_t transB, float *out);

/*===--------------------------------------------------------------------===*
 * GEMM with packed weights.
 *===--------------------------------------------------------------------===*/

/* C[i][j] = act(sum_k A[i][k] * B[k][j] + bias[j] + residual[i][j])
 *   for i < M, j < N, where
 *   A[i][k] = A[i * lda + k], C[i][j] = C[i * ldc + j],
 *   residual[i][j] = residual[i * ldr + j] (ldr = 0 broadcasts one row),
 *   B is packed by tessel_uk_pack_b_f32(K, N, ...),
 *   bias (N floats) and residual may each be NULL (taken as 0).
 * K = 0 is allowed (C = act(bias + residual)). */
void tessel_uk_gemm_f32(tessel_uk_context *ctx, int64_t M, int64_t N, int64_t K,
                        const float *A, int64_t lda, const float *Bpacked,
                        const float *bias, const float *residual, int64_t ldr,
                        float *C, int64_t ldc, int32_t act, float alpha,
                        float beta);

/* Batched GEMM of two activations (attention's Q*K^T and P*V). For
 * b < batch:
 *   C_b[i][j] = act(scale * sum_k A_b[i][k] * B_b[k][j] + bias[j]
 *                   + R_b[i][j])
 *   A_b[i][k] = A[b * strideA + i * lda + k]
 *   B_b[k][j] = transB ? B[b * strideB + j * ldb + k]
 *                      : B[b * strideB + k * ldb + j]
 *   R_b[i][j] = residual[b * strideR + i * ldr + j]  (NULL: 0)
 *   C_b[i][j] = C[b * strideC + i * ldc + j]
 * A stride of 0 broadcasts that operand over the batch (B is then packed
 * once); ldr = 0 broadcasts a residual row (e.g. an attention mask bias).
 * bias (N floats, shared by the batch) may be NULL. B is packed on the fly
 * into the context's scratch memory (or a thread-local buffer if ctx is
 * NULL). */
void tessel_uk_gemm_f32_dynamic(
    tessel_uk_context *ctx, int64_t batch, int64_t M, int64_t N, int64_t K,
    const float *A, int64_t lda, int64_t strideA, const float *B, int64_t ldb,
    int64_t strideB, int32_t transB, float scale, const float *bias,
    const float *residual, int64_t ldr, int64_t strideR, float *C, int64_t ldc,
    int64_t strideC, int32_t act, float alpha, float beta);

/*===--------------------------------------------------------------------===*
 * Convolution, NHWC.
 *===--------------------------------------------------------------------===*/

/* Sixteen int64_t, in this order (an i64 array to generated code). Output
 * sizes: out_h = (in_h + pad_top + pad_bottom - dilation_h * (kernel_h - 1)
 * - 1) / stride_h + 1, out_w likewise; both must be >= 1. */
typedef struct tessel_uk_conv2d_shape {
  int64_t batch, in_h, in_w, in_c, out_c;
  int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_left, pad_bottom, pad_right;
  int64_t groups;
} tessel_uk_conv2d_shape;

int64_t tessel_uk_conv2d_out_h(const tessel_uk_conv2d_shape *s);
int64_t tessel_uk_conv2d_out_w(const tessel_uk_conv2d_shape *s);

/* Packed filter of a (grouped) convolution: for each group g (in order), a
 * packed B (tessel_uk_pack_b_f32 layout) with
 *   K = kernel_h * kernel_w * (in_c / groups) rows in (kh, kw, c) order,
 *       k = (kh * kernel_w + kw) * (in_c / groups) + c,
 *   N = out_c / groups columns (output channel g * N + n),
 * group g starting at float offset g * tessel_uk_packed_b_size_f32(K, N).
 * The size function returns the total in floats. */
int64_t
tessel_uk_conv2d_packed_filter_size_f32(const tessel_uk_conv2d_shape *s);

/* Packs an ONNX filter, W[o][c][kh][kw] (OIHW, c < in_c / groups), into the
 * layout above. An OHWI filter (W[o][kh][kw][c]) per group is B transposed:
 * tessel_uk_pack_b_f32(K, N, W + g * N * K, K, 1, ...) packs it. */
int tessel_uk_pack_conv2d_filter_f32(const tessel_uk_conv2d_shape *s,
                                     const float *filter_oihw, float *out);

/* output[n][oh][ow][o] = act(bias[o] + residual[n][oh][ow][o]
 *   + sum_{kh, kw, c} input[n][ih][iw][g * Cg + c] * W[o][c][kh][kw])
 * with g = o / (out_c / groups), Cg = in_c / groups,
 * ih = oh * stride_h - pad_top + kh * dilation_h (iw likewise; 0 outside),
 * input NHWC [batch][in_h][in_w][in_c], output and residual NHWC
 * [batch][out_h][out_w][out_c], bias [out_c]; bias and residual may be NULL.
 * The input is read through an implicit im2col (no im2col buffer); a 1x1,
 * stride-1, unpadded convolution with one group is exactly
 * tessel_uk_gemm_f32 on the input as an (batch*in_h*in_w) x in_c matrix.
 * Depthwise convolutions are valid here too (groups of one channel) but run
 * as 1-column GEMMs: use tessel_uk_depthwise_conv2d_nhwc_f32 for them. */
int tessel_uk_conv2d_nhwc_f32(tessel_uk_context *ctx,
                              const tessel_uk_conv2d_shape *s,
                              const float *input, const float *packed_filter,
                              const float *bias, const float *residual,
                              float *output, int32_t act, float alpha,
                              float beta);

/* Depthwise convolution (groups == in_c == out_c, channel multiplier 1).
 * Filter layout: F[kh][kw][c] = filter[(kh * kernel_w + kw) * in_c + c]
 * (tessel_uk_pack_depthwise_filter_f32 makes it from ONNX's [C][1][KH][KW]).
 *   output[n][oh][ow][c] = act(bias[c] + residual[n][oh][ow][c]
 *       + sum_{kh, kw} input[n][ih][iw][c] * F[kh][kw][c])
 * with ih, iw as for tessel_uk_conv2d_nhwc_f32. bias, residual may be NULL. */
int tessel_uk_depthwise_conv2d_nhwc_f32(tessel_uk_context *ctx,
                                        const tessel_uk_conv2d_shape *s,
                                        const float *input, const float *filter,
                                        const float *bias,
                                        const float *residual, float *output,
                                        int32_t act, float alpha, float beta);

/* filter_c1hw: ONNX depthwise filter [C][1][KH][KW] -> out [KH][KW][C]. */
void tessel_uk_pack_depthwise_filter_f32(int64_t C, int64_t KH, int64_t KW,
                                         const float *filter_c1hw, float *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSEL_UKERNELS_UKERNELS_H */
