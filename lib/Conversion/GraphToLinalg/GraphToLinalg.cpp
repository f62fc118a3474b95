//===- GraphToLinalg.cpp - The convert-graph-to-linalg pass ---------------===//
#include "Common.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
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
    // Quantized ops lower to the integers their reference evaluation
    // computes; an op whose quantized form has no integer semantics (or
    // whose parameters break its rules) is an error here, never silently
    // lowered on the stored integers.
    WalkResult check = getOperation()->walk([&](Operation *op) {
      std::string why;
      if (isa<graph::GraphDialect>(op->getDialect()) &&
          !graph::canEvaluateQuantized(op, &why)) {
        op->emitOpError("has quantized types the CPU cannot lower: ") << why;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (check.wasInterrupted())
      return signalPassFailure();
    GraphTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateElementwisePatterns(converter, patterns);
    populateReductionPatterns(converter, patterns);
    populateNNPatterns(converter, patterns);
    populateTensorPatterns(converter, patterns);
    populateQuantPatterns(converter, patterns);
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
