//===- GemmTest.cpp - Packed and dynamic GEMM against reference loops -----===//
#include "TestSupport.h"

#include <thread>

using namespace tessel::uk::test;

namespace {

struct GemmCase {
  int64_t M, N, K;
  bool bias, residual;
  int act;
  int64_t padA = 0, padC = 0; // extra leading-dimension elements
};

/// Runs one packed GEMM on every configuration and compares with a double
/// reference computed from the unpacked B.
void checkGemm(const GemmCase &g, uint32_t seed) {
  const int64_t lda = g.K + g.padA, ldc = g.N + g.padC, ldr = g.N + g.padC;
  auto A = randomVector(std::max<int64_t>(1, g.M * lda), seed);
  auto B = randomVector(std::max<int64_t>(1, g.K * g.N), seed + 1);
  auto bias = randomVector(g.N, seed + 2);
  auto res = randomVector(g.M * ldr, seed + 3);
  std::vector<float> packed(
      std::max<int64_t>(1, tessel_uk_packed_b_size_f32(g.K, g.N)), -7.0f);
  tessel_uk_pack_b_f32(g.K, g.N, B.data(), g.N, 0, packed.data());
  auto [alpha, beta] = actParams(g.act);

  std::vector<double> ref(g.M * g.N), mag(g.M * g.N);
  for (int64_t i = 0; i < g.M; ++i)
    for (int64_t j = 0; j < g.N; ++j) {
      double s = 0, m = 0;
      for (int64_t k = 0; k < g.K; ++k) {
        double p = double(A[i * lda + k]) * B[k * g.N + j];
        s += p;
        m += std::fabs(p);
      }
      if (g.bias)
        s += bias[j], m += std::fabs(bias[j]);
      if (g.residual)
        s += res[i * ldr + j], m += std::fabs(res[i * ldr + j]);
      ref[i * g.N + j] = refActivation(g.act, s, alpha, beta);
      mag[i * g.N + j] = m;
    }

  for (const Config &cfg : configs()) {
    SCOPED_TRACE(cfg.name);
    std::vector<float> C(g.M * ldc, 1234.0f);
    tessel_uk_gemm_f32(cfg.ctx, g.M, g.N, g.K, A.data(), lda, packed.data(),
                       g.bias ? bias.data() : nullptr,
                       g.residual ? res.data() : nullptr, ldr, C.data(), ldc,
                       g.act, alpha, beta);
    int failures = 0;
    for (int64_t i = 0; i < g.M && failures < 5; ++i) {
      for (int64_t j = 0; j < g.N && failures < 5; ++j) {
        auto r = near(C[i * ldc + j], ref[i * g.N + j], mag[i * g.N + j]);
        if (!r) {
          ADD_FAILURE() << "M=" << g.M << " N=" << g.N << " K=" << g.K
                        << " act=" << g.act << " C[" << i << "][" << j
                        << "]: " << r.message();
          ++failures;
        }
      }
      for (int64_t j = g.N; j < ldc; ++j)
        EXPECT_EQ(C[i * ldc + j], 1234.0f) << "wrote past N in row " << i;
    }
  }
}

TEST(UKernelGemm, PackedLayoutIsPanelsOf16ZeroPadded) {
  const int64_t K = 3, N = 20;
  std::vector<float> B(K * N);
  for (int64_t i = 0; i < K * N; ++i)
    B[i] = float(i + 1);
  ASSERT_EQ(tessel_uk_packed_b_size_f32(K, N), 2 * K * 16);
  std::vector<float> out(2 * K * 16, -1.0f), outT(2 * K * 16, -1.0f);
  tessel_uk_pack_b_f32(K, N, B.data(), N, 0, out.data());
  // The same matrix given transposed (N x K) packs identically.
  std::vector<float> BT(N * K);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      BT[n * K + k] = B[k * N + n];
  tessel_uk_pack_b_f32(K, N, BT.data(), K, 1, outT.data());
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < 16; ++j) {
        int64_t n = p * 16 + j;
        float want = n < N ? B[k * N + n] : 0.0f;
        EXPECT_EQ(out[(p * K + k) * 16 + j], want) << p << " " << k << " " << j;
        EXPECT_EQ(outT[(p * K + k) * 16 + j], want);
      }
}

