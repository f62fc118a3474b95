//===- Bridge.cpp - npu dialect <-> the code generator's LayerGraph -------===//
#include "tessel/Dialect/NPU/IR/Bridge.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Dialect/NPU/IR/NPUDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"

#include <cstring>

using namespace mlir;
namespace cg = tessel::npu::cg;
using tessel::npu::DType;

namespace tessel::npu::ir {

std::optional<DType> npuDType(Type t) {
  // Quantized tensors hold their storage integers.
  if (auto q = dyn_cast<quant::QuantizedType>(t)) {
    unsigned w = q.getStorageTypeIntegralWidth();
    if (w == 8)
      return q.isSigned() ? DType::I8 : DType::U8;
    if (w == 16 && q.isSigned())
      return DType::I16;
    return std::nullopt;
  }
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8:
      return u ? DType::U8 : DType::I8;
    case 16:
      return u ? std::nullopt : std::optional<DType>(DType::I16);
    case 32:
      return u ? std::nullopt : std::optional<DType>(DType::I32);
    case 64:
      return u ? std::nullopt : std::optional<DType>(DType::I64);
    default:
      return std::nullopt;
    }
  }
  if (t.isF16())
    return DType::F16;
  if (t.isF32())
    return DType::F32;
  return std::nullopt;
}

Type mlirType(MLIRContext *ctx, DType t) {
  Builder b(ctx);
  switch (t) {
  case DType::I8:
    return b.getIntegerType(8);
  case DType::U8:
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case DType::I16:
    return b.getIntegerType(16);
  case DType::I32:
    return b.getIntegerType(32);
  case DType::I64:
    return b.getIntegerType(64);
  case DType::F16:
    return b.getF16Type();
  case DType::F32:
    return b.getF32Type();
  case DType::Invalid:
    break;
  }
  return {};
}

namespace {

template <typename E>
LogicalResult parseKind(Operation *op, StringRef what, StringRef value,
                        std::initializer_list<std::pair<StringRef, E>> names,
                        E &out) {
  for (auto &[n, v] : names)
    if (value == n) {
      out = v;
      return success();
    }
  std::string list;
  for (auto &[n, v] : names)
    list += (list.empty() ? "" : ", ") + n.str();
  return op->emitOpError("unknown ")
         << what << " '" << value << "' (expected one of " << list << ")";
}

LogicalResult window(Operation *op, ArrayRef<int64_t> kernel,
                     ArrayRef<int64_t> strides, ArrayRef<int64_t> pads, int &kh,
                     int &kw, int &sh, int &sw, int &pt, int &pl, int &pb,
                     int &pr) {
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4)
    return op->emitOpError(
        "needs a 2-element kernel and strides and 4 pads [t, l, b, r]");
  kh = static_cast<int>(kernel[0]);
  kw = static_cast<int>(kernel[1]);
  sh = static_cast<int>(strides[0]);
  sw = static_cast<int>(strides[1]);
  pt = static_cast<int>(pads[0]);
  pl = static_cast<int>(pads[1]);
  pb = static_cast<int>(pads[2]);
  pr = static_cast<int>(pads[3]);
  return success();
}

void epilogueFrom(bool bias, std::optional<ArrayRef<float>> clamp,
                  cg::FloatEpilogue &e) {
  e.bias = bias ? -2 : cg::kNoTensor; // Resolved by the graph builder.
  if (clamp && clamp->size() == 2) {
    e.clamp = true;
    e.lo = (*clamp)[0];
    e.hi = (*clamp)[1];
  }
}

} // namespace

