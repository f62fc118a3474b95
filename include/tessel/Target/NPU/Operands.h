//===- Operands.h - The memory regions an instruction touches ----*- C++ -*-===//
//
// One definition of which bytes each NPU instruction reads and writes, for
// the simulator (bounds, alignment and race checks) and for the compiler
// (the dependencies its scheduler turns into semaphore waits). Each operand
// is a 2-D view `base + i*s1 + j*s2 + [0, bytes)` for i < n1, j < n2 in one
// memory: DDR, or the VTCM of one core (docs/npu-isa.md section 5).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_OPERANDS_H
#define TESSEL_TARGET_NPU_OPERANDS_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/ISA.h"

#include <cstdint>
#include <vector>

namespace tessel::npu {

/// OperandRegion::mem of DDR; the VTCM of core c is c.
constexpr int kDdrMemory = -1;

enum class OperandRole : uint8_t { Read, Write, ReadWrite };

struct OperandRegion {
  const char *name = "";
  int mem = kDdrMemory;
  uint64_t base = 0, n1 = 1, s1 = 0, n2 = 1, s2 = 0, bytes = 0;
  OperandRole role = OperandRole::Read;
  uint32_t align = 1;         ///< Required alignment of `base`.
  const char *rule = nullptr; ///< The chip rule that asks for `align`.

  bool writes() const { return role != OperandRole::Read; }
  bool reads() const { return role != OperandRole::Write; }
  /// One past the last byte, without overflow.
  unsigned __int128 wideHi() const {
    using U = unsigned __int128;
    if (n1 == 0 || n2 == 0 || bytes == 0)
      return base;
    return static_cast<U>(base) + static_cast<U>(n1 - 1) * s1 +
           static_cast<U>(n2 - 1) * s2 + bytes;
  }
};

/// The operands of `instr` executing on core `core`, with `addr[k]` the
/// resolved value (offset + register) of its k-th address field, in field
/// order. Instructions without memory operands (front end, SYNC, BARRIER)
/// have none. A multicast load has one destination per core of its mask.
void instrOperands(const Instr &instr, uint32_t core, const uint64_t *addr,
                   const ChipModel &chip, std::vector<OperandRegion> &out);

/// The same, for an instruction whose addresses use no registers.
void instrOperands(const Instr &instr, uint32_t core, const ChipModel &chip,
                   std::vector<OperandRegion> &out);

} // namespace tessel::npu

#endif // TESSEL_TARGET_NPU_OPERANDS_H
