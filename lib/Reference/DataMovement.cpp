//===- DataMovement.cpp - Layout, indexing and padding kernels ------------===//
//
// These kernels copy stored values exactly (raw doubles or int64s, never
// through a conversion), so they are exact for every element type.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <algorithm>
#include <cstring>

namespace tessel::ref {
using namespace detail;

namespace {

/// y[o] = x[sum_d tables[d][o_d]] for every output multi-index o, where a
/// negative entry in any table stands for `fill` instead of a read.
template <typename T>
void gatherByTables(const T *src, T *dst, const Shape &outShape,
                    const std::vector<Shape> &tables, T fill) {
  int64_t total = numElements(outShape);
  if (total == 0)
    return;
  int64_t rank = static_cast<int64_t>(outShape.size());
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  int64_t last = rank - 1;
  Shape idx(rank, 0);
  const Shape &inner = tables[last];
  for (int64_t flat = 0; flat < total; flat += outShape[last]) {
    int64_t base = 0;
    bool filled = false;
    for (int64_t d = 0; d < last; ++d) {
      filled |= tables[d][idx[d]] < 0;
      base += tables[d][idx[d]];
    }
    for (int64_t j = 0; j < outShape[last]; ++j)
      dst[flat + j] = (filled || inner[j] < 0) ? fill : src[base + inner[j]];
    for (int64_t d = last - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
}

} // namespace

Tensor detail::copyByTables(const Tensor &x, const Shape &outShape,
                            const std::vector<Shape> &tables,
                            double fillValue) {
  Tensor y(x.dtype(), outShape);
  Tensor fill(x.dtype(), {});
  fill.setF(0, fillValue); // The fill as the element type stores it.
  if (x.isFloat())
    gatherByTables(x.floats().data(), y.floats().data(), outShape, tables,
                   fill.floats()[0]);
  else
    gatherByTables(x.ints().data(), y.ints().data(), outShape, tables,
                   fill.ints()[0]);
  return y;
}

namespace {

/// Index tensors hold I32 or I64.
bool isIndexType(DType t) { return t == DType::I32 || t == DType::I64; }

/// Copies `count` elements from src[srcOff] to dst[dstOff] (same dtype).
void copyRun(const Tensor &src, int64_t srcOff, Tensor &dst, int64_t dstOff,
             int64_t count) {
  if (count <= 0)
    return;
  withStorage(src, dst, [&](const auto *s, auto *d) {
    std::copy_n(s + srcOff, count, d + dstOff);
  });
}

/// Product of dims [from, to).
int64_t dimProduct(const Shape &s, int64_t from, int64_t to) {
  int64_t p = 1;
  for (int64_t d = from; d < to; ++d)
    p *= s[d];
  return p;
}

} // namespace

//===----------------------------------------------------------------------===//
// Transpose, reshape, broadcastTo, tile
//===----------------------------------------------------------------------===//

Tensor detail::permute(const Tensor &x, const Shape &perm) {
  Shape outShape(perm.size()), inStrides = stridesOf(x.shape());
  std::array<Shape, 1> str = {Shape(perm.size())};
  for (size_t i = 0; i < perm.size(); ++i) {
    outShape[i] = x.dim(perm[i]);
    str[0][i] = inStrides[perm[i]];
  }
  Tensor y(x.dtype(), outShape);
  withStorage(x, y, [&](const auto *s, auto *d) {
    forEachOffset(outShape, str,
                  [&](int64_t i, const auto &off) { d[i] = s[off[0]]; });
  });
  return y;
}

Result<Tensor> transpose(const Tensor &x, const Shape &perm) {
  if (std::optional<Failure> err = malformed("Transpose", {{&x, "x"}}))
    return *err;
  if (static_cast<int64_t>(perm.size()) != x.rank())
    return fail("Transpose: perm must have ", x.rank(), " entries for x ",
                x.typeString(), ", got ", perm.size());
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (!axisInRange(p, x.rank()) || seen[p])
      return fail("Transpose: perm (", shapeToString(perm),
                  " as a list) is not a permutation of the dims of x ",
                  x.typeString());
    seen[p] = true;
  }
  return permute(x, perm);
}

Result<Tensor> reshape(const Tensor &x, const Shape &shape) {
  if (std::optional<Failure> err = malformed("Reshape", {{&x, "x"}}))
    return *err;
  for (int64_t d : shape)
    if (d < 0)
      return fail("Reshape: the target shape must be explicit (dims >= 0), ",
                  "got a dim of ", d);
  if (numElements(shape) != x.numel())
    return fail("Reshape: cannot reshape ", x.typeString(), " (", x.numel(),
                " elements) to ", shape, " (", numElements(shape),
                " elements)");
  return x.reshaped(shape);
}

Result<Tensor> broadcastTo(const Tensor &x, const Shape &shape) {
  if (std::optional<Failure> err = malformed("Expand", {{&x, "x"}}))
    return *err;
  std::optional<Shape> b = broadcastShapes(x.shape(), shape);
  bool negative =
      std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; });
  if (negative || !b || *b != shape)
    return fail("Expand: x ", x.typeString(), " does not broadcast to ", shape);
  Tensor y(x.dtype(), shape);
  std::array<Shape, 1> str = {broadcastStrides(x.shape(), shape)};
  withStorage(x, y, [&](const auto *s, auto *d) {
    forEachOffset(shape, str,
                  [&](int64_t i, const auto &off) { d[i] = s[off[0]]; });
  });
  return y;
}

