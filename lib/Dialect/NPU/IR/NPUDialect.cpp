//===- NPUDialect.cpp - The Tessel NPU dialect ----------------------------===//
#include "tessel/Dialect/NPU/IR/NPUDialect.h"
#include "tessel/Dialect/NPU/IR/Bridge.h"
#include "tessel/Target/NPU/ISA.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace tessel::npu::ir;
namespace cg = tessel::npu::cg;

#include "tessel/Dialect/NPU/IR/NPUDialect.cpp.inc"

void NPUDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tessel/Dialect/NPU/IR/NPUOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "tessel/Dialect/NPU/IR/NPUOps.cpp.inc"

namespace {

/// Verifies a layer op by building a one-layer graph of its operand and
/// result types and running the code generator's checks on it.
LogicalResult verifyLayer(Operation *op) {
  cg::LayerGraph g;
  cg::Layer layer;
  if (failed(layerParamsFromOp(op, layer)))
    return failure();
  auto tensorOf = [&](Value v, bool isResult) -> FailureOr<cg::TensorId> {
    auto type = cast<RankedTensorType>(v.getType());
    std::optional<tessel::npu::DType> dt = npuDType(type.getElementType());
    if (!dt)
      return op->emitOpError("element type ")
             << type.getElementType() << " is not an NPU type";
    if (!type.hasStaticShape())
      return op->emitOpError("needs static shapes");
    cg::Tensor t;
    t.dtype = *dt;
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.isConstant = !isResult && v.getDefiningOp<ConstantOp>();
    t.isInput = !isResult && !t.isConstant;
    return g.addTensor(std::move(t));
  };
  for (Value v : op->getOperands()) {
    FailureOr<cg::TensorId> id = tensorOf(v, false);
    if (failed(id))
      return failure();
    layer.inputs.push_back(*id);
  }
  FailureOr<cg::TensorId> out = tensorOf(op->getResult(0), true);
  if (failed(out))
    return failure();
  layer.output = *out;
  layer.name = op->getName().getStringRef().str();
  // The float epilogue's bias is the last operand.
  auto setBias = [&](cg::FloatEpilogue &e) {
    if (e.bias != cg::kNoTensor)
      e.bias = layer.inputs.back();
  };
  if (auto *c = std::get_if<cg::ConvParams>(&layer.params))
    setBias(c->epilogue);
  if (auto *m = std::get_if<cg::MatmulParams>(&layer.params))
    setBias(m->epilogue);
  g.layers.push_back(layer);
  if (tessel::Status s = g.verify(/*requireData=*/false); !s) {
    std::string m = s.message();
    // The checker names the layer; the op is the location already.
    size_t colon = m.find("): ");
    return op->emitOpError(colon == std::string::npos ? m
                                                      : m.substr(colon + 3));
  }
  return success();
}

} // namespace

LogicalResult ConvOp::verify() { return verifyLayer(*this); }
LogicalResult MatmulOp::verify() { return verifyLayer(*this); }
LogicalResult EltwiseOp::verify() { return verifyLayer(*this); }
LogicalResult ActOp::verify() { return verifyLayer(*this); }
LogicalResult PoolOp::verify() { return verifyLayer(*this); }
LogicalResult ReduceOp::verify() { return verifyLayer(*this); }
LogicalResult ConvertOp::verify() { return verifyLayer(*this); }
LogicalResult TransposeOp::verify() { return verifyLayer(*this); }
LogicalResult ConcatOp::verify() { return verifyLayer(*this); }
LogicalResult SliceOp::verify() { return verifyLayer(*this); }
LogicalResult PadOp::verify() { return verifyLayer(*this); }

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type");
  if (!in.hasStaticShape() || !out.hasStaticShape() ||
      in.getNumElements() != out.getNumElements())
    return emitOpError("changes the number of elements");
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult InstOp::verify() {
  tessel::StatusOr<tessel::npu::Instr> i =
      tessel::npu::parseInstr(getText().str());
  if (!i)
    return emitOpError("is not an instruction: ") << i.message();
  return success();
}
