//===- Calibrate.cpp - graph-quantize-prepare and graph-calibrate ---------===//
//
// Preparation splits the fused activations that are not clamps off their
// producers, so that every value quantization needs exists, and names the
// ops. Calibration runs the reference interpreter over the samples and
// reduces each float value's statistics to a range (tessel/Quant/
// Calibration.h has the methods).
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/Transforms/Passes.h"
#include "tessel/Dialect/Graph/Transforms/Quantization.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

namespace tessel::graph {
#define GEN_PASS_DEF_GRAPHQUANTIZEPREPARE
#define GEN_PASS_DEF_GRAPHCALIBRATE
#include "tessel/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace tessel::graph

//===----------------------------------------------------------------------===//
// Preparation
//===----------------------------------------------------------------------===//

/// The op computing `act` on `x` (the unfused form of a fused activation).
static Value buildActivation(OpBuilder &b, Location loc, ActivationAttr act,
                             Value x) {
  switch (act.getKind()) {
  case ActivationKind::Relu:
    return ReluOp::create(b, loc, x);
  case ActivationKind::Clip:
    return ClipOp::create(b, loc, x.getType(),
                          x, b.getF64FloatAttr(act.getAlphaValue()),
                          b.getF64FloatAttr(act.getBetaValue()));
  case ActivationKind::LeakyRelu:
    return LeakyReluOp::create(b, loc, x,
                               b.getF64FloatAttr(act.getAlphaValue()));
  case ActivationKind::Sigmoid:
    return SigmoidOp::create(b, loc, x);
  case ActivationKind::Tanh:
    return TanhOp::create(b, loc, x);
  case ActivationKind::HardSigmoid:
    return HardSigmoidOp::create(b, loc, x,
                                 b.getF64FloatAttr(act.getAlphaValue()),
                                 b.getF64FloatAttr(act.getBetaValue()));
  case ActivationKind::HardSwish:
    return HardSwishOp::create(b, loc, x);
  case ActivationKind::Gelu:
    return GeluOp::create(b, loc, x, b.getBoolAttr(false));
  case ActivationKind::GeluTanh:
    return GeluOp::create(b, loc, x, b.getBoolAttr(true));
  }
  return x;
}

void graph::prepareForQuantization(func::FuncOp func) {
  SmallVector<Operation *> fused;
  func.walk([&](Operation *op) {
    if (!isa<ConvOp, MatMulOp, AddOp>(op))
      return;
    auto act = op->getAttrOfType<ActivationAttr>("activation");
    if (act && act.getKind() != ActivationKind::Relu &&
        act.getKind() != ActivationKind::Clip && !hasQuantizedTypes(op))
      fused.push_back(op);
  });
  for (Operation *op : fused) {
    auto act = op->getAttrOfType<ActivationAttr>("activation");
    op->removeAttr("activation");
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    Value y = op->getResult(0);
    // The activation is named after its producer.
    Location loc = op->getLoc();
    if (auto n = dyn_cast<NameLoc>(loc))
      loc = NameLoc::get(
          StringAttr::get(op->getContext(), n.getName().str() + ".act"),
          n.getChildLoc());
    Value a = buildActivation(b, loc, act, y);
    y.replaceAllUsesExcept(a, a.getDefiningOp());
  }
  assignOpNames(func);
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

static bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

LogicalResult graph::calibrate(func::FuncOp func, ArrayRef<Sample> samples,
                               const tessel::quant::RangeOptions &options,
                               tessel::quant::CalibrationTable &table,
                               std::string &error) {
  std::map<std::string, tessel::quant::ValueStats> stats;
  std::vector<std::string> order;
  auto record = [&](const std::string &name, const ref::Tensor &t) {
    auto [it, inserted] = stats.try_emplace(name);
    if (inserted)
      order.push_back(name);
    it->second.add(t.floats().data(), t.numel());
  };
  for (const Sample &sample : samples) {
    for (auto [arg, t] : llvm::zip(func.getArguments(), sample))
      if (isFloatTensor(arg) && t.isFloat())
        record(valueName(arg), t);
    InterpretOptions io;
    io.observe = [&](Value v, const ref::Tensor &t) {
      if (!t.isFloat() || isa<ConstantOp>(v.getDefiningOp()))
        return;
      std::string name = valueName(v);
      if (!name.empty())
        record(name, t);
    };
    if (failed(interpret(func, sample, error, std::move(io))))
      return failure();
  }
  table.header["method"] = tessel::quant::methodName(options.method);
  table.header["bits"] = std::to_string(options.bits);
  table.header["asymmetric"] = options.asymmetric ? "true" : "false";
  table.header["samples"] = std::to_string(samples.size());
  for (const std::string &name : order) {
    const tessel::quant::ValueStats &s = stats[name];
    tessel::quant::TableEntry e;
    e.min = s.min;
    e.max = s.max;
    e.range = tessel::quant::computeRange(s, options);
    table.set(name, e);
  }
  return success();
}

void graph::applyCalibration(func::FuncOp func,
                             const tessel::quant::CalibrationTable &table) {
  auto attrFor = [&](const tessel::quant::TableEntry &e) {
    return DenseF64ArrayAttr::get(func.getContext(),
                                  {e.min, e.max, e.range.lo, e.range.hi});
  };
  for (BlockArgument arg : func.getArguments()) {
    auto it = table.entries.find(valueName(arg));
    if (it != table.entries.end())
      func.setArgAttr(arg.getArgNumber(), kCalibAttr, attrFor(it->second));
  }
  func.walk([&](Operation *op) {
    if (op->getNumResults() != 1)
      return;
    auto it = table.entries.find(valueName(op->getResult(0)));
    if (it != table.entries.end())
      op->setAttr(kCalibAttr, attrFor(it->second));
  });
}

namespace {

struct GraphQuantizePreparePass
    : tessel::graph::impl::GraphQuantizePrepareBase<GraphQuantizePreparePass> {
  using Base::Base;
  void runOnOperation() override { prepareForQuantization(getOperation()); }
};

struct GraphCalibratePass
    : tessel::graph::impl::GraphCalibrateBase<GraphCalibratePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::optional<tessel::quant::Method> m = tessel::quant::parseMethod(method);
    if (!m) {
      func.emitError("unknown calibration method '")
          << method << "' (expected max, kl, minmax, percentile or mse)";
      return signalPassFailure();
    }
    if (bits != 8 && bits != 16) {
      func.emitError("calibration bits must be 8 or 16, got ") << bits;
      return signalPassFailure();
    }
    std::vector<Sample> samples;
    std::string error;
    if (!data.empty()) {
      FailureOr<std::vector<Sample>> loaded =
          loadSamples(func, data, numSamples, error);
      if (failed(loaded)) {
        func.emitError("calibration data: ") << error;
        return signalPassFailure();
      }
      samples = std::move(*loaded);
    } else if (randomSamples > 0) {
      func.emitWarning("calibrating on ")
          << randomSamples.getValue()
          << " random inputs, which do not represent real activations; give "
             "calibration data for meaningful ranges";
      samples = graph::randomSamples(func, randomSamples, seed);
    } else {
      func.emitError("no calibration data: give data=DIR (a folder of .npy "
                     "or .pb tensors), or random-samples=N to calibrate on "
                     "random inputs");
      return signalPassFailure();
    }
    tessel::quant::RangeOptions o;
    o.method = *m;
    o.bits = bits;
    o.asymmetric = asymmetric;
    o.percentile = percentile;
    assignOpNames(func);
    tessel::quant::CalibrationTable t;
    if (failed(calibrate(func, samples, o, t, error))) {
      func.emitError("calibration failed: ") << error;
      return signalPassFailure();
    }
    applyCalibration(func, t);
    if (!table.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(table, ec);
      if (ec) {
        func.emitError("cannot write the calibration table '")
            << table << "': " << ec.message();
        return signalPassFailure();
      }
      os << tessel::quant::writeCalibrationTable(t);
    }
  }
};

} // namespace
