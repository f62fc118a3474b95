//===- ImportNN.cpp - Convolution, pooling, normalization, resize ---------===//
//
// auto_pad is resolved into explicit pads here; pooling and normalization
// variants that ONNX spells as separate ops (GlobalAveragePool,
// InstanceNormalization, Upsample) become the general graph ops.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

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

/// Per-spatial-dim window attributes with ONNX defaults, and pads resolved
/// from auto_pad.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};

FailureOr<Window> readWindow(NodeContext &nc, ArrayRef<int64_t> inputSpatial,
                             ArrayRef<int64_t> kernel, bool ceilMode) {
  int64_t n = inputSpatial.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = nc.getInts("strides").value_or(SmallVector<int64_t>(n, 1));
  w.dilations = nc.getInts("dilations").value_or(SmallVector<int64_t>(n, 1));
  if (static_cast<int64_t>(w.strides.size()) != n ||
      static_cast<int64_t>(w.dilations.size()) != n) {
    nc.emitError() << "strides and dilations need " << n << " values each";
    return failure();
  }
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    w.pads = nc.getInts("pads").value_or(SmallVector<int64_t>(2 * n, 0));
    if (static_cast<int64_t>(w.pads.size()) != 2 * n) {
      nc.emitError() << "pads needs " << 2 * n << " values, got "
                     << w.pads.size();
      return failure();
    }
  } else if (autoPad == "VALID") {
    w.pads.assign(2 * n, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    w.pads.assign(2 * n, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = w.strides[i];
      if (s < 1) {
        nc.emitError() << "strides must be positive";
        return failure();
      }
      int64_t out = (inputSpatial[i] + s - 1) / s;
      int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + span -
                                                inputSpatial[i]);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[n + i] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else {
    nc.emitError() << "unknown auto_pad '" << autoPad << "'";
    return failure();
  }
  (void)ceilMode;
  return w;
}

SmallVector<int64_t> spatialDims(RankedTensorType t) {
  return SmallVector<int64_t>(t.getShape().drop_front(2));
}

LogicalResult importConv(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0), w = nc.inputType(1);
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return nc.error("Conv needs input and weight of the same rank >= 3");
  SmallVector<int64_t> kernel = spatialDims(w);
  if (auto ks = nc.getInts("kernel_shape"))
    if (*ks != kernel)
      return nc.error("kernel_shape does not match the weight's spatial dims");
  FailureOr<Window> win = readWindow(nc, spatialDims(x), kernel, false);
  if (failed(win))
    return failure();
  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  return setResult(
      nc, nc.build<g::ConvOp>(
              nc.input(0), nc.input(1), bias,
              nc.b.getDenseI64ArrayAttr(win->strides),
              nc.b.getDenseI64ArrayAttr(win->dilations),
              nc.b.getDenseI64ArrayAttr(win->pads),
              nc.b.getI64IntegerAttr(nc.getInt("group", 1)),
              g::LayoutAttr::get(nc.getContext(), g::Layout::NCHW),
              g::ActivationAttr()));
}

