//===- Emit.h - LLVM-dialect modules to object code and shared objects -*- C++ -*-===//
#ifndef TESSEL_TARGET_LLVM_EMIT_H
#define TESSEL_TARGET_LLVM_EMIT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tessel::llvmtarget {

struct CodegenOptions {
  /// Target triple; empty means the host.
  std::string triple;
  /// CPU name; empty means the host's CPU for host triples, "generic"
  /// otherwise. "generic" also gives a baseline x86-64 build.
  std::string cpu;
  /// Extra target features ("+avx2,+fma"); empty means the CPU's own.
  std::string features;
  unsigned optLevel = 3;
};

/// The triple and CPU the options resolve to.
std::string resolvedTriple(const CodegenOptions &options);

/// Translates an LLVM-dialect module to LLVM IR, optimizes it and emits an
/// ELF object. `llvmIR` / `assembly`, if given, receive the optimized IR and
/// the assembly. Errors are emitted as diagnostics on the module.
llvm::FailureOr<std::string> emitObject(mlir::ModuleOp module,
                                        const CodegenOptions &options,
                                        std::string *llvmIR = nullptr,
                                        std::string *assembly = nullptr);

/// Links an object into a shared object with the system C compiler driver
/// for the triple (`cc` for the host, `aarch64-linux-gnu-gcc` for AArch64;
/// `TESSEL_CC` overrides). Fails with a message naming what is missing.
llvm::FailureOr<std::vector<char>>
linkSharedObject(llvm::StringRef object, llvm::StringRef triple,
                 std::string &error);
/// The same for several objects linked into one shared object.
llvm::FailureOr<std::vector<char>>
linkSharedObject(llvm::ArrayRef<std::string> objects, llvm::StringRef triple,
                 std::string &error);

/// Translates a `gpu.module` lowered to the LLVM and NVVM dialects to LLVM
/// IR, optimizes it and compiles it to PTX for `chip` (e.g. "sm_80").
/// `llvmIR`, if given, receives the optimized IR. Errors are diagnostics
/// on the module. The context must have the LLVM IR translations of the
/// builtin, LLVM, NVVM and GPU dialects registered.
llvm::FailureOr<std::string> emitPTX(mlir::Operation *gpuModule,
                                     llvm::StringRef chip, unsigned optLevel,
                                     std::string *llvmIR = nullptr);

} // namespace tessel::llvmtarget

#endif // TESSEL_TARGET_LLVM_EMIT_H
