//===- ModelLoader.cpp - Reading ONNX models and their tensors ------------===//
//
// Binary models are parsed by streaming the file through protobuf (no copy
// of the file in memory besides the parsed message); text models go through
// libonnx's parser. Initializer data is referenced in place: resource blobs
// point into the parsed message's strings or into mmapped external data
// files, which the blobs keep alive.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Support/Float16.h"

#include "onnx/defs/parser.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fcntl.h>
#include <unistd.h>

using namespace mlir;
using namespace tessel;
using namespace tessel::onnx_import;

namespace {
/// Protobuf messages over 2 GiB cannot be parsed; such models must use
/// external data.
constexpr int kProtobufLimit = INT32_MAX;

bool looksLikeText(llvm::StringRef buffer) {
  buffer = buffer.ltrim();
  return buffer.starts_with("<") || buffer.starts_with("#");
}

FailureOr<LoadedModel> parseText(llvm::StringRef buffer,
                                 llvm::StringRef sourceName,
                                 llvm::StringRef baseDir, MLIRContext *ctx) {
  auto proto = std::make_shared<onnx::ModelProto>();
  std::string text = buffer.str();
  onnx::Common::Status status;
  // libonnx's parser reports errors through Status, but its helpers may
  // throw on malformed input; this file is built with exceptions for that.
  try {
    status = onnx::OnnxParser::Parse(*proto, text.c_str());
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(ctx, sourceName, 0, 0))
        << "malformed ONNX text model: " << e.what();
    return failure();
  }
  if (!status.IsOK()) {
    emitError(FileLineColLoc::get(ctx, sourceName, 0, 0))
        << "malformed ONNX text model: " << status.ErrorMessage();
    return failure();
  }
  return LoadedModel{std::move(proto), sourceName.str(), baseDir.str()};
}
} // namespace

FailureOr<LoadedModel> tessel::onnx_import::loadModelBuffer(
    llvm::StringRef buffer, llvm::StringRef sourceName,
    llvm::StringRef baseDir, MLIRContext *ctx) {
  if (looksLikeText(buffer))
    return parseText(buffer, sourceName, baseDir, ctx);
  auto proto = std::make_shared<onnx::ModelProto>();
  google::protobuf::io::ArrayInputStream input(
      buffer.data(), static_cast<int>(std::min<size_t>(buffer.size(),
                                                       kProtobufLimit)));
  google::protobuf::io::CodedInputStream coded(&input);
  coded.SetTotalBytesLimit(kProtobufLimit);
  if (buffer.size() > static_cast<size_t>(kProtobufLimit) ||
      !proto->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    emitError(FileLineColLoc::get(ctx, sourceName, 0, 0))
        << "malformed ONNX model: the protobuf does not parse as a "
           "ModelProto"
        << (buffer.size() > static_cast<size_t>(kProtobufLimit)
                ? " (larger than 2 GiB: store weights as external data)"
                : "");
    return failure();
  }
  return LoadedModel{std::move(proto), sourceName.str(), baseDir.str()};
}

FailureOr<LoadedModel> tessel::onnx_import::loadModelFile(llvm::StringRef path,
                                                          MLIRContext *ctx) {
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  int fd = ::open(path.str().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    emitError(loc) << "cannot open ONNX model: " << std::strerror(errno);
    return failure();
  }
  // Peek at the first bytes to tell text from binary.
  char head[64];
  ssize_t n = ::pread(fd, head, sizeof(head), 0);
  if (n < 0) {
    emitError(loc) << "cannot read ONNX model: " << std::strerror(errno);
    ::close(fd);
    return failure();
  }
  if (n == 0) {
    emitError(loc) << "malformed ONNX model: the file is empty";
    ::close(fd);
    return failure();
  }
  if (looksLikeText(llvm::StringRef(head, n))) {
    ::close(fd);
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      emitError(loc) << "cannot read ONNX model: "
                     << buffer.getError().message();
      return failure();
    }
    return parseText((*buffer)->getBuffer(), path, dir, ctx);
  }
  // Stream the file through protobuf: the weights end up once in memory, in
  // the parsed message, which the constants then reference.
  auto proto = std::make_shared<onnx::ModelProto>();
  bool ok;
  {
    google::protobuf::io::FileInputStream input(fd, 1 << 20);
    google::protobuf::io::CodedInputStream coded(&input);
    coded.SetTotalBytesLimit(kProtobufLimit);
    ok = proto->ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  }
  ::close(fd);
  if (!ok) {
    emitError(loc) << "malformed ONNX model: the protobuf does not parse as a "
                      "ModelProto (truncated or not an ONNX file?)";
    return failure();
  }
  return LoadedModel{std::move(proto), path.str(), dir.str().str()};
}

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

