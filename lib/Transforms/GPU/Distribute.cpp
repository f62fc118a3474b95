//===- Distribute.cpp - The tessel-gpu-distribute pass --------------------===//
//
// Walks the top level of @main (after memory planning: views of the arena
// and the weights, and the ops that compute) and gives every computation a
// kernel shape: a tiled GEMM for contractions large enough to pay for the
// tiling, one thread per point for everything else.
//
//===----------------------------------------------------------------------===//
#include "Distribute.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace tessel {
#define GEN_PASS_DEF_GPUDISTRIBUTE
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel::gpudist;

namespace {

bool isTensorCoreType(Type t) { return t.isF16() || t.isBF16(); }

struct DistributePass
    : tessel::impl::GPUDistributeBase<DistributePass> {
  using GPUDistributeBase::GPUDistributeBase;

  LogicalResult distribute(IRRewriter &rewriter, linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
      if (failed(g))
        return op.emitOpError("cannot be generalized for the GPU");
      generic = *g;
    }
    if (!generic.hasPureBufferSemantics())
      return generic.emitOpError("expected buffers (run bufferization first)");
    FailureOr<Contraction> c = matchContraction(generic);
    if (succeeded(c) && c->m >= minGemm && c->n >= minGemm &&
        c->k >= minGemm) {
      // Each returns failure, having changed nothing, when the problem
      // does not fit its tiling (e.g. more batches than grid.z allows).
      if (tensorCores && isTensorCoreType(c->lhsType) &&
          isTensorCoreType(c->rhsType) && c->lhsType == c->rhsType &&
          c->accType.isF32() && succeeded(distributeGemmMma(rewriter, *c)))
        return success();
      if (succeeded(distributeGemmSimt(rewriter, *c)))
        return success();
    }
    return distributePointwise(rewriter, generic, blockSize);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal()) {
      module.emitError("no @main function");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> work;
    for (Operation &op : main.getBody().front().without_terminator())
      work.push_back(&op);
    for (Operation *op : work) {
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        if (failed(distribute(rewriter, linalgOp)))
          return signalPassFailure();
        continue;
      }
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        rewriter.setInsertionPoint(copy);
        auto lin = linalg::CopyOp::create(rewriter, copy.getLoc(),
                                          copy.getSource(), copy.getTarget());
        rewriter.eraseOp(copy);
        if (failed(distribute(rewriter, lin)))
          return signalPassFailure();
        continue;
      }
      if (isa<scf::ForallOp>(op) || isPure(op))
        continue; // Views, constants, index arithmetic, earlier kernels.
      if (op->getNumResults() == 0 && op->getNumRegions() <= 1) {
        distributeSingleThread(rewriter, op);
        continue;
      }
      op->emitOpError("would run on the host, which a GPU program cannot "
                      "do");
      return signalPassFailure();
    }
  }
};

} // namespace
