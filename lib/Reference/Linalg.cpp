//===- Linalg.cpp - MatMul, convolution and transposed convolution --------===//
//
// Float operands accumulate in double and round once, after the bias is
// added. Integer operands accumulate modulo 2^64 (which equals the exact
// int64 sum whenever that fits, and always has the right low bits) and wrap
// to the result type when stored.
//
// Convolutions run channels-first; channels-last operands are transposed in
// and out, so both layouts give the same numbers by construction. The loops
// put the output spatial sweep innermost (for each output channel, input
// channel and kernel offset), with the in-bounds range of every sweep
// computed once per kernel offset: no per-element bounds checks.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <algorithm>

namespace tessel::ref {
using namespace detail;

namespace {

/// Float operands must share their element type; integer operands may mix
/// (quantized u8 activations with i8 weights).
bool compatibleTypes(DType a, DType b) {
  return a == b || (isInteger(a) && isInteger(b));
}

bool isNumeric(DType t) { return t != DType::Bool; }

/// Stores an accumulator buffer into `y` (rounding or wrapping once).
void storeAcc(Tensor &y, const std::vector<double> &acc) {
  for (int64_t i = 0, e = y.numel(); i < e; ++i)
    y.setF(i, acc[i]);
}
void storeAcc(Tensor &y, const std::vector<uint64_t> &acc) {
  for (int64_t i = 0, e = y.numel(); i < e; ++i)
    y.setI(i, static_cast<int64_t>(acc[i]));
}

/// Element `i` of `t` as an accumulator value.
template <typename A> A accValue(const Tensor &t, int64_t i);
template <> double accValue<double>(const Tensor &t, int64_t i) {
  return loadF(t, i);
}
template <> uint64_t accValue<uint64_t>(const Tensor &t, int64_t i) {
  return t.isFloat() ? static_cast<uint64_t>(t.getI(i))
                     : static_cast<uint64_t>(t.ints()[i]);
}

/// Raw storage of a tensor, typed for the accumulation template.
template <typename T> const T *storage(const Tensor &t);
template <> const double *storage<double>(const Tensor &t) {
  return t.floats().data();
}
template <> const int64_t *storage<int64_t>(const Tensor &t) {
  return t.ints().data();
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

/// C[M, N] += A[M, K] * B[K, N] for every batch, i-k-j order.
template <typename T, typename A>
void matmulBatches(const T *a, const T *b, A *c, int64_t m, int64_t k,
                   int64_t n, const Shape &aOff, const Shape &bOff) {
  for (size_t batch = 0; batch < aOff.size(); ++batch) {
    const T *pa = a + aOff[batch];
    const T *pb = b + bOff[batch];
    A *pc = c + static_cast<int64_t>(batch) * m * n;
    for (int64_t i = 0; i < m; ++i) {
      A *row = pc + i * n;
      for (int64_t kk = 0; kk < k; ++kk) {
        A av = static_cast<A>(pa[i * k + kk]);
        const T *brow = pb + kk * n;
        for (int64_t j = 0; j < n; ++j)
          row[j] += av * static_cast<A>(brow[j]);
      }
    }
  }
}

template <typename T, typename A>
Tensor matmulImpl(const Tensor &a, const Tensor &b, const Tensor *bias,
                  const Shape &batch, const Shape &aBatch, const Shape &bBatch,
                  int64_t m, int64_t k, int64_t n, const Shape &outShape) {
  Tensor y(a.dtype(), outShape);
  std::vector<A> acc(y.numel(), A(0));
  if (y.numel() > 0) {
    Shape aStr = broadcastStrides(aBatch, batch);
    Shape bStr = broadcastStrides(bBatch, batch);
    for (int64_t &s : aStr)
      s *= m * k;
    for (int64_t &s : bStr)
      s *= k * n;
    Shape aOff, bOff;
    forEachOffset(batch, std::array<Shape, 2>{aStr, bStr},
                  [&](int64_t, const auto &off) {
                    aOff.push_back(off[0]);
                    bOff.push_back(off[1]);
                  });
    matmulBatches(storage<T>(a), storage<T>(b), acc.data(), m, k, n, aOff,
                  bOff);
    if (bias) {
      std::array<Shape, 1> str = {broadcastStrides(bias->shape(), outShape)};
      forEachOffset(outShape, str, [&](int64_t i, const auto &off) {
        acc[i] += accValue<A>(*bias, off[0]);
      });
    }
  }
  storeAcc(y, acc);
  return y;
}

//===----------------------------------------------------------------------===//
// Convolution geometry
//===----------------------------------------------------------------------===//

/// Channels-first geometry of a (transposed) convolution.
struct ConvGeometry {
  int64_t batch = 0, inC = 0, outC = 0, group = 1;
  Shape in, kernel, out; ///< Spatial extents.
  Shape strides, dilations, padsBegin;

  int64_t rank() const { return static_cast<int64_t>(in.size()); }
};

/// The channels-first shape of a tensor in the given layout.
Shape firstShape(const Shape &s, bool channelsLast) {
  if (!channelsLast)
    return s;
  Shape r = {s[0], s.back()};
  r.insert(r.end(), s.begin() + 1, s.end() - 1);
  return r;
}

/// Conv pads must be >= 0; convTranspose pads may be negative (the output
/// grows by zero-contribution positions, as ONNX's output_shape may ask).
std::optional<std::string> checkConvParams(const char *op, const ConvParams &p,
                                           size_t n, bool allowNegativePads) {
  auto sizeErr = [&](const char *what, const Shape &v) {
    return str(op, ": ", what, " must have ", n, " entries (one per spatial ",
               "dim), got ", v.size());
  };
  if (p.strides.size() != n)
    return sizeErr("strides", p.strides);
  if (p.dilations.size() != n)
    return sizeErr("dilations", p.dilations);
  if (p.padsBegin.size() != n)
    return sizeErr("padsBegin", p.padsBegin);
  if (p.padsEnd.size() != n)
    return sizeErr("padsEnd", p.padsEnd);
  for (size_t d = 0; d < n; ++d) {
    if (p.strides[d] < 1)
      return str(op, ": strides[", d, "] must be >= 1, got ", p.strides[d]);
    if (p.dilations[d] < 1)
      return str(op, ": dilations[", d, "] must be >= 1, got ", p.dilations[d]);
    if (!allowNegativePads && (p.padsBegin[d] < 0 || p.padsEnd[d] < 0))
      return str(op, ": pads of spatial dim ", d, " must be >= 0, got ",
                 p.padsBegin[d], " and ", p.padsEnd[d]);
  }
  if (p.group < 1)
    return str(op, ": group must be >= 1, got ", p.group);
  return std::nullopt;
}

/// Checks element types of x, w and bias; bias must be [outC].
std::optional<std::string> checkOperands(const char *op, const Tensor &x,
                                         const Tensor &w, const Tensor *bias,
                                         int64_t outC) {
  if (!isNumeric(x.dtype()))
    return unsupported(op, x).message;
  if (!compatibleTypes(x.dtype(), w.dtype()))
    return str(op, ": element types of x ", x.typeString(), " and w ",
               w.typeString(), " do not match");
  if (bias) {
    if (!compatibleTypes(x.dtype(), bias->dtype()))
      return str(op, ": element types of x ", x.typeString(), " and bias ",
                 bias->typeString(), " do not match");
    if (bias->shape() != Shape{outC})
      return str(op, ": bias must have shape [", outC,
                 "] (the output channels), got ", bias->typeString());
  }
  return std::nullopt;
}

/// Kernel offsets as multi-indices, in the flat (row-major) order of the
/// kernel: entry [kf * n + d] is the index along spatial dim d.
Shape kernelTable(const Shape &kernel) {
  int64_t n = static_cast<int64_t>(kernel.size());
  int64_t count = numElements(kernel);
  Shape table(count * n);
  Shape idx(n, 0);
  for (int64_t kf = 0; kf < count; ++kf) {
    std::copy(idx.begin(), idx.end(), table.begin() + kf * n);
    for (int64_t d = n - 1; d >= 0; --d) {
      if (++idx[d] < kernel[d])
        break;
      idx[d] = 0;
    }
  }
  return table;
}

/// For every spatial dim and kernel index, the range [lo, hi) of "sweep"
/// positions whose partner position (sweep * stride + offset for conv, the
/// reverse for convTranspose) is in bounds, and that offset.
struct SweepRanges {
  std::vector<Shape> lo, hi, offset;
};

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

/// y[b, oc, o] += w[oc, ic, k] * x[b, ic, o * s + k * dil - padBegin].
template <typename T, typename A>
void convForward(const T *x, const T *w, A *y, const ConvGeometry &g) {
  int64_t n = g.rank(), last = n - 1;
  int64_t inSp = numElements(g.in), outSp = numElements(g.out);
  int64_t kSp = numElements(g.kernel);
  int64_t cg = g.inC / g.group, og = g.outC / g.group;
  Shape inStr = stridesOf(g.in), outStr = stridesOf(g.out);

  // Output positions o along dim d with 0 <= o * s + off < in[d].
  SweepRanges r;
  r.lo.resize(n), r.hi.resize(n), r.offset.resize(n);
  for (int64_t d = 0; d < n; ++d) {
    for (int64_t k = 0; k < g.kernel[d]; ++k) {
      int64_t off = k * g.dilations[d] - g.padsBegin[d];
      int64_t lo = std::max<int64_t>(0, ceilDiv(-off, g.strides[d]));
      int64_t hi =
          std::min(g.out[d], floorDiv(g.in[d] - 1 - off, g.strides[d]) + 1);
      r.lo[d].push_back(lo);
      r.hi[d].push_back(std::max(lo, hi));
      r.offset[d].push_back(off);
    }
  }
  Shape kTab = kernelTable(g.kernel);
  // Kernel offsets that map the whole input plane onto the whole output
  // plane (1x1 stride-1 kernels, the centre of "same" kernels): one run.
  std::vector<bool> wholePlane(kSp, true);
  for (int64_t kf = 0; kf < kSp; ++kf)
    for (int64_t d = 0; d < n; ++d) {
      int64_t kd = kTab[kf * n + d];
      wholePlane[kf] = wholePlane[kf] && g.strides[d] == 1 &&
                       g.in[d] == g.out[d] && r.offset[d][kd] == 0;
    }
  Shape idx(n);
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t grp = 0; grp < g.group; ++grp) {
      for (int64_t oc = 0; oc < og; ++oc) {
        int64_t ocAbs = grp * og + oc;
        A *yp = y + (b * g.outC + ocAbs) * outSp;
        for (int64_t ic = 0; ic < cg; ++ic) {
          const T *xp = x + (b * g.inC + grp * cg + ic) * inSp;
          const T *wp = w + (ocAbs * cg + ic) * kSp;
          for (int64_t kf = 0; kf < kSp; ++kf) {
            const int64_t *k = &kTab[kf * n];
            bool empty = false;
            for (int64_t d = 0; d < n; ++d) {
              empty |= r.lo[d][k[d]] >= r.hi[d][k[d]];
              idx[d] = r.lo[d][k[d]];
            }
            if (empty)
              continue;
            A wv = static_cast<A>(wp[kf]);
            if (wholePlane[kf]) {
              for (int64_t o = 0; o < outSp; ++o)
                yp[o] += wv * static_cast<A>(xp[o]);
              continue;
            }
            int64_t lo = r.lo[last][k[last]], hi = r.hi[last][k[last]];
            int64_t s = g.strides[last];
            while (true) {
              int64_t yo = 0, xo = r.offset[last][k[last]];
              for (int64_t d = 0; d < last; ++d) {
                yo += idx[d] * outStr[d];
                xo += (idx[d] * g.strides[d] + r.offset[d][k[d]]) * inStr[d];
              }
              A *yr = yp + yo;
              const T *xr = xp + xo;
              if (s == 1) {
                for (int64_t o = lo; o < hi; ++o)
                  yr[o] += wv * static_cast<A>(xr[o]);
              } else {
                for (int64_t o = lo; o < hi; ++o)
                  yr[o] += wv * static_cast<A>(xr[o * s]);
              }
              int64_t d = last - 1;
              for (; d >= 0; --d) {
                if (++idx[d] < r.hi[d][k[d]])
                  break;
                idx[d] = r.lo[d][k[d]];
              }
              if (d < 0)
                break;
            }
          }
        }
      }
    }
  }
}

/// Fills the accumulator with the bias of each output channel (or 0).
template <typename A>
std::vector<A> biasInit(const ConvGeometry &g, const Tensor *bias) {
  int64_t outSp = numElements(g.out);
  std::vector<A> acc(g.batch * g.outC * outSp, A(0));
  if (!bias)
    return acc;
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t c = 0; c < g.outC; ++c)
      std::fill_n(acc.begin() + (b * g.outC + c) * outSp, outSp,
                  accValue<A>(*bias, c));
  return acc;
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

/// y[b, oc, i * s + k * dil - padBegin] += w[ic, oc, k] * x[b, ic, i].
template <typename T, typename A>
void convBackward(const T *x, const T *w, A *y, const ConvGeometry &g) {
  int64_t n = g.rank(), last = n - 1;
  int64_t inSp = numElements(g.in), outSp = numElements(g.out);
  int64_t kSp = numElements(g.kernel);
  int64_t cg = g.inC / g.group, og = g.outC / g.group;
  Shape inStr = stridesOf(g.in), outStr = stridesOf(g.out);

  // Input positions i along dim d with 0 <= i * s + off < out[d].
  SweepRanges r;
  r.lo.resize(n), r.hi.resize(n), r.offset.resize(n);
  for (int64_t d = 0; d < n; ++d) {
    for (int64_t k = 0; k < g.kernel[d]; ++k) {
      int64_t off = k * g.dilations[d] - g.padsBegin[d];
      int64_t lo = std::max<int64_t>(0, ceilDiv(-off, g.strides[d]));
      int64_t hi =
          std::min(g.in[d], floorDiv(g.out[d] - 1 - off, g.strides[d]) + 1);
      r.lo[d].push_back(lo);
      r.hi[d].push_back(std::max(lo, hi));
      r.offset[d].push_back(off);
    }
  }
  Shape kTab = kernelTable(g.kernel);
  Shape idx(n);
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t grp = 0; grp < g.group; ++grp) {
      for (int64_t oc = 0; oc < og; ++oc) {
        A *yp = y + (b * g.outC + grp * og + oc) * outSp;
        for (int64_t ic = 0; ic < cg; ++ic) {
          int64_t icAbs = grp * cg + ic;
          const T *xp = x + (b * g.inC + icAbs) * inSp;
          const T *wp = w + (icAbs * og + oc) * kSp;
          for (int64_t kf = 0; kf < kSp; ++kf) {
            const int64_t *k = &kTab[kf * n];
            bool empty = false;
            for (int64_t d = 0; d < n; ++d) {
              empty |= r.lo[d][k[d]] >= r.hi[d][k[d]];
              idx[d] = r.lo[d][k[d]];
            }
            if (empty)
              continue;
            A wv = static_cast<A>(wp[kf]);
            int64_t lo = r.lo[last][k[last]], hi = r.hi[last][k[last]];
            int64_t s = g.strides[last];
            while (true) {
              int64_t xo = 0, yo = r.offset[last][k[last]];
              for (int64_t d = 0; d < last; ++d) {
                xo += idx[d] * inStr[d];
                yo += (idx[d] * g.strides[d] + r.offset[d][k[d]]) * outStr[d];
              }
              A *yr = yp + yo;
              const T *xr = xp + xo;
              for (int64_t i = lo; i < hi; ++i)
                yr[i * s] += wv * static_cast<A>(xr[i]);
              int64_t d = last - 1;
              for (; d >= 0; --d) {
                if (++idx[d] < r.hi[d][k[d]])
                  break;
                idx[d] = r.lo[d][k[d]];
              }
              if (d < 0)
                break;
            }
          }
        }
      }
    }
  }
}

