//===- Elementwise.cpp - Lowering of elementwise graph ops ----------------===//
//
// Unary, binary, where and cast ops become one linalg.generic each, with
// numpy broadcasting expressed in the indexing maps. Producer/consumer
// fusion later merges chains of them.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;
using ref::BinaryKind;
using ref::UnaryKind;

namespace {

template <typename OpTy>
struct UnaryLowering : OpConversionPattern<OpTy> {
  UnaryLowering(const TypeConverter &tc, MLIRContext *ctx, UnaryKind kind)
      : OpConversionPattern<OpTy>(tc, ctx), kind(kind) {}

  /// Parameters of the op (alpha, beta...), by op type.
  static ref::UnaryParams params(OpTy op) {
    if constexpr (std::is_same_v<OpTy, g::LeakyReluOp> ||
                  std::is_same_v<OpTy, g::EluOp>)
      return {op.getAlpha().convertToDouble(), 0.0};
    else if constexpr (std::is_same_v<OpTy, g::SeluOp>)
      return {op.getAlpha().convertToDouble(), op.getGamma().convertToDouble()};
    else if constexpr (std::is_same_v<OpTy, g::HardSigmoidOp>)
      return {op.getAlpha().convertToDouble(), op.getBeta().convertToDouble()};
    else if constexpr (std::is_same_v<OpTy, g::ClipOp>)
      return {op.getMin() ? op.getMin()->convertToDouble()
                          : -std::numeric_limits<double>::infinity(),
              op.getMax() ? op.getMax()->convertToDouble()
                          : std::numeric_limits<double>::infinity()};
    else
      return {};
  }

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "quantized types");
    UnaryKind k = kind;
    if constexpr (std::is_same_v<OpTy, g::GeluOp>)
      k = op.getApproximateTanh() ? UnaryKind::GeluTanh : UnaryKind::Gelu;
    Type type = op.getInput().getType().getElementType();
    ref::UnaryParams p = params(op);
    Value r = elementwise(
        rewriter, op.getLoc(), loweredType(op.getOutput()),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return emitUnary(b, loc, k, p, args[0], type);
        });
    rewriter.replaceOp(op, r);
    return success();
  }

  UnaryKind kind;
};

template <typename OpTy>
struct BinaryLowering : OpConversionPattern<OpTy> {
  BinaryLowering(const TypeConverter &tc, MLIRContext *ctx, BinaryKind kind)
      : OpConversionPattern<OpTy>(tc, ctx), kind(kind) {}
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (g::hasQuantizedTypes(op))
      return rewriter.notifyMatchFailure(op, "quantized types");
    BinaryKind k = kind;
    if constexpr (std::is_same_v<OpTy, g::ModOp>)
      k = op.getFmod() ? BinaryKind::FMod : BinaryKind::Mod;
    Type type = op.getLhs().getType().getElementType();
    Type rhsType = op.getRhs().getType().getElementType();
    // graph.add may carry a fused activation, applied after the sum.
    g::ActivationAttr act;
    if constexpr (std::is_same_v<OpTy, g::AddOp>)
      act = op.getActivationAttr();
    Value r = elementwise(
        rewriter, op.getLoc(), loweredType(op.getOutput()),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = emitBinary(b, loc, k, args[0], args[1], type, rhsType);
          return emitActivation(b, loc, act, v, type);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
  BinaryKind kind;
};

struct WhereLowering : OpConversionPattern<g::WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value r = elementwise(rewriter, op.getLoc(), loweredType(op.getOutput()),
                          adaptor.getOperands(),
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return arith::SelectOp::create(b, loc, args[0],
                                                           args[1], args[2]);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct CastLowering : OpConversionPattern<g::CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type from = op.getInput().getType().getElementType();
    Type to = op.getOutput().getType().getElementType();
    Value r = elementwise(rewriter, op.getLoc(), loweredType(op.getOutput()),
                          adaptor.getOperands(),
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return emitCast(b, loc, args[0], from, to);
                          });
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void lowering::populateElementwisePatterns(GraphTypeConverter &tc,
                                           RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
#define UNARY(Op, Kind)                                                        \
  patterns.add<UnaryLowering<g::Op>>(tc, ctx, UnaryKind::Kind);
  UNARY(ReluOp, Relu)
  UNARY(SigmoidOp, Sigmoid)
  UNARY(TanhOp, Tanh)
  UNARY(ErfOp, Erf)
  UNARY(ExpOp, Exp)
  UNARY(LogOp, Log)
  UNARY(SqrtOp, Sqrt)
  UNARY(ReciprocalOp, Reciprocal)
  UNARY(NegOp, Neg)
  UNARY(AbsOp, Abs)
  UNARY(FloorOp, Floor)
  UNARY(CeilOp, Ceil)
  UNARY(RoundOp, Round)
  UNARY(SignOp, Sign)
  UNARY(NotOp, Not)
  UNARY(SinOp, Sin)
  UNARY(CosOp, Cos)
  UNARY(SoftplusOp, Softplus)
  UNARY(SoftsignOp, Softsign)
  UNARY(HardSwishOp, HardSwish)
  UNARY(MishOp, Mish)
  UNARY(GeluOp, Gelu)
  UNARY(LeakyReluOp, LeakyRelu)
  UNARY(EluOp, Elu)
  UNARY(SeluOp, Selu)
  UNARY(HardSigmoidOp, HardSigmoid)
  UNARY(ClipOp, Clip)
#undef UNARY
#define BINARY(Op, Kind)                                                       \
  patterns.add<BinaryLowering<g::Op>>(tc, ctx, BinaryKind::Kind);
  BINARY(AddOp, Add)
  BINARY(SubOp, Sub)
  BINARY(MulOp, Mul)
  BINARY(DivOp, Div)
  BINARY(PowOp, Pow)
  BINARY(MaxOp, Max)
  BINARY(MinOp, Min)
  BINARY(ModOp, Mod)
  BINARY(PReluOp, PRelu)
  BINARY(AndOp, And)
  BINARY(OrOp, Or)
  BINARY(XorOp, Xor)
  BINARY(EqualOp, Equal)
  BINARY(LessOp, Less)
  BINARY(LessEqualOp, LessEqual)
  BINARY(GreaterOp, Greater)
  BINARY(GreaterEqualOp, GreaterEqual)
#undef BINARY
  patterns.add<WhereLowering, CastLowering>(tc, ctx);
}
