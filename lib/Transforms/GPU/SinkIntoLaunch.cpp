//===- SinkIntoLaunch.cpp - Views and constants into gpu.launch bodies ----===//
//
// After this, what a launch captures from @main is the arena and the
// weights (and nothing else: a value computed on the host could not reach
// the kernel, as the host runs no code).
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace tessel {
#define GEN_PASS_DEF_GPUSINKINTOLAUNCH
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {
/// Clones the pure ops that compute `v` (and, first, their operands) at
/// `b`'s insertion point; function arguments stay captured. Returns null if
/// `v` needs an op with side effects or regions.
Value materialize(OpBuilder &b, IRMapping &map, Value v) {
  if (Value known = map.lookupOrNull(v))
    return known;
  if (isa<BlockArgument>(v))
    return v;
  Operation *def = v.getDefiningOp();
  if (!isPure(def) || def->getNumRegions() != 0)
    return nullptr;
  for (Value operand : def->getOperands())
    if (!materialize(b, map, operand))
      return nullptr;
  b.clone(*def, map);
  return map.lookup(v);
}

struct SinkIntoLaunchPass
    : tessel::impl::GPUSinkIntoLaunchBase<SinkIntoLaunchPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(launch.getBody(), captured);
      OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
      IRMapping map;
      for (Value v : captured) {
        Value inside = materialize(b, map, v);
        // What is still captured must be a function argument (the arena or
        // the weights).
        if (!inside) {
          launch.emitOpError("uses a value computed on the host: ") << v;
          return signalPassFailure();
        }
        if (inside != v)
          v.replaceUsesWithIf(inside, [&](OpOperand &use) {
            return launch.getBody().isAncestor(
                use.getOwner()->getParentRegion());
          });
      }
    }
  }
};
} // namespace