/// ConvTranspose: output_shape and auto_pad become explicit pads and
/// output_padding (the ONNX spec's formulas).
LogicalResult importConvTranspose(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0), w = nc.inputType(1);
  int64_t rank = x.getRank(), n = rank - 2;
  if (rank < 3 || w.getRank() != rank)
    return nc.error(
        "ConvTranspose needs input and weight of the same rank >= 3");
  SmallVector<int64_t> kernel = spatialDims(w);
  if (auto ks = nc.getInts("kernel_shape"))
    if (*ks != kernel)
      return nc.error("kernel_shape does not match the weight's spatial dims");
  SmallVector<int64_t> strides =
      nc.getInts("strides").value_or(SmallVector<int64_t>(n, 1));
  SmallVector<int64_t> dilations =
      nc.getInts("dilations").value_or(SmallVector<int64_t>(n, 1));
  SmallVector<int64_t> outPad =
      nc.getInts("output_padding").value_or(SmallVector<int64_t>(n, 0));
  SmallVector<int64_t> pads =
      nc.getInts("pads").value_or(SmallVector<int64_t>(2 * n, 0));
  if (static_cast<int64_t>(strides.size()) != n ||
      static_cast<int64_t>(dilations.size()) != n ||
      static_cast<int64_t>(outPad.size()) != n ||
      static_cast<int64_t>(pads.size()) != 2 * n)
    return nc.error("strides, dilations, output_padding and pads must match "
                    "the number of spatial dims");
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  std::optional<SmallVector<int64_t>> outputShape = nc.getInts("output_shape");
  if (outputShape && static_cast<int64_t>(outputShape->size()) == rank)
    outputShape = SmallVector<int64_t>(outputShape->begin() + 2,
                                       outputShape->end());
  if (outputShape && static_cast<int64_t>(outputShape->size()) != n)
    return nc.error("output_shape must give the spatial dims");
  if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < n; ++i) {
      int64_t in = x.getDimSize(2 + i);
      int64_t target = outputShape ? (*outputShape)[i] : in * strides[i];
      int64_t total = strides[i] * (in - 1) + outPad[i] +
                      ((kernel[i] - 1) * dilations[i] + 1) - target;
      if (total < 0) {
        // The output is larger than the full transposed conv: grow it with
        // output padding (ONNX lets output_shape imply it).
        outPad[i] -= total;
        total = 0;
      }
      bool upper = autoPad != "SAME_LOWER";
      pads[i] = upper ? total / 2 : total - total / 2;
      pads[n + i] = total - pads[i];
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * n, 0);
  } else if (autoPad != "NOTSET") {
    return nc.error("unknown auto_pad '" + autoPad + "'");
  }
  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  return setResult(
      nc, nc.build<g::ConvTransposeOp>(
              nc.input(0), nc.input(1), bias,
              nc.b.getDenseI64ArrayAttr(strides),
              nc.b.getDenseI64ArrayAttr(dilations),
              nc.b.getDenseI64ArrayAttr(pads),
              nc.b.getDenseI64ArrayAttr(outPad),
              nc.b.getI64IntegerAttr(nc.getInt("group", 1)),
              g::LayoutAttr::get(nc.getContext(), g::Layout::NCHW)));
}

template <bool IsMax>
LogicalResult importPool(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  if (x.getRank() < 3)
    return nc.error("pooling needs an input of rank >= 3");
  std::optional<SmallVector<int64_t>> kernel = nc.getInts("kernel_shape");
  if (!kernel || static_cast<int64_t>(kernel->size()) != x.getRank() - 2)
    return nc.error("kernel_shape must give every spatial dim");
  bool ceilMode = nc.getInt("ceil_mode", 0) != 0;
  FailureOr<Window> win = readWindow(nc, spatialDims(x), *kernel, ceilMode);
  if (failed(win))
    return failure();
  auto layout = g::LayoutAttr::get(nc.getContext(), g::Layout::NCHW);
  if constexpr (IsMax) {
    if (nc.getInt("storage_order", 0) != 0 && nc.isOutputUsed(1))
      return nc.error("column-major Indices are not supported");
    return setResult(nc, nc.build<g::MaxPoolOp>(
                             nc.input(0), nc.b.getDenseI64ArrayAttr(*kernel),
                             nc.b.getDenseI64ArrayAttr(win->strides),
                             nc.b.getDenseI64ArrayAttr(win->dilations),
                             nc.b.getDenseI64ArrayAttr(win->pads),
                             nc.b.getBoolAttr(ceilMode), layout));
  } else {
    return setResult(
        nc, nc.build<g::AvgPoolOp>(
                nc.input(0), nc.b.getDenseI64ArrayAttr(*kernel),
                nc.b.getDenseI64ArrayAttr(win->strides),
                nc.b.getDenseI64ArrayAttr(win->dilations),
                nc.b.getDenseI64ArrayAttr(win->pads),
                nc.b.getBoolAttr(ceilMode),
                nc.b.getBoolAttr(nc.getInt("count_include_pad", 0) != 0),
                layout));
  }
}