LogicalResult layerParamsFromOp(Operation *op, cg::Layer &layer) {
  if (auto c = dyn_cast<ConvOp>(op)) {
    cg::ConvParams p;
    if (failed(window(op, c.getKernel(), c.getStrides(), c.getPads(), p.kh,
                      p.kw, p.sh, p.sw, p.pt, p.pl, p.pb, p.pr)))
      return failure();
    if (c.getDilations().size() != 2)
      return op->emitOpError("needs 2 dilations");
    p.dh = static_cast<int>(c.getDilations()[0]);
    p.dw = static_cast<int>(c.getDilations()[1]);
    p.groups = static_cast<int>(c.getGroups());
    p.requant = c.getRequant();
    p.zpIn = static_cast<int>(c.getZpIn());
    p.zpW = static_cast<int>(c.getZpW());
    p.zpOut = static_cast<int>(c.getZpOut());
    p.lo = static_cast<int>(c.getLo());
    p.hi = static_cast<int>(c.getHi());
    epilogueFrom(c.getBias(), c.getClamp(), p.epilogue);
    layer.kind = cg::LayerKind::Conv;
    layer.params = p;
    return success();
  }
  if (auto m = dyn_cast<MatmulOp>(op)) {
    cg::MatmulParams p;
    p.transB = m.getTransB();
    p.requant = m.getRequant();
    p.zpA = static_cast<int>(m.getZpA());
    p.zpB = static_cast<int>(m.getZpB());
    p.zpOut = static_cast<int>(m.getZpOut());
    p.lo = static_cast<int>(m.getLo());
    p.hi = static_cast<int>(m.getHi());
    epilogueFrom(m.getBias(), m.getClamp(), p.epilogue);
    layer.kind = cg::LayerKind::Matmul;
    layer.params = p;
    return success();
  }
  if (auto e = dyn_cast<EltwiseOp>(op)) {
    cg::EltwiseParams p;
    using EO = tessel::npu::EltwiseOp;
    if (failed(parseKind<EO>(op, "op", e.getOp(),
                             {{"add", EO::Add},
                              {"sub", EO::Sub},
                              {"mul", EO::Mul},
                              {"max", EO::Max},
                              {"min", EO::Min}},
                             p.op)))
      return failure();
    p.requant = e.getRequant();
    std::optional<DType> mid =
        e.getMidType() ? npuDType(*e.getMidType()) : DType::I32;
    if (!mid)
      return op->emitOpError("mid_type must be an NPU integer type");
    p.midType = *mid;
    p.zpA = static_cast<int32_t>(e.getZpA());
    p.zpB = static_cast<int32_t>(e.getZpB());
    p.zpOut = static_cast<int32_t>(e.getZpOut());
    p.lo = static_cast<int32_t>(e.getLo());
    p.hi = static_cast<int32_t>(e.getHi());
    layer.kind = cg::LayerKind::Eltwise;
    layer.params = p;
    return success();
  }
  if (auto a = dyn_cast<ActOp>(op)) {
    cg::ActParams p;
    if (failed(parseKind<ActKind>(op, "kind", a.getKind(),
                                  {{"clamp", ActKind::Clamp},
                                   {"lut", ActKind::Lut},
                                   {"sigmoid", ActKind::Sigmoid},
                                   {"tanh", ActKind::Tanh},
                                   {"exp", ActKind::Exp}},
                                  p.kind)))
      return failure();
    p.lo = static_cast<int32_t>(a.getLo());
    p.hi = static_cast<int32_t>(a.getHi());
    if (a.getFlo())
      p.flo = a.getFlo()->convertToFloat();
    if (a.getFhi())
      p.fhi = a.getFhi()->convertToFloat();
    layer.kind = cg::LayerKind::Act;
    layer.params = p;
    return success();
  }
  if (auto pl = dyn_cast<PoolOp>(op)) {
    cg::PoolParams p;
    if (failed(parseKind<PoolKind>(
            op, "kind", pl.getKind(),
            {{"max", PoolKind::Max}, {"avg", PoolKind::Avg}}, p.kind)))
      return failure();
    if (failed(window(op, pl.getKernel(), pl.getStrides(), pl.getPads(), p.kh,
                      p.kw, p.sh, p.sw, p.pt, p.pl, p.pb, p.pr)))
      return failure();
    p.countPad = pl.getCountPad();
    p.zp = static_cast<int>(pl.getZp());
    layer.kind = cg::LayerKind::Pool;
    layer.params = p;
    return success();
  }
  if (auto r = dyn_cast<ReduceOp>(op)) {
    cg::ReduceParams p;
    if (failed(parseKind<ReduceKind>(op, "kind", r.getKind(),
                                     {{"sum", ReduceKind::Sum},
                                      {"max", ReduceKind::Max},
                                      {"min", ReduceKind::Min},
                                      {"mean", ReduceKind::Mean}},
                                     p.kind)))
      return failure();
    if (r.getView().size() != 3)
      return op->emitOpError("view must be [outer, n, inner]");
    p.outer = r.getView()[0];
    p.n = r.getView()[1];
    p.inner = r.getView()[2];
    layer.kind = cg::LayerKind::Reduce;
    layer.params = p;
    return success();
  }
  if (auto c = dyn_cast<ConvertOp>(op)) {
    cg::ConvertParams p;
    if (failed(parseKind<ConvertMode>(op, "mode", c.getMode(),
                                      {{"requant", ConvertMode::Requant},
                                       {"quant", ConvertMode::Quant},
                                       {"dequant", ConvertMode::Dequant},
                                       {"cast", ConvertMode::Cast}},
                                      p.mode)))
      return failure();
    p.perChannel = c.getPerChannel();
    p.zpIn = static_cast<int32_t>(c.getZpIn());
    p.zpOut = static_cast<int32_t>(c.getZpOut());
    p.lo = static_cast<int32_t>(c.getLo());
    p.hi = static_cast<int32_t>(c.getHi());
    layer.kind = cg::LayerKind::Convert;
    layer.params = p;
    return success();
  }
  if (auto t = dyn_cast<TransposeOp>(op)) {
    cg::TransposeParams p;
    if (t.getPerm().size() != 4)
      return op->emitOpError("perm must have 4 entries");
    for (int i = 0; i < 4; ++i)
      p.perm[i] = static_cast<uint8_t>(t.getPerm()[i]);
    layer.kind = cg::LayerKind::Transpose;
    layer.params = p;
    return success();
  }
  if (auto c = dyn_cast<ConcatOp>(op)) {
    layer.kind = cg::LayerKind::Concat;
    layer.params = cg::ConcatParams{static_cast<int>(c.getAxis())};
    return success();
  }
  if (auto s = dyn_cast<SliceOp>(op)) {
    cg::SliceParams p;
    p.starts.assign(s.getStarts().begin(), s.getStarts().end());
    layer.kind = cg::LayerKind::Slice;
    layer.params = p;
    return success();
  }
  if (auto pd = dyn_cast<PadOp>(op)) {
    cg::PadParams p;
    p.before.assign(pd.getBefore().begin(), pd.getBefore().end());
    p.after.assign(pd.getAfter().begin(), pd.getAfter().end());
    p.value = pd.getValue().convertToDouble();
    layer.kind = cg::LayerKind::Pad;
    layer.params = p;
    return success();
  }
  return op->emitOpError("is not an NPU layer op");
}

