//===- CodegenTest.cpp - The NPU code generator on the simulator ----------===//
//
// Layer graphs are compiled for the built-in chips under budgets that force
// tiling (small VTCM limits, split sizes, several cores), run on the
// simulator with hazard detection on, and compared byte for byte with
//  - an independent reference (plain loops) for int8 conv and matmul, and
//  - the same graph compiled as whole layers (one instruction per layer on
//    an unconstrained chip), whose instructions the simulator tests check
//    against independent references, for every other layer kind.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/NPU/Codegen/Codegen.h"
#include "tessel/Runtime/Simulator.h"
#include "tessel/Support/QuantMath.h"
#include "tessel/Target/NPU/Codegen/Packing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

using namespace tessel;
using namespace tessel::npu;
using namespace tessel::npu::cg;

namespace {

const ChipModel &chipNamed(const std::string &name) {
  const ChipModel *c = ChipRegistry::builtin().find(name);
  if (!c)
    std::abort();
  return *c;
}

/// A chip with room for whole layers and no alignment rules: the reference
/// schedule.
ChipModel bigChip() {
  ChipModel c = chipNamed("cloud-l");
  c.name = "big";
  c.cores = 1;
  c.vtcmBytes = 256ull << 20;
  c.alignActivation = c.alignWeight = c.alignVector = c.alignDma = 1;
  return c;
}

std::vector<uint8_t> randomBytes(size_t n, std::mt19937 &rng, int lo = -128,
                                 int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<uint8_t> v(n);
  for (uint8_t &b : v)
    b = static_cast<uint8_t>(d(rng));
  return v;
}

/// Requant entries {i64 bias, i32 M, i32 s} for `n` channels.
std::vector<uint8_t> requantTable(int64_t n, std::mt19937 &rng,
                                  double scale = 1.0 / 512) {
  std::vector<uint8_t> t(n * 16);
  std::uniform_int_distribution<int> bias(-2000, 2000);
  std::uniform_real_distribution<double> jitter(0.7, 1.4);
  for (int64_t c = 0; c < n; ++c) {
    int64_t b = bias(rng);
    support::Requant r = support::quantizeMultiplier(scale * jitter(rng));
    std::memcpy(&t[c * 16], &b, 8);
    std::memcpy(&t[c * 16 + 8], &r.multiplier, 4);
    std::memcpy(&t[c * 16 + 12], &r.shift, 4);
  }
  return t;
}

TensorId addAct(LayerGraph &g, const std::string &name, DType dt,
                std::vector<int64_t> shape, bool in = false, bool out = false) {
  Tensor t;
  t.name = name;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.isInput = in;
  t.isOutput = out;
  return g.addTensor(std::move(t));
}

struct RunResult {
  std::map<TensorId, std::vector<uint8_t>> outputs;
  CompiledSegment seg;
  sim::RunStats stats;
};

/// Compiles and runs `g`; inputs are random (seeded), returned too.
::testing::AssertionResult
compileAndRun(const ChipModel &chip, const LayerGraph &g, PlanOptions opt,
              std::map<TensorId, std::vector<uint8_t>> &inputs,
              RunResult &res) {
  std::vector<Placement> io(g.tensors.size());
  uint64_t off = 0;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor &t = g.tensors[i];
    if ((t.isInput || t.isOutput) && t.aliasOf == kNoTensor) {
      io[i].addr = off;
      off = (off + t.bytes() + 63) / 64 * 64;
    }
  }
  opt.ddrScratchBase = off;
  StatusOr<NpuPlan> plan = planGraph(chip, g, io, opt, &res.seg.report);
  if (!plan)
    return ::testing::AssertionFailure() << "plan: " << plan.message();
  res.seg.plan = plan.take();
  res.seg.plan.weightsBase =
      (off + res.seg.plan.ddrScratchBytes + 63) / 64 * 64;
  StatusOr<Program> prog =
      emitProgram(chip, g, res.seg.plan, {}, &res.seg.sync);
  if (!prog)
    return ::testing::AssertionFailure() << "emit: " << prog.message();
  res.seg.program = prog.take();
  uint64_t size =
      res.seg.plan.weightsBase + res.seg.plan.weights.bytes.size() + 64;
  sim::DdrMemory ddr(size);
  if (!res.seg.plan.weights.bytes.empty())
    ddr.write(res.seg.plan.weightsBase, res.seg.plan.weights.bytes.data(),
              res.seg.plan.weights.bytes.size());
  std::mt19937 rng(7);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor &t = g.tensors[i];
    if (!t.isInput)
      continue;
    if (!inputs.count(static_cast<TensorId>(i))) {
      std::vector<uint8_t> data = randomBytes(t.bytes(), rng);
      inputs[static_cast<TensorId>(i)] = data;
    }
    ddr.write(io[i].addr, inputs[static_cast<TensorId>(i)].data(), t.bytes());
  }
  sim::Simulator simulator(chip);
  sim::SimResult result;
  Status s = simulator.run(res.seg.program, ddr, result);
  if (!s)
    return ::testing::AssertionFailure()
           << "simulation on " << chip.name << ": " << s.message() << "\n"
           << disassembleProgram(res.seg.program).substr(0, 6000);
  res.stats = result.stats;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor &t = g.tensors[i];
    if (!t.isOutput)
      continue;
    std::vector<uint8_t> out(t.bytes());
    ddr.read(io[i].addr, out.data(), out.size());
    res.outputs[static_cast<TensorId>(i)] = std::move(out);
  }
  return ::testing::AssertionSuccess();
}

