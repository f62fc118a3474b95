//===- GPUCompiler.cpp - graph IR to a GPU deployable binary --------------===//
//
// Runs tessel-lower-to-gpu stage by stage, then reads the binary off the
// final module: the PTX of each gpu.binary, and from @main (which after the
// pipeline holds nothing but launches of kernels over the device arena and
// the weights) the launch schedule.
//
//===----------------------------------------------------------------------===//
#include "tessel/Compiler/GPUCompiler.h"
#include "CompilerSupport.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

#include <map>

using namespace mlir;
using namespace tessel;
using compiler::printed;

namespace {

LogicalResult runStage(ModuleOp module, const GPUCompileOptions &o,
                       GPUStage stage, StringRef arch = "") {
  PassManager pm(module.getContext());
  pm.enableVerifier(o.verifyEach);
  GPUPipelineOptions options;
  options.gpuArch = arch.empty() ? o.gpuArch : arch.str();
  buildGPUStage(pm, stage, options);
  return pm.run(module);
}

std::vector<rt::GpuModule> ptxOf(ModuleOp module) {
  std::vector<rt::GpuModule> out;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    out.push_back({binary.getName().str(), object.getObject().str()});
  }
  return out;
}

/// "conv1, relu1" from a location built from ONNX node names.
std::string labelOf(Location loc) {
  std::string out;
  auto add = [&](StringRef name) {
    if (!name.empty() && out.find(name.str()) == std::string::npos)
      out += (out.empty() ? "" : ", ") + name.str();
  };
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l))
      add(n.getName().getValue());
    return WalkResult::advance();
  });
  return out;
}

FailureOr<uint32_t> constantDim(gpu::LaunchFuncOp launch, Value v,
                                StringRef what) {
  APInt value;
  if (!matchPattern(v, m_ConstantInt(&value)) || value.isNegative() ||
      value.getZExtValue() > 0xffffffffu)
    return launch.emitOpError("has a ")
           << what << " that is not a constant the runtime can use";
  return static_cast<uint32_t>(value.getZExtValue());
}

/// The launch schedule of @main: the kernels in order, their grids and
/// blocks, and their arguments (the arena and the weights, which are @main's
/// arguments 0 and 1).
LogicalResult readSchedule(ModuleOp module, rt::GpuCode &code) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("no @main function");
  llvm::StringMap<uint32_t> moduleIndex;
  for (size_t i = 0; i < code.modules.size(); ++i)
    moduleIndex[code.modules[i].name] = static_cast<uint32_t>(i);
  std::map<std::pair<uint32_t, std::string>, uint32_t> kernelIndex;
  for (Operation &op : main.getBody().front()) {
    if (isa<func::ReturnOp>(op) || isPure(&op))
      continue;
    auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
    if (!launch)
      return op.emitOpError("would run on the host in a GPU program");
    auto mod = moduleIndex.find(launch.getKernelModuleName().getValue());
    if (mod == moduleIndex.end())
      return launch.emitOpError("launches a kernel of an unknown module");
    auto key = std::make_pair(mod->second, launch.getKernelName().str());
    auto [it, inserted] = kernelIndex.insert(
        {key, static_cast<uint32_t>(code.kernels.size())});
    if (inserted)
      code.kernels.push_back({mod->second, key.second});
    rt::GpuLaunch l;
    l.kernel = it->second;
    l.label = labelOf(launch.getLoc());
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
    for (int d = 0; d < 6; ++d) {
      FailureOr<uint32_t> v =
          constantDim(launch, dims[d], d < 3 ? "grid size" : "block size");
      if (failed(v))
        return failure();
      (d < 3 ? l.grid[d] : l.block[d - 3]) = *v;
    }
    if (Value smem = launch.getDynamicSharedMemorySize()) {
      FailureOr<uint32_t> v = constantDim(launch, smem, "shared memory size");
      if (failed(v))
        return failure();
      l.dynamicSharedBytes = *v;
    }
    for (Value arg : launch.getKernelOperands()) {
      auto ba = dyn_cast<BlockArgument>(arg);
      if (!ba || ba.getOwner()->getParentOp() != main ||
          ba.getArgNumber() > 1)
        return launch.emitOpError(
            "passes a kernel argument other than the arena or the weights");
      l.args.push_back({ba.getArgNumber() == 0 ? rt::GpuArgKind::Arena
                                               : rt::GpuArgKind::Weights,
                        0});
    }
    code.launches.push_back(std::move(l));
  }
  return success();
}

} // namespace

std::string tessel::ptxListing(const std::vector<rt::GpuModule> &modules) {
  std::string out;
  for (const rt::GpuModule &m : modules)
    out += "// ----- module " + m.name + "\n" + m.ptx;
  return out;
}

