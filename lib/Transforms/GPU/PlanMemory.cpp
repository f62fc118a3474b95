//===- PlanMemory.cpp - Inputs, outputs and intermediates in one arena ----===//
//
// The GPU program addresses one device arena per context: the inputs and
// outputs first (at the offsets the host arena uses too, so that transfers
// are plain copies), then the intermediates. An intermediate lives from its
// allocation to the last top-level op that uses it or a view of it; two
// intermediates may share bytes when their lifetimes are disjoint.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/MathExtras.h"

namespace tessel {
#define GEN_PASS_DEF_GPUPLANMEMORY
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

int64_t byteSize(MemRefType t) {
  int64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return t.getNumElements() * std::max<int64_t>(8, bits) / 8;
}

/// One intermediate buffer: its lifetime in top-level op positions and the
/// offset chosen for it.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  unsigned first = 0, last = 0;
  int64_t offset = 0;
};

/// The position (in `order`) of the top-level op of `body` holding `op`.
unsigned topLevelPosition(Operation *op, Block &body,
                          const DenseMap<Operation *, unsigned> &order) {
  Operation *top = body.findAncestorOpInBlock(*op);
  return top ? order.lookup(top) : 0;
}

/// The last top-level position using `root` or any view of it.
unsigned lastUse(Value root, Block &body,
                 const DenseMap<Operation *, unsigned> &order) {
  unsigned last = 0;
  SmallVector<Value> work = {root};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<memref::DeallocOp>(user))
        continue;
      last = std::max(last, topLevelPosition(user, body, order));
      // Views, and any pure op that makes a memref of one, alias it.
      bool aliases = isPure(user);
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        aliases |= view.getViewSource() == v;
      if (aliases)
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            work.push_back(r);
    }
  }
  return last;
}

/// Offsets for the buffers: largest first, each at the lowest 64-byte
/// aligned offset that overlaps no placed buffer live at the same time.
/// Returns the bytes used.
int64_t placeBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](Buffer *a, Buffer *b) {
    return a->bytes > b->bytes;
  });
  SmallVector<Buffer *> placed;
  int64_t total = 0;
  for (Buffer *b : order) {
    // Candidate offsets: 0 and the end of every conflicting buffer.
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (Buffer *p : placed)
      if (!(p->last < b->first || b->last < p->first))
        busy.push_back({p->offset, p->offset + p->bytes});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + b->bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, 64));
    }
    b->offset = offset;
    total = std::max(total, offset + b->bytes);
    placed.push_back(b);
  }
  return total;
}