/// Runs `g` tiled on `chip` with `opt` and as whole layers on the big
/// chip; the outputs must agree byte for byte.
void expectSameAsWhole(const ChipModel &chip, const LayerGraph &g,
                       const PlanOptions &opt, unsigned minTiles = 2) {
  std::map<TensorId, std::vector<uint8_t>> inputs;
  RunResult tiled, whole;
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, tiled));
  PlanOptions wo;
  wo.wholeLayers = true;
  ASSERT_TRUE(compileAndRun(bigChip(), g, wo, inputs, whole));
  uint64_t tiles = 0;
  for (const TilePlan &p : tiled.seg.plan.tiles)
    tiles += p.numTiles;
  EXPECT_GE(tiles, minTiles) << "the budget did not force tiling";
  for (auto &[id, bytes] : whole.outputs) {
    const std::vector<uint8_t> &got = tiled.outputs[id];
    ASSERT_EQ(got.size(), bytes.size());
    size_t diff = 0;
    while (diff < bytes.size() && got[diff] == bytes[diff])
      ++diff;
    EXPECT_EQ(diff, bytes.size())
        << "output '" << g.tensor(id).name << "' differs first at byte " << diff
        << " on " << chip.name;
  }
}

/// Plain-loop int8 conv with the requant output stage (NHWC, OHWI).
std::vector<uint8_t>
refConvInt8(const std::vector<uint8_t> &x, const std::vector<int64_t> &xs,
            const std::vector<uint8_t> &w, const std::vector<uint8_t> &tbl,
            const ConvParams &p, int64_t co, int64_t oh, int64_t ow) {
  int64_t H = xs[1], W = xs[2], C = xs[3], cg = C / p.groups,
          cog = co / p.groups;
  std::vector<uint8_t> y(xs[0] * oh * ow * co);
  for (int64_t n = 0; n < xs[0]; ++n)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t o = 0; o < co; ++o) {
          int64_t g = o / cog;
          int64_t acc = 0;
          for (int ky = 0; ky < p.kh; ++ky)
            for (int kx = 0; kx < p.kw; ++kx) {
              int64_t iy = oy * p.sh - p.pt + ky * p.dh;
              int64_t ix = ox * p.sw - p.pl + kx * p.dw;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                continue;
              for (int64_t c = 0; c < cg; ++c) {
                int64_t xv = static_cast<int8_t>(
                                 x[((n * H + iy) * W + ix) * C + g * cg + c]) -
                             p.zpIn;
                int64_t wv = static_cast<int8_t>(
                                 w[((o * p.kh + ky) * p.kw + kx) * cg + c]) -
                             p.zpW;
                acc += xv * wv;
              }
            }
          acc = static_cast<int32_t>(static_cast<uint32_t>(acc));
          int64_t b;
          support::Requant r;
          std::memcpy(&b, &tbl[o * 16], 8);
          std::memcpy(&r.multiplier, &tbl[o * 16 + 8], 4);
          std::memcpy(&r.shift, &tbl[o * 16 + 12], 4);
          int64_t v = support::requantizeOutput(acc, b, r, p.zpOut, 8, true);
          v = std::min<int64_t>(std::max<int64_t>(v, p.lo), p.hi);
          y[((n * oh + oy) * ow + ox) * co + o] = static_cast<uint8_t>(v);
        }
  return y;
}

