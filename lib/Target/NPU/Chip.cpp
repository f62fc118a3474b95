//===- Chip.cpp - Parsing, printing and the registry of chip models -------===//
#include "tessel/Target/NPU/Chip.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace tessel::npu {

uint32_t ChipModel::macsPerCycle(DType inType) const {
  switch (inType) {
  case DType::I8:
  case DType::U8:
    return macsI8();
  case DType::I16:
    return macsI16;
  case DType::F16:
    return macsF16;
  default:
    return 0;
  }
}

double ChipModel::peakTops(DType inType) const {
  return 2.0 * macsPerCycle(inType) * cores * clockMHz * 1e6 / 1e12;
}

uint64_t ChipModel::usableVtcmBytes() const {
  return static_cast<uint64_t>(
      std::floor(static_cast<double>(vtcmBytes) * vtcmUsablePercent / 100.0));
}

bool ChipModel::supportsDType(DType t) const {
  return std::find(dtypes.begin(), dtypes.end(), t) != dtypes.end();
}

bool ChipModel::supportsOp(std::string_view op) const {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

double ChipModel::pjPerMac(DType inType) const {
  switch (inType) {
  case DType::I16:
    return pjPerMacI16;
  case DType::F16:
    return pjPerMacF16;
  default:
    return pjPerMacI8;
  }
}

const std::vector<std::string> &knownOps() {
  static const std::vector<std::string> ops = {
      "conv",       "dwconv",     "matmul",     "add",         "sub",
      "mul",        "max",        "min",        "clamp",       "lut",
      "sigmoid",    "tanh",       "exp",        "maxpool",     "avgpool",
      "reduce_sum", "reduce_max", "reduce_min", "reduce_mean", "requant",
      "quant",      "dequant",    "cast",       "layout",      "copy",
      "multicast"};
  return ops;
}

namespace {
/// Collects the element types an instruction computes with.
struct DTypeCollector {
  std::vector<DType> types;
  template <typename T>
  void num(const char *, T &, unsigned, unsigned, unsigned, bool, FieldDefault,
           NumFormat) {}
  void flag(const char *, bool &, unsigned, unsigned) {}
  void dtype(const char *, DType &m, unsigned, unsigned, FieldDefault) {
    types.push_back(m);
  }
  template <typename E>
  void enumeration(const char *, E &, unsigned, unsigned, unsigned,
                   const char *const *, unsigned, FieldDefault, bool) {}
  void addr(const char *, Addr &, unsigned, unsigned, unsigned, FieldDefault) {}
  void reg(const char *, uint8_t &, unsigned, unsigned) {}
  void f32(const char *, float &, unsigned, float) {}
  void perm(const char *, std::array<uint8_t, 4> &, unsigned, unsigned) {}
  void loopIncs(LoopInc (&)[kMaxLoopIncs], unsigned, unsigned) {}
};
} // namespace

Status checkChipSupport(const Instr &instr, const ChipModel &chip) {
  if (const char *feature = featureOf(instr);
      feature && !chip.supportsOp(feature))
    return Status::error("chip " + chip.name + " does not support '" + feature +
                         "'");
  // Instructions that also use a second feature: the requant form of
  // ELTWISE, and a multicast COPY (a copy all the same).
  const char *second = nullptr;
  if (auto *e = std::get_if<EltwiseInstr>(&instr); e && e->requant)
    second = "requant";
  if (auto *c = std::get_if<CopyInstr>(&instr); c && c->coreMask)
    second = "copy";
  if (second && !chip.supportsOp(second))
    return Status::error("chip " + chip.name + " does not support '" +
                         std::string(second) + "'");
  Opcode op = opcodeOf(instr);
  if (op != Opcode::Dma && op != Opcode::Copy && op != Opcode::Layout) {
    DTypeCollector dc;
    std::visit(
        [&](const auto &i) {
          const_cast<std::decay_t<decltype(i)> &>(i).visitFields(dc);
        },
        instr);
    for (DType t : dc.types)
      if (!chip.supportsDType(t))
        return Status::error("chip " + chip.name +
                             " does not support element type " + dtypeName(t));
  }
  uint32_t cores = 0;
  if (auto *d = std::get_if<DmaInstr>(&instr))
    cores = d->coreMask;
  else if (auto *c = std::get_if<CopyInstr>(&instr))
    cores = c->coreMask ? c->coreMask : 1u << c->core;
  if (chip.cores < 32 && (cores >> chip.cores))
    return Status::error("the instruction names cores that chip " + chip.name +
                         " (" + std::to_string(chip.cores) +
                         " cores) does not have");
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Keys
//===----------------------------------------------------------------------===//

namespace {

std::string formatDouble(double v) {
  char buf[64];
  // Integers print as integers; others in the shortest form that reads
  // back exactly.
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  for (int p = 1; p <= 17; ++p) {
    snprintf(buf, sizeof(buf), "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v)
      return buf;
  }
  snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

/// Visits every key of a chip. V has u32/u64/f64/boolean/text/dtypes/ops
/// methods taking (key, member, required).
template <typename V> void visitKeys(ChipModel &c, V &v) {
  v.text("description", c.description, false);
  v.u32("cores", c.cores, true);
  v.f64("clock_mhz", c.clockMHz, true);
  v.u32("matrix.k", c.matrixK, true);
  v.u32("matrix.n", c.matrixN, true);
  v.u32("matrix.i16_macs", c.macsI16, false);
  v.u32("matrix.f16_macs", c.macsF16, false);
  v.u32("matrix.startup_cycles", c.matrixStartupCycles, false);
  v.u32("vector.bytes", c.vectorBytes, true);
  v.u32("vector.startup_cycles", c.vectorStartupCycles, false);
  v.u64("vtcm.bytes", c.vtcmBytes, true);
  v.f64("vtcm.usable_percent", c.vtcmUsablePercent, false);
  v.u32("align.activation", c.alignActivation, false);
  v.u32("align.weight", c.alignWeight, false);
  v.u32("align.vector", c.alignVector, false);
  v.u32("align.dma", c.alignDma, false);
  v.f64("dma.bytes_per_cycle", c.dmaBytesPerCycle, true);
  v.u32("dma.latency_cycles", c.dmaLatencyCycles, true);
  v.u32("dma.burst_bytes", c.dmaBurstBytes, true);
  v.f64("ddr.gbps", c.ddrGBps, true);
  v.u64("ddr.bytes", c.ddrBytes, true);
  v.f64("noc.bytes_per_cycle", c.nocBytesPerCycle, false);
  v.u32("noc.latency_cycles", c.nocLatencyCycles, false);
  v.boolean("multicast", c.multicast, false);
  v.u32("queue_depth", c.queueDepth, false);
  v.dtypes("dtypes", c.dtypes, true);
  v.ops("ops", c.ops, true);
  v.f64("energy.pj_per_mac_i8", c.pjPerMacI8, true);
  v.f64("energy.pj_per_mac_i16", c.pjPerMacI16, false);
  v.f64("energy.pj_per_mac_f16", c.pjPerMacF16, false);
  v.f64("energy.pj_per_ddr_byte", c.pjPerDdrByte, true);
  v.f64("energy.pj_per_vtcm_byte", c.pjPerVtcmByte, false);
  v.f64("energy.static_w", c.staticPowerW, true);
}

struct PrintKeys {
  std::string out;
  bool withDescription = true;
  void line(const char *key, const std::string &value) {
    out += key;
    out += " = ";
    out += value;
    out += '\n';
  }
  void text(const char *key, std::string &m, bool) {
    if (withDescription && !m.empty())
      line(key, m);
  }
  void u32(const char *key, uint32_t &m, bool) { line(key, std::to_string(m)); }
  void u64(const char *key, uint64_t &m, bool) { line(key, std::to_string(m)); }
  void f64(const char *key, double &m, bool) { line(key, formatDouble(m)); }
  void boolean(const char *key, bool &m, bool) { line(key, m ? "yes" : "no"); }
  void dtypes(const char *key, std::vector<DType> &m, bool) {
    std::string s;
    for (DType t : m)
      s += (s.empty() ? "" : ", ") + std::string(dtypeName(t));
    line(key, s);
  }
  void ops(const char *key, std::vector<std::string> &m, bool) {
    std::string s;
    for (const std::string &o : m)
      s += (s.empty() ? "" : ", ") + o;
    line(key, s);
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty())
        out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(cur);
  return out;
}

/// Collects the names of all keys.
struct KeyNames {
  std::vector<std::string> names;
  template <typename T> void add(const char *key, T &, bool) {
    names.push_back(key);
  }
  void text(const char *k, std::string &m, bool r) { add(k, m, r); }
  void u32(const char *k, uint32_t &m, bool r) { add(k, m, r); }
  void u64(const char *k, uint64_t &m, bool r) { add(k, m, r); }
  void f64(const char *k, double &m, bool r) { add(k, m, r); }
  void boolean(const char *k, bool &m, bool r) { add(k, m, r); }
  void dtypes(const char *k, std::vector<DType> &m, bool r) { add(k, m, r); }
  void ops(const char *k, std::vector<std::string> &m, bool r) { add(k, m, r); }
};

struct KeyValue {
  std::string value;
  size_t line = 0;
  bool used = false;
};

struct ParseKeys {
  std::vector<std::pair<std::string, KeyValue>> &kv;
  std::string error;
  std::string where; // "file:line" prefix builder
  std::string source;
  size_t sectionLine;

  KeyValue *find(const char *key, bool required) {
    for (auto &p : kv)
      if (p.first == key) {
        p.second.used = true;
        return &p.second;
      }
    if (required)
      fail(sectionLine, std::string("missing required key '") + key + "'");
    return nullptr;
  }
  void fail(size_t line, const std::string &msg) {
    if (error.empty())
      error = source + ":" + std::to_string(line) + ": " + msg;
  }
  bool number(const char *key, const KeyValue &v, double &out) {
    const char *s = v.value.c_str();
    char *end = nullptr;
    double d = std::strtod(s, &end);
    if (v.value.empty() || *end != '\0' || !std::isfinite(d) || d < 0) {
      fail(v.line, std::string("key '") + key +
                       "' needs a non-negative "
                       "number, not '" +
                       v.value + "'");
      return false;
    }
    out = d;
    return true;
  }
  void text(const char *key, std::string &m, bool required) {
    if (KeyValue *v = find(key, required))
      m = v->value;
  }
  void u32(const char *key, uint32_t &m, bool required) {
    double d;
    if (KeyValue *v = find(key, required); v && number(key, *v, d)) {
      if (d != std::floor(d) || d > UINT32_MAX)
        fail(v->line, std::string("key '") + key + "' needs an integer");
      else
        m = static_cast<uint32_t>(d);
    }
  }
  void u64(const char *key, uint64_t &m, bool required) {
    KeyValue *v = find(key, required);
    if (!v)
      return;
    const char *s = v->value.c_str();
    char *end = nullptr;
    unsigned long long x = std::strtoull(s, &end, 0);
    if (v->value.empty() || *end != '\0' || v->value[0] == '-')
      fail(v->line, std::string("key '") + key + "' needs an integer, not '" +
                        v->value + "'");
    else
      m = x;
  }
  void f64(const char *key, double &m, bool required) {
    double d;
    if (KeyValue *v = find(key, required); v && number(key, *v, d))
      m = d;
  }
  void boolean(const char *key, bool &m, bool required) {
    KeyValue *v = find(key, required);
    if (!v)
      return;
    if (v->value == "yes" || v->value == "true" || v->value == "1")
      m = true;
    else if (v->value == "no" || v->value == "false" || v->value == "0")
      m = false;
    else
      fail(v->line, std::string("key '") + key + "' needs yes or no");
  }
  void dtypes(const char *key, std::vector<DType> &m, bool required) {
    KeyValue *v = find(key, required);
    if (!v)
      return;
    m.clear();
    for (const std::string &s : splitList(v->value)) {
      DType t;
      if (!parseDType(s, t)) {
        fail(v->line, "unknown element type '" + s + "' in dtypes");
        return;
      }
      m.push_back(t);
    }
  }
  void ops(const char *key, std::vector<std::string> &m, bool required) {
    KeyValue *v = find(key, required);
    if (!v)
      return;
    m.clear();
    const auto &known = knownOps();
    for (const std::string &s : splitList(v->value)) {
      if (std::find(known.begin(), known.end(), s) == known.end()) {
        std::string all;
        for (const std::string &k : known)
          all += (all.empty() ? "" : ", ") + k;
        fail(v->line, "unknown op '" + s + "' (known: " + all + ")");
        return;
      }
      m.push_back(s);
    }
  }
};

Status validateChip(const ChipModel &c) {
  auto bad = [&](const std::string &msg) {
    return Status::error("chip '" + c.name + "': " + msg);
  };
  if (c.cores < 1 || c.cores > kMaxCores)
    return bad("cores must be 1.." + std::to_string(kMaxCores));
  if (!(c.clockMHz > 0))
    return bad("clock_mhz must be positive");
  if (!c.matrixK || !c.matrixN)
    return bad("matrix.k and matrix.n must be at least 1");
  if (!c.vectorBytes)
    return bad("vector.bytes must be at least 1");
  if (c.vtcmBytes < 64 || c.vtcmBytes > (1ull << 32))
    return bad("vtcm.bytes must be between 64 bytes and 4 GiB");
  if (!(c.vtcmUsablePercent > 0) || c.vtcmUsablePercent > 100)
    return bad("vtcm.usable_percent must be in (0, 100]");
  for (uint32_t a :
       {c.alignActivation, c.alignWeight, c.alignVector, c.alignDma})
    if (a == 0 || (a & (a - 1)))
      return bad("alignments must be powers of two");
  if (!(c.dmaBytesPerCycle > 0) || !(c.ddrGBps > 0) || !c.dmaBurstBytes)
    return bad("dma.bytes_per_cycle, dma.burst_bytes and ddr.gbps must be "
               "positive");
  if (c.cores > 1 && !(c.nocBytesPerCycle > 0))
    return bad("noc.bytes_per_cycle must be positive on a multi-core chip");
  if (c.ddrBytes == 0 || c.ddrBytes > (1ull << 33))
    return bad("ddr.bytes must be between 1 byte and 8 GiB");
  if (c.queueDepth < 1 || c.queueDepth > 4096)
    return bad("queue_depth must be 1..4096");
  for (DType t : {DType::I8, DType::I16, DType::I32})
    if (!c.supportsDType(t))
      return bad(std::string("every chip supports ") + dtypeName(t) +
                 "; add it to dtypes");
  if (c.supportsDType(DType::F16) && !c.macsF16)
    return bad("dtypes lists f16 but matrix.f16_macs is 0");
  if (!c.supportsDType(DType::F16) && c.macsF16)
    return bad("matrix.f16_macs is set but dtypes lacks f16");
  if (!c.macsI16)
    return bad("matrix.i16_macs must be positive (i16 is supported "
               "everywhere)");
  if (c.supportsOp("multicast") && !c.multicast)
    return bad("ops lists multicast but multicast = no");
  if (c.supportsOp("copy") && c.cores < 2)
    return bad("ops lists copy on a single-core chip");
  return Status::ok();
}

} // namespace

std::string ChipModel::toText() const {
  PrintKeys p;
  ChipModel copy = *this;
  visitKeys(copy, p);
  return "[chip " + name + "]\n" + p.out;
}

uint64_t ChipModel::fingerprint() const {
  PrintKeys p;
  p.withDescription = false;
  ChipModel copy = *this;
  visitKeys(copy, p);
  std::string text = name + "\n" + p.out;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

StatusOr<std::vector<ChipModel>> parseChips(std::string_view text,
                                            std::string_view source) {
  std::vector<ChipModel> chips;
  std::string src(source);
  struct Section {
    std::string name;
    size_t line;
    std::vector<std::pair<std::string, KeyValue>> kv;
  };
  std::vector<Section> sections;
  size_t lineNo = 0, pos = 0;
  auto err = [&](size_t line, const std::string &msg) {
    return StatusOr<std::vector<ChipModel>>::error(
        src + ":" + std::to_string(line) + ": " + msg);
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineNo;
    if (size_t c = line.find('#'); c != std::string_view::npos)
      line = line.substr(0, c);
    line = trim(line);
    if (line.empty())
      continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.substr(0, 6) != "[chip ")
        return err(lineNo, "expected a section header '[chip NAME]'");
      std::string name(trim(line.substr(6, line.size() - 7)));
      if (name.empty() || name.find_first_of(" \t") != std::string::npos)
        return err(lineNo, "a chip name is one word");
      for (const Section &s : sections)
        if (s.name == name)
          return err(lineNo, "chip '" + name + "' is defined twice");
      sections.push_back({name, lineNo, {}});
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return err(lineNo, "expected 'key = value'");
    if (sections.empty())
      return err(lineNo, "a key before any '[chip NAME]' section");
    std::string key(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    for (const auto &p : sections.back().kv)
      if (p.first == key)
        return err(lineNo, "key '" + key + "' is given twice");
    sections.back().kv.push_back({key, KeyValue{value, lineNo, false}});
  }
  if (sections.empty())
    return err(lineNo, "no '[chip NAME]' section");
  KeyNames known;
  ChipModel scratch;
  visitKeys(scratch, known);
  for (Section &s : sections) {
    // Unknown keys first: a typo also makes a required key look missing.
    for (const auto &kv : s.kv)
      if (std::find(known.names.begin(), known.names.end(), kv.first) ==
          known.names.end())
        return err(kv.second.line, "unknown key '" + kv.first +
                                       "' (docs/chips.md lists the keys)");
    ChipModel c;
    c.name = s.name;
    ParseKeys p{s.kv, {}, {}, src, s.line};
    visitKeys(c, p);
    if (!p.error.empty())
      return StatusOr<std::vector<ChipModel>>::error(p.error);
    if (Status st = validateChip(c); !st)
      return err(s.line, st.message());
    chips.push_back(std::move(c));
  }
  return chips;
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

ChipRegistry::ChipRegistry() {
  StatusOr<std::vector<ChipModel>> chips =
      parseChips(builtinChipText(), "<builtin chips>");
  // The built-in text is tested; a failure here is a build defect.
  if (!chips) {
    fprintf(stderr, "tessel: built-in chip table is invalid: %s\n",
            chips.message().c_str());
    std::abort();
  }
  chips_ = chips.take();
}

const ChipRegistry &ChipRegistry::builtin() {
  static const ChipRegistry registry;
  return registry;
}

void ChipRegistry::add(ChipModel chip) {
  for (ChipModel &c : chips_) {
    if (c.name == chip.name) {
      c = std::move(chip);
      return;
    }
  }
  chips_.push_back(std::move(chip));
}

Status ChipRegistry::addText(std::string_view text, std::string_view source) {
  StatusOr<std::vector<ChipModel>> chips = parseChips(text, source);
  if (!chips)
    return chips.status();
  for (ChipModel &c : *chips)
    add(std::move(c));
  return Status::ok();
}

Status ChipRegistry::addFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return Status::error("cannot open chip file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return addText(ss.str(), path);
}

const ChipModel *ChipRegistry::find(std::string_view name) const {
  for (const ChipModel &c : chips_)
    if (c.name == name)
      return &c;
  return nullptr;
}

const ChipModel &ChipRegistry::defaultChip() const {
  if (const ChipModel *c = find(kDefaultChip))
    return *c;
  return chips_.front();
}

std::string ChipRegistry::listText() const {
  std::string out;
  char buf[512];
  snprintf(buf, sizeof(buf), "%-10s %5s %6s %9s %9s %9s %10s %8s %-9s  %s\n",
           "chip", "cores", "MHz", "i8 MAC/c", "i8 TOPS", "VTCM KiB",
           "usable KiB", "DDR GB/s", "multicast", "dtypes");
  out += buf;
  for (const ChipModel &c : chips_) {
    std::string dts;
    for (DType t : c.dtypes)
      dts += (dts.empty() ? "" : ",") + std::string(dtypeName(t));
    snprintf(buf, sizeof(buf),
             "%-10s %5u %6.0f %9u %9.2f %9" PRIu64 " %10" PRIu64
             " %8.1f %-9s  %s%s\n",
             c.name.c_str(), c.cores, c.clockMHz, c.macsI8(),
             c.peakTops(DType::I8), c.vtcmBytes / 1024,
             c.usableVtcmBytes() / 1024, c.ddrGBps, c.multicast ? "yes" : "no",
             dts.c_str(), c.name == kDefaultChip ? "  (default)" : "");
    out += buf;
  }
  return out;
}

} // namespace tessel::npu