Type tessel::onnx_import::elementTypeFor(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, false);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

std::string tessel::onnx_import::onnxTypeName(int32_t t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(t));
  // Types newer than libonnx 1.12 knows.
  switch (t) {
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case 21:
    return "UINT4";
  case 22:
    return "INT4";
  case 23:
    return "FLOAT4E2M1";
  default:
    return "type " + std::to_string(t);
  }
}

//===----------------------------------------------------------------------===//
// TensorLoader
//===----------------------------------------------------------------------===//

struct TensorLoader::Impl {
  MLIRContext *ctx;
  const LoadedModel &model;
  /// External data files, mapped once each and shared by their tensors.
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files;

  Impl(MLIRContext *ctx, const LoadedModel &model) : ctx(ctx), model(model) {}

  FailureOr<std::shared_ptr<llvm::MemoryBuffer>>
  mapFile(llvm::StringRef location, Location loc, llvm::StringRef tensorName);
};

TensorLoader::TensorLoader(MLIRContext *ctx, const LoadedModel &model)
    : impl(std::make_unique<Impl>(ctx, model)) {}
TensorLoader::~TensorLoader() = default;

FailureOr<std::shared_ptr<llvm::MemoryBuffer>>
TensorLoader::Impl::mapFile(llvm::StringRef location, Location loc,
                            llvm::StringRef tensorName) {
  auto it = files.find(location);
  if (it != files.end())
    return it->second;
  // Like onnx.checker: external data must stay inside the model directory.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         "..")) {
    emitError(loc) << "external data location '" << location
                   << "' of tensor '" << tensorName
                   << "' must be a relative path inside the model directory";
    return failure();
  }
  llvm::SmallString<256> path(model.baseDir);
  llvm::sys::path::append(path, location);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false,
                                            /*IsVolatile=*/false);
  if (!buffer) {
    emitError(loc) << "missing external data for tensor '" << tensorName
                   << "': cannot open '" << path
                   << "': " << buffer.getError().message();
    return failure();
  }
  std::shared_ptr<llvm::MemoryBuffer> shared = std::move(*buffer);
  files[location] = shared;
  return shared;
}

/// Keeps what a blob points into alive until the blob dies.
template <typename Owner>
static AsmResourceBlob referenceBlob(llvm::ArrayRef<char> data,
                                     size_t alignment, Owner owner) {
  return AsmResourceBlob(
      data, alignment,
      [owner = std::move(owner)](void *, size_t, size_t) mutable {
        owner.reset();
      },
      /*dataIsMutable=*/false);
}

static std::string resourceName(llvm::StringRef name) {
  std::string out;
  for (char c : name)
    out += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "t_" + out;
  return out;
}