TEST(UKernelGemm, OddSizesWithBiasAndResidual) {
  const GemmCase cases[] = {
      {1, 1, 1, true, true, TESSEL_UK_ACT_NONE},
      {1, 16, 1, true, false, TESSEL_UK_ACT_NONE},
      {2, 3, 5, false, true, TESSEL_UK_ACT_NONE},
      {3, 5, 7, true, true, TESSEL_UK_ACT_NONE, 3, 2},
      {12, 32, 64, true, true, TESSEL_UK_ACT_NONE},
      {13, 33, 65, false, false, TESSEL_UK_ACT_NONE, 1, 5},
      {25, 47, 300, true, true, TESSEL_UK_ACT_NONE},
      {7, 15, 513, true, false, TESSEL_UK_ACT_NONE},
      {50, 70, 3, false, true, TESSEL_UK_ACT_NONE},
      {37, 100, 1, true, true, TESSEL_UK_ACT_NONE},
      {64, 48, 20, true, true, TESSEL_UK_ACT_NONE},
  };
  uint32_t seed = 1;
  for (const GemmCase &g : cases)
    checkGemm(g, seed += 10);
}

TEST(UKernelGemm, EveryActivationInTheEpilogue) {
  for (int act = 0; act < kNumActivations; ++act) {
    // A K split (K > 256) checks that the activation runs once, at the end.
    checkGemm({13, 40, 37, true, true, act}, 100 + act);
    checkGemm({5, 17, 270, true, false, act}, 200 + act);
  }
}

TEST(UKernelGemm, KZeroIsBiasPlusResidual) {
  checkGemm({4, 9, 0, true, true, TESSEL_UK_ACT_RELU}, 7);
}

TEST(UKernelGemm, ResidualMayBeTheOutputInPlace) {
  const int64_t M = 14, N = 35, K = 300;
  auto A = randomVector(M * K, 1), B = randomVector(K * N, 2);
  auto C0 = randomVector(M * N, 3);
  std::vector<float> packed(tessel_uk_packed_b_size_f32(K, N));
  tessel_uk_pack_b_f32(K, N, B.data(), N, 0, packed.data());
  for (const Config &cfg : configs()) {
    SCOPED_TRACE(cfg.name);
    std::vector<float> C = C0;
    tessel_uk_gemm_f32(cfg.ctx, M, N, K, A.data(), K, packed.data(), nullptr,
                       C.data(), N, C.data(), N, TESSEL_UK_ACT_RELU, 0, 0);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = C0[i * N + j], m = std::fabs(s);
        for (int64_t k = 0; k < K; ++k)
          s += double(A[i * K + k]) * B[k * N + j],
              m += std::fabs(double(A[i * K + k]) * B[k * N + j]);
        ASSERT_TRUE(near(C[i * N + j], std::max(s, 0.0), m)) << i << "," << j;
      }
  }
}

/// Batched dynamic GEMM: strides, broadcasting, transposed B, scale and a
/// broadcast residual row (an attention mask).
void checkDynamic(int64_t batch, int64_t M, int64_t N, int64_t K, bool transB,
                  bool broadcastA, bool broadcastB, bool bias, int act,
                  uint32_t seed) {
  const int64_t lda = K + 1, ldb = (transB ? K : N) + 2, ldc = N + 3;
  const int64_t strideA = broadcastA ? 0 : M * lda + 5;
  const int64_t strideB = broadcastB ? 0 : (transB ? N : K) * ldb + 1;
  const int64_t strideC = M * ldc + 4;
  const int64_t strideR = N; // one mask row per batch, ldr = 0
  auto A = randomVector((broadcastA ? 1 : batch) * (M * lda + 5), seed);
  auto B = randomVector((broadcastB ? 1 : batch) * ((transB ? N : K) * ldb + 1),
                        seed + 1);
  auto biasV = randomVector(N, seed + 2);
  auto mask = randomVector(batch * N, seed + 3);
  const float scale = 0.125f;
  auto [alpha, beta] = actParams(act);
  for (const Config &cfg : configs()) {
    SCOPED_TRACE(cfg.name);
    std::vector<float> C(batch * strideC, 99.0f);
    tessel_uk_gemm_f32_dynamic(
        cfg.ctx, batch, M, N, K, A.data(), lda, strideA, B.data(), ldb, strideB,
        transB, scale, bias ? biasV.data() : nullptr, mask.data(), 0, strideR,
        C.data(), ldc, strideC, act, alpha, beta);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double s = 0, m = 0;
          for (int64_t k = 0; k < K; ++k) {
            double bv = transB ? B[b * strideB + j * ldb + k]
                               : B[b * strideB + k * ldb + j];
            double p = double(A[b * strideA + i * lda + k]) * bv;
            s += p;
            m += std::fabs(p);
          }
          s = s * scale + mask[b * strideR + j] + (bias ? biasV[j] : 0.0);
          double want = refActivation(act, s, alpha, beta);
          ASSERT_TRUE(near(C[b * strideC + i * ldc + j], want, m + 2))
              << "b=" << b << " i=" << i << " j=" << j;
        }
  }
}

