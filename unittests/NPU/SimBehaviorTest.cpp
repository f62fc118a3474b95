//===- SimBehaviorTest.cpp - Faults, hazards, sync, timing and fuzzing ----===//
#include "RandomInstr.h"
#include "SimTestUtil.h"

#include "tessel/Target/NPU/CostModel.h"

using namespace tessel;
using namespace tessel::simtest;

namespace {
std::string faultOf(SimHarness &h, const std::string &text) {
  Status s = h.run(assembleOrDie(text));
  EXPECT_FALSE(s.isOk()) << "expected a fault";
  return s.isOk() ? std::string() : s.message();
}
bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}
} // namespace

//===----------------------------------------------------------------------===//
// Faults name the core, the instruction and its disassembly
//===----------------------------------------------------------------------===//

TEST(SimFaultTest, OutOfRangeDdrAccess) {
  SimHarness h(testChip(), 4096);
  std::string m = faultOf(h, "dma.load src=0xf80 dst=0x0 cols=256\nend\n");
  EXPECT_EQ(m, "core 0, instruction 0 (dma.load src=0xf80 dst=0x0 cols=256): "
               "out-of-range access: operand 'src' reads DDR [0xf80, 0x1080), "
               "beyond the DDR arena [0, 0x1000)");
  ASSERT_TRUE(h.result.fault.has_value());
  EXPECT_EQ(h.result.fault->core, 0);
  EXPECT_EQ(h.result.fault->index, 0);
}

TEST(SimFaultTest, VtcmOverflowAndRegisterAddressing) {
  SimHarness h;
  std::string m = faultOf(h, "setr reg=r3 value=0x3ff000\n"
                             "act.clamp in=0x0 out=0x1000+r3 cols=8192\n"
                             "end\n");
  EXPECT_TRUE(contains(m, "core 0, instruction 1 (act.clamp in=0x0 "
                          "out=0x1000+r3 cols=8192): VTCM overflow: operand "
                          "'out' writes [0x400000, 0x402000) of core 0, "
                          "beyond the usable VTCM (4194304 of 4194304 bytes)"))
      << m;
}

TEST(SimFaultTest, MisalignedAccessNamesTheChipRule) {
  const ChipModel &mobile = *ChipRegistry::builtin().find("mobile-m");
  SimHarness h(mobile);
  std::string m = faultOf(h, "conv in=0x100 wt=0x4000 out=0x8000 tbl=0x0 "
                             "h=1 w=1 c=1 cout=1 odt=i32\nend\n");
  EXPECT_TRUE(contains(m, "misaligned access: operand 'in' at 0x100 is not a "
                          "multiple of 2048 (align.activation of the chip)"))
      << m;
}

TEST(SimFaultTest, ComputeOperandsAreNaturallyAligned) {
  SimHarness h;
  std::string m = faultOf(h, "eltwise.add a=0x0 b=0x102 out=0x200 dt=i32 "
                             "odt=i32 cols=4\nend\n");
  EXPECT_TRUE(contains(m, "misaligned access: operand 'b' at 0x102 is not a "
                          "multiple of its element size 4"))
      << m;
}

TEST(SimFaultTest, UnsupportedFeaturesAndTypes) {
  const ChipModel &edge = *ChipRegistry::builtin().find("edge-s");
  SimHarness h(edge);
  EXPECT_TRUE(contains(faultOf(h, "act.sigmoid in=0 out=0 lut=0 dt=f32 "
                                  "odt=f32 cols=4\nend\n"),
                       "chip edge-s does not support 'sigmoid'"));
  EXPECT_TRUE(contains(faultOf(h, "eltwise.add a=0 b=0 out=0 dt=f16 odt=f16 "
                                  "cols=4\nend\n"),
                       "chip edge-s does not support element type f16"));
  EXPECT_TRUE(contains(faultOf(h, ".core 1\nend\n"),
                       "the program has streams for 2 cores, but chip edge-s "
                       "has 1"));
}

