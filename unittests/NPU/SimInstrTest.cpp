//===- SimInstrTest.cpp - Every instruction against plain reference loops -===//
//
// The simulator's kernels are written for speed (widened patches, dot
// products); these references are the obvious loops of docs/npu-isa.md.
//
//===----------------------------------------------------------------------===//
#include "SimTestUtil.h"

#include "tessel/Support/QuantMath.h"

#include <cmath>
#include <set>

using namespace tessel;
using namespace tessel::simtest;

namespace {

constexpr uint32_t kIn = 0x0, kW = 0x40000, kOut = 0x80000, kTbl = 0xc0000,
                   kAux = 0xd0000;

/// Writes a random requant table of `n` entries at `p` and returns it.
struct Entry {
  int64_t bias;
  int32_t m, s;
};
std::vector<Entry> randomTable(std::mt19937_64 &rng, uint8_t *p, int64_t n,
                               int maxShift = 12) {
  std::vector<Entry> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    Entry e;
    e.bias = static_cast<int64_t>(rng() % 200001) - 100000;
    e.m = static_cast<int32_t>((1u << 30) + rng() % (1u << 30));
    e.s = static_cast<int32_t>(rng() % (maxShift + 3)) - 2;
    if (rng() % 8 == 0)
      e.m = 0;
    std::memcpy(p + i * 16, &e.bias, 8);
    std::memcpy(p + i * 16 + 8, &e.m, 4);
    std::memcpy(p + i * 16 + 12, &e.s, 4);
    t[i] = e;
  }
  return t;
}

int64_t refOutput(int64_t acc, const Entry &e, int64_t zpOut, DType out,
                  int64_t lo, int64_t hi) {
  int bits = static_cast<int>(dtypeBytes(out) * 8);
  int64_t v = support::requantizeOutput(acc, e.bias, {e.m, e.s}, zpOut, bits,
                                        isSignedInt(out));
  v = std::min(std::max(v, lo), hi);
  return support::saturateInt(v, bits, isSignedInt(out));
}

} // namespace

//===----------------------------------------------------------------------===//
// CONV
//===----------------------------------------------------------------------===//

TEST(SimConvTest, RandomInt8ConvsMatchTheReferenceBitForBit) {
  std::mt19937_64 rng(7);
  int ran = 0;
  for (int trial = 0; trial < 300; ++trial) {
    ConvInstr c;
    c.inType = rng() % 2 ? DType::I8 : DType::U8;
    c.weightType = rng() % 3 ? DType::I8 : DType::U8;
    c.h = 1 + rng() % 9;
    c.w = 1 + rng() % 9;
    c.kh = 1 + rng() % 4;
    c.kw = 1 + rng() % 4;
    c.strideH = 1 + rng() % 3;
    c.strideW = 1 + rng() % 3;
    c.dilH = 1 + rng() % 2;
    c.dilW = 1 + rng() % 2;
    c.padTop = rng() % 3;
    c.padBottom = rng() % 3;
    c.padLeft = rng() % 3;
    c.padRight = rng() % 3;
    switch (rng() % 3) {
    case 0: // Depthwise.
      c.groups = 1 + rng() % 8;
      c.c = c.cout = c.groups;
      break;
    case 1: // Grouped.
      c.groups = 1 + rng() % 3;
      c.c = c.groups * (1 + rng() % 5);
      c.cout = c.groups * (1 + rng() % 5);
      break;
    default:
      c.c = 1 + rng() % 40;
      c.cout = 1 + rng() % 20;
    }
    c.zpIn = static_cast<int16_t>(randomOf(rng, c.inType));
    c.zpWeight =
        rng() % 4 ? 0 : static_cast<int16_t>(randomOf(rng, c.weightType));
    bool requant = rng() % 4 != 0;
    c.requant = requant;
    if (requant) {
      static const DType outs[] = {DType::I8, DType::U8, DType::I16};
      c.outType = outs[rng() % 3];
      c.zpOut = static_cast<int16_t>(randomOf(rng, c.outType));
      if (rng() % 2) {
        c.lo = static_cast<int16_t>(dtypeMin(c.outType) + rng() % 50);
        c.hi = static_cast<int16_t>(dtypeMax(c.outType) - rng() % 50);
      }
    } else {
      c.outType = DType::I32;
      c.accumulate = rng() % 2;
    }
    c.in = {kIn};
    c.weights = {kW};
    c.out = {kOut};
    c.table = {kTbl};
    if (!verify(c).isOk())
      continue;
    ++ran;
    SimHarness h;
    uint8_t *v = h.vtcm();
    int64_t cinG = c.c / c.groups, coutG = c.cout / c.groups;
    int64_t inN = int64_t(c.h) * c.w * c.c;
    int64_t wN = int64_t(c.cout) * c.kh * c.kw * cinG;
    for (int64_t i = 0; i < inN; ++i)
      setInt(v + kIn + i, c.inType, randomOf(rng, c.inType));
    for (int64_t i = 0; i < wN; ++i)
      setInt(v + kW + i, c.weightType, randomOf(rng, c.weightType));
    std::vector<Entry> table = randomTable(rng, v + kTbl, c.cout);
    int64_t oh =
        windowOutSize(c.h, c.kh, c.strideH, c.dilH, c.padTop, c.padBottom);
    int64_t ow =
        windowOutSize(c.w, c.kw, c.strideW, c.dilW, c.padLeft, c.padRight);
    int64_t oes = dtypeBytes(c.outType);
    std::vector<int64_t> prior(static_cast<size_t>(oh * ow * c.cout));
    for (size_t i = 0; i < prior.size(); ++i) {
      prior[i] = static_cast<int64_t>(rng() % 2001) - 1000;
      setInt(v + kOut + i * oes, c.outType, prior[i]);
    }
    ASSERT_TRUE(h.run(program({c})).isOk()) << disassemble(c);
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t co = 0; co < c.cout; ++co) {
          int64_t g = co / coutG;
          int64_t acc = 0;
          for (int64_t ky = 0; ky < c.kh; ++ky)
            for (int64_t kx = 0; kx < c.kw; ++kx) {
              int64_t iy = oy * c.strideH - c.padTop + ky * c.dilH;
              int64_t ix = ox * c.strideW - c.padLeft + kx * c.dilW;
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w)
                continue;
              for (int64_t ci = 0; ci < cinG; ++ci) {
                int64_t x = getInt(
                    v + kIn + (iy * c.w + ix) * c.c + g * cinG + ci, c.inType);
                int64_t w =
                    getInt(v + kW + ((co * c.kh + ky) * c.kw + kx) * cinG + ci,
                           c.weightType);
                acc += (x - c.zpIn) * (w - c.zpWeight);
              }
            }
          int64_t idx = (oy * ow + ox) * c.cout + co;
          int64_t got = getInt(v + kOut + idx * oes, c.outType);
          int64_t want;
          if (c.requant)
            want = refOutput(static_cast<int32_t>(acc), table[co], c.zpOut,
                             c.outType, c.lo, c.hi);
          else
            want = static_cast<int32_t>(
                static_cast<uint32_t>(acc) +
                (c.accumulate ? static_cast<uint32_t>(prior[idx]) : 0u));
          ASSERT_EQ(got, want)
              << disassemble(c) << " at " << oy << "," << ox << "," << co;
        }
  }
  EXPECT_GT(ran, 150);
}

