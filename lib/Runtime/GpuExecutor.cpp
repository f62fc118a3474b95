//===- GpuExecutor.cpp - Running gpu-code sections on an NVIDIA GPU -------===//
//
// Per loaded model (shared by its contexts): the device's primary context,
// the PTX modules JIT-compiled by the driver, the kernels' handles checked
// against every launch, and the weights uploaded once. Per context: the
// device arena and a stream. A run uploads the inputs, launches every
// kernel in order on the stream, downloads the outputs and waits.
//
// The device is TESSEL_GPU_DEVICE (default 0).
//
//===----------------------------------------------------------------------===//
#include "CudaDriver.h"
#include "tessel/Runtime/GpuCode.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

namespace tessel::rt {

namespace {

using namespace cuda;

/// A model's GPU program, loaded on the device.
struct GpuProgram {
  const Driver *d = nullptr;
  GpuCode code;
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::string deviceName;
  std::vector<CUmodule> modules;
  std::vector<CUfunction> functions; ///< Per kernel.
  CUdeviceptr weights = 0;
  uint64_t weightsBytes = 0;

  ~GpuProgram() {
    if (!context)
      return;
    d->cuCtxSetCurrent(context);
    if (weights)
      d->cuMemFree(weights);
    for (CUmodule m : modules)
      d->cuModuleUnload(m);
    d->cuDevicePrimaryCtxRelease(device);
  }
};

Status cudaError(const Driver *d, CUresult r, const std::string &what) {
  return Status::error(what + ": " + d->errorText(r), ErrorKind::Execution);
}

StatusOr<std::shared_ptr<GpuProgram>> loadProgram(const Driver *d,
                                                  GpuCode code,
                                                  const uint8_t *weights,
                                                  uint64_t weightsBytes) {
  using R = StatusOr<std::shared_ptr<GpuProgram>>;
  auto p = std::make_shared<GpuProgram>();
  p->d = d;
  p->code = std::move(code);
  int ordinal = 0;
  if (const char *env = std::getenv("TESSEL_GPU_DEVICE"))
    ordinal = std::atoi(env);
  int count = 0;
  d->cuDeviceGetCount(&count);
  if (ordinal < 0 || ordinal >= count)
    return R::error("TESSEL_GPU_DEVICE=" + std::to_string(ordinal) +
                        " names no GPU (this machine has " +
                        std::to_string(count) + ")",
                    ErrorKind::InvalidArgument);
  if (CUresult r = d->cuDeviceGet(&p->device, ordinal))
    return R(cudaError(d, r, "cannot open GPU " + std::to_string(ordinal)));
  char name[256] = {0};
  d->cuDeviceGetName(name, sizeof(name) - 1, p->device);
  p->deviceName = name;
  int major = 0, minor = 0;
  d->cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                          p->device);
  d->cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                          p->device);
  uint32_t sm = static_cast<uint32_t>(major * 10 + minor);
  std::string gpu = "GPU " + std::to_string(ordinal) + " (" + p->deviceName +
                    ", " + smName(sm) + ")";
  if (sm < p->code.smVersion)
    return R::error("the model was compiled for " + smName(p->code.smVersion) +
                        " and cannot run on " + gpu + "; recompile it with "
                        "--gpu-arch=" + smName(sm == 0 ? 80 : sm),
                    ErrorKind::Unsupported);
  if (CUresult r = d->cuDevicePrimaryCtxRetain(&p->context, p->device)) {
    p->context = nullptr;
    return R(cudaError(d, r, "cannot create a CUDA context on " + gpu));
  }
  d->cuCtxSetCurrent(p->context);

