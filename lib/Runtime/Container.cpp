//===- Container.cpp - Writing and reading deployable binaries ------------===//
#include "tessel/Runtime/Container.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

namespace tessel::rt {

namespace {

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, f);
  vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

} // namespace

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

const char *targetName(TargetKind t) {
  switch (t) {
  case TargetKind::Npu:
    return "npu";
  case TargetKind::Cpu:
    return "cpu";
  case TargetKind::Gpu:
    return "gpu";
  }
  return "?";
}

bool parseTargetName(const std::string &name, TargetKind &out) {
  for (TargetKind t : {TargetKind::Npu, TargetKind::Cpu, TargetKind::Gpu})
    if (name == targetName(t)) {
      out = t;
      return true;
    }
  return false;
}

const char *sectionName(uint32_t type) {
  switch (static_cast<SectionType>(type)) {
  case SectionType::Meta:
    return "meta";
  case SectionType::Tensors:
    return "tensors";
  case SectionType::Weights:
    return "weights";
  case SectionType::Plan:
    return "plan";
  case SectionType::NpuProgram:
    return "npu-program";
  case SectionType::HostCode:
    return "host-code";
  case SectionType::GpuCode:
    return "gpu-code";
  }
  return "unknown";
}

size_t elemSize(ElemType t) {
  switch (t) {
  case ElemType::I8:
  case ElemType::U8:
  case ElemType::Bool:
    return 1;
  case ElemType::F16:
  case ElemType::BF16:
  case ElemType::I16:
  case ElemType::U16:
    return 2;
  case ElemType::F32:
  case ElemType::I32:
  case ElemType::U32:
    return 4;
  case ElemType::F64:
  case ElemType::I64:
  case ElemType::U64:
    return 8;
  case ElemType::Invalid:
    break;
  }
  return 0;
}

const char *elemName(ElemType t) {
  static const char *names[] = {"invalid", "f32", "f16", "bf16", "f64",
                                "i8",      "u8",  "i16", "u16",  "i32",
                                "u32",     "i64", "u64", "bool"};
  unsigned i = static_cast<unsigned>(t);
  return i < kNumElemTypes ? names[i] : "invalid";
}

bool parseElemName(const std::string &name, ElemType &out) {
  for (unsigned i = 1; i < kNumElemTypes; ++i)
    if (name == elemName(static_cast<ElemType>(i))) {
      out = static_cast<ElemType>(i);
      return true;
    }
  return false;
}

uint64_t TensorDesc::byteSize() const {
  unsigned __int128 n = elemSize(dtype);
  for (int64_t d : dims) {
    if (d < 0)
      return UINT64_MAX;
    n *= static_cast<uint64_t>(d);
    if (n > UINT64_MAX / 2)
      return UINT64_MAX;
  }
  return static_cast<uint64_t>(n);
}

PlanStep PlanStep::npu(uint32_t program, std::string name) {
  PlanStep s;
  s.kind = Kind::Npu;
  s.program = program;
  s.name = std::move(name);
  return s;
}

PlanStep PlanStep::host(uint32_t function, std::vector<uint64_t> args,
                        std::string name) {
  PlanStep s;
  s.kind = Kind::Host;
  s.function = function;
  s.args = std::move(args);
  s.name = std::move(name);
  return s;
}

const std::string *LoadedBinary::meta(const std::string &key) const {
  for (const auto &kv : model.metadata)
    if (kv.first == key)
      return &kv.second;
  if (key.rfind("option.", 0) == 0)
    for (const auto &kv : model.options)
      if ("option." + kv.first == key)
        return &kv.second;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// CRC-32
//===----------------------------------------------------------------------===//

uint32_t crc32(const uint8_t *data, size_t size, uint32_t crc) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i)
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

