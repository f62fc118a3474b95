//===- tessel-npu.cpp - Assemble, disassemble, simulate and pack NPU code -===//
//
//   tessel-npu chips [--chip-file F] [--show NAME]
//   tessel-npu asm prog.s -o prog.tsl [--chip NAME] [--raw]
//   tessel-npu disasm prog.tsl|prog.bin [--raw] [--indices]
//   tessel-npu sim prog.s|prog.tsl [--chip NAME] [--ddr-size N]
//              [--ddr-init FILE@OFFSET]... [--dump OFFSET:SIZE[:FILE]]...
//              [--trace F] [--profile] [--profile-json F] [--batch N]
//              [--instances N] [--no-hazard-checks] [--max-instructions N]
//   tessel-npu pack prog.s -o model.tsl --arena-size N [--chip NAME]
//              [--weights FILE@OFFSET]
//              [--input NAME:DTYPE:DIMS:OFFSET[:LAYOUT[:SCALE:ZP]]]...
//              [--output NAME:DTYPE:DIMS:OFFSET[:LAYOUT[:SCALE:ZP]]]...
//              [--option KEY=VALUE]...
//
// MLIR-free: it links only the NPU library and the runtime.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/Container.h"
#include "tessel/Runtime/Simulator.h"
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Program.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace tessel;
using namespace tessel::npu;

namespace {

const char *kUsage =
    "usage: tessel-npu <command> [options]\n"
    "commands:\n"
    "  chips [--chip-file F] [--show NAME]   list the chip models\n"
    "  asm PROG.s -o OUT [--chip NAME] [--raw]\n"
    "                                        assemble (OUT is a .tsl holding "
    "the\n"
    "                                        program, or raw 64-byte words "
    "of\n"
    "                                        core 0 with --raw)\n"
    "  disasm FILE [--raw] [--indices]       disassemble a .tsl or raw "
    "words\n"
    "  sim PROG [--chip NAME] [--ddr-size N] [--ddr-init FILE@OFF]...\n"
    "      [--dump OFF:SIZE[:FILE]]... [--trace F] [--profile]\n"
    "      [--profile-json F] [--batch N] [--instances N]\n"
    "      [--no-hazard-checks] [--max-instructions N]\n"
    "                                        run a .s or .tsl program on the\n"
    "                                        simulator and print its summary\n"
    "  pack PROG.s -o MODEL.tsl --arena-size N [--chip NAME]\n"
    "      [--weights FILE@OFF] [--input SPEC]... [--output SPEC]...\n"
    "      [--option KEY=VALUE]...           build a deployable binary; SPEC "
    "is\n"
    "                                        NAME:DTYPE:DIMS:OFFSET[:LAYOUT"
    "[:SCALE:ZP]]\n"
    "                                        with DIMS like 1x36x32x32\n"
    "  encoding                              print the field tables of every\n"
    "                                        instruction (as in "
    "docs/npu-isa.md)\n"
    "common options: --chip-file F (more chip definitions)\n";

int fail(const std::string &msg) {
  fprintf(stderr, "tessel-npu: error: %s\n", msg.c_str());
  return 1;
}

bool readFile(const std::string &path, std::vector<uint8_t> &out) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return false;
  out.assign(std::istreambuf_iterator<char>(f),
             std::istreambuf_iterator<char>());
  return true;
}

bool writeFile(const std::string &path, const void *data, size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f)
    return false;
  f.write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(f);
}

bool parseU64(const std::string &s, uint64_t &out) {
  if (s.empty() || s[0] == '-')
    return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

/// Parsed command line: positional arguments and --key value options.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  std::string error;

  const std::string *get(const std::string &key) const {
    const std::string *v = nullptr;
    for (const auto &o : options)
      if (o.first == key)
        v = &o.second;
    return v;
  }
  std::vector<std::string> all(const std::string &key) const {
    std::vector<std::string> v;
    for (const auto &o : options)
      if (o.first == key)
        v.push_back(o.second);
    return v;
  }
  bool has(const std::string &key) const { return get(key) != nullptr; }
};

