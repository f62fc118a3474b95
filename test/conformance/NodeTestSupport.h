//===- NodeTestSupport.h - Reading ONNX backend node tests ------*- C++ -*-===//
//
// Shared by the conformance run and the pass-equivalence harness: a node
// test is a directory with model.onnx and test_data_set_0/{input,output}_N.pb.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TEST_CONFORMANCE_NODETESTSUPPORT_H
#define TESSEL_TEST_CONFORMANCE_NODETESTSUPPORT_H

#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Support/Float16.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Target/ONNX/TensorIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"

#include <string>
#include <vector>

namespace tessel::nodetest {

/// Debian's (ONNX 1.12) test data stores bfloat16 tensors as UINT16 bit
/// patterns; reinterpret them.
inline ref::Tensor fixBf16(ref::Tensor t, ref::DType want) {
  if (want != ref::DType::BF16 || t.dtype() != ref::DType::U16)
    return t;
  ref::Tensor out(ref::DType::BF16, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i)
    out.setF(i, support::bf16ToFloat(static_cast<uint16_t>(t.getI(i))));
  return out;
}

/// Imports a test's model; if it needs an input to be a compile-time
/// constant (axes, sizes, repeats as graph inputs), retries with the small
/// inputs frozen to their test values, as a deployment engineer would.
/// `diagnostics` holds the first error reported through the context's
/// handler; `frozenNames` the comma-separated names of frozen inputs.
inline mlir::OwningOpRef<mlir::ModuleOp> importTest(const std::string &dir,
                                                    mlir::MLIRContext &ctx,
                                                    std::string &diagnostics,
                                                    std::string &frozenNames) {
  onnx_import::ImportOptions options;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      onnx_import::importFile(dir + "/model.onnx", &ctx, options);
  if (module ||
      diagnostics.find("must be a compile-time constant") == std::string::npos)
    return module;
  std::string error;
  std::vector<std::string> names =
      onnx_import::modelInputNames(dir + "/model.onnx");
  for (size_t i = 0; i < names.size(); ++i) {
    auto t = onnx_import::readTensorProtoFile(
        dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb", error);
    if (mlir::failed(t) || t->tensor.numel() > 64)
      continue;
    options.frozenInputs[names[i]] = t->tensor;
    frozenNames += (frozenNames.empty() ? "" : ",") + names[i];
  }
  if (options.frozenInputs.empty())
    return module;
  diagnostics.clear();
  return onnx_import::importFile(dir + "/model.onnx", &ctx, options);
}

/// The inputs of test_data_set_0 for the function's arguments (frozen
/// inputs skipped). Fails with a message in `error`.
inline mlir::LogicalResult readInputs(const std::string &dir,
                                      mlir::func::FuncOp func,
                                      const std::string &frozenNames,
                                      std::vector<ref::Tensor> &inputs,
                                      std::string &error) {
  std::string data = dir + "/test_data_set_0";
  std::vector<std::string> names =
      onnx_import::modelInputNames(dir + "/model.onnx");
  for (unsigned i = 0, arg = 0; i < names.size(); ++i) {
    if (llvm::is_contained(llvm::split(frozenNames, ','), names[i]))
      continue;
    auto t = onnx_import::readTensorProtoFile(
        data + "/input_" + std::to_string(i) + ".pb", error);
    if (mlir::failed(t)) {
      error = "unreadable test data: " + error.substr(0, error.find('\n'));
      return mlir::failure();
    }
    if (arg >= func.getNumArguments()) {
      error = "test data does not match the model's inputs";
      return mlir::failure();
    }
    auto type =
        mlir::cast<mlir::RankedTensorType>(func.getArgument(arg++).getType());
    inputs.push_back(
        fixBf16(std::move(t->tensor), *graph::toDType(type.getElementType())));
  }
  return mlir::success();
}

} // namespace tessel::nodetest

#endif // TESSEL_TEST_CONFORMANCE_NODETESTSUPPORT_H
