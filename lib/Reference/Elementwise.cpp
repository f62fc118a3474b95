//===- Elementwise.cpp - Unary, binary, where and cast kernels ------------===//
//
// Float kinds compute in double on the stored values and round once when
// storing. Integer kinds compute exactly on 128-bit values (so that U64 and
// I64 extremes need no special cases) and wrap when storing.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <algorithm>
#include <cmath>

namespace tessel::ref {
using namespace detail;

namespace {

//===----------------------------------------------------------------------===//
// Names for messages
//===----------------------------------------------------------------------===//

const char *unaryName(UnaryKind k) {
  switch (k) {
  case UnaryKind::Identity:
    return "Identity";
  case UnaryKind::Relu:
    return "Relu";
  case UnaryKind::Sigmoid:
    return "Sigmoid";
  case UnaryKind::Tanh:
    return "Tanh";
  case UnaryKind::Erf:
    return "Erf";
  case UnaryKind::Exp:
    return "Exp";
  case UnaryKind::Log:
    return "Log";
  case UnaryKind::Sqrt:
    return "Sqrt";
  case UnaryKind::Reciprocal:
    return "Reciprocal";
  case UnaryKind::Neg:
    return "Neg";
  case UnaryKind::Abs:
    return "Abs";
  case UnaryKind::Floor:
    return "Floor";
  case UnaryKind::Ceil:
    return "Ceil";
  case UnaryKind::Round:
    return "Round";
  case UnaryKind::Sign:
    return "Sign";
  case UnaryKind::Not:
    return "Not";
  case UnaryKind::Sin:
    return "Sin";
  case UnaryKind::Cos:
    return "Cos";
  case UnaryKind::Softplus:
    return "Softplus";
  case UnaryKind::Softsign:
    return "Softsign";
  case UnaryKind::HardSwish:
    return "HardSwish";
  case UnaryKind::Gelu:
    return "Gelu";
  case UnaryKind::GeluTanh:
    return "GeluTanh";
  case UnaryKind::Elu:
    return "Elu";
  case UnaryKind::Selu:
    return "Selu";
  case UnaryKind::LeakyRelu:
    return "LeakyRelu";
  case UnaryKind::HardSigmoid:
    return "HardSigmoid";
  case UnaryKind::Clip:
    return "Clip";
  case UnaryKind::Mish:
    return "Mish";
  }
  return "unary";
}

const char *binaryName(BinaryKind k) {
  switch (k) {
  case BinaryKind::Add:
    return "Add";
  case BinaryKind::Sub:
    return "Sub";
  case BinaryKind::Mul:
    return "Mul";
  case BinaryKind::Div:
    return "Div";
  case BinaryKind::Pow:
    return "Pow";
  case BinaryKind::Max:
    return "Max";
  case BinaryKind::Min:
    return "Min";
  case BinaryKind::Mod:
    return "Mod";
  case BinaryKind::FMod:
    return "FMod";
  case BinaryKind::PRelu:
    return "PRelu";
  case BinaryKind::And:
    return "And";
  case BinaryKind::Or:
    return "Or";
  case BinaryKind::Xor:
    return "Xor";
  case BinaryKind::Equal:
    return "Equal";
  case BinaryKind::Less:
    return "Less";
  case BinaryKind::LessEqual:
    return "LessOrEqual";
  case BinaryKind::Greater:
    return "Greater";
  case BinaryKind::GreaterEqual:
    return "GreaterOrEqual";
  }
  return "binary";
}

//===----------------------------------------------------------------------===//
// Scalar functions
//===----------------------------------------------------------------------===//

/// Round half to even, independent of the floating-point environment.
double roundHalfEven(double v) {
  double r = std::round(v); // Half away from zero.
  if (std::fabs(v - std::trunc(v)) == 0.5)
    r = 2.0 * std::round(v / 2.0);
  return r;
}

double sigmoid(double v) {
  if (v >= 0)
    return 1.0 / (1.0 + std::exp(-v));
  double e = std::exp(v); // No overflow for large negative v.
  return e / (1.0 + e);
}

/// log(1 + e^v) without overflow.
double softplus(double v) {
  if (v > 0)
    return v + std::log1p(std::exp(-v));
  return std::log1p(std::exp(v));
}

/// min(max(v, lo), hi), passing NaN through; hi wins when lo > hi (ONNX).
double clampF(double v, double lo, double hi) {
  double t = v < lo ? lo : v;
  return t > hi ? hi : t;
}

double evalUnaryF(UnaryKind k, double v, const UnaryParams &p) {
  constexpr double kPi = 3.14159265358979323846;
  switch (k) {
  case UnaryKind::Identity:
  case UnaryKind::Not: // Rejected before; keeps the switch total.
    return v;
  case UnaryKind::Relu:
    return v < 0 ? 0.0 : v;
  case UnaryKind::Sigmoid:
    return sigmoid(v);
  case UnaryKind::Tanh:
    return std::tanh(v);
  case UnaryKind::Erf:
    return std::erf(v);
  case UnaryKind::Exp:
    return std::exp(v);
  case UnaryKind::Log:
    return std::log(v);
  case UnaryKind::Sqrt:
    return std::sqrt(v);
  case UnaryKind::Reciprocal:
    return 1.0 / v;
  case UnaryKind::Neg:
    return -v;
  case UnaryKind::Abs:
    return std::fabs(v);
  case UnaryKind::Floor:
    return std::floor(v);
  case UnaryKind::Ceil:
    return std::ceil(v);
  case UnaryKind::Round:
    return roundHalfEven(v);
  case UnaryKind::Sign:
    return v > 0 ? 1.0 : v < 0 ? -1.0 : v; // Zero and NaN pass through.
  case UnaryKind::Sin:
    return std::sin(v);
  case UnaryKind::Cos:
    return std::cos(v);
  case UnaryKind::Softplus:
    return softplus(v);
  case UnaryKind::Softsign:
    return v / (1.0 + std::fabs(v));
  case UnaryKind::HardSwish:
    return v * clampF(v / 6.0 + 0.5, 0.0, 1.0);
  case UnaryKind::Gelu:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case UnaryKind::GeluTanh:
    return 0.5 * v *
           (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (v + 0.044715 * v * v * v)));
  case UnaryKind::Elu:
    return v < 0 ? p.alpha * std::expm1(v) : v;
  case UnaryKind::Selu:
    return v <= 0 ? p.beta * (p.alpha * std::exp(v) - p.alpha) : p.beta * v;
  case UnaryKind::LeakyRelu:
    return v < 0 ? p.alpha * v : v;
  case UnaryKind::HardSigmoid:
    return clampF(p.alpha * v + p.beta, 0.0, 1.0);
  case UnaryKind::Clip:
    return clampF(v, p.alpha, p.beta);
  case UnaryKind::Mish:
    return v * std::tanh(softplus(v));
  }
  return v;
}

/// A Clip bound for integers: rounded half away from zero; NaN means no
/// bound (as a NaN bound never compares true for floats).
__int128 intClipBound(double v, bool isLower) {
  constexpr double kHuge = 1.2676506002282294e30; // 2^100
  if (std::isnan(v))
    return static_cast<__int128>(isLower ? -kHuge : kHuge);
  double r = std::round(v);
  r = r < -kHuge ? -kHuge : r > kHuge ? kHuge : r;
  return static_cast<__int128>(r);
}

/// Low 64 bits of base^exp by squaring.
__int128 powWrap(__int128 base, uint64_t exp) {
  uint64_t r = 1, b = static_cast<uint64_t>(base);
  while (exp) {
    if (exp & 1)
      r *= b;
    b *= b;
    exp >>= 1;
  }
  return static_cast<__int128>(r);
}

double evalBinaryF(BinaryKind k, double a, double b) {
  switch (k) {
  case BinaryKind::Add:
    return a + b;
  case BinaryKind::Sub:
    return a - b;
  case BinaryKind::Mul:
    return a * b;
  case BinaryKind::Div:
    return a / b;
  case BinaryKind::Pow:
    return std::pow(a, b);
  case BinaryKind::Max:
    return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? b : a);
  case BinaryKind::Min:
    return std::isnan(a) || std::isnan(b) ? NAN : (b < a ? b : a);
  case BinaryKind::Mod: { // numpy.mod: the result has the divisor's sign.
    double r = std::fmod(a, b);
    if (r == 0)
      return std::copysign(0.0, b);
    if ((r < 0) != (b < 0))
      r += b; // -3 mod inf = inf, as Python's %.
    return r;
  }
  case BinaryKind::FMod:
    return std::fmod(a, b);
  case BinaryKind::PRelu:
    return a < 0 ? b * a : a;
  case BinaryKind::Equal:
    return a == b;
  case BinaryKind::Less:
    return a < b;
  case BinaryKind::LessEqual:
    return a <= b;
  case BinaryKind::Greater:
    return a > b;
  case BinaryKind::GreaterEqual:
    return a >= b;
  case BinaryKind::And:
  case BinaryKind::Or:
  case BinaryKind::Xor:
    break; // Rejected before.
  }
  return NAN;
}

