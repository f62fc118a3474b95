//===- ConvDemoTest.cpp - The double-buffered int8 conv layer on every chip
//===//
//
// test/lit/NPU/Inputs/conv_int8_db.s is a hand-written conv layer (DMA in,
// conv with per-channel requantization, DMA out, double-buffered). It must
// match a plain reference bit for bit on every chip, and its timeline must
// show the DMA engine busy while the matrix engine computes.
//
//===----------------------------------------------------------------------===//
#include "ConvDemoData.h"
#include "SimTestUtil.h"

using namespace tessel;
using namespace tessel::simtest;

using namespace tessel::convdemo;

namespace {

struct DemoRun {
  SimResult result;
  bool matches = false;
};

DemoRun runDemo(const ChipModel &chip, const ConvData &d,
                const Program &program) {
  SimHarness h(chip, kDdrBytes);
  uint8_t *ddr = h.ddrPtr();
  std::memcpy(ddr + kInAddr, d.in.data(), d.in.size());
  std::memcpy(ddr + kWAddr, d.w.data(), d.w.size());
  for (int co = 0; co < CO; ++co) {
    uint8_t *e = ddr + kTblAddr + 16 * co;
    std::memcpy(e, &d.bias[co], 8);
    std::memcpy(e + 8, &d.mult[co], 4);
    std::memcpy(e + 12, &d.shift[co], 4);
  }
  Status s = h.run(program);
  EXPECT_TRUE(s.isOk()) << chip.name << ": " << s.message();
  DemoRun r;
  r.matches =
      std::memcmp(ddr + kOutAddr, d.expected.data(), d.expected.size()) == 0;
  r.result = std::move(h.result);
  return r;
}

} // namespace

TEST(ConvDemoTest, MatchesTheReferenceOnEveryChipAndOverlapsDmaWithCompute) {
  ConvData data = makeData();
  Program program = assembleOrDie(demoText());
  ASSERT_EQ(program.numCores(), 1u);

  // The built-in chips, plus a fourth chip defined by data alone.
  ChipRegistry registry;
  ASSERT_TRUE(registry
                  .addText(R"(
[chip npu-q]
cores = 1
clock_mhz = 800
matrix.k = 8
matrix.n = 32
matrix.i16_macs = 64
vector.bytes = 64
vtcm.bytes = 131072
vtcm.usable_percent = 75
align.activation = 256
dma.bytes_per_cycle = 32
dma.latency_cycles = 120
dma.burst_bytes = 32
ddr.gbps = 12.8
ddr.bytes = 268435456
dtypes = i8, i16, i32
ops = conv, requant
energy.pj_per_mac_i8 = 0.2
energy.pj_per_ddr_byte = 30
energy.static_w = 0.1
)",
                           "npu-q.chip")
                  .isOk());
  for (const ChipModel &chip : registry.chips()) {
    SCOPED_TRACE(chip.name);
    DemoRun r = runDemo(chip, data, program);
    EXPECT_TRUE(r.matches) << "output differs from the reference on "
                           << chip.name;
    const RunStats &st = r.result.stats;
    EXPECT_EQ(st.macs, uint64_t(H) * W * CO * 9 * C);
    // The timeline shows DMA and compute overlapping: some DMA record
    // starts while a conv is running.
    bool overlap = false;
    for (const InstrRecord &a : r.result.records)
      for (const InstrRecord &b : r.result.records)
        if (a.engine == 0 && b.opcode == Opcode::Conv && a.start > b.start &&
            a.start < b.end)
          overlap = true;
    EXPECT_TRUE(overlap);
    EXPECT_GT(st.overlapCycles, 0u);
    // Double buffering hides most of the transfer time: the layer takes
    // less than the sum of its DMA and matrix work.
    EXPECT_LT(st.cycles, st.busy[0][0] + st.busy[0][1]);
    ASSERT_EQ(r.result.layers.size(), 2u);
    EXPECT_EQ(r.result.layers[1].name, "conv3x3");
    EXPECT_EQ(r.result.layers[1].macs, st.macs);
    std::string trace = chromeTraceJson(chip, program, r.result);
    EXPECT_NE(trace.find("\"core 0 DMA\""), std::string::npos);
    EXPECT_NE(trace.find("\"name\": \"conv\""), std::string::npos);
  }
}

TEST(ConvDemoTest, AMissingWaitShowsTheHazard) {
  // Drop the wait on the input buffer of the first conv: it would read the
  // tile while the DMA is still writing it.
  std::string text = demoText();
  std::string from = "lo=5 wait=s1 wait=s7 signal=s3 signal=s5\n  dma.store "
                     "src=0x8000 dst=0x10000";
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, from.size(),
               "lo=5 wait=s7 signal=s3 signal=s5\n  dma.store src=0x8000 "
               "dst=0x10000");
  ConvData data = makeData();
  SimHarness h(*ChipRegistry::builtin().find("mobile-m"), kDdrBytes);
  Status s = h.run(assembleOrDie(text));
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("hazard: reads data that a pending write has "
                             "not been ordered before: operand 'in'"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("core 0, instruction 6 (conv requant"),
            std::string::npos)
      << s.message();
}

TEST(ConvDemoTest, TimingOnlyRunsCostTheSameAndComputeNothing) {
  // Compile-time tuning (tessel-compile --tune) simulates timing only: the
  // cycles and counters must be those of the functional run, and the
  // output must stay untouched.
  ConvData data = makeData();
  Program program = assembleOrDie(demoText());
  const ChipModel &chip = *ChipRegistry::builtin().find("mobile-m");
  DemoRun full = runDemo(chip, data, program);
  ASSERT_TRUE(full.matches);
  SimHarness h(chip, kDdrBytes);
  h.sim.options().timingOnly = true;
  uint8_t *ddr = h.ddrPtr();
  std::memcpy(ddr + kInAddr, data.in.data(), data.in.size());
  ASSERT_TRUE(h.run(program).isOk());
  const RunStats &a = full.result.stats, &b = h.result.stats;
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.instructions, b.instructions);
  EXPECT_EQ(a.macs, b.macs);
  EXPECT_EQ(a.ddrBytesRead, b.ddrBytesRead);
  EXPECT_EQ(a.overlapCycles, b.overlapCycles);
  std::vector<uint8_t> zeros(data.expected.size(), 0);
  EXPECT_EQ(std::memcmp(ddr + kOutAddr, zeros.data(), zeros.size()), 0);
}
