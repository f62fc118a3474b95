//===- SimKernels.cpp - Functional semantics of NPU instructions ----------===//
//
// docs/npu-isa.md is the specification; comments here point at its rules.
// The integer conv/matmul loops are the simulator's hot path: operands are
// widened once to int16 (input minus zero point) so that the inner loop is a
// contiguous int16 dot product accumulated in int32, which compilers turn
// into multiply-add vector instructions.
//
//===----------------------------------------------------------------------===//
#include "SimKernels.h"

#include "tessel/Support/Float16.h"
#include "tessel/Support/QuantMath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace tessel::sim {

using namespace tessel::npu;
using support::floatToHalf;
using support::halfToFloat;

namespace {

//===----------------------------------------------------------------------===//
// Element access
//===----------------------------------------------------------------------===//

inline int64_t loadInt(const uint8_t *p, DType t) {
  switch (t) {
  case DType::I8:
    return static_cast<int8_t>(*p);
  case DType::U8:
    return *p;
  case DType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default:
    return 0;
  }
}

/// Stores `v`, which must be within the range of `t`.
inline void storeInt(uint8_t *p, DType t, int64_t v) {
  switch (t) {
  case DType::I8:
  case DType::U8:
    *p = static_cast<uint8_t>(v);
    return;
  case DType::I16: {
    int16_t x = static_cast<int16_t>(v);
    std::memcpy(p, &x, 2);
    return;
  }
  case DType::I32: {
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(p, &x, 4);
    return;
  }
  case DType::I64:
    std::memcpy(p, &v, 8);
    return;
  default:
    return;
  }
}

inline float loadFloat(const uint8_t *p, DType t) {
  if (t == DType::F16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
  }
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

inline void storeFloat(uint8_t *p, DType t, float v) {
  if (t == DType::F16) {
    uint16_t h = floatToHalf(v);
    std::memcpy(p, &h, 2);
    return;
  }
  std::memcpy(p, &v, 4);
}

inline int64_t saturate(__int128 v, DType t) {
  return support::saturateInt(v, static_cast<int>(dtypeBytes(t) * 8),
                              isSignedInt(t));
}

/// Round half away from zero of num / den (den > 0).
inline __int128 divRound(__int128 num, int64_t den) {
  __int128 a = num < 0 ? -num : num;
  __int128 q = (2 * a + den) / (2 * static_cast<__int128>(den));
  return num < 0 ? -q : q;
}

/// max/min that propagate NaN; on equality the second operand wins.
inline float fmaxNan(float a, float b) {
  return (a > b || std::isnan(a)) ? a : b;
}
inline float fminNan(float a, float b) {
  return (a < b || std::isnan(a)) ? a : b;
}

//===----------------------------------------------------------------------===//
// The output stage of conv and matmul
//===----------------------------------------------------------------------===//

struct OutputStage {
  bool requant, accumulate;
  DType outType;
  int64_t zpOut, lo, hi;
  const uint8_t *table;
  int64_t entries;

  /// Rejects tables the arithmetic cannot use (before anything is written).
  std::string checkTable() const {
    if (!requant)
      return {};
    for (int64_t c = 0; c < entries; ++c) {
      const uint8_t *e = table + c * kRequantEntryBytes;
      int64_t bias;
      int32_t m, s;
      std::memcpy(&bias, e, 8);
      std::memcpy(&m, e + 8, 4);
      std::memcpy(&s, e + 12, 4);
      if (s < -31 || s > 62 || m < 0 || bias > (int64_t(1) << 62) ||
          bias < -(int64_t(1) << 62))
        return "requant table entry " + std::to_string(c) + " (bias " +
               std::to_string(bias) + ", multiplier " + std::to_string(m) +
               ", shift " + std::to_string(s) +
               ") is out of range: the multiplier must be in [0, 2^31), "
               "the shift in [-31, 62] and |bias| at most 2^62";
    }
    return {};
  }

  /// Writes the accumulator of output channel `c` (integer accumulators).
  void storeInt(uint8_t *dst, int64_t acc, int64_t c) const {
    if (requant) {
      const uint8_t *e = table + c * kRequantEntryBytes;
      int64_t bias;
      support::Requant r;
      std::memcpy(&bias, e, 8);
      std::memcpy(&r.multiplier, e + 8, 4);
      std::memcpy(&r.shift, e + 12, 4);
      int bits = static_cast<int>(dtypeBytes(outType) * 8);
      int64_t v = support::requantizeOutput(acc, bias, r, zpOut, bits,
                                            isSignedInt(outType));
      v = std::min(std::max(v, lo), hi);
      sim::storeInt(dst, outType, saturate(v, outType));
      return;
    }
    if (outType == DType::I32) {
      uint32_t v = static_cast<uint32_t>(acc);
      if (accumulate)
        v += static_cast<uint32_t>(loadInt(dst, DType::I32));
      sim::storeInt(dst, DType::I32, static_cast<int32_t>(v));
      return;
    }
    uint64_t v = static_cast<uint64_t>(acc);
    if (accumulate)
      v += static_cast<uint64_t>(loadInt(dst, DType::I64));
    sim::storeInt(dst, DType::I64, static_cast<int64_t>(v));
  }

  void storeFloat(uint8_t *dst, float acc) const {
    if (accumulate)
      acc = loadFloat(dst, DType::F32) + acc;
    sim::storeFloat(dst, outType, acc);
  }
};

/// sum a[i] * b[i], wrapping modulo 2^32 (the int32 accumulator).
inline int32_t dot16(const int16_t *a, const int16_t *b, int64_t n) {
  uint32_t s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += static_cast<uint32_t>(static_cast<int32_t>(a[i]) * b[i]);
  return static_cast<int32_t>(s);
}

inline int64_t dot32(const int32_t *a, const int32_t *b, int64_t n) {
  uint64_t s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += static_cast<uint64_t>(static_cast<int64_t>(a[i]) * b[i]);
  return static_cast<int64_t>(s);
}

} // namespace

//===----------------------------------------------------------------------===//
// CONV
//===----------------------------------------------------------------------===//

ConvGeometry convGeometry(const ConvInstr &c) {
  ConvGeometry g;
  g.oh = windowOutSize(c.h, c.kh, c.strideH, c.dilH, c.padTop, c.padBottom);
  g.ow = windowOutSize(c.w, c.kw, c.strideW, c.dilW, c.padLeft, c.padRight);
  g.inPix = c.inPixStride ? c.inPixStride : c.c;
  g.inRow = c.inRowStride ? c.inRowStride : c.w * g.inPix;
  g.outPix = c.outPixStride ? c.outPixStride : c.cout;
  g.outRow = c.outRowStride ? c.outRowStride : g.ow * g.outPix;
  return g;
}

namespace {

template <typename Elem>
void buildPatch(const ConvInstr &c, const ConvGeometry &g, const uint8_t *in,
                int64_t oy, int64_t ox, int64_t cinG, Elem *patch, int64_t zp) {
  const int64_t es = dtypeBytes(c.inType);
  const int64_t groups = c.groups;
  const int64_t taps = static_cast<int64_t>(c.kh) * c.kw;
  for (int64_t ky = 0; ky < c.kh; ++ky) {
    int64_t iy = oy * c.strideH - c.padTop + ky * c.dilH;
    for (int64_t kx = 0; kx < c.kw; ++kx) {
      int64_t ix = ox * c.strideW - c.padLeft + kx * c.dilW;
      int64_t tap = ky * c.kw + kx;
      bool inside = iy >= 0 && iy < c.h && ix >= 0 && ix < c.w;
      const uint8_t *src = in + (iy * g.inRow + ix * g.inPix) * es;
      for (int64_t gi = 0; gi < groups; ++gi) {
        Elem *dst = patch + (gi * taps + tap) * cinG;
        if (!inside) {
          std::fill(dst, dst + cinG, Elem(0));
          continue;
        }
        const uint8_t *s = src + gi * cinG * es;
        switch (c.inType) {
        case DType::I8:
          for (int64_t ci = 0; ci < cinG; ++ci)
            dst[ci] = static_cast<Elem>(static_cast<int8_t>(s[ci]) - zp);
          break;
        case DType::U8:
          for (int64_t ci = 0; ci < cinG; ++ci)
            dst[ci] = static_cast<Elem>(s[ci] - zp);
          break;
        default:
          for (int64_t ci = 0; ci < cinG; ++ci)
            dst[ci] = static_cast<Elem>(loadInt(s + ci * es, c.inType) - zp);
          break;
        }
      }
    }
  }
}

template <typename Elem, typename Acc>
void convInt(const ConvInstr &c, const ConvGeometry &g, const uint8_t *in,
             const uint8_t *w, uint8_t *out, const OutputStage &stage,
             Acc (*dot)(const Elem *, const Elem *, int64_t)) {
  const int64_t groups = c.groups;
  const int64_t cinG = c.c / groups, coutG = c.cout / groups;
  const int64_t K = static_cast<int64_t>(c.kh) * c.kw * cinG;
  const int64_t wes = dtypeBytes(c.weightType);
  const int64_t oes = dtypeBytes(c.outType);
  std::vector<Elem> wt(static_cast<size_t>(c.cout * K));
  for (int64_t i = 0; i < c.cout * K; ++i)
    wt[i] = static_cast<Elem>(loadInt(w + i * wes, c.weightType) - c.zpWeight);
  std::vector<Elem> patch(static_cast<size_t>(groups * K));
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      buildPatch(c, g, in, oy, ox, cinG, patch.data(), c.zpIn);
      uint8_t *dst = out + (oy * g.outRow + ox * g.outPix) * oes;
      for (int64_t gi = 0; gi < groups; ++gi) {
        const Elem *p = patch.data() + gi * K;
        for (int64_t j = 0; j < coutG; ++j) {
          int64_t co = gi * coutG + j;
          Acc acc = dot(p, wt.data() + co * K, K);
          stage.storeInt(dst + co * oes, acc, co);
        }
      }
    }
  }
}

