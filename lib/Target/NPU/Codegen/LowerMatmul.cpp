//===- LowerMatmul.cpp - matmul layers: tiles over rows and columns -------===//
//
// out[b][m][n] = sum_k a[b][m][k] * B[n][k] (B a packed constant, or an
// activation [b][N][K] / [b][K][N] with transB). A tile is (batch b, rows
// [m0, m1), columns [n0, n1)); K is never split. Staging, in-place access
// and the software pipeline are those of conv (LowerConv.cpp).
//
//===----------------------------------------------------------------------===//
#include "LowerCommon.h"
#include "tessel/Target/NPU/Codegen/Packing.h"

namespace tessel::npu::cg::detail {

namespace {

struct MGeom {
  int64_t batch = 1, M = 1, K = 1, N = 1;
  bool constB = true, transB = false, bBatched = false;
  DType a = DType::I8, b = DType::I8, out = DType::I8;
  TensorId ta = kNoTensor, tb = kNoTensor, ty = kNoTensor;
  bool floatEpilogue = false;
};

MGeom geomOf(const PlanContext &ctx) {
  const Layer &l = ctx.layer;
  const LayerGraph &g = ctx.graph;
  const auto &p = l.as<MatmulParams>();
  MGeom r;
  r.ta = l.inputs[0];
  r.tb = l.inputs[1];
  r.ty = l.output;
  const Tensor &A = g.tensor(r.ta), &B = g.tensor(r.tb), &Y = g.tensor(r.ty);
  size_t ra = A.shape.size(), rb = B.shape.size();
  r.M = A.shape[ra - 2];
  r.K = A.shape[ra - 1];
  r.N = p.transB ? B.shape[rb - 1] : B.shape[rb - 2];
  r.batch = Y.numElements() / (r.M * r.N);
  r.constB = B.isConstant;
  r.transB = p.transB;
  r.bBatched = B.numElements() / (r.N * r.K) > 1;
  r.a = A.dtype;
  r.b = B.dtype;
  r.out = Y.dtype;
  r.floatEpilogue = !p.epilogue.empty();
  return r;
}

struct MShape {
  MGeom g;
  int64_t tm, tn;
  size_t rowTileCount, colTileCount; ///< Row tiles over all batches.
  bool stageA, stageOut;
  uint32_t rowCores, colCores;
};

MShape shapeOf(const PlanContext &ctx, const TilePlan &p) {
  MShape s;
  s.g = geomOf(ctx);
  s.tm = p.rows > 0 ? std::min(p.rows, s.g.M) : s.g.M;
  s.tn = p.cols > 0 ? std::min(p.cols, s.g.N) : s.g.N;
  s.rowTileCount = static_cast<size_t>(s.g.batch * ceilDiv(s.g.M, s.tm));
  s.colTileCount = static_cast<size_t>(ceilDiv(s.g.N, s.tn));
  s.stageA = !ctx.placementOf(s.g.ta).vtcm;
  s.stageOut = !ctx.placementOf(s.g.ty).vtcm;
  s.colCores = std::max<uint32_t>(1, p.channelCores);
  s.rowCores = std::max<uint32_t>(1, p.cores / s.colCores);
  return s;
}

int rowDimsOf(const Tensor &t) { return static_cast<int>(t.shape.size()) - 1; }

bool alignedInPlace(const PlanContext &ctx, const MShape &s) {
  const MGeom &g = s.g;
  uint32_t align = ctx.chip.alignActivation;
  uint64_t es = dtypeBytes(g.a), oes = dtypeBytes(g.out);
  if (!s.stageA) {
    const Tensor &A = ctx.graph.tensor(g.ta);
    const Placement &pa = ctx.placementOf(g.ta);
    uint64_t pitch = rowPitch(A, pa, rowDimsOf(A));
    if (pitch % es)
      return false;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t m = 0; m < g.M; m += s.tm)
        if ((pa.addr + (b * g.M + m) * pitch) % align)
          return false;
  }
  if (!s.stageOut) {
    const Tensor &Y = ctx.graph.tensor(g.ty);
    const Placement &py = ctx.placementOf(g.ty);
    uint64_t pitch = rowPitch(Y, py, rowDimsOf(Y));
    if (pitch % oes)
      return false;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t m = 0; m < g.M; m += s.tm)
        for (int64_t n = 0; n < g.N; n += s.tn)
          if ((py.addr + (b * g.M + m) * pitch + n * oes) % align)
            return false;
  }
  return true;
}

