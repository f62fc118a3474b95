//===- UKernels.cpp - f32 conv and matmul onto the CPU micro-kernels ------===//
//
// Higher-benefit patterns than the generic loop nests: f32 2-D
// convolutions with constant weights and f32 matmuls become tcpu.ukernel
// calls. Constant weights are packed here, at compile time, into the
// kernels' layout. A convolution whose only user is an add of a same-shaped
// value (a residual), and/or whose chain ends in an activation, takes them
// into the kernel's epilogue.
//
//===----------------------------------------------------------------------===//
#include "Common.h"
#include "tessel/Dialect/CPU/IR/CPUDialect.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/UKernels/UKernels.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;
namespace g = tessel::graph;

namespace {

/// The micro-kernel activation code and parameters of a graph activation.
struct UKAct {
  int32_t code = TESSEL_UK_ACT_NONE;
  double alpha = 0, beta = 0;
};

std::optional<UKAct> ukActivation(g::ActivationAttr act) {
  if (!act)
    return UKAct{};
  UKAct a{0, act.getAlphaValue(), act.getBetaValue()};
  switch (act.getKind()) {
  case g::ActivationKind::Relu:
    a.code = TESSEL_UK_ACT_RELU;
    break;
  case g::ActivationKind::Clip:
    a.code = TESSEL_UK_ACT_CLIP;
    break;
  case g::ActivationKind::LeakyRelu:
    a.code = TESSEL_UK_ACT_LEAKY_RELU;
    break;
  case g::ActivationKind::Sigmoid:
    a.code = TESSEL_UK_ACT_SIGMOID;
    break;
  case g::ActivationKind::Tanh:
    a.code = TESSEL_UK_ACT_TANH;
    break;
  case g::ActivationKind::HardSigmoid:
    a.code = TESSEL_UK_ACT_HARD_SIGMOID;
    break;
  case g::ActivationKind::HardSwish:
    a.code = TESSEL_UK_ACT_HARD_SWISH;
    break;
  case g::ActivationKind::Gelu:
    a.code = TESSEL_UK_ACT_GELU;
    break;
  case g::ActivationKind::GeluTanh:
    a.code = TESSEL_UK_ACT_GELU_TANH;
    break;
  }
  return a;
}

/// A standalone activation op the kernels can take, as an ActivationAttr.
g::ActivationAttr activationOf(Operation *op) {
  MLIRContext *ctx = op->getContext();
  using K = g::ActivationKind;
  if (isa<g::ReluOp>(op))
    return g::ActivationAttr::get(ctx, K::Relu);
  if (auto c = dyn_cast<g::ClipOp>(op))
    return g::ActivationAttr::get(
        ctx, K::Clip,
        c.getMin() ? c.getMin()->convertToDouble() : -HUGE_VAL,
        c.getMax() ? c.getMax()->convertToDouble() : HUGE_VAL);
  if (auto l = dyn_cast<g::LeakyReluOp>(op))
    return g::ActivationAttr::get(ctx, K::LeakyRelu,
                                  l.getAlpha().convertToDouble());
  if (isa<g::SigmoidOp>(op))
    return g::ActivationAttr::get(ctx, K::Sigmoid);
  if (isa<g::TanhOp>(op))
    return g::ActivationAttr::get(ctx, K::Tanh);
  if (auto h = dyn_cast<g::HardSigmoidOp>(op))
    return g::ActivationAttr::get(ctx, K::HardSigmoid,
                                  h.getAlpha().convertToDouble(),
                                  h.getBeta().convertToDouble());
  if (isa<g::HardSwishOp>(op))
    return g::ActivationAttr::get(ctx, K::HardSwish);
  if (auto gl = dyn_cast<g::GeluOp>(op))
    return g::ActivationAttr::get(ctx, gl.getApproximateTanh() ? K::GeluTanh
                                                               : K::Gelu);
  return nullptr;
}

/// The f32 values of a constant operand, or nullopt.
std::optional<std::vector<float>> constantFloats(Value v) {
  auto c = v.getDefiningOp<g::ConstantOp>();
  if (!c || !c.getValue().getElementType().isF32())
    return std::nullopt;
  int64_t n = c.getValue().getNumElements();
  std::vector<float> out(n);
  if (std::optional<ArrayRef<char>> raw = g::getRawBytes(c.getValue())) {
    if (static_cast<int64_t>(raw->size()) != n * 4)
      return std::nullopt;
    std::memcpy(out.data(), raw->data(), raw->size());
    return out;
  }
  std::string error;
  FailureOr<ref::Tensor> t = g::toTensor(c.getValue(), error);
  if (failed(t))
    return std::nullopt;
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(t->getF(i));
  return out;
}

/// A 1-D f32 constant tensor (packed weights) as a resource blob.
Value packedConstant(OpBuilder &b, Location loc, const std::vector<float> &data,
                     StringRef name) {
  auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                    b.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(data.data()),
                       data.size() * sizeof(float));
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 64);
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return arith::ConstantOp::create(b, loc, type, attr);
}

Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

