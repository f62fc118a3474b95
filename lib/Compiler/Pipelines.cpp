//===- Pipelines.cpp - Tessel's back-end pass pipelines -------------------===//
#include "tessel/Compiler/Pipelines.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// graph -> linalg on tensors.
static void addLinalgStage(OpPassManager &pm) {
  // Record the graph-level I/O signature before anything lowers it: the
  // binary's descriptors need names and unsigned types.
  pm.addPass(tessel::createRecordIO());
  // Every graph op lowers here; one left over fails the pass.
  tessel::ConvertGraphToLinalgOptions lowering;
  lowering.ukernels = true;
  pm.addPass(tessel::createConvertGraphToLinalg(lowering));
  pm.addPass(createCanonicalizerPass());
  // Fuse elementwise producers into consumers while still on tensors,
  // where fusion rewrites values rather than buffers.
  pm.addPass(createLinalgElementwiseOpFusionPass());
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
  pm.addPass(tessel::createCPUHostEntry());
  // Free intermediate buffers once the entry exists, so that ownership
  // analysis sees the final call graph.
  bufferization::buildBufferDeallocationPipeline(pm);
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
    addLinalgStage(pm);
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

void tessel::registerPipelines() {
  PassPipelineRegistration<>(
      "tessel-lower-to-cpu",
      "Lower graph IR to the LLVM dialect for the CPU (what tessel-compile "
      "--target=cpu runs)",
      [](OpPassManager &pm) { buildCPUPipeline(pm); });
}