  // JIT-compile the PTX; the driver's log says what it rejects.
  for (size_t i = 0; i < p->code.modules.size(); ++i) {
    const GpuModule &m = p->code.modules[i];
    char log[8192] = {0};
    int options[] = {CU_JIT_ERROR_LOG_BUFFER,
                     CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1)};
    CUmodule module = nullptr;
    CUresult r = d->cuModuleLoadDataEx(&module, m.ptx.c_str(), 2, options,
                                       values);
    if (r != CUDA_SUCCESS)
      return R::error("the CUDA driver cannot load PTX module " +
                          std::to_string(i) + " ('" + m.name + "') on " + gpu +
                          ": " + d->errorText(r) +
                          (log[0] ? std::string("\n") + log : ""),
                      ErrorKind::Execution);
    p->modules.push_back(module);
  }
  int maxThreads = 0, sharedOptin = 0;
  d->cuDeviceGetAttribute(&maxThreads,
                          CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, p->device);
  d->cuDeviceGetAttribute(&sharedOptin,
                          CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                          p->device);
  std::vector<uint32_t> dynamicShared(p->code.kernels.size(), 0);
  for (const GpuLaunch &l : p->code.launches)
    dynamicShared[l.kernel] =
        std::max(dynamicShared[l.kernel], l.dynamicSharedBytes);
  for (size_t i = 0; i < p->code.kernels.size(); ++i) {
    const GpuKernel &k = p->code.kernels[i];
    CUfunction f = nullptr;
    if (CUresult r =
            d->cuModuleGetFunction(&f, p->modules[k.module], k.name.c_str()))
      return R(cudaError(d, r,
                         "PTX module " + std::to_string(k.module) +
                             " does not define kernel '" + k.name + "'"));
    int staticShared = 0;
    d->cuFuncGetAttribute(&staticShared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
                          f);
    if (dynamicShared[i] &&
        static_cast<int64_t>(dynamicShared[i]) + staticShared > sharedOptin)
      return R::error("kernel '" + k.name + "' needs " +
                          std::to_string(dynamicShared[i] + staticShared) +
                          " bytes of shared memory; " + gpu + " has " +
                          std::to_string(sharedOptin) + " per block",
                      ErrorKind::Unsupported);
    if (dynamicShared[i] > 48 * 1024)
      if (CUresult r = d->cuFuncSetAttribute(
              f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
              static_cast<int>(dynamicShared[i])))
        return R(cudaError(d, r, "kernel '" + k.name +
                                     "' cannot get its shared memory"));
    p->functions.push_back(f);
  }
  // Every launch within what its kernel allows on this device (the register
  // count of the JIT-compiled code can lower the limit).
  for (size_t i = 0; i < p->code.launches.size(); ++i) {
    const GpuLaunch &l = p->code.launches[i];
    int kernelMax = maxThreads;
    d->cuFuncGetAttribute(&kernelMax, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                          p->functions[l.kernel]);
    uint64_t threads =
        uint64_t(l.block[0]) * l.block[1] * l.block[2];
    if (kernelMax > 0 && threads > static_cast<uint64_t>(kernelMax))
      return R::error("launch " + std::to_string(i) + " of kernel '" +
                          p->code.kernels[l.kernel].name + "' uses " +
                          std::to_string(threads) +
                          " threads per block; on " + gpu +
                          " the kernel allows at most " +
                          std::to_string(kernelMax),
                      ErrorKind::Unsupported);
  }
  // The weights, once per model.
  p->weightsBytes = weightsBytes;
  if (weightsBytes) {
    if (CUresult r = d->cuMemAlloc(&p->weights, weightsBytes))
      return R::error("cannot allocate " + std::to_string(weightsBytes) +
                          " bytes of weights on " + gpu + ": " +
                          d->errorText(r),
                      ErrorKind::OutOfMemory);
    if (CUresult r = d->cuMemcpyHtoD(p->weights, weights, weightsBytes))
      return R(cudaError(d, r, "uploading the weights failed"));
  }
  return p;
}

