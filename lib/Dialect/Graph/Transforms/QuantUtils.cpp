//===- QuantUtils.cpp - Names, calibration samples, the report ------------===//
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/Graph/Transforms/Quantization.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"
#include "tessel/Runtime/TensorFiles.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

std::string graph::valueName(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func)
      return "";
    if (auto name =
            func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr))
      return name.str();
    return "arg" + std::to_string(arg.getArgNumber());
  }
  Operation *op = v.getDefiningOp();
  auto name = op->getAttrOfType<StringAttr>(kNameAttr);
  if (!name)
    return "";
  unsigned i = cast<OpResult>(v).getResultNumber();
  return i == 0 ? name.str() : name.str() + "#" + std::to_string(i);
}

/// The first NameLoc's name in a location (through fused and call-site
/// locations).
static std::string locationName(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (std::string s = locationName(l); !s.empty())
        return s;
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return locationName(c.getCallee());
  return "";
}

/// Names are single tokens in table files.
static std::string sanitize(std::string s) {
  for (char &c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '#')
      c = '_';
  return s;
}

void graph::assignOpNames(func::FuncOp func) {
  llvm::StringSet<> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    used.insert(valueName(func.getArgument(i)));
  func.walk([&](Operation *op) {
    if (auto n = op->getAttrOfType<StringAttr>(kNameAttr))
      used.insert(n.getValue());
  });
  std::map<std::string, int> counters;
  func.walk([&](Operation *op) {
    if (!isa<GraphDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
        op->hasAttr(kNameAttr))
      return;
    std::string base = sanitize(locationName(op->getLoc()));
    if (base.empty())
      base = op->getName().stripDialect().str() + "_" +
             std::to_string(counters[op->getName().getStringRef().str()]++);
    std::string name = base;
    for (int k = 1; used.count(name); ++k)
      name = base + "_" + std::to_string(k);
    used.insert(name);
    op->setAttr(kNameAttr, StringAttr::get(op->getContext(), name));
  });
}

//===----------------------------------------------------------------------===//
// Samples
//===----------------------------------------------------------------------===//

/// The element type of a tensor file's element type.
static Type fileElementType(MLIRContext *ctx, rt::ElemType t) {
  static const std::pair<rt::ElemType, ref::DType> map[] = {
      {rt::ElemType::Bool, ref::DType::Bool}, {rt::ElemType::I8, ref::DType::I8},
      {rt::ElemType::U8, ref::DType::U8},     {rt::ElemType::I16, ref::DType::I16},
      {rt::ElemType::U16, ref::DType::U16},   {rt::ElemType::I32, ref::DType::I32},
      {rt::ElemType::U32, ref::DType::U32},   {rt::ElemType::I64, ref::DType::I64},
      {rt::ElemType::U64, ref::DType::U64},   {rt::ElemType::F16, ref::DType::F16},
      {rt::ElemType::BF16, ref::DType::BF16}, {rt::ElemType::F32, ref::DType::F32},
      {rt::ElemType::F64, ref::DType::F64}};
  for (auto [e, d] : map)
    if (e == t)
      return fromDType(ctx, d);
  return {};
}

