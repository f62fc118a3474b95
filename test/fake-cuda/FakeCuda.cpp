//===- FakeCuda.cpp - A CUDA driver stand-in for testing without a GPU ----===//
//
// libtessel-fake-cuda.so exports the driver functions the runtime resolves
// (lib/Runtime/CudaDriver.cpp) and behaves like a driver whose kernels do
// nothing: device memory is host memory, copies copy, and launches are
// checked and logged but not run. The runtime loads it instead of
// libcuda.so.1 when TESSEL_CUDA_DRIVER names it. What it checks:
//
//   - PTX modules: a .version and a `.target sm_XX` the device can run;
//   - kernels: the module defines a `.entry` of that name;
//   - launches: as many parameters as the entry declares, each pointer
//     parameter (`.u64 .ptr`) inside a live allocation, the block within
//     the entry's `.maxntid` and the device's limits.
//
// Environment: FAKE_CUDA_DEVICES (default 1; 0 = no GPU), FAKE_CUDA_SM
// (default 80), FAKE_CUDA_LOG (a file that gets one line per call).
//
//===----------------------------------------------------------------------===//
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

constexpr CUresult kSuccess = 0, kInvalidValue = 1, kNotInitialized = 3,
                   kNoDevice = 100, kInvalidDevice = 101, kInvalidPtx = 218,
                   kNotFound = 500, kLaunchOutOfResources = 701;

struct Entry {
  std::string name;
  std::vector<bool> pointerParams; ///< One per parameter.
  std::vector<unsigned> paramBytes;
  unsigned maxThreads = 1024;
};

struct Module {
  std::map<std::string, Entry> entries;
};

struct State {
  bool initialized = false;
  std::map<uintptr_t, size_t> allocations;
  FILE *log = nullptr;
} state;

int deviceCount() {
  const char *e = std::getenv("FAKE_CUDA_DEVICES");
  return e ? std::atoi(e) : 1;
}

int smVersion() {
  const char *e = std::getenv("FAKE_CUDA_SM");
  return e ? std::atoi(e) : 80;
}

void logf(const char *fmt, ...) {
  if (!state.log) {
    const char *path = std::getenv("FAKE_CUDA_LOG");
    if (!path)
      return;
    state.log = std::fopen(path, "a");
    if (!state.log)
      return;
  }
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(state.log, fmt, ap);
  va_end(ap);
  std::fputc('\n', state.log);
  std::fflush(state.log);
}

bool inAllocation(uint64_t p) {
  auto it = state.allocations.upper_bound(static_cast<uintptr_t>(p));
  if (it == state.allocations.begin())
    return false;
  --it;
  return p >= it->first && p < it->first + it->second;
}

/// The entries of a PTX text: name, parameters, .maxntid.
bool parsePtx(const std::string &ptx, Module &m, std::string &why) {
  if (ptx.find(".version") == std::string::npos) {
    why = "no .version directive";
    return false;
  }
  size_t t = ptx.find(".target sm_");
  if (t == std::string::npos) {
    why = "no .target sm_XX directive";
    return false;
  }
  int sm = std::atoi(ptx.c_str() + t + 11);
  if (sm > smVersion()) {
    why = "the PTX targets sm_" + std::to_string(sm) +
          ", the device is sm_" + std::to_string(smVersion());
    return false;
  }
  size_t pos = 0;
  while ((pos = ptx.find(".entry ", pos)) != std::string::npos) {
    pos += 7;
    size_t open = ptx.find('(', pos);
    size_t close = ptx.find(')', open);
    if (open == std::string::npos || close == std::string::npos) {
      why = "malformed .entry";
      return false;
    }
    Entry e;
    e.name = ptx.substr(pos, open - pos);
    while (!e.name.empty() && e.name.back() == ' ')
      e.name.pop_back();
    std::string params = ptx.substr(open + 1, close - open - 1);
    size_t p = 0;
    while ((p = params.find(".param", p)) != std::string::npos) {
      size_t end = params.find(',', p);
      std::string decl = params.substr(p, end == std::string::npos
                                              ? std::string::npos
                                              : end - p);
      e.pointerParams.push_back(decl.find(".ptr") != std::string::npos);
      unsigned bytes = decl.find(".u64") != std::string::npos ||
                               decl.find(".b64") != std::string::npos ||
                               decl.find(".f64") != std::string::npos
                           ? 8
                           : 4;
      e.paramBytes.push_back(bytes);
      p += 6;
    }
    size_t brace = ptx.find('{', close);
    size_t maxntid = ptx.find(".maxntid", close);
    if (maxntid != std::string::npos && maxntid < brace) {
      unsigned x = 1, y = 1, z = 1;
      std::sscanf(ptx.c_str() + maxntid + 8, " %u, %u, %u", &x, &y, &z);
      e.maxThreads = x * y * z;
    }
    m.entries[e.name] = e;
  }
  return true;
}

} // namespace