/// Runs a channels-first kernel on (possibly channels-last) operands and
/// returns y in the operands' layout.
template <typename Kernel>
Tensor runConv(const Tensor &x, const Tensor &w, const Tensor *bias,
               const ConvGeometry &g, bool channelsLast, const Shape &wToFirst,
               Kernel kernel) {
  int64_t rank = x.rank();
  Tensor xT, wT;
  const Tensor *xf = &x, *wf = &w;
  if (channelsLast) {
    xT = permute(x, toChannelsFirst(rank));
    wT = permute(w, wToFirst);
    xf = &xT, wf = &wT;
  }
  Shape outShape = {g.batch, g.outC};
  outShape.insert(outShape.end(), g.out.begin(), g.out.end());
  Tensor y(x.dtype(), outShape);
  if (x.isFloat()) {
    std::vector<double> acc = biasInit<double>(g, bias);
    if (!acc.empty())
      kernel(storage<double>(*xf), storage<double>(*wf), acc.data());
    storeAcc(y, acc);
  } else {
    std::vector<uint64_t> acc = biasInit<uint64_t>(g, bias);
    if (!acc.empty())
      kernel(storage<int64_t>(*xf), storage<int64_t>(*wf), acc.data());
    storeAcc(y, acc);
  }
  return channelsLast ? permute(y, toChannelsLast(rank)) : y;
}

} // namespace