/// Integer kinds on exact values; b is non-zero for Div/Mod/FMod and a
/// non-negative exponent for Pow (checked before the loop).
__int128 evalBinaryI(BinaryKind k, __int128 a, __int128 b) {
  switch (k) {
  case BinaryKind::Add:
    return a + b;
  case BinaryKind::Sub:
    return a - b;
  case BinaryKind::Mul:
    return mulWrap(a, b);
  case BinaryKind::Div:
    return a / b; // Truncates toward zero.
  case BinaryKind::Pow:
    return powWrap(a, static_cast<uint64_t>(b));
  case BinaryKind::Max:
    return a < b ? b : a;
  case BinaryKind::Min:
    return b < a ? b : a;
  case BinaryKind::Mod: {
    __int128 r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
      r += b;
    return r;
  }
  case BinaryKind::FMod:
    return a % b; // The dividend's sign.
  case BinaryKind::PRelu:
    return a < 0 ? mulWrap(b, a) : a;
  case BinaryKind::And:
    return (a != 0) && (b != 0);
  case BinaryKind::Or:
    return (a != 0) || (b != 0);
  case BinaryKind::Xor:
    return (a != 0) != (b != 0);
  case BinaryKind::Equal:
    return a == b;
  case BinaryKind::Less:
    return a < b;
  case BinaryKind::LessEqual:
    return a <= b;
  case BinaryKind::Greater:
    return a > b;
  case BinaryKind::GreaterEqual:
    return a >= b;
  }
  return 0;
}

