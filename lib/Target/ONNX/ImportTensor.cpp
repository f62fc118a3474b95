//===- ImportTensor.cpp - Constants, shapes and data movement -------------===//
//
// Shape-computing ops (Shape, Size, ConstantOfShape, Range) become constants
// since every shape is static; Flatten, Squeeze and Unsqueeze become
// reshapes; Slice is normalized to in-bounds starts and counts.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include <cmath>

using namespace mlir;
using namespace tessel;
using namespace tessel::onnx_import;
namespace g = tessel::graph;

namespace {

LogicalResult setResult(NodeContext &nc, FailureOr<Value> v) {
  if (failed(v))
    return failure();
  nc.setOutput(0, *v);
  return success();
}

Value i64Constant(NodeContext &nc, ArrayRef<int64_t> values,
                  ArrayRef<int64_t> shape) {
  ref::Tensor t(ref::DType::I64, ref::Shape(shape.begin(), shape.end()));
  for (size_t i = 0; i < values.size(); ++i)
    t.setI(i, values[i]);
  return nc.constant(nc.b.getI64Type(), t);
}

/// Constant: a tensor attribute, or (opset 12+) one of the value_* forms.
LogicalResult importConstant(NodeContext &nc) {
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    FailureOr<ElementsAttr> attr = nc.constantAttr(a->t());
    if (failed(attr))
      return failure();
    nc.setOutput(0, g::ConstantOp::create(nc.b, nc.loc, *attr));
    return success();
  }
  if (const onnx::AttributeProto *a = nc.attr("value_float")) {
    nc.setOutput(0, nc.scalar(nc.b.getF32Type(), a->f()));
    return success();
  }
  if (const onnx::AttributeProto *a = nc.attr("value_int")) {
    nc.setOutput(0, i64Constant(nc, {a->i()}, {}));
    return success();
  }
  if (const onnx::AttributeProto *a = nc.attr("value_floats")) {
    ref::Tensor t(ref::DType::F32, {a->floats_size()});
    for (int i = 0; i < a->floats_size(); ++i)
      t.setF(i, a->floats(i));
    nc.setOutput(0, nc.constant(nc.b.getF32Type(), t));
    return success();
  }
  if (const onnx::AttributeProto *a = nc.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    nc.setOutput(0, i64Constant(nc, v, {static_cast<int64_t>(v.size())}));
    return success();
  }
  if (nc.hasAttr("sparse_value"))
    return nc.error("sparse constants are not supported");
  if (nc.hasAttr("value_string") || nc.hasAttr("value_strings"))
    return nc.error("string constants are not supported");
  return nc.error("has no value attribute");
}

LogicalResult importShape(NodeContext &nc) {
  ArrayRef<int64_t> shape = nc.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t start = nc.getInt("start", 0), end = nc.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  nc.setOutput(0, i64Constant(nc, dims, {static_cast<int64_t>(dims.size())}));
  return success();
}

LogicalResult importSize(NodeContext &nc) {
  nc.setOutput(0, i64Constant(nc, {nc.inputType(0).getNumElements()}, {}));
  return success();
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  FailureOr<SmallVector<int64_t>> shape = nc.requireConstantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return nc.error("negative dim in the shape");
  Type et = nc.b.getF32Type();
  double value = 0.0;
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    const onnx::TensorProto &t = a->t();
    et = elementTypeFor(nc.getContext(), t.data_type());
    if (!et)
      return nc.error("value has unsupported data type " +
                      onnxTypeName(t.data_type()));
    auto attr = nc.constantAttr(t);
    if (failed(attr))
      return failure();
    std::string err;
    FailureOr<ref::Tensor> v = g::toTensor(*attr, err);
    if (failed(v) || v->numel() != 1)
      return nc.error("value must hold one element");
    value = v->getF(0);
  }
  nc.setOutput(0, nc.scalar(et, value, *shape));
  return success();
}

LogicalResult importRange(NodeContext &nc) {
  std::optional<ref::Tensor> start = nc.constantInput(0),
                             limit = nc.constantInput(1),
                             delta = nc.constantInput(2);
  if (!start || !limit || !delta)
    return nc.error("start, limit and delta must be compile-time constants");
  double s = start->getF(0), l = limit->getF(0), d = delta->getF(0);
  if (d == 0)
    return nc.error("delta is zero");
  int64_t n = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((l - s) / d)));
  if (n > (int64_t(1) << 28))
    return nc.error("range has too many elements");
  Type et = nc.inputElementType(0);
  ref::Tensor t(start->dtype(), {n});
  for (int64_t i = 0; i < n; ++i) {
    if (start->isFloat())
      t.setF(i, s + i * d);
    else
      t.setI(i, start->getI(0) + i * delta->getI(0));
  }
  nc.setOutput(0, nc.constant(et, t));
  return success();
}

