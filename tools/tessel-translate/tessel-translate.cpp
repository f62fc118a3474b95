//===- tessel-translate.cpp - Tessel's mlir-translate ------------------------===//
//
// Import (and later export) translations: `--import-onnx` reads a binary or
// textual ONNX model and prints graph IR.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/ONNX/Import.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  tessel::onnx_import::registerImportTranslation();
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "Tessel translation driver\n"))
             ? 1
             : 0;
}
