//===- Chip.h - Parameterized NPU chip models --------------------*- C++
//-*-===//
//
// A chip is data: a set of numbers read from a small INI-style text format.
// The built-in chips (edge-s, mobile-m, cloud-l) are compiled into the
// library as text in that same format; more chips load from files. The
// simulator, the cost model and the compiler's tiling all read these structs.
// docs/chips.md describes every key and every built-in chip.
//
//   [chip edge-s]
//   description = Edge NPU ...
//   cores = 1
//   clock_mhz = 500
//   matrix.k = 16
//   ...
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CHIP_H
#define TESSEL_TARGET_NPU_CHIP_H

#include "tessel/Support/Status.h"
#include "tessel/Target/NPU/ISA.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::npu {

struct ChipModel {
  std::string name;
  std::string description;

  // Cores and clock.
  uint32_t cores = 1;
  double clockMHz = 1000;

  // Matrix engine: a k x n MAC array; per cycle it reduces `k` input
  // channels into `n` output channels for one output pixel (8-bit inputs).
  uint32_t matrixK = 16;
  uint32_t matrixN = 16;
  uint32_t macsI16 = 0; ///< 16-bit MACs per cycle (0: not supported).
  uint32_t macsF16 = 0; ///< fp16 MACs per cycle (0: not supported).
  uint32_t matrixStartupCycles = 0; ///< Pipeline fill per instruction.

  // Vector engine.
  uint32_t vectorBytes = 16; ///< Bytes processed per cycle.
  uint32_t vectorStartupCycles = 0;

  // Local memory.
  uint64_t vtcmBytes = 256 * 1024;
  double vtcmUsablePercent = 100;

  // Alignment rules (bytes). Every operand is also naturally aligned.
  uint32_t alignActivation = 1; ///< conv in/out, matmul a/out.
  uint32_t alignWeight = 1;     ///< conv wt, matmul b.
  uint32_t alignVector = 1;     ///< Vector-engine operands.
  uint32_t alignDma = 1;        ///< DMA/COPY source and destination.

  // Data movement.
  double dmaBytesPerCycle = 16; ///< Per core DMA engine.
  uint32_t dmaLatencyCycles = 100;
  uint32_t dmaBurstBytes = 64;
  double ddrGBps = 4;               ///< Shared by all cores.
  uint64_t ddrBytes = 512ull << 20; ///< Largest DDR arena.
  double nocBytesPerCycle = 16;     ///< Core-to-core copies.
  uint32_t nocLatencyCycles = 0;
  bool multicast = false;
  uint32_t queueDepth = 64; ///< Dispatch queue entries per engine.

  std::vector<DType> dtypes;
  std::vector<std::string> ops;

  // Energy (GUESS values in docs/chips.md).
  double pjPerMacI8 = 0;
  double pjPerMacI16 = 0;
  double pjPerMacF16 = 0;
  double pjPerDdrByte = 0;
  double pjPerVtcmByte = 0;
  double staticPowerW = 0;

  /// int8 MACs per cycle per core (k * n).
  uint32_t macsI8() const { return matrixK * matrixN; }
  /// MACs per cycle per core for a matrix input type (0: unsupported).
  uint32_t macsPerCycle(DType inType) const;
  /// Peak tera-ops per second (2 ops per MAC) for all cores.
  double peakTops(DType inType) const;
  /// VTCM bytes programs may use: floor(bytes * percent / 100).
  uint64_t usableVtcmBytes() const;
  /// DDR bytes per core clock cycle (shared by all cores).
  double ddrBytesPerCycle() const { return ddrGBps * 1e3 / clockMHz; }
  bool supportsDType(DType t) const;
  bool supportsOp(std::string_view op) const;
  /// Energy per MAC (pJ) for a matrix input type.
  double pjPerMac(DType inType) const;

  /// Canonical text of every parameter (the format parseChips reads).
  std::string toText() const;
  /// FNV-1a 64 of toText() without the description: binaries record it so
  /// that a changed chip of the same name is noticed.
  uint64_t fingerprint() const;
};

/// Whether `chip` can run `instr` at all: its feature (featureOf) is in the
/// chip's ops, every element type it computes with is in the chip's dtypes
/// (data movement is not type-checked), and the cores it names exist. The
/// simulator faults with this message; the compiler can check ahead of
/// time. Bounds and alignment depend on addresses and are checked when the
/// instruction runs.
Status checkChipSupport(const Instr &instr, const ChipModel &chip);

/// The op names a chip's `ops` list may contain (featureOf() values).
const std::vector<std::string> &knownOps();

/// Parses one or more `[chip NAME]` sections; errors name source and line.
StatusOr<std::vector<ChipModel>> parseChips(std::string_view text,
                                            std::string_view source);

/// The text of the built-in chips (edge-s, mobile-m, cloud-l).
std::string_view builtinChipText();

/// Known chips: the built-ins plus any added from files or text.
class ChipRegistry {
public:
  /// A registry holding the built-in chips.
  ChipRegistry();
  /// The process-wide registry of built-in chips (immutable).
  static const ChipRegistry &builtin();

  /// Adds the chips of a file; a chip whose name exists replaces it.
  Status addFile(const std::string &path);
  Status addText(std::string_view text, std::string_view source);
  void add(ChipModel chip);

  const ChipModel *find(std::string_view name) const;
  const std::vector<ChipModel> &chips() const { return chips_; }
  /// The default chip (mobile-m).
  const ChipModel &defaultChip() const;
  static constexpr const char *kDefaultChip = "mobile-m";

  /// The table printed by `tessel-compile --list-chips`.
  std::string listText() const;

private:
  std::vector<ChipModel> chips_;
};

} // namespace tessel::npu

#endif // TESSEL_TARGET_NPU_CHIP_H
