//===- CPUCompiler.h - graph IR to a CPU deployable binary ------*- C++ -*-===//
#ifndef TESSEL_COMPILER_CPUCOMPILER_H
#define TESSEL_COMPILER_CPUCOMPILER_H

#include "tessel/Runtime/Container.h"
#include "tessel/Target/LLVM/Emit.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tessel {

struct CPUCompileOptions {
  llvmtarget::CodegenOptions codegen;
  /// If set, every stage's IR is written there (NN-stage.mlir, .ll, .s).
  std::string dumpDir;
  /// Verify the IR after every pass.
  bool verifyEach = true;
};

/// What compileForCPU produced; the text fields are filled for the stages
/// asked for in `emit` ("linalg", "bufferized", "llvm", "asm").
struct CPUArtifacts {
  rt::ModelBinary binary;
  std::string linalgIR, bufferizedIR, llvmIR, assembly, object;
};

/// The MLIR element type of a runtime element type.
mlir::Type compilerElementType(mlir::MLIRContext *ctx, rt::ElemType t);

/// Lowers an optimized graph module to a deployable CPU binary (the module
/// is lowered in place). `stopAfter` ("linalg", "bufferized", "llvm",
/// "asm", "obj" or "" for the whole way) ends early with the artifacts so
/// far. Failures are diagnostics on the module.
llvm::FailureOr<CPUArtifacts> compileForCPU(mlir::ModuleOp module,
                                            const CPUCompileOptions &options,
                                            llvm::StringRef stopAfter = "");

} // namespace tessel

#endif // TESSEL_COMPILER_CPUCOMPILER_H