void convFloat(const ConvInstr &c, const ConvGeometry &g, const uint8_t *in,
               const uint8_t *w, uint8_t *out, const OutputStage &stage) {
  const int64_t cinG = c.c / c.groups, coutG = c.cout / c.groups;
  const int64_t K = static_cast<int64_t>(c.kh) * c.kw * cinG;
  std::vector<float> wt(static_cast<size_t>(c.cout * K));
  for (int64_t i = 0; i < c.cout * K; ++i)
    wt[i] = loadFloat(w + i * 2, DType::F16);
  const int64_t oes = dtypeBytes(c.outType);
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      uint8_t *dst = out + (oy * g.outRow + ox * g.outPix) * oes;
      for (int64_t co = 0; co < c.cout; ++co) {
        int64_t gi = co / coutG;
        const float *wr = wt.data() + co * K;
        float acc = 0.0f;
        // Taps in order (ky, kx, ci); taps in the padding are skipped.
        for (int64_t ky = 0; ky < c.kh; ++ky) {
          int64_t iy = oy * c.strideH - c.padTop + ky * c.dilH;
          if (iy < 0 || iy >= c.h)
            continue;
          for (int64_t kx = 0; kx < c.kw; ++kx) {
            int64_t ix = ox * c.strideW - c.padLeft + kx * c.dilW;
            if (ix < 0 || ix >= c.w)
              continue;
            const uint8_t *s =
                in + (iy * g.inRow + ix * g.inPix + gi * cinG) * 2;
            const float *wk = wr + (ky * c.kw + kx) * cinG;
            for (int64_t ci = 0; ci < cinG; ++ci)
              acc += loadFloat(s + ci * 2, DType::F16) * wk[ci];
          }
        }
        stage.storeFloat(dst + co * oes, acc);
      }
    }
  }
}

} // namespace