TEST(SimConvTest, StridedOperandsReadAndWriteInsideLargerBuffers) {
  // A 3x3 conv over a 4x5x8 window of a 6x7x16 buffer, written into the
  // channels 8..15 of a wider output buffer.
  std::mt19937_64 rng(3);
  SimHarness h;
  uint8_t *v = h.vtcm();
  for (int i = 0; i < 6 * 7 * 16; ++i)
    setInt(v + kIn + i, DType::I8, randomOf(rng, DType::I8));
  for (int i = 0; i < 8 * 9 * 8; ++i)
    setInt(v + kW + i, DType::I8, randomOf(rng, DType::I8));
  std::vector<Entry> table = randomTable(rng, v + kTbl, 8);
  ConvInstr c;
  c.in = {kIn + (1 * 7 + 2) * 16 + 4}; // Row 1, column 2, channel 4.
  c.weights = {kW};
  c.out = {kOut + 8};
  c.table = {kTbl};
  c.h = 4;
  c.w = 5;
  c.c = 8;
  c.cout = 8;
  c.kh = c.kw = 3;
  c.padTop = c.padBottom = c.padLeft = c.padRight = 1;
  c.inPixStride = 16;
  c.inRowStride = 7 * 16;
  c.outPixStride = 16;
  c.outRowStride = 5 * 16 + 32;
  c.requant = true;
  c.zpIn = -5;
  ASSERT_TRUE(h.run(program({c})).isOk()) << h.result.fault->toString();
  for (int oy = 0; oy < 4; ++oy)
    for (int ox = 0; ox < 5; ++ox)
      for (int co = 0; co < 8; ++co) {
        int64_t acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5)
              continue;
            for (int ci = 0; ci < 8; ++ci)
              acc +=
                  (getInt(v + kIn + ((1 + iy) * 7 + 2 + ix) * 16 + 4 + ci,
                          DType::I8) +
                   5) *
                  getInt(v + kW + ((co * 3 + ky) * 3 + kx) * 8 + ci, DType::I8);
          }
        int64_t got =
            getInt(v + kOut + 8 + oy * (5 * 16 + 32) + ox * 16 + co, DType::I8);
        ASSERT_EQ(got, refOutput(acc, table[co], 0, DType::I8, -32768, 32767));
      }
  // Channels 0..7 of the output buffer were not touched.
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(v[kOut + i], 0);
}