struct ConvCase {
  int64_t n, h, w, c, co;
  int k, s, pad, groups;
};

LayerGraph convGraph(const ConvCase &cc, std::mt19937 &rng, TensorId &x,
                     TensorId &y, ConvParams &p) {
  LayerGraph g;
  p = ConvParams{};
  p.kh = p.kw = cc.k;
  p.sh = p.sw = cc.s;
  p.pt = p.pb = p.pl = p.pr = cc.pad;
  p.groups = cc.groups;
  p.requant = true;
  p.zpIn = -3;
  p.zpOut = 5;
  p.lo = -100;
  p.hi = 120;
  int64_t oh = convOutSize(cc.h, cc.k, cc.s, 1, cc.pad, cc.pad);
  int64_t ow = convOutSize(cc.w, cc.k, cc.s, 1, cc.pad, cc.pad);
  x = addAct(g, "x", DType::I8, {cc.n, cc.h, cc.w, cc.c}, true);
  TensorId w = g.addConstant(
      "w", DType::I8, {cc.co, cc.k, cc.k, cc.c / cc.groups},
      randomBytes(cc.co * cc.k * cc.k * (cc.c / cc.groups), rng, -60, 60));
  TensorId t =
      g.addConstant("tbl", DType::I8, {cc.co * 16}, requantTable(cc.co, rng));
  y = addAct(g, "y", DType::I8, {cc.n, oh, ow, cc.co}, false, true);
  Layer l;
  l.name = "conv";
  l.kind = LayerKind::Conv;
  l.params = p;
  l.inputs = {x, w, t};
  l.output = y;
  g.layers.push_back(l);
  return g;
}

class ConvTiling : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTiling, MatchesPlainLoopsOnEveryChip) {
  const ConvCase &cc = GetParam();
  for (const char *name : {"edge-s", "mobile-m", "cloud-l"}) {
    SCOPED_TRACE(name);
    const ChipModel &chip = chipNamed(name);
    std::mt19937 rng(11);
    TensorId x, y;
    ConvParams p;
    LayerGraph g = convGraph(cc, rng, x, y, p);
    PlanOptions opt;
    opt.splitBytes = 1024; // Force row and channel tiles.
    opt.cores = std::string(name) == "cloud-l" ? 4 : 1;
    opt.maxChannelCores = 2;
    std::map<TensorId, std::vector<uint8_t>> inputs;
    RunResult r;
    ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, r));
    const Tensor &Y = g.tensor(y);
    std::vector<uint8_t> want =
        refConvInt8(inputs[x], g.tensor(x).shape, g.tensor(1).data,
                    g.tensor(2).data, p, Y.shape[3], Y.shape[1], Y.shape[2]);
    ASSERT_EQ(r.outputs[y].size(), want.size());
    size_t bad = 0;
    while (bad < want.size() && r.outputs[y][bad] == want[bad])
      ++bad;
    EXPECT_EQ(bad, want.size()) << "first difference at byte " << bad;
    EXPECT_GT(r.seg.plan.tiles[0].numTiles, 1u) << "not tiled";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTiling,
    ::testing::Values(ConvCase{1, 20, 18, 16, 48, 3, 1, 1, 1},
                      ConvCase{2, 13, 11, 24, 40, 3, 2, 1, 1},
                      ConvCase{1, 17, 16, 32, 32, 3, 1, 1, 32}, // depthwise
                      ConvCase{1, 9, 10, 16, 32, 1, 1, 0, 1},
                      ConvCase{1, 15, 15, 16, 32, 5, 2, 2, 4}, // grouped
                      // Small channel counts: the kernel width folds.
                      ConvCase{1, 30, 28, 3, 24, 7, 2, 3, 1},
                      ConvCase{2, 12, 13, 4, 16, 3, 1, 1, 1}));

