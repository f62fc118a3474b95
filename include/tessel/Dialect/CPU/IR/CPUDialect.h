//===- CPUDialect.h - The Tessel CPU dialect --------------------*- C++ -*-===//
#ifndef TESSEL_DIALECT_CPU_IR_CPUDIALECT_H
#define TESSEL_DIALECT_CPU_IR_CPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

#include "tessel/Dialect/CPU/IR/CPUDialect.h.inc"

#define GET_OP_CLASSES
#include "tessel/Dialect/CPU/IR/CPUOps.h.inc"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tessel::tcpu {
/// Attaches the bufferization interface to tcpu.ukernel.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);
} // namespace tessel::tcpu

#endif // TESSEL_DIALECT_CPU_IR_CPUDIALECT_H
