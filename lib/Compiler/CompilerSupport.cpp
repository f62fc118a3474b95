//===- CompilerSupport.cpp - What the CPU and GPU compilers share ---------===//
#include "CompilerSupport.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;

namespace tessel::compiler {

std::string printed(ModuleOp module) {
  std::string s;
  llvm::raw_string_ostream os(s);
  OpPrintingFlags flags;
  flags.elideLargeResourceString(64);
  module.print(os, flags);
  return s;
}

void dump(StringRef dir, StringRef name, StringRef text) {
  if (dir.empty())
    return;
  llvm::sys::fs::create_directories(dir);
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec)
    os << text;
}

std::optional<rt::ElemType> elemTypeOf(Type t) {
  std::optional<ref::DType> d = graph::toDType(t);
  if (!d)
    return std::nullopt;
  switch (*d) {
  case ref::DType::Bool:
    return rt::ElemType::Bool;
  case ref::DType::I8:
    return rt::ElemType::I8;
  case ref::DType::U8:
    return rt::ElemType::U8;
  case ref::DType::I16:
    return rt::ElemType::I16;
  case ref::DType::U16:
    return rt::ElemType::U16;
  case ref::DType::I32:
    return rt::ElemType::I32;
  case ref::DType::U32:
    return rt::ElemType::U32;
  case ref::DType::I64:
    return rt::ElemType::I64;
  case ref::DType::U64:
    return rt::ElemType::U64;
  case ref::DType::F16:
    return rt::ElemType::F16;
  case ref::DType::BF16:
    return rt::ElemType::BF16;
  case ref::DType::F32:
    return rt::ElemType::F32;
  case ref::DType::F64:
    return rt::ElemType::F64;
  }
  return std::nullopt;
}

namespace {
/// The bytes of a recorded weight (splats expanded).
LogicalResult appendWeight(ModuleOp module, ElementsAttr value,
                           std::vector<uint8_t> &blob, int64_t offset) {
  std::vector<char> bytes;
  if (std::optional<ArrayRef<char>> raw = graph::getRawBytes(value)) {
    bytes.assign(raw->begin(), raw->end());
  } else {
    std::string error;
    FailureOr<ref::Tensor> t = graph::toTensor(value, error);
    if (failed(t))
      return module.emitError("cannot write a weight: ") << error;
    bytes = graph::toRawBytes(cast<ShapedType>(value.getType()).getElementType(),
                              *t);
  }
  if (blob.size() < static_cast<size_t>(offset) + bytes.size())
    blob.resize(offset + bytes.size(), 0);
  std::memcpy(blob.data() + offset, bytes.data(), bytes.size());
  return success();
}

} // namespace

LogicalResult collectWeights(ModuleOp module, ArrayAttr weights, int64_t size,
                             std::vector<uint8_t> &blob) {
  blob.clear();
  for (Attribute a : weights) {
    auto d = cast<DictionaryAttr>(a);
    int64_t off = d.getAs<IntegerAttr>("offset").getInt();
    if (failed(appendWeight(module, d.getAs<ElementsAttr>("value"), blob, off)))
      return failure();
  }
  if (!blob.empty())
    blob.resize(size, 0);
  return success();
}

LogicalResult collectIO(ModuleOp module, ArrayAttr io,
                        std::vector<rt::TensorDesc> &tensors) {
  for (Attribute a : io) {
    auto d = cast<DictionaryAttr>(a);
    auto type = cast<RankedTensorType>(d.getAs<TypeAttr>("type").getValue());
    std::optional<rt::ElemType> et = elemTypeOf(type.getElementType());
    if (!et)
      return module.emitError("unsupported I/O element type ")
             << type.getElementType();
    rt::TensorDesc t;
    t.name = d.getAs<StringAttr>("name").str();
    t.role = d.getAs<StringAttr>("role").getValue() == "input"
                 ? rt::TensorDesc::Role::Input
                 : rt::TensorDesc::Role::Output;
    t.dtype = *et;
    t.dims.assign(type.getShape().begin(), type.getShape().end());
    t.offset = d.getAs<IntegerAttr>("offset").getInt();
    tensors.push_back(std::move(t));
  }
  return success();
}

} // namespace tessel::compiler