std::string runConv(const ConvInstr &c, const uint8_t *in, const uint8_t *w,
                    uint8_t *out, const uint8_t *table) {
  OutputStage stage{c.requant, c.accumulate, c.outType, c.zpOut,
                    c.lo,      c.hi,         table,     c.cout};
  if (std::string e = stage.checkTable(); !e.empty())
    return e;
  ConvGeometry g = convGeometry(c);
  if (c.inType == DType::F16)
    convFloat(c, g, in, w, out, stage);
  else if (c.inType == DType::I16)
    convInt<int32_t, int64_t>(c, g, in, w, out, stage, dot32);
  else
    convInt<int16_t, int32_t>(c, g, in, w, out, stage, dot16);
  return {};
}

//===----------------------------------------------------------------------===//
// MATMUL
//===----------------------------------------------------------------------===//

namespace {

template <typename Elem, typename Acc>
void matmulInt(const MatmulInstr &m, const uint8_t *a, const uint8_t *b,
               uint8_t *out, const OutputStage &stage,
               Acc (*dot)(const Elem *, const Elem *, int64_t)) {
  const int64_t K = m.k, N = m.n;
  const int64_t aes = dtypeBytes(m.aType), bes = dtypeBytes(m.bType);
  const int64_t oes = dtypeBytes(m.outType);
  const int64_t ars = m.aRowStride ? m.aRowStride : K;
  const int64_t brs = m.bRowStride ? m.bRowStride : (m.transB ? N : K);
  const int64_t ors = m.outRowStride ? m.outRowStride : N;
  std::vector<Elem> bt(static_cast<size_t>(N * K));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t off = m.transB ? k * brs + n : n * brs + k;
      bt[n * K + k] =
          static_cast<Elem>(loadInt(b + off * bes, m.bType) - m.zpB);
    }
  std::vector<Elem> row(static_cast<size_t>(K));
  for (int64_t i = 0; i < m.m; ++i) {
    const uint8_t *ar = a + i * ars * aes;
    for (int64_t k = 0; k < K; ++k)
      row[k] = static_cast<Elem>(loadInt(ar + k * aes, m.aType) - m.zpA);
    uint8_t *dst = out + i * ors * oes;
    for (int64_t n = 0; n < N; ++n)
      stage.storeInt(dst + n * oes, dot(row.data(), bt.data() + n * K, K), n);
  }
}

} // namespace

