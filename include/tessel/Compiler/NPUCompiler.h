//===- NPUCompiler.h - graph IR to an NPU deployable binary -----*- C++ -*-===//
//
// tessel-compile --target=npu: the NPU pipeline (tessel-lower-to-npu) on the
// optimized NHWC graph, the CPU segments through the CPU pipeline into one
// shared object, and one binary whose plan runs the segments in order over
// one DDR arena:
//
//   [model inputs, outputs, tensors between segments]
//   [CPU scratch] [NPU scratch] [weights: CPU blobs, NPU packed images]
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_COMPILER_NPUCOMPILER_H
#define TESSEL_COMPILER_NPUCOMPILER_H

#include "tessel/Compiler/CPUCompiler.h"
#include "tessel/Runtime/Container.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tessel {

struct NPUCompileOptions {
  std::string chip = "mobile-m";
  std::string chipFile;
  unsigned cores = 1, mos = 1, ols = 1;
  unsigned splitSizeKiB = 0; ///< 0: no limit.
  unsigned vtcmLimitPercent = 100;
  unsigned deallocDelay = 0;
  bool multicastWeights = false;
  bool residency = true;
  std::string solver = "auto";
  std::string forceCpu; ///< Comma-separated op names or node names.
  CPUCompileOptions cpu;
  bool verifyEach = true;
  /// Recorded in the binary's metadata (option.NAME).
  std::vector<std::pair<std::string, std::string>> recordedOptions;
};

struct NPUFallback {
  std::string op, name, reason;
};
struct NPULayerReport {
  std::string segment, layer, kind, solver;
  uint64_t estCycles = 0, tiles = 0, vtcmBytes = 0, cores = 1;
  bool resident = false; ///< Its output stays in VTCM.
};
struct NPUSegmentReport {
  std::string name;
  bool npu = true;
  size_t ops = 0;
  uint64_t instructions = 0, waits = 0, vtcmPeak = 0, ddrScratch = 0,
           weightBytes = 0;
};
struct NPUReport {
  std::vector<NPUFallback> fallbacks;
  std::vector<NPUSegmentReport> segments;
  std::vector<NPULayerReport> layers;
  uint64_t arenaBytes = 0, weightsBytes = 0;
  double compileSeconds = 0;
};

struct NPUArtifacts {
  rt::ModelBinary binary;
  std::string assembly; ///< The readable instruction streams.
  NPUReport report;
};

/// Compiles an optimized (NHWC) graph module; the module is lowered in
/// place. Failures are diagnostics on the module.
llvm::FailureOr<NPUArtifacts> compileForNPU(mlir::ModuleOp module,
                                            const NPUCompileOptions &options);

/// Runs tessel-lower-to-npu with these options up to and including
/// `stopAfter` (what --emit=npu prints; compileForNPU stops at Plan).
mlir::LogicalResult runNPUPipeline(mlir::ModuleOp module,
                                   const NPUCompileOptions &options,
                                   NPUStage stopAfter);

/// The --stats text of a report.
std::string formatNPUReport(const NPUReport &report);

} // namespace tessel

#endif // TESSEL_COMPILER_NPUCOMPILER_H