DictionaryAttr params(OpBuilder &b, UKAct act, bool hasBias, bool hasResidual,
                      ArrayRef<NamedAttribute> extra = {}) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("act", b.getI32IntegerAttr(act.code)),
      b.getNamedAttr("alpha", b.getF32FloatAttr(act.alpha)),
      b.getNamedAttr("beta", b.getF32FloatAttr(act.beta)),
      b.getNamedAttr("has_bias", b.getBoolAttr(hasBias)),
      b.getNamedAttr("has_residual", b.getBoolAttr(hasResidual))};
  llvm::append_range(attrs, extra);
  return b.getDictionaryAttr(attrs);
}

Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  auto type = RankedTensorType::get(shape, t.getElementType());
  return linalg::TransposeOp::create(b, loc, v, emptyTensor(b, loc, type), perm)
      .getResult()[0];
}

std::string nameOf(Operation *op, StringRef suffix) {
  if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
    return (loc.getName().str() + "." + suffix).str();
  return suffix.str();
}

/// conv (+ residual add) (+ activation) -> conv2d / depthwise ukernel.
struct ConvUKernel : OpConversionPattern<g::ConvOp> {
  ConvUKernel(const TypeConverter &tc, MLIRContext *ctx)
      : OpConversionPattern(tc, ctx, /*benefit=*/10) {}