TEST(SimConvTest, Int16ActivationsAccumulateIn64Bits) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  // 1x1 conv over 600 channels of 30000 * 30000: the sum exceeds 2^32.
  const int C = 600;
  for (int i = 0; i < C; ++i) {
    setInt(v + kIn + 2 * i, DType::I16, 30000);
    setInt(v + kW + 2 * i, DType::I16, 30000);
  }
  ConvInstr c;
  c.in = {kIn};
  c.weights = {kW};
  c.out = {kOut};
  c.table = {kTbl};
  c.h = c.w = 1;
  c.c = C;
  c.cout = 1;
  c.inType = DType::I16;
  c.weightType = DType::I16;
  c.outType = DType::I64;
  ASSERT_TRUE(h.run(program({c})).isOk());
  EXPECT_EQ(getInt(v + kOut, DType::I64), int64_t(C) * 30000 * 30000);
  // The same in 8 bits wraps the int32 accumulator.
  SimHarness h8;
  uint8_t *w = h8.vtcm();
  for (int i = 0; i < 40000; ++i) {
    setInt(w + kIn + i, DType::I8, -128);
    setInt(w + kW + i, DType::I8, -128);
  }
  c.inType = c.weightType = DType::I8;
  c.outType = DType::I32;
  c.c = 40000;
  ASSERT_TRUE(h8.run(program({c})).isOk());
  EXPECT_EQ(getInt(w + kOut, DType::I32),
            static_cast<int32_t>(static_cast<uint32_t>(40000u * 16384u)));
}

TEST(SimConvTest, Fp16ConvAccumulatesInFp32InTapOrder) {
  std::mt19937_64 rng(5);
  SimHarness h;
  uint8_t *v = h.vtcm();
  const int H = 5, W = 4, C = 3, CO = 2;
  for (int i = 0; i < H * W * C; ++i)
    setFloat(v + kIn + 2 * i, DType::F16,
             static_cast<float>(static_cast<int>(rng() % 200) - 100) / 16);
  for (int i = 0; i < CO * 9 * C; ++i)
    setFloat(v + kW + 2 * i, DType::F16,
             static_cast<float>(static_cast<int>(rng() % 200) - 100) / 32);
  ConvInstr c;
  c.in = {kIn};
  c.weights = {kW};
  c.out = {kOut};
  c.table = {kTbl};
  c.h = H;
  c.w = W;
  c.c = C;
  c.cout = CO;
  c.kh = c.kw = 3;
  c.padTop = c.padLeft = 1;
  c.inType = c.weightType = DType::F16;
  c.outType = DType::F32;
  ASSERT_TRUE(h.run(program({c})).isOk());
  int oh = 4, ow = 3;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int co = 0; co < CO; ++co) {
        float acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
              continue;
            for (int ci = 0; ci < C; ++ci)
              acc +=
                  getFloat(v + kIn + 2 * ((iy * W + ix) * C + ci), DType::F16) *
                  getFloat(v + kW + 2 * (((co * 3 + ky) * 3 + kx) * C + ci),
                           DType::F16);
          }
        float got =
            getFloat(v + kOut + 4 * ((oy * ow + ox) * CO + co), DType::F32);
        ASSERT_EQ(got, acc);
      }
}

//===----------------------------------------------------------------------===//
// MATMUL
//===----------------------------------------------------------------------===//

TEST(SimMatmulTest, RandomInt8MatmulsMatchTheReference) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    MatmulInstr m;
    m.m = 1 + rng() % 9;
    m.n = 1 + rng() % 33;
    m.k = 1 + rng() % 70;
    m.aType = rng() % 2 ? DType::I8 : DType::U8;
    m.bType = DType::I8;
    m.transB = rng() % 2;
    m.zpA = static_cast<int16_t>(randomOf(rng, m.aType));
    m.zpB = static_cast<int16_t>(rng() % 2 ? 0 : randomOf(rng, DType::I8));
    m.requant = rng() % 2;
    m.outType = m.requant ? DType::I8 : DType::I32;
    m.zpOut = m.requant ? static_cast<int16_t>(randomOf(rng, DType::I8)) : 0;
    m.aRowStride = rng() % 2 ? 0 : m.k + 3;
    m.outRowStride = rng() % 2 ? 0 : m.n + 1;
    m.a = {kIn};
    m.b = {kW};
    m.out = {kOut};
    m.table = {kTbl};
    ASSERT_TRUE(verify(m).isOk());
    SimHarness h;
    uint8_t *v = h.vtcm();
    for (int i = 0; i < 0x10000; ++i) {
      setInt(v + kIn + i, m.aType, randomOf(rng, m.aType));
      setInt(v + kW + i, m.bType, randomOf(rng, m.bType));
    }
    std::vector<Entry> table = randomTable(rng, v + kTbl, m.n);
    ASSERT_TRUE(h.run(program({m})).isOk()) << disassemble(m);
    int64_t ars = m.aRowStride ? m.aRowStride : m.k;
    int64_t ors = m.outRowStride ? m.outRowStride : m.n;
    for (int64_t i = 0; i < m.m; ++i)
      for (int64_t n = 0; n < m.n; ++n) {
        int64_t acc = 0;
        for (int64_t k = 0; k < m.k; ++k) {
          int64_t a = getInt(v + kIn + i * ars + k, m.aType);
          int64_t b =
              getInt(v + kW + (m.transB ? k * m.n + n : n * m.k + k), m.bType);
          acc += (a - m.zpA) * (b - m.zpB);
        }
        int64_t oes = dtypeBytes(m.outType);
        int64_t got = getInt(v + kOut + (i * ors + n) * oes, m.outType);
        int64_t want = m.requant ? refOutput(acc, table[n], m.zpOut, DType::I8,
                                             -32768, 32767)
                                 : acc;
        ASSERT_EQ(got, want) << disassemble(m);
      }
  }
}

