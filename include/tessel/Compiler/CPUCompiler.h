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

/// The runtime element type of an MLIR element type (nullopt if none).
std::optional<rt::ElemType> runtimeElementType(mlir::Type t);

/// The MLIR element type of a runtime element type.
mlir::Type compilerElementType(mlir::MLIRContext *ctx, rt::ElemType t);

/// Lowers an optimized graph module to a deployable CPU binary (the module
/// is lowered in place). `stopAfter` ("linalg", "bufferized", "llvm",
/// "asm", "obj" or "" for the whole way) ends early with the artifacts so
/// far. Failures are diagnostics on the module.
llvm::FailureOr<CPUArtifacts> compileForCPU(mlir::ModuleOp module,
                                            const CPUCompileOptions &options,
                                            llvm::StringRef stopAfter = "");

/// A CPU segment of a mixed (NPU + CPU) binary: the module's `@main` is
/// compiled to an object defining the entry `tessel.entry`, with its inputs,
/// outputs and scratch at the arena offsets the module's attributes fix
/// (see lib/Transforms/CPU/HostEntry.cpp).
struct HostSegment {
  std::string object;
  std::vector<uint8_t> weights; ///< Its own weight blob.
  uint64_t arenaBytes = 0;      ///< Arena bytes used from offset 0.
  std::string triple;
};
llvm::FailureOr<HostSegment>
compileHostSegment(mlir::ModuleOp module, const CPUCompileOptions &options);

} // namespace tessel

#endif // TESSEL_COMPILER_CPUCOMPILER_H
