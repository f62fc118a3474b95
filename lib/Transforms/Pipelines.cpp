//===- Pipelines.cpp - Tessel's named pass pipelines ----------------------===//
//
// The pass order of each pipeline, in one place, with the reason for each
// position (in the manner of onnx-mlir's CompilerPasses.cpp). Changing the
// order changes what the passes can see; the constraints are stated at each
// stage.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Pipelines.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Dialect/NPU/Transforms/Passes.h"
#include "tessel/Transforms/GPUPasses.h"
#include "tessel/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tessel::buildGraphOptimizePipeline(OpPassManager &pm,
                                        const GraphOptimizeOptions &options) {
  OpPassManager &fpm = pm.nest<func::FuncOp>();

  // 1. Canonicalize first: folders evaluate constant subgraphs (shape
  //    computations, weight preprocessing) and remove identities (x * 1,
  //    no-op reshapes, transposes and slices, concat of one), chains of
  //    reshapes, transposes and casts collapse, and commutative ops get their
  //    constants on the right. Every later pattern matches this one form.
  fpm.addPass(createCanonicalizerPass());
  // 2. CSE before any matching: exporters repeat subexpressions (x - mean in
  //    a written-out LayerNorm, mask and shape computations); recomposition
  //    needs the shared value to be one value.
  fpm.addPass(createCSEPass());
  // 3. What the folders' 16M-element budget left, within the pipeline's
  //    budget; also removes what became dead.
  fpm.addPass(graph::createGraphFoldConstants(
      graph::GraphFoldConstantsOptions{options.foldBudget}));
  // 4. Recompose before batch-norm folding and activation fusion: it needs
  //    the elementwise chains as the exporter wrote them (fusion would hide
  //    their heads in a conv or matmul), and it produces the gelu ops and
  //    biased matmuls that fusion then takes in.
  fpm.addPass(graph::createGraphRecompose());
  // 5. Fold batch norms (and per-channel constant affine ops) into the
  //    weights before fusion: a batch norm sits between a conv and its
  //    activation, and a conv with a fused activation can no longer take
  //    an affine map on its output.
  fpm.addPass(graph::createGraphFoldBatchNorm());
  // 6. Fuse biases and activations once nothing sits between producers and
  //    their activations any more.
  fpm.addPass(graph::createGraphFuseActivations());
  // 6b. Pre-quantized (QDQ) models: an op between DequantizeLinear and
  //     QuantizeLinear becomes the quantized op, once the float chain
  //     around it has its final shape (folded batch norms, fused
  //     activations) and before layout conversion moves transposes between
  //     the pairs. A float model has no pairs: nothing changes.
  fpm.addPass(graph::createGraphFoldQDQ());
  // 7. Convert the layout last among the rewrites: with batch norms folded
  //    and activations fused there are fewer ops for the transposes to move
  //    through, and fusion patterns never have to look through transposes.
  //    Always run: for the imported layout it only sinks and cancels the
  //    transposes the model itself has.
  fpm.addPass(graph::createGraphConvertLayout(
      graph::GraphConvertLayoutOptions{options.layout}));
  // 8. Clean up: fold the weight transposes the layout conversion left
  //    (done by the previous pass's folders too) and merge duplicate
  //    constants and transposes.
  fpm.addPass(createCanonicalizerPass());
  fpm.addPass(createCSEPass());
}

