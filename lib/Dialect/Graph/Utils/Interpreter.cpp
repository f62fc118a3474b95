//===- Interpreter.cpp - Reference execution of graph functions -----------===//
#include "tessel/Dialect/Graph/Utils/Interpreter.h"
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/IR/QuantInfo.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace tessel;

static std::string describe(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "'" << op->getName() << "'";
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    os << " (" << name.getName() << ")";
  return s;
}

FailureOr<std::vector<ref::Tensor>>
graph::interpret(func::FuncOp func, ArrayRef<ref::Tensor> inputs,
                 std::string &error, InterpretOptions options) {
  Block &body = func.getBody().front();
  if (inputs.size() != body.getNumArguments()) {
    error = "expected " + std::to_string(body.getNumArguments()) +
            " inputs, got " + std::to_string(inputs.size());
    return failure();
  }
  llvm::DenseMap<Value, ref::Tensor> values;
  for (auto [arg, input] : llvm::zip(body.getArguments(), inputs)) {
    auto type = cast<RankedTensorType>(arg.getType());
    std::optional<ref::DType> dtype = toDType(type.getElementType());
    if (!dtype || *dtype != input.dtype() ||
        ref::Shape(type.getShape().begin(), type.getShape().end()) !=
            input.shape()) {
      std::string t;
      llvm::raw_string_ostream os(t);
      os << type;
      error = "input " + std::to_string(arg.getArgNumber()) + " is " +
              input.typeString() + ", expected " + t;
      return failure();
    }
    values[arg] = input;
  }
  // Free each value after its last use so that large models fit.
  llvm::DenseMap<Operation *, SmallVector<Value>> lastUses;
  {
    llvm::DenseMap<Value, Operation *> last;
    for (Operation &op : body)
      for (Value v : op.getOperands())
        last[v] = &op;
    for (auto [v, op] : last)
      lastUses[op].push_back(v);
  }
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<ref::Tensor> results;
      for (Value v : ret.getOperands())
        results.push_back(values.lookup(v));
      return results;
    }
    auto eval = dyn_cast<RefEvalOpInterface>(op);
    if (!eval) {
      error = "op " + describe(&op) + " has no reference evaluation";
      return failure();
    }
    std::string why;
    if (!canEvaluateQuantized(&op, &why)) {
      error = "op " + describe(&op) + " has quantized types: " + why;
      return failure();
    }
    SmallVector<ref::Tensor> operands;
    for (Value v : op.getOperands())
      operands.push_back(values.lookup(v));
    SmallVector<ref::Tensor> results;
    std::string message;
    if (failed(eval.evaluate(operands, results, message))) {
      error = "evaluating " + describe(&op) + " failed: " + message;
      return failure();
    }
    if (results.size() != op.getNumResults()) {
      error = "op " + describe(&op) + " produced the wrong number of results";
      return failure();
    }
    for (auto [v, t] : llvm::zip(op.getResults(), results)) {
      if (options.observe)
        options.observe(v, t);
      values[v] = std::move(t);
    }
    auto it = lastUses.find(&op);
    if (it != lastUses.end())
      for (Value v : it->second)
        if (!isa<BlockArgument>(v) &&
            !llvm::any_of(v.getUsers(), [](Operation *u) {
              return isa<func::ReturnOp>(u);
            }))
          values.erase(v);
  }
  error = "function has no return";
  return failure();
}
