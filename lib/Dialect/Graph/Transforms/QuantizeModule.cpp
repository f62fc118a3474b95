//===- QuantizeModule.cpp - The quantization flow drivers run -------------===//
//
// prepare -> calibrate (or load a table) -> [mixed-precision search] ->
// annotate -> rewrite, on every function of a module: what
// `tessel-compile --quantize=...` runs, replayable pass by pass in
// tessel-opt (docs/quantization.md).
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/Transforms/Quantization.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

namespace {

/// The outputs of `func` on `samples` as real numbers.
FailureOr<std::vector<std::vector<std::vector<double>>>>
realOutputs(func::FuncOp func, ArrayRef<Sample> samples, std::string &error) {
  std::vector<std::vector<std::vector<double>>> out;
  Operation *ret = func.getBody().front().getTerminator();
  for (const Sample &s : samples) {
    FailureOr<std::vector<ref::Tensor>> r = interpret(func, s, error);
    if (failed(r))
      return failure();
    std::vector<std::vector<double>> one;
    for (auto [v, t] : llvm::zip(ret->getOperands(), *r)) {
      std::vector<double> d(t.numel());
      if (std::optional<ref::QuantParams> p = getQuantParams(v.getType())) {
        ref::Result<ref::Tensor> f = ref::dequantize(t, *p, ref::DType::F64);
        if (f)
          d = f->floats();
      } else {
        for (int64_t i = 0; i < t.numel(); ++i)
          d[i] = t.getF(i);
      }
      one.push_back(std::move(d));
    }
    out.push_back(std::move(one));
  }
  return out;
}

/// The lowest output cosine of `func` against `reference` outputs.
FailureOr<double>
outputCosine(func::FuncOp func, ArrayRef<Sample> samples,
             const std::vector<std::vector<std::vector<double>>> &reference,
             std::string &error) {
  FailureOr<std::vector<std::vector<std::vector<double>>>> got =
      realOutputs(func, samples, error);
  if (failed(got))
    return failure();
  std::vector<tessel::quant::Agreement> agree(reference.empty() ? 0
                                                        : reference[0].size());
  for (size_t s = 0; s < reference.size(); ++s)
    for (size_t o = 0; o < agree.size(); ++o)
      agree[o].add(reference[s][o].data(), (*got)[s][o].data(),
                   reference[s][o].size());
  double worst = 1.0;
  for (const tessel::quant::Agreement &a : agree)
    worst = std::min(worst, a.cosine());
  return worst;
}

func::FuncOp firstFunc(ModuleOp m) {
  auto funcs = m.getOps<func::FuncOp>();
  return funcs.empty() ? func::FuncOp() : *funcs.begin();
}

} // namespace

