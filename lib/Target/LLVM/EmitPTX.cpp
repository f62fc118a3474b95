//===- EmitPTX.cpp - NVVM kernel modules to PTX with LLVM's NVPTX back end ===//
//
// What upstream's gpu-module-to-binary{format=isa} does for #nvvm.target,
// without its toolkit lookup: no libdevice is linked (the kernels call no
// device library, see tessel-gpu-lower-math), so the PTX depends only on
// the module and the chip. LLVM picks the lowest PTX version the chip
// allows (7.0 for sm_80, 7.8 for sm_90), which keeps the PTX loadable by
// the oldest drivers that know the chip.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/LLVM/Emit.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace tessel;

static void initNVPTX() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

FailureOr<std::string> llvmtarget::emitPTX(Operation *gpuModule,
                                           StringRef chip, unsigned optLevel,
                                           std::string *llvmIR) {
  initNVPTX();
  llvm::Triple triple("nvptx64-nvidia-cuda");
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return gpuModule->emitError("the NVPTX target is not available: ")
           << error;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, chip, /*Features=*/"", llvm::TargetOptions(), std::nullopt,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return gpuModule->emitError("cannot create an NVPTX target machine for ")
           << chip;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(gpuModule, llvmContext, "tessel_kernels");
  if (!llvmModule)
    return gpuModule->emitError("translation of the kernels to LLVM IR "
                                "failed");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  // The kernels' pointer parameters are the device arena and the weights,
  // which the runtime allocates with cuMemAlloc (256-byte aligned): saying
  // so lets the NVPTX load/store vectorizer merge neighbouring accesses at
  // known offsets into ld/st.v2 and .v4.
  for (llvm::Function &f : *llvmModule) {
    if (f.getCallingConv() != llvm::CallingConv::PTX_Kernel)
      continue;
    for (llvm::Argument &arg : f.args())
      if (arg.getType()->isPointerTy())
        arg.addAttr(llvm::Attribute::getWithAlignment(llvmContext,
                                                      llvm::Align(256)));
  }
  auto optimize = makeOptimizingTransformer(optLevel, 0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << err;
    return gpuModule->emitError("LLVM optimization of the kernels failed: ")
           << msg;
  }
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    llvmModule->print(os, nullptr);
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, os, nullptr,
                                   llvm::CodeGenFileType::AssemblyFile))
    return gpuModule->emitError("the NVPTX target cannot emit PTX");
  pm.run(*llvmModule);
  return std::string(buffer.begin(), buffer.end());
}