//===----------------------------------------------------------------------===//
// Vector engine
//===----------------------------------------------------------------------===//

TEST(SimVectorTest, EltwiseBroadcastsAndSaturates) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  // a: 3x4 i8, b: a row vector of 4 (row stride 0).
  int8_t a[12] = {100, -100, 50, 127, -128, 0, 1, 2, 3, 4, 5, 6};
  int8_t b[4] = {100, -100, -50, 1};
  std::memcpy(v + kIn, a, 12);
  std::memcpy(v + kW, b, 4);
  EltwiseInstr e;
  e.op = EltwiseOp::Add;
  e.a = {kIn};
  e.b = {kW};
  e.out = {kOut};
  e.rows = 3;
  e.cols = 4;
  e.bRowStride = 0;
  EltwiseInstr mul = e;
  mul.op = EltwiseOp::Mul;
  mul.outType = DType::I16;
  mul.out = {kOut + 64};
  // Scalar broadcast: b is one element.
  EltwiseInstr mx = e;
  mx.op = EltwiseOp::Max;
  mx.bRowStride = 0;
  mx.bColStride = 0;
  mx.b = {kW + 2}; // -50.
  mx.out = {kOut + 128};
  ASSERT_TRUE(h.run(program({e, mul, mx})).isOk());
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      int64_t x = a[r * 4 + c], y = b[c];
      EXPECT_EQ(static_cast<int8_t>(v[kOut + r * 4 + c]),
                std::min<int64_t>(127, std::max<int64_t>(-128, x + y)));
      EXPECT_EQ(getInt(v + kOut + 64 + 2 * (r * 4 + c), DType::I16), x * y);
      EXPECT_EQ(static_cast<int8_t>(v[kOut + 128 + r * 4 + c]),
                std::max<int64_t>(x, -50));
    }
}

