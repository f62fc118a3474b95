//===- SimKernels.h - Functional semantics of NPU instructions ---*- C++
//-*-===//
//
// Internal to the simulator. Each kernel gets base pointers into memory the
// caller has already checked (bounds, alignment, VTCM limits) for exactly the
// regions the instruction touches, and implements docs/npu-isa.md. A kernel
// may still find bad data (a requant table entry out of range); it returns
// an error message then, before writing anything.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_RUNTIME_SIMKERNELS_H
#define TESSEL_LIB_RUNTIME_SIMKERNELS_H

#include "tessel/Target/NPU/ISA.h"

#include <cstdint>
#include <string>

namespace tessel::sim {

/// Effective strides (in elements) after applying the "dense" defaults.
struct ConvGeometry {
  int64_t oh, ow;
  int64_t inRow, inPix, outRow, outPix;
};
ConvGeometry convGeometry(const npu::ConvInstr &c);

struct PoolGeometry {
  int64_t oh, ow;
  int64_t inRow, inPix, outRow, outPix;
};
PoolGeometry poolGeometry(const npu::PoolInstr &p);

/// Each returns an empty string on success, else the reason.
std::string runConv(const npu::ConvInstr &c, const uint8_t *in,
                    const uint8_t *w, uint8_t *out, const uint8_t *table);
std::string runMatmul(const npu::MatmulInstr &m, const uint8_t *a,
                      const uint8_t *b, uint8_t *out, const uint8_t *table);
std::string runEltwise(const npu::EltwiseInstr &e, const uint8_t *a,
                       const uint8_t *b, uint8_t *out,
                       const uint8_t *table = nullptr);
std::string runAct(const npu::ActInstr &a, const uint8_t *in, uint8_t *out,
                   const uint8_t *lut);
std::string runPool(const npu::PoolInstr &p, const uint8_t *in, uint8_t *out);
std::string runReduce(const npu::ReduceInstr &r, const uint8_t *in,
                      uint8_t *out);
std::string runConvert(const npu::ConvertInstr &c, const uint8_t *in,
                       uint8_t *out, const uint8_t *table);
std::string runLayout(const npu::LayoutInstr &l, const uint8_t *in,
                      uint8_t *out);

/// A 2-D strided copy with padding (DMA and COPY). `src` is read completely
/// before `dst` is written, so overlapping regions behave like memmove.
struct Copy2D {
  npu::DType dtype;
  uint64_t rows, cols;
  uint64_t srcStride, dstStride; ///< Bytes (effective).
  uint64_t padTop, padBottom, padLeft, padRight;
  int32_t pad;
};
void runCopy2D(const Copy2D &c, const uint8_t *src, uint8_t *const *dsts,
               unsigned numDsts);

/// The bit pattern of `value` as one element of `t` (little-endian).
void encodePad(npu::DType t, int32_t value, uint8_t out[8]);

} // namespace tessel::sim

#endif // TESSEL_LIB_RUNTIME_SIMKERNELS_H