bool isLayerOp(Operation *op) {
  return isa<ConvOp, MatmulOp, EltwiseOp, ActOp, PoolOp, ReduceOp, ConvertOp,
             TransposeOp, ConcatOp, SliceOp, PadOp>(op);
}

cg::TensorId SegmentGraph::idOf(Value v) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] == v)
      return static_cast<cg::TensorId>(i);
  return cg::kNoTensor;
}

FailureOr<SegmentGraph> buildSegmentGraph(func::FuncOp func) {
  SegmentGraph sg;
  llvm::DenseMap<Value, cg::TensorId> ids;
  auto addValue = [&](Value v, cg::Tensor t) -> FailureOr<cg::TensorId> {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape())
      return emitError(v.getLoc(), "NPU segments need static tensors, not ")
             << v.getType();
    std::optional<DType> dt = npuDType(type.getElementType());
    if (!dt)
      return emitError(v.getLoc(), "element type ")
             << type.getElementType() << " is not an NPU type";
    t.dtype = *dt;
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    cg::TensorId id = sg.graph.addTensor(std::move(t));
    sg.values.push_back(v);
    ids[v] = id;
    return id;
  };
  if (func.isExternal())
    return func.emitError("an NPU segment needs a body");
  for (BlockArgument arg : func.getArguments()) {
    cg::Tensor t;
    auto name =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tessel.name");
    t.name = name ? name.str() : "arg" + std::to_string(arg.getArgNumber());
    t.isInput = true;
    if (failed(addValue(arg, std::move(t))))
      return failure();
  }
  unsigned index = 0;
  for (Operation &op : func.getBody().front()) {
    if (auto c = dyn_cast<ConstantOp>(op)) {
      cg::Tensor t;
      t.name = "const" + std::to_string(index++);
      t.isConstant = true;
      auto type = cast<RankedTensorType>(c.getType());
      std::string error;
      if (std::optional<ArrayRef<char>> raw =
              graph::getRawBytes(c.getValue())) {
        t.data.assign(raw->begin(), raw->end());
      } else {
        FailureOr<ref::Tensor> rt = graph::toTensor(c.getValue(), error);
        if (failed(rt))
          return c.emitOpError("cannot read the constant: ") << error;
        std::vector<char> bytes = graph::toRawBytes(type.getElementType(), *rt);
        t.data.assign(bytes.begin(), bytes.end());
      }
      if (failed(addValue(c.getResult(), std::move(t))))
        return failure();
      continue;
    }
    if (auto r = dyn_cast<ReshapeOp>(op)) {
      cg::Tensor t;
      t.name = "reshape" + std::to_string(index++);
      auto it = ids.find(r.getInput());
      if (it == ids.end())
        return r.emitOpError("reads a value the segment does not have");
      t.aliasOf = it->second;
      if (sg.graph.tensor(it->second).isConstant) {
        // A reshaped constant is a constant.
        t.aliasOf = cg::kNoTensor;
        t.isConstant = true;
        t.data = sg.graph.tensor(it->second).data;
      }
      if (failed(addValue(r.getResult(), std::move(t))))
        return failure();
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands()) {
        auto it = ids.find(v);
        if (it == ids.end())
          return ret.emitOpError("returns a value the segment does not have");
        cg::TensorId s = sg.graph.storageOf(it->second);
        cg::Tensor &t = sg.graph.tensor(s);
        if (t.isInput || t.isConstant)
          return ret.emitOpError(
              "an NPU segment may not return its input or a constant");
        t.isOutput = true;
      }
      continue;
    }
    if (!isLayerOp(&op))
      return op.emitOpError("cannot run in an NPU segment");
    cg::Layer layer;
    if (failed(layerParamsFromOp(&op, layer)))
      return failure();
    for (Value v : op.getOperands()) {
      auto it = ids.find(v);
      if (it == ids.end())
        return op.emitOpError("reads a value the segment does not have");
      layer.inputs.push_back(it->second);
    }
    auto name = op.getAttrOfType<StringAttr>("npu.name");
    layer.name = name ? name.str()
                      : op.getName().stripDialect().str() + "_" +
                            std::to_string(sg.layerOps.size());
    cg::Tensor t;
    t.name = layer.name;
    FailureOr<cg::TensorId> out = addValue(op.getResult(0), std::move(t));
    if (failed(out))
      return failure();
    layer.output = *out;
    auto setBias = [&](cg::FloatEpilogue &e) {
      if (e.bias != cg::kNoTensor)
        e.bias = layer.inputs.back();
    };
    if (auto *c = std::get_if<cg::ConvParams>(&layer.params))
      setBias(c->epilogue);
    if (auto *m = std::get_if<cg::MatmulParams>(&layer.params))
      setBias(m->epilogue);
    sg.graph.layers.push_back(std::move(layer));
    sg.layerOps.push_back(&op);
  }
  if (Status s = sg.graph.verify(); !s)
    return func.emitError("NPU segment '")
           << func.getSymName() << "': " << s.message();
  return sg;
}

