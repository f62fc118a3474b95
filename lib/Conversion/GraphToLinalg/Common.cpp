//===- Common.cpp - Scalar semantics and helpers of the lowering ----------===//
//
// The scalar formulas here mirror the reference kernels (lib/Reference):
// the CPU path must compute what the oracle computes.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
using ref::BinaryKind;
using ref::UnaryKind;

GraphTypeConverter::GraphTypeConverter() {
  addConversion([](Type t) { return t; });
  addConversion([](RankedTensorType t) -> Type {
    return t.clone(signless(t.getElementType()));
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs)
        .getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

Type lowering::signless(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return IntegerType::get(t.getContext(), q.getStorageTypeIntegralWidth());
  if (auto it = dyn_cast<IntegerType>(t))
    if (!it.isSignless())
      return IntegerType::get(t.getContext(), it.getWidth());
  return t;
}

Type lowering::storageElementType(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return IntegerType::get(t.getContext(), q.getStorageTypeIntegralWidth(),
                            q.isSigned() ? IntegerType::Signless
                                         : IntegerType::Unsigned);
  return t;
}

RankedTensorType lowering::loweredType(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return rt.clone(signless(rt.getElementType()));
}

RankedTensorType lowering::loweredType(Value v) {
  return loweredType(v.getType());
}

AffineMap lowering::broadcastMap(MLIRContext *ctx, int64_t outRank,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> outShape) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = outRank - static_cast<int64_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t outDim = offset + i;
    if (shape[i] == 1 && outShape[outDim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(outDim, ctx));
  }
  return AffineMap::get(outRank, 0, exprs, ctx);
}

Value lowering::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value lowering::filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                             Value value) {
  return linalg::FillOp::create(b, loc, value, emptyTensor(b, loc, type))
      .getResult(0);
}

Value lowering::scalarConstant(OpBuilder &b, Location loc, Type type,
                               double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  auto it = cast<IntegerType>(signless(type));
  if (it.getWidth() == 1)
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(value != 0));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(it, static_cast<int64_t>(value)));
}

Value lowering::lowestValue(OpBuilder &b, Location loc, Type type,
                            bool isUnsignedType) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), true)));
  unsigned w = type.getIntOrFloatBitWidth();
  APInt v = isUnsignedType ? APInt::getMinValue(w) : APInt::getSignedMinValue(w);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(signless(type), v));
}

Value lowering::highestValue(OpBuilder &b, Location loc, Type type,
                             bool isUnsignedType) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), false)));
  unsigned w = type.getIntOrFloatBitWidth();
  APInt v = isUnsignedType ? APInt::getMaxValue(w) : APInt::getSignedMaxValue(w);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(signless(type), v));
}

Value lowering::reductionInit(OpBuilder &b, Location loc, ref::ReduceKind kind,
                              Type type, bool isUnsignedType) {
  switch (kind) {
  case ref::ReduceKind::Max:
    return lowestValue(b, loc, type, isUnsignedType);
  case ref::ReduceKind::Min:
    return highestValue(b, loc, type, isUnsignedType);
  case ref::ReduceKind::Prod:
    return scalarConstant(b, loc, type, 1.0);
  default:
    return scalarConstant(b, loc, type, 0.0);
  }
}

//===----------------------------------------------------------------------===//
// Scalar semantics
//===----------------------------------------------------------------------===//

namespace {

/// Half-precision floats compute in f32 (as the reference rounds per op).
struct FloatScope {
  OpBuilder &b;
  Location loc;
  Type type;     ///< The element type.
  Type compute;  ///< The type arithmetic happens in.
  FloatScope(OpBuilder &b, Location loc, Type type)
      : b(b), loc(loc), type(type), compute(type) {
    if (type.isF16() || type.isBF16())
      compute = b.getF32Type();
  }
  Value in(Value v) {
    return compute == type ? v : arith::ExtFOp::create(b, loc, compute, v);
  }
  Value out(Value v) {
    return compute == type ? v : arith::TruncFOp::create(b, loc, type, v);
  }
  Value c(double v) { return scalarConstant(b, loc, compute, v); }
};

} // namespace

