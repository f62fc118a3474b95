//===- LowerCopies.cpp - memref.copy into linalg.copy ---------------------===//
#include "tessel/Transforms/Passes.h"

namespace tessel {
#define GEN_PASS_DEF_CPULOWERCOPIES
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;

namespace {
struct LowerCopiesPass : tessel::impl::CPULowerCopiesBase<LowerCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};
} // namespace