Status validateModel(const ModelBinary &m, uint64_t weightsSize) {
  if (m.target == TargetKind::Npu && m.chip.empty())
    return Status::error("an NPU binary must name its chip");
  for (size_t i = 0; i < m.npuPrograms.size(); ++i)
    if (m.npuPrograms[i].numCores() > npu::kMaxCores)
      return Status::error(
          fmt("NPU program %zu has more than %u cores", i, npu::kMaxCores));
  if (!m.hasPlan) {
    if (!m.tensors.empty())
      return Status::error("tensors need an execution plan");
    return Status::ok();
  }
  const ExecutionPlan &p = m.plan;
  if (p.arenaSize == 0)
    return Status::error("the execution plan needs a DDR arena (size 0)");
  bool hasWeights = weightsSize > 0;
  uint64_t wBegin = 0, wEnd = 0;
  if (hasWeights) {
    if (p.weightsOffset == ExecutionPlan::kNoWeights)
      return Status::error("the weights have no place in the arena");
    if (p.weightsOffset > p.arenaSize ||
        weightsSize > p.arenaSize - p.weightsOffset)
      return Status::error(fmt("the weights [0x%" PRIx64 ", +%" PRIu64
                               ") do not fit the arena of %" PRIu64 " bytes",
                               p.weightsOffset, weightsSize, p.arenaSize));
    wBegin = p.weightsOffset;
    wEnd = p.weightsOffset + weightsSize;
  }
  std::set<std::string> names[3];
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    const TensorDesc &t = m.tensors[i];
    std::string what = fmt("tensor '%s'", t.name.c_str());
    if (t.name.empty())
      return Status::error(fmt("tensor %zu has no name", i));
    if (t.role != TensorDesc::Role::Input && t.role != TensorDesc::Role::Output)
      return Status::error(what + " is neither an input nor an output");
    if (!names[static_cast<int>(t.role)].insert(t.name).second)
      return Status::error(what + " is declared twice");
    if (elemSize(t.dtype) == 0)
      return Status::error(what + " has an invalid element type");
    if (t.dims.size() > 16)
      return Status::error(what + " has more than 16 dims");
    for (int64_t d : t.dims)
      if (d < 0)
        return Status::error(what + " has a negative dim");
    uint64_t size = t.byteSize();
    if (size == UINT64_MAX || t.offset > p.arenaSize ||
        size > p.arenaSize - t.offset)
      return Status::error(fmt("%s [0x%" PRIx64 ", +%" PRIu64
                               ") does not fit the arena of %" PRIu64 " bytes",
                               what.c_str(), t.offset, size, p.arenaSize));
    if (hasWeights && size && t.offset < wEnd && wBegin < t.offset + size)
      return Status::error(what + " overlaps the weights");
    if (t.hasQuant && !std::isfinite(t.scale))
      return Status::error(what + " has a non-finite quantization scale");
    for (size_t j = 0; j < i; ++j) {
      const TensorDesc &o = m.tensors[j];
      uint64_t os = o.byteSize();
      if (o.role == t.role && size && os && t.offset < o.offset + os &&
          o.offset < t.offset + size)
        return Status::error(
            fmt("%s overlaps tensor '%s'", what.c_str(), o.name.c_str()));
    }
  }
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const PlanStep &s = p.steps[i];
    if (s.kind == PlanStep::Kind::Npu) {
      if (s.program >= m.npuPrograms.size())
        return Status::error(fmt("step %zu ('%s') runs NPU program %u, but "
                                 "the binary has %zu",
                                 i, s.name.c_str(), s.program,
                                 m.npuPrograms.size()));
    } else if (s.kind == PlanStep::Kind::Host) {
      if (s.args.size() > 65536)
        return Status::error(fmt("step %zu has too many arguments", i));
    } else {
      return Status::error(fmt("step %zu has an unknown kind %u", i,
                               static_cast<unsigned>(s.kind)));
    }
  }
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {

struct Out {
  std::vector<uint8_t> b;
  void u8(uint8_t v) { b.push_back(v); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i64(int64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void raw(const void *p, size_t n) {
    const uint8_t *c = static_cast<const uint8_t *>(p);
    b.insert(b.end(), c, c + n);
  }
  void str(const std::string &s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
};

std::vector<uint8_t> metaSection(const ModelBinary &m) {
  std::vector<std::pair<std::string, std::string>> kv;
  kv.push_back({"target", targetName(m.target)});
  kv.push_back({"producer", m.producer});
  if (!m.chip.empty()) {
    kv.push_back({"chip", m.chip});
    kv.push_back({"chip.fingerprint", fmt("%016" PRIx64, m.chipFingerprint)});
  }
  for (const auto &o : m.options)
    kv.push_back({"option." + o.first, o.second});
  for (const auto &o : m.metadata)
    kv.push_back(o);
  Out o;
  o.u32(static_cast<uint32_t>(kv.size()));
  for (const auto &p : kv) {
    o.str(p.first);
    o.str(p.second);
  }
  return o.b;
}

std::vector<uint8_t> tensorsSection(const ModelBinary &m) {
  Out o;
  o.u32(static_cast<uint32_t>(m.tensors.size()));
  for (const TensorDesc &t : m.tensors) {
    o.str(t.name);
    o.u8(static_cast<uint8_t>(t.role));
    o.u8(static_cast<uint8_t>(t.dtype));
    o.u8(static_cast<uint8_t>(t.dims.size()));
    o.u8(t.hasQuant ? 1 : 0);
    for (int64_t d : t.dims)
      o.i64(d);
    o.str(t.layout);
    o.f64(t.hasQuant ? t.scale : 0.0);
    o.i64(t.hasQuant ? t.zeroPoint : 0);
    o.u32(0); // Memory: the DDR arena.
    o.u64(t.offset);
    o.u64(t.byteSize());
  }
  return o.b;
}

std::vector<uint8_t> planSection(const ExecutionPlan &p) {
  Out o;
  o.u64(p.arenaSize);
  o.u64(p.weightsOffset);
  o.u32(static_cast<uint32_t>(p.steps.size()));
  for (const PlanStep &s : p.steps) {
    o.u32(static_cast<uint32_t>(s.kind));
    o.str(s.name);
    if (s.kind == PlanStep::Kind::Npu) {
      o.u32(s.program);
    } else {
      o.u32(s.function);
      o.u32(static_cast<uint32_t>(s.args.size()));
      for (uint64_t a : s.args)
        o.u64(a);
    }
  }
  return o.b;
}

std::vector<uint8_t> programSection(const npu::Program &p) {
  Out o;
  o.u32(p.numCores());
  o.u32(npu::kInstrBytes);
  for (const auto &s : p.streams)
    o.u32(static_cast<uint32_t>(s.size()));
  for (const auto &s : p.streams)
    for (const npu::Word &w : s)
      o.raw(w.data(), w.size());
  o.u32(static_cast<uint32_t>(p.layerNames.size()));
  for (const std::string &n : p.layerNames)
    o.str(n);
  o.u32(static_cast<uint32_t>(p.marks.size()));
  for (const npu::LayerMark &m : p.marks) {
    o.u32(m.core);
    o.u32(m.index);
    o.u32(m.layer);
  }
  return o.b;
}

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

} // namespace

StatusOr<std::vector<uint8_t>> writeBinary(const ModelBinary &m) {
  if (Status s = validateModel(m, m.weights.size()); !s)
    return StatusOr<std::vector<uint8_t>>(s);
  struct Sec {
    uint32_t type, flags, index;
    std::vector<uint8_t> bytes;
  };
  std::vector<Sec> secs;
  secs.push_back({static_cast<uint32_t>(SectionType::Meta), kSectionRequired, 0,
                  metaSection(m)});
  if (m.hasPlan) {
    secs.push_back({static_cast<uint32_t>(SectionType::Tensors),
                    kSectionRequired, 0, tensorsSection(m)});
    secs.push_back({static_cast<uint32_t>(SectionType::Plan), kSectionRequired,
                    0, planSection(m.plan)});
  }
  for (size_t i = 0; i < m.npuPrograms.size(); ++i)
    secs.push_back({static_cast<uint32_t>(SectionType::NpuProgram),
                    kSectionRequired, static_cast<uint32_t>(i),
                    programSection(m.npuPrograms[i])});
  for (const RawSection &r : m.extraSections)
    secs.push_back({r.type, r.flags, r.index, r.bytes});
  // The weights go last: the largest section, at an aligned offset.
  if (!m.weights.empty())
    secs.push_back({static_cast<uint32_t>(SectionType::Weights),
                    kSectionRequired, 0, m.weights});

  uint64_t tableOffset = kHeaderBytes;
  uint64_t pos =
      alignUp(tableOffset + kSectionEntryBytes * secs.size(), kSectionAlign);
  std::vector<uint64_t> offsets;
  for (const Sec &s : secs) {
    offsets.push_back(pos);
    pos = alignUp(pos + s.bytes.size(), kSectionAlign);
  }
  uint64_t fileSize = pos;
  std::vector<uint8_t> file(fileSize, 0);
  auto put32 = [&](uint64_t at, uint32_t v) { std::memcpy(&file[at], &v, 4); };
  auto put64 = [&](uint64_t at, uint64_t v) { std::memcpy(&file[at], &v, 8); };
  for (size_t i = 0; i < secs.size(); ++i) {
    uint64_t e = tableOffset + i * kSectionEntryBytes;
    put32(e + 0, secs[i].type);
    put32(e + 4, secs[i].flags);
    put32(e + 8, secs[i].index);
    put32(e + 12, kSectionAlign);
    put64(e + 16, offsets[i]);
    put64(e + 24, secs[i].bytes.size());
    put32(e + 32, crc32(secs[i].bytes.data(), secs[i].bytes.size()));
    if (!secs[i].bytes.empty())
      std::memcpy(&file[offsets[i]], secs[i].bytes.data(),
                  secs[i].bytes.size());
  }
  std::memcpy(&file[0], kMagic, 8);
  uint16_t major = kFormatMajor, minor = kFormatMinor;
  std::memcpy(&file[8], &major, 2);
  std::memcpy(&file[10], &minor, 2);
  put32(12, kHeaderBytes);
  put64(16, fileSize);
  put64(24, tableOffset);
  put32(32, static_cast<uint32_t>(secs.size()));
  put32(36, kSectionEntryBytes);
  put32(40, 0);
  put32(44, crc32(&file[tableOffset], kSectionEntryBytes * secs.size()));
  put32(60, crc32(&file[0], 60));
  return file;
}

Status writeBinaryFile(const ModelBinary &m, const std::string &path) {
  StatusOr<std::vector<uint8_t>> bytes = writeBinary(m);
  if (!bytes)
    return bytes.status();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f)
    return Status::error("cannot write '" + path + "'");
  f.write(reinterpret_cast<const char *>(bytes->data()),
          static_cast<std::streamsize>(bytes->size()));
  if (!f)
    return Status::error("error while writing '" + path + "'");
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

namespace {

/// A bounds-checked cursor over one section.
struct In {
  const uint8_t *p;
  size_t size, pos = 0;
  std::string section;
  std::string error;

  bool need(size_t n) {
    if (!error.empty())
      return false;
    if (n > size - pos) {
      error = "section " + section +
              " is malformed: it ends in the middle "
              "of a record";
      return false;
    }
    return true;
  }
  template <typename T> T get() {
    T v{};
    if (need(sizeof(T))) {
      std::memcpy(&v, p + pos, sizeof(T));
      pos += sizeof(T);
    }
    return v;
  }
  std::string str() {
    uint32_t n = get<uint32_t>();
    if (!need(n))
      return {};
    std::string s(reinterpret_cast<const char *>(p + pos), n);
    pos += n;
    return s;
  }
  bool done() {
    if (error.empty() && pos != size)
      error = "section " + section + " has " + std::to_string(size - pos) +
              " unexpected trailing bytes";
    return error.empty();
  }
};

} // namespace

namespace {
StatusOr<LoadedBinary> readBinaryImpl(const uint8_t *data, size_t size);
} // namespace

StatusOr<LoadedBinary> readBinary(const uint8_t *data, size_t size) {
  StatusOr<LoadedBinary> r = readBinaryImpl(data, size);
  if (!r && r.status().kind() == ErrorKind::Generic)
    return StatusOr<LoadedBinary>::error(r.message(), ErrorKind::Format);
  return r;
}

namespace {
StatusOr<LoadedBinary> readBinaryImpl(const uint8_t *data, size_t size) {
  using R = StatusOr<LoadedBinary>;
  if (size < 8 || std::memcmp(data, kMagic, 8) != 0)
    return R::error("not a Tessel binary (bad magic number)");
  if (size < kHeaderBytes)
    return R::error(fmt("truncated file: %zu bytes, shorter than the %u-byte "
                        "header",
                        size, kHeaderBytes));
  auto get32 = [&](uint64_t at) {
    uint32_t v;
    std::memcpy(&v, data + at, 4);
    return v;
  };
  auto get64 = [&](uint64_t at) {
    uint64_t v;
    std::memcpy(&v, data + at, 8);
    return v;
  };
  LoadedBinary out;
  std::memcpy(&out.versionMajor, data + 8, 2);
  std::memcpy(&out.versionMinor, data + 10, 2);
  if (get32(60) != crc32(data, 60))
    return R::error("corrupt header: checksum mismatch");
  if (out.versionMajor != kFormatMajor)
    return R::error(fmt("unsupported format version %u.%u (this runtime "
                        "reads version %u.x)",
                        out.versionMajor, out.versionMinor, kFormatMajor),
                    ErrorKind::Version);
  if (get32(12) != kHeaderBytes || get32(36) != kSectionEntryBytes)
    return R::error("corrupt header: unexpected header or table entry size");
  uint64_t fileSize = get64(16);
  if (fileSize != size)
    return R::error(fmt("truncated or padded file: the header says %" PRIu64
                        " bytes, the file has %zu",
                        fileSize, size));
  uint64_t tableOffset = get64(24);
  uint32_t count = get32(32);
  if (count > 4096 || tableOffset > size ||
      static_cast<uint64_t>(count) * kSectionEntryBytes > size - tableOffset)
    return R::error("corrupt header: the section table lies outside the "
                    "file");
  if (get32(44) != crc32(data + tableOffset, count * kSectionEntryBytes))
    return R::error("corrupt section table: checksum mismatch");

  struct Entry {
    uint32_t type, flags, index;
    uint64_t offset, size;
  };
  std::vector<Entry> entries;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t e = tableOffset + uint64_t(i) * kSectionEntryBytes;
    Entry en{get32(e), get32(e + 4), get32(e + 8), get64(e + 16),
             get64(e + 24)};
    std::string what = fmt("section %u (%s)", i, sectionName(en.type));
    if (en.offset > size || en.size > size - en.offset)
      return R::error(what + " lies outside the file (truncated?)");
    if (en.offset % kSectionAlign)
      return R::error(what + " is not 64-byte aligned");
    if (get32(e + 32) != crc32(data + en.offset, en.size))
      return R::error(what + " is corrupt: checksum mismatch");
    entries.push_back(en);
  }

  ModelBinary &m = out.model;
  m.hasPlan = false;
  bool seen[8] = {};
  std::vector<std::pair<uint32_t, npu::Program>> programs;
  bool haveTarget = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry &en = entries[i];
    In in{data + en.offset,
          static_cast<size_t>(en.size),
          0,
          fmt("%zu (%s)", i, sectionName(en.type)),
          {}};
    SectionType type = static_cast<SectionType>(en.type);
    bool singleton = type == SectionType::Meta ||
                     type == SectionType::Tensors ||
                     type == SectionType::Weights || type == SectionType::Plan;
    if (singleton) {
      if (seen[en.type])
        return R::error(
            fmt("the file has two %s sections", sectionName(en.type)));
      seen[en.type] = true;
    }
    switch (type) {
    case SectionType::Meta: {
      uint32_t n = in.get<uint32_t>();
      for (uint32_t k = 0; k < n && in.error.empty(); ++k) {
        std::string key = in.str(), value = in.str();
        if (key == "target") {
          if (!parseTargetName(value, m.target))
            return R::error("unknown target '" + value +
                            "' in the meta "
                            "section");
          haveTarget = true;
        } else if (key == "producer") {
          m.producer = value;
        } else if (key == "chip") {
          m.chip = value;
        } else if (key == "chip.fingerprint") {
          char *end = nullptr;
          m.chipFingerprint = std::strtoull(value.c_str(), &end, 16);
          if (value.empty() || *end)
            return R::error("malformed chip fingerprint '" + value + "'");
        } else if (key.rfind("option.", 0) == 0) {
          m.options.push_back({key.substr(7), value});
        } else {
          m.metadata.push_back({key, value});
        }
      }
      break;
    }
    case SectionType::Tensors: {
      uint32_t n = in.get<uint32_t>();
      if (n > 65536)
        return R::error("the tensors section declares too many tensors");
      for (uint32_t k = 0; k < n && in.error.empty(); ++k) {
        TensorDesc t;
        t.name = in.str();
        t.role = static_cast<TensorDesc::Role>(in.get<uint8_t>());
        uint8_t dt = in.get<uint8_t>();
        uint8_t rank = in.get<uint8_t>();
        uint8_t flags = in.get<uint8_t>();
        if (dt >= kNumElemTypes)
          return R::error(fmt("tensor '%s' has an unknown element type %u",
                              t.name.c_str(), dt));
        t.dtype = static_cast<ElemType>(dt);
        t.hasQuant = flags & 1;
        for (unsigned d = 0; d < rank; ++d)
          t.dims.push_back(in.get<int64_t>());
        t.layout = in.str();
        t.scale = in.get<double>();
        t.zeroPoint = in.get<int64_t>();
        uint32_t memory = in.get<uint32_t>();
        t.offset = in.get<uint64_t>();
        uint64_t bytes = in.get<uint64_t>();
        if (!in.error.empty())
          break;
        if (memory != 0)
          return R::error(fmt("tensor '%s' lives in unknown memory %u",
                              t.name.c_str(), memory));
        if (bytes != t.byteSize())
          return R::error(fmt("tensor '%s' records %" PRIu64 " bytes, but "
                              "its shape and type make %" PRIu64,
                              t.name.c_str(), bytes, t.byteSize()));
        m.tensors.push_back(std::move(t));
      }
      break;
    }
    case SectionType::Weights:
      out.weightsData = data + en.offset;
      out.weightsSize = en.size;
      in.pos = in.size;
      break;
    case SectionType::Plan: {
      m.hasPlan = true;
      m.plan.arenaSize = in.get<uint64_t>();
      m.plan.weightsOffset = in.get<uint64_t>();
      uint32_t n = in.get<uint32_t>();
      if (n > (1u << 20))
        return R::error("the plan declares too many steps");
      for (uint32_t k = 0; k < n && in.error.empty(); ++k) {
        PlanStep s;
        s.kind = static_cast<PlanStep::Kind>(in.get<uint32_t>());
        s.name = in.str();
        if (s.kind == PlanStep::Kind::Npu) {
          s.program = in.get<uint32_t>();
        } else if (s.kind == PlanStep::Kind::Host) {
          s.function = in.get<uint32_t>();
          uint32_t nargs = in.get<uint32_t>();
          if (!in.need(static_cast<size_t>(nargs) * 8))
            break;
          for (uint32_t a = 0; a < nargs; ++a)
            s.args.push_back(in.get<uint64_t>());
        } else {
          return R::error(fmt("plan step %u has an unknown kind %u", k,
                              static_cast<unsigned>(s.kind)));
        }
        m.plan.steps.push_back(std::move(s));
      }
      break;
    }
    case SectionType::NpuProgram: {
      npu::Program p;
      uint32_t cores = in.get<uint32_t>();
      uint32_t instrBytes = in.get<uint32_t>();
      if (in.error.empty() && cores > npu::kMaxCores)
        return R::error(fmt("NPU program %u has %u cores (at most %u)",
                            en.index, cores, npu::kMaxCores));
      if (in.error.empty() && instrBytes != npu::kInstrBytes)
        return R::error(fmt("NPU program %u uses %u-byte instructions; this "
                            "runtime knows %u-byte ones",
                            en.index, instrBytes, npu::kInstrBytes));
      std::vector<uint32_t> counts;
      for (uint32_t k = 0; k < cores && in.error.empty(); ++k)
        counts.push_back(in.get<uint32_t>());
      p.streams.resize(counts.size());
      for (size_t k = 0; k < counts.size() && in.error.empty(); ++k) {
        if (!in.need(static_cast<size_t>(counts[k]) * npu::kInstrBytes))
          break;
        p.streams[k].resize(counts[k]);
        for (npu::Word &w : p.streams[k]) {
          std::memcpy(w.data(), in.p + in.pos, npu::kInstrBytes);
          in.pos += npu::kInstrBytes;
        }
      }
      uint32_t names = in.get<uint32_t>();
      for (uint32_t k = 0; k < names && in.error.empty(); ++k)
        p.layerNames.push_back(in.str());
      uint32_t marks = in.get<uint32_t>();
      if (in.error.empty() && !in.need(static_cast<size_t>(marks) * 12))
        break;
      for (uint32_t k = 0; k < marks && in.error.empty(); ++k) {
        npu::LayerMark mk;
        mk.core = in.get<uint32_t>();
        mk.index = in.get<uint32_t>();
        mk.layer = in.get<uint32_t>();
        if (mk.core >= cores || mk.layer >= p.layerNames.size() ||
            (!p.marks.empty() && (mk.core < p.marks.back().core ||
                                  (mk.core == p.marks.back().core &&
                                   mk.index < p.marks.back().index))))
          return R::error(
              fmt("NPU program %u has a malformed layer table", en.index));
        p.marks.push_back(mk);
      }
      programs.push_back({en.index, std::move(p)});
      break;
    }
    default:
      // Host and GPU code are payloads for executors: kept as they are,
      // required or not.
      if ((en.flags & kSectionRequired) &&
          en.type != static_cast<uint32_t>(SectionType::HostCode) &&
          en.type != static_cast<uint32_t>(SectionType::GpuCode))
        return R::error(fmt("the file needs section type %u (%s), which "
                            "this runtime does not know; it was written by "
                            "a newer or different Tessel",
                            en.type, sectionName(en.type)));
      {
        RawSection r;
        r.type = en.type;
        r.flags = en.flags;
        r.index = en.index;
        r.bytes.assign(data + en.offset, data + en.offset + en.size);
        out.unknownSections.push_back(std::move(r));
      }
      continue;
    }
    if (!in.done())
      return R::error(in.error);
  }
  if (!seen[static_cast<int>(SectionType::Meta)] || !haveTarget)
    return R::error("the file has no meta section naming its target");
  std::sort(programs.begin(), programs.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (size_t i = 0; i < programs.size(); ++i) {
    if (programs[i].first != i)
      return R::error(fmt("NPU programs are numbered 0..%zu, but %u is "
                          "missing or repeated",
                          programs.size() - 1, static_cast<unsigned>(i)));
    m.npuPrograms.push_back(std::move(programs[i].second));
  }
  if (seen[static_cast<int>(SectionType::Tensors)] != m.hasPlan)
    return R::error("tensors and plan sections must come together");
  if (out.weightsSize && !m.hasPlan)
    return R::error("the file has weights but no plan placing them");
  if (Status s = validateModel(m, out.weightsSize); !s)
    return R(s.withContext("invalid binary"));
  return out;
}
} // namespace

} // namespace tessel::rt