FailureOr<GPUArtifacts> tessel::compileForGPU(ModuleOp module,
                                              const GPUCompileOptions &o,
                                              StringRef stopAfter) {
  GPUArtifacts out;
  if (o.gpuArch != "sm_80" && o.gpuArch != "sm_90")
    return module.emitError("unsupported GPU architecture '")
           << o.gpuArch << "' (expected sm_80 or sm_90)";
  compiler::dump(o.dumpDir, "00-graph.mlir", printed(module));
  if (failed(runStage(module, o, GPUStage::Linalg)))
    return failure();
  out.linalgIR = printed(module);
  compiler::dump(o.dumpDir, "01-linalg.mlir", out.linalgIR);
  if (stopAfter == "linalg")
    return out;
  if (failed(runStage(module, o, GPUStage::Bufferized)))
    return failure();
  out.bufferizedIR = printed(module);
  compiler::dump(o.dumpDir, "02-bufferized.mlir", out.bufferizedIR);
  if (stopAfter == "bufferized")
    return out;
  auto io = module->getAttrOfType<ArrayAttr>("tessel.io");
  auto weights = module->getAttrOfType<ArrayAttr>("tessel.weights");
  auto weightsSize = module->getAttrOfType<IntegerAttr>("tessel.weights_size");
  auto ioSize = module->getAttrOfType<IntegerAttr>("tessel.io_size");
  auto arenaSize = module->getAttrOfType<IntegerAttr>("tessel.arena_size");
  if (!io || !weights || !weightsSize || !ioSize || !arenaSize)
    return module.emitError("the GPU pipeline did not record the binary's "
                            "layout (tessel.io/weights/arena_size)");
  if (failed(runStage(module, o, GPUStage::Kernels)))
    return failure();
  out.kernelsIR = printed(module);
  compiler::dump(o.dumpDir, "03-kernels.mlir", out.kernelsIR);
  if (stopAfter == "kernels")
    return out;
  if (failed(runStage(module, o, GPUStage::NVVM)))
    return failure();
  out.nvvmIR = printed(module);
  compiler::dump(o.dumpDir, "04-nvvm.mlir", out.nvvmIR);
  if (stopAfter == "nvvm")
    return out;
  for (const std::string &arch : o.extraArchs) {
    if (arch != "sm_80" && arch != "sm_90")
      return module.emitError("unsupported GPU architecture '")
             << arch << "' (expected sm_80 or sm_90)";
    OwningOpRef<ModuleOp> copy = module.clone();
    if (failed(runStage(*copy, o, GPUStage::PTX, arch)))
      return failure();
    out.extraPtx.push_back({arch, ptxOf(*copy)});
  }
  if (failed(runStage(module, o, GPUStage::PTX)))
    return failure();
  out.ptx = ptxOf(module);
  compiler::dump(o.dumpDir, "05-kernels.ptx", ptxListing(out.ptx));
  if (stopAfter == "ptx")
    return out;

  rt::GpuCode &code = out.code;
  code.smVersion = o.gpuArch == "sm_90" ? 90 : 80;
  code.arenaBytes = arenaSize.getInt();
  code.modules = out.ptx;
  if (failed(readSchedule(module, code)))
    return failure();

  rt::ModelBinary &m = out.binary;
  m.target = rt::TargetKind::Gpu;
  m.producer = "tessel 0.1.0";
  m.options = {{"target", "gpu"}, {"gpu-arch", o.gpuArch}};
  if (failed(compiler::collectWeights(module, weights, weightsSize.getInt(),
                                      m.weights)) ||
      failed(compiler::collectIO(module, io, m.tensors)))
    return failure();
  // The host arena holds the inputs and outputs (at the device arena's
  // offsets) and, after them, the weights as the file maps them.
  uint64_t ioBytes = ioSize.getInt();
  uint64_t weightsOffset = llvm::alignTo(ioBytes, 64);
  uint64_t wBytes = m.weights.size();
  for (const rt::TensorDesc &t : m.tensors)
    code.transfers.push_back(
        {t.role == rt::TensorDesc::Role::Input
             ? rt::GpuTransfer::Direction::ToDevice
             : rt::GpuTransfer::Direction::ToHost,
         t.offset, t.offset, t.byteSize()});
  if (tessel::Status s = rt::validateGpuCode(code, wBytes, ioBytes); !s)
    return module.emitError(s.message());
  m.plan.arenaSize = weightsOffset + wBytes;
  m.plan.weightsOffset =
      wBytes ? weightsOffset : rt::ExecutionPlan::kNoWeights;
  m.plan.steps.push_back(rt::PlanStep::host(
      0, {ioBytes, wBytes ? weightsOffset : 0, wBytes}, "gpu"));
  rt::RawSection section;
  section.type = static_cast<uint32_t>(rt::SectionType::GpuCode);
  section.flags = rt::kSectionRequired;
  section.bytes = rt::encodeGpuCode(code);
  m.extraSections.push_back(std::move(section));
  return out;
}