//===----------------------------------------------------------------------===//
// Target options
//===----------------------------------------------------------------------===//

FailureOr<TargetOptions> readTargetOptions(Operation *module) {
  TargetOptions o;
  auto d = module->getAttrOfType<DictionaryAttr>("npu.target");
  if (!d)
    return module->emitError(
        "no npu.target attribute (run tessel-npu-partition first, or write "
        "npu.target = {chip = \"...\"} on the module)");
  auto i64 = [&](StringRef k, auto &field) {
    if (auto a = d.getAs<IntegerAttr>(k))
      field = static_cast<std::decay_t<decltype(field)>>(a.getInt());
  };
  if (auto c = d.getAs<StringAttr>("chip"))
    o.chip = c.str();
  i64("cores", o.plan.cores);
  i64("mos", o.plan.maxChannelCores);
  i64("ols", o.plan.overlapSplit);
  i64("split_size", o.plan.splitBytes);
  i64("dealloc_delay", o.plan.deallocDelay);
  if (auto a = d.getAs<FloatAttr>("vtcm_limit_percent"))
    o.plan.vtcmLimitPercent = a.getValueAsDouble();
  else if (auto a = d.getAs<IntegerAttr>("vtcm_limit_percent"))
    o.plan.vtcmLimitPercent = static_cast<double>(a.getInt());
  if (auto a = d.getAs<BoolAttr>("multicast_weights"))
    o.plan.multicastWeights = a.getValue();
  if (auto a = d.getAs<BoolAttr>("residency"))
    o.plan.residency = a.getValue();
  if (auto a = d.getAs<BoolAttr>("whole_layers"))
    o.plan.wholeLayers = a.getValue();
  if (auto a = d.getAs<StringAttr>("solver"))
    o.plan.solver = a.str();
  return o;
}