Result<Tensor> matmul(const Tensor &a, const Tensor &b, const Tensor *bias) {
  const char *op = "MatMul";
  if (std::optional<Failure> err =
          malformed(op, {{&a, "a"}, {&b, "b"}, {bias, "bias"}}))
    return *err;
  if (a.rank() < 1 || b.rank() < 1)
    return fail(op, ": operands must have rank >= 1, got ", a.typeString(),
                " and ", b.typeString());
  if (!isNumeric(a.dtype()))
    return unsupported(op, a, "a");
  if (!compatibleTypes(a.dtype(), b.dtype()))
    return fail(op, ": element types of a ", a.typeString(), " and b ",
                b.typeString(), " do not match");
  Shape as = a.shape(), bs = b.shape();
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    as.insert(as.begin(), 1);
  if (bVec)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back();
  int64_t kb = bs[bs.size() - 2], n = bs.back();
  if (k != kb)
    return fail(op, ": contraction dims differ: ", k, " in a ", a.typeString(),
                " vs ", kb, " in b ", b.typeString());
  Shape aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  std::optional<Shape> batch = broadcastShapes(aBatch, bBatch);
  if (!batch)
    return fail(op, ": batch dims of a ", a.typeString(), " and b ",
                b.typeString(), " are not broadcast-compatible");
  Shape outShape = *batch;
  if (!aVec)
    outShape.push_back(m);
  if (!bVec)
    outShape.push_back(n);
  if (bias) {
    if (!compatibleTypes(a.dtype(), bias->dtype()))
      return fail(op, ": element types of a ", a.typeString(), " and bias ",
                  bias->typeString(), " do not match");
    std::optional<Shape> bs2 = broadcastShapes(outShape, bias->shape());
    if (!bs2 || *bs2 != outShape)
      return fail(op, ": bias ", bias->typeString(),
                  " does not broadcast to the result shape ", outShape);
  }
  if (a.isFloat())
    return matmulImpl<double, double>(a, b, bias, *batch, aBatch, bBatch, m, k,
                                      n, outShape);
  return matmulImpl<int64_t, uint64_t>(a, b, bias, *batch, aBatch, bBatch, m, k,
                                       n, outShape);
}

