//===- HostCode.cpp - The host-code section and the CPU host executor -----===//
//
// The shared object is loaded from memory (memfd_create + dlopen), once per
// loaded model and shared by its contexts; its undefined symbols (libm, the
// micro-kernels) resolve against the process.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/HostCode.h"
#include "tessel/UKernels/UKernels.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <memory>
#include <mutex>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace tessel::rt {

const char *hostArchName(HostArch arch) {
  switch (arch) {
  case HostArch::X86_64:
    return "x86-64";
  case HostArch::AArch64:
    return "aarch64";
  }
  return "unknown";
}

HostArch currentHostArch() {
#if defined(__aarch64__)
  return HostArch::AArch64;
#else
  return HostArch::X86_64;
#endif
}

namespace {
constexpr uint32_t kHostCodeMagic = 0x31434854; // "THC1" little-endian.

void put32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(std::vector<uint8_t> &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct Reader {
  const uint8_t *p, *end;
  bool get32(uint32_t &v) {
    if (end - p < 4)
      return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(p[i]) << (8 * i);
    p += 4;
    return true;
  }
  bool get64(uint64_t &v) {
    if (end - p < 8)
      return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(p[i]) << (8 * i);
    p += 8;
    return true;
  }
};
} // namespace

std::vector<uint8_t> encodeHostCode(const HostCode &code) {
  std::vector<uint8_t> out;
  put32(out, kHostCodeMagic);
  put32(out, 1);
  put32(out, static_cast<uint32_t>(code.arch));
  put32(out, static_cast<uint32_t>(code.functions.size()));
  for (const std::string &f : code.functions) {
    put32(out, static_cast<uint32_t>(f.size()));
    out.insert(out.end(), f.begin(), f.end());
    while (out.size() % 4)
      out.push_back(0);
  }
  put64(out, code.sharedObject.size());
  out.insert(out.end(), code.sharedObject.begin(), code.sharedObject.end());
  return out;
}

StatusOr<HostCode> decodeHostCode(const uint8_t *data, size_t size) {
  using R = StatusOr<HostCode>;
  Reader r{data, data + size};
  uint32_t magic, version, arch, count;
  if (!r.get32(magic) || magic != kHostCodeMagic)
    return R::error("the host-code section is not Tessel host code",
                    ErrorKind::Format);
  if (!r.get32(version) || version != 1)
    return R::error("host-code version " + std::to_string(version) +
                        " is not supported (this runtime reads version 1)",
                    ErrorKind::Version);
  if (!r.get32(arch) || (arch != 1 && arch != 2))
    return R::error("the host code names an unknown architecture",
                    ErrorKind::Format);
  HostCode code;
  code.arch = static_cast<HostArch>(arch);
  if (!r.get32(count) || count > 4096)
    return R::error("the host code has a bad function count",
                    ErrorKind::Format);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len;
    if (!r.get32(len) || len == 0 || len > 256 ||
        static_cast<size_t>(r.end - r.p) < len)
      return R::error("the host code's function table is truncated",
                      ErrorKind::Format);
    code.functions.emplace_back(reinterpret_cast<const char *>(r.p), len);
    r.p += (len + 3) & ~3u;
    if (r.p > r.end)
      return R::error("the host code's function table is truncated",
                      ErrorKind::Format);
  }
  uint64_t soSize;
  if (!r.get64(soSize) || soSize != static_cast<uint64_t>(r.end - r.p) ||
      soSize < 64 || std::memcmp(r.p, "\x7f" "ELF", 4) != 0)
    return R::error("the host code's shared object is missing or truncated",
                    ErrorKind::Format);
  code.sharedObject.assign(r.p, r.end);
  return code;
}