uint64_t bTileBytes(const PlanContext &ctx, const MShape &s) {
  if (s.g.constB)
    return packedTileLayout(ctx.chip, ctx.graph, ctx.layer, s.tn).bytes;
  return static_cast<uint64_t>(s.tn) * s.g.K * dtypeBytes(s.g.b);
}

} // namespace

std::vector<BufferReq> matmulBuffers(const PlanContext &ctx,
                                     const TilePlan &p) {
  MShape s = shapeOf(ctx, p);
  const MGeom &g = s.g;
  std::vector<BufferReq> r;
  uint32_t align = ctx.chip.alignActivation;
  uint64_t es = dtypeBytes(g.a), oes = dtypeBytes(g.out);
  size_t myRows = ceilDiv(s.rowTileCount, s.rowCores);
  size_t myCols = ceilDiv(s.colTileCount, s.colCores);
  if (s.stageA) {
    uint64_t bytes = s.tm * g.K * es;
    r.push_back({"in0", bytes, align, false});
    if (myRows * (p.weightsOuter ? myCols : 1) > 1)
      r.push_back({"in1", bytes, align, false});
  }
  if (s.stageOut) {
    uint64_t bytes = s.tm * s.tn * oes;
    r.push_back({"out0", bytes, align, false});
    if (myRows * myCols > 1)
      r.push_back({"out1", bytes, align, false});
  }
  uint32_t wa = g.constB ? packedTileAlign(ctx.chip)
                         : std::max(ctx.chip.alignWeight, ctx.chip.alignVector);
  uint64_t wb = bTileBytes(ctx, s);
  r.push_back({"wt0", wb, wa, g.constB});
  size_t wLoads = g.constB ? myCols : myCols * (g.bBatched ? g.batch : 1);
  if (wLoads > 1)
    r.push_back({"wt1", wb, wa, g.constB});
  return r;
}

LayerCost matmulCost(const PlanContext &ctx, const TilePlan &p) {
  MShape s = shapeOf(ctx, p);
  const MGeom &g = s.g;
  const ChipModel &chip = ctx.chip;
  uint64_t es = dtypeBytes(g.a), oes = dtypeBytes(g.out);
  uint64_t R = ceilDiv(s.rowTileCount, s.rowCores);
  uint64_t Ct = ceilDiv(s.colTileCount, s.colCores);
  uint64_t tiles = R * Ct;
  uint64_t cc = matmulCycles(chip, s.tm, s.tn, g.K, g.a);
  uint64_t vec =
      g.floatEpilogue ? tiles * 2 * vectorCycles(chip, s.tm * s.tn, 1, oes) : 0;
  uint64_t aTile = s.tm * g.K * es;
  uint64_t aLoads = s.stageA ? R * (p.weightsOuter ? Ct : 1) : 0;
  uint64_t bTile = bTileBytes(ctx, s);
  uint64_t bLoads = g.constB ? ((Ct == 1 || p.weightsOuter) ? Ct : R * Ct)
                             : (p.weightsOuter ? Ct * g.batch : R * Ct);
  if (p.multicastWeights && s.rowCores > 1)
    bLoads = ceilDiv(bLoads, s.rowCores); // One core loads.
  uint64_t outTile = s.tm * s.tn * oes;
  uint64_t stores = s.stageOut ? tiles : 0;
  uint64_t bytes = aLoads * aTile + bLoads * bTile + stores * outTile;
  uint64_t allBytes = bytes * s.rowCores * s.colCores;
  uint64_t dma = dmaCycles(chip, bytes, aLoads + bLoads + stores);
  double ddrCycles = allBytes / std::max(1e-9, chip.ddrBytesPerCycle());
  uint64_t prologue =
      (s.stageA ? dmaCycles(chip, aTile, 1) : 0) + chip.dmaLatencyCycles;
  uint64_t epilogue =
      s.stageOut ? dmaCycles(chip, outTile, 1) + chip.dmaLatencyCycles : 0;
  LayerCost c;
  c.cycles =
      std::max({tiles * cc, vec, dma, static_cast<uint64_t>(ddrCycles)}) +
      prologue + epilogue;
  c.ddrBytes = allBytes;
  c.tiles = s.rowTileCount * s.colTileCount;
  c.macs = static_cast<uint64_t>(g.batch * g.M * g.N * g.K);
  return c;
}