LogicalResult importReshape(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  SmallVector<int64_t> shape;
  if (nc.opset < 5) {
    shape = nc.getInts("shape").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SmallVector<int64_t>> s = nc.requireConstantInts(1, "shape");
    if (failed(s))
      return failure();
    shape = *s;
  }
  bool allowZero = nc.getInt("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x.getRank())
        return nc.error("shape copies dim " + std::to_string(i) +
                        " which the input does not have");
      shape[i] = x.getDimSize(i);
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return nc.error("shape has more than one -1");
      inferred = i;
      continue;
    }
    if (shape[i] < 0)
      return nc.error("shape has a negative dim " + std::to_string(shape[i]));
    known *= shape[i];
  }
  if (inferred >= 0) {
    if (known == 0 || x.getNumElements() % known != 0)
      return nc.emitError() << "cannot infer the -1 dim reshaping " << x;
    shape[inferred] = x.getNumElements() / known;
  }
  return setResult(nc, nc.reshape(nc.input(0), shape));
}

LogicalResult importFlatten(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  int64_t rank = x.getRank();
  int64_t axis = nc.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.error("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= x.getDimSize(i);
  return setResult(nc, nc.reshape(nc.input(0), {outer, inner}));
}

FailureOr<SmallVector<int64_t>> readAxes(NodeContext &nc, int64_t inputSince,
                                         unsigned inputIndex) {
  if (nc.opset >= inputSince) {
    if (!nc.hasInput(inputIndex))
      return SmallVector<int64_t>();
    return nc.requireConstantInts(inputIndex, "axes");
  }
  return nc.getInts("axes").value_or(SmallVector<int64_t>());
}

LogicalResult importSqueeze(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  int64_t rank = x.getRank();
  FailureOr<SmallVector<int64_t>> axes = readAxes(nc, 13, 1);
  if (failed(axes))
    return failure();
  SmallVector<bool> drop(rank, false);
  if (axes->empty()) {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = x.getDimSize(i) == 1;
  } else {
    for (int64_t a : *axes) {
      FailureOr<int64_t> axis = nc.normalizeAxis(a, rank);
      if (failed(axis))
        return failure();
      if (x.getDimSize(*axis) != 1)
        return nc.emitError() << "cannot squeeze dim " << *axis << " of size "
                              << x.getDimSize(*axis);
      drop[*axis] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(x.getDimSize(i));
  return setResult(nc, nc.reshape(nc.input(0), shape));
}

LogicalResult importUnsqueeze(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  FailureOr<SmallVector<int64_t>> axes = readAxes(nc, 13, 1);
  if (failed(axes))
    return failure();
  if (axes->empty())
    return nc.error("Unsqueeze needs axes");
  int64_t outRank = x.getRank() + axes->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = nc.normalizeAxis(a, outRank);
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return nc.error("repeated axis in Unsqueeze");
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(inserted[i] ? 1 : x.getDimSize(next++));
  return setResult(nc, nc.reshape(nc.input(0), shape));
}

LogicalResult importTranspose(NodeContext &nc) {
  int64_t rank = nc.inputType(0).getRank();
  SmallVector<int64_t> perm;
  if (auto p = nc.getInts("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  return setResult(nc, nc.build<g::TransposeOp>(
                           nc.input(0), nc.b.getDenseI64ArrayAttr(perm)));
}

LogicalResult importConcat(NodeContext &nc) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i))
      inputs.push_back(nc.input(i));
  if (inputs.empty())
    return nc.error("Concat needs inputs");
  FailureOr<int64_t> axis = nc.normalizeAxis(
      nc.getInt("axis", 0), cast<RankedTensorType>(inputs[0].getType()).getRank());
  if (failed(axis))
    return failure();
  return setResult(nc, nc.build<g::ConcatOp>(ValueRange(inputs),
                                             nc.b.getI64IntegerAttr(*axis)));
}