namespace {

using HostFunction = void (*)(uint8_t *, const uint8_t *, void *);

/// A host-code shared object loaded into the process.
struct LoadedLibrary {
  void *handle = nullptr;
  std::vector<HostFunction> functions;
  ~LoadedLibrary() {
    if (handle)
      dlclose(handle);
  }
};

StatusOr<std::shared_ptr<LoadedLibrary>> loadLibrary(const HostCode &code) {
  using R = StatusOr<std::shared_ptr<LoadedLibrary>>;
  int fd = memfd_create("tessel-host-code", MFD_CLOEXEC);
  if (fd < 0)
    return R::error(std::string("memfd_create failed: ") + strerror(errno),
                    ErrorKind::Execution);
  size_t done = 0;
  while (done < code.sharedObject.size()) {
    ssize_t n = write(fd, code.sharedObject.data() + done,
                      code.sharedObject.size() - done);
    if (n <= 0) {
      close(fd);
      return R::error(std::string("writing the host code failed: ") +
                          strerror(errno),
                      ErrorKind::Execution);
    }
    done += n;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto lib = std::make_shared<LoadedLibrary>();
  lib->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (!lib->handle) {
    const char *e = dlerror();
    return R::error(std::string("cannot load the host code: ") +
                        (e ? e : "dlopen failed"),
                    ErrorKind::Execution);
  }
  for (const std::string &name : code.functions) {
    void *sym = dlsym(lib->handle, name.c_str());
    if (!sym)
      return R::error("the host code does not define '" + name + "'",
                      ErrorKind::Format);
    lib->functions.push_back(reinterpret_cast<HostFunction>(sym));
  }
  return lib;
}

class CpuHostExecutor : public HostExecutor {
public:
  explicit CpuHostExecutor(std::shared_ptr<LoadedLibrary> lib)
      : lib_(std::move(lib)) {}
  ~CpuHostExecutor() override {
    if (uk_)
      tessel_uk_context_destroy(uk_);
  }

  Status configure(const RunOptions &options) override {
    int threads = options.threads;
    if (threads <= 0)
      if (const char *env = std::getenv("TESSEL_NUM_THREADS"))
        threads = std::atoi(env);
    if (threads <= 0)
      threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (uk_)
      tessel_uk_context_destroy(uk_);
    uk_ = tessel_uk_context_create(threads);
    if (!uk_)
      return Status::error("cannot start " + std::to_string(threads) +
                               " micro-kernel threads",
                           ErrorKind::Execution);
    return Status();
  }

  Status run(const PlanStep &step, sim::DdrMemory &arena) override {
    if (step.function >= lib_->functions.size())
      return Status::error("host function " + std::to_string(step.function) +
                               " does not exist",
                           ErrorKind::Format);
    if (step.args.size() != 3)
      return Status::error("a CPU host step needs 3 arguments (arena bytes, "
                           "weights offset, weights bytes)",
                           ErrorKind::Format);
    uint8_t *io = arena.pointer(0, std::max<uint64_t>(step.args[0], 1), true);
    const uint8_t *weights =
        step.args[2] ? arena.pointer(step.args[1], step.args[2], false)
                     : nullptr;
    if (!io || (step.args[2] && !weights))
      return Status::error("the host step's buffers are not inside the arena",
                           ErrorKind::Format);
    lib_->functions[step.function](io, weights, uk_);
    return Status();
  }

private:
  std::shared_ptr<LoadedLibrary> lib_;
  tessel_uk_context *uk_ = nullptr;
};

} // namespace

HostExecutorFactory cpuHostExecutorFactory() {
  return [](const LoadedBinary &binary,
            std::string &why) -> std::unique_ptr<HostExecutor> {
    const RawSection *section = nullptr;
    for (const RawSection &s : binary.unknownSections)
      if (s.type == static_cast<uint32_t>(SectionType::HostCode))
        section = &s;
    if (!section)
      return nullptr;
    // One load per binary, shared by every context of the model.
    static std::mutex mutex;
    static std::map<const LoadedBinary *, std::weak_ptr<LoadedLibrary>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    if (std::shared_ptr<LoadedLibrary> lib = cache[&binary].lock())
      return std::make_unique<CpuHostExecutor>(lib);
    StatusOr<HostCode> code =
        decodeHostCode(section->bytes.data(), section->bytes.size());
    if (!code) {
      why = code.status().message();
      return nullptr;
    }
    if (code->arch != currentHostArch()) {
      why = std::string("the host code was compiled for ") +
            hostArchName(code->arch) + ", but this runtime runs on " +
            hostArchName(currentHostArch());
      return nullptr;
    }
    StatusOr<std::shared_ptr<LoadedLibrary>> lib = loadLibrary(*code);
    if (!lib) {
      why = lib.status().message();
      return nullptr;
    }
    cache[&binary] = *lib;
    return std::make_unique<CpuHostExecutor>(*lib);
  };
}

} // namespace tessel::rt