TEST(CodegenFold, SmallChannelConvFoldsKernelWidth) {
  // A 1x1 conv keeps its 3-channel output in VTCM; the 7x7/2 stem conv
  // reading it folds kw * c = 21 elements into the channels (its padded
  // rows are moved within VTCM). Another stem conv reads its input from
  // DDR (the padded rows are loaded). Both match plain loops.
  std::mt19937 rng(23);
  LayerGraph g;
  TensorId x = addAct(g, "x", DType::I8, {1, 30, 28, 3}, true);
  ConvParams p0;
  p0.requant = true;
  p0.zpIn = -3;
  p0.zpOut = 2;
  TensorId w0 = g.addConstant("w0", DType::I8, {3, 1, 1, 3},
                              randomBytes(9, rng, -60, 60));
  TensorId t0 =
      g.addConstant("t0", DType::I8, {3 * 16}, requantTable(3, rng, 1.0 / 64));
  TensorId y0 = addAct(g, "y0", DType::I8, {1, 30, 28, 3});
  g.layers.push_back({"pointwise", LayerKind::Conv, p0, {x, w0, t0}, y0});
  ConvParams p1;
  p1.kh = p1.kw = 7;
  p1.sh = p1.sw = 2;
  p1.pt = p1.pb = p1.pl = p1.pr = 3;
  p1.requant = true;
  p1.zpIn = 2;
  p1.zpOut = -1;
  TensorId w1 = g.addConstant("w1", DType::I8, {24, 7, 7, 3},
                              randomBytes(24 * 49 * 3, rng, -60, 60));
  TensorId t1 = g.addConstant("t1", DType::I8, {24 * 16},
                              requantTable(24, rng, 1.0 / 1024));
  TensorId y1 = addAct(g, "y1", DType::I8, {1, 15, 14, 24}, false, true);
  g.layers.push_back({"stem", LayerKind::Conv, p1, {y0, w1, t1}, y1});
  TensorId y2 = addAct(g, "y2", DType::I8, {1, 15, 14, 24}, false, true);
  g.layers.push_back({"stem_ddr", LayerKind::Conv, p1, {x, w1, t1}, y2});

  const ChipModel &chip = chipNamed("mobile-m");
  std::map<TensorId, std::vector<uint8_t>> inputs;
  RunResult r;
  PlanOptions opt;
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, r));
  EXPECT_GE(r.seg.report.residentTensors, 1u);
  std::vector<uint8_t> mid =
      refConvInt8(inputs[x], {1, 30, 28, 3}, g.tensor(w0).data,
                  g.tensor(t0).data, p0, 3, 30, 28);
  EXPECT_EQ(r.outputs[y1], refConvInt8(mid, {1, 30, 28, 3}, g.tensor(w1).data,
                                       g.tensor(t1).data, p1, 24, 15, 14));
  EXPECT_EQ(r.outputs[y2],
            refConvInt8(inputs[x], {1, 30, 28, 3}, g.tensor(w1).data,
                        g.tensor(t1).data, p1, 24, 15, 14));
  // The folded instructions: 21-element windows at pixel stride 6, and the
  // rows moved (VTCM to VTCM) with 3 columns of the zero point each side.
  std::string asmText = disassembleProgram(r.seg.program);
  EXPECT_NE(asmText.find("c=21 cout=24 kh=7 sh=2"), std::string::npos)
      << asmText.substr(0, 4000);
  EXPECT_NE(asmText.find("ips=6"), std::string::npos);
  EXPECT_NE(asmText.find("dma.move"), std::string::npos);
  EXPECT_NE(asmText.find("pl=9 pr=6 pad=2"), std::string::npos);
}

