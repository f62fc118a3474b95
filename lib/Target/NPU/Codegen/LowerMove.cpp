//===- LowerMove.cpp - concat, slice and pad: DMA-only layers -------------===//
//
// Data movement between DDR tensors without touching VTCM: `dma.ddr`
// transfers with source and destination strides (and the DMA engine's
// border fill for pad). The memory plan keeps the operands of these layers
// in DDR.
//
//===----------------------------------------------------------------------===//
#include "LowerCommon.h"

namespace tessel::npu::cg::detail {

namespace {

/// One DDR-to-DDR transfer (bytes or elements of `dt`, with padding).
struct Xfer {
  uint64_t src, dst, rows, cols; ///< cols in elements of dt
  uint64_t sstride, dstride;     ///< Bytes (0: dense).
  DType dt = DType::I8;
  uint16_t pt = 0, pb = 0, pl = 0, pr = 0;
  int32_t pad = 0;
};

uint64_t addrOf(const LayerEnv &env, TensorId id) {
  return env.ctx.graph.tensor(id).isConstant ? env.constAddr(id)
                                             : env.place(id).addr;
}

/// Collapses a slice (or a copy) of `in` into transfers: dims whose extent
/// is the whole input dim merge with the dim before them.
void sliceXfers(const std::vector<int64_t> &inShape,
                const std::vector<int64_t> &starts,
                const std::vector<int64_t> &outShape, uint64_t es, uint64_t src,
                uint64_t dst, uint64_t dstRowStride, std::vector<Xfer> &out) {
  // Merged dims: (in size, out size, start).
  struct D {
    int64_t in, out, start;
  };
  std::vector<D> dims;
  for (size_t d = 0; d < inShape.size(); ++d) {
    D nd{inShape[d], outShape[d], starts[d]};
    if (!dims.empty() && nd.out == nd.in) {
      D &b = dims.back();
      b.start = b.start * nd.in + nd.start;
      b.in *= nd.in;
      b.out *= nd.out;
      continue;
    }
    dims.push_back(nd);
  }
  size_t q = dims.size();
  // The last dim is the row, the one before it the rows; outer dims loop.
  int64_t cols = dims[q - 1].out;
  int64_t rows = q >= 2 ? dims[q - 2].out : 1;
  uint64_t inRow = dims[q - 1].in * es;
  uint64_t outerCount = 1;
  for (size_t d = 0; d + 2 < q; ++d)
    outerCount *= dims[d].out;
  // Strides of the input dims (bytes).
  std::vector<uint64_t> inStride(q, es);
  for (size_t d = q - 1; d-- > 0;)
    inStride[d] = inStride[d + 1] * dims[d + 1].in;
  uint64_t rowsDst = dstRowStride ? dstRowStride : cols * es;
  for (uint64_t o = 0; o < outerCount; ++o) {
    uint64_t rem = o, off = 0, dstOff = o * rows * rowsDst;
    for (size_t d = q >= 2 ? q - 2 : 0; d-- > 0;) {
      int64_t idx = static_cast<int64_t>(rem % dims[d].out);
      rem /= dims[d].out;
      off += (idx + dims[d].start) * inStride[d];
    }
    if (q >= 2)
      off += dims[q - 2].start * inStride[q - 2];
    off += dims[q - 1].start * es;
    Xfer x;
    x.src = src + off;
    x.dst = dst + dstOff;
    x.rows = static_cast<uint64_t>(rows);
    x.cols = cols * es;
    x.sstride = inRow;
    x.dstride = rowsDst;
    out.push_back(x);
  }
}

std::vector<Xfer> transfers(const LayerEnv &env, const Layer &l) {
  const LayerGraph &g = env.ctx.graph;
  const Tensor &Y = g.tensor(l.output);
  uint64_t es = dtypeBytes(Y.dtype);
  uint64_t yBase = env.place(l.output).addr;
  std::vector<Xfer> out;
  if (l.kind == LayerKind::Concat) {
    int axis = l.as<ConcatParams>().axis;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d)
      outer *= Y.shape[d];
    for (size_t d = axis + 1; d < Y.shape.size(); ++d)
      inner *= Y.shape[d];
    int64_t at = 0;
    for (TensorId id : l.inputs) {
      const Tensor &X = g.tensor(id);
      uint64_t row = X.shape[axis] * inner * es;
      Xfer x;
      x.src = addrOf(env, id);
      x.dst = yBase + at * inner * es;
      x.rows = static_cast<uint64_t>(outer);
      x.cols = row;
      x.sstride = row;
      x.dstride = Y.shape[axis] * inner * es;
      out.push_back(x);
      at += X.shape[axis];
    }
    return out;
  }
  const Tensor &X = g.tensor(l.inputs[0]);
  if (l.kind == LayerKind::Slice) {
    sliceXfers(X.shape, l.as<SliceParams>().starts, Y.shape, es,
               addrOf(env, l.inputs[0]), yBase, 0, out);
    return out;
  }
  // Pad: the last padded dim (with the unpadded dims after it merged into
  // its elements) is the row, the dim before it the rows, the dims before
  // that (unpadded: LayerGraph::verify) one transfer each.
  const auto &pp = l.as<PadParams>();
  int last = static_cast<int>(X.shape.size()) - 1;
  int64_t inner = 1;
  while (last >= 0 && !pp.before[last] && !pp.after[last])
    inner *= X.shape[last--];
  int64_t cols = inner, ocols = inner, pl = 0, pr = 0;
  if (last >= 0) {
    cols = X.shape[last] * inner;
    ocols = Y.shape[last] * inner;
    pl = pp.before[last] * inner;
    pr = pp.after[last] * inner;
  }
  int rowDim = last - 1;
  int64_t rows = rowDim >= 0 ? X.shape[rowDim] : 1;
  int64_t orows = rowDim >= 0 ? Y.shape[rowDim] : 1;
  int64_t outer = X.numElements() / std::max<int64_t>(1, rows * cols);
  for (int64_t o = 0; o < outer; ++o) {
    Xfer x;
    x.dt = X.dtype;
    x.src = addrOf(env, l.inputs[0]) + o * rows * cols * es;
    x.dst = yBase + o * orows * ocols * es;
    x.rows = static_cast<uint64_t>(rows);
    x.cols = static_cast<uint64_t>(cols);
    x.sstride = cols * es;
    x.dstride = ocols * es;
    x.pt = static_cast<uint16_t>(rowDim >= 0 ? pp.before[rowDim] : 0);
    x.pb = static_cast<uint16_t>(rowDim >= 0 ? pp.after[rowDim] : 0);
    x.pl = static_cast<uint16_t>(pl);
    x.pr = static_cast<uint16_t>(pr);
    x.pad = static_cast<int32_t>(pp.value);
    out.push_back(x);
  }
  return out;
}

} // namespace

