//===- KernelsAvx2.cpp - AVX2 + FMA kernels (6x16 tile) -------------------===//
//
// Compiled for AVX2 and FMA inside a target region; the rest of the library
// is baseline x86-64, and these functions run only when CPUID says so.
//
//===----------------------------------------------------------------------===//
#include "UKernelsInternal.h"

#include <cstdint>

#ifdef TESSEL_UK_X86
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))),              \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace tessel::uk {
namespace avx2 {
#define UK_VEC_BYTES 32
#define UK_MR 6
#define UK_NV 2
#define UK_PREFETCH_K 8
#define UK_ISA TESSEL_UK_ISA_AVX2
#include "KernelBody.inc"
} // namespace avx2
} // namespace tessel::uk

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace tessel::uk {
const KernelSet &avx2Kernels() { return avx2::kKernels; }
} // namespace tessel::uk
#endif // TESSEL_UK_X86