TEST(CodegenSync, WaitsFollowTheData) {
  // load -> conv -> store: the conv waits for the load, the store for the
  // conv, and nothing waits twice.
  StepProgram sp;
  DmaInstr load;
  load.dir = DmaDir::Load;
  load.src.offset = 0;
  load.dst.offset = 0;
  load.cols = 64;
  ConvInstr conv;
  conv.in.offset = 0;
  conv.weights.offset = 1024;
  conv.out.offset = 2048;
  conv.h = 2;
  conv.w = 2;
  conv.c = 16;
  conv.cout = 16;
  conv.outType = DType::I32;
  DmaInstr store;
  store.dir = DmaDir::Store;
  store.src.offset = 2048;
  store.dst.offset = 4096;
  store.cols = 256;
  sp.add(0, load, -1);
  sp.add(0, conv, -1);
  sp.add(0, store, -1);
  sp.add(0, load, -1); // WAR on the input buffer: waits for the conv.
  SyncStats st;
  StatusOr<Program> p = synchronize(chipNamed("cloud-l"), sp, &st);
  ASSERT_TRUE(p) << p.message();
  std::string text = disassembleProgram(*p);
  unsigned dm = semaphoreFor(Engine::Dma, Engine::Matrix);
  unsigned md = semaphoreFor(Engine::Matrix, Engine::Dma);
  EXPECT_NE(text.find("signal=s" + std::to_string(dm)), std::string::npos)
      << text;
  EXPECT_NE(text.find("wait=s" + std::to_string(md)), std::string::npos)
      << text;
  // The second load is behind the store in the DMA queue, which already
  // waited for the conv: no second wait.
  EXPECT_EQ(st.waits, 2u) << text;
}

TEST(CodegenPacking, UnpackRestoresTheWeights) {
  std::mt19937 rng(3);
  TensorId x, y;
  ConvParams p;
  LayerGraph g = convGraph({1, 8, 8, 24, 80, 3, 1, 1, 1}, rng, x, y, p);
  const ChipModel &chip = chipNamed("mobile-m");
  for (int64_t tco : {16, 32, 80}) {
    TilePlan plan;
    plan.cols = tco;
    StatusOr<WeightImage> img = packWeights(chip, g, {plan});
    ASSERT_TRUE(img) << img.message();
    EXPECT_EQ(img->layerTiles[0].size(),
              static_cast<size_t>((80 + tco - 1) / tco));
    for (const PackedTile &t : img->layerTiles[0]) {
      EXPECT_EQ(t.offset % 64, 0u);
      EXPECT_EQ(t.tableOffset % 16, 0u);
    }
    StatusOr<std::vector<uint8_t>> back = unpackWeights(chip, g, *img, 0, plan);
    ASSERT_TRUE(back) << back.message();
    EXPECT_EQ(*back, g.tensor(1).data) << "tco " << tco;
  }
}

TEST(CodegenMatmul, ConstantAndActivationB) {
  std::mt19937 rng(5);
  LayerGraph g;
  int64_t M = 40, K = 96, N = 72;
  TensorId a = addAct(g, "a", DType::I8, {1, M, K}, true);
  TensorId w =
      g.addConstant("w", DType::I8, {K, N}, randomBytes(K * N, rng, -50, 50));
  TensorId t = g.addConstant("t", DType::I8, {N * 16}, requantTable(N, rng));
  TensorId h = addAct(g, "h", DType::I8, {1, M, N});
  MatmulParams mp;
  mp.transB = true; // w is [K][N]
  mp.requant = true;
  mp.zpA = 2;
  mp.zpOut = -1;
  Layer l1;
  l1.name = "fc";
  l1.kind = LayerKind::Matmul;
  l1.params = mp;
  l1.inputs = {a, w, t};
  l1.output = h;
  g.layers.push_back(l1);
  // h x h^T: [M][N] x [N][M] with B an activation ([M][N] read as [N][K]).
  TensorId s = addAct(g, "s", DType::I32, {1, M, M}, false, true);
  MatmulParams mp2;
  Layer l2;
  l2.name = "scores";
  l2.kind = LayerKind::Matmul;
  l2.params = mp2;
  l2.inputs = {h, h};
  l2.output = s;
  g.layers.push_back(l2);
  PlanOptions opt;
  opt.splitBytes = 2048;
  for (const char *name : {"edge-s", "mobile-m", "cloud-l"}) {
    SCOPED_TRACE(name);
    expectSameAsWhole(chipNamed(name), g, opt);
  }
}

