//===- RandomInstr.h - Random NPU instructions for fuzz tests ----*- C++
//-*-===//
#ifndef TESSEL_UNITTESTS_NPU_RANDOMINSTR_H
#define TESSEL_UNITTESTS_NPU_RANDOMINSTR_H

#include "tessel/Target/NPU/ISA.h"

#include <algorithm>
#include <random>

namespace tessel::npu::test {

/// Sets every field of an instruction to a random value that fits its bits.
struct RandomizeVisitor {
  std::mt19937_64 &rng;
  uint32_t addrLimit = 0; ///< 0: any 32-bit address.
  uint64_t bits(unsigned width) {
    uint64_t v = rng();
    return width >= 64 ? v : (v & ((uint64_t(1) << width) - 1));
  }
  /// Small values are more likely to pass verify(); mix both.
  uint64_t pick(unsigned width) {
    switch (rng() % 4) {
    case 0:
      return bits(width);
    case 1:
      return 1 + rng() % 4;
    default:
      return rng() % (width > 6 ? 64 : (1u << width));
    }
  }
  template <typename T>
  void num(const char *, T &m, unsigned, unsigned, unsigned width,
           bool isSigned, FieldDefault, NumFormat) {
    uint64_t b = pick(width);
    if (isSigned && width < 64 && ((b >> (width - 1)) & 1))
      m = static_cast<T>(
          static_cast<int64_t>(b | ~((uint64_t(1) << width) - 1)));
    else
      m = static_cast<T>(b);
  }
  void flag(const char *, bool &m, unsigned, unsigned) { m = rng() % 2; }
  void dtype(const char *, DType &m, unsigned, unsigned, FieldDefault) {
    m = static_cast<DType>(1 + rng() % (kNumDTypeCodes - 1));
  }
  template <typename E>
  void enumeration(const char *, E &m, unsigned, unsigned, unsigned,
                   const char *const *, unsigned count, FieldDefault, bool) {
    m = static_cast<E>(rng() % count);
  }
  void addr(const char *, Addr &m, unsigned, unsigned, unsigned, FieldDefault) {
    m.offset = static_cast<uint32_t>(rng());
    m.reg = static_cast<uint8_t>(rng() % kNumRegisters);
    if (addrLimit) {
      m.offset %= addrLimit;
      m.reg = 0;
    }
  }
  void reg(const char *, uint8_t &m, unsigned, unsigned) {
    m = static_cast<uint8_t>(1 + rng() % (kNumRegisters - 1));
  }
  void f32(const char *, float &m, unsigned, float d) {
    static const float vals[] = {-1.5f, 0.0f, 2.25f, -1e30f, 6.0f};
    m = rng() % 2 ? d : vals[rng() % 5];
  }
  void perm(const char *, std::array<uint8_t, 4> &m, unsigned, unsigned) {
    m = {0, 1, 2, 3};
    std::shuffle(m.begin(), m.end(), rng);
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned, unsigned) {
    for (LoopInc &inc : incs) {
      inc.reg = static_cast<uint8_t>(rng() % kNumRegisters);
      inc.value = inc.reg ? static_cast<int32_t>(rng()) : 0;
    }
  }
};

template <typename T>
Instr randomInstr(std::mt19937_64 &rng, uint32_t addrLimit = 0) {
  T instr;
  RandomizeVisitor v{rng, addrLimit};
  instr.visitFields(v);
  for (int s = 0; s < 2; ++s) {
    instr.sync.wait[s] =
        rng() % 3 ? -1 : static_cast<int8_t>(rng() % kNumSemaphores);
    instr.sync.signal[s] =
        rng() % 3 ? -1 : static_cast<int8_t>(rng() % kNumSemaphores);
  }
  return instr;
}

inline Instr randomAnyInstr(std::mt19937_64 &rng, uint32_t addrLimit = 0) {
  switch (rng() % 15) {
  case 0:
    return randomInstr<EndInstr>(rng, addrLimit);
  case 1:
    return randomInstr<SetRegInstr>(rng, addrLimit);
  case 2:
    return randomInstr<LoopInstr>(rng, addrLimit);
  case 3:
    return randomInstr<SyncInstr>(rng, addrLimit);
  case 4:
    return randomInstr<BarrierInstr>(rng, addrLimit);
  case 5:
    return randomInstr<DmaInstr>(rng, addrLimit);
  case 6:
    return randomInstr<CopyInstr>(rng, addrLimit);
  case 7:
    return randomInstr<ConvInstr>(rng, addrLimit);
  case 8:
    return randomInstr<MatmulInstr>(rng, addrLimit);
  case 9:
    return randomInstr<EltwiseInstr>(rng, addrLimit);
  case 10:
    return randomInstr<ActInstr>(rng, addrLimit);
  case 11:
    return randomInstr<PoolInstr>(rng, addrLimit);
  case 12:
    return randomInstr<ReduceInstr>(rng, addrLimit);
  case 13:
    return randomInstr<ConvertInstr>(rng, addrLimit);
  default:
    return randomInstr<LayoutInstr>(rng, addrLimit);
  }
}

} // namespace tessel::npu::test

#endif // TESSEL_UNITTESTS_NPU_RANDOMINSTR_H
