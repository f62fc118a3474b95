//===- KernelsPortable.cpp - 128-bit vector-extension kernels -------------===//
//
// The fallback on x86-64 (SSE2) and the kernels of every other architecture
// (NEON on AArch64). AArch64 has 32 vector registers, so its tile is 6 rows
// (24 accumulators); 16-register targets use 4 rows.
//
//===----------------------------------------------------------------------===//
#include "UKernelsInternal.h"

#include <cstdint>

namespace tessel::uk {
namespace portable {
#define UK_VEC_BYTES 16
#if defined(__aarch64__)
#define UK_MR 6
#else
#define UK_MR 4
#endif
#define UK_NV 4
#define UK_PREFETCH_K 8
#define UK_ISA TESSEL_UK_ISA_PORTABLE
#include "KernelBody.inc"
} // namespace portable

const KernelSet &portableKernels() { return portable::kKernels; }
} // namespace tessel::uk
