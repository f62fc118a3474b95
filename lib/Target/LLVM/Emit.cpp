//===- Emit.cpp - LLVM-dialect modules to object code and shared objects --===//
#include "tessel/Target/LLVM/Emit.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace tessel;

static void initTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

std::string llvmtarget::resolvedTriple(const CodegenOptions &options) {
  if (!options.triple.empty())
    return llvm::Triple::normalize(options.triple);
  return llvm::sys::getDefaultTargetTriple();
}

FailureOr<std::string> llvmtarget::emitObject(ModuleOp module,
                                              const CodegenOptions &options,
                                              std::string *llvmIR,
                                              std::string *assembly) {
  initTargets();
  std::string tripleName = resolvedTriple(options);
  llvm::Triple triple(tripleName);
  bool host = options.triple.empty() ||
              triple.getArch() ==
                  llvm::Triple(llvm::sys::getDefaultTargetTriple()).getArch();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError("unknown target triple '")
           << tripleName << "': " << error;
  std::string cpu = options.cpu;
  std::string features = options.features;
  if (cpu.empty())
    cpu = host ? llvm::sys::getHostCPUName().str() : "generic";
  if (features.empty() && host && options.cpu.empty()) {
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    for (auto &f : hostFeatures)
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return module.emitError("cannot create a target machine for ")
           << tripleName << " (cpu " << cpu << ")";

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "tessel_model");
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  auto optimize = makeOptimizingTransformer(options.optLevel, 0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << err;
    return module.emitError("LLVM optimization failed: ") << msg;
  }
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    llvmModule->print(os, nullptr);
  }
  auto emit = [&](llvm::CodeGenFileType kind,
                  std::string &out) -> LogicalResult {
    llvm::SmallString<0> buffer;
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if (machine->addPassesToEmitFile(pm, os, nullptr, kind))
      return module.emitError("the target cannot emit this file type");
    pm.run(*llvmModule);
    out.assign(buffer.begin(), buffer.end());
    return success();
  };
  if (assembly && failed(emit(llvm::CodeGenFileType::AssemblyFile, *assembly)))
    return failure();
  std::string object;
  if (failed(emit(llvm::CodeGenFileType::ObjectFile, object)))
    return failure();
  return object;
}

FailureOr<std::vector<char>>
llvmtarget::linkSharedObject(StringRef object, StringRef tripleName,
                             std::string &error) {
  return linkSharedObject(ArrayRef<std::string>{object.str()}, tripleName,
                          error);
}

FailureOr<std::vector<char>>
llvmtarget::linkSharedObject(ArrayRef<std::string> objects,
                             StringRef tripleName, std::string &error) {
  llvm::Triple triple(tripleName);
  llvm::Triple hostTriple(llvm::sys::getDefaultTargetTriple());
  std::string driver;
  if (const char *env = std::getenv("TESSEL_CC"))
    driver = env;
  else if (triple.getArch() == hostTriple.getArch())
    driver = "cc";
  else if (triple.getArch() == llvm::Triple::aarch64)
    driver = "aarch64-linux-gnu-gcc";
  else {
    error = "no linker known for target " + tripleName.str() +
            " (set TESSEL_CC to a C compiler driver for it)";
    return failure();
  }
  llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(driver);
  if (!path) {
    error = "cannot find the linker driver '" + driver + "' for target " +
            tripleName.str() +
            (triple.getArch() == llvm::Triple::aarch64
                 ? " (install Debian's gcc-aarch64-linux-gnu)"
                 : " (install build-essential)");
    return failure();
  }
  llvm::SmallString<128> soPath;
  SmallVector<llvm::SmallString<128>> objPaths;
  auto removeObjects = [&] {
    for (auto &p : objPaths)
      llvm::sys::fs::remove(p);
  };
  for (const std::string &object : objects) {
    llvm::SmallString<128> objPath;
    int fd;
    if (auto ec =
            llvm::sys::fs::createTemporaryFile("tessel", "o", fd, objPath)) {
      removeObjects();
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    objPaths.push_back(objPath);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << object;
  }
  if (auto ec = llvm::sys::fs::createTemporaryFile("tessel", "so", soPath)) {
    removeObjects();
    error = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  // -z defs would reject the micro-kernel symbols, which the runtime
  // provides when the shared object is loaded.
  // -Bsymbolic: calls inside the model bind to the model's own functions,
  // never to same-named symbols of the process that loads it.
  SmallVector<StringRef> args = {*path, "-shared", "-o", soPath};
  for (auto &p : objPaths)
    args.push_back(p);
  args.append({"-lm", "-Wl,-z,noexecstack", "-Wl,-Bsymbolic", "-nostartfiles"});
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*path, args, std::nullopt, {}, 0, 0,
                                     &message);
  removeObjects();
  if (rc != 0) {
    llvm::sys::fs::remove(soPath);
    error = "linking the shared object with " + driver + " failed" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  auto buffer = llvm::MemoryBuffer::getFile(soPath, /*IsText=*/false);
  llvm::sys::fs::remove(soPath);
  if (!buffer) {
    error = "cannot read the linked shared object: " +
            buffer.getError().message();
    return failure();
  }
  return std::vector<char>((*buffer)->getBufferStart(),
                           (*buffer)->getBufferEnd());
}
