//===- NPUDialect.h - The Tessel NPU dialect --------------------*- C++ -*-===//
#ifndef TESSEL_DIALECT_NPU_IR_NPUDIALECT_H
#define TESSEL_DIALECT_NPU_IR_NPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tessel/Dialect/NPU/IR/NPUDialect.h.inc"

#define GET_OP_CLASSES
#include "tessel/Dialect/NPU/IR/NPUOps.h.inc"

#endif // TESSEL_DIALECT_NPU_IR_NPUDIALECT_H