bool isComparison(BinaryKind k) {
  return k == BinaryKind::Equal || k == BinaryKind::Less ||
         k == BinaryKind::LessEqual || k == BinaryKind::Greater ||
         k == BinaryKind::GreaterEqual;
}

bool isLogical(BinaryKind k) {
  return k == BinaryKind::And || k == BinaryKind::Or || k == BinaryKind::Xor;
}

/// The exponent of an integer Pow as an unsigned integer, or an error.
std::optional<std::string> checkIntExponents(const Tensor &b, const char *op) {
  for (int64_t i = 0, e = b.numel(); i < e; ++i) {
    if (b.isFloat()) {
      double v = b.floats()[i];
      if (!(v >= 0) || v != std::trunc(v) || v >= 9223372036854775808.0)
        return str(op, ": integer base needs non-negative integral exponents, ",
                   "got ", v, " at element ", i, " of ", b.typeString());
      continue;
    }
    if (wideInt(b.dtype(), b.ints()[i]) < 0)
      return str(op, ": negative exponent ", b.ints()[i], " at element ", i,
                 " of ", b.typeString(), " for an integer base");
  }
  return std::nullopt;
}

} // namespace

//===----------------------------------------------------------------------===//
// unary
//===----------------------------------------------------------------------===//

Result<Tensor> unary(UnaryKind kind, const Tensor &x, UnaryParams params) {
  const char *op = unaryName(kind);
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  int64_t n = x.numel();
  if (kind == UnaryKind::Not) {
    if (x.dtype() != DType::Bool)
      return unsupported(op, x);
    Tensor y(DType::Bool, x.shape());
    for (int64_t i = 0; i < n; ++i)
      y.ints()[i] = x.ints()[i] == 0;
    return y;
  }
  if (x.dtype() == DType::Bool) {
    if (kind == UnaryKind::Identity)
      return x;
    return unsupported(op, x);
  }
  if (x.isFloat()) {
    Tensor y(x.dtype(), x.shape());
    const double *in = x.floats().data();
    for (int64_t i = 0; i < n; ++i)
      y.setF(i, evalUnaryF(kind, in[i], params));
    return y;
  }

  // Integers: only the kinds that are exact on integers.
  DType t = x.dtype();
  __int128 lo = intClipBound(params.alpha, /*isLower=*/true);
  __int128 hi = intClipBound(params.beta, /*isLower=*/false);
  switch (kind) {
  case UnaryKind::Identity:
  case UnaryKind::Relu:
  case UnaryKind::Neg:
  case UnaryKind::Abs:
  case UnaryKind::Sign:
  case UnaryKind::Clip:
    break;
  default:
    return unsupported(op, x);
  }
  Tensor y(t, x.shape());
  const int64_t *in = x.ints().data();
  for (int64_t i = 0; i < n; ++i) {
    __int128 v = wideInt(t, in[i]), r = v;
    switch (kind) {
    case UnaryKind::Relu:
      r = v < 0 ? 0 : v;
      break;
    case UnaryKind::Neg:
      r = -v;
      break;
    case UnaryKind::Abs:
      r = v < 0 ? -v : v;
      break;
    case UnaryKind::Sign:
      r = (v > 0) - (v < 0);
      break;
    case UnaryKind::Clip: {
      __int128 c = v < lo ? lo : v;
      r = c > hi ? hi : c;
      break;
    }
    default:
      break;
    }
    storeWide(y, i, r);
  }
  return y;
}

