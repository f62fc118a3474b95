//===- TensorFiles.h - .npy and ONNX TensorProto files, comparisons -*- C++
//-*-//
//
// What tessel-run reads and writes: NumPy .npy files (versions 1-3,
// little-endian, C order) and ONNX TensorProto .pb files (the ONNX test-data
// format), decoded from the protobuf wire format directly, without linking
// protobuf or onnx. Only the fields a tensor needs are read: dims, data_type,
// name, raw_data and float/int32/int64/double/uint64_data.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_TENSORFILES_H
#define TESSEL_RUNTIME_TENSORFILES_H

#include "tessel/Runtime/Container.h"
#include "tessel/Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::rt {

/// A dense, row-major tensor in host memory.
struct HostTensor {
  std::string name; ///< From a TensorProto (empty for .npy).
  ElemType dtype = ElemType::F32;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data; ///< product(dims) * elemSize(dtype) bytes.
  uint64_t numElements() const;
  /// Element `i` as a double (bf16/f16 widened exactly).
  double at(uint64_t i) const;
};

StatusOr<HostTensor> readNpy(const std::string &path);
StatusOr<HostTensor> parseNpy(const uint8_t *data, size_t size);
Status writeNpy(const std::string &path, const HostTensor &t);
std::vector<uint8_t> encodeNpy(const HostTensor &t);

StatusOr<HostTensor> readTensorProto(const std::string &path);
StatusOr<HostTensor> parseTensorProto(const uint8_t *data, size_t size);

/// Reads a .npy or .pb file (chosen by the content: .npy files start with
/// "\x93NUMPY").
StatusOr<HostTensor> readTensorFile(const std::string &path);

/// The outcome of comparing an output with its expected value.
struct Comparison {
  bool match = false;
  uint64_t elements = 0;
  uint64_t mismatches = 0;
  int64_t firstMismatch = -1; ///< Flat index, or -1.
  double got = 0, want = 0;   ///< At the first mismatch.
  double maxAbsError = 0;
  double maxRelError = 0;
  std::string problem; ///< Set if the two cannot be compared at all.
};

/// Element i matches if |got - want| <= atol + rtol * |want| (NaN matches
/// NaN; infinities must be equal). Shapes and element types must agree.
Comparison compareTensors(const HostTensor &got, const HostTensor &want,
                          double rtol, double atol);

/// "[0, 2, 1]": the multi-index of a flat index.
std::string indexString(const std::vector<int64_t> &dims, int64_t flat);

} // namespace tessel::rt

#endif // TESSEL_RUNTIME_TENSORFILES_H