std::string runMatmul(const MatmulInstr &m, const uint8_t *a, const uint8_t *b,
                      uint8_t *out, const uint8_t *table) {
  OutputStage stage{m.requant, m.accumulate, m.outType, m.zpOut,
                    m.lo,      m.hi,         table,     m.n};
  if (std::string e = stage.checkTable(); !e.empty())
    return e;
  if (m.aType == DType::F16) {
    const int64_t K = m.k, N = m.n;
    const int64_t ars = m.aRowStride ? m.aRowStride : K;
    const int64_t brs = m.bRowStride ? m.bRowStride : (m.transB ? N : K);
    const int64_t ors = m.outRowStride ? m.outRowStride : N;
    const int64_t oes = dtypeBytes(m.outType);
    for (int64_t i = 0; i < m.m; ++i)
      for (int64_t n = 0; n < N; ++n) {
        float acc = 0.0f;
        for (int64_t k = 0; k < K; ++k) {
          int64_t off = m.transB ? k * brs + n : n * brs + k;
          acc += loadFloat(a + (i * ars + k) * 2, DType::F16) *
                 loadFloat(b + off * 2, DType::F16);
        }
        stage.storeFloat(out + (i * ors + n) * oes, acc);
      }
  } else if (m.aType == DType::I16) {
    matmulInt<int32_t, int64_t>(m, a, b, out, stage, dot32);
  } else {
    matmulInt<int16_t, int32_t>(m, a, b, out, stage, dot16);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Vector engine
//===----------------------------------------------------------------------===//

namespace {
inline uint64_t dense(uint32_t stride, uint64_t dflt) {
  return stride == kDense ? dflt : stride;
}

const uint8_t kNoEntry[kRequantEntryBytes] = {};

/// A decoded 16-byte requant entry (bias, multiplier, shift).
struct RqEntry {
  int64_t bias;
  support::Requant rq;
  explicit RqEntry(const uint8_t *entry) {
    std::memcpy(&bias, entry, 8);
    std::memcpy(&rq.multiplier, entry + 8, 4);
    std::memcpy(&rq.shift, entry + 12, 4);
  }
};

/// The integer output a requant stage produces: its width and signedness.
struct RqOut {
  DType type;
  int bits;
  bool isSigned;
  explicit RqOut(DType t)
      : type(t), bits(static_cast<int>(dtypeBytes(t) * 8)),
        isSigned(isSignedInt(t)) {}
};

/// One requant entry applied to an integer: t = x - zpIn + bias, exact and
/// saturated to 64 bits, then the QuantMath output stage and the clamp
/// [lo, hi], saturated to the output type (CONVERT's requant mode, and each
/// stage of the requant ELTWISE).
inline int64_t requantEntry(const RqEntry &e, __int128 x, int64_t zpIn,
                            int64_t zpOut, const RqOut &out, int64_t lo,
                            int64_t hi) {
  int64_t ts = support::saturateInt(x - zpIn + e.bias, 64, true);
  int64_t v =
      support::requantizeOutput(ts, 0, e.rq, zpOut, out.bits, out.isSigned);
  v = std::min(std::max(v, lo), hi);
  return support::saturateInt(v, out.bits, out.isSigned);
}

__int128 applyIntOp(EltwiseOp op, __int128 x, __int128 y) {
  switch (op) {
  case EltwiseOp::Add:
    return x + y;
  case EltwiseOp::Sub:
    return x - y;
  case EltwiseOp::Mul:
    return x * y;
  case EltwiseOp::Max:
    return x > y ? x : y;
  default:
    return x < y ? x : y;
  }
}
} // namespace

std::string runEltwise(const EltwiseInstr &e, const uint8_t *a,
                       const uint8_t *b, uint8_t *out, const uint8_t *table) {
  if (e.requant) {
    if (!table)
      return "requant eltwise without a table";
    OutputStage check{true, false, e.outType, e.zpOut, e.lo, e.hi, table, 3};
    if (std::string err = check.checkTable(); !err.empty())
      return err;
  }
  const RqEntry rqA(e.requant ? table : kNoEntry),
      rqB(e.requant ? table + kRequantEntryBytes : kNoEntry),
      rqO(e.requant ? table + 2 * kRequantEntryBytes : kNoEntry);
  const RqOut i32(DType::I32), outRq(e.outType);
  const int64_t es = dtypeBytes(e.inType), oes = dtypeBytes(e.outType);
  const uint64_t ars = dense(e.aRowStride, e.cols),
                 acs = dense(e.aColStride, 1);
  const uint64_t brs = dense(e.bRowStride, e.cols),
                 bcs = dense(e.bColStride, 1);
  const uint64_t ors = dense(e.outRowStride, e.cols);
  // Operands may alias the output (in place); compute a row before storing.
  std::vector<uint8_t> rowBuf(static_cast<size_t>(e.cols * oes));
  for (uint64_t r = 0; r < e.rows; ++r) {
    for (uint64_t c = 0; c < e.cols; ++c) {
      const uint8_t *pa = a + (r * ars + c * acs) * es;
      const uint8_t *pb = b + (r * brs + c * bcs) * es;
      uint8_t *po = rowBuf.data() + c * oes;
      if (isFloat(e.inType)) {
        float x = loadFloat(pa, e.inType), y = loadFloat(pb, e.inType), z;
        switch (e.op) {
        case EltwiseOp::Add:
          z = x + y;
          break;
        case EltwiseOp::Sub:
          z = x - y;
          break;
        case EltwiseOp::Mul:
          z = x * y;
          break;
        case EltwiseOp::Max:
          z = fmaxNan(x, y);
          break;
        default:
          z = fminNan(x, y);
          break;
        }
        storeFloat(po, e.outType, z);
      } else if (e.requant) {
        // Both operands to int32 through their entries, the op saturated to
        // int32, the result through the output entry.
        int64_t ta = requantEntry(rqA, loadInt(pa, e.inType), e.zpA, 0, i32,
                                  INT32_MIN, INT32_MAX);
        int64_t tb = requantEntry(rqB, loadInt(pb, e.inType), e.zpB, 0, i32,
                                  INT32_MIN, INT32_MAX);
        __int128 z = saturate(applyIntOp(e.op, ta, tb), DType::I32);
        storeInt(po, e.outType,
                 requantEntry(rqO, z, 0, e.zpOut, outRq, e.lo, e.hi));
      } else {
        __int128 x = loadInt(pa, e.inType), y = loadInt(pb, e.inType);
        storeInt(po, e.outType, saturate(applyIntOp(e.op, x, y), e.outType));
      }
    }
    std::memcpy(out + r * ors * oes, rowBuf.data(), rowBuf.size());
  }
  return {};
}

std::string runAct(const ActInstr &a, const uint8_t *in, uint8_t *out,
                   const uint8_t *lut) {
  const int64_t es = dtypeBytes(a.inType), oes = dtypeBytes(a.outType);
  const uint64_t irs = dense(a.inRowStride, a.cols);
  const uint64_t ors = dense(a.outRowStride, a.cols);
  std::vector<uint8_t> rowBuf(static_cast<size_t>(a.cols * oes));
  for (uint64_t r = 0; r < a.rows; ++r) {
    const uint8_t *src = in + r * irs * es;
    for (uint64_t c = 0; c < a.cols; ++c) {
      uint8_t *po = rowBuf.data() + c * oes;
      const uint8_t *pi = src + c * es;
      switch (a.kind) {
      case ActKind::Clamp:
        if (isFloat(a.inType)) {
          float x = loadFloat(pi, a.inType);
          if (!std::isnan(x))
            x = std::min(std::max(x, a.flo), a.fhi);
          storeFloat(po, a.outType, x);
        } else {
          int64_t x = loadInt(pi, a.inType);
          x = std::min(std::max(x, static_cast<int64_t>(a.lo)),
                       static_cast<int64_t>(a.hi));
          storeInt(po, a.outType, saturate(x, a.outType));
        }
        break;
      case ActKind::Lut: {
        int64_t idx = loadInt(pi, a.inType) - dtypeMin(a.inType);
        std::memcpy(po, lut + idx * oes, static_cast<size_t>(oes));
        break;
      }
      default: {
        double x = loadFloat(pi, a.inType), y;
        if (a.kind == ActKind::Sigmoid)
          y = 1.0 / (1.0 + std::exp(-x));
        else if (a.kind == ActKind::Tanh)
          y = std::tanh(x);
        else
          y = std::exp(x);
        storeFloat(po, a.outType, static_cast<float>(y));
        break;
      }
      }
    }
    std::memcpy(out + r * ors * oes, rowBuf.data(), rowBuf.size());
  }
  return {};
}

PoolGeometry poolGeometry(const PoolInstr &p) {
  PoolGeometry g;
  g.oh = windowOutSize(p.h, p.kh, p.strideH, 1, p.padTop, p.padBottom);
  g.ow = windowOutSize(p.w, p.kw, p.strideW, 1, p.padLeft, p.padRight);
  g.inPix = p.inPixStride ? p.inPixStride : p.c;
  g.inRow = p.inRowStride ? p.inRowStride : p.w * g.inPix;
  g.outPix = p.outPixStride ? p.outPixStride : p.c;
  g.outRow = p.outRowStride ? p.outRowStride : g.ow * g.outPix;
  return g;
}

std::string runPool(const PoolInstr &p, const uint8_t *in, uint8_t *out) {
  PoolGeometry g = poolGeometry(p);
  const int64_t es = dtypeBytes(p.dtype);
  const bool fl = isFloat(p.dtype);
  std::vector<uint8_t> pix(static_cast<size_t>(p.c * es));
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      for (int64_t ch = 0; ch < p.c; ++ch) {
        __int128 isum = 0;
        int64_t imax = 0;
        float fsum = 0.0f, fmax = 0.0f;
        int64_t count = 0;
        bool first = true;
        for (int64_t ky = 0; ky < p.kh; ++ky) {
          int64_t iy = oy * p.strideH - p.padTop + ky;
          for (int64_t kx = 0; kx < p.kw; ++kx) {
            int64_t ix = ox * p.strideW - p.padLeft + kx;
            bool inside = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
            if (!inside) {
              if (p.kind == PoolKind::Avg && p.countPad) {
                ++count;
                isum += p.zp;
              }
              continue;
            }
            const uint8_t *s = in + (iy * g.inRow + ix * g.inPix + ch) * es;
            ++count;
            if (fl) {
              float v = loadFloat(s, p.dtype);
              fsum += v;
              fmax = first ? v : fmaxNan(fmax, v);
            } else {
              int64_t v = loadInt(s, p.dtype);
              isum += v;
              imax = first ? v : std::max(imax, v);
            }
            first = false;
          }
        }
        uint8_t *dst = pix.data() + ch * es;
        if (fl)
          storeFloat(dst, p.dtype,
                     p.kind == PoolKind::Max
                         ? fmax
                         : fsum / static_cast<float>(count));
        else
          storeInt(dst, p.dtype,
                   p.kind == PoolKind::Max
                       ? imax
                       : saturate(divRound(isum, count), p.dtype));
      }
      std::memcpy(out + (oy * g.outRow + ox * g.outPix) * es, pix.data(),
                  pix.size());
    }
  }
  return {};
}

