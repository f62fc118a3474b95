//===- Context.cpp - Contexts, CPU features and kernel selection ----------===//
#include "Driver.h"

#include <cstdlib>
#include <cstring>
#include <new>

using namespace tessel::uk;

struct tessel_uk_context {
  int threads = 1;
  tessel_uk_isa isa = TESSEL_UK_ISA_PORTABLE;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<ScratchBuffer[]> perThread;
  ScratchBuffer shared;
};

namespace tessel::uk {

ScratchBuffer::~ScratchBuffer() { std::free(data); }

float *ScratchBuffer::get(int64_t n) {
  if (n <= capacity)
    return data;
  std::free(data);
  // Round up to whole cache lines; aligned_alloc wants a multiple of 64.
  int64_t bytes = (n * static_cast<int64_t>(sizeof(float)) + 63) / 64 * 64;
  data = static_cast<float *>(std::aligned_alloc(64, bytes));
  capacity = data ? bytes / static_cast<int64_t>(sizeof(float)) : 0;
  return data;
}

const KernelSet &kernelsFor(tessel_uk_isa isa) {
#ifdef TESSEL_UK_X86
  if (isa == TESSEL_UK_ISA_AVX512)
    return avx512Kernels();
  if (isa == TESSEL_UK_ISA_AVX2)
    return avx2Kernels();
#endif
  return portableKernels();
}

Exec makeExec(tessel_uk_context *ctx) {
  if (ctx)
    return Exec{&kernelsFor(ctx->isa), ctx->pool.get(), ctx->perThread.get(),
                &ctx->shared};
  thread_local ScratchBuffer perThread, shared;
  return Exec{&kernelsFor(tessel_uk_detect_isa()), nullptr, &perThread,
              &shared};
}

} // namespace tessel::uk

namespace {
/// What the CPU and OS support (libgcc's CPUID check includes the OS's
/// XSAVE support for the ymm/zmm state).
tessel_uk_isa cpuIsa() {
#ifdef TESSEL_UK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return TESSEL_UK_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return TESSEL_UK_ISA_AVX2;
#endif
  return TESSEL_UK_ISA_PORTABLE;
}
} // namespace

extern "C" {

tessel_uk_isa tessel_uk_detect_isa(void) {
  static const tessel_uk_isa cpu = cpuIsa();
  tessel_uk_isa isa = cpu;
  if (const char *env = std::getenv("TESSEL_UK_ISA")) {
    tessel_uk_isa cap = isa;
    if (!std::strcmp(env, "portable"))
      cap = TESSEL_UK_ISA_PORTABLE;
    else if (!std::strcmp(env, "avx2"))
      cap = TESSEL_UK_ISA_AVX2;
    if (cap < isa)
      isa = cap;
  }
  return isa;
}

int tessel_uk_isa_supported(tessel_uk_isa isa) {
  static const tessel_uk_isa cpu = cpuIsa();
  return isa >= TESSEL_UK_ISA_PORTABLE && isa <= cpu;
}

const char *tessel_uk_isa_name(tessel_uk_isa isa) {
  switch (isa) {
  case TESSEL_UK_ISA_PORTABLE:
    return "portable";
  case TESSEL_UK_ISA_AVX2:
    return "avx2";
  case TESSEL_UK_ISA_AVX512:
    return "avx512";
  }
  return "unknown";
}

tessel_uk_context *tessel_uk_context_create(int32_t threads) {
  if (threads < 1)
    threads = 1;
  auto *ctx = new (std::nothrow) tessel_uk_context;
  if (!ctx)
    return nullptr;
  ctx->threads = threads;
  ctx->isa = tessel_uk_detect_isa();
  ctx->perThread.reset(new (std::nothrow) ScratchBuffer[threads]);
  if (threads > 1)
    ctx->pool.reset(new (std::nothrow) ThreadPool(threads));
  if (!ctx->perThread || (threads > 1 && (!ctx->pool || !ctx->pool->ok()))) {
    delete ctx;
    return nullptr;
  }
  return ctx;
}

void tessel_uk_context_destroy(tessel_uk_context *ctx) { delete ctx; }

int32_t tessel_uk_context_threads(const tessel_uk_context *ctx) {
  return ctx ? ctx->threads : 1;
}

int tessel_uk_context_set_isa(tessel_uk_context *ctx, tessel_uk_isa isa) {
  if (!ctx || !tessel_uk_isa_supported(isa))
    return TESSEL_UK_ERR_INVALID;
  ctx->isa = isa;
  return TESSEL_UK_OK;
}

tessel_uk_isa tessel_uk_context_isa(const tessel_uk_context *ctx) {
  return ctx ? ctx->isa : tessel_uk_detect_isa();
}

void tessel_uk_activation_f32(int32_t act, float alpha, float beta,
                              const float *in, float *out, int64_t n) {
  kernelsFor(tessel_uk_detect_isa()).activation(act, alpha, beta, in, out, n);
}

} // extern "C"
