//===- GpuCode.cpp - Encoding, decoding and checking the gpu-code section -===//
//
// The layout is docs/binary-format.md's "GPU-code section (type 7)". The
// decoder never trusts the bytes: every count is bounded by the bytes left,
// every string and PTX text by the section's end.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/GpuCode.h"

#include <cstring>

namespace tessel::rt {

namespace {

constexpr uint32_t kGpuCodeMagic = 0x31434754; // "TGC1" little-endian.
constexpr uint32_t kGpuCodeVersion = 1;

struct Writer {
  std::vector<uint8_t> out;
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void bytes(const std::string &s) { out.insert(out.end(), s.begin(), s.end()); }
  void string(const std::string &s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s);
  }
};

struct Reader {
  const uint8_t *p, *end;
  size_t left() const { return static_cast<size_t>(end - p); }
  bool u32(uint32_t &v) {
    if (left() < 4)
      return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(p[i]) << (8 * i);
    p += 4;
    return true;
  }
  bool u64(uint64_t &v) {
    if (left() < 8)
      return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(p[i]) << (8 * i);
    p += 8;
    return true;
  }
  bool bytes(uint64_t n, std::string &s) {
    if (left() < n)
      return false;
    s.assign(reinterpret_cast<const char *>(p), n);
    p += n;
    return true;
  }
  bool string(std::string &s, uint32_t maxLength) {
    uint32_t n;
    return u32(n) && n <= maxLength && bytes(n, s);
  }
  /// A count of items of at least `minBytes` each that fits in what is left.
  bool count(uint32_t &n, size_t minBytes) {
    return u32(n) && static_cast<uint64_t>(n) * minBytes <= left();
  }
};

Status formatError(const std::string &what) {
  return Status::error("the gpu-code section is corrupt: " + what,
                       ErrorKind::Format);
}

} // namespace

std::string smName(uint32_t smVersion) {
  return "sm_" + std::to_string(smVersion);
}

std::vector<uint8_t> encodeGpuCode(const GpuCode &code) {
  Writer w;
  w.u32(kGpuCodeMagic);
  w.u32(kGpuCodeVersion);
  w.u32(code.smVersion);
  w.u32(0); // flags
  w.u64(code.arenaBytes);
  w.u32(static_cast<uint32_t>(code.modules.size()));
  for (const GpuModule &m : code.modules) {
    w.string(m.name);
    w.u64(m.ptx.size());
    w.bytes(m.ptx);
  }
  w.u32(static_cast<uint32_t>(code.kernels.size()));
  for (const GpuKernel &k : code.kernels) {
    w.u32(k.module);
    w.string(k.name);
  }
  w.u32(static_cast<uint32_t>(code.transfers.size()));
  for (const GpuTransfer &t : code.transfers) {
    w.u32(static_cast<uint32_t>(t.direction));
    w.u64(t.hostOffset);
    w.u64(t.deviceOffset);
    w.u64(t.bytes);
  }
  w.u32(static_cast<uint32_t>(code.launches.size()));
  for (const GpuLaunch &l : code.launches) {
    w.u32(l.kernel);
    for (uint32_t g : l.grid)
      w.u32(g);
    for (uint32_t b : l.block)
      w.u32(b);
    w.u32(l.dynamicSharedBytes);
    w.string(l.label);
    w.u32(static_cast<uint32_t>(l.args.size()));
    for (const GpuArg &a : l.args) {
      w.u32(static_cast<uint32_t>(a.kind));
      w.u64(a.value);
    }
  }
  return std::move(w.out);
}

StatusOr<GpuCode> decodeGpuCode(const uint8_t *data, size_t size) {
  using R = StatusOr<GpuCode>;
  Reader r{data, data + size};
  uint32_t magic, version, flags;
  if (!r.u32(magic) || magic != kGpuCodeMagic)
    return R::error("the gpu-code section is not Tessel GPU code",
                    ErrorKind::Format);
  if (!r.u32(version) || version != kGpuCodeVersion)
    return R::error("gpu-code version " + std::to_string(version) +
                        " is not supported (this runtime reads version 1)",
                    ErrorKind::Version);
  GpuCode code;
  if (!r.u32(code.smVersion) || !r.u32(flags) || !r.u64(code.arenaBytes))
    return R(formatError("truncated header"));
  if (code.smVersion < 10 || code.smVersion > 1000)
    return R(formatError("bad compute capability " +
                         std::to_string(code.smVersion)));
  if (flags != 0)
    return R(formatError("unknown flags"));

  uint32_t n;
  if (!r.count(n, 12))
    return R(formatError("bad module count"));
  for (uint32_t i = 0; i < n; ++i) {
    GpuModule m;
    uint64_t ptxSize;
    if (!r.string(m.name, 4096) || !r.u64(ptxSize) || !r.bytes(ptxSize, m.ptx))
      return R(formatError("module " + std::to_string(i) + " is truncated"));
    if (m.ptx.empty() || std::memchr(m.ptx.data(), 0, m.ptx.size()))
      return R(formatError("module " + std::to_string(i) +
                           " is not PTX text (empty, or NUL bytes)"));
    code.modules.push_back(std::move(m));
  }
  if (!r.count(n, 8))
    return R(formatError("bad kernel count"));
  for (uint32_t i = 0; i < n; ++i) {
    GpuKernel k;
    if (!r.u32(k.module) || !r.string(k.name, 1024) || k.name.empty())
      return R(formatError("kernel " + std::to_string(i) + " is truncated"));
    code.kernels.push_back(std::move(k));
  }
  if (!r.count(n, 28))
    return R(formatError("bad transfer count"));
  for (uint32_t i = 0; i < n; ++i) {
    GpuTransfer t;
    uint32_t dir;
    if (!r.u32(dir) || !r.u64(t.hostOffset) || !r.u64(t.deviceOffset) ||
        !r.u64(t.bytes))
      return R(formatError("transfer " + std::to_string(i) + " is truncated"));
    if (dir != 1 && dir != 2)
      return R(formatError("transfer " + std::to_string(i) +
                           " has an unknown direction " + std::to_string(dir)));
    t.direction = static_cast<GpuTransfer::Direction>(dir);
    code.transfers.push_back(t);
  }
  if (!r.count(n, 36))
    return R(formatError("bad launch count"));
  for (uint32_t i = 0; i < n; ++i) {
    GpuLaunch l;
    uint32_t argCount;
    bool ok = r.u32(l.kernel);
    for (uint32_t &g : l.grid)
      ok = ok && r.u32(g);
    for (uint32_t &b : l.block)
      ok = ok && r.u32(b);
    ok = ok && r.u32(l.dynamicSharedBytes) && r.string(l.label, 1 << 16) &&
         r.count(argCount, 12) && argCount <= 256;
    for (uint32_t a = 0; ok && a < argCount; ++a) {
      GpuArg arg;
      uint32_t kind;
      ok = r.u32(kind) && r.u64(arg.value) && kind >= 1 && kind <= 4;
      arg.kind = static_cast<GpuArgKind>(kind);
      l.args.push_back(arg);
    }
    if (!ok)
      return R(formatError("launch " + std::to_string(i) +
                           " is truncated or has a bad argument"));
    code.launches.push_back(std::move(l));
  }
  if (r.left())
    return R(formatError(std::to_string(r.left()) + " trailing bytes"));
  return code;
}