extern "C" {

CUresult cuInit(unsigned) {
  if (deviceCount() <= 0)
    return kNoDevice;
  state.initialized = true;
  logf("cuInit");
  return kSuccess;
}

CUresult cuDriverGetVersion(int *v) {
  *v = 12080;
  return kSuccess;
}

CUresult cuDeviceGetCount(int *n) {
  if (!state.initialized)
    return kNotInitialized;
  *n = deviceCount();
  return kSuccess;
}

CUresult cuDeviceGet(int *d, int ordinal) {
  if (ordinal < 0 || ordinal >= deviceCount())
    return kInvalidDevice;
  *d = ordinal;
  return kSuccess;
}

CUresult cuDeviceGetName(char *name, int len, int) {
  std::snprintf(name, len, "Fake GPU (sm_%d)", smVersion());
  return kSuccess;
}

CUresult cuDeviceGetAttribute(int *v, int attr, int) {
  switch (attr) {
  case 1: // max threads per block
  case 2: // max block dim x
    *v = 1024;
    return kSuccess;
  case 75:
    *v = smVersion() / 10;
    return kSuccess;
  case 76:
    *v = smVersion() % 10;
    return kSuccess;
  case 8:
    *v = 48 * 1024;
    return kSuccess;
  case 97:
    *v = smVersion() >= 90 ? 227 * 1024 : 163 * 1024;
    return kSuccess;
  case 16:
    *v = 108;
    return kSuccess;
  }
  *v = 0;
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRetain(void **ctx, int) {
  static int context;
  *ctx = &context;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
CUresult cuCtxSetCurrent(void *) { return kSuccess; }

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n,
                            int *options, void **values) {
  auto *m = new Module();
  std::string why;
  if (!parsePtx(static_cast<const char *>(image), *m, why)) {
    delete m;
    for (unsigned i = 0; i + 1 < n; ++i)
      if (options[i] == 5 && options[i + 1] == 6)
        std::snprintf(static_cast<char *>(values[i]),
                      reinterpret_cast<uintptr_t>(values[i + 1]),
                      "fake ptxas: %s", why.c_str());
    logf("cuModuleLoadDataEx: rejected: %s", why.c_str());
    return kInvalidPtx;
  }
  logf("cuModuleLoadDataEx: %zu entries", m->entries.size());
  *module = m;
  return kSuccess;
}

CUresult cuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  return kSuccess;
}

CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  auto &entries = static_cast<Module *>(module)->entries;
  auto it = entries.find(name);
  if (it == entries.end())
    return kNotFound;
  *f = &it->second;
  return kSuccess;
}

