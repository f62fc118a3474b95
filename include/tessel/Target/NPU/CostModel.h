//===- CostModel.h - Cycle costs of NPU instructions -------------*- C++
//-*-===//
//
// The one definition of what an instruction costs on a chip. The simulator's
// timing model calls exactly these functions (adding only what depends on
// other instructions: waits, engine occupancy and shared-DDR contention), so
// the compiler's tiling and scheduling estimates agree with the simulator.
// docs/npu-isa.md ("Timing") states the formulas.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_COSTMODEL_H
#define TESSEL_TARGET_NPU_COSTMODEL_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/ISA.h"

#include <cstdint>

namespace tessel::npu {

//===----------------------------------------------------------------------===//
// Matrix engine
//===----------------------------------------------------------------------===//

/// One convolution tile as the matrix engine sees it.
struct ConvShape {
  uint64_t outH = 1, outW = 1;
  uint64_t cin = 1, cout = 1; ///< Total channels (all groups).
  uint64_t kh = 1, kw = 1;
  uint64_t groups = 1;
  DType inType = DType::I8;
};

/// MACs of a conv tile: outH * outW * kh * kw * (cin / groups) * cout.
uint64_t convMacs(const ConvShape &s);
/// Matrix-engine cycles of a conv tile:
///   startup + ceil(passes * macsI8 / macs(inType)) where
///   passes = outH*outW*kh*kw * ceil(cin_g / k) * ceil(cout_g / n) * groups,
/// or, for depthwise-like tiles (cin / groups == 1), the groups spread over
/// the n columns: outH*outW*kh*kw * ceil(cout / n).
/// Returns 0 if the chip has no MACs for inType.
uint64_t convCycles(const ChipModel &chip, const ConvShape &s);

/// MACs and cycles of an m x k by k x n matmul tile:
///   startup + ceil(m * ceil(k / chip.k) * ceil(n / chip.n) * ratio).
uint64_t matmulMacs(uint64_t m, uint64_t n, uint64_t k);
uint64_t matmulCycles(const ChipModel &chip, uint64_t m, uint64_t n, uint64_t k,
                      DType inType);

//===----------------------------------------------------------------------===//
// Vector engine
//===----------------------------------------------------------------------===//

/// Vector-engine cycles: startup + ceil(elements * passes * elemBytes /
/// vector.bytes), with elemBytes the wider of the input and output types.
uint64_t vectorCycles(const ChipModel &chip, uint64_t elements, unsigned passes,
                      unsigned elemBytes);
/// Cycles of a requant ELTWISE over `elements` elements.
uint64_t requantEltwiseCycles(const ChipModel &chip, uint64_t elements);

//===----------------------------------------------------------------------===//
// DMA engine
//===----------------------------------------------------------------------===//

/// A 2-D transfer as the DMA engine sees it.
struct DmaShape {
  uint64_t rows = 1;
  uint64_t rowBytes = 0;    ///< Source bytes per row.
  uint64_t srcStride = 0;   ///< Source bytes between rows.
  uint64_t dstRows = 1;     ///< Destination rows (with padding).
  uint64_t dstRowBytes = 0; ///< Destination bytes per row (with padding).
  uint64_t dstStride = 0;
  bool srcDdr = false;  ///< The source is DDR (else VTCM).
  bool dstDdr = false;  ///< The destination is DDR (else VTCM).
  uint64_t srcAddr = 0; ///< For burst alignment (0 if unknown).
  uint64_t dstAddr = 0;
  bool noc = false; ///< Core-to-core copy over the NoC.
};

struct DmaCost {
  uint64_t bytesRead = 0;    ///< Payload bytes read.
  uint64_t bytesWritten = 0; ///< Bytes written (padding included).
  uint64_t ddrBytes = 0;     ///< DDR bytes transferred, in whole bursts.
  uint64_t engineCycles = 0; ///< DMA engine occupancy.
  uint64_t ddrCycles = 0;    ///< Occupancy of the shared DDR channel.
  uint64_t latency = 0;      ///< Added after the transfer completes.
  /// Cycles of the transfer alone on an idle chip.
  uint64_t total() const {
    return (engineCycles > ddrCycles ? engineCycles : ddrCycles) + latency;
  }
};

/// DDR bytes of `runs` contiguous runs of `runBytes` starting `misalign`
/// bytes into a burst: runs * ceil((misalign + runBytes) / burst) * burst.
uint64_t burstBytes(const ChipModel &chip, uint64_t runs, uint64_t runBytes,
                    uint64_t misalign);
DmaCost dmaCost(const ChipModel &chip, const DmaShape &s);

//===----------------------------------------------------------------------===//
// Whole instructions
//===----------------------------------------------------------------------===//

/// MACs an instruction performs (conv and matmul; 0 otherwise).
uint64_t instrMacs(const Instr &instr);
/// Element operations an instruction performs (MACs for the matrix engine,
/// elements times taps for the vector engine, bytes for DMA): the unit of
/// the simulator's work budget.
uint64_t instrWork(const Instr &instr);
/// Engine cycles of a matrix- or vector-engine instruction on an idle
/// engine (0 for other instructions). `DmaShape`s of DMA/COPY instructions
/// come from their resolved addresses; see dmaShapeOf.
uint64_t computeCycles(const ChipModel &chip, const Instr &instr);
/// The DmaShape of a DMA or COPY instruction at resolved addresses.
DmaShape dmaShapeOf(const Instr &instr, uint64_t srcAddr, uint64_t dstAddr);

} // namespace tessel::npu

#endif // TESSEL_TARGET_NPU_COSTMODEL_H