/// The tensor in `file` as `type` (converted when the file holds another
/// element type), split into samples along dim 0 when it holds a batch.
static LogicalResult readSampleFile(const std::string &file,
                                    RankedTensorType type,
                                    std::vector<ref::Tensor> &out,
                                    std::string &error) {
  StatusOr<rt::HostTensor> host = rt::readTensorFile(file);
  if (!host) {
    error = file + ": " + host.message();
    return failure();
  }
  std::optional<ref::DType> dtype = toDType(type.getElementType());
  Type fileType = fileElementType(type.getContext(), host->dtype);
  if (!dtype || !fileType) {
    error = file + ": unsupported element type";
    return failure();
  }
  FailureOr<ref::Tensor> t = fromRawBytes(
      fileType, host->dims,
      ArrayRef<char>(reinterpret_cast<const char *>(host->data.data()),
                     host->data.size()),
      error);
  if (failed(t)) {
    error = file + ": " + error;
    return failure();
  }
  if (t->dtype() != *dtype) {
    ref::Result<ref::Tensor> c = ref::cast(*t, *dtype);
    if (!c) {
      error = file + ": " + c.error();
      return failure();
    }
    *t = std::move(*c);
  }
  ref::Shape want(type.getShape().begin(), type.getShape().end());
  int64_t per = ref::numElements(want);
  if (t->shape() == want) {
    out.push_back(std::move(*t));
    return success();
  }
  // A batch of samples: [k * d0, d1, ...] or [k, d0, d1, ...].
  if (per > 0 && t->numel() % per == 0 && t->numel() > per) {
    int64_t k = t->numel() / per;
    for (int64_t s = 0; s < k; ++s) {
      ref::Tensor one(*dtype, want);
      for (int64_t i = 0; i < per; ++i) {
        if (one.isFloat())
          one.floats()[i] = t->floats()[s * per + i];
        else
          one.ints()[i] = t->ints()[s * per + i];
      }
      out.push_back(std::move(one));
    }
    return success();
  }
  error = file + ": holds " + t->typeString() + ", expected " +
          ref::shapeToString(want) + " (or a batch of them)";
  return failure();
}

static std::vector<std::string> listFiles(StringRef dir, bool dirs) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    bool isDir = llvm::sys::fs::is_directory(it->path());
    StringRef name = llvm::sys::path::filename(it->path());
    if (isDir != dirs || name.starts_with("."))
      continue;
    if (!dirs && !name.ends_with(".npy") && !name.ends_with(".pb"))
      continue;
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

FailureOr<std::vector<Sample>> graph::loadSamples(func::FuncOp func,
                                                  StringRef dir,
                                                  int maxSamples,
                                                  std::string &error) {
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "calibration data folder '" + dir.str() + "' does not exist";
    return failure();
  }
  unsigned n = func.getNumArguments();
  SmallVector<RankedTensorType> types;
  SmallVector<std::string> names;
  for (unsigned i = 0; i < n; ++i) {
    types.push_back(cast<RankedTensorType>(func.getArgument(i).getType()));
    names.push_back(valueName(func.getArgument(i)));
  }
  std::vector<std::vector<ref::Tensor>> perInput(n);
  std::vector<std::string> subdirs = listFiles(dir, true);
  bool onnxLayout = llvm::any_of(subdirs, [](const std::string &d) {
    return llvm::sys::path::filename(d).starts_with("test_data_set_");
  });
  if (onnxLayout) {
    for (const std::string &d : subdirs) {
      if (!llvm::sys::path::filename(d).starts_with("test_data_set_"))
        continue;
      for (unsigned i = 0; i < n; ++i)
        if (failed(readSampleFile(d + "/input_" + std::to_string(i) + ".pb",
                                  types[i], perInput[i], error)))
          return failure();
    }
  } else if (llvm::all_of(names, [&](const std::string &name) {
               return llvm::sys::fs::is_directory(dir.str() + "/" + name);
             }) &&
             n > 0 && !subdirs.empty()) {
    for (unsigned i = 0; i < n; ++i)
      for (const std::string &f : listFiles(dir.str() + "/" + names[i], false))
        if (failed(readSampleFile(f, types[i], perInput[i], error)))
          return failure();
  } else {
    if (n != 1) {
      error = "calibration data for a model with " + std::to_string(n) +
              " inputs needs one sub-folder per input (named after it) or "
              "test_data_set_* folders";
      return failure();
    }
    for (const std::string &f : listFiles(dir, false))
      if (failed(readSampleFile(f, types[0], perInput[0], error)))
        return failure();
  }
  size_t count = n ? perInput[0].size() : 0;
  for (unsigned i = 1; i < n; ++i)
    count = std::min(count, perInput[i].size());
  if (count == 0) {
    error = "no calibration samples found in '" + dir.str() + "'";
    return failure();
  }
  if (maxSamples > 0)
    count = std::min<size_t>(count, maxSamples);
  std::vector<Sample> samples(count);
  for (size_t s = 0; s < count; ++s)
    for (unsigned i = 0; i < n; ++i)
      samples[s].push_back(std::move(perInput[i][s]));
  return samples;
}