Value lowering::emitUnary(OpBuilder &b, Location loc, UnaryKind kind,
                          ref::UnaryParams p, Value x, Type type) {
  if (!isa<FloatType>(type)) {
    bool u = isUnsigned(type);
    Type st = signless(type);
    Value zero = scalarConstant(b, loc, st, 0);
    switch (kind) {
    case UnaryKind::Identity:
      return x;
    case UnaryKind::Relu:
      return u ? x : arith::MaxSIOp::create(b, loc, x, zero);
    case UnaryKind::Neg:
      return arith::SubIOp::create(b, loc, zero, x);
    case UnaryKind::Abs:
      return u ? x : math::AbsIOp::create(b, loc, x);
    case UnaryKind::Sign: {
      Value one = scalarConstant(b, loc, st, 1);
      if (u) {
        Value nz = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                         zero);
        return arith::SelectOp::create(b, loc, nz, one, zero);
      }
      Value gt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x,
                                       zero);
      Value lt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x,
                                       zero);
      Value m1 = scalarConstant(b, loc, st, -1);
      return arith::SelectOp::create(
          b, loc, gt, one, arith::SelectOp::create(b, loc, lt, m1, zero));
    }
    case UnaryKind::Not:
      return arith::XOrIOp::create(b, loc, x, scalarConstant(b, loc, st, 1));
    case UnaryKind::Clip: {
      // Integer bounds round half away from zero (as the reference).
      Value v = x;
      if (!std::isinf(p.alpha)) {
        Value lo = scalarConstant(b, loc, st, std::round(p.alpha));
        v = u ? arith::MaxUIOp::create(b, loc, v, lo).getResult()
              : arith::MaxSIOp::create(b, loc, v, lo).getResult();
      }
      if (!std::isinf(p.beta)) {
        Value hi = scalarConstant(b, loc, st, std::round(p.beta));
        v = u ? arith::MinUIOp::create(b, loc, v, hi).getResult()
              : arith::MinSIOp::create(b, loc, v, hi).getResult();
      }
      return v;
    }
    default:
      // The verifier/reference reject the other kinds on integers; keep the
      // value (unreachable for verified IR).
      return x;
    }
  }
  FloatScope f(b, loc, type);
  Value v = f.in(x);
  Value r;
  auto exp = [&](Value a) { return math::ExpOp::create(b, loc, a); };
  auto neg = [&](Value a) { return arith::NegFOp::create(b, loc, a); };
  auto mul = [&](Value a, Value c) { return arith::MulFOp::create(b, loc, a, c); };
  auto add = [&](Value a, Value c) { return arith::AddFOp::create(b, loc, a, c); };
  auto sub = [&](Value a, Value c) { return arith::SubFOp::create(b, loc, a, c); };
  auto div = [&](Value a, Value c) { return arith::DivFOp::create(b, loc, a, c); };
  auto maxf = [&](Value a, Value c) {
    return arith::MaximumFOp::create(b, loc, a, c);
  };
  auto minf = [&](Value a, Value c) {
    return arith::MinimumFOp::create(b, loc, a, c);
  };
  auto lt0 = [&](Value a) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a, f.c(0));
  };
  auto softplus = [&](Value a) {
    // max(a, 0) + log1p(exp(-|a|)): exact in the tails.
    Value absA = math::AbsFOp::create(b, loc, a);
    return add(maxf(a, f.c(0)),
               math::Log1pOp::create(b, loc, exp(neg(absA))));
  };
  switch (kind) {
  case UnaryKind::Identity:
    r = v;
    break;
  case UnaryKind::Relu:
    r = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, v, f.c(0)),
        v, f.c(0));
    break;
  case UnaryKind::Sigmoid:
    r = div(f.c(1), add(f.c(1), exp(neg(v))));
    break;
  case UnaryKind::Tanh:
    r = math::TanhOp::create(b, loc, v);
    break;
  case UnaryKind::Erf:
    r = math::ErfOp::create(b, loc, v);
    break;
  case UnaryKind::Exp:
    r = exp(v);
    break;
  case UnaryKind::Log:
    r = math::LogOp::create(b, loc, v);
    break;
  case UnaryKind::Sqrt:
    r = math::SqrtOp::create(b, loc, v);
    break;
  case UnaryKind::Reciprocal:
    r = div(f.c(1), v);
    break;
  case UnaryKind::Neg:
    r = neg(v);
    break;
  case UnaryKind::Abs:
    r = math::AbsFOp::create(b, loc, v);
    break;
  case UnaryKind::Floor:
    r = math::FloorOp::create(b, loc, v);
    break;
  case UnaryKind::Ceil:
    r = math::CeilOp::create(b, loc, v);
    break;
  case UnaryKind::Round:
    r = math::RoundEvenOp::create(b, loc, v);
    break;
  case UnaryKind::Sign: {
    Value gt =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, f.c(0));
    r = arith::SelectOp::create(
        b, loc, gt, f.c(1),
        arith::SelectOp::create(b, loc, lt0(v), f.c(-1), f.c(0)));
    // NaN stays NaN.
    Value isNan =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
    r = arith::SelectOp::create(b, loc, isNan, v, r);
    break;
  }
  case UnaryKind::Sin:
    r = math::SinOp::create(b, loc, v);
    break;
  case UnaryKind::Cos:
    r = math::CosOp::create(b, loc, v);
    break;
  case UnaryKind::Softplus:
    r = softplus(v);
    break;
  case UnaryKind::Softsign:
    r = div(v, add(f.c(1), math::AbsFOp::create(b, loc, v)));
    break;
  case UnaryKind::HardSwish:
    r = mul(v, maxf(f.c(0), minf(f.c(1), add(mul(v, f.c(1.0 / 6)),
                                              f.c(0.5)))));
    break;
  case UnaryKind::Gelu:
    r = mul(mul(f.c(0.5), v),
            add(f.c(1), math::ErfOp::create(b, loc,
                                            mul(v, f.c(M_SQRT1_2)))));
    break;
  case UnaryKind::GeluTanh: {
    Value inner = mul(f.c(std::sqrt(2.0 / M_PI)),
                      add(v, mul(f.c(0.044715), mul(v, mul(v, v)))));
    r = mul(mul(f.c(0.5), v), add(f.c(1), math::TanhOp::create(b, loc, inner)));
    break;
  }
  case UnaryKind::Elu:
  case UnaryKind::Selu: {
    Value negPart = mul(f.c(p.alpha), sub(exp(v), f.c(1)));
    r = arith::SelectOp::create(b, loc, lt0(v), negPart, v);
    if (kind == UnaryKind::Selu)
      r = mul(f.c(p.beta), r);
    break;
  }
  case UnaryKind::LeakyRelu:
    r = arith::SelectOp::create(b, loc, lt0(v), mul(f.c(p.alpha), v), v);
    break;
  case UnaryKind::HardSigmoid:
    r = maxf(f.c(0), minf(f.c(1), add(mul(f.c(p.alpha), v), f.c(p.beta))));
    break;
  case UnaryKind::Clip:
    r = v;
    if (!std::isinf(p.alpha))
      r = maxf(r, f.c(p.alpha));
    if (!std::isinf(p.beta))
      r = minf(r, f.c(p.beta));
    break;
  case UnaryKind::Mish:
    r = mul(v, math::TanhOp::create(b, loc, softplus(v)));
    break;
  case UnaryKind::Not:
    r = v;
    break;
  }
  return f.out(r);
}