/// GlobalAveragePool / GlobalMaxPool: reductions over the spatial dims.
template <typename OpTy>
LogicalResult importGlobalPool(NodeContext &nc) {
  int64_t rank = nc.inputType(0).getRank();
  if (rank < 3)
    return nc.error("global pooling needs an input of rank >= 3");
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  return setResult(nc, nc.build<OpTy>(nc.input(0),
                                      nc.b.getDenseI64ArrayAttr(axes),
                                      nc.b.getBoolAttr(true)));
}

LogicalResult importBatchNorm(NodeContext &nc) {
  if (nc.opset < 9 && nc.getInt("spatial", 1) == 0)
    return nc.error("BatchNormalization with spatial=0 is not supported");
  if (nc.getInt("training_mode", 0) != 0)
    return nc.error("training mode is not supported (inference only)");
  return setResult(nc, nc.build<g::BatchNormOp>(
                           nc.input(0), nc.input(1), nc.input(2), nc.input(3),
                           nc.input(4),
                           nc.b.getF64FloatAttr(nc.getFloat("epsilon", 1e-5)),
                           g::LayoutAttr::get(nc.getContext(),
                                              g::Layout::NCHW)));
}

LogicalResult importLayerNorm(NodeContext &nc) {
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.getInt("axis", -1), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  double epsilon = nc.getFloat("epsilon", 1e-5);
  if (failed(setResult(nc, nc.build<g::LayerNormOp>(
                               nc.input(0), nc.input(1), bias,
                               nc.b.getI64IntegerAttr(*axis),
                               nc.b.getF64FloatAttr(epsilon)))))
    return failure();
  if (!nc.isOutputUsed(1) && !nc.isOutputUsed(2))
    return success();
  // The optional Mean and InvStdDev outputs, written with reductions.
  int64_t rank = nc.inputType(0).getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = *axis; i < rank; ++i)
    axes.push_back(i);
  auto axesAttr = nc.b.getDenseI64ArrayAttr(axes);
  Value x = nc.input(0);
  FailureOr<Value> mean =
      nc.build<g::ReduceMeanOp>(x, axesAttr, nc.b.getBoolAttr(true));
  if (failed(mean))
    return failure();
  FailureOr<Value> d = nc.build<g::SubOp>(x, *mean);
  FailureOr<Value> sq = failed(d) ? d : nc.build<g::MulOp>(*d, *d);
  FailureOr<Value> var =
      failed(sq) ? sq
                 : nc.build<g::ReduceMeanOp>(*sq, axesAttr,
                                             nc.b.getBoolAttr(true));
  FailureOr<Value> ve =
      failed(var) ? var
                  : nc.build<g::AddOp>(
                        *var, nc.scalar(nc.inputElementType(0), epsilon));
  FailureOr<Value> sd = failed(ve) ? ve : nc.build<g::SqrtOp>(*ve);
  FailureOr<Value> inv = failed(sd) ? sd : nc.build<g::ReciprocalOp>(*sd);
  if (failed(inv))
    return failure();
  nc.setOutput(1, *mean);
  nc.setOutput(2, *inv);
  return success();
}