DictionaryAttr targetOptionsAttr(MLIRContext *ctx, const TargetOptions &o) {
  Builder b(ctx);
  SmallVector<NamedAttribute> a;
  a.push_back(b.getNamedAttr("chip", b.getStringAttr(o.chip)));
  a.push_back(b.getNamedAttr("cores", b.getI64IntegerAttr(o.plan.cores)));
  a.push_back(
      b.getNamedAttr("mos", b.getI64IntegerAttr(o.plan.maxChannelCores)));
  a.push_back(b.getNamedAttr("ols", b.getI64IntegerAttr(o.plan.overlapSplit)));
  a.push_back(b.getNamedAttr(
      "split_size",
      b.getI64IntegerAttr(static_cast<int64_t>(o.plan.splitBytes))));
  a.push_back(b.getNamedAttr("vtcm_limit_percent",
                             b.getF64FloatAttr(o.plan.vtcmLimitPercent)));
  a.push_back(b.getNamedAttr("dealloc_delay",
                             b.getI64IntegerAttr(o.plan.deallocDelay)));
  a.push_back(b.getNamedAttr("multicast_weights",
                             b.getBoolAttr(o.plan.multicastWeights)));
  a.push_back(b.getNamedAttr("residency", b.getBoolAttr(o.plan.residency)));
  a.push_back(b.getNamedAttr("solver", b.getStringAttr(o.plan.solver)));
  if (o.plan.wholeLayers)
    a.push_back(b.getNamedAttr("whole_layers", b.getBoolAttr(true)));
  return b.getDictionaryAttr(a);
}

FailureOr<const ChipModel *> targetChip(Operation *module,
                                        const TargetOptions &o) {
  static ChipRegistry *registry = new ChipRegistry();
  if (auto d = module->getAttrOfType<DictionaryAttr>("npu.target"))
    if (auto f = d.getAs<StringAttr>("chip_file")) {
      if (Status s = registry->addFile(f.str()); !s)
        return module->emitError(s.message());
    }
  const ChipModel *chip = registry->find(o.chip);
  if (!chip) {
    std::string known;
    for (const ChipModel &c : registry->chips())
      known += (known.empty() ? "" : ", ") + c.name;
    return module->emitError("unknown chip '")
           << o.chip << "' (known chips: " << known << ")";
  }
  return chip;
}

//===----------------------------------------------------------------------===//
// Plan attributes
//===----------------------------------------------------------------------===//

DictionaryAttr placementAttr(MLIRContext *ctx, const cg::Placement &p) {
  Builder b(ctx);
  SmallVector<NamedAttribute> a;
  a.push_back(b.getNamedAttr("mem", b.getStringAttr(p.vtcm ? "vtcm" : "ddr")));
  a.push_back(b.getNamedAttr("addr", b.getI64IntegerAttr(p.addr)));
  if (p.pitch) {
    a.push_back(b.getNamedAttr("pitch", b.getI64IntegerAttr(p.pitch)));
    a.push_back(b.getNamedAttr("row_dims", b.getI64IntegerAttr(p.rowDims)));
  }
  return b.getDictionaryAttr(a);
}

std::optional<cg::Placement> placementFromAttr(Attribute attr) {
  auto d = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!d)
    return std::nullopt;
  cg::Placement p;
  auto mem = d.getAs<StringAttr>("mem");
  if (!mem)
    return std::nullopt;
  p.vtcm = mem.getValue() == "vtcm";
  if (auto a = d.getAs<IntegerAttr>("addr"))
    p.addr = a.getInt();
  if (auto a = d.getAs<IntegerAttr>("pitch"))
    p.pitch = a.getInt();
  if (auto a = d.getAs<IntegerAttr>("row_dims"))
    p.rowDims = static_cast<int>(a.getInt());
  return p;
}