// The requant ELTWISE against the doc's per-element formula and against the
// CONVERT, ELTWISE (i32), CONVERT chain it replaces, on the simulator: every
// op, 8/16-bit types, broadcasts, shifts large enough to saturate int32.
TEST(SimVectorTest, RequantEltwiseEqualsTheConvertChainBitForBit) {
  std::mt19937_64 rng(11);
  const DType narrow[] = {DType::I8, DType::U8, DType::I16};
  int varied = 0; // Trials whose outputs are not all one value.
  for (int trial = 0; trial < 200; ++trial) {
    SimHarness h;
    uint8_t *v = h.vtcm();
    EltwiseInstr e;
    e.requant = true;
    e.op = static_cast<EltwiseOp>(rng() % 5);
    e.inType = narrow[rng() % 3];
    e.outType = narrow[rng() % 3];
    e.rows = 1 + rng() % 5;
    e.cols = 1 + rng() % 40;
    const uint32_t R = e.rows, C = e.cols;
    // a dense; b dense, a row vector, a column vector or a scalar.
    int bKind = static_cast<int>(rng() % 4);
    e.bRowStride = bKind == 1 || bKind == 3 ? 0 : bKind == 2 ? 1 : kDense;
    e.bColStride = bKind >= 2 ? 0 : kDense;
    if (rng() % 3 == 0)
      e.outRowStride = C + 3;
    e.a = {kIn};
    e.b = {kW};
    e.out = {kOut};
    e.table = {kTbl};
    e.zpA = static_cast<int16_t>(randomOf(rng, e.inType) / 2);
    e.zpB = static_cast<int16_t>(randomOf(rng, e.inType) / 2);
    e.zpOut = static_cast<int16_t>(randomOf(rng, e.outType) / 2);
    int64_t x0 = randomOf(rng, e.outType), x1 = randomOf(rng, e.outType);
    e.lo = static_cast<int16_t>(rng() % 2 ? std::min(x0, x1)
                                          : dtypeMin(e.outType));
    e.hi = static_cast<int16_t>(rng() % 2 ? std::max(x0, x1)
                                          : dtypeMax(e.outType));
    // Scales near 1 with small biases (so the outputs vary); in a quarter
    // of the trials the inputs shift far left to reach the int32 limits
    // and the output far right, so int32 saturation shows in the result.
    bool wide = rng() % 4 == 0;
    std::vector<Entry> tbl(3);
    for (int k = 0; k < 3; ++k) {
      Entry &t = tbl[k];
      t.bias = static_cast<int64_t>(rng() % 101) - 50;
      t.m = static_cast<int32_t>((1u << 30) + rng() % (1u << 30));
      t.s = k < 2 ? (wide ? -static_cast<int32_t>(14 + rng() % 12)
                          : static_cast<int32_t>(rng() % 5) - 2)
                  : static_cast<int32_t>(wide ? 22 + rng() % 8 : rng() % 10);
      std::memcpy(v + kTbl + k * 16, &t.bias, 8);
      std::memcpy(v + kTbl + k * 16 + 8, &t.m, 4);
      std::memcpy(v + kTbl + k * 16 + 12, &t.s, 4);
    }
    int64_t es = dtypeBytes(e.inType), oes = dtypeBytes(e.outType);
    for (uint32_t i = 0; i < R * C; ++i) {
      setInt(v + kIn + i * es, e.inType, randomOf(rng, e.inType));
      setInt(v + kW + i * es, e.inType, randomOf(rng, e.inType));
    }
    // The chain, into int32 temporaries at kAux.
    const uint32_t ta = kAux, tb = kAux + 0x1000, tm = kAux + 0x2000,
                   chainOut = kAux + 0x3000;
    ConvertInstr ca;
    ca.mode = ConvertMode::Requant;
    ca.inType = e.inType;
    ca.outType = DType::I32;
    ca.in = {kIn};
    ca.out = {ta};
    ca.table = {kTbl};
    ca.rows = R;
    ca.cols = C;
    ca.zpIn = e.zpA;
    ConvertInstr cb = ca;
    cb.in = {kW};
    cb.out = {tb};
    cb.table = {kTbl + 16};
    cb.zpIn = e.zpB;
    cb.rows = bKind == 1 || bKind == 3 ? 1 : R;
    cb.cols = bKind >= 2 ? 1 : C;
    EltwiseInstr mid;
    mid.op = e.op;
    mid.inType = mid.outType = DType::I32;
    mid.a = {ta};
    mid.b = {tb};
    mid.out = {tm};
    mid.rows = R;
    mid.cols = C;
    mid.bRowStride = e.bRowStride;
    mid.bColStride = e.bColStride;
    ConvertInstr co;
    co.mode = ConvertMode::Requant;
    co.inType = DType::I32;
    co.outType = e.outType;
    co.in = {tm};
    co.out = {chainOut};
    co.table = {kTbl + 32};
    co.rows = R;
    co.cols = C;
    co.outRowStride = e.outRowStride;
    co.zpOut = e.zpOut;
    co.lo = e.lo;
    co.hi = e.hi;
    ASSERT_TRUE(verify(Instr(e)).isOk()) << disassemble(e);
    Status st = h.run(program({e, ca, cb, mid, co}));
    ASSERT_TRUE(st.isOk()) << st.message() << "\n" << disassemble(e);
    uint64_t ors = e.outRowStride == kDense ? C : e.outRowStride;
    std::set<int64_t> seen;
    for (uint32_t r = 0; r < R; ++r)
      for (uint32_t c = 0; c < C; ++c) {
        uint64_t ai = r * C + c;
        uint64_t bi = bKind == 0   ? r * C + c
                      : bKind == 1 ? c
                      : bKind == 2 ? r
                                   : 0;
        int64_t xa = getInt(v + kIn + ai * es, e.inType);
        int64_t xb = getInt(v + kW + bi * es, e.inType);
        int64_t qa =
            refOutput(xa - e.zpA, tbl[0], 0, DType::I32, INT32_MIN, INT32_MAX);
        int64_t qb =
            refOutput(xb - e.zpB, tbl[1], 0, DType::I32, INT32_MIN, INT32_MAX);
        __int128 z = e.op == EltwiseOp::Add   ? __int128(qa) + qb
                     : e.op == EltwiseOp::Sub ? __int128(qa) - qb
                     : e.op == EltwiseOp::Mul ? __int128(qa) * qb
                     : e.op == EltwiseOp::Max ? std::max(qa, qb)
                                              : std::min(qa, qb);
        int64_t zs = support::saturateInt(z, 32, true);
        int64_t want = refOutput(zs, tbl[2], e.zpOut, e.outType, e.lo, e.hi);
        uint64_t o = (r * ors + c) * oes;
        ASSERT_EQ(getInt(v + kOut + o, e.outType), want)
            << disassemble(e) << " at " << r << "," << c;
        ASSERT_EQ(getInt(v + chainOut + o, e.outType), want)
            << "chain at " << r << "," << c;
        seen.insert(want);
      }
    varied += seen.size() > 1;
  }
  EXPECT_GT(varied, 100);
}

TEST(SimVectorTest, RequantEltwiseRejectsBadTables) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  EltwiseInstr e;
  e.requant = true;
  e.a = {kIn};
  e.b = {kW};
  e.out = {kOut};
  e.table = {kTbl};
  e.cols = 4;
  std::mt19937_64 rng(3);
  randomTable(rng, v + kTbl, 3);
  int32_t badShift = 99;
  std::memcpy(v + kTbl + 32 + 12, &badShift, 4);
  Status st = h.run(program({e}));
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("requant table entry 2"), std::string::npos)
      << st.message();
}