  LogicalResult
  matchAndRewrite(g::ConvOp conv, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType xType = conv.getInput().getType();
    RankedTensorType wType = conv.getWeight().getType();
    if (xType.getRank() != 4 || !xType.getElementType().isF32() ||
        !wType.getElementType().isF32() ||
        !conv.getOutput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(conv, "not an f32 2-D conv");
    std::optional<std::vector<float>> weights = constantFloats(conv.getWeight());
    if (!weights)
      return rewriter.notifyMatchFailure(conv, "weights are not constant");
    bool nhwc = conv.isChannelsLast();
    // Fuse a residual add and an activation that follow.
    g::ActivationAttr act = conv.getActivationAttr();
    Operation *last = conv;
    SmallVector<Operation *> fused; // In order: the add, the activation.
    Value residual;
    if (!act && conv->hasOneUse()) {
      Operation *user = *conv->getUsers().begin();
      if (auto add = dyn_cast<g::AddOp>(user)) {
        Value other = add.getLhs() == conv.getOutput() ? add.getRhs()
                                                       : add.getLhs();
        if (other != conv.getOutput() &&
            other.getType() == conv.getOutput().getType() &&
            add.getOutput().getType() == conv.getOutput().getType()) {
          residual = other;
          last = add;
          fused.push_back(add);
          if (g::ActivationAttr a = add.getActivationAttr())
            act = a; // The add's own fused activation.
          else if (add->hasOneUse())
            if (g::ActivationAttr a =
                    activationOf(*add->getUsers().begin())) {
              act = a;
              last = *add->getUsers().begin();
              fused.push_back(last);
            }
        }
      } else if (g::ActivationAttr a = activationOf(user)) {
        act = a;
        last = user;
        fused.push_back(user);
      }
    }
    std::optional<UKAct> ukAct = ukActivation(act);
    if (!ukAct)
      return rewriter.notifyMatchFailure(conv, "unsupported activation");

    int64_t N = xType.getDimSize(0);
    int64_t C = xType.getDimSize(nhwc ? 3 : 1);
    int64_t H = xType.getDimSize(nhwc ? 1 : 2), W = xType.getDimSize(nhwc ? 2 : 3);
    int64_t O = wType.getDimSize(0);
    int64_t KH = wType.getDimSize(nhwc ? 1 : 2), KW = wType.getDimSize(nhwc ? 2 : 3);
    int64_t group = conv.getGroup();
    ArrayRef<int64_t> s = conv.getStrides(), d = conv.getDilations(),
                      p = conv.getPads();
    tessel_uk_conv2d_shape shape = {N,    H,    W,    C,    O,    KH,   KW,   s[0],
                                    s[1], d[0], d[1], p[0], p[1], p[2], p[3], group};
    int64_t Cg = C / group;
    // OIHW weights for the packers.
    std::vector<float> oihw(*weights);
    if (nhwc)
      for (int64_t o = 0; o < O; ++o)
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t y = 0; y < KH; ++y)
            for (int64_t x = 0; x < KW; ++x)
              oihw[((o * Cg + c) * KH + y) * KW + x] =
                  (*weights)[((o * KH + y) * KW + x) * Cg + c];
    bool depthwise = group == C && group == O && Cg == 1;
    std::vector<float> packed;
    std::string kernel;
    if (depthwise) {
      packed.resize(C * KH * KW);
      tessel_uk_pack_depthwise_filter_f32(C, KH, KW, oihw.data(), packed.data());
      kernel = "depthwise_conv2d_nhwc_f32";
    } else {
      packed.resize(tessel_uk_conv2d_packed_filter_size_f32(&shape));
      if (tessel_uk_pack_conv2d_filter_f32(&shape, oihw.data(),
                                           packed.data()) != TESSEL_UK_OK)
        return rewriter.notifyMatchFailure(conv, "filter packing failed");
      kernel = "conv2d_nhwc_f32";
    }

    Location loc = conv.getLoc();
    rewriter.setInsertionPoint(last);
    Value x = rewriter.getRemappedValue(conv.getInput());
    if (!nhwc)
      x = transpose(rewriter, loc, x, {0, 2, 3, 1});
    RankedTensorType outType = conv.getOutput().getType();
    SmallVector<int64_t> outNhwc =
        nhwc ? SmallVector<int64_t>(outType.getShape())
             : SmallVector<int64_t>{outType.getDimSize(0), outType.getDimSize(2),
                                    outType.getDimSize(3), outType.getDimSize(1)};
    auto nhwcType = RankedTensorType::get(outNhwc, rewriter.getF32Type());
    SmallVector<Value> ins = {
        i64Constant(rewriter, loc,
                    ArrayRef<int64_t>(reinterpret_cast<int64_t *>(&shape), 16)),
        x, packedConstant(rewriter, loc, packed, nameOf(conv, "packed"))};
    Value bias = conv.getBias() ? rewriter.getRemappedValue(conv.getBias())
                                : Value();
    if (bias)
      ins.push_back(bias);
    if (residual) {
      Value r = rewriter.getRemappedValue(residual);
      ins.push_back(nhwc ? r : transpose(rewriter, loc, r, {0, 2, 3, 1}));
    }
    auto uk = tcpu::UKernelOp::create(
        rewriter, loc, TypeRange{nhwcType}, kernel, ins,
        ValueRange{emptyTensor(rewriter, loc, nhwcType)},
        params(rewriter, *ukAct, static_cast<bool>(bias),
               static_cast<bool>(residual)));
    Value y = uk.getResult(0);
    if (!nhwc)
      y = transpose(rewriter, loc, y, {0, 3, 1, 2});
    // The last op of the chain takes the result; the others die with it.
    rewriter.replaceOp(last, y);
    for (Operation *op : llvm::reverse(fused))
      if (op != last)
        rewriter.eraseOp(op);
    if (last != conv.getOperation())
      rewriter.eraseOp(conv);
    return success();
  }
};

/// matmul -> gemm (constant 2-D B, packed offline) or dynamic gemm.
struct MatMulUKernel : OpConversionPattern<g::MatMulOp> {
  MatMulUKernel(const TypeConverter &tc, MLIRContext *ctx)
      : OpConversionPattern(tc, ctx, /*benefit=*/10) {}