Result<Tensor> conv(const Tensor &x, const Tensor &w, const Tensor *bias,
                    const ConvParams &p) {
  const char *op = "Conv";
  if (std::optional<Failure> err =
          malformed(op, {{&x, "x"}, {&w, "w"}, {bias, "bias"}}))
    return *err;
  int64_t rank = x.rank();
  if (rank < 3)
    return fail(op, ": x must have rank >= 3 (batch, channels and at least ",
                "one spatial dim), got ", x.typeString());
  if (w.rank() != rank)
    return fail(op, ": w must have the rank of x (", rank, "), got ",
                w.typeString());
  int64_t n = rank - 2;
  if (std::optional<std::string> err =
          checkConvParams(op, p, n, /*allowNegativePads=*/false))
    return fail(*err);
  Shape xs = firstShape(x.shape(), p.channelsLast);
  Shape ws = firstShape(w.shape(), p.channelsLast); // [O, C/g, K...]
  ConvGeometry g;
  g.batch = xs[0], g.inC = xs[1], g.outC = ws[0], g.group = p.group;
  g.in.assign(xs.begin() + 2, xs.end());
  g.kernel.assign(ws.begin() + 2, ws.end());
  g.strides = p.strides, g.dilations = p.dilations, g.padsBegin = p.padsBegin;
  if (std::optional<std::string> err = checkOperands(op, x, w, bias, g.outC))
    return fail(*err);
  if (g.inC % g.group != 0 || g.outC % g.group != 0)
    return fail(op, ": input channels (", g.inC, ") and output channels (",
                g.outC, ") must be multiples of group (", g.group, ")");
  if (ws[1] != g.inC / g.group)
    return fail(op, ": w ", w.typeString(), " must have ", g.inC / g.group,
                " input channels (", g.inC, " / group ", g.group, "), got ",
                ws[1]);
  for (int64_t d = 0; d < n; ++d) {
    if (g.kernel[d] < 1)
      return fail(op, ": kernel dims must be >= 1, got w ", w.typeString());
    int64_t extent = p.dilations[d] * (g.kernel[d] - 1) + 1;
    int64_t padded = g.in[d] + p.padsBegin[d] + p.padsEnd[d];
    if (padded < extent)
      return fail(op, ": spatial dim ", d, ": the dilated kernel (", extent,
                  ") is larger than the padded input (", padded, ")");
    g.out.push_back((padded - extent) / p.strides[d] + 1);
  }
  Shape wToFirst = toChannelsFirst(rank);
  return runConv(x, w, bias, g, p.channelsLast, wToFirst,
                 [&](const auto *xp, const auto *wp, auto *yp) {
                   convForward(xp, wp, yp, g);
                 });
}