TEST(CodegenVector, QuantizedAddWithBroadcast) {
  std::mt19937 rng(9);
  LayerGraph g;
  TensorId a = addAct(g, "a", DType::I8, {1, 12, 10, 64}, true);
  TensorId b = addAct(g, "b", DType::I8, {1, 1, 10, 64}, true);
  auto entry = [&](double scale) {
    return g.addConstant("rq", DType::I8, {16}, requantTable(1, rng, scale));
  };
  TensorId ta = entry(1 << 10), tb = entry(1 << 9), to = entry(1.0 / 2048);
  TensorId y = addAct(g, "y", DType::I8, {1, 12, 10, 64}, false, true);
  EltwiseParams ep;
  ep.op = EltwiseOp::Add;
  ep.requant = true;
  ep.zpA = 3;
  ep.zpB = -7;
  ep.zpOut = 1;
  ep.lo = 1;
  ep.hi = 127;
  Layer l;
  l.name = "add";
  l.kind = LayerKind::Eltwise;
  l.params = ep;
  l.inputs = {a, b, ta, tb, to};
  l.output = y;
  g.layers.push_back(l);
  PlanOptions opt;
  opt.splitBytes = 1024;
  for (const char *name : {"edge-s", "mobile-m", "cloud-l"}) {
    SCOPED_TRACE(name);
    expectSameAsWhole(chipNamed(name), g, opt);
  }
}

TEST(CodegenVector, PoolReduceActTransposeMoves) {
  std::mt19937 rng(13);
  LayerGraph g;
  TensorId x = addAct(g, "x", DType::I8, {1, 14, 14, 32}, true);
  TensorId p = addAct(g, "p", DType::I8, {1, 7, 7, 32});
  PoolParams pp;
  pp.kind = PoolKind::Max;
  pp.kh = pp.kw = 3;
  pp.sh = pp.sw = 2;
  pp.pt = pp.pl = 1;
  pp.pb = pp.pr = 1;
  g.layers.push_back({"pool", LayerKind::Pool, pp, {x}, p});
  // LUT activation.
  std::vector<uint8_t> lut(256);
  for (int i = 0; i < 256; ++i)
    lut[i] = static_cast<uint8_t>((i * 37) & 0xff);
  TensorId lt = g.addConstant("lut", DType::I8, {256}, lut);
  TensorId a = addAct(g, "a", DType::I8, {1, 7, 7, 32});
  ActParams ap;
  ap.kind = ActKind::Lut;
  g.layers.push_back({"lut", LayerKind::Act, ap, {p, lt}, a});
  // Average pool to [1,1,1,32] as a mean reduce over 49 pixels.
  TensorId m = addAct(g, "m", DType::I8, {1, 1, 1, 32}, false, true);
  ReduceParams rp;
  rp.kind = ReduceKind::Mean;
  rp.outer = 1;
  rp.n = 49;
  rp.inner = 32;
  g.layers.push_back({"mean", LayerKind::Reduce, rp, {a}, m});
  // Transpose NHWC -> NCHW, then slice, pad and concat.
  TensorId t = addAct(g, "t", DType::I8, {1, 32, 7, 7});
  TransposeParams tp;
  tp.perm = {0, 3, 1, 2};
  g.layers.push_back({"nchw", LayerKind::Transpose, tp, {a}, t});
  TensorId s = addAct(g, "s", DType::I8, {1, 16, 5, 7});
  SliceParams sp;
  sp.starts = {0, 8, 1, 0};
  g.layers.push_back({"slice", LayerKind::Slice, sp, {t}, s});
  TensorId pd = addAct(g, "pd", DType::I8, {1, 16, 7, 9});
  PadParams pad;
  pad.before = {0, 0, 1, 1};
  pad.after = {0, 0, 1, 1};
  pad.value = -5;
  g.layers.push_back({"pad", LayerKind::Pad, pad, {s}, pd});
  TensorId c = addAct(g, "c", DType::I8, {1, 32, 7, 9}, false, true);
  ConcatParams cp;
  cp.axis = 1;
  g.layers.push_back({"concat", LayerKind::Concat, cp, {pd, pd}, c});
  PlanOptions opt;
  opt.splitBytes = 2048;
  for (const char *name : {"edge-s", "mobile-m", "cloud-l"}) {
    SCOPED_TRACE(name);
    expectSameAsWhole(chipNamed(name), g, opt);
  }
}

