//===- SinkIntoLaunch.cpp - Views and constants into gpu.launch bodies ----===//
//
// After this, what a launch captures from @main is the arena and the
// weights (and nothing else: a value computed on the host could not reach
// the kernel, as the host runs no code).
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace tessel {
#define GEN_PASS_DEF_GPUSINKINTOLAUNCH
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {
struct SinkIntoLaunchPass
    : tessel::impl::GPUSinkIntoLaunchBase<SinkIntoLaunchPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      if (failed(sinkOperationsIntoLaunchOp(
              launch, [](Operation *op) { return isPure(op); })))
        return signalPassFailure();
      // What is still captured must be a function argument.
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(launch.getBody(), captured);
      for (Value v : captured)
        if (!isa<BlockArgument>(v)) {
          launch.emitOpError("uses a value computed on the host: ") << v;
          return signalPassFailure();
        }
    }
  }
};
} // namespace