std::vector<TilePlan> moveCandidates(const PlanContext &) {
  TilePlan p;
  p.cores = 1;
  return {p};
}

std::vector<BufferReq> moveBuffers(const PlanContext &, const TilePlan &) {
  return {};
}

LayerCost moveCost(const PlanContext &ctx, const TilePlan &) {
  const Tensor &Y = ctx.graph.tensor(ctx.layer.output);
  LayerCost c;
  uint64_t in = 0;
  for (TensorId id : ctx.layer.inputs)
    in += ctx.graph.tensor(id).bytes();
  if (ctx.layer.kind == LayerKind::Slice)
    in = Y.bytes();
  c.ddrBytes = in + Y.bytes();
  c.cycles = dmaCycles(ctx.chip, c.ddrBytes, ctx.layer.inputs.size()) +
             ctx.chip.dmaLatencyCycles;
  c.tiles = 1;
  return c;
}

Status lowerMove(const LowerContext &ctx, const PlanContext &pc,
                 LayerSteps &out) {
  LayerEnv env(ctx, pc);
  const Layer &l = env.layer;
  for (TensorId id : l.inputs)
    if (!ctx.graph.tensor(id).isConstant && env.place(id).vtcm)
      return Status::error("layer '" + l.name +
                           "': data movement needs its operands in DDR");
  if (env.place(l.output).vtcm)
    return Status::error("layer '" + l.name +
                         "': data movement needs its result in DDR");
  TileTask t;
  for (const Xfer &x : transfers(env, l)) {
    if (Status e = checkAddr(x.src, l); !e)
      return e;
    if (Status e = checkAddr(x.dst, l); !e)
      return e;
    DmaInstr d;
    d.dir = DmaDir::Ddr;
    d.dtype = x.dt;
    d.src.offset = static_cast<uint32_t>(x.src);
    d.dst.offset = static_cast<uint32_t>(x.dst);
    uint64_t es = dtypeBytes(x.dt);
    uint64_t rowBytes = x.cols * es;
    uint64_t dstRow = (x.pl + x.cols + x.pr) * es;
    bool denseSrc = x.sstride == 0 || x.sstride == rowBytes;
    bool denseDst = x.dstride == 0 || x.dstride == dstRow;
    d.rows = static_cast<uint32_t>(x.rows);
    d.cols = static_cast<uint32_t>(x.cols);
    if (x.rows > 1 && denseSrc && denseDst && !x.pt && !x.pb && !x.pl &&
        !x.pr && es == 1) {
      d.rows = 1;
      d.cols = static_cast<uint32_t>(x.rows * x.cols);
    } else {
      d.srcStride = denseSrc ? kDense : static_cast<uint32_t>(x.sstride);
      d.dstStride = denseDst ? kDense : static_cast<uint32_t>(x.dstride);
    }
    d.padTop = x.pt;
    d.padBottom = x.pb;
    d.padLeft = x.pl;
    d.padRight = x.pr;
    d.pad = x.pad;
    t.loads.push_back(d);
  }
  std::vector<TileTask> tasks{std::move(t)};
  pipelineTasks(tasks, 0, ctx.mark, false, out);
  return Status::ok();
}

} // namespace tessel::npu::cg::detail
