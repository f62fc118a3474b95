//===- Bridge.h - npu dialect <-> the code generator's LayerGraph -*- C++
//-*-===//
//
// The npu passes are thin: each builds the LayerGraph of a segment function
// (layer ops, their constants, the function's arguments and results), runs
// one stage of tessel/Target/NPU/Codegen, and records the result as
// attributes that the next stage reads back:
//
//   npu.place   on layer ops (their result) and function arguments:
//               {mem = "ddr"|"vtcm", addr, pitch, row_dims}
//   npu.tiling  on layer ops: {rows, cols, weights_outer, cores,
//               channel_cores, multicast, vtcm_bytes, est_cycles,
//               est_ddr_bytes, tiles, solver}
//   npu.buffers on layer ops: VTCM addresses of the layer's tile buffers
//   npu.packed  on conv/matmul ops: per weight tile {offset, bytes,
//               weight_bytes, table_offset, bias_offset}
//   npu.weights on the function: the packed weight image (i8 tensor)
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_NPU_IR_BRIDGE_H
#define TESSEL_DIALECT_NPU_IR_BRIDGE_H

#include "tessel/Target/NPU/Codegen/Plan.h"
#include "tessel/Target/NPU/Codegen/Planner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace tessel::npu::ir {

/// The NPU element type of an MLIR element type (i8, ui8, i16, i32, i64,
/// f16, f32); nullopt otherwise.
std::optional<DType> npuDType(mlir::Type elementType);
/// The MLIR element type of an NPU element type (u8 is ui8).
mlir::Type mlirType(mlir::MLIRContext *ctx, DType t);

/// Fills `layer` (without tensor ids) from a layer op. Fails with a
/// diagnostic on the op.
mlir::LogicalResult layerParamsFromOp(mlir::Operation *op, cg::Layer &layer);
/// Whether `op` is one of the layer ops.
bool isLayerOp(mlir::Operation *op);

/// A segment function as a LayerGraph.
struct SegmentGraph {
  cg::LayerGraph graph;
  std::vector<mlir::Operation *> layerOps; ///< By layer index.
  /// By tensor id: the value (block argument or op result) it stands for.
  std::vector<mlir::Value> values;
  cg::TensorId idOf(mlir::Value v) const;
};

/// Builds the graph of a function whose body holds npu layer, constant and
/// reshape ops. Function arguments are inputs, returned values outputs.
mlir::FailureOr<SegmentGraph> buildSegmentGraph(mlir::func::FuncOp func);

/// The chip and options the npu passes read from the module (set by
/// tessel-npu-partition or written by hand in tests):
///   npu.target = {chip = "mobile-m", cores = 1 : i64, mos = 1 : i64, ...}
struct TargetOptions {
  std::string chip = "mobile-m";
  cg::PlanOptions plan;
};
mlir::FailureOr<TargetOptions> readTargetOptions(mlir::Operation *module);
mlir::DictionaryAttr targetOptionsAttr(mlir::MLIRContext *ctx,
                                       const TargetOptions &options);
/// The chip named by the options (built-in chips, plus `chip_file`).
mlir::FailureOr<const ChipModel *> targetChip(mlir::Operation *module,
                                              const TargetOptions &options);

// Attributes <-> plan structs.
mlir::DictionaryAttr placementAttr(mlir::MLIRContext *ctx,
                                   const cg::Placement &p);
std::optional<cg::Placement> placementFromAttr(mlir::Attribute a);
mlir::DictionaryAttr tilingAttr(mlir::MLIRContext *ctx, const cg::TilePlan &p);
std::optional<cg::TilePlan> tilingFromAttr(mlir::Attribute a);

/// Reads back the plan the passes recorded on a segment function (what is
/// missing stays default; `has*` say what was found).
struct RecordedPlan {
  cg::NpuPlan plan;
  bool hasPlacements = false, hasTiling = false, hasBuffers = false,
       hasWeights = false;
};
RecordedPlan readRecordedPlan(mlir::func::FuncOp func, const SegmentGraph &sg);
/// Records placements (of layer results and arguments).
void writePlacements(mlir::func::FuncOp func, const SegmentGraph &sg,
                     const std::vector<cg::Placement> &places);
void writeTiling(const SegmentGraph &sg,
                 const std::vector<cg::TilePlan> &tiles);
void writeBuffers(const SegmentGraph &sg,
                  const std::vector<std::vector<uint64_t>> &buffers);
void writeWeights(mlir::func::FuncOp func, const SegmentGraph &sg,
                  const cg::WeightImage &image);

} // namespace tessel::npu::ir

#endif // TESSEL_DIALECT_NPU_IR_BRIDGE_H