TEST(SimVectorTest, ActivationsClampLookUpAndComputeFloats) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  for (int i = 0; i < 256; ++i) {
    v[kIn + i] = static_cast<uint8_t>(i);
    v[kAux + i] = static_cast<uint8_t>(255 - i); // LUT: reverse.
  }
  ActInstr clamp;
  clamp.kind = ActKind::Clamp;
  clamp.in = {kIn};
  clamp.out = {kOut};
  clamp.cols = 256;
  clamp.lo = -6;
  clamp.hi = 6;
  ActInstr lut;
  lut.kind = ActKind::Lut;
  lut.in = {kIn};
  lut.out = {kOut + 256};
  lut.lut = {kAux};
  lut.rows = 16;
  lut.cols = 16;
  float xs[4] = {-2.0f, 0.0f, 0.5f, 30.0f};
  std::memcpy(v + kW, xs, 16);
  ActInstr sig;
  sig.kind = ActKind::Sigmoid;
  sig.inType = DType::F32;
  sig.outType = DType::F16;
  sig.in = {kW};
  sig.out = {kOut + 512};
  sig.cols = 4;
  ASSERT_TRUE(h.run(program({clamp, lut, sig})).isOk());
  for (int i = 0; i < 256; ++i) {
    int8_t x = static_cast<int8_t>(i);
    EXPECT_EQ(static_cast<int8_t>(v[kOut + i]),
              std::min<int>(6, std::max<int>(-6, x)));
    // i8 index = x + 128.
    EXPECT_EQ(v[kOut + 256 + i], 255 - (x + 128));
  }
  for (int i = 0; i < 4; ++i) {
    float want = support::halfToFloat(support::floatToHalf(static_cast<float>(
        1.0 / (1.0 + std::exp(-static_cast<double>(xs[i]))))));
    EXPECT_EQ(getFloat(v + kOut + 512 + 2 * i, DType::F16), want);
  }
}

TEST(SimVectorTest, PoolingRoundsHalfAwayFromZeroAndHonorsPadding) {
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 40; ++trial) {
    PoolInstr p;
    p.kind = trial % 2 ? PoolKind::Avg : PoolKind::Max;
    p.dtype = DType::I8;
    p.h = 1 + rng() % 7;
    p.w = 1 + rng() % 7;
    p.c = 1 + rng() % 5;
    p.kh = 1 + rng() % 3;
    p.kw = 1 + rng() % 3;
    p.strideH = 1 + rng() % 2;
    p.strideW = 1 + rng() % 2;
    p.padTop = rng() % p.kh;
    p.padBottom = rng() % p.kh;
    p.padLeft = rng() % p.kw;
    p.padRight = rng() % p.kw;
    p.countPad = rng() % 2;
    p.zp = static_cast<int16_t>(randomOf(rng, DType::I8));
    p.in = {kIn};
    p.out = {kOut};
    if (!verify(p).isOk())
      continue;
    SimHarness h;
    uint8_t *v = h.vtcm();
    for (int i = 0; i < p.h * p.w * p.c; ++i)
      setInt(v + kIn + i, DType::I8, randomOf(rng, DType::I8));
    ASSERT_TRUE(h.run(program({p})).isOk()) << disassemble(p);
    int64_t oh = windowOutSize(p.h, p.kh, p.strideH, 1, p.padTop, p.padBottom);
    int64_t ow = windowOutSize(p.w, p.kw, p.strideW, 1, p.padLeft, p.padRight);
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t ch = 0; ch < p.c; ++ch) {
          int64_t sum = 0, count = 0, mx = INT64_MIN;
          for (int ky = 0; ky < p.kh; ++ky)
            for (int kx = 0; kx < p.kw; ++kx) {
              int64_t iy = oy * p.strideH - p.padTop + ky;
              int64_t ix = ox * p.strideW - p.padLeft + kx;
              if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
                if (p.countPad) {
                  sum += p.zp;
                  ++count;
                }
                continue;
              }
              int64_t x =
                  getInt(v + kIn + (iy * p.w + ix) * p.c + ch, DType::I8);
              sum += x;
              ++count;
              mx = std::max(mx, x);
            }
          int64_t want;
          if (p.kind == PoolKind::Max) {
            want = mx;
          } else {
            double q = static_cast<double>(sum) / count;
            want = static_cast<int64_t>(q < 0 ? -std::floor(-q + 0.5)
                                              : std::floor(q + 0.5));
          }
          ASSERT_EQ(getInt(v + kOut + (oy * ow + ox) * p.c + ch, DType::I8),
                    want)
              << disassemble(p);
        }
  }
}

