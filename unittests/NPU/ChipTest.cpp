//===- ChipTest.cpp - Chip models as data and the cost model --------------===//
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/CostModel.h"

#include <gtest/gtest.h>

using namespace tessel;
using namespace tessel::npu;

namespace {
/// A fourth chip, defined by data alone.
const char *kTinyChip = R"(
# A test chip nobody ships.
[chip tiny-t]
description = two cores, 8x8 array
cores = 2
clock_mhz = 250
matrix.k = 8
matrix.n = 8
matrix.i16_macs = 16
vector.bytes = 8
vtcm.bytes = 65536
vtcm.usable_percent = 50
dma.bytes_per_cycle = 8
dma.latency_cycles = 20
dma.burst_bytes = 32
ddr.gbps = 1
ddr.bytes = 1048576
noc.bytes_per_cycle = 4
dtypes = i8, i16, i32
ops = conv, matmul, add, requant, copy
energy.pj_per_mac_i8 = 0.3
energy.pj_per_ddr_byte = 50
energy.static_w = 0.01
)";
} // namespace

TEST(ChipTest, BuiltinChipsSpanEdgeMobileAndCloud) {
  const ChipRegistry &r = ChipRegistry::builtin();
  ASSERT_EQ(r.chips().size(), 3u);
  const ChipModel *edge = r.find("edge-s");
  const ChipModel *mobile = r.find("mobile-m");
  const ChipModel *cloud = r.find("cloud-l");
  ASSERT_TRUE(edge && mobile && cloud);
  EXPECT_EQ(&r.defaultChip(), mobile);
  EXPECT_EQ(edge->macsI8(), 256u);
  EXPECT_EQ(edge->usableVtcmBytes(), 256u * 1024);
  EXPECT_FALSE(edge->supportsDType(DType::F16));
  EXPECT_EQ(mobile->usableVtcmBytes(), 7u * 1024 * 1024);
  EXPECT_EQ(mobile->vectorBytes, 128u);
  EXPECT_TRUE(mobile->supportsDType(DType::F16));
  EXPECT_EQ(cloud->cores, 16u);
  EXPECT_EQ(cloud->macsI8(), 8192u);
  EXPECT_EQ(cloud->macsPerCycle(DType::F16), 4096u);
  EXPECT_TRUE(cloud->multicast);
  EXPECT_NEAR(cloud->peakTops(DType::I8), 393.2, 0.1);
  EXPECT_NE(edge->fingerprint(), mobile->fingerprint());
}

TEST(ChipTest, CanonicalTextReparsesToTheSameChip) {
  for (const ChipModel &c : ChipRegistry::builtin().chips()) {
    StatusOr<std::vector<ChipModel>> again = parseChips(c.toText(), "x");
    ASSERT_TRUE(again.isOk()) << again.message();
    ASSERT_EQ(again->size(), 1u);
    EXPECT_EQ(again->front().fingerprint(), c.fingerprint());
    EXPECT_EQ(again->front().toText(), c.toText());
  }
}

