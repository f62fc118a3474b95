//===- PlanMemory.cpp - Intermediate buffers in a planned scratch region --===//
//
// Live range of a buffer: from its allocation to the last use of it or of
// any view of it (subview, reshape, cast, view), measured in positions of
// @main's top-level ops (a use inside a nested region counts at its
// top-level ancestor). Placement is greedy, largest buffer first, at the
// lowest 64-byte-aligned offset not overlapping a placed buffer whose live
// range intersects.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

namespace tessel {
#define GEN_PASS_DEF_CPUPLANMEMORY
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t begin = 0, end = 0; ///< Live range (top-level op positions).
  int64_t offset = -1;
};

struct PlanMemoryPass : tessel::impl::CPUPlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal())
      return;
    Block &body = main.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t pos = 0;
    for (Operation &op : body)
      position[&op] = pos++;
    auto topLevel = [&](Operation *op) {
      while (op->getBlock() != &body)
        op = op->getParentOp();
      return position.lookup(op);
    };

    std::vector<Buffer> buffers;
    main.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return;
      Buffer b;
      b.alloc = alloc;
      int64_t bits = type.getElementType().getIntOrFloatBitWidth();
      b.bytes = type.getNumElements() * std::max<int64_t>(8, bits) / 8;
      b.begin = b.end = topLevel(alloc);
      // Follow views of the buffer to its last use.
      SmallVector<Value> work = {alloc.getResult()};
      while (!work.empty()) {
        Value v = work.pop_back_val();
        for (OpOperand &use : v.getUses()) {
          Operation *user = use.getOwner();
          b.end = std::max(b.end, topLevel(user));
          if (auto view = dyn_cast<ViewLikeOpInterface>(user))
            if (view.getViewSource() == v)
              for (Value r : user->getResults())
                work.push_back(r);
          if (isa<memref::CastOp, memref::ExpandShapeOp,
                  memref::CollapseShapeOp>(user))
            for (Value r : user->getResults())
              work.push_back(r);
        }
      }
      buffers.push_back(b);
    });
    if (buffers.empty())
      return;
    // Deallocations are implied by the plan.
    SmallVector<memref::DeallocOp> deallocs;
    main.walk([&](memref::DeallocOp d) { deallocs.push_back(d); });
    for (memref::DeallocOp d : deallocs)
      d.erase();

    std::vector<size_t> order(buffers.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return buffers[a].bytes > buffers[b].bytes;
    });
    std::vector<size_t> placed;
    int64_t total = 0;
    for (size_t i : order) {
      Buffer &b = buffers[i];
      // Candidate offsets: 0 and the end of every overlapping placed buffer.
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (size_t j : placed) {
        const Buffer &p = buffers[j];
        if (p.begin <= b.end && b.begin <= p.end)
          busy.push_back({p.offset, p.offset + p.bytes});
      }
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + b.bytes <= lo)
          break;
        offset = std::max<int64_t>(offset, llvm::alignTo(hi, 64));
      }
      b.offset = offset;
      total = std::max(total, offset + b.bytes);
      placed.push_back(i);
    }
    total = llvm::alignTo(std::max<int64_t>(total, 1), 64);

    Builder builder(&getContext());
    auto scratchType = MemRefType::get({total}, builder.getI8Type());
    unsigned index = main.getNumArguments();
    if (failed(main.insertArgument(
            index, scratchType,
            builder.getDictionaryAttr(builder.getNamedAttr(
                "tessel.scratch", builder.getUnitAttr())),
            main.getLoc())))
      return signalPassFailure();
    Value scratch = main.getArgument(index);
    for (Buffer &b : buffers) {
      OpBuilder ob(b.alloc);
      Value off = arith::ConstantIndexOp::create(ob, b.alloc.getLoc(), b.offset);
      Value view = memref::ViewOp::create(ob, b.alloc.getLoc(),
                                          b.alloc.getType(), scratch, off,
                                          ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    module->setAttr("tessel.scratch_size", builder.getI64IntegerAttr(total));
  }
};

} // namespace