LogicalResult graph::quantizeModule(ModuleOp module,
                                    const QuantizeOptions &o,
                                    ArrayRef<Sample> samples,
                                    OwningOpRef<ModuleOp> *floatReference,
                                    std::vector<std::string> *keptFloat,
                                    raw_ostream &log) {
  std::string error;
  auto fail = [&](const Twine &message) {
    return module.emitError(message);
  };
  bool needsRanges = o.scheme == "w8a8" || o.scheme == "w8a16";
  std::optional<tessel::quant::Method> method = tessel::quant::parseMethod(o.method);
  if (!method)
    return fail("unknown calibration method '" + o.method +
                "' (expected max, kl, minmax, percentile or mse)");
  std::map<std::string, std::string> qtable;
  if (!o.qtable.empty()) {
    auto buf = llvm::MemoryBuffer::getFile(o.qtable);
    if (!buf)
      return fail("cannot read the mixed-precision table '" + o.qtable + "'");
    std::optional<std::map<std::string, std::string>> q =
        tessel::quant::parseQTable((*buf)->getBuffer().str(), error);
    if (!q)
      return fail("mixed-precision table '" + o.qtable + "': " + error);
    qtable = *q;
  }
  std::optional<tessel::quant::CalibrationTable> loaded;
  if (!o.tableIn.empty()) {
    auto buf = llvm::MemoryBuffer::getFile(o.tableIn);
    if (!buf)
      return fail("cannot read the calibration table '" + o.tableIn + "'");
    loaded = tessel::quant::parseCalibrationTable((*buf)->getBuffer().str(), error);
    if (!loaded)
      return fail("calibration table '" + o.tableIn + "': " + error);
  }

  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    prepareForQuantization(func);
    if (needsRanges || o.targetCosine > 0) {
      tessel::quant::CalibrationTable table;
      if (loaded) {
        table = *loaded;
      } else {
        if (samples.empty())
          return fail("no calibration samples");
        tessel::quant::RangeOptions ro;
        ro.method = *method;
        ro.bits = o.scheme == "w8a16" ? 16 : 8;
        ro.asymmetric = o.asymmetric;
        ro.percentile = o.percentile;
        if (failed(calibrate(func, samples, ro, table, error)))
          return fail("calibration failed: " + error);
        if (!o.tableOut.empty()) {
          std::error_code ec;
          llvm::raw_fd_ostream os(o.tableOut, ec);
          if (ec)
            return fail("cannot write the calibration table '" + o.tableOut +
                        "': " + ec.message());
          os << tessel::quant::writeCalibrationTable(table);
        }
      }
      applyCalibration(func, table);
    }
  }
  if (floatReference)
    *floatReference = OwningOpRef<ModuleOp>(module.clone());

  // Automatic mixed precision: one-at-a-time sensitivity, then the fewest
  // most sensitive layers in fp32 that reach the target output cosine.
  if (o.targetCosine > 0) {
    func::FuncOp func = firstFunc(module);
    if (!func || samples.empty())
      return fail("automatic mixed precision needs calibration samples");
    std::vector<Sample> few(samples.begin(),
                            samples.begin() + std::min<size_t>(samples.size(), 4));
    FailureOr<std::vector<std::vector<std::vector<double>>>> reference =
        realOutputs(func, few, error);
    if (failed(reference))
      return fail(error);
    auto evaluate = [&](const std::map<std::string, std::string> &q,
                        std::vector<std::string> *intOps) -> FailureOr<double> {
      OwningOpRef<ModuleOp> copy(module.clone());
      func::FuncOp f = firstFunc(*copy);
      AnnotateOptions ao{o.scheme, o.perChannel, q};
      if (failed(annotate(f, ao, error)))
        return failure();
      if (intOps)
        f.walk([&](Operation *op) {
          auto p = op->getAttrOfType<StringAttr>(kPrecisionAttr);
          if (p && p.getValue().starts_with("int") &&
              isa<ConvOp, MatMulOp, AddOp, SubOp, MulOp, LutOp, SigmoidOp,
                  TanhOp, GeluOp, HardSwishOp, HardSigmoidOp, ConcatOp>(op))
            intOps->push_back(valueName(op->getResult(0)));
        });
      if (failed(rewriteQuantized(f, o.perChannel, error)))
        return failure();
      return outputCosine(f, few, *reference, error);
    };
    std::vector<std::string> candidates;
    FailureOr<double> base = evaluate(qtable, &candidates);
    if (failed(base))
      return fail("mixed-precision search: " + error);
    log << "auto-mixed-precision: all quantized: output cosine "
        << llvm::format("%.6f", *base) << " (target "
        << llvm::format("%.6f", o.targetCosine) << ", " << candidates.size()
        << " quantized layers)\n";
    std::vector<std::string> chosen;
    if (*base < o.targetCosine) {
      std::vector<std::pair<double, std::string>> gains;
      for (const std::string &c : candidates) {
        std::map<std::string, std::string> q = qtable;
        q[c] = "fp32";
        FailureOr<double> cos = evaluate(q, nullptr);
        if (failed(cos))
          return fail("mixed-precision search: " + error);
        gains.push_back({*cos - *base, c});
      }
      std::stable_sort(gains.begin(), gains.end(),
                       [](auto &a, auto &b) { return a.first > b.first; });
      auto withTop = [&](size_t k) {
        std::map<std::string, std::string> q = qtable;
        for (size_t i = 0; i < k; ++i)
          q[gains[i].second] = "fp32";
        return q;
      };
      // The smallest k reaching the target (binary search; the cosine
      // grows with k in practice, and the last step is checked).
      size_t lo = 1, hi = gains.size();
      double best = *base;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        FailureOr<double> cos = evaluate(withTop(mid), nullptr);
        if (failed(cos))
          return fail("mixed-precision search: " + error);
        if (*cos >= o.targetCosine)
          hi = mid;
        else
          lo = mid + 1;
      }
      FailureOr<double> final = evaluate(withTop(lo), nullptr);
      if (failed(final))
        return fail("mixed-precision search: " + error);
      best = *final;
      for (size_t i = 0; i < lo && i < gains.size(); ++i) {
        chosen.push_back(gains[i].second);
        qtable[gains[i].second] = "fp32";
      }
      log << "auto-mixed-precision: " << chosen.size()
          << " layer(s) kept in fp32, output cosine "
          << llvm::format("%.6f", best) << ":";
      for (const std::string &c : chosen)
        log << " " << c;
      log << "\n";
      if (best < o.targetCosine)
        log << "auto-mixed-precision: the target is not reached with every "
               "layer in fp32 (the quantized model inputs and the ops "
               "between layers remain)\n";
    }
    if (keptFloat)
      *keptFloat = chosen;
  }

  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    AnnotateOptions ao{o.scheme, o.perChannel, qtable};
    if (failed(annotate(func, ao, error)))
      return fail(error);
    if (failed(rewriteQuantized(func, o.perChannel, error)))
      return fail(error);
  }
  return success();
}
