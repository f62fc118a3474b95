//===- tessel-opt.cpp - Tessel's mlir-opt -----------------------------------===//
//
// MlirOptMain with Tessel's dialects and passes registered, plus the
// upstream ones its pipelines use. All the usual mlir-opt flags work.
//
//===----------------------------------------------------------------------===//
#include "tessel/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tessel::registerAllDialects(registry);
  tessel::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessel optimizer driver\n", registry));
}
