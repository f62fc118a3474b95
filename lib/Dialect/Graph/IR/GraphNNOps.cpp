//===- GraphNNOps.cpp - Convolution, pooling, normalization ---------------===//
//
// Verifiers, type inference and reference evaluation of the ops in
// GraphNNOps.td. Shape checks live in type inference (which runs first, and
// on every builder call); verify() checks what inference does not.
//
//===----------------------------------------------------------------------===//
#include "GraphOpsCommon.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::graph;

#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphNNOps.cpp.inc"

/// Checks the per-spatial-dim attribute vectors of a windowed op.
static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      int64_t n, ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> dilations,
                                      ArrayRef<int64_t> pads) {
  if (static_cast<int64_t>(strides.size()) != n)
    return fail(loc, "expected ", n, " strides, got ", strides.size());
  if (static_cast<int64_t>(dilations.size()) != n)
    return fail(loc, "expected ", n, " dilations, got ", dilations.size());
  if (static_cast<int64_t>(pads.size()) != 2 * n)
    return fail(loc, "expected ", 2 * n, " pads (begins then ends), got ",
                pads.size());
  for (int64_t s : strides)
    if (s < 1)
      return fail(loc, "strides must be positive, got ", s);
  for (int64_t d : dilations)
    if (d < 1)
      return fail(loc, "dilations must be positive, got ", d);
  for (int64_t p : pads)
    if (p < 0)
      return fail(loc, "pads must be non-negative, got ", p);
  return success();
}

/// Positions of the channel dim and the first spatial dim.
static std::pair<int64_t, int64_t> channelAndSpatial(Layout layout,
                                                     int64_t rank) {
  if (layout == Layout::NHWC)
    return {rank - 1, 1};
  return {1, 2};
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  int64_t rank = x.getRank(), n = rank - 2;
  if (rank < 3)
    return fail(loc, "conv input must have rank >= 3 (N, C, spatial...), got ",
                x);
  if (w.getRank() != rank)
    return fail(loc, "conv weight rank ", w.getRank(),
                " differs from input rank ", rank);
  if (failed(checkWindowAttrs(loc, n, adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads())))
    return failure();
  int64_t group = adaptor.getGroup();
  auto [cDim, sDim] = channelAndSpatial(adaptor.getLayout(), rank);
  int64_t wcDim = adaptor.getLayout() == Layout::NHWC ? rank - 1 : 1;
  int64_t wsDim = adaptor.getLayout() == Layout::NHWC ? 1 : 2;
  int64_t c = x.getDimSize(cDim), o = w.getDimSize(0);
  if (group < 1 || c % group != 0 || o % group != 0)
    return fail(loc, "group ", group, " must divide input channels ", c,
                " and output channels ", o);
  if (w.getDimSize(wcDim) != c / group)
    return fail(loc, "conv weight ", w, " has ", w.getDimSize(wcDim),
                " input channels per group, expected ", c / group,
                " (input channels ", c, " / group ", group, ")");
  if (adaptor.getBias()) {
    auto b = cast<RankedTensorType>(adaptor.getBias().getType());
    if (b.getRank() != 1 || b.getDimSize(0) != o)
      return fail(loc, "conv bias must have shape [", o, "], got ", b);
  }
  SmallVector<int64_t> shape(rank);
  shape[0] = x.getDimSize(0);
  shape[cDim] = o;
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = x.getDimSize(sDim + i), k = w.getDimSize(wsDim + i);
    int64_t span = adaptor.getDilations()[i] * (k - 1) + 1;
    int64_t padded = d + adaptor.getPads()[i] + adaptor.getPads()[n + i];
    if (padded < span)
      return fail(loc, "conv kernel extent ", span, " exceeds padded input ",
                  padded, " in spatial dim ", i);
    shape[sDim + i] = (padded - span) / adaptor.getStrides()[i] + 1;
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

bool ConvOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}

LogicalResult ConvOp::verify() {
  Type a = getInput().getType().getElementType();
  Type b = getWeight().getType().getElementType();
  if (a != b && !isa<quant::QuantizedType>(a) && !isa<quant::QuantizedType>(b))
    return emitOpError("input and weight element types differ: ")
           << a << " and " << b;
  return success();
}

