//===- ISATest.cpp - Encoding, decoding and text of NPU instructions ------===//
#include "tessel/Target/NPU/ISA.h"
#include "tessel/Target/NPU/Program.h"

#include "RandomInstr.h"

#include <gtest/gtest.h>

#include <random>

using namespace tessel;
using namespace tessel::npu;

using tessel::npu::test::randomAnyInstr;

namespace {

Word roundTripWord(const Instr &instr) {
  Word w;
  Status s = encode(instr, w);
  EXPECT_TRUE(s.isOk()) << s.message();
  return w;
}

} // namespace

TEST(ISATest, ConvRoundTripsThroughBinaryAndText) {
  ConvInstr c;
  c.in = {0x0};
  c.weights = {0x4000, 2};
  c.out = {0x8000};
  c.table = {0xc000};
  c.h = 6;
  c.w = 32;
  c.c = 32;
  c.cout = 64;
  c.kh = c.kw = 3;
  c.padLeft = c.padRight = 1;
  c.requant = true;
  c.zpIn = -3;
  c.lo = -100;
  c.sync.wait[0] = 0;
  c.sync.signal[0] = 1;
  Word w = roundTripWord(c);
  StatusOr<Instr> d = decode(w);
  ASSERT_TRUE(d.isOk()) << d.message();
  EXPECT_TRUE(std::get<ConvInstr>(*d) == c);
  std::string text = disassemble(*d);
  EXPECT_EQ(text, "conv requant in=0x0 wt=0x4000+r2 out=0x8000 tbl=0xc000 "
                  "h=6 w=32 c=32 cout=64 kh=3 kw=3 pl=1 pr=1 zpin=-3 "
                  "lo=-100 wait=s0 signal=s1");
  StatusOr<Instr> p = parseInstr(text);
  ASSERT_TRUE(p.isOk()) << p.message();
  EXPECT_EQ(roundTripWord(*p), w);
}

TEST(ISATest, MnemonicSuffixesSelectTheSubOperation) {
  StatusOr<Instr> d = parseInstr("dma.store src=0x40 dst=0x1000+r1 cols=16 "
                                 "rows=4 dstride=64 wait=s2");
  ASSERT_TRUE(d.isOk()) << d.message();
  const DmaInstr &dma = std::get<DmaInstr>(*d);
  EXPECT_EQ(dma.dir, DmaDir::Store);
  EXPECT_EQ(dma.dst.reg, 1);
  EXPECT_EQ(dma.dstStride, 64u);
  EXPECT_EQ(disassemble(*d), "dma.store src=0x40 dst=0x1000+r1 rows=4 "
                             "cols=16 dstride=64 wait=s2");
  StatusOr<Instr> e = parseInstr("eltwise.max a=0 b=0x10 out=0x20 cols=8 "
                                 "bcs=0 brs=0");
  ASSERT_TRUE(e.isOk()) << e.message();
  EXPECT_EQ(std::get<EltwiseInstr>(*e).bColStride, 0u);
  EXPECT_EQ(disassemble(*e),
            "eltwise.max a=0x0 b=0x10 out=0x20 cols=8 brs=0 bcs=0");
}

TEST(ISATest, LoopIncrementsAndRemoteSignalsPrintAndParse) {
  std::string text = "loop count=3 body=8 r1+=6144 r2-=16";
  StatusOr<Instr> l = parseInstr(text);
  ASSERT_TRUE(l.isOk()) << l.message();
  EXPECT_EQ(disassemble(*l), text);
  EXPECT_EQ(std::get<LoopInstr>(*l).incs[1].value, -16);
  std::string m = "dma.load src=0x0 dst=0x0 cols=64 mask=0xf signal=s0 "
                  "rsignal=s3";
  StatusOr<Instr> d = parseInstr(m);
  ASSERT_TRUE(d.isOk()) << d.message();
  EXPECT_EQ(disassemble(*d), "dma.load remote src=0x0 dst=0x0 cols=64 "
                             "mask=0xf signal=s0 rsignal=s3");
  EXPECT_TRUE(std::get<DmaInstr>(*d).remoteSignal);
}

TEST(ISATest, ParserErrorsNameTheProblem) {
  auto err = [](const char *line) {
    StatusOr<Instr> r = parseInstr(line);
    EXPECT_FALSE(r.isOk()) << line;
    return r.isOk() ? std::string() : r.message();
  };
  EXPECT_EQ(err("frobnicate x=1"), "unknown instruction 'frobnicate'");
  EXPECT_NE(err("conv in=0 wt=0 out=0 tbl=0 h=1 w=1 c=1 cout=1 strid=2")
                .find("unknown field 'strid' for conv"),
            std::string::npos);
  EXPECT_EQ(err("conv in=0 wt=0 out=0 tbl=0 h=1 w=1 c=1"),
            "missing required field 'cout'");
  EXPECT_EQ(err("conv in=0 wt=0 out=0 tbl=0 h=1 w=1 c=1 cout=1 kh=16"),
            "value 16 does not fit the 4-bit field 'kh'");
  EXPECT_EQ(err("dma src=0 dst=0 cols=1"),
            "this mnemonic needs a suffix: .load, .store, .move, .ddr");
  EXPECT_EQ(err("end.now"), "'end' takes no '.now' suffix");
  EXPECT_EQ(err("sync.dma wait=s16"), "'wait' needs a semaphore s0..s15");
  EXPECT_EQ(err("conv in=0 wt=0 out=0 tbl=0 h=4 w=4 c=4 cout=4 groups=3"),
            "groups 3 must divide c 4 and cout 4");
  EXPECT_NE(err("conv in=0 wt=0 out=0 tbl=0 h=4 w=4 c=4 cout=4 odt=i8")
                .find("raw output type must be the accumulator type i32"),
            std::string::npos);
  EXPECT_EQ(err("setr reg=r0 value=1"),
            "setr needs a register r1..r15, not r0");
}