std::string runReduce(const ReduceInstr &r, const uint8_t *in, uint8_t *out) {
  const int64_t es = dtypeBytes(r.inType), oes = dtypeBytes(r.outType);
  const bool fl = isFloat(r.inType);
  for (uint64_t o = 0; o < r.outer; ++o) {
    for (uint64_t i = 0; i < r.inner; ++i) {
      __int128 isum = 0;
      int64_t iext = 0;
      float fsum = 0.0f, fext = 0.0f;
      for (uint64_t k = 0; k < r.n; ++k) {
        const uint8_t *s = in + ((o * r.n + k) * r.inner + i) * es;
        if (fl) {
          float v = loadFloat(s, r.inType);
          fsum += v;
          fext = k == 0                      ? v
                 : r.kind == ReduceKind::Max ? fmaxNan(fext, v)
                                             : fminNan(fext, v);
        } else {
          int64_t v = loadInt(s, r.inType);
          isum += v;
          iext = k == 0                      ? v
                 : r.kind == ReduceKind::Max ? std::max(iext, v)
                                             : std::min(iext, v);
        }
      }
      uint8_t *dst = out + (o * r.inner + i) * oes;
      bool ext = r.kind == ReduceKind::Max || r.kind == ReduceKind::Min;
      if (fl) {
        float v = ext                          ? fext
                  : r.kind == ReduceKind::Mean ? fsum / static_cast<float>(r.n)
                                               : fsum;
        storeFloat(dst, r.outType, v);
      } else {
        __int128 v = ext ? iext
                     : r.kind == ReduceKind::Mean
                         ? divRound(isum, static_cast<int64_t>(r.n))
                         : isum;
        storeInt(dst, r.outType, saturate(v, r.outType));
      }
    }
  }
  return {};
}