std::vector<TilePlan> matmulCandidates(const PlanContext &ctx) {
  MGeom g = geomOf(ctx);
  std::vector<TilePlan> out;
  uint32_t minRowTiles = std::max<uint32_t>(1, ctx.overlapSplit);
  std::vector<std::pair<uint32_t, uint32_t>> splits;
  for (uint32_t cc = 1; cc <= std::max<uint32_t>(1, ctx.maxChannelCores);
       cc *= 2)
    if (ctx.maxCores % cc == 0)
      splits.push_back({ctx.maxCores, cc});
  for (int64_t tm : tileSizes(g.M)) {
    if (ceilDiv(g.M, tm) < std::min<int64_t>(minRowTiles, g.M))
      continue;
    for (int64_t tn : granuleSizes(g.N, ctx.chip.matrixN)) {
      for (auto [cores, cc] : splits) {
        for (int wo = 1; wo >= 0; --wo) {
          TilePlan p;
          p.rows = tm;
          p.cols = tn;
          p.weightsOuter = wo;
          p.cores = cores;
          p.channelCores = cc;
          // Multicast needs the cores of a column group to walk the same
          // weight tiles in step: weights outer, one batch.
          p.multicastWeights = ctx.multicastWeights && g.constB &&
                               cores / cc > 1 && wo && g.batch == 1;
          MShape s = shapeOf(ctx, p);
          if (cc > s.colTileCount || cores / cc > s.rowTileCount)
            continue;
          if (!wo && (s.colTileCount == 1 || s.rowTileCount == 1))
            continue;
          if (!alignedInPlace(ctx, s))
            continue;
          out.push_back(p);
        }
      }
    }
  }
  return out;
}

