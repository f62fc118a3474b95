//===- LowerUKernels.cpp - tcpu.ukernel into micro-kernel calls -----------===//
//
// The C signatures are those of include/tessel/UKernels/UKernels.h; each
// kernel's operand order in tcpu.ukernel is listed with its call below.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Passes.h"
#include "tessel/Dialect/CPU/IR/CPUDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace tessel {
#define GEN_PASS_DEF_CPULOWERUKERNELS
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;

namespace {

struct Lowering {
  ModuleOp module;
  OpBuilder &b;
  Location loc;
  Value ctx;
  SmallVector<std::pair<Value, Value>> copyBack; // (contiguous, original)

  Type ptrType() { return LLVM::LLVMPointerType::get(b.getContext()); }
  Value i64(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value null() { return LLVM::ZeroOp::create(b, loc, ptrType()); }

  /// A contiguous buffer with `v`'s contents (v itself if contiguous).
  Value contiguous(Value v, bool isOutput) {
    auto type = cast<MemRefType>(v.getType());
    if (type.getLayout().isIdentity())
      return v;
    auto flat = MemRefType::get(type.getShape(), type.getElementType());
    Value copy = memref::AllocOp::create(b, loc, flat);
    linalg::CopyOp::create(b, loc, v, copy);
    if (isOutput)
      copyBack.push_back({copy, v});
    return copy;
  }

  /// The address of a contiguous buffer's first element.
  Value pointer(Value v, bool isOutput = false) {
    v = contiguous(v, isOutput);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, v);
    Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), base);
    return LLVM::IntToPtrOp::create(b, loc, ptrType(), i);
  }

  func::FuncOp declare(StringRef name, TypeRange args, TypeRange results) {
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      return f;
    OpBuilder mb(module.getBodyRegion());
    auto f = func::FuncOp::create(mb, loc, name,
                                  mb.getFunctionType(args, results));
    f.setPrivate();
    return f;
  }

  void call(StringRef name, ArrayRef<Value> args, bool returnsInt) {
    SmallVector<Type> types;
    for (Value a : args)
      types.push_back(a.getType());
    SmallVector<Type> results;
    if (returnsInt)
      results.push_back(b.getI32Type());
    func::FuncOp f = declare(name, types, results);
    func::CallOp::create(b, loc, f, args);
  }
};

LogicalResult lowerOne(tcpu::UKernelOp op, Value ctx, ModuleOp module) {
  OpBuilder b(op);
  Lowering l{module, b, op.getLoc(), ctx, {}};
  DictionaryAttr p = op.getParams();
  auto flag = [&](StringRef n) {
    auto a = p.getAs<BoolAttr>(n);
    return a && a.getValue();
  };
  auto num = [&](StringRef n) {
    auto a = p.getAs<IntegerAttr>(n);
    return a ? a.getInt() : 0;
  };
  auto real = [&](StringRef n) {
    auto a = p.getAs<FloatAttr>(n);
    return a ? a.getValueAsDouble() : 0.0;
  };
  Value act = l.i32(num("act")), alpha = l.f32(real("alpha")),
        beta = l.f32(real("beta"));
  auto ins = op.getInputs();
  Value out = l.pointer(op.getOutputs()[0], /*isOutput=*/true);
  StringRef name = op.getName();
  if (name == "conv2d_nhwc_f32" || name == "depthwise_conv2d_nhwc_f32") {
    // ins: shape[16], input, filter, [bias], [residual].
    unsigned next = 3;
    Value bias = flag("has_bias") ? l.pointer(ins[next++]) : l.null();
    Value residual = flag("has_residual") ? l.pointer(ins[next++]) : l.null();
    l.call(("tessel_uk_" + name).str(),
           {ctx, l.pointer(ins[0]), l.pointer(ins[1]), l.pointer(ins[2]), bias,
            residual, out, act, alpha, beta},
           /*returnsInt=*/true);
  } else if (name == "gemm_f32") {
    // ins: A [M, K], packed B, [bias].
    int64_t m = num("m"), n = num("n"), k = num("k");
    Value bias = flag("has_bias") ? l.pointer(ins[2]) : l.null();
    l.call("tessel_uk_gemm_f32",
           {ctx, l.i64(m), l.i64(n), l.i64(k), l.pointer(ins[0]), l.i64(k),
            l.pointer(ins[1]), bias, l.null(), l.i64(0), out, l.i64(n), act,
            alpha, beta},
           false);
  } else if (name == "gemm_f32_dynamic") {
    // ins: A [batchA, M, K], B [batchB, K, N], [bias].
    int64_t batch = num("batch"), m = num("m"), n = num("n"), k = num("k");
    Value bias = flag("has_bias") ? l.pointer(ins[2]) : l.null();
    l.call("tessel_uk_gemm_f32_dynamic",
           {ctx, l.i64(batch), l.i64(m), l.i64(n), l.i64(k), l.pointer(ins[0]),
            l.i64(k), l.i64(num("stride_a")), l.pointer(ins[1]), l.i64(n),
            l.i64(num("stride_b")), l.i32(0), l.f32(1.0), bias, l.null(),
            l.i64(0), l.i64(0), out, l.i64(n), l.i64(m * n), act, alpha, beta},
           false);
  } else {
    return op.emitOpError("unknown micro-kernel '") << name << "'";
  }
  for (auto [copy, original] : l.copyBack)
    linalg::CopyOp::create(b, l.loc, copy, original);
  op.erase();
  return success();
}

struct LowerUKernelsPass
    : tessel::impl::CPULowerUKernelsBase<LowerUKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::MapVector<func::FuncOp, SmallVector<tcpu::UKernelOp>> byFunc;
    module.walk([&](tcpu::UKernelOp op) {
      byFunc[op->getParentOfType<func::FuncOp>()].push_back(op);
    });
    for (auto &[func, ops] : byFunc) {
      if (!func || func.isExternal()) {
        module.emitError("micro-kernel call outside a function body");
        return signalPassFailure();
      }
      unsigned index = func.getNumArguments();
      Type ptr = LLVM::LLVMPointerType::get(&getContext());
      if (failed(func.insertArgument(
              index, ptr,
              DictionaryAttr::get(&getContext(),
                                  {NamedAttribute(
                                      StringAttr::get(&getContext(),
                                                      "tessel.ukernel_context"),
                                      UnitAttr::get(&getContext()))}),
              func.getLoc())))
        return signalPassFailure();
      Value ctx = func.getArgument(index);
      for (tcpu::UKernelOp op : ops)
        if (failed(lowerOne(op, ctx, module)))
          return signalPassFailure();
    }
  }
};

} // namespace