Result<Tensor> tile(const Tensor &x, const Shape &repeats) {
  if (std::optional<Failure> err = malformed("Tile", {{&x, "x"}}))
    return *err;
  if (static_cast<int64_t>(repeats.size()) != x.rank())
    return fail("Tile: repeats must have ", x.rank(), " entries for x ",
                x.typeString(), ", got ", repeats.size());
  Shape outShape(x.rank()), inStrides = stridesOf(x.shape());
  std::vector<Shape> tables(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (repeats[d] < 0)
      return fail("Tile: repeats[", d, "] must be >= 0, got ", repeats[d]);
    outShape[d] = x.dim(d) * repeats[d];
    for (int64_t o = 0; o < outShape[d]; ++o)
      tables[d].push_back((o % x.dim(d)) * inStrides[d]);
  }
  return copyByTables(x, outShape, tables);
}

//===----------------------------------------------------------------------===//
// Concat, split, slice
//===----------------------------------------------------------------------===//

Result<Tensor> concat(const std::vector<const Tensor *> &inputs, int64_t axis) {
  if (inputs.empty())
    return fail("Concat: needs at least one input");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i])
      return fail("Concat: input ", i, " is null");
    if (std::optional<Failure> err =
            malformed("Concat", {{inputs[i], "an input"}}))
      return *err;
  }
  const Tensor &first = *inputs[0];
  if (!axisInRange(axis, first.rank()))
    return fail("Concat: axis ", axis, " is out of range for input 0 ",
                first.typeString());
  Shape outShape = first.shape();
  outShape[axis] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor &t = *inputs[i];
    bool same = t.dtype() == first.dtype() && t.rank() == first.rank();
    for (int64_t d = 0; same && d < t.rank(); ++d)
      same = d == axis || t.dim(d) == first.dim(d);
    if (!same)
      return fail("Concat: input ", i, " ", t.typeString(),
                  " must match input 0 ", first.typeString(),
                  " in element type and every dim but axis ", axis);
    outShape[axis] += t.dim(axis);
  }
  Tensor y(first.dtype(), outShape);
  int64_t outer = dimProduct(outShape, 0, axis);
  int64_t inner = dimProduct(outShape, axis + 1, first.rank());
  int64_t outChunk = outShape[axis] * inner;
  int64_t at = 0;
  for (const Tensor *t : inputs) {
    int64_t chunk = t->dim(axis) * inner;
    for (int64_t o = 0; o < outer; ++o)
      copyRun(*t, o * chunk, y, o * outChunk + at, chunk);
    at += chunk;
  }
  return y;
}

