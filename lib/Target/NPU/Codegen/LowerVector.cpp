//===- LowerVector.cpp - eltwise, act, convert, reduce and transpose ------===//
//
// Elementwise layers are viewed as [outer...][rows][cols]: the output's dims
// with every operand's strides (0 where it broadcasts), merged where all
// operands are contiguous across them. A tile is (outer index, a range of
// rows, a range of columns); each non-resident operand loads the block of
// the tile it reads (a full block, a row vector, a column vector or a
// scalar), which the instruction reads with matching strides. Reduce tiles
// the outer and inner indices of its [outer][n][inner] view; transpose works
// on the whole tensor.
//
//===----------------------------------------------------------------------===//
#include "LowerCommon.h"

#include <optional>
#include <utility>

namespace tessel::npu::cg::detail {

namespace {

struct Opnd {
  TensorId id = kNoTensor;
  DType dt = DType::I8;
  bool isConst = false;
  bool resident = false;
  std::vector<int64_t> outerStride;
  int64_t rs = 0, cs = 0; ///< Elements.
};

struct VView {
  std::vector<int64_t> outer;
  int64_t rows = 1, cols = 1;
  std::vector<Opnd> ins; ///< Data operands.
  Opnd out;
  int64_t outerCount() const {
    int64_t n = 1;
    for (int64_t d : outer)
      n *= d;
    return n;
  }
};

std::vector<int64_t> ownStrides(const Tensor &t, const Placement &p) {
  size_t n = t.shape.size();
  std::vector<int64_t> st(n, 1);
  for (size_t d = n; d-- > 1;)
    st[d - 1] = st[d] * t.shape[d];
  uint64_t es = dtypeBytes(t.dtype);
  if (!t.isConstant && p.pitch && p.rowDims > 0 &&
      static_cast<size_t>(p.rowDims) <= n) {
    size_t k = static_cast<size_t>(p.rowDims);
    st[k - 1] = static_cast<int64_t>(p.pitch / es);
    for (size_t d = k - 1; d-- > 0;)
      st[d] = st[d + 1] * t.shape[d + 1];
  }
  return st;
}

std::vector<int64_t> effStrides(const Tensor &t, const Placement &p,
                                const std::vector<int64_t> &S) {
  std::vector<int64_t> st = ownStrides(t, p);
  size_t r = S.size(), n = t.shape.size();
  std::vector<int64_t> e(r, 0);
  for (size_t d = 0; d < r; ++d) {
    if (d < r - n)
      continue;
    size_t od = d - (r - n);
    e[d] = t.shape[od] == S[d] ? st[od] : 0;
  }
  return e;
}

/// Data operands of an elementwise layer.
size_t dataInputs(const Layer &l) {
  return l.kind == LayerKind::Eltwise ? 2 : 1;
}

VView buildView(const PlanContext &ctx) {
  const Layer &l = ctx.layer;
  const LayerGraph &g = ctx.graph;
  const Tensor &Y = g.tensor(l.output);
  const std::vector<int64_t> &S = Y.shape;
  size_t nin = dataInputs(l);
  std::vector<TensorId> ids(l.inputs.begin(), l.inputs.begin() + nin);
  ids.push_back(l.output);
  std::vector<std::vector<int64_t>> eff;
  for (TensorId id : ids)
    eff.push_back(effStrides(g.tensor(id), ctx.placementOf(id), S));
  bool keepLast =
      l.kind == LayerKind::Convert && l.as<ConvertParams>().perChannel;
  // Groups of merged dims: size and per-operand innermost stride.
  struct Dim {
    int64_t size;
    std::vector<int64_t> st;
  };
  std::vector<Dim> dims;
  for (size_t d = 0; d < S.size(); ++d) {
    if (S[d] == 1 && !(keepLast && d + 1 == S.size()))
      continue;
    Dim nd{S[d], {}};
    for (auto &e : eff)
      nd.st.push_back(e[d]);
    bool merge = !dims.empty() && !(keepLast && d + 1 == S.size());
    if (merge)
      for (size_t k = 0; k < eff.size(); ++k)
        merge &= dims.back().st[k] == nd.st[k] * nd.size;
    if (merge) {
      dims.back().size *= nd.size;
      dims.back().st = nd.st;
    } else {
      dims.push_back(nd);
    }
  }
  if (dims.empty())
    dims.push_back(Dim{1, std::vector<int64_t>(ids.size(), 0)});
  VView v;
  size_t q = dims.size();
  v.cols = dims[q - 1].size;
  v.rows = q >= 2 ? dims[q - 2].size : 1;
  for (size_t d = 0; d + 2 < q; ++d)
    v.outer.push_back(dims[d].size);
  for (size_t k = 0; k < ids.size(); ++k) {
    Opnd o;
    o.id = ids[k];
    const Tensor &t = g.tensor(ids[k]);
    o.dt = t.dtype;
    o.isConst = t.isConstant;
    o.resident = !t.isConstant && ctx.placementOf(ids[k]).vtcm;
    o.cs = dims[q - 1].st[k];
    o.rs = q >= 2 ? dims[q - 2].st[k] : 0;
    for (size_t d = 0; d + 2 < q; ++d)
      o.outerStride.push_back(dims[d].st[k]);
    (k < nin ? v.ins.emplace_back(o) : v.out) = o;
  }
  return v;
}

unsigned actPasses(const Layer &l) {
  if (l.kind == LayerKind::Act) {
    ActKind k = l.as<ActParams>().kind;
    return k == ActKind::Clamp ? 1 : k == ActKind::Lut ? 2 : 4;
  }
  if (l.kind == LayerKind::Convert)
    return l.as<ConvertParams>().mode == ConvertMode::Cast ? 1 : 2;
  return 1;
}

int64_t blockRows(const Opnd &o, int64_t tr) { return o.rs ? tr : 1; }
int64_t blockCols(const Opnd &o, int64_t tc) { return o.cs ? tc : 1; }

struct Tiles {
  int64_t tr, tc;
  size_t count;
};
Tiles tilesOf(const VView &v, const TilePlan &p) {
  Tiles t;
  t.tr = p.rows > 0 ? std::min(p.rows, v.rows) : v.rows;
  t.tc = p.cols > 0 ? std::min(p.cols, v.cols) : v.cols;
  t.count = static_cast<size_t>(v.outerCount() * ceilDiv(v.rows, t.tr) *
                                ceilDiv(v.cols, t.tc));
  return t;
}

// Reduce and transpose geometry.
struct RGeom {
  int64_t outer, n, inner;
  DType in, out;
};
RGeom rgeom(const PlanContext &ctx) {
  const auto &p = ctx.layer.as<ReduceParams>();
  return {p.outer, p.n, p.inner, ctx.graph.tensor(ctx.layer.inputs[0]).dtype,
          ctx.graph.tensor(ctx.layer.output).dtype};
}

bool denseResident(const PlanContext &ctx, TensorId id) {
  const Placement &p = ctx.placementOf(id);
  return p.vtcm && p.pitch == 0;
}

uint32_t eltwiseTables(const Layer &l) {
  return l.kind == LayerKind::Eltwise && l.as<EltwiseParams>().requant ? 3 : 0;
}

/// The output clamp of a quantized eltwise narrowed to its output type, if
/// it runs as one requant ELTWISE: int32 middle, operands of one 8/16-bit
/// type, an 8/16-bit result, zero points and bounds that fit the
/// instruction's 16-bit fields. Otherwise it runs as the CONVERT, ELTWISE,
/// CONVERT chain (same arithmetic, int32 temporaries in VTCM).
std::optional<std::pair<int16_t, int16_t>>
fusedRequantClamp(const LayerGraph &g, const Layer &l) {
  if (!eltwiseTables(l))
    return std::nullopt;
  const auto &ep = l.as<EltwiseParams>();
  DType a = g.tensor(l.inputs[0]).dtype, b = g.tensor(l.inputs[1]).dtype;
  DType out = g.tensor(l.output).dtype;
  auto narrow = [](DType t) {
    return t == DType::I8 || t == DType::U8 || t == DType::I16;
  };
  auto fits16 = [](int64_t v) { return v >= INT16_MIN && v <= INT16_MAX; };
  if (ep.midType != DType::I32 || a != b || !narrow(a) || !narrow(out) ||
      !fits16(ep.zpA) || !fits16(ep.zpB) || !fits16(ep.zpOut))
    return std::nullopt;
  int64_t lo = std::max<int64_t>(ep.lo, dtypeMin(out));
  int64_t hi = std::min<int64_t>(ep.hi, dtypeMax(out));
  if (lo > hi)
    return std::nullopt;
  return std::make_pair(static_cast<int16_t>(lo), static_cast<int16_t>(hi));
}

} // namespace

std::vector<BufferReq> vectorBuffers(const PlanContext &ctx,
                                     const TilePlan &p) {
  const Layer &l = ctx.layer;
  const ChipModel &chip = ctx.chip;
  uint32_t va = std::max<uint32_t>(chip.alignVector, 16);
  std::vector<BufferReq> r;
  if (l.kind == LayerKind::Transpose) {
    const Tensor &x = ctx.graph.tensor(l.inputs[0]);
    if (!denseResident(ctx, l.inputs[0]))
      r.push_back({"in0", x.bytes(), va, false});
    if (!denseResident(ctx, l.output))
      r.push_back({"out0", x.bytes(), va, false});
    return r;
  }
  if (l.kind == LayerKind::Reduce) {
    RGeom g = rgeom(ctx);
    int64_t to = p.rows > 0 ? std::min(p.rows, g.outer) : g.outer;
    int64_t ti = p.cols > 0 ? std::min(p.cols, g.inner) : g.inner;
    size_t tiles = ceilDiv(g.outer, to) * ceilDiv(g.inner, ti);
    size_t myTiles = ceilDiv(tiles, std::max<uint32_t>(1, p.cores));
    if (!denseResident(ctx, l.inputs[0]) || ti != g.inner) {
      uint64_t b = to * g.n * ti * dtypeBytes(g.in);
      r.push_back({"in0", b, va, false});
      if (myTiles > 1)
        r.push_back({"in1", b, va, false});
    }
    if (!denseResident(ctx, l.output) || ti != g.inner) {
      uint64_t b = to * ti * dtypeBytes(g.out);
      r.push_back({"out0", b, va, false});
      if (myTiles > 1)
        r.push_back({"out1", b, va, false});
    }
    return r;
  }
  VView v = buildView(ctx);
  Tiles t = tilesOf(v, p);
  size_t myTiles = ceilDiv(t.count, std::max<uint32_t>(1, p.cores));
  for (size_t i = 0; i < v.ins.size(); ++i) {
    const Opnd &o = v.ins[i];
    if (o.resident)
      continue;
    uint64_t b = blockRows(o, t.tr) * blockCols(o, t.tc) * dtypeBytes(o.dt);
    std::string n = i == 0 ? "a" : "b";
    // A constant operand's first tile is loaded during the previous layer
    // (pipelineTasks puts it in the prologue).
    r.push_back({n + "0", b, va, o.isConst});
    if (myTiles > 1)
      r.push_back({n + "1", b, va, false});
  }
  if (eltwiseTables(l)) {
    if (!fusedRequantClamp(ctx.graph, l)) {
      const auto &ep = l.as<EltwiseParams>();
      uint64_t ms = dtypeBytes(ep.midType);
      for (size_t i = 0; i < v.ins.size(); ++i) {
        const Opnd &o = v.ins[i];
        r.push_back({i == 0 ? "ta" : "tb",
                     blockRows(o, t.tr) * blockCols(o, t.tc) * ms, va, false});
      }
      r.push_back({"tm", t.tr * t.tc * ms, va, false});
    }
    r.push_back({"rq", 3 * kRequantEntryBytes, va, true});
  }
  if (l.kind == LayerKind::Act && l.as<ActParams>().kind == ActKind::Lut)
    r.push_back({"lut", kLutEntries * dtypeBytes(v.out.dt), va, true});
  if (l.kind == LayerKind::Convert &&
      l.as<ConvertParams>().mode != ConvertMode::Cast && l.inputs.size() > 1)
    r.push_back({"tbl", ctx.graph.tensor(l.inputs[1]).bytes(), va, true});
  if (!v.out.resident) {
    uint64_t b = t.tr * t.tc * dtypeBytes(v.out.dt);
    r.push_back({"out0", b, va, false});
    if (myTiles > 1)
      r.push_back({"out1", b, va, false});
  }
  return r;
}

LayerCost vectorCost(const PlanContext &ctx, const TilePlan &p) {
  const Layer &l = ctx.layer;
  const ChipModel &chip = ctx.chip;
  LayerCost c;
  uint32_t cores = std::max<uint32_t>(1, p.cores);
  if (l.kind == LayerKind::Transpose) {
    const Tensor &x = ctx.graph.tensor(l.inputs[0]);
    uint64_t b = x.bytes();
    uint64_t ld = denseResident(ctx, l.inputs[0]) ? 0 : b;
    uint64_t st = denseResident(ctx, l.output) ? 0 : b;
    c.cycles = vectorCycles(chip, x.numElements(), 2, dtypeBytes(x.dtype)) +
               dmaCycles(chip, ld + st, 2) + 2 * chip.dmaLatencyCycles;
    c.ddrBytes = ld + st;
    c.tiles = 1;
    return c;
  }
  if (l.kind == LayerKind::Reduce) {
    RGeom g = rgeom(ctx);
    int64_t to = p.rows > 0 ? std::min(p.rows, g.outer) : g.outer;
    int64_t ti = p.cols > 0 ? std::min(p.cols, g.inner) : g.inner;
    uint64_t tiles = ceilDiv(g.outer, to) * ceilDiv(g.inner, ti);
    uint64_t my = ceilDiv(tiles, cores);
    uint64_t inB = to * g.n * ti * dtypeBytes(g.in);
    uint64_t outB = to * ti * dtypeBytes(g.out);
    bool ldIn = !denseResident(ctx, l.inputs[0]) || ti != g.inner;
    bool stOut = !denseResident(ctx, l.output) || ti != g.inner;
    uint64_t bytes = my * ((ldIn ? inB : 0) + (stOut ? outB : 0));
    uint64_t vc =
        my * vectorCycles(chip, to * g.n * ti, 1,
                          std::max(dtypeBytes(g.in), dtypeBytes(g.out)));
    c.cycles = std::max(vc, dmaCycles(chip, bytes, my * 2)) +
               (ldIn ? dmaCycles(chip, inB, 1) : 0) + chip.dmaLatencyCycles;
    c.ddrBytes = bytes * cores;
    c.tiles = tiles;
    return c;
  }
  VView v = buildView(ctx);
  Tiles t = tilesOf(v, p);
  uint64_t my = ceilDiv(t.count, cores);
  unsigned ob = dtypeBytes(v.out.dt), ib = dtypeBytes(v.ins[0].dt);
  uint64_t vc = vectorCycles(chip, t.tr * t.tc, actPasses(l), std::max(ob, ib));
  if (fusedRequantClamp(ctx.graph, l))
    vc = requantEltwiseCycles(chip, t.tr * t.tc);
  else if (eltwiseTables(l))
    vc += 3 * vectorCycles(chip, t.tr * t.tc, 2, 4);
  uint64_t bytes = 0;
  for (const Opnd &o : v.ins)
    if (!o.resident)
      bytes += blockRows(o, t.tr) * blockCols(o, t.tc) * dtypeBytes(o.dt);
  uint64_t outB = v.out.resident ? 0 : t.tr * t.tc * ob;
  uint64_t firstIn = bytes;
  bytes += outB;
  c.cycles = std::max(my * vc, dmaCycles(chip, my * bytes, my * 3)) +
             dmaCycles(chip, firstIn, 1) + chip.dmaLatencyCycles +
             (outB ? dmaCycles(chip, outB, 1) + chip.dmaLatencyCycles : 0);
  c.ddrBytes = my * bytes * cores;
  c.tiles = t.count;
  return c;
}

std::vector<TilePlan> vectorCandidates(const PlanContext &ctx) {
  const Layer &l = ctx.layer;
  std::vector<TilePlan> out;
  uint32_t cores = std::max<uint32_t>(1, ctx.maxCores);
  if (l.kind == LayerKind::Transpose) {
    TilePlan p;
    p.cores = 1;
    out.push_back(p);
    return out;
  }
  auto addPlans = [&](int64_t rows, int64_t cols, int64_t outer,
                      int64_t colGranule) {
    for (int64_t tr : tileSizes(rows))
      for (int64_t tc : granuleSizes(cols, colGranule)) {
        TilePlan p;
        p.rows = tr;
        p.cols = tc;
        size_t tiles = outer * ceilDiv(rows, tr) * ceilDiv(cols, tc);
        p.cores = static_cast<uint32_t>(std::min<size_t>(cores, tiles));
        // Multi-core layers share a single plan of cores.
        if (p.cores != cores && cores > 1)
          continue;
        if (ctx.overlapSplit > 1 && tiles < ctx.overlapSplit &&
            rows * outer >= ctx.overlapSplit && tc == cols && tr > 1)
          continue;
        out.push_back(p);
      }
  };
  if (l.kind == LayerKind::Reduce) {
    RGeom g = rgeom(ctx);
    int64_t gran = std::max<int64_t>(1, ctx.chip.alignVector /
                                            std::max(1u, dtypeBytes(g.in)));
    addPlans(g.outer, g.inner, 1, gran);
    // Resident operands are read in place only when whole rows are.
    if (denseResident(ctx, l.inputs[0]) || denseResident(ctx, l.output)) {
      std::vector<TilePlan> keep;
      for (const TilePlan &p : out)
        if (p.cols == g.inner)
          keep.push_back(p);
      // Alignment of in-place rows.
      std::vector<TilePlan> aligned;
      for (const TilePlan &p : keep) {
        bool ok = true;
        uint64_t a = ctx.chip.alignVector;
        for (int64_t o = 0; o < g.outer && ok; o += p.rows) {
          if (denseResident(ctx, l.inputs[0]))
            ok &= (ctx.placementOf(l.inputs[0]).addr +
                   o * g.n * g.inner * dtypeBytes(g.in)) %
                      a ==
                  0;
          if (denseResident(ctx, l.output))
            ok &= (ctx.placementOf(l.output).addr +
                   o * g.inner * dtypeBytes(g.out)) %
                      a ==
                  0;
        }
        if (ok)
          aligned.push_back(p);
      }
      out = aligned;
    }
    return out;
  }
  VView v = buildView(ctx);
  int64_t gran = std::max<int64_t>(1, ctx.chip.alignVector /
                                          std::max(1u, dtypeBytes(v.out.dt)));
  addPlans(v.rows, v.cols, v.outerCount(), gran);
  // In-place operands must be aligned at every tile.
  std::vector<TilePlan> aligned;
  for (const TilePlan &p : out) {
    Tiles t = tilesOf(v, p);
    bool ok = true;
    auto check = [&](const Opnd &o) {
      if (!o.resident)
        return;
      const Placement &pl = ctx.placementOf(o.id);
      uint64_t es = dtypeBytes(o.dt);
      if (o.cs > 1 && &o == &v.out)
        ok = false;
      for (int64_t r = 0; r < v.rows && ok; r += t.tr)
        for (int64_t c = 0; c < v.cols && ok; c += t.tc)
          ok &= (pl.addr + (r * o.rs + c * o.cs) * es) % ctx.chip.alignVector ==
                0;
      // Outer offsets: every outer stride must keep the alignment.
      for (int64_t s : o.outerStride)
        ok &= (s * es) % ctx.chip.alignVector == 0;
    };
    for (const Opnd &o : v.ins)
      check(o);
    check(v.out);
    // Instructions without column strides need dense columns.
    if (l.kind != LayerKind::Eltwise)
      for (const Opnd &o : v.ins)
        ok &= o.cs == 1 || t.tc == 1 || !o.resident;
    if (ok)
      aligned.push_back(p);
  }
  return aligned;
}

namespace {

/// The multi-index of outer index `o`.
std::vector<int64_t> outerIndex(const VView &v, int64_t o) {
  std::vector<int64_t> idx(v.outer.size(), 0);
  for (size_t d = v.outer.size(); d-- > 0;) {
    idx[d] = o % v.outer[d];
    o /= v.outer[d];
  }
  return idx;
}

int64_t outerOffset(const Opnd &x, const std::vector<int64_t> &idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d)
    off += idx[d] * x.outerStride[d];
  return off;
}

Status lowerTranspose(const LowerContext &ctx, const PlanContext &pc,
                      LayerSteps &out) {
  LayerEnv env(ctx, pc);
  const Layer &l = env.layer;
  const Tensor &x = ctx.graph.tensor(l.inputs[0]);
  const auto &tp = l.as<TransposeParams>();
  TileTask t;
  uint64_t inAddr, outAddr;
  if (denseResident(pc, l.inputs[0])) {
    inAddr = env.place(l.inputs[0]).addr;
  } else {
    auto a = env.buffer("in0");
    if (!a)
      return a.status();
    inAddr = *a;
    uint64_t src =
        x.isConstant ? env.constAddr(l.inputs[0]) : env.place(l.inputs[0]).addr;
    if (Status e = checkAddr(src, l); !e)
      return e;
    t.loads.push_back(dmaInstr(DmaDir::Load, src, inAddr, 1, x.bytes()));
  }
  bool stOut = !denseResident(pc, l.output);
  if (!stOut) {
    outAddr = env.place(l.output).addr;
  } else {
    auto a = env.buffer("out0");
    if (!a)
      return a.status();
    outAddr = *a;
  }
  LayoutInstr li;
  li.dtype = x.dtype;
  li.perm = tp.perm;
  li.in.offset = static_cast<uint32_t>(inAddr);
  li.out.offset = static_cast<uint32_t>(outAddr);
  li.d0 = static_cast<uint16_t>(x.shape[0]);
  li.d1 = static_cast<uint16_t>(x.shape[1]);
  li.d2 = static_cast<uint16_t>(x.shape[2]);
  li.d3 = static_cast<uint16_t>(x.shape[3]);
  t.compute.push_back(li);
  if (stOut) {
    uint64_t dst = env.place(l.output).addr;
    if (Status e = checkAddr(dst, l); !e)
      return e;
    t.stores.push_back(dmaInstr(DmaDir::Store, outAddr, dst, 1, x.bytes()));
  }
  std::vector<TileTask> tasks{std::move(t)};
  pipelineTasks(tasks, 0, ctx.mark, false, out);
  return Status::ok();
}

Status lowerReduce(const LowerContext &ctx, const PlanContext &pc,
                   LayerSteps &out) {
  LayerEnv env(ctx, pc);
  const Layer &l = env.layer;
  const auto &rp = l.as<ReduceParams>();
  RGeom g = rgeom(pc);
  const TilePlan &p = env.tiles;
  int64_t to = p.rows > 0 ? std::min(p.rows, g.outer) : g.outer;
  int64_t ti = p.cols > 0 ? std::min(p.cols, g.inner) : g.inner;
  uint64_t es = dtypeBytes(g.in), oes = dtypeBytes(g.out);
  bool ldIn = !denseResident(pc, l.inputs[0]) || ti != g.inner;
  bool stOut = !denseResident(pc, l.output) || ti != g.inner;
  uint64_t inSlot[2] = {}, outSlot[2] = {};
  if (Status e = env.slots("in", ldIn, inSlot); !e)
    return e;
  if (Status e = env.slots("out", stOut, outSlot); !e)
    return e;
  struct T {
    int64_t o0, o1, i0, i1;
  };
  std::vector<T> all;
  for (int64_t o = 0; o < g.outer; o += to)
    for (int64_t i = 0; i < g.inner; i += ti)
      all.push_back(
          {o, std::min(g.outer, o + to), i, std::min(g.inner, i + ti)});
  uint32_t cores = std::max<uint32_t>(1, p.cores);
  const Tensor &X = ctx.graph.tensor(l.inputs[0]);
  uint64_t xBase =
      X.isConstant ? env.constAddr(l.inputs[0]) : env.place(l.inputs[0]).addr;
  uint64_t yBase = env.place(l.output).addr;
  for (uint32_t core = 0; core < cores; ++core) {
    size_t b0 = all.size() * core / cores, b1 = all.size() * (core + 1) / cores;
    std::vector<TileTask> tasks;
    int k = 1;
    for (size_t q = b0; q < b1; ++q) {
      const T &tt = all[q];
      k ^= 1;
      int64_t no = tt.o1 - tt.o0, ni = tt.i1 - tt.i0;
      TileTask t;
      uint64_t inAddr = xBase + tt.o0 * g.n * g.inner * es;
      if (ldIn) {
        uint64_t src = xBase + (tt.o0 * g.n * g.inner + tt.i0) * es;
        if (Status e = checkAddr(src, l); !e)
          return e;
        t.loads.push_back(dmaInstr(DmaDir::Load, src, inSlot[k], no * g.n,
                                   ni * es, g.inner * es, ni * es));
        inAddr = inSlot[k];
      }
      uint64_t outAddr = stOut ? outSlot[k] : yBase + tt.o0 * g.inner * oes;
      ReduceInstr ri;
      ri.kind = rp.kind;
      ri.inType = g.in;
      ri.outType = g.out;
      ri.in.offset = static_cast<uint32_t>(inAddr);
      ri.out.offset = static_cast<uint32_t>(outAddr);
      ri.outer = static_cast<uint32_t>(no);
      ri.n = static_cast<uint32_t>(g.n);
      ri.inner = static_cast<uint32_t>(ni);
      t.compute.push_back(ri);
      if (stOut) {
        uint64_t dst = yBase + (tt.o0 * g.inner + tt.i0) * oes;
        if (Status e = checkAddr(dst, l); !e)
          return e;
        t.stores.push_back(dmaInstr(DmaDir::Store, outSlot[k], dst, no,
                                    ni * oes, ni * oes, g.inner * oes));
      }
      tasks.push_back(std::move(t));
    }
    pipelineTasks(tasks, core, ctx.mark, false, out);
  }
  return Status::ok();
}

} // namespace

