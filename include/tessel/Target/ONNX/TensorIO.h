//===- TensorIO.h - ONNX TensorProto files as reference tensors -*- C++ -*-===//
#ifndef TESSEL_TARGET_ONNX_TENSORIO_H
#define TESSEL_TARGET_ONNX_TENSORIO_H

#include "tessel/Reference/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LogicalResult.h"

#include <string>

namespace tessel::onnx_import {

struct NamedTensor {
  std::string name;
  ref::Tensor tensor;
};

/// Reads a serialized onnx.TensorProto (`input_0.pb` in ONNX's test data).
llvm::FailureOr<NamedTensor> readTensorProtoFile(llvm::StringRef path,
                                                 std::string &error);

} // namespace tessel::onnx_import

#endif // TESSEL_TARGET_ONNX_TENSORIO_H