Result<std::vector<Tensor>> split(const Tensor &x, int64_t axis,
                                  const Shape &sizes) {
  if (std::optional<Failure> err = malformed("Split", {{&x, "x"}}))
    return *err;
  if (!axisInRange(axis, x.rank()))
    return fail("Split: axis ", axis, " is out of range for x ",
                x.typeString());
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0)
      return fail("Split: sizes[", i, "] must be >= 0, got ", sizes[i]);
    total += sizes[i];
  }
  if (total != x.dim(axis))
    return fail("Split: sizes add up to ", total, " but axis ", axis, " of x ",
                x.typeString(), " has ", x.dim(axis));
  int64_t outer = dimProduct(x.shape(), 0, axis);
  int64_t inner = dimProduct(x.shape(), axis + 1, x.rank());
  int64_t inChunk = x.dim(axis) * inner;
  std::vector<Tensor> outs;
  int64_t at = 0;
  for (int64_t size : sizes) {
    Shape s = x.shape();
    s[axis] = size;
    Tensor y(x.dtype(), s);
    int64_t chunk = size * inner;
    for (int64_t o = 0; o < outer; ++o)
      copyRun(x, o * inChunk + at, y, o * chunk, chunk);
    at += chunk;
    outs.push_back(std::move(y));
  }
  return outs;
}

