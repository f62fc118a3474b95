//===- Passes.h - The NPU back end's stages ----------------------*- C++
//-*-===//
//
// The passes of Passes.td, and the pieces of them the compiler driver
// (lib/Compiler/NPUCompiler.cpp) calls directly: the graph -> npu lowering
// of one op (partitioning tries every op with it), the DDR arena layout of
// the tensors passed between segments, and the scheduling of a segment into
// a Program.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_NPU_TRANSFORMS_PASSES_H
#define TESSEL_DIALECT_NPU_TRANSFORMS_PASSES_H

#include "tessel/Dialect/NPU/IR/Bridge.h"
#include "tessel/Dialect/NPU/IR/NPUDialect.h"
#include "tessel/Target/NPU/Codegen/Sync.h"
#include "tessel/Target/NPU/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace tessel::npu::ir {

#define GEN_PASS_DECL
#include "tessel/Dialect/NPU/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Dialect/NPU/Transforms/Passes.h.inc"

/// Lowers graph ops, one at a time, to npu layer ops that compute in the
/// chip's types: float tensors become f16. Operands are looked up in
/// `mapping` (graph value -> npu value); graph constants become npu
/// constants on first use.
class GraphToNPULowering {
public:
  GraphToNPULowering(mlir::OpBuilder &builder, const ChipModel &chip)
      : b(builder), chip(chip) {}

  /// The element type a graph tensor of element type `t` has on the NPU,
  /// or null (with `why`) if the chip cannot hold it.
  mlir::Type computeType(mlir::Type t, std::string &why) const;
  /// Emits the npu ops of `op` at the builder's insertion point and maps its
  /// results. On failure, `why` says why (ops may have been emitted).
  mlir::LogicalResult lower(mlir::Operation *op, std::string &why);
  /// The npu value standing for graph value `v`.
  mlir::FailureOr<mlir::Value> operand(mlir::Value v, std::string &why);

  mlir::IRMapping mapping;

private:
  mlir::Value constantOf(mlir::ElementsAttr value, mlir::Type elementType,
                         llvm::ArrayRef<int64_t> shape, std::string &why);
  mlir::LogicalResult lowerQuantized(mlir::Operation *op, std::string &why);
  mlir::OpBuilder &b;
  const ChipModel &chip;
  /// f32 values and their f16 conversions (made once, where defined).
  llvm::DenseMap<mlir::Value, mlir::Value> f16Of;
};

/// Whether `func` is an NPU (`npu.segment`) or CPU (`cpu.segment`) segment.
bool isNpuSegment(mlir::func::FuncOp func);
bool isCpuSegment(mlir::func::FuncOp func);

/// The DDR arena offsets of @main's arguments (`npu.offset`) and of every
/// segment call's results (`npu.result_offsets`), 64-byte aligned, each
/// value its own bytes; records `npu.arena = {boundary_bytes = N}`. Does
/// nothing when they are recorded already.
mlir::LogicalResult layoutBoundaries(mlir::ModuleOp module);

/// The arena offsets of a segment's arguments and results, from its call.
struct SegmentIO {
  std::vector<uint64_t> args, results;
};
mlir::FailureOr<SegmentIO> segmentIO(mlir::ModuleOp module,
                                     mlir::func::FuncOp segment);

/// An NPU segment with its recorded plan scheduled into instruction streams.
mlir::FailureOr<Program> scheduleSegment(mlir::ModuleOp module,
                                         mlir::func::FuncOp segment,
                                         cg::SyncStats *stats = nullptr);

/// The segment calls of @main in order.
llvm::SmallVector<mlir::func::CallOp> segmentCalls(mlir::ModuleOp module);

} // namespace tessel::npu::ir

#endif // TESSEL_DIALECT_NPU_TRANSFORMS_PASSES_H