class GpuExecutor : public HostExecutor {
public:
  explicit GpuExecutor(std::shared_ptr<GpuProgram> program)
      : p_(std::move(program)) {}
  ~GpuExecutor() override {
    const Driver *d = p_->d;
    d->cuCtxSetCurrent(p_->context);
    for (CUevent e : events_)
      if (e)
        d->cuEventDestroy(e);
    if (stream_)
      d->cuStreamDestroy(stream_);
    if (arena_)
      d->cuMemFree(arena_);
  }

  Status init() {
    const Driver *d = p_->d;
    d->cuCtxSetCurrent(p_->context);
    uint64_t bytes = std::max<uint64_t>(p_->code.arenaBytes, 1);
    if (CUresult r = d->cuMemAlloc(&arena_, bytes))
      return Status::error("cannot allocate the " + std::to_string(bytes) +
                               "-byte device arena on " + p_->deviceName +
                               ": " + d->errorText(r),
                           ErrorKind::OutOfMemory);
    if (CUresult r = d->cuMemsetD8(arena_, 0, bytes))
      return cudaError(d, r, "clearing the device arena failed");
    // cuMemsetD8 runs on the legacy default stream, which our non-blocking
    // stream does not wait for: without this, the first run's input upload
    // could be overwritten by the clear (seen on an H100).
    if (CUresult r = d->cuStreamSynchronize(nullptr))
      return cudaError(d, r, "clearing the device arena failed");
    if (CUresult r = d->cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING))
      return cudaError(d, r, "cannot create a CUDA stream");
    for (CUevent &e : events_)
      if (CUresult r = d->cuEventCreate(&e, CU_EVENT_DEFAULT))
        return cudaError(d, r, "cannot create a CUDA event");
    return Status::ok();
  }

  std::string summary() const override {
    char line[512];
    snprintf(line, sizeof(line),
             "gpu: %s (%s): %zu launches of %zu kernels; last run %.3f ms on "
             "the device, %.3f ms of it in kernels\n",
             p_->deviceName.c_str(), smName(p_->code.smVersion).c_str(),
             p_->code.launches.size(), p_->code.kernels.size(), deviceMs_,
             kernelMs_);
    return line;
  }

  Status run(const PlanStep &step, sim::DdrMemory &arena) override {
    const Driver *d = p_->d;
    const GpuCode &code = p_->code;
    if (step.args.size() != 3)
      return Status::error("a GPU host step needs 3 arguments (arena bytes, "
                           "weights offset, weights bytes)",
                           ErrorKind::Format);
    d->cuCtxSetCurrent(p_->context);
    d->cuEventRecord(events_[0], stream_);
    for (const GpuTransfer &t : code.transfers) {
      if (t.direction != GpuTransfer::Direction::ToDevice || !t.bytes)
        continue;
      const uint8_t *src = arena.pointer(t.hostOffset, t.bytes, false);
      if (!src)
        return Status::error("an input transfer lies outside the arena",
                             ErrorKind::Format);
      if (CUresult r = d->cuMemcpyHtoDAsync(arena_ + t.deviceOffset, src,
                                            t.bytes, stream_))
        return cudaError(d, r, "uploading the inputs failed");
    }
    d->cuEventRecord(events_[1], stream_);
    std::vector<uint64_t> values;
    std::vector<void *> params;
    for (size_t i = 0; i < code.launches.size(); ++i) {
      const GpuLaunch &l = code.launches[i];
      values.resize(l.args.size());
      params.resize(l.args.size());
      for (size_t a = 0; a < l.args.size(); ++a) {
        const GpuArg &arg = l.args[a];
        switch (arg.kind) {
        case GpuArgKind::Arena:
          values[a] = arena_ + arg.value;
          break;
        case GpuArgKind::Weights:
          values[a] = p_->weights + arg.value;
          break;
        case GpuArgKind::Imm32:
        case GpuArgKind::Imm64:
          // Little-endian: the first 4 bytes hold a 32-bit immediate.
          values[a] = arg.value;
          break;
        }
        params[a] = &values[a];
      }
      if (CUresult r = d->cuLaunchKernel(
              p_->functions[l.kernel], l.grid[0], l.grid[1], l.grid[2],
              l.block[0], l.block[1], l.block[2], l.dynamicSharedBytes,
              stream_, params.empty() ? nullptr : params.data(), nullptr))
        return cudaError(d, r,
                         "launch " + std::to_string(i) + " of kernel '" +
                             code.kernels[l.kernel].name + "'" +
                             (l.label.empty() ? "" : " (" + l.label + ")") +
                             " failed");
    }
    d->cuEventRecord(events_[2], stream_);
    for (const GpuTransfer &t : code.transfers) {
      if (t.direction != GpuTransfer::Direction::ToHost || !t.bytes)
        continue;
      uint8_t *dst = arena.pointer(t.hostOffset, t.bytes, true);
      if (!dst)
        return Status::error("an output transfer lies outside the arena",
                             ErrorKind::Format);
      if (CUresult r = d->cuMemcpyDtoHAsync(dst, arena_ + t.deviceOffset,
                                            t.bytes, stream_))
        return cudaError(d, r, "downloading the outputs failed");
    }
    d->cuEventRecord(events_[3], stream_);
    if (CUresult r = d->cuStreamSynchronize(stream_))
      return cudaError(d, r, "the GPU program failed");
    float total = 0, kernels = 0;
    d->cuEventElapsedTime(&total, events_[0], events_[3]);
    d->cuEventElapsedTime(&kernels, events_[1], events_[2]);
    deviceMs_ = total;
    kernelMs_ = kernels;
    return Status::ok();
  }