TEST(SimFaultTest, BadRequantTableIsAFaultNotACrash) {
  SimHarness h;
  int32_t shift = 99;
  std::memcpy(h.vtcm() + 0x100 + 12, &shift, 4);
  std::string m = faultOf(h, "conv requant in=0x0 wt=0x0 out=0x200 tbl=0x100 "
                             "h=1 w=1 c=1 cout=1\nend\n");
  EXPECT_TRUE(contains(m, "requant table entry 0 (bias 0, multiplier 0, "
                          "shift 99) is out of range"))
      << m;
}

TEST(SimFaultTest, StreamsMustEndAndDecode) {
  SimHarness h;
  EXPECT_TRUE(contains(faultOf(h, "sync.dma\n"),
                       "the stream ran past its last instruction without "
                       "END"));
  EXPECT_TRUE(contains(faultOf(h, ".word 0x99 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                                  "0\nend\n"),
                       "core 0, instruction 0 (.word 0x99 0x0"));
  EXPECT_TRUE(contains(faultOf(h, "loop count=2 body=3\nend\n"),
                       "the loop body runs past the end of the stream"));
}

TEST(SimFaultTest, DeadlockedWaitIsReported) {
  SimHarness h;
  std::string m = faultOf(h, "sync.dma signal=s1\n"
                             "sync.mat wait=s2\n"
                             "end\n");
  EXPECT_TRUE(contains(m, "core 0, instruction 1 (sync.mat wait=s2): "
                          "deadlock: no engine can proceed"))
      << m;
  EXPECT_TRUE(contains(m, "core 0 mat engine: instruction 1 (sync.mat "
                          "wait=s2) waits on s2, which no pending instruction "
                          "will signal"))
      << m;
}

TEST(SimFaultTest, BarrierWithACoreThatNeverArrivesDeadlocks) {
  SimHarness h;
  std::string m = faultOf(h, ".core 0\nbarrier\nend\n.core 1\nend\n");
  EXPECT_TRUE(contains(m, "deadlock"));
  EXPECT_TRUE(contains(m, "waits at a barrier for cores that never arrive"));
}

//===----------------------------------------------------------------------===//
// Hazards
//===----------------------------------------------------------------------===//

TEST(SimHazardTest, ReadingWhatAPendingDmaWritesIsReported) {
  SimHarness h;
  std::string m =
      faultOf(h, "dma.load src=0x0 dst=0x0 cols=4096 signal=s0\n"
                 "act.clamp in=0x800 out=0x2000 cols=64\n" // No wait on s0!
                 "end\n");
  EXPECT_TRUE(contains(m, "core 0, instruction 1 (act.clamp in=0x800 "
                          "out=0x2000 cols=64): hazard: reads data that a "
                          "pending write has not been ordered before: operand "
                          "'in' touches VTCM of core 0 [0x800, 0x840), which "
                          "core 0 instruction 0 (dma.load src=0x0 dst=0x0 "
                          "cols=4096 signal=s0) on the dma engine writes; "
                          "missing wait? (it completes at cycle"))
      << m;
  // With the wait, the same program runs.
  SimHarness ok;
  EXPECT_TRUE(ok.run(assembleOrDie("dma.load src=0x0 dst=0x0 cols=4096 "
                                   "signal=s0\n"
                                   "act.clamp in=0x800 out=0x2000 cols=64 "
                                   "wait=s0\n"
                                   "end\n"))
                  .isOk());
}

TEST(SimHazardTest, OverwritingABufferStillBeingReadIsReported) {
  SimHarness h;
  // The clamp starts at cycle 0; the DMA, behind a one-cycle sync, at 1.
  std::string m = faultOf(h, "act.clamp in=0x0 out=0x1000 cols=4096\n"
                             "sync.dma\n"
                             "dma.load src=0x0 dst=0x100 cols=16\n"
                             "end\n");
  EXPECT_TRUE(contains(m, "overwrites data that another engine may still be "
                          "reading"))
      << m;
}

TEST(SimHazardTest, InterleavedStridedRegionsDoNotConflict) {
  // Two engines write alternate 16-byte columns of the same rows: the
  // bounding boxes overlap, the bytes do not.
  SimHarness h;
  EXPECT_TRUE(h.run(assembleOrDie("act.clamp in=0x8000 out=0x0 rows=8 "
                                  "cols=16 ors=32\n"
                                  "dma.move src=0x8000 dst=0x10 rows=8 "
                                  "cols=16 dstride=32\n"
                                  "end\n"))
                  .isOk())
      << (h.result.fault ? h.result.fault->toString() : "");
}

TEST(SimHazardTest, NewerCoveringAccessesStillReportRaces) {
  // The second load covers the first, which the checker then forgets; the
  // unordered read (late: it queues behind a long clamp) still races with
  // the second.
  SimHarness h;
  std::string m = faultOf(h, "dma.load src=0x0 dst=0x100 cols=64\n"
                             "dma.load src=0x0 dst=0x0 cols=1024\n"
                             "act.clamp in=0x10000 out=0x40000 cols=65536\n"
                             "act.clamp in=0x120 out=0x2000 cols=8\n"
                             "end\n");
  EXPECT_TRUE(contains(m, "core 0, instruction 3 (act.clamp in=0x120 "
                          "out=0x2000 cols=8): hazard"))
      << m;
  EXPECT_TRUE(contains(m, "which core 0 instruction 1 (dma.load src=0x0 "
                          "dst=0x0 cols=1024) on the dma engine writes; "
                          "missing wait? (it happens to complete first"))
      << m;
}

TEST(SimHazardTest, RacesOnRegionsLargerThanTheIndexPagesAreFound) {
  // 6 MiB in DDR spans more than the 1024 pages an index entry may list.
  SimHarness h(testChip(), 8 << 20);
  std::string m = faultOf(h, ".core 0\n  dma.ddr src=0x0 dst=0x100000 "
                             "cols=6291456\n  end\n.core 1\n  dma.load "
                             "src=0x600000 dst=0x0 cols=64\n  end\n");
  EXPECT_TRUE(contains(m, "hazard: reads data that a pending write has not "
                          "been ordered before: operand 'src' touches DDR "
                          "[0x600000, 0x600040)"))
      << m;
}

//===----------------------------------------------------------------------===//
// Loops, registers, barriers
//===----------------------------------------------------------------------===//

TEST(SimSyncTest, LoopsAdvanceRegistersAndNest) {
  SimHarness h;
  for (int i = 0; i < 64; ++i)
    h.ddrPtr()[i] = static_cast<uint8_t>(i + 1);
  // Copy 4 rows of 16 bytes one row per iteration, twice (nested), each
  // time to a new destination.
  const char *text = R"(
  setr reg=r1 value=0
  setr reg=r2 value=0x100
  loop count=2 body=3 r1-=64
  loop count=4 body=2 r1+=16 r2+=16
  dma.load src=0x0+r1 dst=0x0+r2 cols=16 signal=s0
  sync.vec wait=s0
  end
)";
  ASSERT_TRUE(h.run(assembleOrDie(text)).isOk()) << h.result.fault->toString();
  for (int i = 0; i < 128; ++i)
    EXPECT_EQ(h.vtcm()[0x100 + i], (i % 64) + 1) << i;
  EXPECT_EQ(h.result.stats.instructions, 16u);
}

