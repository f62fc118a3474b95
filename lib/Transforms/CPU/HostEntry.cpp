//===- HostEntry.cpp - The host entry point over the runtime's arena ------===//
//
//   void tessel_host_main(i8 *arena, i8 *weights, void *ukernel_context)
//
// Inputs and outputs live in the arena at offsets this pass chooses (and
// records in `tessel.io`); `@main` (inputs..., outputs..., weights[, uk])
// becomes private and is called with views. A CPU segment of a mixed NPU
// binary shares the model's arena: the NPU compiler then fixes the offsets
// (module attributes `tessel.io_offsets`, one per input then output, and
// `tessel.scratch_offset`) and the entry's name (`tessel.entry`).
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/MathExtras.h"

namespace tessel {
#define GEN_PASS_DEF_CPUHOSTENTRY
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

struct HostEntryPass : tessel::impl::CPUHostEntryBase<HostEntryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
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
    // @main(inputs..., outputs..., weights): check the shape of it.
    // @main(inputs..., outputs..., then by attribute: the weights, the
    // scratch region, the micro-kernel context).
    int weightsArg = -1, scratchArg = -1, ukArg = -1;
    for (unsigned i = numIO; i < main.getNumArguments(); ++i) {
      if (main.getArgAttr(i, "tessel.weights"))
        weightsArg = i;
      else if (main.getArgAttr(i, "tessel.scratch"))
        scratchArg = i;
      else if (main.getArgAttr(i, "tessel.ukernel_context"))
        ukArg = i;
      else {
        main.emitError("unexpected argument ") << i << " of @main";
        return signalPassFailure();
      }
    }
    if (main.getNumArguments() < numIO || weightsArg < 0 ||
        main.getNumResults() != 0) {
      main.emitError("expected @main(inputs..., outputs..., weights, ...) "
                     "with no results, got ")
          << main.getFunctionType();
      return signalPassFailure();
    }
    // Zero-element inputs and outputs carry no data: the model gets a local
    // (empty) buffer instead, which also keeps such shapes (e.g. 3x4x0) out
    // of the bare-pointer calling convention, which rejects them.
    llvm::BitVector dropped(main.getNumArguments());
    for (unsigned i = 0; i < numIO; ++i) {
      auto type = dyn_cast<MemRefType>(main.getArgument(i).getType());
      if (!type || type.getNumElements() != 0)
        continue;
      OpBuilder ab(&main.getBody().front(), main.getBody().front().begin());
      Value local = memref::AllocOp::create(ab, main.getLoc(), type);
      main.getArgument(i).replaceAllUsesWith(local);
      dropped.set(i);
    }
    Builder b(&getContext());
    auto fixedOffsets =
        module->getAttrOfType<DenseI64ArrayAttr>("tessel.io_offsets");
    if (fixedOffsets && fixedOffsets.size() != static_cast<int64_t>(numIO)) {
      module.emitError("tessel.io_offsets has ")
          << fixedOffsets.size() << " entries for " << numIO
          << " inputs and outputs";
      return signalPassFailure();
    }
    auto fixedScratch =
        module->getAttrOfType<IntegerAttr>("tessel.scratch_offset");
    auto entryName = module->getAttrOfType<StringAttr>("tessel.entry");
    SmallVector<int64_t> offsets;
    SmallVector<Attribute> io;
    int64_t size = 0;
    for (unsigned i = 0; i < numIO; ++i) {
      auto type = dyn_cast<MemRefType>(main.getArgument(i).getType());
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
        main.emitError("argument ")
            << i << " is not a static, contiguous memref: "
            << main.getArgument(i).getType();
        return signalPassFailure();
      }
      int64_t bits = type.getElementType().getIntOrFloatBitWidth();
      int64_t bytes = type.getNumElements() * std::max<int64_t>(8, bits) / 8;
      size = llvm::alignTo(size, 64);
      if (fixedOffsets)
        size = fixedOffsets[i];
      offsets.push_back(size);
      bool isInput = i < inputs.size();
      auto desc = cast<DictionaryAttr>(isInput ? inputs[i]
                                               : outputs[i - inputs.size()]);
      io.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", desc.get("name")),
           b.getNamedAttr("type", desc.get("type")),
           b.getNamedAttr("role",
                          b.getStringAttr(isInput ? "input" : "output")),
           b.getNamedAttr("offset", b.getI64IntegerAttr(size)),
           b.getNamedAttr("bytes", b.getI64IntegerAttr(bytes))}));
      size += bytes;
    }
    if (fixedOffsets) {
      size = 0;
      for (Attribute a : io) {
        auto d = cast<DictionaryAttr>(a);
        size = std::max(size, d.getAs<IntegerAttr>("offset").getInt() +
                                  d.getAs<IntegerAttr>("bytes").getInt());
      }
    }
    // The scratch region follows the inputs and outputs.
    int64_t scratchOffset = llvm::alignTo(size, 64);
    if (fixedScratch)
      scratchOffset = fixedScratch.getInt();
    if (scratchArg >= 0)
      size = std::max<int64_t>(
          size, scratchOffset +
                    cast<MemRefType>(main.getArgument(scratchArg).getType())
                        .getNumElements());
    int64_t arenaSize = llvm::alignTo(std::max<int64_t>(size, 1), 64);
    auto arenaType = MemRefType::get({arenaSize}, b.getI8Type());
    auto weightsType = cast<MemRefType>(main.getArgument(weightsArg).getType());
    auto ukType = LLVM::LLVMPointerType::get(&getContext());

    OpBuilder ob(module.getBodyRegion());
    ob.setInsertionPointToEnd(module.getBody());
    Location loc = main.getLoc();
    auto entry = func::FuncOp::create(
        ob, loc, entryName ? entryName.getValue() : "tessel_host_main",
        ob.getFunctionType({arenaType, weightsType, ukType}, {}));
    Block *block = entry.addEntryBlock();
    ob.setInsertionPointToStart(block);
    SmallVector<Value> args;
    for (unsigned i = 0; i < numIO; ++i) {
      if (dropped.test(i))
        continue;
      Value off = arith::ConstantIndexOp::create(ob, loc, offsets[i]);
      args.push_back(
          memref::ViewOp::create(ob, loc, main.getArgument(i).getType(),
                                 block->getArgument(0), off, ValueRange{}));
    }
    for (unsigned i = numIO; i < main.getNumArguments(); ++i) {
      if (static_cast<int>(i) == weightsArg) {
        args.push_back(block->getArgument(1));
      } else if (static_cast<int>(i) == ukArg) {
        args.push_back(block->getArgument(2));
      } else {
        Value off = arith::ConstantIndexOp::create(ob, loc, scratchOffset);
        args.push_back(
            memref::ViewOp::create(ob, loc, main.getArgument(i).getType(),
                                   block->getArgument(0), off, ValueRange{}));
      }
    }
    // A private name: a global `main` in a shared object would collide with
    // (and bind to) the host program's own main.
    // Segments linked into one shared object need distinct names.
    std::string modelName =
        entryName ? (entryName.getValue() + "_model").str() : "tessel_model";
    if (failed(SymbolTable::replaceAllSymbolUses(
            main, StringAttr::get(&getContext(), modelName), module))) {
      main.emitError("cannot rename @main");
      return signalPassFailure();
    }
    main.setSymName(modelName);
    if (failed(main.eraseArguments(dropped)))
      return signalPassFailure();
    func::CallOp::create(ob, loc, main, args);
    func::ReturnOp::create(ob, loc);
    main.setPrivate();
    module->setAttr("tessel.io", b.getArrayAttr(io));
    module->setAttr("tessel.arena_size", b.getI64IntegerAttr(arenaSize));
  }
};

} // namespace