CUresult cuFuncGetAttribute(int *v, int attr, void *f) {
  *v = attr == 0 ? static_cast<int>(static_cast<Entry *>(f)->maxThreads) : 0;
  return kSuccess;
}
CUresult cuFuncSetAttribute(void *, int, int) { return kSuccess; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  void *m = std::calloc(bytes ? bytes : 1, 1);
  if (!m)
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  state.allocations[reinterpret_cast<uintptr_t>(m)] = bytes;
  *p = reinterpret_cast<uintptr_t>(m);
  logf("cuMemAlloc: %zu bytes", bytes);
  return kSuccess;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
  state.allocations.erase(static_cast<uintptr_t>(p));
  std::free(reinterpret_cast<void *>(p));
  return kSuccess;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (bytes && (!inAllocation(dst) || !inAllocation(dst + bytes - 1)))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  logf("cuMemcpyHtoD: %zu bytes", bytes);
  return kSuccess;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              void *) {
  if (bytes && (!inAllocation(dst) || !inAllocation(dst + bytes - 1)))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  logf("cuMemcpyHtoDAsync: %zu bytes", bytes);
  return kSuccess;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              void *) {
  if (bytes && (!inAllocation(src) || !inAllocation(src + bytes - 1)))
    return kInvalidValue;
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  logf("cuMemcpyDtoHAsync: %zu bytes", bytes);
  return kSuccess;
}

CUresult cuMemsetD8_v2(CUdeviceptr p, unsigned char v, size_t bytes) {
  std::memset(reinterpret_cast<void *>(p), v, bytes);
  return kSuccess;
}

CUresult cuStreamCreate(void **s, unsigned) {
  static int stream;
  *s = &stream;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *) { return kSuccess; }
CUresult cuStreamSynchronize(void *) {
  logf("cuStreamSynchronize");
  return kSuccess;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void *, void **params, void **extra) {
  auto *e = static_cast<Entry *>(f);
  uint64_t threads = uint64_t(bx) * by * bz;
  if (threads > e->maxThreads || bx > 1024 || by > 1024 || bz > 64 ||
      !gx || !gy || !gz || gy > 65535 || gz > 65535) {
    logf("cuLaunchKernel %s: bad configuration grid (%u,%u,%u) block "
         "(%u,%u,%u), .maxntid %u",
         e->name.c_str(), gx, gy, gz, bx, by, bz, e->maxThreads);
    return kLaunchOutOfResources;
  }
  if (extra || (!params && !e->paramBytes.empty()))
    return kInvalidValue;
  std::string args;
  for (size_t i = 0; i < e->paramBytes.size(); ++i) {
    uint64_t v = 0;
    std::memcpy(&v, params[i], e->paramBytes[i]);
    if (e->pointerParams[i] && !inAllocation(v)) {
      logf("cuLaunchKernel %s: parameter %zu (0x%llx) points outside every "
           "allocation",
           e->name.c_str(), i, static_cast<unsigned long long>(v));
      return kInvalidValue;
    }
    args += e->pointerParams[i] ? " ptr" : " imm";
  }
  logf("cuLaunchKernel %s grid=%u,%u,%u block=%u,%u,%u shared=%u args:%s",
       e->name.c_str(), gx, gy, gz, bx, by, bz, shared, args.c_str());
  return kSuccess;
}

CUresult cuEventCreate(void **e, unsigned) {
  static int event;
  *e = &event;
  return kSuccess;
}
CUresult cuEventRecord(void *, void *) { return kSuccess; }
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventElapsedTime(float *ms, void *, void *) {
  *ms = 0;
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *) { return kSuccess; }

CUresult cuGetErrorName(CUresult r, const char **s) {
  switch (r) {
  case kSuccess:
    *s = "CUDA_SUCCESS";
    break;
  case kInvalidValue:
    *s = "CUDA_ERROR_INVALID_VALUE";
    break;
  case kNoDevice:
    *s = "CUDA_ERROR_NO_DEVICE";
    break;
  case kInvalidPtx:
    *s = "CUDA_ERROR_INVALID_PTX";
    break;
  case kNotFound:
    *s = "CUDA_ERROR_NOT_FOUND";
    break;
  case kLaunchOutOfResources:
    *s = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
    break;
  default:
    *s = "CUDA_ERROR_UNKNOWN";
  }
  return kSuccess;
}

CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == kNoDevice ? "no CUDA-capable device is detected"
                      : "fake driver error";
  return kSuccess;
}

} // extern "C"