/// InstanceNormalization: per-sample, per-channel normalization over the
/// spatial dims, written with reductions.
LogicalResult importInstanceNorm(NodeContext &nc) {
  Value x = nc.input(0);
  RankedTensorType t = nc.inputType(0);
  int64_t rank = t.getRank();
  if (rank < 3)
    return nc.error("InstanceNormalization needs an input of rank >= 3");
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  auto axesAttr = nc.b.getDenseI64ArrayAttr(axes);
  Type et = t.getElementType();
  FailureOr<Value> mean =
      nc.build<g::ReduceMeanOp>(x, axesAttr, nc.b.getBoolAttr(true));
  if (failed(mean))
    return failure();
  FailureOr<Value> d = nc.build<g::SubOp>(x, *mean);
  if (failed(d))
    return failure();
  FailureOr<Value> sq = nc.build<g::MulOp>(*d, *d);
  if (failed(sq))
    return failure();
  FailureOr<Value> var =
      nc.build<g::ReduceMeanOp>(*sq, axesAttr, nc.b.getBoolAttr(true));
  if (failed(var))
    return failure();
  FailureOr<Value> ve =
      nc.build<g::AddOp>(*var, nc.scalar(et, nc.getFloat("epsilon", 1e-5)));
  if (failed(ve))
    return failure();
  FailureOr<Value> sd = nc.build<g::SqrtOp>(*ve);
  if (failed(sd))
    return failure();
  FailureOr<Value> norm = nc.build<g::DivOp>(*d, *sd);
  if (failed(norm))
    return failure();
  // scale and bias are [C]: reshape to [C, 1, ...] to broadcast.
  SmallVector<int64_t> paramShape(rank - 1, 1);
  paramShape[0] = t.getDimSize(1);
  FailureOr<Value> scale = nc.reshape(nc.input(1), paramShape);
  FailureOr<Value> bias = nc.reshape(nc.input(2), paramShape);
  if (failed(scale) || failed(bias))
    return failure();
  FailureOr<Value> scaled = nc.build<g::MulOp>(*norm, *scale);
  if (failed(scaled))
    return failure();
  return setResult(nc, nc.build<g::AddOp>(*scaled, *bias));
}