Args parseArgs(int argc, char **argv, int first,
               const std::vector<std::string> &flags,
               const std::vector<std::string> &valued) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-') {
      std::string key = s, value;
      if (size_t eq = s.find('='); eq != std::string::npos) {
        key = s.substr(0, eq);
        value = s.substr(eq + 1);
      }
      if (key == "-o")
        key = "--output-file";
      bool isFlag = false, isValued = false;
      for (const std::string &f : flags)
        isFlag |= f == key;
      for (const std::string &v : valued)
        isValued |= v == key;
      if (isFlag) {
        a.options.push_back({key, "1"});
      } else if (isValued) {
        if (value.empty() && s.find('=') == std::string::npos) {
          if (i + 1 >= argc) {
            a.error = "option " + key + " needs a value";
            return a;
          }
          value = argv[++i];
        }
        a.options.push_back({key, value});
      } else {
        a.error = "unknown option '" + s + "'";
        return a;
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

/// The chip registry with any --chip-file definitions added.
bool loadRegistry(const Args &a, ChipRegistry &r, std::string &err) {
  for (const std::string &f : a.all("--chip-file"))
    if (Status s = r.addFile(f); !s) {
      err = s.message();
      return false;
    }
  return true;
}

const ChipModel *chooseChip(const Args &a, const ChipRegistry &r,
                            const std::string &fallback, std::string &err) {
  std::string name = a.has("--chip") ? *a.get("--chip") : fallback;
  if (name.empty())
    return &r.defaultChip();
  const ChipModel *c = r.find(name);
  if (!c) {
    std::string known;
    for (const ChipModel &m : r.chips())
      known += (known.empty() ? "" : ", ") + m.name;
    err = "unknown chip '" + name + "' (known: " + known + ")";
  }
  return c;
}

/// A program from a .s file, a .tsl file (its first NPU program) or raw
/// words (--raw). `chipName` gets the chip a .tsl names.
bool loadProgram(const std::string &path, bool raw, Program &out,
                 std::string &chipName, std::string &err,
                 uint64_t *fingerprint = nullptr) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes)) {
    err = "cannot read '" + path + "'";
    return false;
  }
  if (raw) {
    if (bytes.size() % kInstrBytes) {
      err = "'" + path + "' is not a whole number of 64-byte instructions (" +
            std::to_string(bytes.size()) + " bytes)";
      return false;
    }
    out.streams.assign(1, {});
    for (size_t i = 0; i < bytes.size(); i += kInstrBytes) {
      Word w;
      std::memcpy(w.data(), &bytes[i], kInstrBytes);
      out.streams[0].push_back(w);
    }
    return true;
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), rt::kMagic, 8) == 0) {
    StatusOr<rt::LoadedBinary> b = rt::readBinary(bytes.data(), bytes.size());
    if (!b) {
      err = path + ": " + b.message();
      return false;
    }
    if (b->model.npuPrograms.empty()) {
      err = path + ": the binary holds no NPU program";
      return false;
    }
    out = b->model.npuPrograms.front();
    chipName = b->model.chip;
    if (fingerprint)
      *fingerprint = b->model.chipFingerprint;
    return true;
  }
  StatusOr<Program> p =
      assemble(std::string_view(reinterpret_cast<const char *>(bytes.data()),
                                bytes.size()),
               path);
  if (!p) {
    err = p.message();
    return false;
  }
  out = p.take();
  return true;
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

int cmdChips(int argc, char **argv) {
  Args a = parseArgs(argc, argv, 2, {}, {"--chip-file", "--show"});
  if (!a.error.empty())
    return fail(a.error);
  ChipRegistry r;
  std::string err;
  if (!loadRegistry(a, r, err))
    return fail(err);
  if (const std::string *show = a.get("--show")) {
    const ChipModel *c = r.find(*show);
    if (!c)
      return fail("unknown chip '" + *show + "'");
    printf("%s", c->toText().c_str());
    printf("# fingerprint %016" PRIx64 ", usable VTCM %" PRIu64
           " bytes, peak %.2f int8 TOPS\n",
           c->fingerprint(), c->usableVtcmBytes(), c->peakTops(DType::I8));
    return 0;
  }
  printf("%s", r.listText().c_str());
  return 0;
}