TEST(ChipTest, AFourthChipComesFromDataAlone) {
  ChipRegistry r;
  ASSERT_TRUE(r.addText(kTinyChip, "tiny.chip").isOk());
  const ChipModel *t = r.find("tiny-t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->cores, 2u);
  EXPECT_EQ(t->usableVtcmBytes(), 32768u);
  EXPECT_EQ(t->queueDepth, 64u); // Default of an optional key.
  EXPECT_TRUE(t->supportsOp("copy"));
  EXPECT_FALSE(t->supportsOp("lut"));
  EXPECT_NE(r.listText().find("tiny-t"), std::string::npos);
  // The cost model follows the data.
  ConvShape s;
  s.outH = s.outW = 4;
  s.cin = 16;
  s.cout = 16;
  s.kh = s.kw = 3;
  EXPECT_EQ(convCycles(*t, s), 4u * 4 * 9 * 2 * 2);
}

TEST(ChipTest, ChipFileErrorsNameTheLine) {
  auto err = [](const std::string &text) {
    StatusOr<std::vector<ChipModel>> r = parseChips(text, "c.chip");
    EXPECT_FALSE(r.isOk());
    return r.isOk() ? std::string() : r.message();
  };
  std::string base = kTinyChip;
  EXPECT_EQ(err("cores = 1\n"),
            "c.chip:1: a key before any '[chip NAME]' section");
  EXPECT_EQ(err(base + "bogus.key = 3\n"),
            "c.chip:24: unknown key 'bogus.key' (docs/chips.md lists the "
            "keys)");
  std::string noCores = base;
  noCores.replace(noCores.find("cores = 2\n"), 10, "");
  EXPECT_EQ(err(noCores), "c.chip:3: missing required key 'cores'");
  std::string badOp = base;
  badOp.replace(badOp.find("copy"), 4, "teleport");
  EXPECT_NE(err(badOp).find("c.chip:20: unknown op 'teleport'"),
            std::string::npos);
  std::string noI16 = base;
  noI16.replace(noI16.find("i8, i16, i32"), 12, "i8, i32");
  EXPECT_EQ(err(noI16), "c.chip:3: chip 'tiny-t': every chip supports i16; "
                        "add it to dtypes");
}

TEST(ChipTest, CostModelFormulas) {
  const ChipModel &edge = *ChipRegistry::builtin().find("edge-s");
  // 16x16 array: a 4x32 output tile of a 3x3 conv with 32 -> 64 channels
  // takes 128 pixels * 9 taps * 2 k-passes * 4 n-passes.
  ConvShape s;
  s.outH = 4;
  s.outW = 32;
  s.cin = 32;
  s.cout = 64;
  s.kh = s.kw = 3;
  EXPECT_EQ(convMacs(s), 128u * 9 * 32 * 64);
  EXPECT_EQ(convCycles(edge, s), 128u * 9 * 2 * 4 + 16);
  // Depthwise: channels spread over the 16 columns.
  ConvShape dw = s;
  dw.cin = dw.cout = dw.groups = 64;
  EXPECT_EQ(convCycles(edge, dw), 128u * 9 * 4 + 16);
  // i16 runs at 64 MACs per cycle: 4x the cycles.
  s.inType = DType::I16;
  EXPECT_EQ(convCycles(edge, s), 128u * 9 * 2 * 4 * 4 + 16);
  s.inType = DType::F16;
  EXPECT_EQ(convCycles(edge, s), 0u); // No fp16 on edge-s.
  EXPECT_EQ(matmulCycles(edge, 10, 33, 16, DType::I8), 10u * 1 * 3 + 16);

  // DMA: bursts of 64 bytes; 4 GB/s at 500 MHz = 8 bytes per cycle.
  DmaShape d;
  d.rows = 6;
  d.rowBytes = 100;
  d.srcStride = 1000;
  d.dstRows = 6;
  d.dstRowBytes = 100;
  d.dstStride = 100;
  d.srcDdr = true;
  DmaCost c = dmaCost(edge, d);
  EXPECT_EQ(c.ddrBytes, 6u * 128);
  EXPECT_EQ(c.ddrCycles, 6u * 128 / 8);
  EXPECT_EQ(c.engineCycles, (600u + 15) / 16);
  EXPECT_EQ(c.latency, 250u);
  EXPECT_EQ(c.total(), 96u + 250);
  // Contiguous rows form one run.
  d.srcStride = 100;
  EXPECT_EQ(dmaCost(edge, d).ddrBytes, 640u);
  EXPECT_EQ(burstBytes(edge, 1, 64, 32), 128u);
}

TEST(ChipTest, ChipSupportIsCheckedAheadOfTime) {
  const ChipRegistry &r = ChipRegistry::builtin();
  const ChipModel &edge = *r.find("edge-s");
  const ChipModel &cloud = *r.find("cloud-l");
  auto parsed = [](const char *text) {
    StatusOr<Instr> i = parseInstr(text);
    EXPECT_TRUE(i.isOk()) << i.message();
    return i.take();
  };
  Instr sig = parsed("act.sigmoid in=0 out=0 dt=f16 odt=f16 cols=8");
  EXPECT_EQ(checkChipSupport(sig, edge).message(),
            "chip edge-s does not support 'sigmoid'");
  EXPECT_TRUE(checkChipSupport(sig, cloud).isOk());
  Instr mm = parsed("matmul a=0 b=0 out=0 m=1 n=1 k=1 dt=f16 wdt=f16 "
                    "odt=f32");
  EXPECT_EQ(checkChipSupport(mm, edge).message(),
            "chip edge-s does not support element type f16");
  Instr mc = parsed("dma.load src=0 dst=0 cols=8 mask=0x3");
  EXPECT_EQ(checkChipSupport(mc, edge).message(),
            "chip edge-s does not support 'multicast'");
  Instr far = parsed("copy src=0 dst=0 cols=8 core=20");
  EXPECT_EQ(checkChipSupport(far, cloud).message(),
            "the instruction names cores that chip cloud-l (16 cores) does "
            "not have");
  // The requant form of ELTWISE also needs 'requant'; a multicast COPY also
  // needs 'copy'.
  ChipModel few = cloud;
  few.ops = {"add", "multicast"};
  Instr qadd = parsed("eltwise.add requant a=0 b=0 out=0 tbl=0x40 cols=8");
  EXPECT_EQ(checkChipSupport(qadd, few).message(),
            "chip cloud-l does not support 'requant'");
  EXPECT_TRUE(checkChipSupport(qadd, cloud).isOk());
  EXPECT_TRUE(
      checkChipSupport(parsed("eltwise.add a=0 b=0 out=0 cols=8"), few).isOk());
  Instr mcopy = parsed("copy src=0 dst=0 cols=8 mask=0x6");
  EXPECT_EQ(checkChipSupport(mcopy, few).message(),
            "chip cloud-l does not support 'copy'");
  EXPECT_TRUE(checkChipSupport(mcopy, cloud).isOk());
  // Moving f16 data is fine on an integer chip.
  EXPECT_TRUE(
      checkChipSupport(parsed("dma.load src=0 dst=0 cols=8 dt=f16"), edge)
          .isOk());
}