DictionaryAttr tilingAttr(MLIRContext *ctx, const cg::TilePlan &p) {
  Builder b(ctx);
  SmallVector<NamedAttribute> a;
  auto i = [&](StringRef k, int64_t v) {
    a.push_back(b.getNamedAttr(k, b.getI64IntegerAttr(v)));
  };
  i("rows", p.rows);
  i("cols", p.cols);
  a.push_back(b.getNamedAttr("weights_outer", b.getBoolAttr(p.weightsOuter)));
  i("cores", p.cores);
  i("channel_cores", p.channelCores);
  if (p.multicastWeights)
    a.push_back(b.getNamedAttr("multicast", b.getBoolAttr(true)));
  i("vtcm_bytes", static_cast<int64_t>(p.vtcmBytes));
  i("est_cycles", static_cast<int64_t>(p.estCycles));
  i("est_ddr_bytes", static_cast<int64_t>(p.estDdrBytes));
  i("tiles", static_cast<int64_t>(p.numTiles));
  a.push_back(b.getNamedAttr("solver", b.getStringAttr(p.solver)));
  return b.getDictionaryAttr(a);
}

std::optional<cg::TilePlan> tilingFromAttr(Attribute attr) {
  auto d = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!d)
    return std::nullopt;
  cg::TilePlan p;
  auto i = [&](StringRef k, auto &field) {
    if (auto a = d.getAs<IntegerAttr>(k))
      field = static_cast<std::decay_t<decltype(field)>>(a.getInt());
  };
  i("rows", p.rows);
  i("cols", p.cols);
  if (auto a = d.getAs<BoolAttr>("weights_outer"))
    p.weightsOuter = a.getValue();
  i("cores", p.cores);
  i("channel_cores", p.channelCores);
  if (auto a = d.getAs<BoolAttr>("multicast"))
    p.multicastWeights = a.getValue();
  i("vtcm_bytes", p.vtcmBytes);
  i("est_cycles", p.estCycles);
  i("est_ddr_bytes", p.estDdrBytes);
  i("tiles", p.numTiles);
  if (auto a = d.getAs<StringAttr>("solver"))
    p.solver = a.str();
  return p;
}

RecordedPlan readRecordedPlan(func::FuncOp func, const SegmentGraph &sg) {
  RecordedPlan r;
  const cg::LayerGraph &g = sg.graph;
  r.plan.placements.assign(g.tensors.size(), cg::Placement{});
  r.plan.tiles.assign(g.layers.size(), cg::TilePlan{});
  r.plan.buffers.assign(g.layers.size(), {});
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    Value v = sg.values[i];
    Attribute a;
    if (auto arg = dyn_cast<BlockArgument>(v))
      a = func.getArgAttr(arg.getArgNumber(), "npu.place");
    else if (Operation *def = v.getDefiningOp())
      a = def->getAttr("npu.place");
    if (std::optional<cg::Placement> p = placementFromAttr(a)) {
      r.plan.placements[i] = *p;
      r.hasPlacements = true;
    }
  }
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].aliasOf != cg::kNoTensor)
      r.plan.placements[i] =
          r.plan.placements[g.storageOf(static_cast<cg::TensorId>(i))];
  r.plan.weights.constOffset.assign(g.tensors.size(), -1);
  r.plan.weights.layerTiles.assign(g.layers.size(), {});
  for (size_t li = 0; li < g.layers.size(); ++li) {
    Operation *op = sg.layerOps[li];
    if (std::optional<cg::TilePlan> t =
            tilingFromAttr(op->getAttr("npu.tiling"))) {
      r.plan.tiles[li] = *t;
      r.hasTiling = true;
    }
    if (auto b = op->getAttrOfType<DenseI64ArrayAttr>("npu.buffers")) {
      r.plan.buffers[li].assign(b.asArrayRef().begin(), b.asArrayRef().end());
      r.hasBuffers = true;
    }
    if (auto pk = op->getAttrOfType<DenseI64ArrayAttr>("npu.packed")) {
      ArrayRef<int64_t> v = pk.asArrayRef();
      for (size_t k = 0; k + 5 <= v.size(); k += 5) {
        cg::PackedTile t;
        t.offset = v[k];
        t.bytes = v[k + 1];
        t.weightBytes = v[k + 2];
        t.tableOffset = v[k + 3];
        t.biasOffset = v[k + 4];
        r.plan.weights.layerTiles[li].push_back(t);
      }
    }
  }
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (Operation *def = sg.values[i].getDefiningOp())
      if (auto a = def->getAttrOfType<IntegerAttr>("npu.const_offset"))
        r.plan.weights.constOffset[i] = a.getInt();
  if (auto w = func->getAttrOfType<ElementsAttr>("npu.weights")) {
    if (std::optional<ArrayRef<char>> raw = graph::getRawBytes(w))
      r.plan.weights.bytes.assign(raw->begin(), raw->end());
    r.hasWeights = true;
  }
  if (auto a = func->getAttrOfType<IntegerAttr>("npu.vtcm_peak"))
    r.plan.vtcmPeak = a.getInt();
  if (auto a = func->getAttrOfType<IntegerAttr>("npu.ddr_scratch"))
    r.plan.ddrScratchBytes = a.getInt();
  return r;
}