Status validateGpuCode(const GpuCode &code, uint64_t weightsBytes,
                       uint64_t hostBytes) {
  auto error = [](const std::string &what) {
    return Status::error("invalid GPU program: " + what, ErrorKind::Format);
  };
  for (size_t i = 0; i < code.kernels.size(); ++i)
    if (code.kernels[i].module >= code.modules.size())
      return error("kernel " + std::to_string(i) + " ('" +
                   code.kernels[i].name + "') names module " +
                   std::to_string(code.kernels[i].module) + " of " +
                   std::to_string(code.modules.size()));
  auto inside = [](uint64_t offset, uint64_t bytes, uint64_t size) {
    return offset <= size && bytes <= size - offset;
  };
  for (size_t i = 0; i < code.transfers.size(); ++i) {
    const GpuTransfer &t = code.transfers[i];
    if (!inside(t.hostOffset, t.bytes, hostBytes) ||
        !inside(t.deviceOffset, t.bytes, code.arenaBytes))
      return error("transfer " + std::to_string(i) + " of " +
                   std::to_string(t.bytes) +
                   " bytes lies outside the host arena (" +
                   std::to_string(hostBytes) + " bytes) or the device arena (" +
                   std::to_string(code.arenaBytes) + " bytes)");
  }
  for (size_t i = 0; i < code.launches.size(); ++i) {
    const GpuLaunch &l = code.launches[i];
    std::string what = "launch " + std::to_string(i) +
                       (l.label.empty() ? "" : " ('" + l.label + "')");
    if (l.kernel >= code.kernels.size())
      return error(what + " names kernel " + std::to_string(l.kernel) +
                   " of " + std::to_string(code.kernels.size()));
    uint64_t threads = 1;
    for (int d = 0; d < 3; ++d) {
      if (l.grid[d] < 1 || l.grid[d] > GpuLimits::kMaxGridDim[d])
        return error(what + ": grid dimension " + "xyz"[d] + " = " +
                     std::to_string(l.grid[d]) + " is outside [1, " +
                     std::to_string(GpuLimits::kMaxGridDim[d]) + "]");
      if (l.block[d] < 1 || l.block[d] > GpuLimits::kMaxBlockDim[d])
        return error(what + ": block dimension " + "xyz"[d] + " = " +
                     std::to_string(l.block[d]) + " is outside [1, " +
                     std::to_string(GpuLimits::kMaxBlockDim[d]) + "]");
      threads *= l.block[d];
    }
    if (threads > GpuLimits::kMaxThreadsPerBlock)
      return error(what + ": " + std::to_string(threads) +
                   " threads per block (at most " +
                   std::to_string(GpuLimits::kMaxThreadsPerBlock) + ")");
    if (l.dynamicSharedBytes > GpuLimits::kMaxDynamicSharedBytes)
      return error(what + ": " + std::to_string(l.dynamicSharedBytes) +
                   " bytes of dynamic shared memory (at most " +
                   std::to_string(GpuLimits::kMaxDynamicSharedBytes) + ")");
    for (size_t a = 0; a < l.args.size(); ++a) {
      const GpuArg &arg = l.args[a];
      if ((arg.kind == GpuArgKind::Arena && arg.value >= code.arenaBytes) ||
          (arg.kind == GpuArgKind::Weights && arg.value >= weightsBytes))
        return error(what + ": argument " + std::to_string(a) +
                     " points outside the " +
                     (arg.kind == GpuArgKind::Arena ? "device arena"
                                                    : "weights") +
                     " (offset " + std::to_string(arg.value) + ")");
    }
  }
  return Status::ok();
}

} // namespace tessel::rt
