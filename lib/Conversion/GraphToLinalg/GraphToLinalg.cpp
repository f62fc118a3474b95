//===- GraphToLinalg.cpp - The convert-graph-to-linalg pass ---------------===//
#include "Common.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/CPU/IR/CPUDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"

namespace tessel {
#define GEN_PASS_DEF_CONVERTGRAPHTOLINALG
#include "tessel/Conversion/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;

namespace {

struct ConvertGraphToLinalgPass
    : tessel::impl::ConvertGraphToLinalgBase<ConvertGraphToLinalgPass> {
  using ConvertGraphToLinalgBase::ConvertGraphToLinalgBase;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    GraphTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateElementwisePatterns(converter, patterns);
    populateReductionPatterns(converter, patterns);
    populateNNPatterns(converter, patterns);
    populateTensorPatterns(converter, patterns);
    if (ukernels)
      populateUKernelPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           tcpu::TCPUDialect>();
    target.addIllegalDialect<graph::GraphDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
