//===- CPUCompiler.cpp - graph IR to a CPU deployable binary --------------===//
#include "tessel/Compiler/CPUCompiler.h"
#include "CompilerSupport.h"
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
using compiler::printed;

namespace {

void dump(const CPUCompileOptions &o, StringRef name, StringRef text) {
  compiler::dump(o.dumpDir, name, text);
}

LogicalResult runStage(ModuleOp module, const CPUCompileOptions &o,
                       CPUStage stage) {
  PassManager pm(module.getContext());
  pm.enableVerifier(o.verifyEach);
  buildCPUStage(pm, stage);
  return pm.run(module);
}

} // namespace

std::optional<rt::ElemType> tessel::runtimeElementType(Type t) {
  return compiler::elemTypeOf(t);
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
  if (failed(compiler::collectWeights(module, weights, weightsSize.getInt(),
                                      m.weights)) ||
      failed(compiler::collectIO(module, io, m.tensors)))
    return failure();
  uint64_t wBytes = m.weights.size();
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
  if (failed(compiler::collectWeights(module, weights, weightsSize.getInt(),
                                      out.weights)))
    return failure();
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