struct PlanMemoryPass
    : tessel::impl::GPUPlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal()) {
      module.emitError("no @main function");
      return signalPassFailure();
    }
    auto inputs = main->getAttrOfType<ArrayAttr>("tessel.inputs");
    auto outputs = main->getAttrOfType<ArrayAttr>("tessel.outputs");
    if (!inputs || !outputs) {
      main.emitError("missing tessel.inputs/outputs (run tessel-record-io "
                     "before bufferization)");
      return signalPassFailure();
    }
    unsigned numIO = inputs.size() + outputs.size();
    if (main.getNumArguments() != numIO + 1 || main.getNumResults() != 0) {
      main.emitError("expected @main(inputs..., outputs..., weights) with no "
                     "results, got ")
          << main.getFunctionType();
      return signalPassFailure();
    }
    if (!main.getBody().hasOneBlock()) {
      main.emitError("expected @main to be one block");
      return signalPassFailure();
    }
    Block &body = main.getBody().front();
    Builder b(&getContext());

    // Inputs and outputs: in order, 64-byte aligned, from offset 0.
    SmallVector<int64_t> ioOffsets;
    SmallVector<Attribute> io;
    int64_t ioSize = 0;
    for (unsigned i = 0; i < numIO; ++i) {
      auto type = dyn_cast<MemRefType>(main.getArgument(i).getType());
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
        main.emitError("argument ")
            << i << " is not a static, contiguous memref: "
            << main.getArgument(i).getType();
        return signalPassFailure();
      }
      int64_t bytes = byteSize(type);
      ioSize = llvm::alignTo(ioSize, 64);
      ioOffsets.push_back(ioSize);
      bool isInput = i < inputs.size();
      auto desc = cast<DictionaryAttr>(isInput ? inputs[i]
                                               : outputs[i - inputs.size()]);
      io.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", desc.get("name")),
           b.getNamedAttr("type", desc.get("type")),
           b.getNamedAttr("role",
                          b.getStringAttr(isInput ? "input" : "output")),
           b.getNamedAttr("offset", b.getI64IntegerAttr(ioSize)),
           b.getNamedAttr("bytes", b.getI64IntegerAttr(bytes))}));
      ioSize += bytes;
    }
    ioSize = llvm::alignTo(std::max<int64_t>(ioSize, 1), 64);

    // Intermediates: lifetimes over the top-level ops.
    DenseMap<Operation *, unsigned> order;
    unsigned position = 0;
    for (Operation &op : body)
      order[&op] = position++;
    SmallVector<Buffer> buffers;
    WalkResult walk = main.walk([&](Operation *op) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        MemRefType type = alloc.getType();
        if (alloc->getParentOp() != main.getOperation() ||
            !type.hasStaticShape() || !type.getLayout().isIdentity() ||
            (type.getMemorySpace() && !isa<IntegerAttr>(type.getMemorySpace()))) {
          alloc.emitError("cannot place this buffer in the device arena "
                          "(expected a static, contiguous allocation at the "
                          "top level of @main)");
          return WalkResult::interrupt();
        }
        Buffer buf;
        buf.alloc = alloc;
        buf.bytes = byteSize(type);
        buf.first = order.lookup(alloc);
        buf.last = std::max(buf.first, lastUse(alloc, body, order));
        buffers.push_back(buf);
        return WalkResult::advance();
      }
      if (isa<memref::AllocaOp, memref::GetGlobalOp>(op)) {
        op->emitError("the GPU back end keeps no buffers outside the device "
                      "arena and the weights");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    int64_t intermediates = placeBuffers(buffers);
    int64_t arenaSize =
        llvm::alignTo(ioSize + std::max<int64_t>(intermediates, 0), 64);

    // The new signature: (arena, weights).
    auto arenaType = MemRefType::get({arenaSize}, b.getI8Type());
    if (failed(main.insertArgument(0, arenaType,
                                   b.getDictionaryAttr({b.getNamedAttr(
                                       "tessel.arena", b.getUnitAttr())}),
                                   main.getLoc())))
      return signalPassFailure();
    Value arena = main.getArgument(0);
    OpBuilder ob(&body, body.begin());
    auto view = [&](int64_t offset, MemRefType type, Location loc) -> Value {
      Value off = arith::ConstantIndexOp::create(ob, loc, offset);
      return memref::ViewOp::create(ob, loc, type, arena, off, ValueRange{});
    };
    llvm::BitVector erase(main.getNumArguments());
    for (unsigned i = 0; i < numIO; ++i) {
      BlockArgument arg = main.getArgument(i + 1);
      arg.replaceAllUsesWith(view(ioOffsets[i],
                                  cast<MemRefType>(arg.getType()),
                                  main.getLoc()));
      erase.set(i + 1);
    }
    for (Buffer &buf : buffers) {
      ob.setInsertionPoint(buf.alloc);
      Value v = view(ioSize + buf.offset, buf.alloc.getType(),
                     buf.alloc.getLoc());
      buf.alloc.replaceAllUsesWith(v);
    }
    SmallVector<Operation *> dead;
    main.walk([&](memref::DeallocOp d) { dead.push_back(d); });
    for (Buffer &buf : buffers)
      dead.push_back(buf.alloc);
    for (Operation *op : dead)
      op->erase();
    if (failed(main.eraseArguments(erase)))
      return signalPassFailure();

    module->setAttr("tessel.io", b.getArrayAttr(io));
    module->setAttr("tessel.io_size", b.getI64IntegerAttr(ioSize));
    module->setAttr("tessel.arena_size", b.getI64IntegerAttr(arenaSize));
  }
};

} // namespace
