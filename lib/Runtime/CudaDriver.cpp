//===- CudaDriver.cpp - Loading libcuda.so.1 at run time ------------------===//
#include "CudaDriver.h"

#include <cstdlib>
#include <mutex>

#include <dlfcn.h>

namespace tessel::rt::cuda {

std::string Driver::errorText(CUresult r) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName)
    cuGetErrorName(r, &name);
  if (cuGetErrorString)
    cuGetErrorString(r, &text);
  std::string s = name ? name : "CUDA error " + std::to_string(r);
  if (text)
    s += std::string(" (") + text + ")";
  return s;
}

namespace {

struct Loaded {
  Driver driver{};
  bool ok = false;
  std::string why;
};

template <typename F> bool resolve(void *lib, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}

Loaded load() {
  Loaded l;
  const char *env = std::getenv("TESSEL_CUDA_DRIVER");
  std::string path = env && *env ? env : "libcuda.so.1";
  // The handle stays open for the life of the process: modules and device
  // memory the driver hands out must outlive every model.
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    l.why = "no CUDA driver: cannot load " + path + " (" +
            (e ? e : "dlopen failed") +
            "); install the NVIDIA driver to run GPU models";
    return l;
  }
  Driver &d = l.driver;
  const char *missing = nullptr;
#define TESSEL_RESOLVE(field, symbol)                                          \
  if (!missing && !resolve(lib, symbol, d.field))                              \
    missing = symbol;
  TESSEL_RESOLVE(cuInit, "cuInit")
  TESSEL_RESOLVE(cuDriverGetVersion, "cuDriverGetVersion")
  TESSEL_RESOLVE(cuDeviceGetCount, "cuDeviceGetCount")
  TESSEL_RESOLVE(cuDeviceGet, "cuDeviceGet")
  TESSEL_RESOLVE(cuDeviceGetName, "cuDeviceGetName")
  TESSEL_RESOLVE(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  TESSEL_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  TESSEL_RESOLVE(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  TESSEL_RESOLVE(cuCtxSetCurrent, "cuCtxSetCurrent")
  TESSEL_RESOLVE(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  TESSEL_RESOLVE(cuModuleUnload, "cuModuleUnload")
  TESSEL_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  TESSEL_RESOLVE(cuFuncGetAttribute, "cuFuncGetAttribute")
  TESSEL_RESOLVE(cuFuncSetAttribute, "cuFuncSetAttribute")
  TESSEL_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  TESSEL_RESOLVE(cuMemFree, "cuMemFree_v2")
  TESSEL_RESOLVE(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
  TESSEL_RESOLVE(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2")
  TESSEL_RESOLVE(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2")
  TESSEL_RESOLVE(cuMemsetD8, "cuMemsetD8_v2")
  TESSEL_RESOLVE(cuStreamCreate, "cuStreamCreate")
  TESSEL_RESOLVE(cuStreamDestroy, "cuStreamDestroy_v2")
  TESSEL_RESOLVE(cuStreamSynchronize, "cuStreamSynchronize")
  TESSEL_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  TESSEL_RESOLVE(cuEventCreate, "cuEventCreate")
  TESSEL_RESOLVE(cuEventRecord, "cuEventRecord")
  TESSEL_RESOLVE(cuEventSynchronize, "cuEventSynchronize")
  TESSEL_RESOLVE(cuEventElapsedTime, "cuEventElapsedTime")
  TESSEL_RESOLVE(cuEventDestroy, "cuEventDestroy_v2")
  TESSEL_RESOLVE(cuGetErrorName, "cuGetErrorName")
  TESSEL_RESOLVE(cuGetErrorString, "cuGetErrorString")
#undef TESSEL_RESOLVE
  if (missing) {
    l.why = "the CUDA driver " + path + " lacks " + missing +
            " (the driver is too old; Tessel needs CUDA 11 or newer)";
    return l;
  }
  CUresult r = d.cuInit(0);
  if (r == CUDA_ERROR_NO_DEVICE) {
    l.why = "no NVIDIA GPU: the CUDA driver found no device (" +
            d.errorText(r) + ")";
    return l;
  }
  if (r != CUDA_SUCCESS) {
    l.why = "the CUDA driver failed to initialize: " + d.errorText(r);
    return l;
  }
  int count = 0;
  r = d.cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS || count <= 0) {
    l.why = "no NVIDIA GPU: the CUDA driver reports " +
            (r != CUDA_SUCCESS ? d.errorText(r) : std::string("0 devices"));
    return l;
  }
  l.ok = true;
  return l;
}

} // namespace

const Driver *loadDriver(std::string &why) {
  static std::once_flag once;
  static Loaded *loaded;
  std::call_once(once, [] { loaded = new Loaded(load()); });
  if (!loaded->ok) {
    why = loaded->why;
    return nullptr;
  }
  return &loaded->driver;
}

} // namespace tessel::rt::cuda
