//===- Passes.h - Hardware-independent graph passes -------------*- C++ -*-===//
//
// Declarations generated from Passes.td (create functions and option
// structs), the registration hook, and the pattern sets that more than one
// pass uses.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_GRAPH_TRANSFORMS_PASSES_H
#define TESSEL_DIALECT_GRAPH_TRANSFORMS_PASSES_H

#include "tessel/Dialect/Graph/IR/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace tessel::graph {

#define GEN_PASS_DECL
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"

/// Transposes move towards the outputs through layout-agnostic ops, and
/// inverse pairs cancel (graph-sink-transposes, graph-convert-layout).
void populateSinkTransposePatterns(mlir::RewritePatternSet &patterns);

/// A constant add after a conv (per output channel) or a matmul becomes its
/// bias (graph-fuse-activations, graph-recompose, graph-fold-batchnorm).
void populateFuseBiasPatterns(mlir::RewritePatternSet &patterns);

} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_TRANSFORMS_PASSES_H