TEST(CodegenResidency, IntermediatesStayInVtcm) {
  // conv -> conv -> conv on mobile-m: the intermediates fit VTCM and never
  // touch DDR; the result is the same as with everything in DDR.
  std::mt19937 rng(17);
  LayerGraph g;
  TensorId x = addAct(g, "x", DType::I8, {1, 28, 28, 64}, true);
  TensorId cur = x;
  for (int i = 0; i < 3; ++i) {
    ConvParams p;
    p.kh = p.kw = 3;
    p.pt = p.pb = p.pl = p.pr = 1;
    p.requant = true;
    p.lo = 0;
    TensorId w =
        g.addConstant("w" + std::to_string(i), DType::I8, {64, 3, 3, 64},
                      randomBytes(64 * 9 * 64, rng, -20, 20));
    TensorId t = g.addConstant("t" + std::to_string(i), DType::I8, {64 * 16},
                               requantTable(64, rng, 1.0 / 4096));
    TensorId y = addAct(g, "y" + std::to_string(i), DType::I8, {1, 28, 28, 64},
                        false, i == 2);
    g.layers.push_back(
        {"conv" + std::to_string(i), LayerKind::Conv, p, {cur, w, t}, y});
    cur = y;
  }
  const ChipModel &chip = chipNamed("mobile-m");
  std::map<TensorId, std::vector<uint8_t>> inputs;
  RunResult resident, ddr;
  PlanOptions opt;
  opt.overlapSplit = 4;
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, resident));
  EXPECT_EQ(resident.seg.report.residentTensors, 2u);
  PlanOptions noRes = opt;
  noRes.residency = false;
  ASSERT_TRUE(compileAndRun(chip, g, noRes, inputs, ddr));
  EXPECT_EQ(resident.outputs, ddr.outputs);
  EXPECT_LT(resident.stats.ddrBytes(), ddr.stats.ddrBytes());
  // The allocation never puts two live buffers on the same bytes.
  Status proof = proveNoOverlap(vtcmAllocation(chip, g, resident.seg.plan, opt),
                                chip.usableVtcmBytes());
  EXPECT_TRUE(proof) << proof.message();
}

TEST(CodegenAllocation, Z3FindsAnOverlap) {
  std::vector<AllocItem> items = {{"a", 0, 100, 0, 3}, {"b", 64, 64, 2, 5}};
  Status s = proveNoOverlap(items, 1024);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("overlaps"), std::string::npos) << s.message();
  items[1].begin = 4; // No longer live together.
  EXPECT_TRUE(proveNoOverlap(items, 1024));
  items[1].addr = 2000;
  EXPECT_FALSE(proveNoOverlap(items, 1024));
}

TEST(CodegenErrors, VtcmTooSmallNamesTheLayer) {
  std::mt19937 rng(1);
  TensorId x, y;
  ConvParams p;
  LayerGraph g = convGraph({1, 8, 64, 512, 64, 3, 1, 1, 1}, rng, x, y, p);
  PlanOptions opt;
  opt.vtcmLimitPercent = 1;
  std::vector<Placement> io(g.tensors.size());
  io[y].addr = 1 << 20;
  StatusOr<NpuPlan> plan = planGraph(chipNamed("edge-s"), g, io, opt);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.message().find("layer 'conv'"), std::string::npos)
      << plan.message();
  EXPECT_NE(plan.message().find("no tiling fits"), std::string::npos)
      << plan.message();
  opt.vtcmLimitPercent = 100;
  opt.cores = 4;
  plan = planGraph(chipNamed("edge-s"), g, io, opt);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.message().find("--cores=4"), std::string::npos)
      << plan.message();
}

} // namespace

namespace {

/// x -> (+ c0) -> (+ c1) -> (+ c2) with large constant operands: each add's
/// first constant tile is prefetched during the previous add.
LayerGraph constantAddChain(std::mt19937 &rng) {
  LayerGraph g;
  TensorId cur = addAct(g, "x", DType::I16, {64, 1024}, true);
  for (int i = 0; i < 3; ++i) {
    TensorId c = g.addConstant("c" + std::to_string(i), DType::I16, {64, 1024},
                               randomBytes(64 * 1024 * 2, rng, -50, 50));
    TensorId y = addAct(g, "y" + std::to_string(i), DType::I16, {64, 1024},
                        false, i == 2);
    EltwiseParams p;
    p.op = EltwiseOp::Add;
    g.layers.push_back(
        {"add" + std::to_string(i), LayerKind::Eltwise, p, {cur, c}, y});
    cur = y;
  }
  return g;
}

} // namespace