LogicalResult importSplit(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.getInt("axis", 0), x.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = x.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (nc.opset < 13) {
    sizes = nc.getInts("split").value_or(SmallVector<int64_t>());
  } else if (nc.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = nc.requireConstantInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  int64_t n = nc.numOutputs();
  if (sizes.empty()) {
    if (nc.opset >= 18 && nc.hasAttr("num_outputs"))
      n = nc.getInt("num_outputs", n);
    if (n <= 0)
      return nc.error("Split needs at least one output");
    if (nc.opset >= 18) {
      int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(
            0, std::min(chunk, dim - i * chunk)));
    } else {
      if (dim % n != 0)
        return nc.emitError() << "cannot split dim of size " << dim
                              << " evenly into " << n << " outputs";
      sizes.assign(n, dim / n);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != nc.numOutputs())
    return nc.emitError() << "split gives " << sizes.size()
                          << " sizes for " << nc.numOutputs() << " outputs";
  SmallVector<Type> types;
  for (int64_t s : sizes) {
    if (s < 0)
      return nc.error("negative split size");
    SmallVector<int64_t> shape(x.getShape());
    shape[*axis] = s;
    types.push_back(x.clone(shape));
  }
  OperationState state(nc.loc, g::SplitOp::getOperationName());
  g::SplitOp::build(nc.b, state, types, nc.input(0),
                    nc.b.getI64IntegerAttr(*axis));
  FailureOr<SmallVector<Value>> results = nc.finishMulti(state);
  if (failed(results))
    return failure();
  for (auto [i, v] : llvm::enumerate(*results))
    nc.setOutput(i, v);
  return success();
}

/// Slice: starts/ends/axes are attributes before opset 10, then inputs (with
/// steps). ONNX's clamping rules give in-bounds starts and element counts.
LogicalResult importSlice(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  int64_t rank = x.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (nc.opset < 10) {
    starts = nc.getInts("starts").value_or(SmallVector<int64_t>());
    ends = nc.getInts("ends").value_or(SmallVector<int64_t>());
    axes = nc.getInts("axes").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SmallVector<int64_t>> s = nc.requireConstantInts(1, "starts");
    if (failed(s))
      return failure();
    FailureOr<SmallVector<int64_t>> e = nc.requireConstantInts(2, "ends");
    if (failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (nc.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = nc.requireConstantInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (nc.hasInput(4)) {
      FailureOr<SmallVector<int64_t>> st = nc.requireConstantInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (starts.size() != ends.size())
    return nc.error("starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return nc.error("starts, ends, axes and steps differ in length");
  SmallVector<int64_t> outStarts(rank, 0), outSteps(rank, 1),
      outShape(x.getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    FailureOr<int64_t> axis = nc.normalizeAxis(axes[k], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return nc.error("repeated axis in Slice");
    seen[*axis] = true;
    int64_t dim = x.getDimSize(*axis), step = steps[k];
    if (step == 0)
      return nc.error("slice step is zero");
    int64_t s = starts[k], e = ends[k];
    if (s < 0)
      s = s < -dim ? -1 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    int64_t count;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = s > e ? (s - e - step - 1) / -step : 0;
    }
    outStarts[*axis] = count > 0 ? s : 0;
    outSteps[*axis] = step;
    outShape[*axis] = count;
  }
  return setResult(nc, nc.buildTyped<g::SliceOp>(
                           x.clone(outShape), nc.input(0),
                           nc.b.getDenseI64ArrayAttr(outStarts),
                           nc.b.getDenseI64ArrayAttr(outSteps)));
}

LogicalResult importGather(NodeContext &nc) {
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.getInt("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(nc, nc.build<g::GatherOp>(nc.input(0), nc.input(1),
                                             nc.b.getI64IntegerAttr(*axis)));
}

LogicalResult importGatherElements(NodeContext &nc) {
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.getInt("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(nc, nc.build<g::GatherElementsOp>(
                           nc.input(0), nc.input(1),
                           nc.b.getI64IntegerAttr(*axis)));
}

LogicalResult importExpand(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  FailureOr<SmallVector<int64_t>> shape = nc.requireConstantInts(1, "shape");
  if (failed(shape))
    return failure();
  std::optional<ref::Shape> out = ref::broadcastShapes(
      ref::Shape(x.getShape().begin(), x.getShape().end()),
      ref::Shape(shape->begin(), shape->end()));
  if (!out)
    return nc.emitError() << "cannot expand " << x << " to shape ["
                          << llvm::make_range(shape->begin(), shape->end())
                          << "]";
  auto type = x.clone(SmallVector<int64_t>(out->begin(), out->end()));
  if (type == x) {
    nc.setOutput(0, nc.input(0));
    return success();
  }
  return setResult(nc, nc.buildTyped<g::BroadcastToOp>(type, nc.input(0)));
}

LogicalResult importTile(NodeContext &nc) {
  FailureOr<SmallVector<int64_t>> repeats =
      nc.requireConstantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  return setResult(nc, nc.build<g::TileOp>(
                           nc.input(0), nc.b.getDenseI64ArrayAttr(*repeats)));
}

} // namespace

void tessel::onnx_import::registerTensorImporters(ImporterRegistry &r) {
  r["Constant"] = {importConstant};
  r["Shape"] = {importShape};
  r["Size"] = {importSize};
  r["ConstantOfShape"] = {importConstantOfShape, 9};
  r["Range"] = {importRange, 11};
  r["Reshape"] = {importReshape};
  r["Flatten"] = {importFlatten};
  r["Squeeze"] = {importSqueeze};
  r["Unsqueeze"] = {importUnsqueeze};
  r["Transpose"] = {importTranspose};
  r["Concat"] = {importConcat};
  r["Split"] = {importSplit};
  r["Slice"] = {importSlice};
  r["Gather"] = {importGather};
  r["GatherElements"] = {importGatherElements, 11};
  r["Expand"] = {importExpand, 8};
  r["Tile"] = {importTile};
}