private:
  std::shared_ptr<GpuProgram> p_;
  CUdeviceptr arena_ = 0;
  CUstream stream_ = nullptr;
  /// Before the uploads, before the first launch, after the last launch,
  /// after the downloads.
  CUevent events_[4] = {nullptr, nullptr, nullptr, nullptr};
  double deviceMs_ = 0, kernelMs_ = 0;
};

} // namespace

HostExecutorFactory gpuHostExecutorFactory() {
  return [](const LoadedBinary &binary,
            std::string &why) -> std::unique_ptr<HostExecutor> {
    const RawSection *section = nullptr;
    for (const RawSection &s : binary.unknownSections)
      if (s.type == static_cast<uint32_t>(SectionType::GpuCode))
        section = &s;
    if (!section)
      return nullptr;
    static std::mutex mutex;
    static std::map<const LoadedBinary *, std::weak_ptr<GpuProgram>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    std::shared_ptr<GpuProgram> program = cache[&binary].lock();
    if (!program) {
      // The program first: a corrupt section is reported as such on any
      // machine, with or without a GPU.
      StatusOr<GpuCode> code =
          decodeGpuCode(section->bytes.data(), section->bytes.size());
      if (!code) {
        why = code.status().message();
        return nullptr;
      }
      uint64_t hostBytes = 0;
      for (const PlanStep &s : binary.model.plan.steps)
        if (s.kind == PlanStep::Kind::Host && !s.args.empty())
          hostBytes = s.args[0];
      if (Status s = validateGpuCode(*code, binary.weightsSize, hostBytes);
          !s) {
        why = s.message();
        return nullptr;
      }
      const cuda::Driver *driver = cuda::loadDriver(why);
      if (!driver)
        return nullptr;
      StatusOr<std::shared_ptr<GpuProgram>> loaded = loadProgram(
          driver, code.take(), binary.weightsData, binary.weightsSize);
      if (!loaded) {
        why = loaded.status().message();
        return nullptr;
      }
      program = *loaded;
      cache[&binary] = program;
    }
    auto executor = std::make_unique<GpuExecutor>(program);
    if (Status s = executor->init(); !s) {
      why = s.message();
      return nullptr;
    }
    return executor;
  };
}

} // namespace tessel::rt