std::vector<Sample> graph::randomSamples(func::FuncOp func, int count,
                                         unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<Sample> samples(count);
  for (int s = 0; s < count; ++s) {
    for (BlockArgument arg : func.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      ref::DType dtype = toDType(type.getElementType()).value_or(ref::DType::F32);
      ref::Tensor t(dtype, ref::Shape(type.getShape().begin(),
                                      type.getShape().end()));
      int64_t range = 2;
      for (Operation *user : arg.getUsers())
        if (auto g = dyn_cast<GatherOp>(user))
          if (g.getIndices() == arg)
            range = g.getInput().getType().getDimSize(g.getAxis());
      std::uniform_int_distribution<int64_t> uniform(0, range - 1);
      for (int64_t i = 0; i < t.numel(); ++i) {
        if (t.isFloat())
          t.setF(i, normal(rng));
        else
          t.setI(i, uniform(rng));
      }
      samples[s].push_back(std::move(t));
    }
  }
  return samples;
}

//===----------------------------------------------------------------------===//
// The report
//===----------------------------------------------------------------------===//

/// A value's tensor as real numbers (quantized values dequantized).
static std::vector<double> realValues(Value v, const ref::Tensor &t) {
  std::vector<double> out(t.numel());
  if (std::optional<ref::QuantParams> p = getQuantParams(v.getType())) {
    ref::Result<ref::Tensor> d = ref::dequantize(t, *p, ref::DType::F64);
    if (d)
      return d->floats();
  }
  for (int64_t i = 0; i < t.numel(); ++i)
    out[i] = t.getF(i);
  return out;
}

static bool isRealValued(Value v) {
  Type e = cast<ShapedType>(v.getType()).getElementType();
  return isa<FloatType>(e) || getQuantParams(e).has_value();
}

static std::string precisionOf(Value v) {
  Type e = cast<ShapedType>(v.getType()).getElementType();
  if (auto q = dyn_cast<mlir::quant::QuantizedType>(e))
    return (q.isSigned() ? "i" : "u") +
           std::to_string(q.getStorageTypeIntegralWidth());
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return s;
}

FailureOr<QuantReport> graph::compareWithFloat(func::FuncOp reference,
                                               func::FuncOp quantized,
                                               ArrayRef<Sample> samples,
                                               std::string &error,
                                               bool layers) {
  QuantReport report;
  std::map<std::string, size_t> index;
  double top1Agree = 0;
  int64_t top1Rows = 0;
  for (const Sample &sample : samples) {
    std::map<std::string, std::vector<double>> floatValues;
    InterpretOptions fo;
    if (layers)
      fo.observe = [&](Value v, const ref::Tensor &t) {
        std::string name = valueName(v);
        if (!name.empty() && isRealValued(v))
          floatValues[name] = realValues(v, t);
      };
    FailureOr<std::vector<ref::Tensor>> ref =
        interpret(reference, sample, error, std::move(fo));
    if (failed(ref))
      return failure();
    InterpretOptions qo;
    if (layers)
      qo.observe = [&](Value v, const ref::Tensor &t) {
        std::string name = valueName(v);
        auto it = floatValues.find(name);
        if (name.empty() || it == floatValues.end() || !isRealValued(v))
          return;
        std::vector<double> got = realValues(v, t);
        if (got.size() != it->second.size())
          return;
        auto [slot, inserted] = index.try_emplace(name, report.layers.size());
        if (inserted) {
          LayerAgreement l;
          l.name = name;
          l.op = v.getDefiningOp()
                     ? v.getDefiningOp()->getName().stripDialect().str()
                     : "input";
          l.precision = precisionOf(v);
          report.layers.push_back(l);
        }
        report.layers[slot->second].agreement.add(it->second.data(),
                                                  got.data(), got.size());
      };
    FailureOr<std::vector<ref::Tensor>> got =
        interpret(quantized, sample, error, std::move(qo));
    if (failed(got))
      return failure();
    if (report.outputs.empty()) {
      report.outputs.resize(ref->size());
      for (size_t i = 0; i < ref->size(); ++i)
        report.outputs[i].name =
            quantized.getResultAttrOfType<StringAttr>(i, kNameAttr)
                ? quantized.getResultAttrOfType<StringAttr>(i, kNameAttr).str()
                : "output" + std::to_string(i);
    }
    for (size_t i = 0; i < ref->size() && i < got->size(); ++i) {
      std::vector<double> r = realValues(reference.getBody().front()
                                             .getTerminator()
                                             ->getOperand(i),
                                         (*ref)[i]);
      std::vector<double> g = realValues(quantized.getBody().front()
                                             .getTerminator()
                                             ->getOperand(i),
                                         (*got)[i]);
      if (r.size() != g.size())
        continue;
      report.outputs[i].agreement.add(r.data(), g.data(), r.size());
      if (i == 0 && (*ref)[i].rank() >= 2) {
        int64_t classes = (*ref)[i].shape().back();
        int64_t rows = static_cast<int64_t>(r.size()) / std::max<int64_t>(1, classes);
        top1Agree += tessel::quant::top1Agreement(r, g, classes) * rows;
        top1Rows += rows;
      }
    }
    ++report.samples;
  }
  if (top1Rows > 0)
    report.top1 = top1Agree / top1Rows;
  for (LayerAgreement &o : report.outputs)
    o.op = "output";
  return report;
}

