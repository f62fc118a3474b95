//===- MergeModules.cpp - All kernels in one gpu.module -------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"

namespace tessel {
#define GEN_PASS_DEF_GPUMERGEMODULES
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

/// A hash of a kernel's body that ignores its name.
llvm::hash_code kernelHash(gpu::GPUFuncOp f) {
  StringAttr name = SymbolTable::getSymbolName(f);
  SymbolTable::setSymbolName(f, "kernel");
  llvm::hash_code h = OperationEquivalence::computeHash(
      f, OperationEquivalence::directHashValue,
      OperationEquivalence::ignoreHashValue,
      OperationEquivalence::IgnoreLocations);
  SymbolTable::setSymbolName(f, name);
  return h;
}

bool sameKernel(gpu::GPUFuncOp a, gpu::GPUFuncOp b) {
  if (a.getFunctionType() != b.getFunctionType())
    return false;
  // Compare with the symbol names aside (they differ by construction).
  StringAttr aName = SymbolTable::getSymbolName(a);
  SymbolTable::setSymbolName(a, SymbolTable::getSymbolName(b));
  bool same = OperationEquivalence::isEquivalentTo(
      a, b, OperationEquivalence::IgnoreLocations);
  SymbolTable::setSymbolName(a, aName);
  return same;
}

struct MergeModulesPass
    : tessel::impl::GPUMergeModulesBase<MergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    OpBuilder b(modules.front());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), "tessel_kernels");
    SymbolTable table(merged);
    Block &body = merged.getBodyRegion().front();
    // (old module, old kernel) -> new kernel name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    llvm::DenseMap<llvm::hash_code, SmallVector<gpu::GPUFuncOp>> byHash;
    for (gpu::GPUModuleOp m : modules) {
      for (Operation &op : llvm::make_early_inc_range(m.getBody()->getOperations())) {
        auto sym = dyn_cast<SymbolOpInterface>(op);
        if (!sym)
          continue;
        if (auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
            kernel && kernel.isKernel()) {
          StringAttr oldName = SymbolTable::getSymbolName(kernel);
          gpu::GPUFuncOp same;
          llvm::hash_code h = kernelHash(kernel);
          for (gpu::GPUFuncOp k : byHash[h])
            if (sameKernel(kernel, k)) {
              same = k;
              break;
            }
          if (same) {
            renamed[{m.getNameAttr(), oldName}] = SymbolTable::getSymbolName(same);
            continue;
          }
          op.moveBefore(&body, body.end());
          table.insert(&op); // Renames on a clash.
          renamed[{m.getNameAttr(), oldName}] = SymbolTable::getSymbolName(kernel);
          byHash[h].push_back(kernel);
          continue;
        }
        // Helpers: one copy of each (outlining clones the same function).
        if (!table.lookup(sym.getName())) {
          op.moveBefore(&body, body.end());
          table.insert(&op);
        }
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find({launch.getKernelModuleName(),
                              launch.getKernelName()});
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp m : modules)
      m.erase();
  }
};

} // namespace