static ref::ConvParams convParams(ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations,
                                  ArrayRef<int64_t> pads, int64_t group,
                                  Layout layout) {
  ref::ConvParams p;
  size_t n = strides.size();
  p.strides = toShape(strides);
  p.dilations = toShape(dilations);
  p.padsBegin = toShape(pads.take_front(n));
  p.padsEnd = toShape(pads.take_back(n));
  p.group = group;
  p.channelsLast = layout == Layout::NHWC;
  return p;
}

LogicalResult ConvOp::evaluate(ArrayRef<ref::Tensor> operands,
                               SmallVectorImpl<ref::Tensor> &results,
                               std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  ref::ConvParams p = convParams(getStrides(), getDilations(), getPads(),
                                 getGroup(), getLayout());
  if (failed(take(ref::conv(operands[0], operands[1],
                            operands.size() > 2 ? &operands[2] : nullptr, p),
                  results, error)))
    return failure();
  return applyActivation(getActivationAttr(), results.back(), error);
}

//===----------------------------------------------------------------------===//
// ConvTransposeOp
//===----------------------------------------------------------------------===//

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  int64_t rank = x.getRank(), n = rank - 2;
  if (rank < 3)
    return fail(loc, "conv_transpose input must have rank >= 3, got ", x);
  if (w.getRank() != rank)
    return fail(loc, "conv_transpose weight rank ", w.getRank(),
                " differs from input rank ", rank);
  if (failed(checkWindowAttrs(loc, n, adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads())))
    return failure();
  ArrayRef<int64_t> outPad = adaptor.getOutputPadding();
  if (static_cast<int64_t>(outPad.size()) != n)
    return fail(loc, "expected ", n, " output_padding values, got ",
                outPad.size());
  int64_t group = adaptor.getGroup();
  bool last = adaptor.getLayout() == Layout::NHWC;
  auto [cDim, sDim] = channelAndSpatial(adaptor.getLayout(), rank);
  int64_t c = x.getDimSize(cDim);
  if (w.getDimSize(0) != c)
    return fail(loc, "conv_transpose weight ", w, " must have ", c,
                " input channels in dim 0");
  if (group < 1 || c % group != 0)
    return fail(loc, "group ", group, " must divide input channels ", c);
  int64_t o = w.getDimSize(last ? rank - 1 : 1) * group;
  if (adaptor.getBias()) {
    auto b = cast<RankedTensorType>(adaptor.getBias().getType());
    if (b.getRank() != 1 || b.getDimSize(0) != o)
      return fail(loc, "conv_transpose bias must have shape [", o, "], got ",
                  b);
  }
  SmallVector<int64_t> shape(rank);
  shape[0] = x.getDimSize(0);
  shape[cDim] = o;
  int64_t wsDim = last ? 1 : 2;
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = x.getDimSize(sDim + i), k = w.getDimSize(wsDim + i);
    int64_t size = adaptor.getStrides()[i] * (d - 1) + outPad[i] +
                   adaptor.getDilations()[i] * (k - 1) + 1 -
                   adaptor.getPads()[i] - adaptor.getPads()[n + i];
    if (size < 1)
      return fail(loc, "conv_transpose output size ", size,
                  " is not positive in spatial dim ", i);
    if (outPad[i] < 0 || (outPad[i] >= adaptor.getStrides()[i] &&
                          outPad[i] >= adaptor.getDilations()[i]))
      return fail(loc, "output_padding ", outPad[i],
                  " must be smaller than the stride or the dilation");
    shape[sDim + i] = size;
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

bool ConvTransposeOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}

LogicalResult ConvTransposeOp::verify() {
  Type a = getInput().getType().getElementType();
  Type b = getWeight().getType().getElementType();
  if (a != b && !isa<quant::QuantizedType>(a) && !isa<quant::QuantizedType>(b))
    return emitOpError("input and weight element types differ: ")
           << a << " and " << b;
  return success();
}

LogicalResult ConvTransposeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                        SmallVectorImpl<ref::Tensor> &results,
                                        std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  ref::ConvTransposeParams p;
  p.conv = convParams(getStrides(), getDilations(), getPads(), getGroup(),
                      getLayout());
  p.outputPadding = toShape(getOutputPadding());
  return take(ref::convTranspose(operands[0], operands[1],
                                 operands.size() > 2 ? &operands[2] : nullptr,
                                 p),
              results, error);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

