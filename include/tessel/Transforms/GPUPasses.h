//===- GPUPasses.h - The GPU back end's passes ------------------*- C++ -*-===//
#ifndef TESSEL_TRANSFORMS_GPUPASSES_H
#define TESSEL_TRANSFORMS_GPUPASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace tessel {

#define GEN_PASS_DECL
#include "tessel/Transforms/GPUPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Transforms/GPUPasses.h.inc"

} // namespace tessel

#endif // TESSEL_TRANSFORMS_GPUPASSES_H
