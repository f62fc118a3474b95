//===- ExternalizeWeights.cpp - Constants into the weight section ---------===//
//
// Weights must not travel through LLVM IR as initializers: that makes large
// models compile slowly and doubles their memory. After bufferization every
// large constant is a memref.global; this pass replaces each use with a view
// into a `weights` argument and records the data (the same resource blob)
// in the module's `tessel.weights` attribute for the binary writer.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/MathExtras.h"

namespace tessel {
#define GEN_PASS_DEF_CPUEXTERNALIZEWEIGHTS
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

int64_t byteSize(MemRefType t) {
  int64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return t.getNumElements() * std::max<int64_t>(8, bits) / 8;
}

struct ExternalizeWeightsPass
    : tessel::impl::CPUExternalizeWeightsBase<ExternalizeWeightsPass> {
  using CPUExternalizeWeightsBase::CPUExternalizeWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("no @main function");
      return signalPassFailure();
    }
    // Choose the globals and lay them out.
    llvm::StringMap<int64_t> offsets;
    SmallVector<Attribute> records;
    SmallVector<memref::GlobalOp> erased;
    int64_t size = 0;
    Builder b(&getContext());
    for (auto global : module.getOps<memref::GlobalOp>()) {
      auto init = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
      if (!global.getConstant() || !init)
        continue;
      MemRefType type = global.getType();
      if (!type.getLayout().isIdentity() || byteSize(type) < minBytes)
        continue;
      size = llvm::alignTo(size, 64);
      offsets[global.getSymName()] = size;
      records.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("offset", b.getI64IntegerAttr(size)),
           b.getNamedAttr("value", init)}));
      size += byteSize(type);
      erased.push_back(global);
    }
    size = llvm::alignTo(std::max<int64_t>(size, 1), 64);
    auto weightsType = MemRefType::get({size}, b.getI8Type());
    // The new argument goes after the existing ones.
    unsigned argIndex = main.getNumArguments();
    if (failed(main.insertArgument(argIndex, weightsType,
                                   b.getDictionaryAttr({b.getNamedAttr(
                                       "tessel.weights", b.getUnitAttr())}),
                                   main.getLoc())))
      return signalPassFailure();
    Value weights = main.getArgument(argIndex);
    WalkResult walk = module.walk([&](memref::GetGlobalOp get) {
      auto it = offsets.find(get.getName());
      if (it == offsets.end())
        return WalkResult::advance();
      if (get->getParentOfType<func::FuncOp>() != main) {
        get.emitError("weights used outside @main cannot be externalized");
        return WalkResult::interrupt();
      }
      OpBuilder ob(get);
      Value off = arith::ConstantIndexOp::create(ob, get.getLoc(), it->second);
      Value view = memref::ViewOp::create(ob, get.getLoc(), get.getType(),
                                          weights, off, ValueRange{});
      get.replaceAllUsesWith(view);
      get.erase();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (memref::GlobalOp g : erased)
      g.erase();
    module->setAttr("tessel.weights", b.getArrayAttr(records));
    module->setAttr("tessel.weights_size", b.getI64IntegerAttr(size));
  }
};

} // namespace
