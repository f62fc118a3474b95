// Parses graph IR with the installed dialect and evaluates an op with the
// installed reference kernels.
#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Dialect/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::MLIRContext ctx;
  ctx.loadDialect<tessel::graph::GraphDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      "func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {\n"
      "  %0 = graph.relu %x : (tensor<2xf32>) -> tensor<2xf32>\n"
      "  return %0 : tensor<2xf32>\n}\n",
      &ctx);
  if (!module)
    return 1;
  tessel::ref::Tensor t = tessel::ref::Tensor::fromFloats(
      tessel::ref::DType::F32, {2}, {-1.0, 2.0});
  auto r = tessel::ref::unary(tessel::ref::UnaryKind::Relu, t);
  llvm::outs() << "consumer: parsed graph IR; relu(-1, 2) = " << r->getF(0)
               << ", " << r->getF(1) << "\n";
  return 0;
}