static std::string fmt(double v, int width, int precision) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (std::isinf(v))
    os << llvm::right_justify(v > 0 ? "inf" : "-inf", width);
  else
    os << llvm::format(("%" + std::to_string(width) + "." +
                        std::to_string(precision) + "f")
                           .c_str(),
                       v);
  return s;
}

void graph::printQuantReport(raw_ostream &os, const QuantReport &report,
                             size_t maxLayers) {
  std::vector<const LayerAgreement *> layers;
  for (const LayerAgreement &l : report.layers)
    layers.push_back(&l);
  std::stable_sort(layers.begin(), layers.end(),
                   [](const LayerAgreement *a, const LayerAgreement *b) {
                     return a->agreement.sqnr() < b->agreement.sqnr();
                   });
  size_t nameWidth = 24;
  for (const LayerAgreement *l : layers)
    nameWidth = std::max(nameWidth, l->name.size());
  nameWidth = std::min<size_t>(nameWidth, 48);
  os << "Quantization report (" << report.samples
     << " calibration sample" << (report.samples == 1 ? "" : "s")
     << ", against fp32; worst layers first)\n";
  os << "  " << llvm::left_justify("layer", nameWidth) << "  "
     << llvm::left_justify("op", 12) << " " << llvm::left_justify("type", 5)
     << "    cosine   SQNR dB\n";
  os << "  " << std::string(nameWidth + 42, '-') << "\n";
  size_t shown = 0;
  for (const LayerAgreement *l : layers) {
    if (maxLayers && shown++ >= maxLayers) {
      os << "  ... " << layers.size() - maxLayers << " more\n";
      break;
    }
    os << "  " << llvm::left_justify(l->name, nameWidth) << "  "
       << llvm::left_justify(l->op, 12) << " "
       << llvm::left_justify(l->precision, 5) << " "
       << fmt(l->agreement.cosine(), 9, 6) << " "
       << fmt(l->agreement.sqnr(), 9, 2) << "\n";
  }
  os << "  " << std::string(nameWidth + 42, '-') << "\n";
  for (const LayerAgreement &o : report.outputs)
    os << "  output '" << o.name << "': cosine "
       << fmt(o.agreement.cosine(), 0, 6) << ", SQNR "
       << fmt(o.agreement.sqnr(), 0, 2) << " dB\n";
  if (report.top1 >= 0)
    os << "  top-1 agreement: " << fmt(100.0 * report.top1, 0, 1) << " %\n";
}