int cmdAsm(int argc, char **argv) {
  Args a = parseArgs(argc, argv, 2, {"--raw"},
                     {"--output-file", "--chip", "--chip-file"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1 || !a.has("--output-file"))
    return fail("usage: tessel-npu asm PROG.s -o OUT [--chip NAME] [--raw]");
  Program p;
  std::string chipName, err;
  if (!loadProgram(a.positional[0], false, p, chipName, err))
    return fail(err);
  const std::string &out = *a.get("--output-file");
  if (a.has("--raw")) {
    if (p.numCores() > 1)
      return fail("--raw writes one stream, but the program has " +
                  std::to_string(p.numCores()) + " cores");
    std::vector<uint8_t> bytes;
    for (const auto &s : p.streams)
      for (const Word &w : s)
        bytes.insert(bytes.end(), w.begin(), w.end());
    if (!writeFile(out, bytes.data(), bytes.size()))
      return fail("cannot write '" + out + "'");
    return 0;
  }
  ChipRegistry r;
  if (!loadRegistry(a, r, err))
    return fail(err);
  const ChipModel *chip = chooseChip(a, r, "", err);
  if (!chip)
    return fail(err);
  rt::ModelBinary m;
  m.target = rt::TargetKind::Npu;
  m.chip = chip->name;
  m.chipFingerprint = chip->fingerprint();
  m.producer = "tessel-npu asm 0.1.0";
  m.hasPlan = false;
  m.npuPrograms.push_back(std::move(p));
  if (Status s = rt::writeBinaryFile(m, out); !s)
    return fail(s.message());
  return 0;
}

int cmdDisasm(int argc, char **argv) {
  Args a = parseArgs(argc, argv, 2, {"--raw", "--indices"}, {});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: tessel-npu disasm FILE [--raw] [--indices]");
  std::vector<uint8_t> bytes;
  if (!readFile(a.positional[0], bytes))
    return fail("cannot read '" + a.positional[0] + "'");
  DisasmOptions o;
  o.indices = a.has("--indices");
  if (!a.has("--raw") && bytes.size() >= 8 &&
      std::memcmp(bytes.data(), rt::kMagic, 8) == 0) {
    StatusOr<rt::LoadedBinary> b = rt::readBinary(bytes.data(), bytes.size());
    if (!b)
      return fail(a.positional[0] + ": " + b.message());
    const auto &progs = b->model.npuPrograms;
    for (size_t i = 0; i < progs.size(); ++i) {
      if (progs.size() > 1)
        printf("# program %zu\n", i);
      printf("%s", disassembleProgram(progs[i], o).c_str());
    }
    return 0;
  }
  Program p;
  std::string chipName, err;
  if (!loadProgram(a.positional[0], true, p, chipName, err))
    return fail(err);
  printf("%s", disassembleProgram(p, o).c_str());
  return 0;
}

int cmdSim(int argc, char **argv) {
  Args a = parseArgs(
      argc, argv, 2, {"--profile", "--no-hazard-checks", "--raw"},
      {"--chip", "--chip-file", "--ddr-size", "--ddr-init", "--dump", "--trace",
       "--profile-json", "--batch", "--instances", "--max-instructions"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1)
    return fail("usage: tessel-npu sim PROG [options] (see tessel-npu "
                "--help)");
  Program prog;
  std::string binChip, err;
  uint64_t binFingerprint = 0;
  if (!loadProgram(a.positional[0], a.has("--raw"), prog, binChip, err,
                   &binFingerprint))
    return fail(err);
  ChipRegistry r;
  if (!loadRegistry(a, r, err))
    return fail(err);
  const ChipModel *chip = chooseChip(a, r, binChip, err);
  if (!chip)
    return fail(err);
  // A .tsl was built for one chip: running it on another is refused.
  if (!binChip.empty()) {
    if (chip->name != binChip)
      return fail(a.positional[0] + " was built for chip '" + binChip +
                  "' and cannot run on chip '" + chip->name +
                  "'; reassemble it with --chip=" + chip->name);
    if (chip->fingerprint() != binFingerprint)
      return fail(a.positional[0] + " was built for a different chip '" +
                  binChip +
                  "' (fingerprint mismatch); reassemble it, or "
                  "pass the chip file it was built with");
  }

  uint64_t ddrSize = 16 << 20;
  if (const std::string *v = a.get("--ddr-size"))
    if (!parseU64(*v, ddrSize) || ddrSize == 0 || ddrSize > chip->ddrBytes)
      return fail("--ddr-size needs a size in (0, " +
                  std::to_string(chip->ddrBytes) + "]");
  sim::DdrMemory ddr;
  if (Status s = ddr.addOwned(0, ddrSize); !s)
    return fail(s.message());
  for (const std::string &spec : a.all("--ddr-init")) {
    size_t at = spec.rfind('@');
    uint64_t off = 0;
    if (at == std::string::npos || !parseU64(spec.substr(at + 1), off))
      return fail("--ddr-init needs FILE@OFFSET, not '" + spec + "'");
    std::vector<uint8_t> bytes;
    if (!readFile(spec.substr(0, at), bytes))
      return fail("cannot read '" + spec.substr(0, at) + "'");
    if (!ddr.write(off, bytes.data(), bytes.size()))
      return fail("--ddr-init " + spec + ": " + std::to_string(bytes.size()) +
                  " bytes at " + std::to_string(off) +
                  " do not fit the DDR of " + std::to_string(ddrSize) +
                  " bytes");
  }
  sim::SimOptions so;
  so.checkHazards = !a.has("--no-hazard-checks");
  so.keepRecords = a.has("--trace");
  if (const std::string *v = a.get("--max-instructions"))
    if (!parseU64(*v, so.maxInstructions) || !so.maxInstructions)
      return fail("--max-instructions needs a positive count");
  sim::SummaryOptions sum;
  uint64_t n;
  if (const std::string *v = a.get("--batch")) {
    if (!parseU64(*v, n) || !n || n > (1u << 20))
      return fail("--batch needs a positive count");
    sum.batch = static_cast<uint32_t>(n);
  }
  if (const std::string *v = a.get("--instances")) {
    if (!parseU64(*v, n) || !n || n > (1u << 20))
      return fail("--instances needs a positive count");
    sum.instances = static_cast<uint32_t>(n);
  }

  sim::Simulator simulator(*chip, so);
  sim::SimResult result;
  Status st = simulator.run(prog, ddr, result);
  // Reports are written even after a fault: they show what ran.
  if (const std::string *t = a.get("--trace")) {
    std::string json = sim::chromeTraceJson(*chip, prog, result);
    if (!writeFile(*t, json.data(), json.size()))
      return fail("cannot write '" + *t + "'");
  }
  if (const std::string *p = a.get("--profile-json")) {
    std::string json = sim::profileJson(*chip, prog, result, sum);
    if (!writeFile(*p, json.data(), json.size()))
      return fail("cannot write '" + *p + "'");
  }
  if (!st) {
    fprintf(stderr, "tessel-npu: fault at cycle %" PRIu64 ": %s\n",
            result.fault ? result.fault->cycle : 0, st.message().c_str());
    return 2;
  }
  printf("%s", sim::summaryText(*chip, result, sum).c_str());
  if (a.has("--profile"))
    printf("\n%s", sim::profileText(*chip, prog, result).c_str());
  for (const std::string &spec : a.all("--dump")) {
    // OFFSET:SIZE[:FILE]
    size_t c1 = spec.find(':');
    size_t c2 = c1 == std::string::npos ? c1 : spec.find(':', c1 + 1);
    uint64_t off, size;
    if (c1 == std::string::npos || !parseU64(spec.substr(0, c1), off) ||
        !parseU64(spec.substr(c1 + 1, c2 == std::string::npos
                                          ? std::string::npos
                                          : c2 - c1 - 1),
                  size))
      return fail("--dump needs OFFSET:SIZE[:FILE], not '" + spec + "'");
    const uint8_t *p = ddr.pointer(off, size, false);
    if (!p)
      return fail("--dump " + spec + " is outside the DDR");
    if (c2 != std::string::npos) {
      if (!writeFile(spec.substr(c2 + 1), p, size))
        return fail("cannot write '" + spec.substr(c2 + 1) + "'");
      continue;
    }
    for (uint64_t i = 0; i < size; i += 16) {
      printf("0x%08" PRIx64 ":", off + i);
      for (uint64_t j = i; j < i + 16 && j < size; ++j)
        printf(" %02x", p[j]);
      printf("\n");
    }
  }
  return 0;
}

bool parseTensorSpec(const std::string &spec, rt::TensorDesc::Role role,
                     rt::TensorDesc &t, std::string &err) {
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ':'))
    parts.push_back(part);
  if (parts.size() != 4 && parts.size() != 5 && parts.size() != 7) {
    err = "tensor spec '" + spec +
          "' must be NAME:DTYPE:DIMS:OFFSET[:LAYOUT[:SCALE:ZP]]";
    return false;
  }
  t.role = role;
  t.name = parts[0];
  if (!rt::parseElemName(parts[1], t.dtype)) {
    err = "unknown element type '" + parts[1] + "' in '" + spec + "'";
    return false;
  }
  std::stringstream ds(parts[2]);
  std::string d;
  while (std::getline(ds, d, 'x')) {
    uint64_t v;
    if (!parseU64(d, v)) {
      err = "bad dims '" + parts[2] + "' in '" + spec + "' (e.g. 1x3x4)";
      return false;
    }
    t.dims.push_back(static_cast<int64_t>(v));
  }
  if (!parseU64(parts[3], t.offset)) {
    err = "bad offset '" + parts[3] + "' in '" + spec + "'";
    return false;
  }
  if (parts.size() >= 5)
    t.layout = parts[4];
  if (parts.size() == 7) {
    char *end = nullptr;
    t.scale = std::strtod(parts[5].c_str(), &end);
    bool okScale = *end == '\0';
    t.zeroPoint = std::strtoll(parts[6].c_str(), &end, 0);
    if (!okScale || *end) {
      err = "bad scale or zero point in '" + spec + "'";
      return false;
    }
    t.hasQuant = true;
  }
  return true;
}