void writePlacements(func::FuncOp func, const SegmentGraph &sg,
                     const std::vector<cg::Placement> &places) {
  MLIRContext *ctx = func.getContext();
  for (size_t i = 0; i < sg.values.size() && i < places.size(); ++i) {
    const cg::Tensor &t = sg.graph.tensors[i];
    if (t.isConstant || t.aliasOf != cg::kNoTensor)
      continue;
    Value v = sg.values[i];
    if (auto arg = dyn_cast<BlockArgument>(v))
      func.setArgAttr(arg.getArgNumber(), "npu.place",
                      placementAttr(ctx, places[i]));
    else if (Operation *def = v.getDefiningOp())
      def->setAttr("npu.place", placementAttr(ctx, places[i]));
  }
}

void writeTiling(const SegmentGraph &sg,
                 const std::vector<cg::TilePlan> &tiles) {
  for (size_t li = 0; li < sg.layerOps.size() && li < tiles.size(); ++li)
    sg.layerOps[li]->setAttr(
        "npu.tiling", tilingAttr(sg.layerOps[li]->getContext(), tiles[li]));
}

void writeBuffers(const SegmentGraph &sg,
                  const std::vector<std::vector<uint64_t>> &buffers) {
  for (size_t li = 0; li < sg.layerOps.size() && li < buffers.size(); ++li) {
    SmallVector<int64_t> v(buffers[li].begin(), buffers[li].end());
    sg.layerOps[li]->setAttr(
        "npu.buffers",
        DenseI64ArrayAttr::get(sg.layerOps[li]->getContext(), v));
  }
}

void writeWeights(func::FuncOp func, const SegmentGraph &sg,
                  const cg::WeightImage &image) {
  MLIRContext *ctx = func.getContext();
  for (size_t li = 0; li < sg.layerOps.size(); ++li) {
    if (li >= image.layerTiles.size() || image.layerTiles[li].empty()) {
      sg.layerOps[li]->removeAttr("npu.packed");
      continue;
    }
    SmallVector<int64_t> v;
    for (const cg::PackedTile &t : image.layerTiles[li]) {
      v.push_back(t.offset);
      v.push_back(t.bytes);
      v.push_back(t.weightBytes);
      v.push_back(t.tableOffset);
      v.push_back(t.biasOffset);
    }
    sg.layerOps[li]->setAttr("npu.packed", DenseI64ArrayAttr::get(ctx, v));
  }
  Builder b(ctx);
  for (size_t i = 0; i < sg.values.size() && i < image.constOffset.size(); ++i)
    if (image.constOffset[i] >= 0)
      if (Operation *def = sg.values[i].getDefiningOp())
        def->setAttr("npu.const_offset",
                     b.getI64IntegerAttr(image.constOffset[i]));
  auto type = RankedTensorType::get({static_cast<int64_t>(image.bytes.size())},
                                    b.getIntegerType(8));
  ArrayRef<char> bytes(reinterpret_cast<const char *>(image.bytes.data()),
                       image.bytes.size());
  func->setAttr("npu.weights",
                graph::elementsFromRawBytes(
                    type, bytes, ("npu.weights." + func.getSymName()).str()));
}

} // namespace tessel::npu::ir
