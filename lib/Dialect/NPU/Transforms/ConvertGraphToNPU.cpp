//===- ConvertGraphToNPU.cpp - NPU segments from graph ops to npu ops -----===//
//
// A segment keeps its signature (the tensors in DDR between segments keep
// the model's types); inside, float tensors are f16: the segment converts
// its f32 arguments on the NPU's vector engine, computes, and converts its
// results back.
//
//===----------------------------------------------------------------------===//
#include "tessel/Dialect/NPU/Transforms/Passes.h"

#include "tessel/Dialect/Graph/IR/GraphOps.h"

namespace tessel::npu::ir {
#define GEN_PASS_DEF_CONVERTGRAPHTONPU
#include "tessel/Dialect/NPU/Transforms/Passes.h.inc"
} // namespace tessel::npu::ir

using namespace mlir;

namespace tessel::npu::ir {
namespace {

Value castTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  return ConvertOp::create(b, loc, type, ValueRange{v}, b.getStringAttr("cast"),
                           nullptr, nullptr, nullptr, nullptr, nullptr)
      .getResult();
}

LogicalResult convertSegment(func::FuncOp f, const ChipModel &chip) {
  Block &block = f.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  OpBuilder b = OpBuilder::atBlockBegin(&block);
  GraphToNPULowering lowering(b, chip);
  std::string why;
  // Arguments keep their types; f32 ones are converted to f16 where a
  // float layer first needs them (a quantize reads them as they are).
  for (BlockArgument arg : block.getArguments()) {
    auto t = cast<RankedTensorType>(arg.getType());
    if (!lowering.computeType(t.getElementType(), why))
      return f.emitError("argument ") << arg.getArgNumber() << ": " << why;
    lowering.mapping.map(arg, arg);
  }
  SmallVector<Operation *> old;
  for (Operation &op : block.without_terminator())
    old.push_back(&op);
  for (Operation *op : old) {
    if (op->getDialect() &&
        op->getDialect()->getNamespace() == NPUDialect::getDialectNamespace())
      continue;
    b.setInsertionPoint(op);
    Operation *prev = op->getPrevNode();
    if (failed(lowering.lower(op, why)))
      return op->emitError("cannot run on the NPU: ") << why;
    // Layers are named after the node they come from.
    std::string label;
    if (auto n = dyn_cast<NameLoc>(op->getLoc()))
      label = n.getName().str();
    if (label.empty())
      continue;
    unsigned count = 0;
    for (Operation *o = prev ? prev->getNextNode() : &block.front(); o != op;
         o = o->getNextNode())
      if (isLayerOp(o))
        o->setAttr("npu.name",
                   b.getStringAttr(count++ ? label + "#" + std::to_string(count)
                                           : label));
  }
  b.setInsertionPoint(ret);
  SmallVector<Value> results;
  llvm::SmallPtrSet<Value, 8> seen;
  for (Value v : ret.getOperands()) {
    FailureOr<Value> m = lowering.operand(v, why);
    if (failed(m))
      return ret.emitError("cannot return a value from the NPU: ") << why;
    auto want = cast<RankedTensorType>(v.getType());
    Value r = *m;
    Value root = r;
    while (auto re = root.getDefiningOp<ReshapeOp>())
      root = re.getInput();
    // Segment outputs are tensors the segment writes: a converted value,
    // or a copy when it would be an argument, a constant or returned twice.
    if (r.getType() != want || isa<BlockArgument>(root) ||
        root.getDefiningOp<ConstantOp>() || !seen.insert(root).second)
      r = castTo(b, ret.getLoc(), r, want);
    results.push_back(r);
  }
  ret->setOperands(results);
  for (Operation *op : llvm::reverse(old)) {
    if (op->getDialect() &&
        op->getDialect()->getNamespace() == NPUDialect::getDialectNamespace())
      continue;
    op->dropAllUses();
    op->erase();
  }
  return success();
}

struct ConvertGraphToNPUPass
    : impl::ConvertGraphToNPUBase<ConvertGraphToNPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TargetOptions> to = readTargetOptions(module);
    if (failed(to))
      return signalPassFailure();
    FailureOr<const ChipModel *> chip = targetChip(module, *to);
    if (failed(chip))
      return signalPassFailure();
    for (auto f : module.getOps<func::FuncOp>())
      if (isNpuSegment(f) && failed(convertSegment(f, **chip)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace tessel::npu::ir
