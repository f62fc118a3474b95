//===- ONNXProto.h - libonnx's generated protobuf classes -------*- C++ -*-===//
// Debian's libonnx 1.12 needs ONNX_NAMESPACE=onnx and ONNX_ML=1 (set by the
// CMake target).
#ifndef TESSEL_LIB_TARGET_ONNX_ONNXPROTO_H
#define TESSEL_LIB_TARGET_ONNX_ONNXPROTO_H

#include "onnx/onnx_pb.h"

#endif // TESSEL_LIB_TARGET_ONNX_ONNXPROTO_H