Value lowering::emitBinary(OpBuilder &b, Location loc, BinaryKind kind,
                           Value lhs, Value rhs, Type type, Type rhsType) {
  using P = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  if (isa<FloatType>(type)) {
    FloatScope f(b, loc, type);
    Value l = f.in(lhs);
    Value r = rhs;
    if (kind == BinaryKind::Pow && !isa<FloatType>(rhsType))
      r = isUnsigned(rhsType)
              ? arith::UIToFPOp::create(b, loc, f.compute, rhs).getResult()
              : arith::SIToFPOp::create(b, loc, f.compute, rhs).getResult();
    else if (kind == BinaryKind::Pow && rhsType != type)
      r = rhsType.getIntOrFloatBitWidth() < f.compute.getIntOrFloatBitWidth()
              ? arith::ExtFOp::create(b, loc, f.compute, rhs).getResult()
              : arith::TruncFOp::create(b, loc, f.compute, rhs).getResult();
    else
      r = f.in(rhs);
    auto cmp = [&](P p) {
      return arith::CmpFOp::create(b, loc, p, l, r).getResult();
    };
    switch (kind) {
    case BinaryKind::Add:
      return f.out(arith::AddFOp::create(b, loc, l, r));
    case BinaryKind::Sub:
      return f.out(arith::SubFOp::create(b, loc, l, r));
    case BinaryKind::Mul:
      return f.out(arith::MulFOp::create(b, loc, l, r));
    case BinaryKind::Div:
      return f.out(arith::DivFOp::create(b, loc, l, r));
    case BinaryKind::Pow:
      return f.out(math::PowFOp::create(b, loc, l, r));
    case BinaryKind::Max:
      return f.out(arith::MaximumFOp::create(b, loc, l, r));
    case BinaryKind::Min:
      return f.out(arith::MinimumFOp::create(b, loc, l, r));
    case BinaryKind::FMod:
      return f.out(arith::RemFOp::create(b, loc, l, r));
    case BinaryKind::Mod: {
      // The divisor's sign (ONNX opset 28; Python's %): fmod, then a zero
      // takes b's sign and a remainder of the other sign moves by b.
      Value rem = arith::RemFOp::create(b, loc, l, r);
      Value zero = f.c(0);
      Value isZero = arith::CmpFOp::create(b, loc, P::OEQ, rem, zero);
      Value signedZero = math::CopySignOp::create(b, loc, zero, r);
      Value remNeg = arith::CmpFOp::create(b, loc, P::OLT, rem, zero);
      Value rNeg = arith::CmpFOp::create(b, loc, P::OLT, r, zero);
      Value differ = arith::XOrIOp::create(b, loc, remNeg, rNeg);
      Value moved = arith::SelectOp::create(
          b, loc, differ, arith::AddFOp::create(b, loc, rem, r), rem);
      return f.out(arith::SelectOp::create(b, loc, isZero, signedZero, moved));
    }
    case BinaryKind::PRelu: {
      Value neg = arith::CmpFOp::create(b, loc, P::OLT, l, f.c(0));
      return f.out(arith::SelectOp::create(
          b, loc, neg, arith::MulFOp::create(b, loc, l, r), l));
    }
    case BinaryKind::Equal:
      return cmp(P::OEQ);
    case BinaryKind::Less:
      return cmp(P::OLT);
    case BinaryKind::LessEqual:
      return cmp(P::OLE);
    case BinaryKind::Greater:
      return cmp(P::OGT);
    case BinaryKind::GreaterEqual:
      return cmp(P::OGE);
    default:
      return lhs;
    }
  }
  bool u = isUnsigned(type);
  auto cmp = [&](IP s, IP us) {
    return arith::CmpIOp::create(b, loc, u ? us : s, lhs, rhs).getResult();
  };
  Type st = signless(type);
  switch (kind) {
  case BinaryKind::Add:
    return arith::AddIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Sub:
    return arith::SubIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Mul:
    return arith::MulIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Div:
    return u ? arith::DivUIOp::create(b, loc, lhs, rhs).getResult()
             : arith::DivSIOp::create(b, loc, lhs, rhs).getResult();
  case BinaryKind::Pow: {
    Value e = rhs;
    if (!isa<IntegerType>(rhsType))
      e = arith::FPToSIOp::create(b, loc, st, rhs);
    else if (rhsType.getIntOrFloatBitWidth() != st.getIntOrFloatBitWidth())
      e = rhsType.getIntOrFloatBitWidth() < st.getIntOrFloatBitWidth()
              ? arith::ExtSIOp::create(b, loc, st, e).getResult()
              : arith::TruncIOp::create(b, loc, st, e).getResult();
    return math::IPowIOp::create(b, loc, lhs, e);
  }
  case BinaryKind::Max:
    return u ? arith::MaxUIOp::create(b, loc, lhs, rhs).getResult()
             : arith::MaxSIOp::create(b, loc, lhs, rhs).getResult();
  case BinaryKind::Min:
    return u ? arith::MinUIOp::create(b, loc, lhs, rhs).getResult()
             : arith::MinSIOp::create(b, loc, lhs, rhs).getResult();
  case BinaryKind::FMod:
    return u ? arith::RemUIOp::create(b, loc, lhs, rhs).getResult()
             : arith::RemSIOp::create(b, loc, lhs, rhs).getResult();
  case BinaryKind::Mod: {
    if (u)
      return arith::RemUIOp::create(b, loc, lhs, rhs);
    // The result takes the divisor's sign.
    Value rem = arith::RemSIOp::create(b, loc, lhs, rhs);
    Value zero = scalarConstant(b, loc, st, 0);
    Value nz = arith::CmpIOp::create(b, loc, IP::ne, rem, zero);
    Value remNeg = arith::CmpIOp::create(b, loc, IP::slt, rem, zero);
    Value rhsNeg = arith::CmpIOp::create(b, loc, IP::slt, rhs, zero);
    Value differ = arith::XOrIOp::create(b, loc, remNeg, rhsNeg);
    Value fix = arith::AndIOp::create(b, loc, nz, differ);
    return arith::SelectOp::create(b, loc, fix,
                                   arith::AddIOp::create(b, loc, rem, rhs), rem);
  }
  case BinaryKind::PRelu: {
    if (u)
      return lhs;
    Value zero = scalarConstant(b, loc, st, 0);
    Value neg = arith::CmpIOp::create(b, loc, IP::slt, lhs, zero);
    return arith::SelectOp::create(b, loc, neg,
                                   arith::MulIOp::create(b, loc, lhs, rhs),
                                   lhs);
  }
  case BinaryKind::And:
    return arith::AndIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Or:
    return arith::OrIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Xor:
    return arith::XOrIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Equal:
    return cmp(IP::eq, IP::eq);
  case BinaryKind::Less:
    return cmp(IP::slt, IP::ult);
  case BinaryKind::LessEqual:
    return cmp(IP::sle, IP::ule);
  case BinaryKind::Greater:
    return cmp(IP::sgt, IP::ugt);
  case BinaryKind::GreaterEqual:
    return cmp(IP::sge, IP::uge);
  }
  return lhs;
}

