//===- Program.cpp - NPU programs, the assembler and the disassembler -----===//
#include "tessel/Target/NPU/Program.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace tessel::npu {

int32_t Program::layerAt(uint32_t core, uint32_t index) const {
  int32_t layer = -1;
  // Marks are sorted by (core, index); find the last one at or before.
  auto it = std::upper_bound(
      marks.begin(), marks.end(), std::make_pair(core, index),
      [](const std::pair<uint32_t, uint32_t> &k, const LayerMark &m) {
        return k.first < m.core || (k.first == m.core && k.second < m.index);
      });
  if (it != marks.begin()) {
    --it;
    if (it->core == core)
      layer = static_cast<int32_t>(it->layer);
  }
  return layer;
}

size_t Program::size() const {
  size_t n = 0;
  for (const auto &s : streams)
    n += s.size();
  return n;
}

void ProgramBuilder::useCore(uint32_t core) {
  if (program_.streams.size() <= core)
    program_.streams.resize(core + 1);
}

Status ProgramBuilder::emit(uint32_t core, const Instr &instr) {
  if (core >= kMaxCores)
    return Status::error("core index " + std::to_string(core) +
                         " is out of range");
  Word w;
  if (Status s = encode(instr, w); !s)
    return s;
  emitWord(core, w);
  return Status::ok();
}

void ProgramBuilder::emitWord(uint32_t core, const Word &word) {
  useCore(core);
  program_.streams[core].push_back(word);
}

uint32_t ProgramBuilder::nextIndex(uint32_t core) const {
  return core < program_.streams.size()
             ? static_cast<uint32_t>(program_.streams[core].size())
             : 0;
}

void ProgramBuilder::beginLayer(uint32_t core, const std::string &name) {
  useCore(core);
  uint32_t id = 0;
  auto it =
      std::find(program_.layerNames.begin(), program_.layerNames.end(), name);
  if (it == program_.layerNames.end()) {
    id = static_cast<uint32_t>(program_.layerNames.size());
    program_.layerNames.push_back(name);
  } else {
    id = static_cast<uint32_t>(it - program_.layerNames.begin());
  }
  LayerMark m{core, nextIndex(core), id};
  // Keep (core, index) sorted; a later mark at the same index replaces.
  auto pos = std::lower_bound(program_.marks.begin(), program_.marks.end(), m,
                              [](const LayerMark &a, const LayerMark &b) {
                                return a.core < b.core ||
                                       (a.core == b.core && a.index < b.index);
                              });
  if (pos != program_.marks.end() && pos->core == core && pos->index == m.index)
    *pos = m;
  else
    program_.marks.insert(pos, m);
}

//===----------------------------------------------------------------------===//
// Assembler
//===----------------------------------------------------------------------===//

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool parseU64(std::string_view s, uint64_t &out) {
  if (s.empty())
    return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    if (v > (UINT64_MAX - d) / base)
      return false;
    v = v * base + d;
  }
  out = v;
  return true;
}

std::vector<std::string_view> splitWs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != ',')
      ++j;
    if (j > i)
      out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

} // namespace

StatusOr<Program> assemble(std::string_view text, std::string_view fileName) {
  ProgramBuilder b;
  uint32_t core = 0;
  size_t lineNo = 0;
  size_t pos = 0;
  auto err = [&](const std::string &msg) {
    return StatusOr<Program>::error(std::string(fileName) + ":" +
                                    std::to_string(lineNo) + ": " + msg);
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineNo;
    if (size_t c = line.find_first_of("#;"); c != std::string_view::npos)
      line = line.substr(0, c);
    // "/*N*/" index prefixes printed by the disassembler are ignored.
    line = trim(line);
    if (line.size() > 2 && line.substr(0, 2) == "/*") {
      size_t end = line.find("*/");
      if (end == std::string_view::npos)
        return err("unterminated '/*'");
      line = trim(line.substr(end + 2));
    }
    if (line.empty())
      continue;
    if (line[0] == '.') {
      std::vector<std::string_view> parts = splitWs(line);
      std::string_view dir = parts[0];
      if (dir == ".core") {
        uint64_t n;
        if (parts.size() != 2 || !parseU64(parts[1], n) || n >= kMaxCores)
          return err(".core needs a core number 0.." +
                     std::to_string(kMaxCores - 1));
        core = static_cast<uint32_t>(n);
        b.useCore(core);
        continue;
      }
      if (dir == ".layer") {
        if (parts.size() != 2)
          return err(".layer needs one name without spaces");
        b.beginLayer(core, std::string(parts[1]));
        continue;
      }
      if (dir == ".word") {
        if (parts.size() != 1 + kInstrWords)
          return err(".word needs " + std::to_string(kInstrWords) +
                     " 32-bit values");
        Word w{};
        for (unsigned i = 0; i < kInstrWords; ++i) {
          uint64_t v;
          if (!parseU64(parts[1 + i], v) || v > UINT32_MAX)
            return err("'" + std::string(parts[1 + i]) +
                       "' is not a 32-bit value");
          setWordAt(w, i, static_cast<uint32_t>(v));
        }
        b.emitWord(core, w);
        continue;
      }
      return err("unknown directive '" + std::string(dir) +
                 "' (.core, .layer, .word)");
    }
    StatusOr<Instr> instr = parseInstr(line);
    if (!instr)
      return err(instr.message());
    if (Status s = b.emit(core, *instr); !s)
      return err(s.message());
  }
  return b.take();
}

//===----------------------------------------------------------------------===//
// Disassembler
//===----------------------------------------------------------------------===//

std::string disassembleProgram(const Program &program, DisasmOptions options) {
  std::string out;
  size_t mark = 0;
  for (uint32_t core = 0; core < program.numCores(); ++core) {
    out += ".core " + std::to_string(core) + "\n";
    const auto &stream = program.streams[core];
    while (mark < program.marks.size() && program.marks[mark].core < core)
      ++mark;
    for (uint32_t i = 0; i <= stream.size(); ++i) {
      while (mark < program.marks.size() && program.marks[mark].core == core &&
             program.marks[mark].index == i) {
        uint32_t id = program.marks[mark].layer;
        out += ".layer " +
               (id < program.layerNames.size() ? program.layerNames[id]
                                               : std::string("?")) +
               "\n";
        ++mark;
      }
      if (i == stream.size())
        break;
      std::string prefix = "  ";
      if (options.indices)
        prefix = "  /*" + std::to_string(i) + "*/ ";
      StatusOr<Instr> instr = decode(stream[i]);
      if (instr) {
        out += prefix + disassemble(*instr) + "\n";
        continue;
      }
      out += prefix + ".word";
      for (unsigned w = 0; w < kInstrWords; ++w) {
        char buf[16];
        snprintf(buf, sizeof(buf), " 0x%08x", wordAt(stream[i], w));
        out += buf;
      }
      out += "  # " + instr.message() + "\n";
    }
    // Marks past the end of the stream (a trailing .layer) are kept.
  }
  return out;
}

} // namespace tessel::npu