static LogicalResult inferPool(std::optional<Location> loc, Type inputType,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations,
                               ArrayRef<int64_t> pads, bool ceilMode,
                               Layout layout, SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(inputType);
  int64_t rank = x.getRank(), n = rank - 2;
  if (rank < 3)
    return fail(loc, "pooling input must have rank >= 3, got ", x);
  if (static_cast<int64_t>(kernel.size()) != n)
    return fail(loc, "expected ", n, " kernel dims, got ", kernel.size());
  for (int64_t k : kernel)
    if (k < 1)
      return fail(loc, "kernel dims must be positive, got ", k);
  if (failed(checkWindowAttrs(loc, n, strides, dilations, pads)))
    return failure();
  auto [cDim, sDim] = channelAndSpatial(layout, rank);
  SmallVector<int64_t> shape(x.getShape());
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = x.getDimSize(sDim + i);
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t padded = d + pads[i] + pads[n + i];
    if (padded < span)
      return fail(loc, "pooling window ", span, " exceeds padded input ",
                  padded, " in spatial dim ", i);
    int64_t num = padded - span;
    int64_t out = ceilMode ? (num + strides[i] - 1) / strides[i] + 1
                           : num / strides[i] + 1;
    // A last window starting in the end padding is dropped.
    if (ceilMode && (out - 1) * strides[i] >= d + pads[i])
      --out;
    shape[sDim + i] = out;
  }
  (void)cDim;
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

