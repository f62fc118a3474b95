//===- KernelsAvx512.cpp - AVX-512 kernels (12x32 tile) -------------------===//
//
// Compiled for AVX-512F/DQ/BW/VL inside a target region; the rest of the
// library is baseline x86-64. The tile is 12 rows by two packed panels (two
// zmm per row): 24 accumulators, 2 B loads and 12 broadcasts per k.
//
//===----------------------------------------------------------------------===//
#include "UKernelsInternal.h"

#include <cstdint>

#ifdef TESSEL_UK_X86
#if defined(__clang__)
#pragma clang attribute push(                                                  \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))),    \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")
#endif

namespace tessel::uk {
namespace avx512 {
#define UK_VEC_BYTES 64
#define UK_MR 12
#define UK_NV 2
#define UK_PREFETCH_K 8
#define UK_ISA TESSEL_UK_ISA_AVX512
#include "KernelBody.inc"
} // namespace avx512
} // namespace tessel::uk

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace tessel::uk {
const KernelSet &avx512Kernels() { return avx512::kKernels; }
} // namespace tessel::uk
#endif // TESSEL_UK_X86