std::string runConvert(const ConvertInstr &c, const uint8_t *in, uint8_t *out,
                       const uint8_t *table) {
  const int64_t es = dtypeBytes(c.inType), oes = dtypeBytes(c.outType);
  const uint64_t irs = dense(c.inRowStride, c.cols);
  const uint64_t ors = dense(c.outRowStride, c.cols);
  const uint64_t entries = c.perChannel ? c.cols : 1;
  if (c.mode == ConvertMode::Requant) {
    OutputStage stage{true, false, c.outType, c.zpOut,
                      c.lo, c.hi,  table,     static_cast<int64_t>(entries)};
    if (std::string e = stage.checkTable(); !e.empty())
      return e;
  }
  auto clampInt = [&](__int128 v) {
    v = std::min<__int128>(std::max<__int128>(v, c.lo), c.hi);
    return saturate(v, c.outType);
  };
  const RqOut outRq(c.outType);
  std::vector<uint8_t> rowBuf(static_cast<size_t>(c.cols * oes));
  for (uint64_t r = 0; r < c.rows; ++r) {
    const uint8_t *src = in + r * irs * es;
    for (uint64_t col = 0; col < c.cols; ++col) {
      const uint8_t *pi = src + col * es;
      uint8_t *po = rowBuf.data() + col * oes;
      uint64_t ch = c.perChannel ? col : 0;
      switch (c.mode) {
      case ConvertMode::Requant:
        storeInt(po, c.outType,
                 requantEntry(RqEntry(table + ch * kRequantEntryBytes),
                              loadInt(pi, c.inType), c.zpIn, c.zpOut, outRq,
                              c.lo, c.hi));
        break;
      case ConvertMode::Quant: {
        float scale;
        std::memcpy(&scale, table + ch * kScaleEntryBytes, 4);
        float q = loadFloat(pi, c.inType) / scale;
        double rounded = std::isnan(q) ? 0.0 : std::nearbyint(q);
        rounded = std::min(std::max(rounded, -4.0e18), 4.0e18);
        __int128 v =
            static_cast<__int128>(static_cast<int64_t>(rounded)) + c.zpOut;
        storeInt(po, c.outType, clampInt(v));
        break;
      }
      case ConvertMode::Dequant: {
        float scale;
        std::memcpy(&scale, table + ch * kScaleEntryBytes, 4);
        __int128 x = static_cast<__int128>(loadInt(pi, c.inType)) - c.zpIn;
        storeFloat(po, c.outType, static_cast<float>(x) * scale);
        break;
      }
      case ConvertMode::Cast:
        if (isFloat(c.inType) && isFloat(c.outType)) {
          storeFloat(po, c.outType, loadFloat(pi, c.inType));
        } else if (isFloat(c.inType)) {
          float f = loadFloat(pi, c.inType);
          double t = std::isnan(f) ? 0.0 : std::trunc(static_cast<double>(f));
          t = std::min(std::max(t, -4.0e18), 4.0e18);
          storeInt(po, c.outType,
                   clampInt(static_cast<__int128>(static_cast<int64_t>(t))));
        } else if (isFloat(c.outType)) {
          storeFloat(po, c.outType, static_cast<float>(loadInt(pi, c.inType)));
        } else {
          storeInt(po, c.outType, clampInt(loadInt(pi, c.inType)));
        }
        break;
      }
    }
    std::memcpy(out + r * ors * oes, rowBuf.data(), rowBuf.size());
  }
  return {};
}