/// graph -> linalg on tensors. The CPU lowers f32 convs and matmuls to
/// micro-kernel calls (`ukernels`); the GPU keeps them as linalg contractions.
static void addLinalgStage(OpPassManager &pm, bool ukernels) {
  // Record the graph-level I/O signature before anything lowers it: the
  // binary's descriptors need names and unsigned types.
  pm.addPass(tessel::createRecordIO());
  // Every graph op lowers here; one left over fails the pass.
  tessel::ConvertGraphToLinalgOptions lowering;
  lowering.ukernels = ukernels;
  pm.addPass(tessel::createConvertGraphToLinalg(lowering));
  pm.addPass(createCanonicalizerPass());
  // Fuse elementwise producers into consumers while still on tensors,
  // where fusion rewrites values rather than buffers. The GPU fuses into
  // elementwise consumers only: a contraction that took in its producers
  // could no longer be tiled for shared memory and tensor cores.
  if (ukernels)
    pm.addPass(createLinalgElementwiseOpFusionPass());
  else
    pm.addPass(tessel::createGPUFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// tensors -> memrefs, the entry point, the weight section.
static void addBufferizeStage(OpPassManager &pm) {
  // Bufferize the whole module, function boundaries included, with
  // identity layouts there (the entry passes plain buffers).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Results become out-parameters that the runtime's arena provides.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  // Weights leave the IR for the weight section before anything could copy
  // them into LLVM globals; then the entry point over the arena.
  pm.addPass(tessel::createCPUExternalizeWeights());
  pm.addPass(tessel::createCPULowerUKernels());
  // Intermediate buffers go to a scratch region planned from their live
  // ranges (after the kernel calls, whose copies allocate too): a run
  // allocates nothing and memory is reused.
  pm.addPass(tessel::createCPUPlanMemory());
  pm.addPass(tessel::createCPUHostEntry());
  pm.addPass(tessel::createCPULowerCopies());
}

/// memrefs -> loops -> the LLVM dialect.
static void addLLVMStage(OpPassManager &pm) {
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Integer powers become small loops; bf16 conversions integer code (no
  // libgcc helper needed at load time).
  pm.addPass(createConvertMathToFuncs());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Memrefs cross function boundaries as bare pointers (static shapes
  // only): the entry's C ABI.
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void tessel::buildCPUStage(OpPassManager &pm, CPUStage stage) {
  switch (stage) {
  case CPUStage::Linalg:
    addLinalgStage(pm, /*ukernels=*/true);
    break;
  case CPUStage::Bufferized:
    addBufferizeStage(pm);
    break;
  case CPUStage::LLVM:
    addLLVMStage(pm);
    break;
  }
}

void tessel::buildCPUPipeline(OpPassManager &pm, CPUStage stopAfter) {
  for (CPUStage stage :
       {CPUStage::Linalg, CPUStage::Bufferized, CPUStage::LLVM}) {
    buildCPUStage(pm, stage);
    if (stage == stopAfter)
      return;
  }
}

void tessel::buildNPUPipeline(OpPassManager &pm,
                              const NPUPipelineOptions &o,
                              NPUStage stopAfter) {
  // 1. Partition first, on the optimized graph: it tries every op on the
  //    chip with the same lowering and planner the later stages use, so an
  //    op that reaches them can be compiled; it records the chip and the
  //    options (npu.target) that every later stage reads.
  npu::ir::NPUPartitionOptions p;
  p.chip = o.chip;
  p.chipFile = o.chipFile;
  p.cores = o.cores;
  p.mos = o.mos;
  p.ols = o.ols;
  p.splitSize = o.splitSize;
  p.vtcmLimitPercent = o.vtcmLimitPercent;
  p.deallocDelay = o.deallocDelay;
  p.multicastWeights = o.multicastWeights;
  p.residency = o.residency;
  p.solver = o.solver;
  p.forceCpu = o.forceCpu;
  pm.addPass(npu::ir::createNPUPartition(p));
  if (stopAfter == NPUStage::Partition)
    return;
  // 2. Only NPU segments convert; CPU segments stay graph ops for the CPU
  //    pipeline.
  pm.addPass(npu::ir::createConvertGraphToNPU());
  pm.addPass(createCanonicalizerPass());
  if (stopAfter == NPUStage::Convert)
    return;
  // 3. Residency before tiling (the tiles must fit next to the resident
  //    tensors; tiling may evict some), tiling before weight packing (the
  //    packed tiles follow the channel tiling).
  pm.addPass(npu::ir::createNPUFuseLayers());
  pm.addPass(npu::ir::createNPUSplit());
  pm.addPass(npu::ir::createNPUReorderWeights());
  if (stopAfter == NPUStage::Plan)
    return;
  // 4. Addresses last: the arena needs every segment's scratch and weight
  //    image size.
  pm.addPass(npu::ir::createNPUAllocate());
  if (stopAfter == NPUStage::Allocate)
    return;
  pm.addPass(npu::ir::createNPUSchedule());
}

//===----------------------------------------------------------------------===//
// The GPU back end (docs/gpu.md)
//===----------------------------------------------------------------------===//

/// tensors -> buffers in one device arena; the weights in their section.
static void addGPUBufferizeStage(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  // Every constant goes to the weight section, however small: the host
  // runs no code, so a constant left in host memory could not be read.
  tessel::CPUExternalizeWeightsOptions weights;
  weights.minBytes = 0;
  pm.addPass(tessel::createCPUExternalizeWeights(weights));
  // After the weights (which leave @main's allocations alone) and before
  // distribution (which needs to know nothing about the host).
  pm.addPass(tessel::createGPUPlanMemory());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Buffers -> scf.forall nests -> gpu.launch -> outlined kernels.
static void addGPUKernelStage(OpPassManager &pm) {
  pm.addPass(tessel::createGPUDistribute());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(tessel::createGPUMapForall());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // The kernels take only the arena and the weights: views and constants
  // move in before outlining.
  pm.addPass(tessel::createGPUSinkIntoLaunch());
  // Integer powers become small functions, which outlining copies into the
  // kernel modules that call them.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(tessel::createGPUMergeModules());
}

/// Kernels -> the LLVM and NVVM dialects.
static void addGPUNVVMStage(OpPassManager &pm) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(tessel::createGPULowerMath());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  kernels.addPass(arith::createArithExpandOpsPass(expand));
  kernels.addPass(createConvertMathToLLVMPass());
  // Kernel arguments as bare pointers: the runtime passes the device
  // arena's and the weights' addresses.
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  nvvm.indexBitwidth = 64;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  kernels.addPass(createConvertNVVMToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  kernels.addPass(createCanonicalizerPass());
}

void tessel::buildGPUStage(OpPassManager &pm, GPUStage stage,
                           const GPUPipelineOptions &options) {
  switch (stage) {
  case GPUStage::Linalg:
    addLinalgStage(pm, /*ukernels=*/false);
    break;
  case GPUStage::Bufferized:
    addGPUBufferizeStage(pm);
    break;
  case GPUStage::Kernels:
    addGPUKernelStage(pm);
    break;
  case GPUStage::NVVM:
    addGPUNVVMStage(pm);
    break;
  case GPUStage::PTX: {
    tessel::GPUSerializeOptions serialize;
    serialize.chip = options.gpuArch;
    pm.addPass(tessel::createGPUSerialize(serialize));
    break;
  }
  }
}

void tessel::buildGPUPipeline(OpPassManager &pm,
                              const GPUPipelineOptions &options,
                              GPUStage stopAfter) {
  for (GPUStage stage : {GPUStage::Linalg, GPUStage::Bufferized,
                         GPUStage::Kernels, GPUStage::NVVM, GPUStage::PTX}) {
    buildGPUStage(pm, stage, options);
    if (stage == stopAfter)
      return;
  }
}

void tessel::registerPipelines() {
  PassPipelineRegistration<NPUPipelineOptions>(
      "tessel-lower-to-npu",
      "Lower optimized NHWC graph IR to NPU instruction streams (what "
      "tessel-compile --target=npu runs after tessel-graph-optimize)",
      [](OpPassManager &pm, const NPUPipelineOptions &o) {
        buildNPUPipeline(pm, o);
      });
  PassPipelineRegistration<GraphOptimizeOptions>(
      "tessel-graph-optimize",
      "Hardware-independent graph optimization: folding, recomposition, "
      "batch-norm folding, activation fusion, layout conversion",
      buildGraphOptimizePipeline);
  PassPipelineRegistration<>(
      "tessel-lower-to-cpu",
      "Lower optimized graph IR to the LLVM dialect for the CPU (what "
      "tessel-compile --target=cpu runs after tessel-graph-optimize)",
      [](OpPassManager &pm) { buildCPUPipeline(pm); });
  PassPipelineRegistration<GPUPipelineOptions>(
      "tessel-lower-to-gpu",
      "Lower optimized graph IR to GPU kernels in PTX and the launches that "
      "run them (what tessel-compile --target=gpu runs after "
      "tessel-graph-optimize)",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        buildGPUPipeline(pm, options);
      });
}