TEST(SimSyncTest, BarriersOrderCoresAndCostCycles) {
  SimHarness h;
  for (int i = 0; i < 256; ++i)
    h.ddrPtr()[i] = static_cast<uint8_t>(i);
  const char *text = R"(
.core 0
  dma.load src=0x0 dst=0x0 cols=256 signal=s0
  sync.dma wait=s0
  dma.store src=0x0 dst=0x1000 cols=256
  barrier
  end
.core 1
  barrier
  dma.load src=0x1000 dst=0x0 cols=256
  end
)";
  ASSERT_TRUE(h.run(assembleOrDie(text)).isOk()) << h.result.fault->toString();
  for (int i = 0; i < 256; ++i)
    EXPECT_EQ(h.vtcm(1)[i], i);
  // Without the barrier, core 1 races core 0's store.
  SimHarness r;
  std::string m = faultOf(r, ".core 0\n  dma.store src=0x0 dst=0x1000 "
                             "cols=256\n  end\n.core 1\n  dma.load "
                             "src=0x1000 dst=0x0 cols=256\n  end\n");
  EXPECT_TRUE(contains(m, "hazard")) << m;
}

//===----------------------------------------------------------------------===//
// Timing
//===----------------------------------------------------------------------===//

TEST(SimTimingTest, SingleInstructionsCostWhatTheCostModelSays) {
  const ChipModel &chip = testChip();
  SimHarness h;
  StatusOr<Instr> conv = parseInstr("conv in=0x0 wt=0x10000 out=0x20000 "
                                    "tbl=0x0 h=8 w=8 c=32 cout=32 kh=3 kw=3 "
                                    "pt=1 pb=1 pl=1 pr=1 odt=i32");
  ASSERT_TRUE(conv.isOk());
  ASSERT_TRUE(h.run(program({*conv})).isOk());
  EXPECT_EQ(h.result.stats.cycles, computeCycles(chip, *conv));
  EXPECT_EQ(h.result.stats.macs, 64u * 9 * 32 * 32);

  SimHarness d;
  StatusOr<Instr> dma = parseInstr("dma.load src=0x40 dst=0x0 rows=4 cols=100 "
                                   "sstride=1000");
  ASSERT_TRUE(dma.isOk());
  ASSERT_TRUE(d.run(program({*dma})).isOk());
  DmaCost cost = dmaCost(chip, dmaShapeOf(*dma, 0x40, 0));
  EXPECT_EQ(d.result.stats.cycles, cost.total());
  EXPECT_EQ(d.result.stats.ddrBytesRead, cost.ddrBytes);
}