std::string runLayout(const LayoutInstr &l, const uint8_t *in, uint8_t *out) {
  const int64_t es = dtypeBytes(l.dtype);
  const int64_t d[4] = {l.d0, l.d1, l.d2, l.d3};
  const int64_t s[4] = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
  int64_t od[4], os[4];
  for (int i = 0; i < 4; ++i) {
    od[i] = d[l.perm[i]];
    os[i] = s[l.perm[i]];
  }
  // In place or overlapping: go through a copy of the input.
  std::vector<uint8_t> src(in, in + d[0] * s[0] * es);
  uint8_t *dst = out;
  for (int64_t a = 0; a < od[0]; ++a)
    for (int64_t b = 0; b < od[1]; ++b)
      for (int64_t c = 0; c < od[2]; ++c) {
        const uint8_t *row =
            src.data() + (a * os[0] + b * os[1] + c * os[2]) * es;
        if (os[3] == 1) {
          std::memcpy(dst, row, static_cast<size_t>(od[3] * es));
          dst += od[3] * es;
          continue;
        }
        for (int64_t e = 0; e < od[3]; ++e) {
          std::memcpy(dst, row + e * os[3] * es, static_cast<size_t>(es));
          dst += es;
        }
      }
  return {};
}

//===----------------------------------------------------------------------===//
// DMA
//===----------------------------------------------------------------------===//

