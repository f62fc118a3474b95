//===- RecordIO.cpp - Keep the graph-level signature through lowering -----===//
#include "tessel/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace tessel {
#define GEN_PASS_DEF_RECORDIO
#include "tessel/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;

namespace {
struct RecordIOPass : tessel::impl::RecordIOBase<RecordIOPass> {
  void runOnOperation() override {
    auto main = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!main) {
      getOperation().emitError("no @main function to compile");
      return signalPassFailure();
    }
    Builder b(&getContext());
    auto describe = [&](Type type, DictionaryAttr attrs, unsigned i,
                        StringRef prefix) {
      StringAttr name = attrs ? attrs.getAs<StringAttr>("tessel.name") : nullptr;
      return b.getDictionaryAttr(
          {b.getNamedAttr("name", name ? name
                                       : b.getStringAttr(prefix + Twine(i))),
           b.getNamedAttr("type", TypeAttr::get(type))});
    };
    SmallVector<Attribute> inputs, outputs;
    for (unsigned i = 0; i < main.getNumArguments(); ++i)
      inputs.push_back(describe(main.getArgument(i).getType(),
                                main.getArgAttrDict(i), i, "input"));
    for (unsigned i = 0; i < main.getNumResults(); ++i)
      outputs.push_back(describe(main.getResultTypes()[i],
                                 main.getResultAttrDict(i), i, "output"));
    main->setAttr("tessel.inputs", b.getArrayAttr(inputs));
    main->setAttr("tessel.outputs", b.getArrayAttr(outputs));
  }
};
} // namespace