TEST(SimVectorTest, ReductionsOverTheMiddleAxis) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  // [outer=2][n=3][inner=4] of i8.
  for (int i = 0; i < 24; ++i)
    setInt(v + kIn + i, DType::I8, (i * 37) % 255 - 127);
  ReduceInstr sum{};
  sum.kind = ReduceKind::Sum;
  sum.outType = DType::I32;
  sum.in = {kIn};
  sum.out = {kOut};
  sum.outer = 2;
  sum.n = 3;
  sum.inner = 4;
  ReduceInstr mean = sum;
  mean.kind = ReduceKind::Mean;
  mean.outType = DType::I8;
  mean.out = {kOut + 64};
  ReduceInstr mx = sum;
  mx.kind = ReduceKind::Max;
  mx.outType = DType::I8;
  mx.out = {kOut + 128};
  ASSERT_TRUE(h.run(program({sum, mean, mx})).isOk());
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 4; ++i) {
      int64_t s = 0, m = INT64_MIN;
      for (int k = 0; k < 3; ++k) {
        int64_t x = getInt(v + kIn + (o * 3 + k) * 4 + i, DType::I8);
        s += x;
        m = std::max(m, x);
      }
      EXPECT_EQ(getInt(v + kOut + 4 * (o * 4 + i), DType::I32), s);
      double q = s / 3.0;
      int64_t r = static_cast<int64_t>(q < 0 ? -std::floor(-q + 0.5)
                                             : std::floor(q + 0.5));
      EXPECT_EQ(getInt(v + kOut + 64 + o * 4 + i, DType::I8), r);
      EXPECT_EQ(getInt(v + kOut + 128 + o * 4 + i, DType::I8), m);
    }
}

TEST(SimVectorTest, ConvertRequantizesPerChannelWithZeroPoints) {
  std::mt19937_64 rng(31);
  SimHarness h;
  uint8_t *v = h.vtcm();
  const int R = 5, C = 7;
  for (int i = 0; i < R * C; ++i)
    setInt(v + kIn + 4 * i, DType::I32,
           static_cast<int64_t>(rng() % 2000001) - 1000000);
  std::vector<Entry> table = randomTable(rng, v + kTbl, C, 20);
  ConvertInstr c;
  c.mode = ConvertMode::Requant;
  c.perChannel = true;
  c.inType = DType::I32;
  c.outType = DType::I8;
  c.in = {kIn};
  c.out = {kOut};
  c.table = {kTbl};
  c.rows = R;
  c.cols = C;
  c.zpIn = -17;
  c.zpOut = -3;
  c.lo = -100;
  c.hi = 90;
  ASSERT_TRUE(h.run(program({c})).isOk());
  for (int r = 0; r < R; ++r)
    for (int col = 0; col < C; ++col) {
      int64_t x = getInt(v + kIn + 4 * (r * C + col), DType::I32);
      EXPECT_EQ(getInt(v + kOut + r * C + col, DType::I8),
                refOutput(x + 17, table[col], -3, DType::I8, -100, 90));
    }
}

TEST(SimVectorTest, ConvertQuantizesDequantizesAndCasts) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  float xs[6] = {0.25f, 0.75f, -0.25f, -1000.0f, 1000.0f, NAN};
  std::memcpy(v + kIn, xs, sizeof(xs));
  float scale = 0.5f;
  std::memcpy(v + kTbl, &scale, 4);
  ConvertInstr q;
  q.mode = ConvertMode::Quant;
  q.inType = DType::F32;
  q.outType = DType::I8;
  q.in = {kIn};
  q.out = {kOut};
  q.table = {kTbl};
  q.cols = 6;
  q.zpOut = 10;
  ConvertInstr dq;
  dq.mode = ConvertMode::Dequant;
  dq.inType = DType::I8;
  dq.outType = DType::F32;
  dq.in = {kOut};
  dq.out = {kOut + 64};
  dq.table = {kTbl};
  dq.cols = 6;
  dq.zpIn = 10;
  ConvertInstr cast;
  cast.mode = ConvertMode::Cast;
  cast.inType = DType::F32;
  cast.outType = DType::I16;
  cast.in = {kIn};
  cast.out = {kOut + 128};
  cast.cols = 6;
  ASSERT_TRUE(h.run(program({q, dq, cast})).isOk());
  // round-half-even(x / 0.5) + 10: 0.5 -> 0, 1.5 -> 2, -0.5 -> -0, -2000,
  // 2000 saturate, NaN -> 0.
  int8_t wantQ[6] = {10, 12, 10, -128, 127, 10};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(static_cast<int8_t>(v[kOut + i]), wantQ[i]) << i;
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(getFloat(v + kOut + 64 + 4 * i, DType::F32),
              (wantQ[i] - 10) * 0.5f);
  int16_t wantC[6] = {0, 0, 0, -1000, 1000, 0};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(getInt(v + kOut + 128 + 2 * i, DType::I16), wantC[i]);
}