Result<Tensor> slice(const Tensor &x, const Shape &starts, const Shape &steps,
                     const Shape &outShape) {
  if (std::optional<Failure> err = malformed("Slice", {{&x, "x"}}))
    return *err;
  int64_t rank = x.rank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank ||
      static_cast<int64_t>(outShape.size()) != rank)
    return fail("Slice: starts, steps and outShape must have ", rank,
                " entries for x ", x.typeString(), ", got ", starts.size(),
                ", ", steps.size(), " and ", outShape.size());
  Shape inStrides = stridesOf(x.shape());
  std::array<Shape, 1> str = {Shape(rank)};
  int64_t base = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (steps[d] == 0)
      return fail("Slice: steps[", d, "] must not be 0");
    if (outShape[d] < 0)
      return fail("Slice: outShape[", d, "] must be >= 0, got ", outShape[d]);
    if (outShape[d] > 0) {
      int64_t lastIndex = starts[d] + (outShape[d] - 1) * steps[d];
      if (starts[d] < 0 || starts[d] >= x.dim(d) || lastIndex < 0 ||
          lastIndex >= x.dim(d))
        return fail("Slice: dim ", d, " reads indices ", starts[d], " to ",
                    lastIndex, " (step ", steps[d], ") out of [0, ", x.dim(d),
                    ") of x ", x.typeString());
    }
    base += starts[d] * inStrides[d];
    str[0][d] = steps[d] * inStrides[d];
  }
  Tensor y(x.dtype(), outShape);
  withStorage(x, y, [&](const auto *s, auto *dst) {
    forEachOffset(outShape, str, [&](int64_t i, const auto &off) {
      dst[i] = s[base + off[0]];
    });
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Gather, GatherElements
//===----------------------------------------------------------------------===//

namespace {
/// Normalizes index tensor values along a dim of size `size`; returns the
/// position of the first out-of-range value, or -1.
int64_t normalizeIndices(const Tensor &indices, int64_t size, Shape &out) {
  out.resize(indices.numel());
  for (int64_t i = 0, e = indices.numel(); i < e; ++i) {
    int64_t v = indices.ints()[i];
    if (v < -size || v >= size)
      return i;
    out[i] = v < 0 ? v + size : v;
  }
  return -1;
}
} // namespace

Result<Tensor> gather(const Tensor &x, const Tensor &indices, int64_t axis) {
  if (std::optional<Failure> err =
          malformed("Gather", {{&x, "x"}, {&indices, "indices"}}))
    return *err;
  if (!axisInRange(axis, x.rank()))
    return fail("Gather: axis ", axis, " is out of range for x ",
                x.typeString());
  if (!isIndexType(indices.dtype()))
    return unsupported("Gather", indices, "indices");
  int64_t size = x.dim(axis);
  Shape idx;
  int64_t bad = normalizeIndices(indices, size, idx);
  if (bad >= 0)
    return fail("Gather: index ", indices.ints()[bad], " (element ", bad,
                " of indices ", indices.typeString(), ") is out of range [",
                -size, ", ", size, ") for axis ", axis, " of x ",
                x.typeString());
  Shape outShape(x.shape().begin(), x.shape().begin() + axis);
  outShape.insert(outShape.end(), indices.shape().begin(),
                  indices.shape().end());
  outShape.insert(outShape.end(), x.shape().begin() + axis + 1,
                  x.shape().end());
  Tensor y(x.dtype(), outShape);
  int64_t outer = dimProduct(x.shape(), 0, axis);
  int64_t inner = dimProduct(x.shape(), axis + 1, x.rank());
  int64_t n = static_cast<int64_t>(idx.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      copyRun(x, (o * size + idx[j]) * inner, y, (o * n + j) * inner, inner);
  return y;
}

Result<Tensor> gatherElements(const Tensor &x, const Tensor &indices,
                              int64_t axis) {
  const char *op = "GatherElements";
  if (std::optional<Failure> err =
          malformed(op, {{&x, "x"}, {&indices, "indices"}}))
    return *err;
  if (!axisInRange(axis, x.rank()))
    return fail(op, ": axis ", axis, " is out of range for x ", x.typeString());
  if (!isIndexType(indices.dtype()))
    return unsupported(op, indices, "indices");
  if (indices.rank() != x.rank())
    return fail(op, ": indices ", indices.typeString(),
                " must have the rank of x ", x.typeString());
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis && indices.dim(d) > x.dim(d))
      return fail(op, ": dim ", d, " of indices ", indices.typeString(),
                  " exceeds that of x ", x.typeString());
  int64_t size = x.dim(axis);
  Shape idx;
  int64_t bad = normalizeIndices(indices, size, idx);
  if (bad >= 0)
    return fail(op, ": index ", indices.ints()[bad], " (element ", bad,
                " of indices ", indices.typeString(), ") is out of range [",
                -size, ", ", size, ") for axis ", axis, " of x ",
                x.typeString());
  Shape inStrides = stridesOf(x.shape());
  std::array<Shape, 1> str = {inStrides};
  str[0][axis] = 0;
  int64_t axisStride = inStrides[axis];
  Tensor y(x.dtype(), indices.shape());
  withStorage(x, y, [&](const auto *s, auto *d) {
    forEachOffset(indices.shape(), str, [&](int64_t i, const auto &off) {
      d[i] = s[off[0] + idx[i] * axisStride];
    });
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

Result<Tensor> pad(const Tensor &x, const Shape &padsBegin,
                   const Shape &padsEnd, PadMode mode, double value) {
  if (std::optional<Failure> err = malformed("Pad", {{&x, "x"}}))
    return *err;
  int64_t rank = x.rank();
  if (static_cast<int64_t>(padsBegin.size()) != rank ||
      static_cast<int64_t>(padsEnd.size()) != rank)
    return fail("Pad: padsBegin and padsEnd must have ", rank,
                " entries for x ", x.typeString(), ", got ", padsBegin.size(),
                " and ", padsEnd.size());
  // Negative pads crop first; the rest pads the cropped tensor.
  Shape outShape(rank), inStrides = stridesOf(x.shape());
  std::vector<Shape> tables(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t cropB = std::max<int64_t>(0, -padsBegin[d]);
    int64_t cropE = std::max<int64_t>(0, -padsEnd[d]);
    int64_t padB = std::max<int64_t>(0, padsBegin[d]);
    int64_t padE = std::max<int64_t>(0, padsEnd[d]);
    int64_t size = x.dim(d) - cropB - cropE;
    if (size < 0)
      return fail("Pad: negative pads of dim ", d, " (", padsBegin[d], ", ",
                  padsEnd[d], ") crop more than its ", x.dim(d), " elements");
    if (mode != PadMode::Constant && size == 0 && padB + padE > 0)
      return fail("Pad: dim ", d, " has no elements to extend by ",
                  mode == PadMode::Reflect ? "reflection"
                  : mode == PadMode::Edge  ? "edge replication"
                                           : "wrapping");
    outShape[d] = size + padB + padE;
    for (int64_t o = 0; o < outShape[d]; ++o) {
      int64_t i = o - padB; // In the cropped tensor.
      if (i < 0 || i >= size) {
        switch (mode) {
        case PadMode::Constant:
          tables[d].push_back(-1);
          continue;
        case PadMode::Edge:
          i = std::clamp<int64_t>(i, 0, size - 1);
          break;
        case PadMode::Reflect: {
          // Reflection without repeating the edge, periodic as numpy's.
          int64_t period = 2 * (size - 1);
          if (period == 0) {
            i = 0;
            break;
          }
          i = ((i % period) + period) % period;
          if (i >= size)
            i = period - i;
          break;
        }
        case PadMode::Wrap:
          i = ((i % size) + size) % size;
          break;
        }
      }
      tables[d].push_back((i + cropB) * inStrides[d]);
    }
  }
  return copyByTables(x, outShape, tables, value);
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth
//===----------------------------------------------------------------------===//

Result<Tensor> depthToSpace(const Tensor &x, int64_t blockSize, bool crdMode) {
  const char *op = "DepthToSpace";
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  if (x.rank() != 4)
    return fail(op, ": x must have rank 4 [N, C, H, W], got ", x.typeString());
  if (blockSize < 1)
    return fail(op, ": blockSize must be >= 1, got ", blockSize);
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  int64_t b = blockSize;
  if (c % (b * b) != 0)
    return fail(op, ": channels of x ", x.typeString(),
                " must be a multiple of blockSize^2 (", b * b, ")");
  int64_t oc = c / (b * b);
  Tensor y(x.dtype(), {n, oc, h * b, w * b});
  withStorage(x, y, [&](const auto *s, auto *d) {
    int64_t o = 0;
    for (int64_t in = 0; in < n; ++in)
      for (int64_t ch = 0; ch < oc; ++ch)
        for (int64_t yy = 0; yy < h * b; ++yy)
          for (int64_t xx = 0; xx < w * b; ++xx) {
            int64_t i = yy % b, j = xx % b;
            // DCR: depth is (i, j, ch); CRD: depth is (ch, i, j).
            int64_t src =
                crdMode ? (ch * b + i) * b + j : (i * b + j) * oc + ch;
            d[o++] = s[((in * c + src) * h + yy / b) * w + xx / b];
          }
  });
  return y;
}

Result<Tensor> spaceToDepth(const Tensor &x, int64_t blockSize) {
  return spaceToDepth(x, blockSize, /*crdMode=*/false);
}

Result<Tensor> spaceToDepth(const Tensor &x, int64_t blockSize, bool crdMode) {
  const char *op = "SpaceToDepth";
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  if (x.rank() != 4)
    return fail(op, ": x must have rank 4 [N, C, H, W], got ", x.typeString());
  if (blockSize < 1)
    return fail(op, ": blockSize must be >= 1, got ", blockSize);
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  int64_t b = blockSize;
  if (h % b != 0 || w % b != 0)
    return fail(op, ": spatial dims of x ", x.typeString(),
                " must be multiples of blockSize (", b, ")");
  int64_t oh = h / b, ow = w / b;
  Tensor y(x.dtype(), {n, c * b * b, oh, ow});
  withStorage(x, y, [&](const auto *s, auto *d) {
    int64_t o = 0;
    for (int64_t in = 0; in < n; ++in)
      for (int64_t depth = 0; depth < c * b * b; ++depth) {
        // The inverses of DepthToSpace: DCR depth is (i, j, ch), CRD depth
        // is (ch, i, j).
        int64_t i, j, ch;
        if (crdMode)
          ch = depth / (b * b), i = (depth / b) % b, j = depth % b;
        else
          i = depth / (b * c), j = (depth / c) % b, ch = depth % c;
        for (int64_t yy = 0; yy < oh; ++yy)
          for (int64_t xx = 0; xx < ow; ++xx)
            d[o++] = s[((in * c + ch) * h + yy * b + i) * w + xx * b + j];
      }
  });
  return y;
}

} // namespace tessel::ref