TEST(SimTimingTest, EnginesOverlapAndDdrIsSharedAcrossCores) {
  // One core: a long conv and an independent DMA run at the same time.
  SimHarness h;
  ASSERT_TRUE(
      h.run(assembleOrDie("conv in=0x0 wt=0x10000 out=0x20000 tbl=0x0 h=8 w=8 "
                          "c=32 cout=32 kh=3 kw=3 odt=i32\n"
                          "dma.load src=0x0 dst=0x30000 cols=4096\n"
                          "end\n"))
          .isOk());
  const RunStats &st = h.result.stats;
  EXPECT_EQ(st.cycles, std::max(st.busy[0][0] + 50, st.busy[0][1]));
  EXPECT_GT(st.overlapCycles, 0u);

  // Two cores each loading 64 KiB: the shared DDR serializes them.
  auto twoCores = [](bool both) {
    SimHarness t;
    std::string text = ".core 0\n dma.load src=0x0 dst=0x0 cols=65536\n end\n";
    if (both)
      text += ".core 1\n dma.load src=0x10000 dst=0x0 cols=65536\n end\n";
    EXPECT_TRUE(t.run(assembleOrDie(text)).isOk());
    return t.result.stats.cycles;
  };
  uint64_t one = twoCores(false), two = twoCores(true);
  // 16 GB/s at 1 GHz = 16 bytes/cycle shared; 32 bytes/cycle per engine.
  EXPECT_EQ(one, 65536u / 16 + 50);
  EXPECT_EQ(two, 2 * 65536u / 16 + 50);
}

