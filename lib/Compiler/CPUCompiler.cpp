//===- CPUCompiler.cpp - graph IR to a CPU deployable binary --------------===//
#include "tessel/Compiler/CPUCompiler.h"
#include "tessel/Transforms/Pipelines.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/Runtime/HostCode.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace tessel;

namespace {

std::string printed(ModuleOp module) {
  std::string s;
  llvm::raw_string_ostream os(s);
  OpPrintingFlags flags;
  flags.elideLargeResourceString(64);
  module.print(os, flags);
  return s;
}

void dump(const CPUCompileOptions &o, StringRef name, StringRef text) {
  if (o.dumpDir.empty())
    return;
  llvm::sys::fs::create_directories(o.dumpDir);
  llvm::SmallString<256> path(o.dumpDir);
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec)
    os << text;
}

LogicalResult runStage(ModuleOp module, const CPUCompileOptions &o,
                       CPUStage stage) {
  PassManager pm(module.getContext());
  pm.enableVerifier(o.verifyEach);
  buildCPUStage(pm, stage);
  return pm.run(module);
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

std::optional<rt::ElemType> tessel::runtimeElementType(Type t) {
  return elemTypeOf(t);
}

Type tessel::compilerElementType(MLIRContext *ctx, rt::ElemType t) {
  switch (t) {
  case rt::ElemType::Bool:
    return graph::fromDType(ctx, ref::DType::Bool);
  case rt::ElemType::I8:
    return graph::fromDType(ctx, ref::DType::I8);
  case rt::ElemType::U8:
    return graph::fromDType(ctx, ref::DType::U8);
  case rt::ElemType::I16:
    return graph::fromDType(ctx, ref::DType::I16);
  case rt::ElemType::U16:
    return graph::fromDType(ctx, ref::DType::U16);
  case rt::ElemType::I32:
    return graph::fromDType(ctx, ref::DType::I32);
  case rt::ElemType::U32:
    return graph::fromDType(ctx, ref::DType::U32);
  case rt::ElemType::I64:
    return graph::fromDType(ctx, ref::DType::I64);
  case rt::ElemType::U64:
    return graph::fromDType(ctx, ref::DType::U64);
  case rt::ElemType::F16:
    return graph::fromDType(ctx, ref::DType::F16);
  case rt::ElemType::BF16:
    return graph::fromDType(ctx, ref::DType::BF16);
  case rt::ElemType::F32:
    return graph::fromDType(ctx, ref::DType::F32);
  case rt::ElemType::F64:
    return graph::fromDType(ctx, ref::DType::F64);
  case rt::ElemType::Invalid:
    break;
  }
  return {};
}

FailureOr<CPUArtifacts> tessel::compileForCPU(ModuleOp module,
                                              const CPUCompileOptions &o,
                                              StringRef stopAfter) {
  CPUArtifacts out;
  dump(o, "00-graph.mlir", printed(module));
  if (failed(runStage(module, o, CPUStage::Linalg)))
    return failure();
  out.linalgIR = printed(module);
  dump(o, "01-linalg.mlir", out.linalgIR);
  if (stopAfter == "linalg")
    return out;
  if (failed(runStage(module, o, CPUStage::Bufferized)))
    return failure();
  out.bufferizedIR = printed(module);
  dump(o, "02-bufferized.mlir", out.bufferizedIR);
  if (stopAfter == "bufferized")
    return out;
  // What the binary needs, before the LLVM lowering.
  auto io = module->getAttrOfType<ArrayAttr>("tessel.io");
  auto weights = module->getAttrOfType<ArrayAttr>("tessel.weights");
  auto arenaSize = module->getAttrOfType<IntegerAttr>("tessel.arena_size");
  auto weightsSize = module->getAttrOfType<IntegerAttr>("tessel.weights_size");
  if (!io || !weights || !arenaSize || !weightsSize)
    return module.emitError("the CPU pipeline did not record the binary's "
                            "layout (tessel.io/weights)");
  if (failed(runStage(module, o, CPUStage::LLVM)))
    return failure();
  dump(o, "03-llvm-dialect.mlir", printed(module));
  bool wantText = stopAfter == "llvm" || stopAfter == "asm" ||
                  !o.dumpDir.empty();
  FailureOr<std::string> object = llvmtarget::emitObject(
      module, o.codegen, wantText ? &out.llvmIR : nullptr,
      wantText ? &out.assembly : nullptr);
  if (failed(object))
    return failure();
  out.object = *object;
  dump(o, "04-model.ll", out.llvmIR);
  dump(o, "05-model.s", out.assembly);
  if (stopAfter == "llvm" || stopAfter == "asm" || stopAfter == "obj")
    return out;

  std::string triple = llvmtarget::resolvedTriple(o.codegen);
  std::string error;
  FailureOr<std::vector<char>> so =
      llvmtarget::linkSharedObject(StringRef(out.object), triple, error);
  if (failed(so))
    return module.emitError(error);

  rt::ModelBinary &m = out.binary;
  m.target = rt::TargetKind::Cpu;
  m.producer = "tessel 0.1.0";
  m.options = {{"target", "cpu"}, {"triple", triple}};
  if (!o.codegen.cpu.empty())
    m.options.push_back({"cpu", o.codegen.cpu});
  uint64_t ioBytes = arenaSize.getInt();
  uint64_t weightsOffset = llvm::alignTo(ioBytes, 64);
  uint64_t wBytes = 0;
  for (Attribute a : weights) {
    auto d = cast<DictionaryAttr>(a);
    int64_t off = d.getAs<IntegerAttr>("offset").getInt();
    if (failed(appendWeight(module, d.getAs<ElementsAttr>("value"), m.weights,
                            off)))
      return failure();
  }
  if (!m.weights.empty()) {
    m.weights.resize(weightsSize.getInt(), 0);
    wBytes = m.weights.size();
  }
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
    m.tensors.push_back(std::move(t));
  }
  m.plan.arenaSize = weightsOffset + wBytes;
  m.plan.weightsOffset =
      wBytes ? weightsOffset : rt::ExecutionPlan::kNoWeights;
  m.plan.steps.push_back(rt::PlanStep::host(
      0, {ioBytes, wBytes ? weightsOffset : 0, wBytes}, "main"));
  rt::HostCode code;
  llvm::Triple t(triple);
  code.arch = t.getArch() == llvm::Triple::aarch64 ? rt::HostArch::AArch64
                                                   : rt::HostArch::X86_64;
  code.functions = {"tessel_host_main"};
  code.sharedObject.assign(so->begin(), so->end());
  rt::RawSection section;
  section.type = static_cast<uint32_t>(rt::SectionType::HostCode);
  section.flags = rt::kSectionRequired;
  section.bytes = rt::encodeHostCode(code);
  m.extraSections.push_back(std::move(section));
  return out;
}

