//===- Pipelines.cpp - Tessel's named pass pipelines ----------------------===//
//
// The pass order of each pipeline, in one place, with the reason for each
// position (in the manner of onnx-mlir's CompilerPasses.cpp). Changing the
// order changes what the passes can see; the constraints are stated at each
// stage.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Pipelines.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
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

void tessel::registerPipelines() {
  PassPipelineRegistration<GraphOptimizeOptions>(
      "tessel-graph-optimize",
      "Hardware-independent graph optimization: folding, recomposition, "
      "batch-norm folding, activation fusion, layout conversion",
      buildGraphOptimizePipeline);
}
