//===- Serialize.cpp - NVVM kernel modules into gpu.binary with PTX -------===//
#include "tessel/Target/LLVM/Emit.h"
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

namespace tessel {
#define GEN_PASS_DEF_GPUSERIALIZE
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {
struct SerializePass : tessel::impl::GPUSerializeBase<SerializePass> {
  using GPUSerializeBase::GPUSerializeBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    GPUSerializeBase::getDependentDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registerNVVMDialectTranslation(registry);
    registerGPUDialectTranslation(registry);
  }

  void runOnOperation() override {
    if (chip != "sm_80" && chip != "sm_90") {
      getOperation().emitError("unsupported GPU architecture '")
          << chip << "' (expected sm_80 or sm_90)";
      return signalPassFailure();
    }
    SmallVector<gpu::GPUModuleOp> modules(
        getOperation().getOps<gpu::GPUModuleOp>());
    MLIRContext *ctx = &getContext();
    auto target = NVVM::NVVMTargetAttr::get(ctx, optLevel,
                                            "nvptx64-nvidia-cuda", chip);
    for (gpu::GPUModuleOp module : modules) {
      FailureOr<std::string> ptx =
          tessel::llvmtarget::emitPTX(module, chip, optLevel);
      if (failed(ptx))
        return signalPassFailure();
      OpBuilder b(module);
      auto object = gpu::ObjectAttr::get(ctx, target,
                                         gpu::CompilationTarget::Assembly,
                                         StringAttr::get(ctx, *ptx), nullptr,
                                         nullptr);
      gpu::BinaryOp::create(b, module.getLoc(), module.getName(), nullptr,
                            ArrayRef<Attribute>{object});
      module.erase();
    }
  }
};
} // namespace
