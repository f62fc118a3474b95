//===- CompilerSupport.h - What the CPU and GPU compilers share -*- C++ -*-===//
//
// Both back ends record the binary's layout on the module as they lower it
// (`tessel.io`: the inputs and outputs with their arena offsets,
// `tessel.weights`: the externalized constants with their offsets); these
// helpers turn the records into the binary's descriptors and weights.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_COMPILER_COMPILERSUPPORT_H
#define TESSEL_LIB_COMPILER_COMPILERSUPPORT_H

#include "tessel/Runtime/Container.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace tessel::compiler {

/// The module's text, with large resources elided.
std::string printed(mlir::ModuleOp module);

/// Writes `text` to DIR/NAME if `dir` is not empty.
void dump(llvm::StringRef dir, llvm::StringRef name, llvm::StringRef text);

/// The runtime element type of an MLIR element type.
std::optional<rt::ElemType> elemTypeOf(mlir::Type t);

/// The weight section from `tessel.weights` (zero-padded to `size`); empty
/// if there are no weights.
mlir::LogicalResult collectWeights(mlir::ModuleOp module, mlir::ArrayAttr weights,
                                   int64_t size, std::vector<uint8_t> &blob);

/// The tensor descriptors from `tessel.io`.
mlir::LogicalResult collectIO(mlir::ModuleOp module, mlir::ArrayAttr io,
                              std::vector<rt::TensorDesc> &tensors);

} // namespace tessel::compiler

#endif // TESSEL_LIB_COMPILER_COMPILERSUPPORT_H
