//===- Pipelines.h - Tessel's named pass pipelines --------------*- C++ -*-===//
//
// The pipelines `tessel-compile` runs, registered by name so that
// `tessel-opt --pass-pipeline='builtin.module(tessel-graph-optimize{...})'`
// replays them (and `--mlir-print-ir-after-all` shows each stage).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TRANSFORMS_PIPELINES_H
#define TESSEL_TRANSFORMS_PIPELINES_H

#include "tessel/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace tessel {

struct GraphOptimizeOptions
    : public mlir::PassPipelineOptions<GraphOptimizeOptions> {
  Option<graph::Layout> layout{
      *this, "layout",
      llvm::cl::desc("Layout of the optimized graph's convs and pools"),
      llvm::cl::init(graph::Layout::NCHW),
      llvm::cl::values(
          clEnumValN(graph::Layout::NCHW, "nchw",
                     "channels first (as imported)"),
          clEnumValN(graph::Layout::NHWC, "nhwc", "channels last"))};
  Option<int64_t> foldBudget{
      *this, "fold-budget",
      llvm::cl::desc("Largest op (operand plus result elements) that "
                     "graph-fold-constants evaluates"),
      llvm::cl::init(int64_t(1) << 25)};
};

/// tessel-graph-optimize: the hardware-independent optimizer. The stages and
/// the reasons for their order are in Pipelines.cpp.
void buildGraphOptimizePipeline(mlir::OpPassManager &pm,
                                const GraphOptimizeOptions &options);

/// The stages of the CPU lowering, in order.
enum class CPUStage {
  Linalg,     ///< graph -> linalg/tensor (and micro-kernel calls), fused.
  Bufferized, ///< memrefs, micro-kernel calls, the host entry, the weights.
  LLVM,       ///< the LLVM dialect, ready for translation.
};

/// Appends the passes of one CPU stage (the stages before it must have run).
void buildCPUStage(mlir::OpPassManager &pm, CPUStage stage);

/// tessel-lower-to-cpu: the CPU lowering of an optimized `graph` module up
/// to and including `stopAfter`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      CPUStage stopAfter = CPUStage::LLVM);

/// Options of tessel-lower-to-npu (those of tessel-npu-partition, which
/// records them on the module for the later stages).
struct NPUPipelineOptions
    : public mlir::PassPipelineOptions<NPUPipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("Chip model"),
                           llvm::cl::init("mobile-m")};
  Option<std::string> chipFile{*this, "chip-file",
                               llvm::cl::desc("File with more chip models"),
                               llvm::cl::init("")};
  Option<unsigned> cores{*this, "cores", llvm::cl::desc("Cores"),
                         llvm::cl::init(1)};
  Option<unsigned> mos{*this, "mos",
                       llvm::cl::desc("Cores an output-channel range splits "
                                      "across"),
                       llvm::cl::init(1)};
  Option<unsigned> ols{*this, "ols",
                       llvm::cl::desc("At least this many tiles per layer"),
                       llvm::cl::init(1)};
  Option<unsigned> splitSize{*this, "split-size",
                             llvm::cl::desc("Largest activation tile (KiB)"),
                             llvm::cl::init(0)};
  Option<unsigned> vtcmLimitPercent{*this, "vtcm-limit-percent",
                                    llvm::cl::desc("VTCM budget (percent)"),
                                    llvm::cl::init(100)};
  Option<unsigned> deallocDelay{*this, "dealloc-delay",
                                llvm::cl::desc("Extra layers of VTCM life"),
                                llvm::cl::init(0)};
  Option<bool> multicastWeights{*this, "multicast-weights",
                                llvm::cl::desc("Multicast shared weights"),
                                llvm::cl::init(false)};
  Option<bool> residency{*this, "residency",
                         llvm::cl::desc("Keep intermediates in VTCM"),
                         llvm::cl::init(true)};
  Option<std::string> solver{*this, "solver",
                             llvm::cl::desc("Tiling search"),
                             llvm::cl::init("auto")};
  Option<std::string> forceCpu{*this, "force-cpu",
                               llvm::cl::desc("Ops kept on the CPU"),
                               llvm::cl::init("")};
};

/// The stages of the NPU lowering, in order.
enum class NPUStage { Partition, Convert, Plan, Allocate, Schedule };

/// tessel-lower-to-npu: partition, convert, fuse, split, reorder weights,
/// allocate, schedule (up to and including `stopAfter`).
void buildNPUPipeline(mlir::OpPassManager &pm,
                      const NPUPipelineOptions &options,
                      NPUStage stopAfter = NPUStage::Schedule);

/// The stages of the GPU lowering, in order.
enum class GPUStage {
  Linalg,     ///< graph -> linalg/tensor, fused (as for the CPU).
  Bufferized, ///< buffers in one device arena, the weights in their section.
  Kernels,    ///< scf.forall nests mapped to gpu.launch, kernels outlined.
  NVVM,       ///< the kernel modules in the LLVM and NVVM dialects.
  PTX,        ///< gpu.binary ops holding the PTX.
};

struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> gpuArch{
      *this, "gpu-arch",
      llvm::cl::desc("The GPU architecture the PTX targets: sm_80 or sm_90"),
      llvm::cl::init("sm_80")};
};

/// Appends the passes of one GPU stage (the stages before it must have run).
void buildGPUStage(mlir::OpPassManager &pm, GPUStage stage,
                   const GPUPipelineOptions &options);

/// tessel-lower-to-gpu: the GPU lowering of an optimized `graph` module up to
/// and including `stopAfter`.
void buildGPUPipeline(mlir::OpPassManager &pm,
                      const GPUPipelineOptions &options,
                      GPUStage stopAfter = GPUStage::PTX);

/// Registers the named pipelines with the pass registry.
void registerPipelines();

} // namespace tessel

#endif // TESSEL_TRANSFORMS_PIPELINES_H
