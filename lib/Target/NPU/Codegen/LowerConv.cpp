//===- LowerConv.cpp - conv and pool layers: tiles over rows and channels -===//
//
// A tile is (image n, output rows [oy0, oy1), output channels [co0, co1)).
// Its input is the rows the window reads (with the halo; the instruction's
// own padding covers the borders) and, for grouped convs and pools, only the
// channels of the tile. Tensors in DDR are staged through double-buffered
// VTCM slots; tensors the memory plan keeps in VTCM are read and written in
// place. Weights (packed per channel tile, see Packing.h) load once per
// channel tile with `weightsOuter`, else once per tile.
//
//===----------------------------------------------------------------------===//
#include "LowerCommon.h"
#include "tessel/Target/NPU/Codegen/Packing.h"

#include <numeric>

namespace tessel::npu::cg::detail {

namespace {

struct Geom {
  bool pool = false;
  int64_t N = 1, H = 1, W = 1, C = 1, OH = 1, OW = 1, CO = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int pt = 0, pb = 0, pl = 0, pr = 0, groups = 1;
  int64_t cg = 1, cog = 1;
  DType in = DType::I8, wt = DType::I8, out = DType::I8;
  uint32_t align = 1;
  TensorId x = kNoTensor, y = kNoTensor;
  bool floatEpilogue = false;
};

Geom geomOf(const PlanContext &ctx) {
  const Layer &l = ctx.layer;
  const LayerGraph &g = ctx.graph;
  Geom r;
  r.pool = l.kind == LayerKind::Pool;
  r.x = l.inputs[0];
  r.y = l.output;
  const Tensor &x = g.tensor(r.x), &y = g.tensor(r.y);
  r.N = x.shape[0];
  r.H = x.shape[1];
  r.W = x.shape[2];
  r.C = x.shape[3];
  r.OH = y.shape[1];
  r.OW = y.shape[2];
  r.CO = y.shape[3];
  r.in = x.dtype;
  r.out = y.dtype;
  if (r.pool) {
    const auto &p = l.as<PoolParams>();
    r.kh = p.kh, r.kw = p.kw, r.sh = p.sh, r.sw = p.sw;
    r.pt = p.pt, r.pb = p.pb, r.pl = p.pl, r.pr = p.pr;
    r.groups = static_cast<int>(r.C);
    r.cg = r.cog = 1;
    r.wt = r.in;
    r.align = ctx.chip.alignVector;
  } else {
    const auto &p = l.as<ConvParams>();
    r.kh = p.kh, r.kw = p.kw, r.sh = p.sh, r.sw = p.sw, r.dh = p.dh,
    r.dw = p.dw;
    r.pt = p.pt, r.pb = p.pb, r.pl = p.pl, r.pr = p.pr;
    r.groups = p.groups;
    r.cg = r.C / p.groups;
    r.cog = r.CO / p.groups;
    r.wt = g.tensor(l.inputs[1]).dtype;
    r.align = ctx.chip.alignActivation;
    r.floatEpilogue = !p.epilogue.empty();
  }
  return r;
}

int64_t inRowsFor(const Geom &g, int64_t toh) {
  return std::min<int64_t>(g.H, (toh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
}

/// Input channels of the channel tile [co0, co1).
std::pair<int64_t, int64_t> inChannels(const Geom &g, int64_t co0,
                                       int64_t co1) {
  if (g.pool)
    return {co0, co1};
  if (g.groups == 1)
    return {0, g.C};
  return {co0 / g.cog * g.cg, co1 / g.cog * g.cg};
}

int64_t channelGranule(const Geom &g, const ChipModel &chip) {
  if (g.pool)
    return 16; // In-place channel offsets are checked for alignment.
  if (g.groups == 1)
    return chip.matrixN;
  int64_t n = chip.matrixN;
  int64_t l = std::lcm(g.cog, n);
  return l <= g.CO ? l : g.cog;
}

struct RowTile {
  int64_t n, oy0, oy1;
};
struct ChanTile {
  int64_t index, co0, co1;
};

std::vector<RowTile> rowTiles(const Geom &g, int64_t toh) {
  std::vector<RowTile> r;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oy = 0; oy < g.OH; oy += toh)
      r.push_back({n, oy, std::min(g.OH, oy + toh)});
  return r;
}

std::vector<ChanTile> chanTiles(const Geom &g, int64_t tco) {
  std::vector<ChanTile> r;
  int64_t i = 0;
  for (int64_t c = 0; c < g.CO; c += tco, ++i)
    r.push_back({i, c, std::min(g.CO, c + tco)});
  return r;
}

/// First input row and the instruction's top/bottom padding of a row tile.
struct InRows {
  int64_t iy0, iy1;
  int pt, pb;
};
InRows inRowsOf(const Geom &g, int64_t oy0, int64_t oy1) {
  int64_t r0 = oy0 * g.sh - g.pt;
  int64_t r1 = (oy1 - 1) * g.sh - g.pt + (g.kh - 1) * g.dh; // Inclusive.
  InRows r;
  r.pt = r0 < 0 ? static_cast<int>(-r0) : 0;
  r.iy0 = std::max<int64_t>(r0, 0);
  r.pb = r1 >= g.H ? static_cast<int>(r1 - g.H + 1) : 0;
  r.iy1 = std::min<int64_t>(r1 + 1, g.H);
  return r;
}

/// A split of `n` items into `parts` contiguous ranges (some may be empty).
std::vector<std::pair<size_t, size_t>> bands(size_t n, size_t parts) {
  std::vector<std::pair<size_t, size_t>> r;
  for (size_t p = 0; p < parts; ++p)
    r.push_back({n * p / parts, n * (p + 1) / parts});
  return r;
}

/// The kernel-width fold of a small-channel conv (the channel extension of
/// NVDLA's image-input mode). The window of kw pixels of c channels at
/// output column ox is kw * c contiguous elements of an HWC row, so a conv
/// over the view "pixel x = the kw*c elements from column x*sw, pixel stride
/// sw*c" with a (kh, 1) kernel sums the same products, with the matrix
/// engine's K lanes filled up to kw times better (ResNet's 7x7/2 stem over
/// 3 channels: one pass of 21 lanes per row tap instead of 7 passes of 3).
/// The weights [cout][kh][kw][c] are byte for byte [cout][kh][1][kw*c].
/// The left/right padding must then be in memory: a VTCM move (or the DDR
/// load) writes the input rows into a buffer of `wpad` columns with `padL`
/// and `padR` columns of the zero point around them. Top/bottom padding
/// stays the instruction's.
struct KwFold {
  bool fold = false;
  int64_t padL = 0, padR = 0, wpad = 0;
};

bool finiteF16Weights(const Tensor &w) {
  if (w.dtype != DType::F16)
    return true;
  for (size_t i = 0; i + 1 < w.data.size(); i += 2)
    if (((w.data[i + 1] >> 2) & 0x1f) == 0x1f)
      return false; // inf * 0 in the padding would make a NaN.
  return true;
}

KwFold kwFoldOf(const PlanContext &ctx, const Geom &g) {
  KwFold f;
  if (g.pool || g.groups != 1 || g.dw != 1 || g.kw <= 1)
    return f;
  int64_t K = std::max<int64_t>(1, ctx.chip.matrixK);
  int64_t folded = g.kw * g.C;
  if (ceilDiv(folded, K) * 2 > ceilDiv(g.C, K) * g.kw)
    return f; // Not at least twice fewer passes.
  f.padL = g.pl;
  f.padR = std::max<int64_t>(0, (g.OW - 1) * g.sw + g.kw - g.pl - g.W);
  f.wpad = f.padL + g.W + f.padR;
  if (folded > UINT16_MAX || g.sw * g.C > UINT16_MAX ||
      f.wpad * g.C > INT32_MAX)
    return f;
  if (!finiteF16Weights(ctx.graph.tensor(ctx.layer.inputs[1])))
    return f;
  f.fold = true;
  return f;
}

struct Shape {
  Geom g;
  int64_t toh, tco, tci;
  size_t rowTileCount, chanTileCount;
  bool stageIn, stageOut;
  bool inPerChanTile; ///< The input differs between channel tiles.
  uint32_t rowCores, chanCores;
  KwFold fold;
};

Shape shapeOf(const PlanContext &ctx, const TilePlan &p) {
  Shape s;
  s.g = geomOf(ctx);
  s.toh = p.rows > 0 ? std::min(p.rows, s.g.OH) : s.g.OH;
  s.tco = p.cols > 0 ? std::min(p.cols, s.g.CO) : s.g.CO;
  auto ic = inChannels(s.g, 0, s.tco);
  s.tci = ic.second - ic.first;
  s.rowTileCount = static_cast<size_t>(s.g.N * ceilDiv(s.g.OH, s.toh));
  s.chanTileCount = static_cast<size_t>(ceilDiv(s.g.CO, s.tco));
  s.stageIn = !ctx.placementOf(s.g.x).vtcm;
  s.stageOut = !ctx.placementOf(s.g.y).vtcm;
  s.inPerChanTile = s.g.pool || s.g.groups > 1;
  s.chanCores = std::max<uint32_t>(1, p.channelCores);
  s.rowCores = std::max<uint32_t>(1, p.cores / s.chanCores);
  s.fold = kwFoldOf(ctx, s.g);
  return s;
}

/// Whether every in-place access of the plan is aligned.
bool alignedInPlace(const PlanContext &ctx, const Shape &s) {
  const Geom &g = s.g;
  const LayerGraph &graph = ctx.graph;
  const Placement &px = ctx.placementOf(g.x), &py = ctx.placementOf(g.y);
  uint64_t es = dtypeBytes(g.in), oes = dtypeBytes(g.out);
  if (!s.stageIn && !s.fold.fold) { // A folded conv's rows move by DMA.
    uint64_t pitch = rowPitch(graph.tensor(g.x), px, 2);
    for (const RowTile &rt : rowTiles(g, s.toh)) {
      InRows ir = inRowsOf(g, rt.oy0, rt.oy1);
      for (const ChanTile &ct : chanTiles(g, s.tco)) {
        uint64_t a = px.addr + (rt.n * g.H + ir.iy0) * pitch +
                     inChannels(g, ct.co0, ct.co1).first * es;
        if (a % g.align || pitch % es)
          return false;
        if (!s.inPerChanTile)
          break;
      }
    }
  }
  if (!s.stageOut) {
    uint64_t pitch = rowPitch(graph.tensor(g.y), py, 2);
    for (const RowTile &rt : rowTiles(g, s.toh))
      for (const ChanTile &ct : chanTiles(g, s.tco)) {
        uint64_t a = py.addr + (rt.n * g.OH + rt.oy0) * pitch + ct.co0 * oes;
        if (a % g.align || pitch % oes)
          return false;
      }
  }
  return true;
}

} // namespace

std::vector<BufferReq> convBuffers(const PlanContext &ctx, const TilePlan &p) {
  Shape s = shapeOf(ctx, p);
  const Geom &g = s.g;
  std::vector<BufferReq> r;
  uint64_t es = dtypeBytes(g.in), oes = dtypeBytes(g.out);
  size_t tilesPerCore = ceilDiv(s.rowTileCount, s.rowCores) *
                        ceilDiv(s.chanTileCount, s.chanCores);
  size_t rowTilesPerCore = ceilDiv(s.rowTileCount, s.rowCores);
  if (s.stageIn) {
    int64_t w = s.fold.fold ? s.fold.wpad : g.W;
    uint64_t bytes = inRowsFor(g, s.toh) * w * s.tci * es;
    size_t loads =
        rowTilesPerCore * (s.inPerChanTile || p.weightsOuter
                               ? ceilDiv(s.chanTileCount, s.chanCores)
                               : 1);
    r.push_back({"in0", bytes, g.align, false});
    if (loads > 1)
      r.push_back({"in1", bytes, g.align, false});
  } else if (s.fold.fold) {
    // The padded rows of a row tile, moved once per row tile.
    uint64_t bytes = inRowsFor(g, s.toh) * s.fold.wpad * g.C * es;
    r.push_back({"fold0", bytes, g.align, false});
    if (rowTilesPerCore > 1)
      r.push_back({"fold1", bytes, g.align, false});
  }
  if (s.stageOut) {
    uint64_t bytes = s.toh * g.OW * s.tco * oes;
    r.push_back({"out0", bytes, g.align, false});
    if (tilesPerCore > 1)
      r.push_back({"out1", bytes, g.align, false});
  }
  if (!g.pool) {
    PackedTile t = packedTileLayout(ctx.chip, ctx.graph, ctx.layer, s.tco);
    uint32_t a = packedTileAlign(ctx.chip);
    r.push_back({"wt0", t.bytes, a, true});
    size_t myChanTiles = ceilDiv(s.chanTileCount, s.chanCores);
    if (myChanTiles > 1)
      r.push_back({"wt1", t.bytes, a, true});
  }
  return r;
}

LayerCost convCost(const PlanContext &ctx, const TilePlan &p) {
  Shape s = shapeOf(ctx, p);
  const Geom &g = s.g;
  const ChipModel &chip = ctx.chip;
  uint64_t es = dtypeBytes(g.in), oes = dtypeBytes(g.out);
  uint64_t R = ceilDiv(s.rowTileCount, s.rowCores);
  uint64_t Ct = ceilDiv(s.chanTileCount, s.chanCores);
  uint64_t tiles = R * Ct;
  int64_t groupsTile = g.groups > 1 ? s.tco / std::max<int64_t>(1, g.cog) : 1;
  uint64_t cc;
  if (g.pool) {
    cc = vectorCycles(chip, s.toh * g.OW * s.tco * g.kh * g.kw, 1, es);
  } else {
    ConvShape cs;
    cs.outH = s.toh;
    cs.outW = g.OW;
    cs.cin = s.tci;
    cs.cout = s.tco;
    cs.kh = g.kh;
    cs.kw = g.kw;
    cs.groups = std::max<int64_t>(1, groupsTile);
    cs.inType = g.in;
    if (s.fold.fold) {
      cs.cin = g.kw * s.tci;
      cs.kw = 1;
    }
    cc = convCycles(chip, cs);
  }
  uint64_t vec = 0;
  if (g.floatEpilogue)
    vec = tiles * 2 * vectorCycles(chip, s.toh * g.OW * s.tco, 1, oes);
  uint64_t inTile =
      inRowsFor(g, s.toh) * (s.fold.fold ? s.fold.wpad : g.W) * s.tci * es;
  uint64_t inLoads =
      s.stageIn ? R * (s.inPerChanTile || p.weightsOuter ? Ct : 1) : 0;
  // The padded copies of a folded conv's rows (VTCM to VTCM).
  uint64_t moves = !s.stageIn && s.fold.fold ? R : 0;
  uint64_t wLoads = 0, wTile = 0;
  if (!g.pool) {
    wTile = packedTileLayout(chip, ctx.graph, ctx.layer, s.tco).bytes;
    wLoads = (Ct == 1 || p.weightsOuter) ? Ct : R * Ct;
    if (p.multicastWeights && s.rowCores > 1)
      wLoads = (wLoads + s.rowCores - 1) / s.rowCores; // One core loads.
  }
  uint64_t outTile = s.toh * g.OW * s.tco * oes;
  uint64_t outStores = s.stageOut ? tiles : 0;
  uint64_t bytes = inLoads * inTile + wLoads * wTile + outStores * outTile;
  // DDR is shared: all cores' transfers queue on one channel.
  uint64_t allBytes = bytes * (s.rowCores * s.chanCores);
  uint64_t dma = dmaCycles(chip, bytes, inLoads + wLoads + outStores) +
                 dmaCycles(chip, moves * inTile, moves, false);
  double ddrCycles = allBytes / std::max(1e-9, chip.ddrBytesPerCycle());
  uint64_t prologue = (s.stageIn ? dmaCycles(chip, inTile, 1) : 0) +
                      (moves ? dmaCycles(chip, inTile, 1, false) : 0) +
                      chip.dmaLatencyCycles;
  uint64_t epilogue =
      s.stageOut ? dmaCycles(chip, outTile, 1) + chip.dmaLatencyCycles : 0;
  LayerCost c;
  c.cycles =
      std::max({tiles * cc, vec, dma, static_cast<uint64_t>(ddrCycles)}) +
      prologue + epilogue +
      (p.cores > 1 ? std::max<uint32_t>(1, chip.nocLatencyCycles) : 0);
  c.ddrBytes = allBytes;
  c.tiles = s.rowTileCount * s.chanTileCount;
  if (!g.pool)
    c.macs =
        static_cast<uint64_t>(g.N * g.OH * g.OW * g.CO) * g.kh * g.kw * g.cg;
  return c;
}

std::vector<TilePlan> convCandidates(const PlanContext &ctx) {
  Geom g = geomOf(ctx);
  std::vector<TilePlan> out;
  int64_t granule = channelGranule(g, ctx.chip);
  uint32_t minRowTiles = std::max<uint32_t>(1, ctx.overlapSplit);
  // Core splits: all cores the layer may use, channel cores a power of two
  // up to --mos.
  std::vector<std::pair<uint32_t, uint32_t>> splits;
  for (uint32_t cc = 1; cc <= std::max<uint32_t>(1, ctx.maxChannelCores);
       cc *= 2)
    if (ctx.maxCores % cc == 0)
      splits.push_back({ctx.maxCores, cc});
  for (int64_t toh : tileSizes(g.OH)) {
    if (ceilDiv(g.OH, toh) < std::min<int64_t>(minRowTiles, g.OH))
      continue;
    for (int64_t tco : granuleSizes(g.CO, granule)) {
      if (!g.pool && g.groups > 1 && tco % g.cog)
        continue;
      for (auto [cores, cc] : splits) {
        for (int wo = 1; wo >= 0; --wo) {
          TilePlan p;
          p.rows = toh;
          p.cols = tco;
          p.weightsOuter = wo;
          p.cores = cores;
          p.channelCores = cc;
          // Multicast needs the cores of a channel group to walk the same
          // weight tiles in step: weights outer.
          p.multicastWeights = ctx.multicastWeights && cores / cc > 1 && wo;
          Shape s = shapeOf(ctx, p);
          if (cc > s.chanTileCount || cores / cc > s.rowTileCount)
            continue;
          if (!wo && (s.chanTileCount == 1 || s.rowTileCount == 1))
            continue; // Same as weights-outer.
          if (!alignedInPlace(ctx, s))
            continue;
          out.push_back(p);
        }
      }
    }
  }
  return out;
}

Status lowerConv(const LowerContext &ctx, const PlanContext &pc,
                 LayerSteps &out) {
  LayerEnv env(ctx, pc);
  const Layer &l = env.layer;
  const TilePlan &p = env.tiles;
  Shape s = shapeOf(pc, p);
  const Geom &g = s.g;
  const LayerGraph &graph = ctx.graph;
  const Tensor &X = graph.tensor(g.x), &Y = graph.tensor(g.y);
  const Placement &px = env.place(g.x), &py = env.place(g.y);
  uint64_t es = dtypeBytes(g.in), oes = dtypeBytes(g.out);
  uint64_t pitchX = rowPitch(X, px, 2), pitchY = rowPitch(Y, py, 2);

  uint64_t inSlot[2] = {0, 0}, outSlot[2] = {0, 0}, wSlot[2] = {0, 0};
  uint64_t foldSlot[2] = {0, 0};
  const KwFold &fold = s.fold;
  if (Status e = env.slots("in", s.stageIn, inSlot); !e)
    return e;
  if (Status e = env.slots("fold", !s.stageIn && fold.fold, foldSlot); !e)
    return e;
  // The padded rows of a folded conv: `rows` input rows of W * C elements,
  // `srcStride` bytes apart, to rows of wpad * C elements with the zero
  // point (0.0 for floats) in the padding columns.
  auto foldRows = [&](DmaDir dir, uint64_t src, uint64_t dst, int64_t rows,
                      uint64_t srcStride) {
    DmaInstr d;
    d.dir = dir;
    d.dtype = g.in;
    d.src.offset = static_cast<uint32_t>(src);
    d.dst.offset = static_cast<uint32_t>(dst);
    d.rows = static_cast<uint32_t>(rows);
    d.cols = static_cast<uint32_t>(g.W * g.C);
    d.srcStride = srcStride == static_cast<uint64_t>(g.W * g.C) * es
                      ? kDense
                      : static_cast<uint32_t>(srcStride);
    d.padLeft = static_cast<uint16_t>(fold.padL * g.C);
    d.padRight = static_cast<uint16_t>(fold.padR * g.C);
    d.pad = isFloat(g.in) ? 0 : l.as<ConvParams>().zpIn;
    return d;
  };
  if (Status e = env.slots("out", s.stageOut, outSlot); !e)
    return e;
  if (Status e = env.slots("wt", !g.pool, wSlot); !e)
    return e;

  std::vector<RowTile> rts = rowTiles(g, s.toh);
  std::vector<ChanTile> cts = chanTiles(g, s.tco);
  auto rowBands = bands(rts.size(), s.rowCores);
  auto chanBands = bands(cts.size(), s.chanCores);
  const std::vector<PackedTile> *packed =
      g.pool ? nullptr : &ctx.plan.weights.layerTiles[ctx.layerIndex];
  if (packed && packed->size() != cts.size())
    return Status::error("layer '" + l.name +
                         "': the packed weights do not match the tile plan");

  // Multicast weights: the first core of each channel group loads every
  // weight tile into the VTCM of all the group's cores (same slot
  // addresses); each core waits for the tile's token before its first
  // compute with it, and all cores meet at a barrier before a tile
  // overwrites the slot of the one before last.
  const bool multicast =
      !g.pool && p.multicastWeights && p.weightsOuter && s.rowCores > 1;
  for (uint32_t rc = 0; rc < s.rowCores; ++rc) {
    for (uint32_t cc = 0; cc < s.chanCores; ++cc) {
      uint32_t core = rc * s.chanCores + cc;
      uint32_t groupMask = 0;
      for (uint32_t k = 0; k < s.rowCores; ++k)
        groupMask |= 1u << (k * s.chanCores + cc);
      bool firstWeightTile = true;
      std::vector<std::pair<size_t, size_t>> order; // (row tile, chan tile)
      auto [r0, r1] = rowBands[rc];
      auto [c0, c1] = chanBands[cc];
      if (p.weightsOuter) {
        for (size_t c = c0; c < c1; ++c)
          for (size_t r = r0; r < r1; ++r)
            order.push_back({r, c});
      } else {
        for (size_t r = r0; r < r1; ++r)
          for (size_t c = c0; c < c1; ++c)
            order.push_back({r, c});
      }
      std::vector<TileTask> tasks;
      int64_t curInRow = -1, curInChan = -1, curW = -1, curFold = -1;
      int inK = 1, wK = 1, outK = 1, foldK = 1;
      for (auto [ri, ci] : order) {
        const RowTile &rt = rts[ri];
        const ChanTile &ct = cts[ci];
        TileTask t;
        InRows ir = inRowsOf(g, rt.oy0, rt.oy1);
        auto [ic0, ic1] = inChannels(g, ct.co0, ct.co1);
        int64_t tci = ic1 - ic0;
        // Input.
        uint64_t inAddr;
        uint32_t irs = 0, ips = 0;
        if (s.stageIn) {
          int64_t chanKey = s.inPerChanTile ? static_cast<int64_t>(ci) : -1;
          if (static_cast<int64_t>(ri) != curInRow || chanKey != curInChan) {
            inK ^= 1;
            curInRow = static_cast<int64_t>(ri);
            curInChan = chanKey;
            uint64_t src =
                px.addr + ((rt.n * g.H + ir.iy0) * g.W * g.C + ic0) * es;
            if (Status e = checkAddr(src, l); !e)
              return e;
            if (fold.fold)
              t.loads.push_back(foldRows(DmaDir::Load, src, inSlot[inK],
                                         ir.iy1 - ir.iy0, g.W * g.C * es));
            else
              t.loads.push_back(dmaInstr(DmaDir::Load, src, inSlot[inK],
                                         (ir.iy1 - ir.iy0) * g.W, tci * es,
                                         g.C * es, tci * es));
          }
          inAddr = inSlot[inK];
        } else if (fold.fold) {
          if (static_cast<int64_t>(ri) != curFold) {
            foldK ^= 1;
            curFold = static_cast<int64_t>(ri);
            uint64_t src = px.addr + (rt.n * g.H + ir.iy0) * pitchX;
            t.loads.push_back(foldRows(DmaDir::Move, src, foldSlot[foldK],
                                       ir.iy1 - ir.iy0, pitchX));
          }
          inAddr = foldSlot[foldK];
        } else {
          inAddr = px.addr + (rt.n * g.H + ir.iy0) * pitchX + ic0 * es;
          ips = static_cast<uint32_t>(g.C);
          irs = static_cast<uint32_t>(pitchX / es);
        }
        // Weights.
        const PackedTile *pt = nullptr;
        if (!g.pool) {
          pt = &(*packed)[ct.index];
          if (static_cast<int64_t>(ci) != curW) {
            wK ^= 1;
            curW = static_cast<int64_t>(ci);
            uint64_t src = ctx.plan.weightsBase + pt->offset;
            if (Status e = checkAddr(src, l); !e)
              return e;
            addWeightLoad(
                t, dmaInstr(DmaDir::Load, src, wSlot[wK], 1, pt->bytes),
                multicast, groupMask, ctx.layerIndex, rc == 0, firstWeightTile);
            firstWeightTile = false;
          }
        }
        // Output.
        int64_t oh = rt.oy1 - rt.oy0, tco = ct.co1 - ct.co0;
        uint64_t outAddr;
        uint32_t ors = 0, ops = 0;
        uint64_t pixStride = tco; // Elements between output pixels.
        bool denseRows = true;    // Output rows back to back.
        if (s.stageOut) {
          outK ^= 1;
          outAddr = outSlot[outK];
        } else {
          outAddr = py.addr + (rt.n * g.OH + rt.oy0) * pitchY + ct.co0 * oes;
          ops = static_cast<uint32_t>(g.CO);
          ors = static_cast<uint32_t>(pitchY / oes);
          pixStride = g.CO;
          denseRows = pitchY == static_cast<uint64_t>(g.OW * g.CO) * oes;
        }
        if (g.pool) {
          const auto &pp = l.as<PoolParams>();
          PoolInstr pi;
          pi.kind = pp.kind;
          pi.countPad = pp.countPad;
          pi.dtype = g.in;
          pi.in.offset = static_cast<uint32_t>(inAddr);
          pi.out.offset = static_cast<uint32_t>(outAddr);
          pi.h = static_cast<uint16_t>(ir.iy1 - ir.iy0);
          pi.w = static_cast<uint16_t>(g.W);
          pi.c = static_cast<uint16_t>(tci);
          pi.zp = static_cast<int16_t>(pp.zp);
          pi.kh = static_cast<uint8_t>(g.kh);
          pi.kw = static_cast<uint8_t>(g.kw);
          pi.strideH = static_cast<uint8_t>(g.sh);
          pi.strideW = static_cast<uint8_t>(g.sw);
          pi.padTop = static_cast<uint8_t>(ir.pt);
          pi.padBottom = static_cast<uint8_t>(ir.pb);
          pi.padLeft = static_cast<uint8_t>(g.pl);
          pi.padRight = static_cast<uint8_t>(g.pr);
          pi.inRowStride = irs;
          pi.inPixStride = static_cast<uint16_t>(ips);
          pi.outPixStride = static_cast<uint16_t>(ops);
          pi.outRowStride = ors;
          t.compute.push_back(pi);
        } else {
          const auto &cp = l.as<ConvParams>();
          ConvInstr ci2;
          ci2.requant = cp.requant;
          ci2.in.offset = static_cast<uint32_t>(inAddr);
          ci2.weights.offset = static_cast<uint32_t>(wSlot[wK]);
          ci2.out.offset = static_cast<uint32_t>(outAddr);
          if (cp.requant)
            ci2.table.offset =
                static_cast<uint32_t>(wSlot[wK] + pt->tableOffset);
          ci2.inType = g.in;
          ci2.weightType = g.wt;
          ci2.outType = g.out;
          ci2.h = static_cast<uint16_t>(ir.iy1 - ir.iy0);
          ci2.w = static_cast<uint16_t>(g.W);
          ci2.c = static_cast<uint16_t>(tci);
          ci2.cout = static_cast<uint16_t>(tco);
          ci2.kh = static_cast<uint8_t>(g.kh);
          ci2.kw = static_cast<uint8_t>(g.kw);
          ci2.strideH = static_cast<uint8_t>(g.sh);
          ci2.strideW = static_cast<uint8_t>(g.sw);
          ci2.dilH = static_cast<uint8_t>(g.dh);
          ci2.dilW = static_cast<uint8_t>(g.dw);
          ci2.padTop = static_cast<uint8_t>(ir.pt);
          ci2.padBottom = static_cast<uint8_t>(ir.pb);
          ci2.padLeft = static_cast<uint8_t>(g.pl);
          ci2.padRight = static_cast<uint8_t>(g.pr);
          ci2.groups = static_cast<uint16_t>(g.groups > 1 ? tco / g.cog : 1);
          ci2.zpIn = static_cast<int16_t>(cp.zpIn);
          ci2.zpWeight = static_cast<int16_t>(cp.zpW);
          if (cp.requant) {
            ci2.zpOut = static_cast<int16_t>(cp.zpOut);
            ci2.lo = static_cast<int16_t>(cp.lo);
            ci2.hi = static_cast<int16_t>(cp.hi);
          }
          ci2.inRowStride = irs;
          ci2.inPixStride = static_cast<uint16_t>(ips);
          ci2.outPixStride = static_cast<uint16_t>(ops);
          ci2.outRowStride = ors;
          if (fold.fold) {
            // Over the padded rows: OW windows of kw * c elements.
            ci2.w = static_cast<uint16_t>(g.OW);
            ci2.c = static_cast<uint16_t>(g.kw * tci);
            ci2.inPixStride = static_cast<uint16_t>(g.sw * tci);
            ci2.inRowStride = static_cast<uint32_t>(fold.wpad * tci);
            ci2.kw = 1;
            ci2.strideW = 1;
            ci2.dilW = 1;
            ci2.padLeft = ci2.padRight = 0;
          }
          t.compute.push_back(ci2);
          // Float epilogue on the vector engine, in place.
          const FloatEpilogue &ep = cp.epilogue;
          int64_t rowsPer = denseRows ? oh * g.OW : g.OW;
          int64_t groupsOf = denseRows ? 1 : oh;
          for (int64_t k = 0; k < groupsOf; ++k) {
            uint64_t base = outAddr + k * pitchY;
            if (ep.bias != kNoTensor) {
              EltwiseInstr e;
              e.op = EltwiseOp::Add;
              e.inType = e.outType = g.out;
              e.a.offset = static_cast<uint32_t>(base);
              e.b.offset = static_cast<uint32_t>(wSlot[wK] + pt->biasOffset);
              e.out.offset = static_cast<uint32_t>(base);
              e.rows = static_cast<uint32_t>(rowsPer);
              e.cols = static_cast<uint32_t>(tco);
              e.aRowStride = pixStride == static_cast<uint64_t>(tco)
                                 ? kDense
                                 : static_cast<uint32_t>(pixStride);
              e.bRowStride = 0;
              e.outRowStride = e.aRowStride;
              t.compute.push_back(e);
            }
            if (ep.clamp) {
              ActInstr a;
              a.kind = ActKind::Clamp;
              a.inType = a.outType = g.out;
              a.in.offset = a.out.offset = static_cast<uint32_t>(base);
              a.rows = static_cast<uint32_t>(rowsPer);
              a.cols = static_cast<uint32_t>(tco);
              a.inRowStride = a.outRowStride =
                  pixStride == static_cast<uint64_t>(tco)
                      ? kDense
                      : static_cast<uint32_t>(pixStride);
              a.flo = ep.lo;
              a.fhi = ep.hi;
              t.compute.push_back(a);
            }
          }
        }
        if (s.stageOut) {
          uint64_t dst =
              py.addr + ((rt.n * g.OH + rt.oy0) * g.OW * g.CO + ct.co0) * oes;
          if (Status e = checkAddr(dst, l); !e)
            return e;
          t.stores.push_back(dmaInstr(DmaDir::Store, outAddr, dst, oh * g.OW,
                                      tco * oes, tco * oes, g.CO * oes));
        }
        tasks.push_back(std::move(t));
      }
      pipelineTasks(tasks, core, ctx.mark, true, out);
    }
  }
  return Status::ok();
}

} // namespace tessel::npu::cg::detail