FailureOr<ElementsAttr> TensorLoader::load(const onnx::TensorProto &tensor,
                                           Location loc) {
  MLIRContext *ctx = impl->ctx;
  Type elementType = elementTypeFor(ctx, tensor.data_type());
  if (!elementType) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' has unsupported data type "
                   << onnxTypeName(tensor.data_type());
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      emitError(loc) << "tensor '" << tensor.name()
                     << "' has a negative dimension " << d;
      return failure();
    }
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elementType);
  int64_t numel = type.getNumElements();
  std::optional<ref::DType> dtype = graph::toDType(elementType);
  int width = ref::bitWidth(*dtype);
  size_t elemBytes = width == 1 ? 1 : width / 8;
  uint64_t expectedBytes = static_cast<uint64_t>(numel) * elemBytes;
  std::string name = resourceName(tensor.name().empty() ? "const"
                                                        : tensor.name());

  // Raw bytes, from the message or from an external file.
  llvm::ArrayRef<char> raw;
  std::shared_ptr<llvm::MemoryBuffer> file;
  bool hasRaw = false;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = 0;
    bool hasLength = false;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        uint64_t v;
        if (llvm::StringRef(entry.value()).getAsInteger(10, v)) {
          emitError(loc) << "tensor '" << tensor.name() << "' has a bad "
                         << entry.key() << " '" << entry.value() << "'";
          return failure();
        }
        if (entry.key() == "offset")
          offset = v;
        else {
          length = v;
          hasLength = true;
        }
      }
    }
    if (location.empty()) {
      emitError(loc) << "tensor '" << tensor.name()
                     << "' is external but names no location";
      return failure();
    }
    FailureOr<std::shared_ptr<llvm::MemoryBuffer>> mapped =
        impl->mapFile(location, loc, tensor.name());
    if (failed(mapped))
      return failure();
    file = *mapped;
    if (!hasLength)
      length = expectedBytes;
    if (offset > file->getBufferSize() ||
        length > file->getBufferSize() - offset) {
      emitError(loc) << "external data for tensor '" << tensor.name()
                     << "' (offset " << offset << ", length " << length
                     << ") extends beyond the end of '" << location << "' ("
                     << file->getBufferSize() << " bytes)";
      return failure();
    }
    raw = llvm::ArrayRef<char>(file->getBufferStart() + offset, length);
    hasRaw = true;
  } else if (tensor.has_raw_data()) {
    raw = llvm::ArrayRef<char>(tensor.raw_data().data(),
                               tensor.raw_data().size());
    hasRaw = true;
  }

  if (hasRaw) {
    if (raw.size() != expectedBytes) {
      emitError(loc) << "tensor '" << tensor.name() << "' holds "
                     << raw.size() << " bytes of data, but its type " << type
                     << " needs " << expectedBytes;
      return failure();
    }
    if (numel <= graph::kMaxInlineElements || elementType.isInteger(1)) {
      if (elementType.isInteger(1)) {
        SmallVector<bool> bits;
        for (char c : raw)
          bits.push_back(c != 0);
        return cast<ElementsAttr>(DenseElementsAttr::get(type, bits));
      }
      return cast<ElementsAttr>(
          DenseElementsAttr::getFromRawBuffer(type, raw));
    }
    size_t align = elemBytes;
    bool aligned = reinterpret_cast<uintptr_t>(raw.data()) % align == 0;
    AsmResourceBlob blob;
    if (!aligned)
      blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, align);
    else if (file)
      blob = referenceBlob(raw, align, file);
    else
      blob = referenceBlob(raw, align, impl->model.proto);
    return cast<ElementsAttr>(
        DenseResourceElementsAttr::get(type, name, std::move(blob)));
  }

  // Typed fields.
  ref::Tensor t(*dtype, ref::Shape(shape.begin(), shape.end()));
  auto sizeError = [&](int64_t got) {
    emitError(loc) << "tensor '" << tensor.name() << "' holds " << got
                   << " values, but its type " << type << " needs " << numel;
    return failure();
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (tensor.float_data_size() != numel)
      return sizeError(tensor.float_data_size());
    for (int64_t i = 0; i < numel; ++i)
      t.setF(i, tensor.float_data(i));
    break;
  case onnx::TensorProto::DOUBLE:
    if (tensor.double_data_size() != numel)
      return sizeError(tensor.double_data_size());
    for (int64_t i = 0; i < numel; ++i)
      t.setF(i, tensor.double_data(i));
    break;
  case onnx::TensorProto::INT64:
    if (tensor.int64_data_size() != numel)
      return sizeError(tensor.int64_data_size());
    for (int64_t i = 0; i < numel; ++i)
      t.setI(i, tensor.int64_data(i));
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    if (tensor.uint64_data_size() != numel)
      return sizeError(tensor.uint64_data_size());
    for (int64_t i = 0; i < numel; ++i)
      t.setI(i, static_cast<int64_t>(tensor.uint64_data(i)));
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    if (tensor.int32_data_size() != numel)
      return sizeError(tensor.int32_data_size());
    for (int64_t i = 0; i < numel; ++i) {
      uint16_t bits = static_cast<uint16_t>(tensor.int32_data(i));
      t.setF(i, tensor.data_type() == onnx::TensorProto::FLOAT16
                    ? support::halfToFloat(bits)
                    : support::bf16ToFloat(bits));
    }
    break;
  default: // INT32, INT16, INT8, UINT16, UINT8, BOOL live in int32_data.
    if (tensor.int32_data_size() != numel)
      return sizeError(tensor.int32_data_size());
    for (int64_t i = 0; i < numel; ++i)
      t.setI(i, tensor.int32_data(i));
    break;
  }
  return graph::toElementsAttr(type, t, name);
}