TEST(SimVectorTest, LayoutTransposesNhwcToNchw) {
  SimHarness h;
  uint8_t *v = h.vtcm();
  const int N = 2, H = 3, W = 4, C = 5;
  for (int i = 0; i < N * H * W * C; ++i)
    setInt(v + kIn + 2 * i, DType::I16, i);
  LayoutInstr l;
  l.dtype = DType::I16;
  l.perm = {0, 3, 1, 2};
  l.in = {kIn};
  l.out = {kOut};
  l.d0 = N;
  l.d1 = H;
  l.d2 = W;
  l.d3 = C;
  ASSERT_TRUE(h.run(program({l})).isOk());
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          ASSERT_EQ(getInt(v + kOut + 2 * (((n * C + c) * H + y) * W + x),
                           DType::I16),
                    ((n * H + y) * W + x) * C + c);
}

//===----------------------------------------------------------------------===//
// DMA and COPY
//===----------------------------------------------------------------------===//

TEST(SimDmaTest, LoadsWithStridesAndPaddingThenStores) {
  SimHarness h;
  uint8_t *ddr = h.ddrPtr();
  for (int i = 0; i < 4096; ++i)
    ddr[i] = static_cast<uint8_t>(i * 7);
  DmaInstr ld;
  ld.dir = DmaDir::Load;
  ld.src = {100};
  ld.dst = {kIn};
  ld.rows = 3;
  ld.cols = 5;
  ld.srcStride = 64;
  ld.padTop = 1;
  ld.padBottom = 2;
  ld.padLeft = 2;
  ld.padRight = 1;
  ld.pad = -3;
  ld.sync.signal[0] = 0;
  DmaInstr st;
  st.dir = DmaDir::Store;
  st.src = {kIn};
  st.dst = {8192};
  st.rows = 6;
  st.cols = 8;
  st.dstStride = 16;
  st.sync.wait[0] = 0;
  ASSERT_TRUE(h.run(program({ld, st})).isOk()) << h.result.fault->toString();
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      bool inside = r >= 1 && r < 4 && c >= 2 && c < 7;
      uint8_t want =
          inside ? static_cast<uint8_t>((100 + (r - 1) * 64 + (c - 2)) * 7)
                 : static_cast<uint8_t>(-3);
      EXPECT_EQ(h.vtcm()[kIn + r * 8 + c], want) << r << "," << c;
      EXPECT_EQ(ddr[8192 + r * 16 + c], want);
    }
  EXPECT_EQ(ddr[8192 + 8], 0); // The stride gap stays untouched.
}

TEST(SimDmaTest, MulticastAndCoreToCoreCopy) {
  SimHarness h;
  uint8_t *ddr = h.ddrPtr();
  for (int i = 0; i < 256; ++i)
    ddr[i] = static_cast<uint8_t>(i);
  const char *text = R"(
.core 0
  dma.load src=0x0 dst=0x100 cols=64 mask=0x3 rsignal=s1
  sync.dma wait=s1
  copy src=0x100 dst=0x400 cols=32 pl=2 pad=9 core=1 rsignal=s2
  end
.core 1
  sync.vec wait=s1
  sync.dma wait=s2
  dma.store src=0x400 dst=0x1000 cols=34
  end
)";
  ASSERT_TRUE(h.run(assembleOrDie(text)).isOk()) << h.result.fault->toString();
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(h.vtcm(0)[0x100 + i], i);
    EXPECT_EQ(h.vtcm(1)[0x100 + i], i);
  }
  EXPECT_EQ(ddr[0x1000], 9);
  EXPECT_EQ(ddr[0x1001], 9);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(ddr[0x1002 + i], i);
}

// A multicast COPY writes every core of its mask (not the others, not its
// own unless named) and its remote signal reaches each of them.
TEST(SimDmaTest, MulticastCopyReachesEveryCoreOfItsMask) {
  SimHarness h(*ChipRegistry::builtin().find("cloud-l"));
  uint8_t *ddr = h.ddrPtr();
  for (int i = 0; i < 256; ++i)
    ddr[i] = static_cast<uint8_t>(255 - i);
  const char *text = R"(
.core 0
  dma.load src=0x0 dst=0x100 rows=4 cols=16 dstride=32
  sync.dma
  copy src=0x100 dst=0x100 rows=4 cols=16 sstride=32 dstride=32 mask=0xa rsignal=s2
  end
.core 1
  sync.dma wait=s2
  dma.store src=0x100 dst=0x1000 cols=128
  end
.core 2
  end
.core 3
  sync.dma wait=s2
  dma.store src=0x100 dst=0x2000 cols=128
  end
)";
  ASSERT_TRUE(h.run(assembleOrDie(text)).isOk()) << h.result.fault->toString();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 16; ++c) {
      uint8_t want = static_cast<uint8_t>(255 - (r * 16 + c));
      EXPECT_EQ(ddr[0x1000 + r * 32 + c], want) << r << "," << c;
      EXPECT_EQ(ddr[0x2000 + r * 32 + c], want) << r << "," << c;
      EXPECT_EQ(h.vtcm(2)[0x100 + r * 32 + c], 0)
          << "core 2 is not in the mask";
    }
}
