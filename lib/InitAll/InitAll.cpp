//===- InitAll.cpp - Register Tessel's dialects and passes ----------------===//
#include "tessel/InitAll.h"
#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void tessel::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, mlir::func::FuncDialect,
                  mlir::quant::QuantDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
}

void tessel::registerAllPasses() {
  graph::registerGraphTransformsPasses();
  registerPipelines();
  // Upstream passes that Tessel's pipelines use.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
}