  LogicalResult
  matchAndRewrite(g::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType aType = op.getLhs().getType(), bType = op.getRhs().getType();
    RankedTensorType outType = op.getOutput().getType();
    if (!aType.getElementType().isF32() || !bType.getElementType().isF32() ||
        aType.getRank() < 2 || bType.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "not an f32 matrix product");
    std::optional<UKAct> ukAct = ukActivation(op.getActivationAttr());
    if (!ukAct)
      return rewriter.notifyMatchFailure(op, "unsupported activation");
    int64_t K = aType.getDimSize(aType.getRank() - 1);
    int64_t N = bType.getDimSize(bType.getRank() - 1);
    int64_t M = aType.getDimSize(aType.getRank() - 2);
    // The bias must be per column ([N] or [1, N]).
    Value bias = op.getBias();
    if (bias) {
      auto bt = cast<RankedTensorType>(bias.getType());
      if (bt.getNumElements() != N || bt.getDimSize(bt.getRank() - 1) != N)
        return rewriter.notifyMatchFailure(op, "bias is not per column");
    }
    Location loc = op.getLoc();
    Value a = adaptor.getLhs();
    Value biasV = bias ? rewriter.getRemappedValue(bias) : Value();
    if (biasV && cast<RankedTensorType>(biasV.getType()).getRank() != 1)
      biasV = reshapeTensor(rewriter, loc, biasV,
                            RankedTensorType::get({N}, rewriter.getF32Type()));
    std::optional<std::vector<float>> weights;
    if (bType.getRank() == 2)
      weights = constantFloats(op.getRhs());
    if (weights) {
      // A [..., M, K] as [M', K] against packed B.
      int64_t rows = aType.getNumElements() / K;
      Value a2 = reshapeTensor(rewriter, loc, a,
                               RankedTensorType::get({rows, K},
                                                     rewriter.getF32Type()));
      std::vector<float> packed(tessel_uk_packed_b_size_f32(K, N));
      tessel_uk_pack_b_f32(K, N, weights->data(), N, 0, packed.data());
      SmallVector<Value> ins = {a2, packedConstant(rewriter, loc, packed,
                                                   nameOf(op, "packed"))};
      if (biasV)
        ins.push_back(biasV);
      auto cType = RankedTensorType::get({rows, N}, rewriter.getF32Type());
      auto uk = tcpu::UKernelOp::create(
          rewriter, loc, TypeRange{cType}, "gemm_f32", ins,
          ValueRange{emptyTensor(rewriter, loc, cType)},
          params(rewriter, *ukAct, static_cast<bool>(biasV), false,
                 {rewriter.getNamedAttr("m", rewriter.getI64IntegerAttr(rows)),
                  rewriter.getNamedAttr("n", rewriter.getI64IntegerAttr(N)),
                  rewriter.getNamedAttr("k", rewriter.getI64IntegerAttr(K))}));
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, uk.getResult(0),
                                           loweredType(op.getOutput())));
      return success();
    }
    // Dynamic: batch dims must be equal or broadcast as a whole operand.
    int64_t outRank = outType.getRank();
    int64_t batch = outType.getNumElements() / (M * N);
    auto batchOf = [&](RankedTensorType t) {
      return t.getNumElements() / (t.getDimSize(t.getRank() - 2) *
                                   t.getDimSize(t.getRank() - 1));
    };
    int64_t batchA = batchOf(aType), batchB = batchOf(bType);
    if ((batchA != batch && batchA != 1) || (batchB != batch && batchB != 1))
      return rewriter.notifyMatchFailure(op, "partial batch broadcasting");
    (void)outRank;
    Value b3 = reshapeTensor(rewriter, loc, adaptor.getRhs(),
                             RankedTensorType::get({batchB, K, N},
                                                   rewriter.getF32Type()));
    Value a3 = reshapeTensor(rewriter, loc, a,
                             RankedTensorType::get({batchA, M, K},
                                                   rewriter.getF32Type()));
    SmallVector<Value> ins = {a3, b3};
    if (biasV)
      ins.push_back(biasV);
    auto cType = RankedTensorType::get({batch, M, N}, rewriter.getF32Type());
    auto uk = tcpu::UKernelOp::create(
        rewriter, loc, TypeRange{cType}, "gemm_f32_dynamic", ins,
        ValueRange{emptyTensor(rewriter, loc, cType)},
        params(rewriter, *ukAct, static_cast<bool>(biasV), false,
               {rewriter.getNamedAttr("batch", rewriter.getI64IntegerAttr(batch)),
                rewriter.getNamedAttr("m", rewriter.getI64IntegerAttr(M)),
                rewriter.getNamedAttr("n", rewriter.getI64IntegerAttr(N)),
                rewriter.getNamedAttr("k", rewriter.getI64IntegerAttr(K)),
                rewriter.getNamedAttr("stride_a",
                                      rewriter.getI64IntegerAttr(batchA == 1 ? 0 : M * K)),
                rewriter.getNamedAttr("stride_b",
                                      rewriter.getI64IntegerAttr(batchB == 1 ? 0 : K * N))}));
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, uk.getResult(0),
                                         loweredType(op.getOutput())));
    return success();
  }
};

} // namespace

void lowering::populateUKernelPatterns(GraphTypeConverter &tc,
                                       RewritePatternSet &patterns) {
  patterns.add<ConvUKernel, MatMulUKernel>(tc, patterns.getContext());
}
