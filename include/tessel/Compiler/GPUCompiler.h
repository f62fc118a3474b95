//===- GPUCompiler.h - graph IR to a GPU deployable binary ------*- C++ -*-===//
#ifndef TESSEL_COMPILER_GPUCOMPILER_H
#define TESSEL_COMPILER_GPUCOMPILER_H

#include "tessel/Runtime/Container.h"
#include "tessel/Runtime/GpuCode.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tessel {

struct GPUCompileOptions {
  /// The GPU architecture: "sm_80" or "sm_90".
  std::string gpuArch = "sm_80";
  /// If set, every stage's IR is written there (NN-stage.mlir, .ptx).
  std::string dumpDir;
  /// Verify the IR after every pass.
  bool verifyEach = true;
  /// More architectures to compile the kernels for, besides gpuArch (their
  /// PTX goes to GPUArtifacts::extraPtx; the tests assemble every kernel
  /// for every architecture without running the pipeline twice).
  std::vector<std::string> extraArchs;
};

/// What compileForGPU produced; the text fields are filled for the stages
/// it ran.
struct GPUArtifacts {
  rt::ModelBinary binary;
  rt::GpuCode code;
  std::string linalgIR, bufferizedIR, kernelsIR, nvvmIR;
  /// The PTX of every kernel module, in order.
  std::vector<rt::GpuModule> ptx;
  /// Per extra architecture (GPUCompileOptions::extraArchs), the same.
  std::vector<std::pair<std::string, std::vector<rt::GpuModule>>> extraPtx;
};

/// Lowers an optimized graph module to a deployable GPU binary (the module
/// is lowered in place). `stopAfter` ("linalg", "bufferized", "kernels",
/// "nvvm", "ptx" or "" for the whole way) ends early with the artifacts so
/// far. Failures are diagnostics on the module.
llvm::FailureOr<GPUArtifacts> compileForGPU(mlir::ModuleOp module,
                                            const GPUCompileOptions &options,
                                            llvm::StringRef stopAfter = "");

/// The PTX modules of a compiled model as one text, each module after a
/// `// ----- module NAME` line (what `tessel-compile --emit=ptx` prints).
std::string ptxListing(const std::vector<rt::GpuModule> &modules);

} // namespace tessel

#endif // TESSEL_COMPILER_GPUCOMPILER_H