Status lowerMatmul(const LowerContext &ctx, const PlanContext &pc,
                   LayerSteps &out) {
  LayerEnv env(ctx, pc);
  const Layer &l = env.layer;
  const auto &mp = l.as<MatmulParams>();
  const TilePlan &p = env.tiles;
  MShape s = shapeOf(pc, p);
  const MGeom &g = s.g;
  const Tensor &A = ctx.graph.tensor(g.ta), &Y = ctx.graph.tensor(g.ty);
  const Placement &pa = env.place(g.ta), &py = env.place(g.ty),
                  &pb = env.place(g.tb);
  uint64_t es = dtypeBytes(g.a), bes = dtypeBytes(g.b), oes = dtypeBytes(g.out);
  uint64_t pitchA = rowPitch(A, pa, rowDimsOf(A));
  uint64_t pitchY = rowPitch(Y, py, rowDimsOf(Y));

  uint64_t inSlot[2] = {0, 0}, outSlot[2] = {0, 0}, wSlot[2] = {0, 0};
  if (Status e = env.slots("in", s.stageA, inSlot); !e)
    return e;
  if (Status e = env.slots("out", s.stageOut, outSlot); !e)
    return e;
  if (Status e = env.slots("wt", true, wSlot); !e)
    return e;
  const std::vector<PackedTile> *packed =
      g.constB ? &ctx.plan.weights.layerTiles[ctx.layerIndex] : nullptr;
  size_t colTiles = s.colTileCount;
  if (packed && packed->size() != colTiles)
    return Status::error("layer '" + l.name +
                         "': the packed weights do not match the tile plan");

  struct RT {
    int64_t b, m0, m1;
  };
  std::vector<RT> rts;
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t m = 0; m < g.M; m += s.tm)
      rts.push_back({b, m, std::min(g.M, m + s.tm)});
  auto rowBands = [&](size_t parts) {
    std::vector<std::pair<size_t, size_t>> r;
    for (size_t q = 0; q < parts; ++q)
      r.push_back({rts.size() * q / parts, rts.size() * (q + 1) / parts});
    return r;
  }(s.rowCores);
  std::vector<std::pair<size_t, size_t>> colBands;
  for (size_t q = 0; q < s.colCores; ++q)
    colBands.push_back(
        {colTiles * q / s.colCores, colTiles * (q + 1) / s.colCores});

  // Multicast weights, as for convs (LowerConv.cpp): the first core of
  // each column group loads every B tile into all the group's cores.
  const bool multicast = g.constB && p.multicastWeights && p.weightsOuter &&
                         g.batch == 1 && s.rowCores > 1;
  for (uint32_t rc = 0; rc < s.rowCores; ++rc)
    for (uint32_t cc = 0; cc < s.colCores; ++cc) {
      uint32_t core = rc * s.colCores + cc;
      uint32_t groupMask = 0;
      for (uint32_t k = 0; k < s.rowCores; ++k)
        groupMask |= 1u << (k * s.colCores + cc);
      bool firstWeightTile = true;
      std::vector<std::pair<size_t, size_t>> order;
      auto [r0, r1] = rowBands[rc];
      auto [c0, c1] = colBands[cc];
      if (p.weightsOuter) {
        // Batches stay outermost (activation B changes with the batch).
        size_t r = r0;
        while (r < r1) {
          size_t rEnd = r;
          while (rEnd < r1 && rts[rEnd].b == rts[r].b)
            ++rEnd;
          for (size_t c = c0; c < c1; ++c)
            for (size_t q = r; q < rEnd; ++q)
              order.push_back({q, c});
          r = rEnd;
        }
      } else {
        for (size_t r = r0; r < r1; ++r)
          for (size_t c = c0; c < c1; ++c)
            order.push_back({r, c});
      }
      std::vector<TileTask> tasks;
      int64_t curA = -1, curB = -1, curBBatch = -1;
      int aK = 1, wK = 1, oK = 1;
      for (auto [ri, ci] : order) {
        const RT &rt = rts[ri];
        int64_t n0 = static_cast<int64_t>(ci) * s.tn;
        int64_t n1 = std::min(g.N, n0 + s.tn), tn = n1 - n0;
        int64_t tm = rt.m1 - rt.m0;
        TileTask t;
        uint64_t aAddr;
        uint32_t ars = 0;
        if (s.stageA) {
          if (static_cast<int64_t>(ri) != curA) {
            curA = static_cast<int64_t>(ri);
            aK ^= 1;
            uint64_t src = pa.addr + (rt.b * g.M + rt.m0) * g.K * es;
            if (Status e = checkAddr(src, l); !e)
              return e;
            t.loads.push_back(
                dmaInstr(DmaDir::Load, src, inSlot[aK], 1, tm * g.K * es));
          }
          aAddr = inSlot[aK];
        } else {
          aAddr = pa.addr + (rt.b * g.M + rt.m0) * pitchA;
          ars = static_cast<uint32_t>(pitchA / es);
        }
        // B.
        const PackedTile *ptile = packed ? &(*packed)[ci] : nullptr;
        int64_t bBatch = g.bBatched ? rt.b : 0;
        if (static_cast<int64_t>(ci) != curB ||
            (!g.constB && bBatch != curBBatch)) {
          curB = static_cast<int64_t>(ci);
          curBBatch = bBatch;
          wK ^= 1;
          if (g.constB) {
            uint64_t src = ctx.plan.weightsBase + ptile->offset;
            if (Status e = checkAddr(src, l); !e)
              return e;
            addWeightLoad(
                t, dmaInstr(DmaDir::Load, src, wSlot[wK], 1, ptile->bytes),
                multicast, groupMask, ctx.layerIndex, rc == 0, firstWeightTile);
            firstWeightTile = false;
          } else {
            uint64_t base = pb.addr + bBatch * g.N * g.K * bes;
            if (Status e = checkAddr(base, l); !e)
              return e;
            if (g.transB) // [K][N] -> [K][tn]
              t.loads.push_back(dmaInstr(DmaDir::Load, base + n0 * bes,
                                         wSlot[wK], g.K, tn * bes, g.N * bes,
                                         tn * bes));
            else // [N][K] rows n0..n1
              t.loads.push_back(dmaInstr(DmaDir::Load, base + n0 * g.K * bes,
                                         wSlot[wK], 1, tn * g.K * bes));
          }
        }
        uint64_t oAddr;
        uint32_t ors = 0;
        if (s.stageOut) {
          oK ^= 1;
          oAddr = outSlot[oK];
        } else {
          oAddr = py.addr + (rt.b * g.M + rt.m0) * pitchY + n0 * oes;
          ors = static_cast<uint32_t>(pitchY / oes);
        }
        MatmulInstr mi;
        mi.requant = mp.requant;
        mi.transB = !g.constB && g.transB;
        mi.a.offset = static_cast<uint32_t>(aAddr);
        mi.b.offset = static_cast<uint32_t>(wSlot[wK]);
        mi.out.offset = static_cast<uint32_t>(oAddr);
        if (mp.requant)
          mi.table.offset =
              static_cast<uint32_t>(wSlot[wK] + ptile->tableOffset);
        mi.aType = g.a;
        mi.bType = g.b;
        mi.outType = g.out;
        mi.m = static_cast<uint32_t>(tm);
        mi.n = static_cast<uint16_t>(tn);
        mi.k = static_cast<uint16_t>(g.K);
        mi.aRowStride = ars;
        mi.outRowStride = ors;
        mi.zpA = static_cast<int16_t>(mp.zpA);
        mi.zpB = static_cast<int16_t>(mp.zpB);
        if (mp.requant) {
          mi.zpOut = static_cast<int16_t>(mp.zpOut);
          mi.lo = static_cast<int16_t>(mp.lo);
          mi.hi = static_cast<int16_t>(mp.hi);
        }
        t.compute.push_back(mi);
        uint32_t rowStride = ors ? ors : kDense;
        if (mp.epilogue.bias != kNoTensor) {
          EltwiseInstr e;
          e.op = EltwiseOp::Add;
          e.inType = e.outType = g.out;
          e.a.offset = e.out.offset = static_cast<uint32_t>(oAddr);
          e.b.offset = static_cast<uint32_t>(wSlot[wK] + ptile->biasOffset);
          e.rows = static_cast<uint32_t>(tm);
          e.cols = static_cast<uint32_t>(tn);
          e.aRowStride = e.outRowStride = rowStride;
          e.bRowStride = 0;
          t.compute.push_back(e);
        }
        if (mp.epilogue.clamp) {
          ActInstr a;
          a.kind = ActKind::Clamp;
          a.inType = a.outType = g.out;
          a.in.offset = a.out.offset = static_cast<uint32_t>(oAddr);
          a.rows = static_cast<uint32_t>(tm);
          a.cols = static_cast<uint32_t>(tn);
          a.inRowStride = a.outRowStride = rowStride;
          a.flo = mp.epilogue.lo;
          a.fhi = mp.epilogue.hi;
          t.compute.push_back(a);
        }
        if (s.stageOut) {
          uint64_t dst = py.addr + ((rt.b * g.M + rt.m0) * g.N + n0) * oes;
          if (Status e = checkAddr(dst, l); !e)
            return e;
          t.stores.push_back(dmaInstr(DmaDir::Store, oAddr, dst, tm, tn * oes,
                                      tn * oes, g.N * oes));
        }
        tasks.push_back(std::move(t));
      }
      pipelineTasks(tasks, core, ctx.mark, g.constB, out);
    }
  (void)bes;
  return Status::ok();
}

} // namespace tessel::npu::cg::detail