//===----------------------------------------------------------------------===//
// binary
//===----------------------------------------------------------------------===//

std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return std::nullopt;
  }
  return out;
}

Result<Tensor> binary(BinaryKind kind, const Tensor &a, const Tensor &b) {
  const char *op = binaryName(kind);
  if (std::optional<Failure> err = malformed(op, {{&a, "a"}, {&b, "b"}}))
    return *err;
  if (kind != BinaryKind::Pow && a.dtype() != b.dtype())
    return fail(op, ": operands must have the same element type, got ",
                a.typeString(), " and ", b.typeString());
  std::optional<Shape> shape = broadcastShapes(a.shape(), b.shape());
  if (!shape)
    return fail(op, ": shapes of ", a.typeString(), " and ", b.typeString(),
                " are not broadcast-compatible");
  if (kind == BinaryKind::PRelu && *shape != a.shape())
    return fail(op, ": slope ", b.typeString(), " must broadcast to x ",
                a.typeString(), " (the broadcast shape is ", *shape, ")");

  bool logical = isLogical(kind), comparison = isComparison(kind);
  if (logical && a.dtype() != DType::Bool)
    return unsupported(op, a, "a");
  if (!logical && !comparison && a.dtype() == DType::Bool)
    return unsupported(op, a, "a");
  if (kind == BinaryKind::Pow && b.dtype() == DType::Bool)
    return unsupported(op, b, "exponent");

  Tensor y(comparison ? DType::Bool : a.dtype(), *shape);
  std::array<Shape, 2> strides = {broadcastStrides(a.shape(), *shape),
                                  broadcastStrides(b.shape(), *shape)};

  if (a.isFloat()) {
    // Pow may have an integer exponent: read it as double.
    Tensor bF = b.isFloat() ? Tensor() : *cast(b, DType::F64);
    const double *pa = a.floats().data();
    const double *pb = b.isFloat() ? b.floats().data() : bF.floats().data();
    forEachOffset(*shape, strides, [&](int64_t i, const auto &off) {
      y.setF(i, evalBinaryF(kind, pa[off[0]], pb[off[1]]));
    });
    return y;
  }

  // Integer and Bool operands.
  if (y.numel() > 0) { // Every element of b is read at least once.
    if (kind == BinaryKind::Div || kind == BinaryKind::Mod ||
        kind == BinaryKind::FMod) {
      for (int64_t i = 0, e = b.numel(); i < e; ++i)
        if (b.ints()[i] == 0)
          return fail(op, ": integer division by zero (element ", i,
                      " of divisor ", b.typeString(), ")");
    }
    if (kind == BinaryKind::Pow)
      if (std::optional<std::string> err = checkIntExponents(b, op))
        return fail(*err);
  }
  DType ta = a.dtype(), tb = b.dtype();
  const int64_t *pa = a.ints().data();
  forEachOffset(*shape, strides, [&](int64_t i, const auto &off) {
    __int128 vb = b.isFloat() ? static_cast<__int128>(b.floats()[off[1]])
                              : wideInt(tb, b.ints()[off[1]]);
    storeWide(y, i, evalBinaryI(kind, wideInt(ta, pa[off[0]]), vb));
  });
  return y;
}