TEST(UKernelGemm, DynamicBatchedWithStridesAndBroadcast) {
  checkDynamic(3, 9, 20, 17, false, false, false, true, TESSEL_UK_ACT_NONE, 1);
  checkDynamic(4, 16, 33, 8, true, false, false, false, TESSEL_UK_ACT_NONE, 2);
  checkDynamic(2, 5, 7, 300, true, true, false, true, TESSEL_UK_ACT_GELU, 3);
  checkDynamic(3, 13, 16, 1, false, false, true, false, TESSEL_UK_ACT_RELU, 4);
  checkDynamic(1, 1, 1, 1, true, false, false, false, TESSEL_UK_ACT_NONE, 5);
}

TEST(UKernelGemm, ContextsRunConcurrently) {
  const int64_t M = 40, N = 50, K = 60;
  auto A = randomVector(M * K, 11), B = randomVector(K * N, 12);
  std::vector<float> packed(tessel_uk_packed_b_size_f32(K, N));
  tessel_uk_pack_b_f32(K, N, B.data(), N, 0, packed.data());
  std::vector<float> want(M * N);
  tessel_uk_gemm_f32(nullptr, M, N, K, A.data(), K, packed.data(), nullptr,
                     nullptr, 0, want.data(), N, TESSEL_UK_ACT_NONE, 0, 0);
  auto worker = [&](std::vector<float> *out) {
    tessel_uk_context *ctx = tessel_uk_context_create(2);
    for (int it = 0; it < 50; ++it)
      tessel_uk_gemm_f32(ctx, M, N, K, A.data(), K, packed.data(), nullptr,
                         nullptr, 0, out->data(), N, TESSEL_UK_ACT_NONE, 0, 0);
    tessel_uk_context_destroy(ctx);
  };
  std::vector<float> c1(M * N), c2(M * N);
  std::thread t1(worker, &c1), t2(worker, &c2);
  t1.join();
  t2.join();
  // Same instruction set and blocking: bit-identical results.
  EXPECT_EQ(c1, want);
  EXPECT_EQ(c2, want);
}

TEST(UKernelGemm, IsaQueries) {
  tessel_uk_isa best = tessel_uk_detect_isa();
  EXPECT_TRUE(tessel_uk_isa_supported(best));
  EXPECT_TRUE(tessel_uk_isa_supported(TESSEL_UK_ISA_PORTABLE));
  EXPECT_STREQ(tessel_uk_isa_name(TESSEL_UK_ISA_PORTABLE), "portable");
  tessel_uk_context *ctx = tessel_uk_context_create(1);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(tessel_uk_context_isa(ctx), best);
  EXPECT_EQ(tessel_uk_context_set_isa(ctx, static_cast<tessel_uk_isa>(7)),
            TESSEL_UK_ERR_INVALID);
  EXPECT_EQ(tessel_uk_context_set_isa(ctx, TESSEL_UK_ISA_PORTABLE),
            TESSEL_UK_OK);
  EXPECT_EQ(tessel_uk_context_isa(ctx), TESSEL_UK_ISA_PORTABLE);
  tessel_uk_context_destroy(ctx);
  setenv("TESSEL_UK_ISA", "portable", 1);
  EXPECT_EQ(tessel_uk_detect_isa(), TESSEL_UK_ISA_PORTABLE);
  unsetenv("TESSEL_UK_ISA");
  EXPECT_EQ(tessel_uk_detect_isa(), best);
}

} // namespace