Result<Tensor> convTranspose(const Tensor &x, const Tensor &w,
                             const Tensor *bias,
                             const ConvTransposeParams &tp) {
  const char *op = "ConvTranspose";
  if (std::optional<Failure> err =
          malformed(op, {{&x, "x"}, {&w, "w"}, {bias, "bias"}}))
    return *err;
  const ConvParams &p = tp.conv;
  int64_t rank = x.rank();
  if (rank < 3)
    return fail(op, ": x must have rank >= 3 (batch, channels and at least ",
                "one spatial dim), got ", x.typeString());
  if (w.rank() != rank)
    return fail(op, ": w must have the rank of x (", rank, "), got ",
                w.typeString());
  int64_t n = rank - 2;
  if (std::optional<std::string> err =
          checkConvParams(op, p, n, /*allowNegativePads=*/true))
    return fail(*err);
  if (tp.outputPadding.size() != static_cast<size_t>(n))
    return fail(op, ": outputPadding must have ", n, " entries, got ",
                tp.outputPadding.size());
  Shape xs = firstShape(x.shape(), p.channelsLast);
  Shape ws = firstShape(w.shape(), p.channelsLast); // [C, O/g, K...]
  ConvGeometry g;
  g.batch = xs[0], g.inC = xs[1], g.group = p.group;
  g.outC = ws[1] * p.group;
  g.in.assign(xs.begin() + 2, xs.end());
  g.kernel.assign(ws.begin() + 2, ws.end());
  g.strides = p.strides, g.dilations = p.dilations, g.padsBegin = p.padsBegin;
  if (std::optional<std::string> err = checkOperands(op, x, w, bias, g.outC))
    return fail(*err);
  if (g.inC % g.group != 0)
    return fail(op, ": input channels (", g.inC,
                ") must be a multiple of group (", g.group, ")");
  if (ws[0] != g.inC)
    return fail(op, ": w ", w.typeString(), " must have ", g.inC,
                " input channels (those of x), got ", ws[0]);
  for (int64_t d = 0; d < n; ++d) {
    if (g.kernel[d] < 1)
      return fail(op, ": kernel dims must be >= 1, got w ", w.typeString());
    if (tp.outputPadding[d] < 0)
      return fail(op, ": outputPadding[", d, "] must be >= 0, got ",
                  tp.outputPadding[d]);
    int64_t out = p.strides[d] * (g.in[d] - 1) + tp.outputPadding[d] +
                  p.dilations[d] * (g.kernel[d] - 1) + 1 - p.padsBegin[d] -
                  p.padsEnd[d];
    if (out < 1)
      return fail(op, ": spatial dim ", d, " of the output would be ", out,
                  " (pads larger than the full output)");
    g.out.push_back(out);
  }
  // Channels-last weights [C, K..., O/g] become [C, O/g, K...].
  Shape wToFirst = toChannelsFirst(rank);
  return runConv(x, w, bias, g, p.channelsLast, wToFirst,
                 [&](const auto *xp, const auto *wp, auto *yp) {
                   convBackward(xp, wp, yp, g);
                 });
}

} // namespace tessel::ref
