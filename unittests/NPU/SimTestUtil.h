//===- SimTestUtil.h - Helpers for the simulator tests -----------*- C++
//-*-===//
#ifndef TESSEL_UNITTESTS_NPU_SIMTESTUTIL_H
#define TESSEL_UNITTESTS_NPU_SIMTESTUTIL_H

#include "tessel/Runtime/Simulator.h"
#include "tessel/Support/Float16.h"
#include "tessel/Target/NPU/Program.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <random>
#include <vector>

namespace tessel::simtest {

using namespace tessel::npu;
using namespace tessel::sim;

/// A permissive two-core chip for instruction tests: everything supported,
/// no alignment rules beyond natural alignment.
inline const ChipModel &testChip() {
  static const ChipModel chip = [] {
    StatusOr<std::vector<ChipModel>> c = parseChips(R"(
[chip test-x]
cores = 2
clock_mhz = 1000
matrix.k = 16
matrix.n = 16
matrix.i16_macs = 64
matrix.f16_macs = 128
vector.bytes = 32
vtcm.bytes = 4194304
dma.bytes_per_cycle = 32
dma.latency_cycles = 50
dma.burst_bytes = 64
ddr.gbps = 16
ddr.bytes = 1073741824
noc.bytes_per_cycle = 16
noc.latency_cycles = 10
multicast = yes
dtypes = i8, u8, i16, i32, i64, f16, f32
ops = conv, dwconv, matmul, add, sub, mul, max, min, clamp, lut, sigmoid, tanh, exp, maxpool, avgpool, reduce_sum, reduce_max, reduce_min, reduce_mean, requant, quant, dequant, cast, layout, copy, multicast
energy.pj_per_mac_i8 = 0.2
energy.pj_per_ddr_byte = 20
energy.static_w = 1
)",
                                                    "test-x");
    if (!c)
      std::abort();
    return c->front();
  }();
  return chip;
}

/// A single-core program: the instructions, then END.
inline Program program(std::initializer_list<Instr> instrs) {
  ProgramBuilder b;
  for (const Instr &i : instrs) {
    Status s = b.emit(0, i);
    EXPECT_TRUE(s.isOk()) << s.message() << "\n" << disassemble(i);
  }
  EXPECT_TRUE(b.emit(0, EndInstr{}).isOk());
  return b.take();
}

inline Program assembleOrDie(const std::string &text) {
  StatusOr<Program> p = assemble(text, "test.s");
  EXPECT_TRUE(p.isOk()) << p.message();
  return p ? p.take() : Program();
}

/// Typed access to little-endian byte buffers.
inline int64_t getInt(const uint8_t *p, DType t) {
  switch (t) {
  case DType::I8:
    return static_cast<int8_t>(*p);
  case DType::U8:
    return *p;
  case DType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  default: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  }
}
inline void setInt(uint8_t *p, DType t, int64_t v) {
  std::memcpy(p, &v, dtypeBytes(t)); // Little-endian truncation.
}
inline float getFloat(const uint8_t *p, DType t) {
  if (t == DType::F16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return support::halfToFloat(h);
  }
  float f;
  std::memcpy(&f, p, 4);
  return f;
}
inline void setFloat(uint8_t *p, DType t, float v) {
  if (t == DType::F16) {
    uint16_t h = support::floatToHalf(v);
    std::memcpy(p, &h, 2);
    return;
  }
  std::memcpy(p, &v, 4);
}

/// Random integers of a type.
inline int64_t randomOf(std::mt19937_64 &rng, DType t) {
  int64_t lo = dtypeMin(t), hi = dtypeMax(t);
  if (t == DType::I32 || t == DType::I64) {
    lo = -100000;
    hi = 100000;
  }
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

/// A simulator with a writable DDR.
struct SimHarness {
  explicit SimHarness(const ChipModel &chip = testChip(),
                      uint64_t ddrBytes = 1 << 20)
      : sim(chip), ddr(ddrBytes) {
    sim.options().keepRecords = true;
  }
  uint8_t *vtcm(uint32_t core = 0) { return sim.vtcm(core); }
  uint8_t *ddrPtr(uint64_t addr = 0) { return ddr.pointer(addr, 1, true); }
  Status run(const Program &p) { return sim.run(p, ddr, result); }
  Simulator sim;
  DdrMemory ddr;
  SimResult result;
};

} // namespace tessel::simtest

#endif // TESSEL_UNITTESTS_NPU_SIMTESTUTIL_H
