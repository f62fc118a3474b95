//===- InitAll.cpp - Register Tessel's dialects and passes ----------------===//
//
// Tessel's own dialects and passes, plus every upstream dialect, extension
// and pass: the back-end pipelines use linalg, bufferization, vector, LLVM
// and GPU passes, and compiler engineers replay them in tessel-opt.
//
//===----------------------------------------------------------------------===//
#include "tessel/InitAll.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/CPU/IR/CPUDialect.h"
#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Dialect/NPU/IR/NPUDialect.h"
#include "tessel/Dialect/NPU/Transforms/Passes.h"
#include "tessel/Transforms/GPUPasses.h"
#include "tessel/Transforms/Passes.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void tessel::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, tcpu::TCPUDialect, npu::ir::NPUDialect>();
  tcpu::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void tessel::registerAllPasses() {
  mlir::registerAllPasses();
  graph::registerGraphTransformsPasses();
  tessel::registerTesselConversionPasses();
  tessel::registerTesselTransformsPasses();
  npu::ir::registerNPUTransformsPasses();
  tessel::registerTesselGPUPasses();
  tessel::registerPipelines();
}
