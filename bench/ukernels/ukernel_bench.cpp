//===- ukernel_bench.cpp - Times one micro-kernel call ----------*- C++ -*-===//
//
// The C++ half of bench/ukernel_bench.py: runs one kernel on random data and
// prints one line of key=value pairs (best and median milliseconds of the
// repetitions, GFLOP/s of the best, the instruction set).
//
//   tessel-ukernel-bench gemm    THREADS M N K
//   tessel-ukernel-bench dynamic THREADS BATCH M N K TRANSB
//   tessel-ukernel-bench conv    THREADS H W C O KH KW SH SW PAD GROUPS
//   tessel-ukernel-bench dwconv  THREADS H W C KH KW SH SW PAD
//   tessel-ukernel-bench peak    (FMA throughput of one core, GFLOP/s)
//
// TESSEL_UK_ISA=portable|avx2 caps the instruction set.
//
//===----------------------------------------------------------------------===//
#include "tessel/UKernels/UKernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <time.h>
#include <vector>

namespace {

std::vector<float> randomVector(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

double threadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/// Runs fn for at least 0.5 s and 10 repetitions after a warm-up; prints
/// the best and median wall-clock milliseconds and, single-threaded, the
/// best CPU time of the calling thread (which time slices lost to other
/// processes do not inflate).
void timeIt(const char *what, double flops, tessel_uk_context *ctx,
            const std::function<void()> &fn) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i)
    fn();
  std::vector<double> ms, cpu;
  auto start = Clock::now();
  while (ms.size() < 10 ||
         (std::chrono::duration<double>(Clock::now() - start).count() < 0.5 &&
          ms.size() < 2000)) {
    double c0 = threadCpuMs();
    auto t0 = Clock::now();
    fn();
    ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    cpu.push_back(threadCpuMs() - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  int threads = tessel_uk_context_threads(ctx);
  std::printf("op=%s isa=%s threads=%d best_ms=%.4f median_ms=%.4f "
              "best_cpu_ms=%.4f gflops=%.2f reps=%zu\n",
              what, tessel_uk_isa_name(tessel_uk_context_isa(ctx)), threads,
              ms.front(), ms[ms.size() / 2], threads == 1 ? cpu.front() : 0.0,
              flops / ms.front() * 1e-6, ms.size());
}

#if defined(__x86_64__)
__attribute__((target("avx512f,fma"), noinline)) double peakAvx512(long iters) {
  typedef float V __attribute__((vector_size(64)));
  V acc[24];
  for (int i = 0; i < 24; ++i)
    acc[i] = V{} + float(i);
  V a = V{} + 0.999999f, b = V{} + 1e-7f;
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i)
      acc[i] = acc[i] * a + b;
  }
  V s = V{};
  for (int i = 0; i < 24; ++i)
    s += acc[i];
  return s[0];
}
#endif

int usage() {
  std::fprintf(stderr, "usage: see the header of ukernel_bench.cpp\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  std::string op = argv[1];
  if (op == "peak") {
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx512f"))
      return std::puts("op=peak gflops=0"), 0;
    long iters = 20000000;
    auto t0 = std::chrono::steady_clock::now();
    volatile double sink = peakAvx512(iters);
    (void)sink;
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    std::printf("op=peak gflops=%.1f\n", 24.0 * 16 * 2 * iters / s * 1e-9);
#endif
    return 0;
  }
  if (argc < 3)
    return usage();
  int threads = std::atoi(argv[2]);
  std::vector<long> a;
  for (int i = 3; i < argc; ++i)
    a.push_back(std::atol(argv[i]));
  tessel_uk_context *ctx = tessel_uk_context_create(threads);
  if (!ctx)
    return 1;

  if (op == "gemm" && a.size() == 3) {
    long M = a[0], N = a[1], K = a[2];
    auto A = randomVector(M * K, 1), B = randomVector(K * N, 2),
         bias = randomVector(N, 3);
    std::vector<float> packed(tessel_uk_packed_b_size_f32(K, N)), C(M * N);
    tessel_uk_pack_b_f32(K, N, B.data(), N, 0, packed.data());
    timeIt("gemm", 2.0 * M * N * K, ctx, [&] {
      tessel_uk_gemm_f32(ctx, M, N, K, A.data(), K, packed.data(), bias.data(),
                         nullptr, 0, C.data(), N, TESSEL_UK_ACT_NONE, 0, 0);
    });
  } else if (op == "dynamic" && a.size() == 5) {
    long batch = a[0], M = a[1], N = a[2], K = a[3], transB = a[4];
    auto A = randomVector(batch * M * K, 1), B = randomVector(batch * K * N, 2);
    std::vector<float> C(batch * M * N);
    timeIt("dynamic", 2.0 * batch * M * N * K, ctx, [&] {
      tessel_uk_gemm_f32_dynamic(ctx, batch, M, N, K, A.data(), K, M * K,
                                 B.data(), transB ? K : N, K * N, transB, 1.0f,
                                 nullptr, nullptr, 0, 0, C.data(), N, M * N,
                                 TESSEL_UK_ACT_NONE, 0, 0);
    });
  } else if ((op == "conv" && a.size() == 10) ||
             (op == "dwconv" && a.size() == 8)) {
    bool dw = op == "dwconv";
    tessel_uk_conv2d_shape s{};
    s.batch = 1;
    s.in_h = a[0];
    s.in_w = a[1];
    s.in_c = a[2];
    int i = 3;
    s.out_c = dw ? s.in_c : a[i++];
    s.kernel_h = a[i++];
    s.kernel_w = a[i++];
    s.stride_h = a[i++];
    s.stride_w = a[i++];
    s.dilation_h = s.dilation_w = 1;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = a[i++];
    s.groups = dw ? s.in_c : a[i++];
    long OH = tessel_uk_conv2d_out_h(&s), OW = tessel_uk_conv2d_out_w(&s);
    auto in = randomVector(s.in_h * s.in_w * s.in_c, 1);
    auto w = randomVector(
        s.out_c * (s.in_c / s.groups) * s.kernel_h * s.kernel_w, 2);
    auto bias = randomVector(s.out_c, 3);
    std::vector<float> out(OH * OW * s.out_c);
    double flops =
        2.0 * OH * OW * s.out_c * (s.in_c / s.groups) * s.kernel_h * s.kernel_w;
    if (dw) {
      std::vector<float> f(w.size());
      tessel_uk_pack_depthwise_filter_f32(s.in_c, s.kernel_h, s.kernel_w,
                                          w.data(), f.data());
      timeIt("dwconv", flops, ctx, [&] {
        tessel_uk_depthwise_conv2d_nhwc_f32(ctx, &s, in.data(), f.data(),
                                            bias.data(), nullptr, out.data(),
                                            TESSEL_UK_ACT_NONE, 0, 0);
      });
    } else {
      std::vector<float> packed(tessel_uk_conv2d_packed_filter_size_f32(&s));
      tessel_uk_pack_conv2d_filter_f32(&s, w.data(), packed.data());
      timeIt("conv", flops, ctx, [&] {
        tessel_uk_conv2d_nhwc_f32(ctx, &s, in.data(), packed.data(),
                                  bias.data(), nullptr, out.data(),
                                  TESSEL_UK_ACT_NONE, 0, 0);
      });
    }
  } else {
    tessel_uk_context_destroy(ctx);
    return usage();
  }
  tessel_uk_context_destroy(ctx);
  return 0;
}