int cmdPack(int argc, char **argv) {
  Args a = parseArgs(argc, argv, 2, {},
                     {"--output-file", "--chip", "--chip-file", "--arena-size",
                      "--weights", "--input", "--output", "--option"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1 || !a.has("--output-file") ||
      !a.has("--arena-size"))
    return fail("usage: tessel-npu pack PROG.s -o MODEL.tsl --arena-size N "
                "[--chip NAME] [--weights FILE@OFF] [--input SPEC]... "
                "[--output SPEC]... [--option KEY=VALUE]...");
  Program prog;
  std::string binChip, err;
  if (!loadProgram(a.positional[0], false, prog, binChip, err))
    return fail(err);
  ChipRegistry r;
  if (!loadRegistry(a, r, err))
    return fail(err);
  const ChipModel *chip = chooseChip(a, r, binChip, err);
  if (!chip)
    return fail(err);
  rt::ModelBinary m;
  m.target = rt::TargetKind::Npu;
  m.chip = chip->name;
  m.chipFingerprint = chip->fingerprint();
  m.producer = "tessel-npu pack 0.1.0";
  m.options.push_back({"chip", chip->name});
  for (const std::string &o : a.all("--option")) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("--option needs KEY=VALUE, not '" + o + "'");
    m.options.push_back({o.substr(0, eq), o.substr(eq + 1)});
  }
  if (!parseU64(*a.get("--arena-size"), m.plan.arenaSize))
    return fail("--arena-size needs a byte count");
  if (const std::string *w = a.get("--weights")) {
    size_t at = w->rfind('@');
    if (at == std::string::npos ||
        !parseU64(w->substr(at + 1), m.plan.weightsOffset))
      return fail("--weights needs FILE@OFFSET, not '" + *w + "'");
    if (!readFile(w->substr(0, at), m.weights))
      return fail("cannot read '" + w->substr(0, at) + "'");
  }
  for (const std::string &s : a.all("--input")) {
    rt::TensorDesc t;
    if (!parseTensorSpec(s, rt::TensorDesc::Role::Input, t, err))
      return fail(err);
    m.tensors.push_back(t);
  }
  for (const std::string &s : a.all("--output")) {
    rt::TensorDesc t;
    if (!parseTensorSpec(s, rt::TensorDesc::Role::Output, t, err))
      return fail(err);
    m.tensors.push_back(t);
  }
  m.npuPrograms.push_back(std::move(prog));
  m.plan.steps.push_back(rt::PlanStep::npu(0, "npu"));
  if (Status s = rt::writeBinaryFile(m, *a.get("--output-file")); !s)
    return fail(s.message());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "chips")
    return cmdChips(argc, argv);
  if (cmd == "asm")
    return cmdAsm(argc, argv);
  if (cmd == "disasm")
    return cmdDisasm(argc, argv);
  if (cmd == "sim")
    return cmdSim(argc, argv);
  if (cmd == "pack")
    return cmdPack(argc, argv);
  if (cmd == "encoding") {
    printf("%s", encodingReference().c_str());
    return 0;
  }
  return fail("unknown command '" + cmd +
              "' (chips, asm, disasm, sim, pack, encoding; --help for usage)");
}