Status lowerVector(const LowerContext &ctx, const PlanContext &pc,
                   LayerSteps &out) {
  const Layer &l = ctx.graph.layers[ctx.layerIndex];
  if (l.kind == LayerKind::Transpose)
    return lowerTranspose(ctx, pc, out);
  if (l.kind == LayerKind::Reduce)
    return lowerReduce(ctx, pc, out);
  LayerEnv env(ctx, pc);
  const TilePlan &p = env.tiles;
  VView v = buildView(pc);
  Tiles t = tilesOf(v, p);
  const LayerGraph &graph = ctx.graph;
  uint32_t cores = std::max<uint32_t>(1, p.cores);

  auto base = [&](const Opnd &o) {
    return o.isConst ? env.constAddr(o.id) : env.place(o.id).addr;
  };
  uint64_t inSlot[2][2] = {}, outSlot[2] = {};
  for (size_t i = 0; i < v.ins.size(); ++i)
    if (!v.ins[i].resident)
      if (Status e = env.slots(i == 0 ? "a" : "b", true, inSlot[i]); !e)
        return e;
  if (!v.out.resident)
    if (Status e = env.slots("out", true, outSlot); !e)
      return e;
  auto single = [&](const char *role) -> StatusOr<uint64_t> {
    return env.buffer(role);
  };

  struct T {
    int64_t o, r0, r1, c0, c1;
  };
  std::vector<T> all;
  for (int64_t o = 0; o < v.outerCount(); ++o)
    for (int64_t r = 0; r < v.rows; r += t.tr)
      for (int64_t c = 0; c < v.cols; c += t.tc)
        all.push_back(
            {o, r, std::min(v.rows, r + t.tr), c, std::min(v.cols, c + t.tc)});

  for (uint32_t core = 0; core < cores; ++core) {
    size_t b0 = all.size() * core / cores, b1 = all.size() * (core + 1) / cores;
    if (b0 == b1)
      continue;
    std::vector<TileTask> tasks;
    int inK[2] = {1, 1}, outK = 1;
    int64_t lastKey[2] = {-1, -1};
    bool first = true;
    for (size_t q = b0; q < b1; ++q) {
      const T &tt = all[q];
      std::vector<int64_t> oi = outerIndex(v, tt.o);
      int64_t nr = tt.r1 - tt.r0, nc = tt.c1 - tt.c0;
      TileTask task;
      if (first) {
        // Per-layer constants: lookup table, convert table, requant
        // entries.
        first = false;
        if (l.kind == LayerKind::Act &&
            l.as<ActParams>().kind == ActKind::Lut) {
          auto a = single("lut");
          if (!a)
            return a.status();
          task.constLoads.push_back(
              dmaInstr(DmaDir::Load, env.constAddr(l.inputs[1]), *a, 1,
                       graph.tensor(l.inputs[1]).bytes()));
        }
        if (l.kind == LayerKind::Convert && env.hasBuffer("tbl")) {
          auto a = single("tbl");
          if (!a)
            return a.status();
          task.constLoads.push_back(
              dmaInstr(DmaDir::Load, env.constAddr(l.inputs[1]), *a, 1,
                       graph.tensor(l.inputs[1]).bytes()));
        }
        if (eltwiseTables(l)) {
          auto a = single("rq");
          if (!a)
            return a.status();
          for (int k = 0; k < 3; ++k)
            task.constLoads.push_back(
                dmaInstr(DmaDir::Load, env.constAddr(l.inputs[2 + k]),
                         *a + k * kRequantEntryBytes, 1, kRequantEntryBytes));
        }
      }
      // Operands: where the instruction reads them, with which strides.
      struct Src {
        uint64_t addr;
        uint32_t rs, cs; ///< Elements (kDense allowed).
        int64_t br, bc;  ///< Block shape.
      };
      Src src[2];
      for (size_t i = 0; i < v.ins.size(); ++i) {
        const Opnd &o = v.ins[i];
        uint64_t es = dtypeBytes(o.dt);
        int64_t off = outerOffset(o, oi) + tt.r0 * o.rs + tt.c0 * o.cs;
        int64_t br = blockRows(o, nr), bc = blockCols(o, nc);
        if (o.resident) {
          src[i] = {base(o) + off * es, static_cast<uint32_t>(o.rs),
                    static_cast<uint32_t>(o.cs), br, bc};
          continue;
        }
        // The block loaded only changes when its position does.
        int64_t key = off * 4 + (br > 1) * 2 + (bc > 1);
        if (key != lastKey[i] || (o.rs && o.cs)) {
          lastKey[i] = key;
          inK[i] ^= 1;
          uint64_t from = base(o) + off * es;
          if (Status e = checkAddr(from, l); !e)
            return e;
          DmaInstr d = o.cs == 1 || bc == 1
                           ? dmaInstr(DmaDir::Load, from, inSlot[i][inK[i]], br,
                                      bc * es, o.rs * es, bc * es)
                           : dmaInstr(DmaDir::Load, from, inSlot[i][inK[i]],
                                      br * bc, es, o.cs * es, es);
          if (o.cs != 1 && bc > 1 && br > 1)
            return Status::error("layer '" + l.name +
                                 "': a strided operand block is not "
                                 "supported");
          (o.isConst ? task.constLoads : task.loads).push_back(d);
        }
        src[i] = {inSlot[i][inK[i]], static_cast<uint32_t>(br > 1 ? bc : 0),
                  static_cast<uint32_t>(bc > 1 ? 1 : 0), br, bc};
      }
      // Output.
      uint64_t oes = dtypeBytes(v.out.dt);
      uint64_t outAddr;
      uint32_t ors;
      if (v.out.resident) {
        outAddr = base(v.out) +
                  (outerOffset(v.out, oi) + tt.r0 * v.out.rs + tt.c0) * oes;
        ors = static_cast<uint32_t>(v.out.rs);
      } else {
        outK ^= 1;
        outAddr = outSlot[outK];
        ors = static_cast<uint32_t>(nc);
      }
      // Row strides of act/convert/out operands: dense when there is one
      // row or the rows are back to back.
      auto denseOr = [&](uint32_t s, int64_t cols) {
        return nr <= 1 || s == static_cast<uint32_t>(cols) ? kDense : s;
      };
      if (l.kind == LayerKind::Eltwise) {
        const auto &ep = l.as<EltwiseParams>();
        EltwiseInstr e;
        e.op = ep.op;
        e.rows = static_cast<uint32_t>(nr);
        e.cols = static_cast<uint32_t>(nc);
        // The operands as loaded, the result in place (one instruction).
        auto direct = [&] {
          e.inType = v.ins[0].dt;
          e.outType = v.out.dt;
          e.a.offset = static_cast<uint32_t>(src[0].addr);
          e.b.offset = static_cast<uint32_t>(src[1].addr);
          e.out.offset = static_cast<uint32_t>(outAddr);
          e.aRowStride = src[0].rs;
          e.aColStride = src[0].cs;
          e.bRowStride = src[1].rs;
          e.bColStride = src[1].cs;
          e.outRowStride = denseOr(ors, nc);
        };
        if (auto clamp = fusedRequantClamp(graph, l)) {
          auto rq = single("rq");
          if (!rq)
            return rq.status();
          direct();
          e.requant = true;
          e.table.offset = static_cast<uint32_t>(*rq);
          e.zpA = static_cast<int16_t>(ep.zpA);
          e.zpB = static_cast<int16_t>(ep.zpB);
          e.zpOut = static_cast<int16_t>(ep.zpOut);
          e.lo = clamp->first;
          e.hi = clamp->second;
          task.compute.push_back(e);
        } else if (ep.requant) {
          auto rq = single("rq");
          if (!rq)
            return rq.status();
          uint64_t tmp[2];
          for (int i = 0; i < 2; ++i) {
            auto a = single(i == 0 ? "ta" : "tb");
            if (!a)
              return a.status();
            tmp[i] = *a;
            ConvertInstr c;
            c.mode = ConvertMode::Requant;
            c.inType = v.ins[i].dt;
            c.outType = ep.midType;
            c.in.offset = static_cast<uint32_t>(src[i].addr);
            c.out.offset = static_cast<uint32_t>(tmp[i]);
            c.table.offset = static_cast<uint32_t>(*rq + i * 16);
            c.rows = static_cast<uint32_t>(src[i].br);
            c.cols = static_cast<uint32_t>(src[i].bc);
            uint32_t irs = src[i].br > 1 ? src[i].rs : kDense;
            if (src[i].cs > 1 && src[i].bc > 1)
              return Status::error("layer '" + l.name +
                                   "': a strided quantized operand");
            c.inRowStride =
                irs == static_cast<uint32_t>(src[i].bc) ? kDense : irs;
            c.zpIn = i == 0 ? ep.zpA : ep.zpB;
            task.compute.push_back(c);
            src[i].addr = tmp[i];
            src[i].rs = src[i].br > 1 ? static_cast<uint32_t>(src[i].bc) : 0;
            src[i].cs = src[i].bc > 1 ? 1 : 0;
          }
          auto tm = single("tm");
          if (!tm)
            return tm.status();
          e.inType = e.outType = ep.midType;
          e.a.offset = static_cast<uint32_t>(src[0].addr);
          e.b.offset = static_cast<uint32_t>(src[1].addr);
          e.out.offset = static_cast<uint32_t>(*tm);
          e.aRowStride = src[0].rs;
          e.aColStride = src[0].cs;
          e.bRowStride = src[1].rs;
          e.bColStride = src[1].cs;
          task.compute.push_back(e);
          ConvertInstr c;
          c.mode = ConvertMode::Requant;
          c.inType = ep.midType;
          c.outType = v.out.dt;
          c.in.offset = static_cast<uint32_t>(*tm);
          c.out.offset = static_cast<uint32_t>(outAddr);
          c.table.offset = static_cast<uint32_t>(*rq + 32);
          c.rows = e.rows;
          c.cols = e.cols;
          c.outRowStride = denseOr(ors, nc);
          c.zpOut = ep.zpOut;
          c.lo = ep.lo;
          c.hi = ep.hi;
          task.compute.push_back(c);
        } else {
          direct();
          task.compute.push_back(e);
        }
      } else if (l.kind == LayerKind::Act) {
        const auto &ap = l.as<ActParams>();
        ActInstr a;
        a.kind = ap.kind;
        a.inType = v.ins[0].dt;
        a.outType = v.out.dt;
        a.in.offset = static_cast<uint32_t>(src[0].addr);
        a.out.offset = static_cast<uint32_t>(outAddr);
        if (ap.kind == ActKind::Lut) {
          auto lut = single("lut");
          if (!lut)
            return lut.status();
          a.lut.offset = static_cast<uint32_t>(*lut);
        }
        a.rows = static_cast<uint32_t>(nr);
        a.cols = static_cast<uint32_t>(nc);
        a.inRowStride = denseOr(src[0].rs, nc);
        a.outRowStride = denseOr(ors, nc);
        a.lo = ap.lo;
        a.hi = ap.hi;
        a.flo = ap.flo;
        a.fhi = ap.fhi;
        task.compute.push_back(a);
      } else { // Convert.
        const auto &cp = l.as<ConvertParams>();
        ConvertInstr c;
        c.mode = cp.mode;
        c.perChannel = cp.perChannel;
        c.inType = v.ins[0].dt;
        c.outType = v.out.dt;
        c.in.offset = static_cast<uint32_t>(src[0].addr);
        c.out.offset = static_cast<uint32_t>(outAddr);
        if (env.hasBuffer("tbl")) {
          auto tb = single("tbl");
          if (!tb)
            return tb.status();
          uint64_t entry = cp.mode == ConvertMode::Requant ? kRequantEntryBytes
                                                           : kScaleEntryBytes;
          c.table.offset =
              static_cast<uint32_t>(*tb + (cp.perChannel ? tt.c0 * entry : 0));
        }
        c.rows = static_cast<uint32_t>(nr);
        c.cols = static_cast<uint32_t>(nc);
        c.inRowStride = denseOr(src[0].rs, nc);
        c.outRowStride = denseOr(ors, nc);
        c.zpIn = cp.zpIn;
        c.zpOut = cp.zpOut;
        c.lo = cp.lo;
        c.hi = cp.hi;
        task.compute.push_back(c);
      }
      if (!v.out.resident) {
        uint64_t dst =
            base(v.out) +
            (outerOffset(v.out, oi) + tt.r0 * v.out.rs + tt.c0) * oes;
        if (Status e = checkAddr(dst, l); !e)
          return e;
        task.stores.push_back(dmaInstr(DmaDir::Store, outAddr, dst, nr,
                                       nc * oes, nc * oes, v.out.rs * oes));
      }
      tasks.push_back(std::move(task));
    }
    pipelineTasks(tasks, core, ctx.mark, true, out);
  }
  return Status::ok();
}

} // namespace tessel::npu::cg::detail
