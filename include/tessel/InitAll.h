//===- InitAll.h - Register Tessel's dialects and passes --------*- C++ -*-===//
#ifndef TESSEL_INITALL_H
#define TESSEL_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tessel {

/// Tessel's dialects and the upstream ones its pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Tessel's passes and named pipelines, plus the upstream passes they use.
void registerAllPasses();

} // namespace tessel

#endif // TESSEL_INITALL_H