TEST(CodegenPrefetch, ConstantOperandsOfConsecutiveLayers) {
  // Regression: the second add's prefetched first tile shared a buffer with
  // the first add's streamed tiles and was overwritten before use.
  std::mt19937 rng(23);
  LayerGraph g = constantAddChain(rng);
  const ChipModel &chip = chipNamed("mobile-m");
  std::map<TensorId, std::vector<uint8_t>> inputs;
  RunResult tiled, whole;
  PlanOptions opt;
  opt.splitBytes = 8192; // Many tiles per layer.
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, tiled));
  PlanOptions ref;
  ref.wholeLayers = true;
  ASSERT_TRUE(compileAndRun(chip, g, ref, inputs, whole));
  EXPECT_EQ(tiled.outputs, whole.outputs);
  EXPECT_GT(tiled.seg.plan.tiles[1].numTiles, 1u);
  Status proof = proveNoOverlap(vtcmAllocation(chip, g, tiled.seg.plan, opt),
                                chip.usableVtcmBytes());
  EXPECT_TRUE(proof) << proof.message();
}

TEST(CodegenPlanner, StagesReproduceTheWholePlan) {
  // What the passes do one stage at a time (residency, tiling, allocation)
  // gives the same addresses as planGraph in one go.
  std::mt19937 rng(29);
  LayerGraph g = constantAddChain(rng);
  const ChipModel &chip = chipNamed("mobile-m");
  std::vector<Placement> io(g.tensors.size());
  io[0].addr = 0;
  io[g.layers.back().output].addr = 1 << 20;
  PlanOptions opt;
  opt.splitBytes = 8192;
  opt.ddrScratchBase = 2 << 20;
  StatusOr<NpuPlan> whole = planGraph(chip, g, io, opt);
  ASSERT_TRUE(whole) << whole.message();
  std::vector<Placement> residency = initialResidency(chip, g, opt);
  StatusOr<NpuPlan> tiled = planGraph(chip, g, io, opt, nullptr, &residency);
  ASSERT_TRUE(tiled) << tiled.message();
  NpuPlan staged;
  staged.tiles = tiled->tiles;
  staged.placements.assign(g.tensors.size(), Placement{});
  for (size_t i = 0; i < g.tensors.size(); ++i)
    staged.placements[i].vtcm = tiled->placements[i].vtcm;
  ASSERT_TRUE(allocateMemory(chip, g, io, opt, staged));
  EXPECT_EQ(staged.buffers, whole->buffers);
  EXPECT_EQ(staged.vtcmPeak, whole->vtcmPeak);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    EXPECT_EQ(staged.placements[i].vtcm, whole->placements[i].vtcm) << i;
    EXPECT_EQ(staged.placements[i].addr, whole->placements[i].addr) << i;
  }
}

TEST(CodegenPlanner, HeuristicSolverIsRecordedAndCorrect) {
  std::mt19937 rng(31);
  LayerGraph g = constantAddChain(rng);
  const ChipModel &chip = chipNamed("mobile-m");
  std::map<TensorId, std::vector<uint8_t>> inputs;
  RunResult exhaustive, heuristic;
  PlanOptions opt;
  opt.solver = "exhaustive";
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, exhaustive));
  opt.solver = "heuristic";
  ASSERT_TRUE(compileAndRun(chip, g, opt, inputs, heuristic));
  EXPECT_EQ(exhaustive.outputs, heuristic.outputs);
  for (const TilePlan &t : heuristic.seg.plan.tiles)
    EXPECT_EQ(t.solver, "heuristic");
  for (const TilePlan &t : exhaustive.seg.plan.tiles)
    EXPECT_EQ(t.solver, "exhaustive");
  // The exhaustive search is optimal within the cost model.
  uint64_t e = 0, h = 0;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    e += exhaustive.seg.plan.tiles[i].estCycles;
    h += heuristic.seg.plan.tiles[i].estCycles;
  }
  EXPECT_LE(e, h);
  opt.solver = "z4";
  std::vector<Placement> io(g.tensors.size());
  StatusOr<NpuPlan> bad = planGraph(chip, g, io, opt);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("unknown tiling solver 'z4'"),
            std::string::npos);
}
