//===- Pooling.cpp - Max and average pooling ------------------------------===//
//
// Windows are boxes, so every per-window quantity (the in-bounds kernel
// range, the divisor) factors per spatial dim; those are computed once per
// output index and dim before the sweep. Channels-last inputs are transposed
// to channels-first and back.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <algorithm>
#include <limits>

namespace tessel::ref {
using namespace detail;

namespace {

/// Per spatial dim: for each output index, the input offsets (index * input
/// stride) of the window's in-bounds elements, and the divisor factors.
struct PoolDim {
  int64_t out = 0;
  Shape begin;    ///< begin[o]..begin[o + 1] index into `offsets`.
  Shape offsets;  ///< In-bounds input offsets, window order.
  Shape padCount; ///< Window elements inside the explicitly padded input.
};

std::optional<std::string> checkParams(const char *op, const PoolParams &p,
                                       size_t n) {
  const std::pair<const char *, const Shape *> vecs[] = {
      {"kernel", &p.kernel},
      {"strides", &p.strides},
      {"dilations", &p.dilations},
      {"padsBegin", &p.padsBegin},
      {"padsEnd", &p.padsEnd}};
  for (const auto &[what, v] : vecs)
    if (v->size() != n)
      return str(op, ": ", what, " must have ", n, " entries (one per ",
                 "spatial dim), got ", v->size());
  for (size_t d = 0; d < n; ++d) {
    if (p.kernel[d] < 1 || p.strides[d] < 1 || p.dilations[d] < 1)
      return str(op, ": kernel, strides and dilations must be >= 1, got ",
                 p.kernel[d], ", ", p.strides[d], " and ", p.dilations[d],
                 " for spatial dim ", d);
    if (p.padsBegin[d] < 0 || p.padsEnd[d] < 0)
      return str(op, ": pads of spatial dim ", d, " must be >= 0, got ",
                 p.padsBegin[d], " and ", p.padsEnd[d]);
  }
  return std::nullopt;
}

/// The windows along one spatial dim of extent `size`.
std::optional<std::string> planDim(const char *op, const PoolParams &p,
                                   size_t d, int64_t size, int64_t inStride,
                                   bool needInBounds, PoolDim &dim) {
  int64_t k = p.kernel[d], s = p.strides[d], dil = p.dilations[d];
  int64_t pb = p.padsBegin[d], pe = p.padsEnd[d];
  int64_t extent = dil * (k - 1) + 1, padded = size + pb + pe;
  if (padded < extent)
    return str(op, ": spatial dim ", d, ": the dilated window (", extent,
               ") is larger than the padded input (", padded, ")");
  int64_t out =
      p.ceilMode ? ceilDiv(padded - extent, s) + 1 : (padded - extent) / s + 1;
  // Drop a last window that would start in the end padding (ceil mode).
  if (p.ceilMode && (out - 1) * s >= size + pb)
    --out;
  dim.out = out;
  dim.begin.assign(1, 0);
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * s - pb;
    int64_t lo = std::max<int64_t>(0, ceilDiv(-start, dil));
    int64_t hi = std::min(k, floorDiv(size - 1 - start, dil) + 1);
    if (needInBounds && hi <= lo)
      return str(op, ": window ", o, " of spatial dim ", d,
                 " covers only padding (pads ", pb, ", ", pe, ", kernel ", k,
                 ")");
    for (int64_t kk = lo; kk < hi; ++kk)
      dim.offsets.push_back((start + kk * dil) * inStride);
    dim.begin.push_back(static_cast<int64_t>(dim.offsets.size()));
    // Start >= -padBegin always; count positions before size + padEnd.
    dim.padCount.push_back(
        std::min(k, floorDiv(size + pe - 1 - start, dil) + 1));
  }
  return std::nullopt;
}

/// Calls visit(o, outIdx, window) for every output position of one plane,
/// in row-major order: `o` is the flat position, `outIdx` its per-dim
/// indices, and window(f) calls f(offset) for each in-bounds element of the
/// window (offsets relative to the plane).
template <typename Visit>
void sweepPlane(const std::vector<PoolDim> &dims, Visit visit) {
  int64_t n = static_cast<int64_t>(dims.size()), last = n - 1;
  Shape outIdx(n, 0), pos(n, 0);
  int64_t total = 1;
  for (const PoolDim &d : dims)
    total *= d.out;
  for (int64_t o = 0; o < total; ++o) {
    auto forEachElement = [&](auto &&f) {
      for (int64_t d = 0; d < n; ++d)
        pos[d] = dims[d].begin[outIdx[d]];
      const PoolDim &ld = dims[last];
      int64_t lastBegin = ld.begin[outIdx[last]],
              lastEnd = ld.begin[outIdx[last] + 1];
      while (true) {
        int64_t base = 0;
        for (int64_t d = 0; d < last; ++d)
          base += dims[d].offsets[pos[d]];
        for (int64_t j = lastBegin; j < lastEnd; ++j)
          f(base + ld.offsets[j]);
        int64_t d = last - 1;
        for (; d >= 0; --d) {
          if (++pos[d] < dims[d].begin[outIdx[d] + 1])
            break;
          pos[d] = dims[d].begin[outIdx[d]];
        }
        if (d < 0)
          break;
      }
    };
    visit(o, outIdx, forEachElement);
    for (int64_t d = last; d >= 0; --d) {
      if (++outIdx[d] < dims[d].out)
        break;
      outIdx[d] = 0;
    }
  }
}

Result<Tensor> pool(const char *op, bool isMax, const Tensor &x,
                    const PoolParams &p) {
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  int64_t rank = x.rank();
  if (rank < 3)
    return fail(op, ": x must have rank >= 3 (batch, channels and at least ",
                "one spatial dim), got ", x.typeString());
  if (x.dtype() == DType::Bool)
    return unsupported(op, x);
  size_t n = rank - 2;
  if (std::optional<std::string> err = checkParams(op, p, n))
    return fail(*err);

  Tensor xT;
  const Tensor *xf = &x;
  if (p.channelsLast) {
    xT = permute(x, toChannelsFirst(rank));
    xf = &xT;
  }
  const Shape &xs = xf->shape();
  Shape spatial(xs.begin() + 2, xs.end());
  Shape inStr = stridesOf(spatial);
  bool needInBounds = isMax || !p.countIncludePad;
  std::vector<PoolDim> dims(n);
  Shape outShape = {xs[0], xs[1]};
  for (size_t d = 0; d < n; ++d) {
    if (std::optional<std::string> err =
            planDim(op, p, d, spatial[d], inStr[d], needInBounds, dims[d]))
      return fail(*err);
    outShape.push_back(dims[d].out);
  }

  Tensor y(x.dtype(), outShape);
  int64_t planes = xs[0] * xs[1];
  int64_t inSp = numElements(spatial), outSp = 1;
  for (const PoolDim &d : dims)
    outSp *= d.out;
  DType t = x.dtype();
  for (int64_t pl = 0; pl < planes && outSp > 0; ++pl) {
    int64_t yBase = pl * outSp;
    auto divisor = [&](const Shape &outIdx) {
      int64_t c = 1;
      for (size_t d = 0; d < n; ++d)
        c *= p.countIncludePad
                 ? dims[d].padCount[outIdx[d]]
                 : dims[d].begin[outIdx[d] + 1] - dims[d].begin[outIdx[d]];
      return c;
    };
    if (x.isFloat()) {
      const double *xp = xf->floats().data() + pl * inSp;
      sweepPlane(dims, [&](int64_t o, const Shape &outIdx, auto &&window) {
        if (isMax) {
          double m = -std::numeric_limits<double>::infinity();
          bool nan = false;
          window([&](int64_t off) {
            double v = xp[off];
            nan |= v != v;
            m = v > m ? v : m;
          });
          y.floats()[yBase + o] =
              nan ? std::numeric_limits<double>::quiet_NaN() : m;
          return;
        }
        double sum = 0;
        window([&](int64_t off) { sum += xp[off]; });
        y.setF(yBase + o, sum / static_cast<double>(divisor(outIdx)));
      });
    } else {
      const int64_t *xp = xf->ints().data() + pl * inSp;
      sweepPlane(dims, [&](int64_t o, const Shape &outIdx, auto &&window) {
        if (isMax) {
          bool first = true;
          int64_t m = 0;
          window([&](int64_t off) {
            if (first || wideInt(t, xp[off]) > wideInt(t, m))
              m = xp[off];
            first = false;
          });
          y.ints()[yBase + o] = m;
          return;
        }
        __int128 sum = 0;
        int64_t taps = 0;
        window([&](int64_t off) {
          sum += wideInt(t, xp[off]);
          ++taps;
        });
        int64_t count = divisor(outIdx);
        if (!p.roundHalfAway) {
          storeWide(y, yBase + o, sum / count); // Truncates toward zero.
          return;
        }
        if (p.countIncludePad)
          sum += static_cast<__int128>(p.padValue) * (count - taps);
        __int128 mag = sum < 0 ? -sum : sum;
        __int128 q = (2 * mag + count) / (2 * static_cast<__int128>(count));
        storeWide(y, yBase + o, sum < 0 ? -q : q);
      });
    }
  }
  return p.channelsLast ? permute(y, toChannelsLast(rank)) : y;
}

} // namespace

Result<Tensor> maxPool(const Tensor &x, const PoolParams &p) {
  return pool("MaxPool", /*isMax=*/true, x, p);
}

Result<Tensor> avgPool(const Tensor &x, const PoolParams &p) {
  return pool("AveragePool", /*isMax=*/false, x, p);
}

} // namespace tessel::ref