TEST(ISATest, RandomValidInstructionsRoundTrip) {
  std::mt19937_64 rng(1234);
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    Instr instr = randomAnyInstr(rng);
    if (!verify(instr).isOk())
      continue;
    ++valid;
    Word w;
    Status s = encode(instr, w);
    ASSERT_TRUE(s.isOk()) << s.message() << "\n" << disassemble(instr);
    StatusOr<Instr> d = decode(w);
    ASSERT_TRUE(d.isOk()) << d.message() << "\n" << disassemble(instr);
    ASSERT_TRUE(*d == instr) << disassemble(instr) << "\n" << disassemble(*d);
    std::string text = disassemble(instr);
    StatusOr<Instr> p = parseInstr(text);
    ASSERT_TRUE(p.isOk()) << p.message() << "\n" << text;
    ASSERT_TRUE(*p == instr) << text << "\n" << disassemble(*p);
  }
  EXPECT_GT(valid, 2000);
}

TEST(ISATest, RandomWordsDecodeCanonicallyOrAreRejected) {
  std::mt19937_64 rng(99);
  static const uint8_t opcodes[] = {0x01, 0x02, 0x03, 0x04, 0x05,
                                    0x10, 0x11, 0x20, 0x21, 0x30,
                                    0x31, 0x32, 0x33, 0x34, 0x35};
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    Word w;
    for (auto &b : w)
      b = static_cast<uint8_t>(rng());
    // Bias towards plausible words: a known opcode, sparse bits.
    if (i % 2)
      w[0] = opcodes[rng() % 15];
    if (i % 4 == 1) {
      // Mostly zero words with a few small values: many of these decode.
      uint8_t op = w[0];
      w.fill(0);
      w[0] = op;
      for (unsigned m = rng() % 6; m > 0; --m) {
        unsigned k = rng() % kInstrWords;
        uint32_t v = static_cast<uint32_t>(1 + rng() % 8);
        if (rng() % 2)
          v <<= (rng() % 4) * 8;
        setWordAt(w, k, wordAt(w, k) | (k == 0 ? (v << 8) : v));
      }
    }
    StatusOr<Instr> d = decode(w);
    if (!d)
      continue;
    ++accepted;
    // The decoder accepts only canonical words: re-encoding reproduces them.
    Word again;
    ASSERT_TRUE(encode(*d, again).isOk());
    ASSERT_EQ(again, w) << disassemble(*d);
    StatusOr<Instr> p = parseInstr(disassemble(*d));
    ASSERT_TRUE(p.isOk()) << p.message();
    ASSERT_TRUE(*p == *d);
  }
  EXPECT_GT(accepted, 100);
}

TEST(ISATest, ProgramTextRoundTripsWithCoresLayersAndRawWords) {
  const char *text = ".core 0\n"
                     ".layer conv1\n"
                     "  setr reg=r1 value=0x100\n"
                     "  loop count=2 body=1 r1+=64\n"
                     "  sync.vec signal=s1\n"
                     "  .word 0x7f 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                     "  end\n"
                     ".core 1\n"
                     ".layer fc\n"
                     "  barrier\n"
                     "  end\n";
  StatusOr<Program> p = assemble(text, "t.s");
  ASSERT_TRUE(p.isOk()) << p.message();
  EXPECT_EQ(p->numCores(), 2u);
  EXPECT_EQ(p->streams[0].size(), 5u);
  EXPECT_EQ(p->layerAt(0, 3), 0);
  EXPECT_EQ(p->layerAt(1, 0), 1);
  std::string dis = disassembleProgram(*p);
  EXPECT_NE(dis.find(".word 0x0000007f"), std::string::npos) << dis;
  EXPECT_NE(dis.find("unknown opcode 0x7f"), std::string::npos) << dis;
  StatusOr<Program> again = assemble(dis, "dis.s");
  ASSERT_TRUE(again.isOk()) << again.message();
  EXPECT_EQ(again->streams, p->streams);
  EXPECT_EQ(again->layerNames, p->layerNames);
  EXPECT_EQ(disassembleProgram(*again), dis);
}

TEST(ISATest, AssemblerErrorsNameFileAndLine) {
  StatusOr<Program> p = assemble("end\n\n  conv in=0\n", "bad.s");
  ASSERT_FALSE(p.isOk());
  EXPECT_EQ(p.message().rfind("bad.s:3: missing required field", 0), 0u)
      << p.message();
  StatusOr<Program> q = assemble(".core 40\n", "c.s");
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.message(), "c.s:1: .core needs a core number 0..31");
}