static ref::PoolParams poolParams(ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations,
                                  ArrayRef<int64_t> pads, bool ceilMode,
                                  Layout layout) {
  ref::PoolParams p;
  size_t n = kernel.size();
  p.kernel = toShape(kernel);
  p.strides = toShape(strides);
  p.dilations = toShape(dilations);
  p.padsBegin = toShape(pads.take_front(n));
  p.padsEnd = toShape(pads.take_back(n));
  p.ceilMode = ceilMode;
  p.channelsLast = layout == Layout::NHWC;
  return p;
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor a,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, a.getInput().getType(), a.getKernelShape(),
                   a.getStrides(), a.getDilations(), a.getPads(),
                   a.getCeilMode(), a.getLayout(), types);
}
bool MaxPoolOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult MaxPoolOp::evaluate(ArrayRef<ref::Tensor> operands,
                                  SmallVectorImpl<ref::Tensor> &results,
                                  std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::maxPool(operands[0],
                           poolParams(getKernelShape(), getStrides(),
                                      getDilations(), getPads(), getCeilMode(),
                                      getLayout())),
              results, error);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor a,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, a.getInput().getType(), a.getKernelShape(),
                   a.getStrides(), a.getDilations(), a.getPads(),
                   a.getCeilMode(), a.getLayout(), types);
}
bool AvgPoolOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult AvgPoolOp::verify() {
  if (isa<IntegerType>(getInput().getType().getElementType()))
    return emitOpError("average pooling needs a float or quantized type, got ")
           << getInput().getType().getElementType();
  return success();
}
LogicalResult AvgPoolOp::evaluate(ArrayRef<ref::Tensor> operands,
                                  SmallVectorImpl<ref::Tensor> &results,
                                  std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  ref::PoolParams p = poolParams(getKernelShape(), getStrides(),
                                 getDilations(), getPads(), getCeilMode(),
                                 getLayout());
  p.countIncludePad = getCountIncludePad();
  return take(ref::avgPool(operands[0], p), results, error);
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor a,
                                            SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  if (x.getRank() < 2)
    return fail(loc, "batch_norm input must have rank >= 2, got ", x);
  int64_t c = x.getDimSize(channelAndSpatial(a.getLayout(), x.getRank()).first);
  const char *names[] = {"scale", "bias", "mean", "var"};
  Value params[] = {a.getScale(), a.getBias(), a.getMean(), a.getVar()};
  for (int i = 0; i < 4; ++i) {
    auto t = cast<RankedTensorType>(params[i].getType());
    if (t.getRank() != 1 || t.getDimSize(0) != c)
      return fail(loc, "batch_norm ", names[i], " must have shape [", c,
                  "], got ", t);
  }
  types.push_back(x);
  return success();
}
bool BatchNormOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult BatchNormOp::verify() {
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}
LogicalResult BatchNormOp::evaluate(ArrayRef<ref::Tensor> operands,
                                    SmallVectorImpl<ref::Tensor> &results,
                                    std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::batchNorm(operands[0], operands[1], operands[2],
                             operands[3], operands[4],
                             getEpsilon().convertToDouble(),
                             getLayout() == Layout::NHWC),
              results, error);
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor a,
                                            SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  int64_t axis = a.getAxis();
  if (failed(checkAxis(loc, "layer_norm axis", axis, x.getRank())))
    return failure();
  ref::Shape normShape(x.getShape().begin() + axis, x.getShape().end());
  Value params[] = {a.getScale(), a.getBias()};
  for (Value v : params) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    std::optional<ref::Shape> b =
        ref::broadcastShapes(normShape, toShape(t.getShape()));
    if (!b || *b != normShape)
      return fail(loc, "layer_norm parameter ", t,
                  " does not broadcast to the normalized shape ",
                  ref::shapeToString(normShape));
  }
  types.push_back(x);
  return success();
}
bool LayerNormOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult LayerNormOp::verify() {
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}
LogicalResult LayerNormOp::evaluate(ArrayRef<ref::Tensor> operands,
                                    SmallVectorImpl<ref::Tensor> &results,
                                    std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  return take(ref::layerNorm(operands[0], operands[1],
                             operands.size() > 2 ? &operands[2] : nullptr,
                             getAxis(), getEpsilon().convertToDouble()),
              results, error);
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc, Adaptor a,
                                      SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  int64_t rank = x.getRank();
  ArrayRef<int64_t> pads = a.getPads();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return fail(loc, "expected ", 2 * rank, " pads (begins then ends), got ",
                pads.size());
  SmallVector<int64_t> shape(x.getShape());
  for (int64_t i = 0; i < rank; ++i) {
    shape[i] += pads[i] + pads[rank + i];
    if (shape[i] < 0)
      return fail(loc, "pads crop dim ", i, " of ", x,
                  " to a negative size");
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}
bool PadOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult PadOp::verify() {
  auto x = getInput().getType();
  ArrayRef<int64_t> pads = getPads();
  int64_t rank = x.getRank();
  if (getMode() == PadMode::Reflect)
    for (int64_t i = 0; i < rank; ++i)
      if (std::max(pads[i], pads[rank + i]) >= x.getDimSize(i) &&
          (pads[i] > 0 || pads[rank + i] > 0))
        return emitOpError("reflect pads of dim ")
               << i << " must be smaller than its size " << x.getDimSize(i);
  if (getMode() != PadMode::Constant)
    for (int64_t i = 0; i < rank; ++i)
      if (x.getDimSize(i) == 0 && (pads[i] > 0 || pads[rank + i] > 0))
        return emitOpError("cannot pad empty dim ")
               << i << " in " << stringifyPadMode(getMode()) << " mode";
  return success();
}
OpFoldResult PadOp::fold(FoldAdaptor adaptor) {
  if (llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult PadOp::evaluate(ArrayRef<ref::Tensor> operands,
                              SmallVectorImpl<ref::Tensor> &results,
                              std::string &error) {
  if (hasQuantizedTypes(*this))
    return evaluateQuantized(*this, operands, results, error);
  int64_t rank = getInput().getType().getRank();
  ArrayRef<int64_t> pads = getPads();
  ref::PadMode mode = static_cast<ref::PadMode>(getMode());
  return take(ref::pad(operands[0], toShape(pads.take_front(rank)),
                       toShape(pads.take_back(rank)), mode,
                       getValue().convertToDouble()),
              results, error);
}

//===----------------------------------------------------------------------===//
// ResizeOp
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::verify() {
  auto x = getInput().getType();
  auto y = getOutput().getType();
  if (x.getRank() != y.getRank())
    return emitOpError("changes the rank from ")
           << x.getRank() << " to " << y.getRank();
  if (static_cast<int64_t>(getScales().size()) != x.getRank())
    return emitOpError("expected ")
           << x.getRank() << " scales, got " << getScales().size();
  for (double s : getScales())
    if (!(s > 0))
      return emitOpError("scales must be positive, got ") << s;
  if (getCoordinateTransformationMode() == CoordMode::TfCropAndResize &&
      (!getRoi() || static_cast<int64_t>(getRoi()->size()) != 2 * x.getRank()))
    return emitOpError("tf_crop_and_resize needs ")
           << 2 * x.getRank() << " roi values";
  if (x.getElementType() != y.getElementType())
    return emitOpError("changes the element type");
  return success();
}

OpFoldResult ResizeOp::fold(FoldAdaptor adaptor) {
  // Same sizes at scale 1: nearest and linear interpolation read every input
  // element at its own coordinate, whatever the coordinate transformation
  // (tf_crop_and_resize's roi excepted).
  bool identity =
      getInput().getType() == getOutput().getType() &&
      getMode() != ResizeMode::Cubic &&
      getCoordinateTransformationMode() != CoordMode::TfCropAndResize &&
      llvm::all_of(getScales(), [](double s) { return s == 1.0; });
  if (identity)
    return getInput();
  return foldByEvaluation(getOperation(), adaptor.getOperands());
}

LogicalResult ResizeOp::evaluate(ArrayRef<ref::Tensor> operands,
                                 SmallVectorImpl<ref::Tensor> &results,
                                 std::string &error) {
  ref::ResizeParams p;
  p.mode = static_cast<ref::ResizeParams::Mode>(getMode());
  p.coordMode =
      static_cast<ref::ResizeParams::CoordMode>(getCoordinateTransformationMode());
  p.nearestMode = static_cast<ref::ResizeParams::NearestMode>(getNearestMode());
  p.cubicCoeffA = getCubicCoeffA().convertToDouble();
  p.excludeOutside = getExcludeOutside();
  p.extrapolationValue = getExtrapolationValue().convertToDouble();
  p.scales.assign(getScales().begin(), getScales().end());
  p.outShape = toShape(getOutput().getType().getShape());
  if (getRoi())
    p.roi.assign(getRoi()->begin(), getRoi()->end());
  return take(ref::resize(operands[0], p), results, error);
}

//===----------------------------------------------------------------------===//
// DepthToSpace / SpaceToDepth
//===----------------------------------------------------------------------===//

LogicalResult DepthToSpaceOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor a,
                                               SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  int64_t b = a.getBlockSize();
  if (x.getRank() != 4 || b < 1 || x.getDimSize(1) % (b * b) != 0)
    return fail(loc, "depth_to_space needs a 4-D input whose channels are a "
                     "multiple of block_size^2, got ",
                x, " with block_size ", b);
  types.push_back(RankedTensorType::get(
      {x.getDimSize(0), x.getDimSize(1) / (b * b), x.getDimSize(2) * b,
       x.getDimSize(3) * b},
      x.getElementType()));
  return success();
}
bool DepthToSpaceOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult DepthToSpaceOp::evaluate(ArrayRef<ref::Tensor> operands,
                                       SmallVectorImpl<ref::Tensor> &results,
                                       std::string &error) {
  return take(ref::depthToSpace(operands[0], getBlockSize(), getCrd()),
              results, error);
}

LogicalResult SpaceToDepthOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor a,
                                               SmallVectorImpl<Type> &types) {
  auto x = cast<RankedTensorType>(a.getInput().getType());
  int64_t b = a.getBlockSize();
  if (x.getRank() != 4 || b < 1 || x.getDimSize(2) % b != 0 ||
      x.getDimSize(3) % b != 0)
    return fail(loc, "space_to_depth needs a 4-D input whose spatial dims "
                     "are multiples of block_size, got ",
                x, " with block_size ", b);
  types.push_back(RankedTensorType::get(
      {x.getDimSize(0), x.getDimSize(1) * b * b, x.getDimSize(2) / b,
       x.getDimSize(3) / b},
      x.getElementType()));
  return success();
}
bool SpaceToDepthOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return areCompatibleModuloQuant(l, r);
}
LogicalResult SpaceToDepthOp::evaluate(ArrayRef<ref::Tensor> operands,
                                       SmallVectorImpl<ref::Tensor> &results,
                                       std::string &error) {
  return take(ref::spaceToDepth(operands[0], getBlockSize(), getCrd()),
              results, error);
}