Value lowering::emitCast(OpBuilder &b, Location loc, Value x, Type from,
                         Type to) {
  Type sFrom = signless(from), sTo = signless(to);
  if (from == to)
    return x;
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (sTo.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   scalarConstant(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 scalarConstant(b, loc, sFrom, 0));
  }
  if (fromFloat && toFloat) {
    unsigned wf = from.getIntOrFloatBitWidth(), wt = to.getIntOrFloatBitWidth();
    if (wf < wt || (wf == wt && from.isBF16()))
      return wf == wt ? arith::TruncFOp::create(
                            b, loc, to, arith::ExtFOp::create(b, loc, b.getF32Type(), x))
                            .getResult()
                      : arith::ExtFOp::create(b, loc, to, x).getResult();
    if (wf == wt) // f16 -> bf16
      return arith::TruncFOp::create(
          b, loc, to, arith::ExtFOp::create(b, loc, b.getF32Type(), x));
    return arith::TruncFOp::create(b, loc, to, x);
  }
  if (!fromFloat && toFloat) {
    if (sFrom.isInteger(1) || isUnsigned(from))
      return arith::UIToFPOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
  if (fromFloat && !toFloat) {
    // Truncate toward zero, saturating at the bounds; NaN becomes 0 (the
    // reference's rule). Computed in f64 for exact bounds.
    Type f64 = b.getF64Type();
    Value v = from.isF64() ? x : arith::ExtFOp::create(b, loc, f64, x);
    bool u = isUnsigned(to);
    unsigned w = to.getIntOrFloatBitWidth();
    double lo = u ? 0.0 : -std::ldexp(1.0, w - 1);
    double hi = u ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
    if (w == 64) // Avoid rounding hi up past the range.
      hi = u ? 18446744073709549568.0 : 9223372036854774784.0;
    Value c = arith::MaximumFOp::create(b, loc, v, scalarConstant(b, loc, f64, lo));
    c = arith::MinimumFOp::create(b, loc, c, scalarConstant(b, loc, f64, hi));
    Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
    c = arith::SelectOp::create(b, loc, isNan, scalarConstant(b, loc, f64, 0), c);
    return u ? arith::FPToUIOp::create(b, loc, sTo, c).getResult()
             : arith::FPToSIOp::create(b, loc, sTo, c).getResult();
  }
  // Integer to integer: wrap (truncate) or extend by the source signedness.
  unsigned wf = sFrom.getIntOrFloatBitWidth(), wt = sTo.getIntOrFloatBitWidth();
  if (wf == wt)
    return x;
  if (wf > wt)
    return arith::TruncIOp::create(b, loc, sTo, x);
  if (isUnsigned(from) || sFrom.isInteger(1))
    return arith::ExtUIOp::create(b, loc, sTo, x);
  return arith::ExtSIOp::create(b, loc, sTo, x);
}

Value lowering::emitActivation(OpBuilder &b, Location loc,
                               graph::ActivationAttr act, Value x, Type type) {
  if (!act)
    return x;
  auto [kind, params] = graph::activationKernel(act);
  return emitUnary(b, loc, kind, params, x, type);
}

Value lowering::elementwise(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(ctx, rank,
                                cast<RankedTensorType>(in.getType()).getShape(),
                                resultType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs,
      ValueRange{emptyTensor(b, loc, resultType)}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

Value lowering::reshapeTensor(OpBuilder &b, Location loc, Value v,
                              RankedTensorType to) {
  auto from = cast<RankedTensorType>(v.getType());
  if (from.getShape() == to.getShape())
    return v;
  // Collapse to 1-D (or to a scalar), then expand.
  Value flat = v;
  if (from.getRank() != 1) {
    SmallVector<ReassociationIndices> all;
    if (from.getRank() > 0) {
      ReassociationIndices idx;
      for (int64_t i = 0; i < from.getRank(); ++i)
        idx.push_back(i);
      all.push_back(idx);
    }
    auto flatType = from.getRank() == 0
                        ? RankedTensorType::get({1}, from.getElementType())
                        : RankedTensorType::get({from.getNumElements()},
                                                from.getElementType());
    flat = from.getRank() == 0
               ? tensor::ExpandShapeOp::create(
                     b, loc, flatType, v, SmallVector<ReassociationIndices>{})
                     .getResult()
               : tensor::CollapseShapeOp::create(b, loc, flatType, v, all)
                     .getResult();
  }
  if (to.getRank() == 1)
    return flat;
  if (to.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, to, flat,
                                           SmallVector<ReassociationIndices>{});
  ReassociationIndices idx;
  for (int64_t i = 0; i < to.getRank(); ++i)
    idx.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, to, flat,
                                       SmallVector<ReassociationIndices>{idx});
}