//===----------------------------------------------------------------------===//
// where, cast
//===----------------------------------------------------------------------===//

Result<Tensor> where(const Tensor &cond, const Tensor &x, const Tensor &y) {
  if (std::optional<Failure> err =
          malformed("Where", {{&cond, "cond"}, {&x, "x"}, {&y, "y"}}))
    return *err;
  if (cond.dtype() != DType::Bool)
    return fail("Where: cond must be bool, got ", cond.typeString());
  if (x.dtype() != y.dtype())
    return fail("Where: x and y must have the same element type, got ",
                x.typeString(), " and ", y.typeString());
  std::optional<Shape> cx = broadcastShapes(cond.shape(), x.shape());
  std::optional<Shape> shape =
      cx ? broadcastShapes(*cx, y.shape()) : std::nullopt;
  if (!shape)
    return fail("Where: shapes of cond ", cond.typeString(), ", x ",
                x.typeString(), " and y ", y.typeString(),
                " are not broadcast-compatible");
  Tensor out(x.dtype(), *shape);
  std::array<Shape, 3> strides = {broadcastStrides(cond.shape(), *shape),
                                  broadcastStrides(x.shape(), *shape),
                                  broadcastStrides(y.shape(), *shape)};
  const int64_t *pc = cond.ints().data();
  auto select = [&](auto *dst, const auto *px, const auto *py) {
    forEachOffset(*shape, strides, [&](int64_t i, const auto &off) {
      dst[i] = pc[off[0]] ? px[off[1]] : py[off[2]];
    });
  };
  if (x.isFloat())
    select(out.floats().data(), x.floats().data(), y.floats().data());
  else
    select(out.ints().data(), x.ints().data(), y.ints().data());
  return out;
}

Result<Tensor> cast(const Tensor &x, DType to) {
  if (std::optional<Failure> err = malformed("Cast", {{&x, "x"}}))
    return *err;
  Tensor y(to, x.shape());
  int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (to == DType::Bool) {
      // != 0, so NaN is true (numpy); saturateToInt would give false.
      y.ints()[i] = x.isFloat() ? x.floats()[i] != 0.0 : x.ints()[i] != 0;
    } else if (isFloat(to)) {
      if (to == DType::F32 && !x.isFloat()) {
        // One rounding from the exact integer, even above 2^53.
        y.floats()[i] =
            x.dtype() == DType::U64
                ? static_cast<float>(static_cast<uint64_t>(x.ints()[i]))
                : static_cast<float>(x.ints()[i]);
      } else {
        y.setF(i, loadF(x, i));
      }
    } else if (x.isFloat()) {
      y.setF(i, x.floats()[i]); // Truncates and saturates.
    } else {
      y.setI(i, x.ints()[i]); // Wraps (the bit pattern for U64).
    }
  }
  return y;
}

} // namespace tessel::ref