FailureOr<HostSegment>
tessel::compileHostSegment(ModuleOp module, const CPUCompileOptions &o) {
  if (failed(runStage(module, o, CPUStage::Linalg)) ||
      failed(runStage(module, o, CPUStage::Bufferized)))
    return failure();
  auto weights = module->getAttrOfType<ArrayAttr>("tessel.weights");
  auto arenaSize = module->getAttrOfType<IntegerAttr>("tessel.arena_size");
  auto weightsSize = module->getAttrOfType<IntegerAttr>("tessel.weights_size");
  if (!weights || !arenaSize || !weightsSize)
    return module.emitError("the CPU pipeline did not record the segment's "
                            "layout (tessel.arena_size/weights)");
  HostSegment out;
  out.arenaBytes = arenaSize.getInt();
  for (Attribute a : weights) {
    auto d = cast<DictionaryAttr>(a);
    if (failed(appendWeight(module, d.getAs<ElementsAttr>("value"),
                            out.weights,
                            d.getAs<IntegerAttr>("offset").getInt())))
      return failure();
  }
  if (!out.weights.empty())
    out.weights.resize(weightsSize.getInt(), 0);
  if (failed(runStage(module, o, CPUStage::LLVM)))
    return failure();
  FailureOr<std::string> object =
      llvmtarget::emitObject(module, o.codegen, nullptr, nullptr);
  if (failed(object))
    return failure();
  out.object = std::move(*object);
  out.triple = llvmtarget::resolvedTriple(o.codegen);
  return out;
}
