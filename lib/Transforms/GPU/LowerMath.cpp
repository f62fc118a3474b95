//===- LowerMath.cpp - Math ops the NVPTX back end cannot select ----------===//
//
// NVPTX selects sqrt, fabs, floor, ceil, rounding, copysign, min/max and fma
// directly; exp, log, the trigonometric and hyperbolic functions and erf
// need a device library. Rather than link libdevice (which only a CUDA
// toolkit provides, so the PTX would depend on the machine that compiled
// it), they become MLIR's polynomial approximations in f32. Other float
// types are computed in f32 (f64 therefore at f32 precision; the docs say
// so).
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include <limits>

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tessel {
#define GEN_PASS_DEF_GPULOWERMATH
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

/// The ops that need an approximation (or an expansion into such ops).
bool isTranscendental(Operation *op) {
  return isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp,
             math::Log2Op, math::Log10Op, math::Log1pOp, math::TanhOp,
             math::ErfOp, math::ErfcOp, math::SinOp, math::CosOp, math::TanOp,
             math::AtanOp, math::Atan2Op, math::AsinOp, math::AcosOp,
             math::SinhOp, math::CoshOp, math::AsinhOp, math::AcoshOp,
             math::AtanhOp, math::CbrtOp, math::PowFOp, math::RsqrtOp>(op);
}

/// Computes a transcendental op on f16, bf16 or f64 in f32.
struct ComputeInF32 : RewritePattern {
  ComputeInF32(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isTranscendental(op) || op->getNumResults() != 1)
      return failure();
    Type t = op->getResult(0).getType();
    auto ft = dyn_cast<FloatType>(t);
    if (!ft || ft.isF32())
      return failure();
    Location loc = op->getLoc();
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(ft.getWidth() < 32
                             ? arith::ExtFOp::create(rewriter, loc, f32, v)
                                   .getResult()
                             : arith::TruncFOp::create(rewriter, loc, f32, v)
                                   .getResult());
    Operation *f = rewriter.create(loc, op->getName().getIdentifier(),
                                   operands, {f32}, op->getAttrs());
    Value r = f->getResult(0);
    r = ft.getWidth() < 32
            ? arith::TruncFOp::create(rewriter, loc, t, r).getResult()
            : arith::ExtFOp::create(rewriter, loc, t, r).getResult();
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// pow(x, y) = exp(y * log|x|), negated for negative x and odd integer y,
/// NaN for negative x and non-integer y, 1 for y = 0 (f32 only; other types
/// go through ComputeInF32 first).
struct ExpandPowF : OpRewritePattern<math::PowFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32())
      return failure();
    Location loc = op.getLoc();
    Value x = op.getLhs(), y = op.getRhs();
    auto c = [&](float v) {
      return arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(v));
    };
    auto cmp = [&](arith::CmpFPredicate p, Value a, Value b) {
      return arith::CmpFOp::create(rewriter, loc, p, a, b);
    };
    Value absX = math::AbsFOp::create(rewriter, loc, x);
    Value r = math::ExpOp::create(
        rewriter, loc,
        arith::MulFOp::create(rewriter, loc, y,
                              math::LogOp::create(rewriter, loc, absX)));
    Value isInt = cmp(arith::CmpFPredicate::OEQ,
                      math::FloorOp::create(rewriter, loc, y), y);
    Value half = arith::MulFOp::create(rewriter, loc, y, c(0.5f));
    Value isEven = cmp(arith::CmpFPredicate::OEQ,
                       math::FloorOp::create(rewriter, loc, half), half);
    Value negative = cmp(arith::CmpFPredicate::OLT, x, c(0.0f));
    Value neg = arith::NegFOp::create(rewriter, loc, r);
    Value oddResult = arith::SelectOp::create(rewriter, loc, isEven, r, neg);
    Value nan = c(std::numeric_limits<float>::quiet_NaN());
    Value negResult =
        arith::SelectOp::create(rewriter, loc, isInt, oddResult, nan);
    r = arith::SelectOp::create(rewriter, loc, negative, negResult, r);
    Value yZero = cmp(arith::CmpFPredicate::OEQ, y, c(0.0f));
    r = arith::SelectOp::create(rewriter, loc, yZero, c(1.0f), r);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// A math op NVPTX selects directly, as a call of its LLVM intrinsic. Not
