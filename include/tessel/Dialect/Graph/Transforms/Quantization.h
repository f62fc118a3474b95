//===- Quantization.h - Post-training quantization support -----*- C++ -*-===//
//
// What the quantization passes (graph-quantize-prepare, graph-calibrate,
// graph-quantize-annotate, graph-quantize-rewrite, graph-fold-qdq) and the
// drivers share: value names, calibration samples, the quantization report
// (per-layer and output cosine/SQNR against fp32) and the automatic
// mixed-precision search. docs/quantization.md describes the flow.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_GRAPH_TRANSFORMS_QUANTIZATION_H
#define TESSEL_DIALECT_GRAPH_TRANSFORMS_QUANTIZATION_H

#include "tessel/Quant/Calibration.h"
#include "tessel/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

namespace tessel::graph {

/// Attribute names of the quantization flow.
constexpr const char kNameAttr[] = "tessel.name";
constexpr const char kCalibAttr[] = "tessel.calib";
constexpr const char kPrecisionAttr[] = "tessel.precision";
constexpr const char kQTypeAttr[] = "tessel.qtype";

/// The name of a value: its op's `tessel.name` (with `#i` for result i > 0
/// of a multi-result op), or the function argument's `tessel.name`; empty
/// if it has none.
std::string valueName(mlir::Value v);

/// Gives every graph op (constants excepted) a unique `tessel.name`: its
/// ONNX node name (the NameLoc of its location) or `<mnemonic>_<n>`, with a
/// `_k` suffix where names repeat. Ops that have one keep it.
void assignOpNames(mlir::func::FuncOp func);

/// One set of inputs of a function (one tensor per argument).
using Sample = std::vector<ref::Tensor>;

/// Reads calibration samples for `func`'s arguments from `dir`:
///  - `test_data_set_*/input_<i>.pb` folders (ONNX test data), or
///  - one sub-folder per input name holding .npy/.pb files (sample k is the
///    k-th file in name order), or
///  - .npy/.pb files directly in `dir` (single-input models).
/// A file whose leading dim is a multiple of the input's holds several
/// samples (a batch). Values are converted to the argument's element type.
/// At most `maxSamples` are returned (0: all).
llvm::FailureOr<std::vector<Sample>>
loadSamples(mlir::func::FuncOp func, llvm::StringRef dir, int maxSamples,
            std::string &error);

/// Seeded random inputs: floats normal(0, 1); integers uniform over the
/// rows of the gather they index, else over [0, 2).
std::vector<Sample> randomSamples(mlir::func::FuncOp func, int count,
                                  unsigned seed);

//===----------------------------------------------------------------------===//
// The steps (the passes call these; so do the drivers)
//===----------------------------------------------------------------------===//

/// graph-quantize-prepare: splits fused activations that are not clamps off
/// their producers and names every op.
void prepareForQuantization(mlir::func::FuncOp func);

/// graph-calibrate: runs `samples` through the interpreter and computes
/// every float value's range; fills `table` (keyed by value name).
llvm::LogicalResult calibrate(mlir::func::FuncOp func,
                              llvm::ArrayRef<Sample> samples,
                              const quant::RangeOptions &options,
                              quant::CalibrationTable &table,
                              std::string &error);

/// Records the table's ranges as `tessel.calib` attributes (ops and
/// arguments whose value names are in the table).
void applyCalibration(mlir::func::FuncOp func,
                      const quant::CalibrationTable &table);

struct AnnotateOptions {
  std::string scheme = "w8a8";
  bool perChannel = true;
  /// Per-op precision overrides (fp32, fp16, int8, int16) by name.
  std::map<std::string, std::string> qtable;
};

/// graph-quantize-annotate.
llvm::LogicalResult annotate(mlir::func::FuncOp func,
                             const AnnotateOptions &options,
                             std::string &error);

/// graph-quantize-rewrite.
llvm::LogicalResult rewriteQuantized(mlir::func::FuncOp func, bool perChannel,
                                     std::string &error);

/// graph-fold-qdq: the number of ops folded.
int foldQDQ(mlir::func::FuncOp func);

//===----------------------------------------------------------------------===//
// The report
//===----------------------------------------------------------------------===//

struct LayerAgreement {
  std::string name, op, precision;
  quant::Agreement agreement;
};

struct QuantReport {
  std::vector<LayerAgreement> layers;  ///< Named values in both functions.
  std::vector<LayerAgreement> outputs; ///< The function results.
  double top1 = -1;                    ///< Of the first output, if 2-D+.
  int samples = 0;
};

/// Evaluates `reference` (fp32) and `quantized` (the same function after
/// quantization: values keep their names) on `samples` with the reference
/// interpreter and compares every named value (quantized values
/// dequantized) and every output.
llvm::FailureOr<QuantReport> compareWithFloat(mlir::func::FuncOp reference,
                                              mlir::func::FuncOp quantized,
                                              llvm::ArrayRef<Sample> samples,
                                              std::string &error,
                                              bool layers = true);

/// The report as a table, worst layers (lowest SQNR) first; `maxLayers`
/// rows at most (0: all).
void printQuantReport(llvm::raw_ostream &os, const QuantReport &report,
                      size_t maxLayers = 0);

//===----------------------------------------------------------------------===//
// Pipelines the drivers run
//===----------------------------------------------------------------------===//

struct QuantizeOptions {
  std::string scheme = "w8a8"; ///< w8a8, w8a16, w8-weight-only, fp16.
  std::string method = "kl";
  bool perChannel = true;
  bool asymmetric = false;
  double percentile = 99.99;
  std::string qtable;      ///< Mixed-precision table file.
  std::string tableIn;     ///< Calibration table to load (no calibration).
  std::string tableOut;    ///< Calibration table to write.
  double targetCosine = 0; ///< > 0: automatic mixed precision.
};

/// Runs prepare, calibrate (unless `tableIn` or a scheme that needs no
/// data), annotate and rewrite on `module`'s functions. With a target cosine,
/// first finds (one-at-a-time sensitivity) the fewest layers to keep in
/// fp32 and writes their names to `keptFloat`. `floatReference`, if not
/// null, receives a copy of the prepared fp32 module (for the report).
llvm::LogicalResult
quantizeModule(mlir::ModuleOp module, const QuantizeOptions &options,
               llvm::ArrayRef<Sample> samples,
               mlir::OwningOpRef<mlir::ModuleOp> *floatReference,
               std::vector<std::string> *keptFloat, llvm::raw_ostream &log);

} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_TRANSFORMS_QUANTIZATION_H