/// Pad: attributes before opset 11; pads, constant_value (and from 18 axes)
/// inputs after.
LogicalResult importPad(NodeContext &nc) {
  int64_t rank = nc.inputType(0).getRank();
  std::string modeName = nc.getString("mode", "constant");
  std::optional<g::PadMode> mode = g::symbolizePadMode(modeName);
  if (!mode)
    return nc.error("unknown pad mode '" + modeName + "'");
  SmallVector<int64_t> pads;
  double value = 0.0;
  if (nc.opset < 11) {
    pads = nc.getInts("pads").value_or(SmallVector<int64_t>());
    value = nc.getFloat("value", 0.0);
  } else {
    FailureOr<SmallVector<int64_t>> p = nc.requireConstantInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (nc.hasInput(2)) {
      FailureOr<SmallVector<double>> v =
          nc.requireConstantFloats(2, "constant_value");
      if (failed(v))
        return failure();
      if (!v->empty())
        value = (*v)[0];
    }
    if (nc.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> axes = nc.requireConstantInts(3, "axes");
      if (failed(axes))
        return failure();
      if (pads.size() != 2 * axes->size())
        return nc.error("pads must hold two values per axis");
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [k, a] : llvm::enumerate(*axes)) {
        FailureOr<int64_t> axis = nc.normalizeAxis(a, rank);
        if (failed(axis))
          return failure();
        full[*axis] = pads[k];
        full[rank + *axis] = pads[axes->size() + k];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return nc.emitError() << "pads needs " << 2 * rank << " values, got "
                          << pads.size();
  return setResult(nc, nc.build<g::PadOp>(
                           nc.input(0), nc.b.getDenseI64ArrayAttr(pads),
                           g::PadModeAttr::get(nc.getContext(), *mode),
                           nc.b.getF64FloatAttr(value)));
}

/// Resize (opset 10/11+) and Upsample (7-9). Opset 10 Resize and Upsample
/// use asymmetric coordinates with floor rounding for nearest.
LogicalResult importResize(NodeContext &nc) {
  RankedTensorType x = nc.inputType(0);
  int64_t rank = x.getRank();
  bool legacy = nc.opType() == "Upsample" || nc.opset < 11;
  std::string modeName = nc.getString("mode", "nearest");
  std::optional<g::ResizeMode> mode = g::symbolizeResizeMode(modeName);
  if (modeName == "bilinear" || modeName == "trilinear")
    mode = g::ResizeMode::Linear;
  if (!mode)
    return nc.error("unknown resize mode '" + modeName + "'");
  if (nc.getInt("antialias", 0) != 0)
    return nc.error("antialiasing resize is not supported");

  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  SmallVector<double> roi;
  if (nc.opType() == "Upsample" && nc.opset < 9) {
    scales = nc.getFloats("scales").value_or(SmallVector<double>());
  } else if (legacy) {
    FailureOr<SmallVector<double>> s = nc.requireConstantFloats(1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  } else {
    if (nc.hasInput(1)) {
      std::optional<ref::Tensor> r = nc.constantInput(1);
      if (r)
        for (int64_t i = 0; i < r->numel(); ++i)
          roi.push_back(r->getF(i));
    }
    if (nc.hasInput(2)) {
      FailureOr<SmallVector<double>> s = nc.requireConstantFloats(2, "scales");
      if (failed(s))
        return failure();
      scales = *s;
    }
    if (nc.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> s = nc.requireConstantInts(3, "sizes");
      if (failed(s))
        return failure();
      sizes = *s;
    }
  }
  // Opset 18 `axes`: scales/sizes/roi cover only those axes.
  if (auto axes = nc.getInts("axes")) {
    auto expand = [&](auto &vals, auto fill, size_t per) {
      using T = typename std::decay_t<decltype(vals)>::value_type;
      if (vals.empty())
        return success();
      if (vals.size() != per * axes->size())
        return nc.error("scales/sizes/roi do not match axes");
      SmallVector<T> full;
      for (size_t k = 0; k < per; ++k)
        for (int64_t i = 0; i < rank; ++i)
          full.push_back(fill(i, k));
      for (auto [j, a] : llvm::enumerate(*axes)) {
        int64_t axis = a < 0 ? a + rank : a;
        for (size_t k = 0; k < per; ++k)
          full[k * rank + axis] = vals[k * axes->size() + j];
      }
      vals.assign(full.begin(), full.end());
      return success();
    };
    if (failed(expand(scales, [](int64_t, size_t) { return 1.0; }, 1)) ||
        failed(expand(sizes, [&](int64_t i, size_t) { return x.getDimSize(i); },
                      1)) ||
        failed(expand(roi, [](int64_t, size_t k) { return k ? 1.0 : 0.0; },
                      2)))
      return failure();
  }
  SmallVector<int64_t> outShape(rank);
  std::string coordName = legacy ? "asymmetric"
                                 : nc.getString("coordinate_transformation_mode",
                                                "half_pixel");
  std::optional<g::CoordMode> coord = g::symbolizeCoordMode(coordName);
  if (!coord)
    return nc.error("unsupported coordinate_transformation_mode '" +
                    coordName + "'");
  if (!sizes.empty()) {
    if (static_cast<int64_t>(sizes.size()) != rank)
      return nc.error("sizes must give every dim");
    std::string policy = nc.getString("keep_aspect_ratio_policy", "stretch");
    scales.clear();
    for (int64_t i = 0; i < rank; ++i)
      scales.push_back(static_cast<double>(sizes[i]) /
                       static_cast<double>(x.getDimSize(i)));
    if (policy != "stretch") {
      double s = policy == "not_larger" ? 1e300 : 0.0;
      auto axes = nc.getInts("axes");
      for (int64_t i = 0; i < rank; ++i) {
        if (axes && !llvm::is_contained(*axes, i) &&
            !llvm::is_contained(*axes, i - rank))
          continue;
        s = policy == "not_larger" ? std::min(s, scales[i])
                                   : std::max(s, scales[i]);
      }
      for (int64_t i = 0; i < rank; ++i) {
        if (axes && !llvm::is_contained(*axes, i) &&
            !llvm::is_contained(*axes, i - rank))
          continue;
        scales[i] = s;
        sizes[i] = static_cast<int64_t>(
            std::round(s * static_cast<double>(x.getDimSize(i))));
      }
    }
    outShape.assign(sizes.begin(), sizes.end());
  } else {
    if (static_cast<int64_t>(scales.size()) != rank)
      return nc.error("Resize needs scales or sizes for every dim");
    for (int64_t i = 0; i < rank; ++i) {
      double extent = 1.0;
      if (*coord == g::CoordMode::TfCropAndResize &&
          static_cast<int64_t>(roi.size()) == 2 * rank)
        extent = roi[rank + i] - roi[i];
      outShape[i] = static_cast<int64_t>(
          std::floor(static_cast<double>(x.getDimSize(i)) * extent *
                     scales[i]));
    }
  }
  g::NearestMode nearest = g::NearestMode::RoundPreferFloor;
  if (legacy) {
    bool down = llvm::any_of(scales, [](double s) { return s < 1.0; });
    bool up = llvm::any_of(scales, [](double s) { return s > 1.0; });
    if (down && up)
      return nc.error("legacy resize mixing up- and down-sampling is not "
                      "supported");
    nearest = down ? g::NearestMode::Ceil : g::NearestMode::Floor;
  } else {
    std::string nearestName = nc.getString("nearest_mode",
                                           "round_prefer_floor");
    std::optional<g::NearestMode> nm = g::symbolizeNearestMode(nearestName);
    if (!nm)
      return nc.error("unknown nearest_mode '" + nearestName + "'");
    nearest = *nm;
  }
  DenseF64ArrayAttr roiAttr;
  if (*coord == g::CoordMode::TfCropAndResize)
    roiAttr = nc.b.getDenseF64ArrayAttr(roi);
  return setResult(
      nc, nc.buildTyped<g::ResizeOp>(
              x.clone(outShape), nc.input(0),
              g::ResizeModeAttr::get(nc.getContext(), *mode),
              g::CoordModeAttr::get(nc.getContext(), *coord),
              g::NearestModeAttr::get(nc.getContext(), nearest),
              nc.b.getDenseF64ArrayAttr(scales),
              nc.b.getF64FloatAttr(nc.getFloat("cubic_coeff_a", -0.75)),
              nc.b.getBoolAttr(nc.getInt("exclude_outside", 0) != 0),
              nc.b.getF64FloatAttr(nc.getFloat("extrapolation_value", 0.0)),
              roiAttr));
}

LogicalResult importDepthToSpace(NodeContext &nc) {
  std::string mode = nc.getString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return nc.error("unknown DepthToSpace mode '" + mode + "'");
  return setResult(nc, nc.build<g::DepthToSpaceOp>(
                           nc.input(0),
                           nc.b.getI64IntegerAttr(nc.getInt("blocksize", 0)),
                           nc.b.getBoolAttr(mode == "CRD")));
}

LogicalResult importSpaceToDepth(NodeContext &nc) {
  std::string mode = nc.getString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return nc.error("unknown SpaceToDepth mode '" + mode + "'");
  return setResult(nc, nc.build<g::SpaceToDepthOp>(
                           nc.input(0),
                           nc.b.getI64IntegerAttr(nc.getInt("blocksize", 0)),
                           nc.b.getBoolAttr(mode == "CRD")));
}

} // namespace

void tessel::onnx_import::registerNNImporters(ImporterRegistry &r) {
  r["Conv"] = {importConv};
  r["ConvTranspose"] = {importConvTranspose};
  r["MaxPool"] = {importPool<true>};
  r["AveragePool"] = {importPool<false>};
  r["GlobalAveragePool"] = {importGlobalPool<g::ReduceMeanOp>};
  r["GlobalMaxPool"] = {importGlobalPool<g::ReduceMaxOp>};
  r["BatchNormalization"] = {importBatchNorm};
  r["LayerNormalization"] = {importLayerNorm, 17};
  r["InstanceNormalization"] = {importInstanceNorm};
  r["Pad"] = {importPad};
  r["Resize"] = {importResize, 10};
  r["Upsample"] = {importResize};
  r["DepthToSpace"] = {importDepthToSpace};
  r["SpaceToDepth"] = {importSpaceToDepth};
}