/// the LLVM dialect's own intrinsic ops: the NVVM conversion declares those
/// illegal (it wants libdevice calls for them).
template <typename MathOp>
struct MathToIntrinsic : OpRewritePattern<MathOp> {
  MathToIntrinsic(MLIRContext *ctx, StringRef name)
      : OpRewritePattern<MathOp>(ctx), name(name) {}
  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op->getResult(0).getType();
    if (!isa<FloatType>(t))
      return failure();
    std::string suffix;
    llvm::raw_string_ostream os(suffix);
    os << t;
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, t, rewriter.getStringAttr("llvm." + name + "." + suffix),
        ValueRange(op->getOperands()));
    return success();
  }
  std::string name;
};

/// remf(x, y) = x - trunc(x / y) * y (C's fmod; the NVVM conversion has no
/// lowering for LLVM's frem).
struct ExpandRemF : OpRewritePattern<arith::RemFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::RemFOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = arith::DivFOp::create(rewriter, loc, op.getLhs(), op.getRhs());
    q = math::TruncOp::create(rewriter, loc, q);
    Value p = arith::MulFOp::create(rewriter, loc, q, op.getRhs());
    Value r = arith::SubFOp::create(rewriter, loc, op.getLhs(), p);
    // fmod(x, +-inf) = x for finite x (the expansion would give 0 * inf).
    if (auto ft = dyn_cast<FloatType>(op.getType())) {
      Value inf = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getFloatAttr(ft, std::numeric_limits<double>::infinity()));
      Value ay = math::AbsFOp::create(rewriter, loc, op.getRhs());
      Value ax = math::AbsFOp::create(rewriter, loc, op.getLhs());
      Value yInf = arith::CmpFOp::create(rewriter, loc,
                                         arith::CmpFPredicate::OEQ, ay, inf);
      Value xFinite = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::OLT, ax, inf);
      Value keep = arith::AndIOp::create(rewriter, loc, yInf, xFinite);
      r = arith::SelectOp::create(rewriter, loc, keep, op.getLhs(), r);
    }
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct LowerMathPass : tessel::impl::GPULowerMathBase<LowerMathPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // 1. Everything in f32, and the ops with no approximation of their
    //    own expanded into ones with one (tan -> sin/cos, sinh -> exp, ...).
    {
      RewritePatternSet patterns(ctx);
      patterns.add<ComputeInF32, ExpandPowF>(ctx);
      math::populateExpansionPatterns(
          patterns, {"tan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2",
                     "rsqrt", "fpowi", "log10"});
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    // 2. The approximations.
    {
      RewritePatternSet patterns(ctx);
      patterns.add<ComputeInF32>(ctx);
      populateMathPolynomialApproximationPatterns(
          patterns, [](StringRef name) { return name != "rsqrt"; });
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    // 3. What NVPTX selects directly.
    {
      RewritePatternSet patterns(ctx);
      patterns.add<ExpandRemF>(ctx);
      patterns.add<MathToIntrinsic<math::SqrtOp>>(ctx, "sqrt");
      patterns.add<MathToIntrinsic<math::AbsFOp>>(ctx, "fabs");
      patterns.add<MathToIntrinsic<math::FloorOp>>(ctx, "floor");
      patterns.add<MathToIntrinsic<math::CeilOp>>(ctx, "ceil");
      patterns.add<MathToIntrinsic<math::RoundOp>>(ctx, "round");
      patterns.add<MathToIntrinsic<math::RoundEvenOp>>(ctx, "roundeven");
      patterns.add<MathToIntrinsic<math::TruncOp>>(ctx, "trunc");
      patterns.add<MathToIntrinsic<math::CopySignOp>>(ctx, "copysign");
      patterns.add<MathToIntrinsic<math::FmaOp>>(ctx, "fma");
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    WalkResult left = getOperation()->walk([](Operation *op) {
      if (isTranscendental(op)) {
        op->emitOpError("has no GPU lowering for this element type");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
