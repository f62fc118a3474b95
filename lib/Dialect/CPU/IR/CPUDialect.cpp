//===- CPUDialect.cpp - The Tessel CPU dialect ----------------------------===//
#include "tessel/Dialect/CPU/IR/CPUDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace tessel::tcpu;

#include "tessel/Dialect/CPU/IR/CPUDialect.cpp.inc"

void TCPUDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tessel/Dialect/CPU/IR/CPUOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "tessel/Dialect/CPU/IR/CPUOps.cpp.inc"

LogicalResult UKernelOp::verify() {
  bool tensors = llvm::all_of(getOutputs(), [](Value v) {
    return isa<RankedTensorType>(v.getType());
  });
  bool buffers = llvm::all_of(getOutputs(), [](Value v) {
    return isa<MemRefType>(v.getType());
  });
  if (!tensors && !buffers)
    return emitOpError("outputs must be all tensors or all buffers");
  if (tensors && getNumResults() != getOutputs().size())
    return emitOpError("on tensors, needs one result per output");
  if (buffers && getNumResults() != 0)
    return emitOpError("on buffers, has no results");
  for (auto [r, o] : llvm::zip(getResults(), getOutputs()))
    if (r.getType() != o.getType())
      return emitOpError("result type ")
             << r.getType() << " differs from its output " << o.getType();
  return success();
}

namespace {
struct UKernelBufferization
    : bufferization::DstBufferizableOpInterfaceExternalModel<
          UKernelBufferization, UKernelOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    auto uk = cast<UKernelOp>(op);
    SmallVector<Value> inputs, outputs;
    for (Value v : uk.getInputs()) {
      if (!isa<TensorType>(v.getType())) {
        inputs.push_back(v);
        continue;
      }
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, v, options, state);
      if (failed(buffer))
        return failure();
      inputs.push_back(*buffer);
    }
    for (Value v : uk.getOutputs()) {
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, v, options, state);
      if (failed(buffer))
        return failure();
      outputs.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    UKernelOp::create(rewriter, op->getLoc(), TypeRange{}, uk.getName(),
                      inputs, outputs, uk.getParams());
    bufferization::replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};
} // namespace

void tessel::tcpu::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, TCPUDialect *) {
    UKernelOp::attachInterface<UKernelBufferization>(*ctx);
  });
}
