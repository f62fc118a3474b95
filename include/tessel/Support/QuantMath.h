//===- QuantMath.h - Exact integer requantization primitives ----*- C++ -*-===//
//
// The single definition of Tessel's integer arithmetic for quantized
// inference. The quantized reference evaluators, the CPU code generator and
// the NPU simulator all call (or mirror) these functions, so that their
// results agree bit for bit. docs/npu-isa.md states the same rules in prose.
//
//   requantize(acc, {M, s}) = roundHalfAwayFromZero(acc * M / 2^(31 + s))
//
// with M a Q31 multiplier in [2^30, 2^31) (or 0) and s a right shift in
// [-31, 62] (negative: a left shift). The product is formed exactly (128-bit).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_SUPPORT_QUANTMATH_H
#define TESSEL_SUPPORT_QUANTMATH_H

#include <cmath>
#include <cstdint>

namespace tessel::support {

/// A real scale factor as an integer multiplier and shift.
struct Requant {
  int32_t multiplier = 0; ///< Q31, in [2^30, 2^31) unless the scale is 0.
  int32_t shift = 0;      ///< Total right shift is 31 + shift.
};

/// Represents `scale` (>= 0) as {M, s} with scale ~= M * 2^-(31 + s), M in
/// [2^30, 2^31). Scales too small for the shift range become 0; too large
/// saturate at the largest representable value.
inline Requant quantizeMultiplier(double scale) {
  Requant r;
  if (!(scale > 0.0) || !std::isfinite(scale))
    return r;
  int exp = 0;
  double frac = std::frexp(scale, &exp); // scale = frac * 2^exp, frac in [.5,1)
  int64_t m = static_cast<int64_t>(std::llround(frac * 2147483648.0));
  if (m == (int64_t(1) << 31)) { // Rounded up to 1.0: renormalize.
    m >>= 1;
    ++exp;
  }
  int shift = -exp; // scale = m * 2^-31 * 2^exp.
  if (shift > 62)
    return Requant{};
  if (shift < -31) {
    shift = -31;
    m = (int64_t(1) << 31) - 1;
  }
  r.multiplier = static_cast<int32_t>(m);
  r.shift = shift;
  return r;
}

/// The real value a Requant stands for.
inline double requantScale(Requant r) {
  return std::ldexp(static_cast<double>(r.multiplier), -(31 + r.shift));
}

/// x / 2^n rounded half away from zero (n in [0, 126]); n = 0 returns x.
inline __int128 roundingShiftRight(__int128 x, int n) {
  if (n <= 0)
    return x;
  __int128 half = static_cast<__int128>(1) << (n - 1);
  if (x >= 0)
    return (x + half) >> n;
  return -((-x + half) >> n);
}

/// Saturates to a signed or unsigned integer of `bits` bits (1..64).
inline int64_t saturateInt(__int128 v, int bits, bool isSigned) {
  __int128 lo, hi;
  if (isSigned) {
    hi = (static_cast<__int128>(1) << (bits - 1)) - 1;
    lo = -hi - 1;
  } else {
    hi = (static_cast<__int128>(1) << bits) - 1;
    lo = 0;
  }
  if (v < lo)
    v = lo;
  if (v > hi)
    v = hi;
  return static_cast<int64_t>(v);
}

/// acc * M / 2^(31 + s), rounded half away from zero, exact for any int64 acc.
inline int64_t requantize(int64_t acc, Requant r) {
  __int128 p = static_cast<__int128>(acc) * r.multiplier;
  int total = 31 + r.shift;
  __int128 v = total >= 0 ? roundingShiftRight(p, total) : p << -total;
  // The result always fits int64 for the shift range; clamp defensively.
  return saturateInt(v, 64, true);
}

/// The full output stage of a quantized conv/matmul: bias added to the
/// accumulator, rescaled, offset by the output zero point, saturated.
inline int64_t requantizeOutput(int64_t acc, int64_t bias, Requant r,
                                int64_t outZeroPoint, int outBits,
                                bool outSigned) {
  return saturateInt(static_cast<__int128>(requantize(acc + bias, r)) +
                         outZeroPoint,
                     outBits, outSigned);
}

} // namespace tessel::support

#endif // TESSEL_SUPPORT_QUANTMATH_H