TEST(SimTimingTest, WaitsDelayTheConsumerUntilTheProducerCompletes) {
  SimHarness h;
  ASSERT_TRUE(h.run(assembleOrDie("dma.load src=0x0 dst=0x0 cols=3200 "
                                  "signal=s0\n"
                                  "act.clamp in=0x0 out=0x2000 cols=3200 "
                                  "wait=s0\n"
                                  "end\n"))
                  .isOk());
  ASSERT_EQ(h.result.records.size(), 2u);
  const InstrRecord &dma = h.result.records[0], &act = h.result.records[1];
  EXPECT_EQ(dma.start, 0u);
  EXPECT_EQ(dma.done, 3200u / 16 + 50); // DDR-bound, plus latency.
  EXPECT_EQ(act.start, dma.done);
  EXPECT_EQ(act.end - act.start, 3200u / 32);
}

//===----------------------------------------------------------------------===//
// Fuzzing: random words never crash the decoder or the simulator
//===----------------------------------------------------------------------===//

TEST(SimFuzzTest, RandomProgramsFaultOrRunButNeverCrash) {
  std::mt19937_64 rng(2024);
  static const uint8_t opcodes[] = {0x01, 0x02, 0x03, 0x04, 0x05,
                                    0x10, 0x11, 0x20, 0x21, 0x30,
                                    0x31, 0x32, 0x33, 0x34, 0x35};
  int ran = 0, faulted = 0;
  SimHarness h(testChip(), 1 << 16);
  h.sim.options().maxWork = 1 << 22;
  h.sim.options().maxInstructions = 10000;
  h.sim.options().keepRecords = false;
  for (int trial = 0; trial < 6000; ++trial) {
    ProgramBuilder b;
    // Mode 0: raw words; 1: instructions that pass verify(); 2: a mix.
    unsigned mode = trial % 3;
    unsigned cores = 1 + rng() % 2;
    for (unsigned k = 0; k < cores; ++k) {
      unsigned n = 1 + rng() % 6;
      for (unsigned i = 0; i < n; ++i) {
        bool emitted = false;
        while (!emitted && (mode == 1 || (mode == 2 && rng() % 2))) {
          // A random instruction that passes verify(), at small addresses.
          Instr instr = npu::test::randomAnyInstr(rng, 1 << 14);
          if (rng() % 4)
            syncOf(instr) = Sync();
          if (verify(instr).isOk() &&
              !std::holds_alternative<EndInstr>(instr) &&
              !std::holds_alternative<LoopInstr>(instr)) {
            emitted = b.emit(k, instr).isOk();
          }
        }
        if (emitted)
          continue;
        Word w{};
        w[0] = opcodes[rng() % 15];
        // Sparse small fields, sometimes a semaphore wait/signal.
        for (unsigned m = rng() % 8; m > 0; --m) {
          unsigned word = 1 + rng() % (kInstrWords - 1);
          uint32_t v = static_cast<uint32_t>(rng() % 64);
          if (rng() % 4 == 0)
            v <<= 16;
          setWordAt(w, word, wordAt(w, word) | v);
        }
        if (rng() % 3 == 0)
          setWordAt(w, 0, wordAt(w, 0) | ((0x10u | (rng() % 4)) << 8));
        if (rng() % 3 == 0)
          setWordAt(w, 0, wordAt(w, 0) | ((0x10u | (rng() % 4)) << 18));
        if (rng() % 50 == 0)
          for (unsigned word = 0; word < kInstrWords; ++word)
            setWordAt(w, word, static_cast<uint32_t>(rng()));
        b.emitWord(k, w);
      }
      if (rng() % 4)
        (void)b.emit(k, EndInstr{});
    }
    Status s = h.run(b.program());
    if (s.isOk())
      ++ran;
    else
      ++faulted;
  }
  EXPECT_GT(ran, 20);
  EXPECT_GT(faulted, 1000);
}