void encodePad(DType t, int32_t value, uint8_t out[8]) {
  std::memset(out, 0, 8);
  if (t == DType::F16 || t == DType::F32) {
    storeFloat(out, t, static_cast<float>(value));
    return;
  }
  // Integers: the two's-complement pattern, sign-extended to the width.
  int64_t v = value;
  std::memcpy(out, &v, 8);
}

void runCopy2D(const Copy2D &c, const uint8_t *src, uint8_t *const *dsts,
               unsigned numDsts) {
  const uint64_t es = dtypeBytes(c.dtype);
  const uint64_t rowBytes = c.cols * es;
  const uint64_t dstRowBytes = (c.padLeft + c.cols + c.padRight) * es;
  const uint64_t dstRows = c.padTop + c.rows + c.padBottom;
  // Gather the source first: overlapping regions behave like memmove.
  std::vector<uint8_t> data(static_cast<size_t>(c.rows * rowBytes));
  for (uint64_t r = 0; r < c.rows; ++r)
    std::memcpy(data.data() + r * rowBytes, src + r * c.srcStride, rowBytes);
  uint8_t padElem[8];
  encodePad(c.dtype, c.pad, padElem);
  std::vector<uint8_t> padRow(static_cast<size_t>(dstRowBytes));
  for (uint64_t i = 0; i < dstRowBytes; i += es)
    std::memcpy(padRow.data() + i, padElem, es);
  for (unsigned d = 0; d < numDsts; ++d) {
    uint8_t *dst = dsts[d];
    for (uint64_t r = 0; r < dstRows; ++r) {
      uint8_t *row = dst + r * c.dstStride;
      if (r < c.padTop || r >= c.padTop + c.rows) {
        std::memcpy(row, padRow.data(), dstRowBytes);
        continue;
      }
      std::memcpy(row, padRow.data(), c.padLeft * es);
      std::memcpy(row + c.padLeft * es, data.data() + (r - c.padTop) * rowBytes,
                  rowBytes);
      std::memcpy(row + (c.padLeft + c.cols) * es, padRow.data(),
                  c.padRight * es);
    }
  }
}

} // namespace tessel::sim
