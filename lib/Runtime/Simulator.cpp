//===- Simulator.cpp - Multi-core NPU simulator: dispatch, timing, checks -===//
//
// The run loop is event driven: every engine of every core offers the
// instruction at the head of its queue with the earliest cycle it could
// start (its engine is free, it has been dispatched, the semaphore tokens it
// waits for exist); the earliest offer executes next, functionally and in
// the timing model. Nothing that has not executed yet can start earlier, so
// the order is consistent with the timing, and a run costs O(instructions x
// cores) on top of the functional work.
//
// Races are found with vector clocks: every engine knows how many
// instructions of every other engine are ordered before its own next one
// (through semaphore tokens and barriers). An access that overlaps a recent
// access of another engine not ordered before it, where one of them writes,
// is a hazard.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/Simulator.h"

#include "SimKernels.h"
#include "tessel/Target/NPU/CostModel.h"
#include "tessel/Target/NPU/Operands.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <queue>
#include <unordered_map>

namespace tessel::sim {

using namespace tessel::npu;

//===----------------------------------------------------------------------===//
// DdrMemory
//===----------------------------------------------------------------------===//

DdrMemory::DdrMemory(uint64_t size) {
  if (size)
    (void)addOwned(0, size);
}

Status DdrMemory::addSegment(Segment s) {
  if (s.size == 0)
    return Status::ok();
  if (s.base + s.size < s.base)
    return Status::error("DDR segment wraps around the address space");
  for (const Segment &o : segments_)
    if (s.base < o.base + o.size && o.base < s.base + s.size)
      return Status::error("DDR segments overlap");
  segments_.push_back(s);
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment &a, const Segment &b) { return a.base < b.base; });
  return Status::ok();
}

Status DdrMemory::addOwned(uint64_t base, uint64_t size) {
  if (size == 0)
    return Status::ok();
  std::unique_ptr<uint8_t[]> mem(new (std::nothrow) uint8_t[size]());
  if (!mem)
    return Status::error("cannot allocate " + std::to_string(size) +
                         " bytes of DDR");
  Segment s{base, size, mem.get(), true};
  if (Status st = addSegment(s); !st)
    return st;
  owned_.push_back(std::move(mem));
  return Status::ok();
}

uint64_t DdrMemory::size() const {
  uint64_t end = 0;
  for (const Segment &s : segments_)
    end = std::max(end, s.base + s.size);
  return end;
}

const DdrMemory::Segment *DdrMemory::find(uint64_t addr, uint64_t len) const {
  for (const Segment &s : segments_)
    if (addr >= s.base && addr - s.base <= s.size &&
        len <= s.size - (addr - s.base) && (len > 0 || addr < s.base + s.size))
      return &s;
  return nullptr;
}

uint8_t *DdrMemory::pointer(uint64_t addr, uint64_t len, bool write) const {
  const Segment *s = find(addr, len);
  if (!s || (write && !s->writable))
    return nullptr;
  return s->data + (addr - s->base);
}

bool DdrMemory::write(uint64_t addr, const void *src, uint64_t len) {
  uint8_t *p = pointer(addr, len, true);
  if (!p)
    return false;
  std::memcpy(p, src, len);
  return true;
}

bool DdrMemory::read(uint64_t addr, void *dst, uint64_t len) const {
  uint8_t *p = pointer(addr, len, false);
  if (!p)
    return false;
  std::memcpy(dst, p, len);
  return true;
}

std::string Fault::toString() const {
  std::string s;
  if (core >= 0) {
    s += "core " + std::to_string(core);
    if (index >= 0)
      s += ", instruction " + std::to_string(index);
    if (!disasm.empty())
      s += " (" + disasm + ")";
    s += ": ";
  }
  return s + message;
}

//===----------------------------------------------------------------------===//
// Internals
//===----------------------------------------------------------------------===//

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

constexpr int kDdr = kDdrMemory; ///< Region::mem of DDR; VTCM of core c is c.

/// base + i * s1 + j * s2 + [0, bytes) for i < n1, j < n2.
struct Region {
  int mem = kDdr;
  uint64_t base = 0, n1 = 1, s1 = 0, n2 = 1, s2 = 0, bytes = 0;
  uint64_t hi = 0; ///< One past the last byte (after validation).

  unsigned __int128 wideHi() const {
    using U = unsigned __int128;
    return static_cast<U>(base) + static_cast<U>(n1 - 1) * s1 +
           static_cast<U>(n2 - 1) * s2 + bytes;
  }
  uint64_t rows() const { return n1 * n2; }
  /// Collapses contiguous and broadcast dimensions (after validation).
  void normalize() {
    if (n2 > 1 && s2 == 0)
      n2 = 1;
    if (n1 > 1 && s1 == 0)
      n1 = 1;
    if (n2 > 1 && s2 == bytes) {
      bytes *= n2;
      n2 = 1;
    }
    if (n2 == 1 && n1 > 1 && s1 == bytes) {
      bytes *= n1;
      n1 = 1;
    }
    if (n1 == 1 && n2 > 1) {
      n1 = n2;
      s1 = s2;
      n2 = 1;
    }
    if (n1 == 1)
      s1 = 0;
    if (n2 == 1)
      s2 = 0;
  }
  std::string describe() const {
    std::string m = mem == kDdr ? "DDR" : "VTCM";
    if (mem != kDdr)
      m += fmt(" of core %d", mem);
    return m + fmt(" [0x%" PRIx64 ", 0x%" PRIx64 ")", base, hi);
  }
};

/// Does `y` have bytes in [s, e)? `budget` bounds the work (true if spent).
bool touches(const Region &y, uint64_t s, uint64_t e, uint64_t &budget) {
  if (y.hi <= s || e <= y.base)
    return false;
  if (y.n2 == 1) {
    // Rows of `bytes` every s1: the first row ending after s decides.
    uint64_t i = 0;
    if (y.base + y.bytes <= s)
      i = y.s1 ? (s - y.base - y.bytes) / y.s1 + 1 : y.n1;
    return i < y.n1 && y.base + i * y.s1 < e;
  }
  for (uint64_t i = 0; i < y.n1; ++i) {
    if (budget == 0)
      return true;
    --budget;
    uint64_t b = y.base + i * y.s1;
    if (y.n2 == 1) {
      if (b < e && b + y.bytes > s)
        return true;
      continue;
    }
    uint64_t j = 0;
    if (b + y.bytes <= s)
      j = (s - b - y.bytes) / y.s2 + 1;
    if (j < y.n2 && b + j * y.s2 < e)
      return true;
  }
  return false;
}

/// Exact overlap test of two regions (conservative when very large).
bool overlaps(const Region &a, const Region &b) {
  if (a.mem != b.mem || a.hi <= b.base || b.hi <= a.base)
    return false;
  if (a.rows() == 1 && b.rows() == 1)
    return true;
  const Region &x = a.rows() <= b.rows() ? a : b;
  const Region &y = a.rows() <= b.rows() ? b : a;
  uint64_t budget = 1u << 16;
  for (uint64_t i = 0; i < x.n1; ++i)
    for (uint64_t j = 0; j < x.n2; ++j) {
      uint64_t s = x.base + i * x.s1 + j * x.s2;
      if (touches(y, s, s + x.bytes, budget))
        return true;
      if (budget == 0)
        return true;
    }
  return false;
}

enum class Role : uint8_t { Read, Write, ReadWrite };

struct Operand {
  const char *name;
  Region r;
  Role role;
  uint32_t align;       ///< Required alignment of the base address.
  const char *rule;     ///< Which chip rule asks for `align` (or null).
  uint32_t natural = 1; ///< Element size (compute operands).
  uint8_t *ptr = nullptr;
};

struct Token {
  uint64_t time;
  std::vector<uint64_t> vc;
};
struct TokenLater {
  bool operator()(const Token &a, const Token &b) const {
    return a.time > b.time;
  }
};
using Semaphore = std::priority_queue<Token, std::vector<Token>, TokenLater>;

struct Dyn {
  const Instr *instr;
  uint32_t index;
  uint64_t dispatch;
  uint64_t addr[4];
  uint32_t barrierSeq;
};

struct Access {
  Region r;
  bool write;
  uint32_t engine; ///< Global engine id (core * 3 + engine).
  uint64_t epoch;
  uint32_t core, index;
  uint64_t start, done;
};

/// The accesses race checks still need, indexed by 4 KiB page so that a check
/// only visits accesses that can overlap. An access is dropped when every
/// engine that may still run knows it happened before (Run::prune), or when
/// a newer access of the same engine covers it: any access that races with
/// the old one then races with the new one too.
class AccessIndex {
public:
  void add(const Access &a) {
    uint32_t id = static_cast<uint32_t>(all_.size());
    // Drop older accesses of the same engine that this one covers.
    if (a.r.rows() == 1)
      visit(a.r, [&](uint32_t old) {
        const Access &o = all_[old];
        if (o.engine == a.engine && o.r.rows() == 1 && o.r.base >= a.r.base &&
            o.r.hi <= a.r.hi && (!o.write || a.write))
          kill(old);
        return true;
      });
    all_.push_back(a);
    dead_.push_back(false);
    stamp_.push_back(0);
    ++live_;
    uint64_t p0 = a.r.base >> kPageBits, p1 = (a.r.hi - 1) >> kPageBits;
    if (p1 - p0 >= kMaxPages) {
      big_.push_back(id);
      return;
    }
    for (uint64_t p = p0; p <= p1; ++p)
      pages_[key(a.r.mem, p)].push_back(id);
  }

  /// Calls f(id) once for every live access that may overlap `r`, until f
  /// returns false; returns false if it stopped early.
  template <typename F> bool visit(const Region &r, F f) {
    ++now_;
    auto one = [&](uint32_t id) {
      if (dead_[id] || stamp_[id] == now_)
        return true;
      stamp_[id] = now_;
      return f(id);
    };
    for (uint32_t id : big_)
      if (!one(id))
        return false;
    uint64_t p0 = r.base >> kPageBits, p1 = (r.hi - 1) >> kPageBits;
    if (p1 - p0 >= kMaxPages) {
      for (uint32_t id = 0; id < all_.size(); ++id)
        if (!one(id))
          return false;
      return true;
    }
    for (uint64_t p = p0; p <= p1; ++p) {
      auto it = pages_.find(key(r.mem, p));
      if (it == pages_.end())
        continue;
      for (uint32_t id : it->second)
        if (!one(id))
          return false;
    }
    return true;
  }

  const Access &get(uint32_t id) const { return all_[id]; }

  /// Drops the accesses `known` says every engine has ordered before
  /// itself (known[e]: the least epoch of engine e any engine may not know).
  void prune(const std::vector<uint64_t> &known) {
    for (uint32_t id = 0; id < all_.size(); ++id)
      if (!dead_[id] && all_[id].epoch <= known[all_[id].engine])
        kill(id);
    if (all_.size() > 4096 && live_ < all_.size() / 2)
      compact();
  }

private:
  static constexpr unsigned kPageBits = 12;
  static constexpr uint64_t kMaxPages = 1024;

  static uint64_t key(int mem, uint64_t page) {
    return (static_cast<uint64_t>(mem + 1) << 44) | page;
  }
  void kill(uint32_t id) {
    if (!dead_[id]) {
      dead_[id] = true;
      --live_;
    }
  }
  void compact() {
    std::vector<Access> keep;
    for (uint32_t id = 0; id < all_.size(); ++id)
      if (!dead_[id])
        keep.push_back(all_[id]);
    all_.clear();
    dead_.clear();
    stamp_.clear();
    pages_.clear();
    big_.clear();
    live_ = 0;
    for (const Access &a : keep)
      add(a);
  }

  std::vector<Access> all_;
  std::vector<bool> dead_;
  std::vector<uint64_t> stamp_;
  uint64_t now_ = 0;
  size_t live_ = 0;
  std::unordered_map<uint64_t, std::vector<uint32_t>> pages_;
  std::vector<uint32_t> big_;
};

struct LoopFrame {
  uint32_t start, end, remaining;
  LoopInc incs[kMaxLoopIncs];
};

struct CoreState {
  // Front end.
  uint32_t pc = 0;
  std::vector<LoopFrame> loops;
  uint32_t regs[kNumRegisters] = {};
  bool ended = false;
  uint32_t barriers = 0;
  // Engines.
  std::deque<Dyn> queue[kNumEngines];
  uint64_t freeAt[kNumEngines] = {};
  /// When the last transfer an engine started has arrived (a barrier
  /// waits for it).
  uint64_t doneAt[kNumEngines] = {};
  Semaphore sems[kNumSemaphores];
};

struct Interval {
  uint64_t start, end;
};

uint64_t unionLength(std::vector<Interval> &v) {
  std::sort(v.begin(), v.end(), [](const Interval &a, const Interval &b) {
    return a.start < b.start;
  });
  std::vector<Interval> merged;
  for (const Interval &i : v) {
    if (i.end <= i.start)
      continue;
    if (!merged.empty() && i.start <= merged.back().end)
      merged.back().end = std::max(merged.back().end, i.end);
    else
      merged.push_back(i);
  }
  v = std::move(merged);
  uint64_t n = 0;
  for (const Interval &i : v)
    n += i.end - i.start;
  return n;
}

/// Length of the intersection of two merged (sorted, disjoint) lists.
uint64_t intersectionLength(const std::vector<Interval> &a,
                            const std::vector<Interval> &b) {
  uint64_t n = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint64_t s = std::max(a[i].start, b[j].start);
    uint64_t e = std::min(a[i].end, b[j].end);
    if (s < e)
      n += e - s;
    if (a[i].end < b[j].end)
      ++i;
    else
      ++j;
  }
  return n;
}

/// Collects the Addr fields of an instruction in field order.
struct AddrCollector {
  const Addr *addrs[4];
  unsigned n = 0;
  template <typename T>
  void num(const char *, T &, unsigned, unsigned, unsigned, bool, FieldDefault,
           NumFormat) {}
  void flag(const char *, bool &, unsigned, unsigned) {}
  void dtype(const char *, DType &, unsigned, unsigned, FieldDefault) {}
  template <typename E>
  void enumeration(const char *, E &, unsigned, unsigned, unsigned,
                   const char *const *, unsigned, FieldDefault, bool) {}
  void addr(const char *, Addr &m, unsigned, unsigned, unsigned, FieldDefault) {
    if (n < 4)
      addrs[n++] = &m;
  }
  void reg(const char *, uint8_t &, unsigned, unsigned) {}
  void f32(const char *, float &, unsigned, float) {}
  void perm(const char *, std::array<uint8_t, 4> &, unsigned, unsigned) {}
  void loopIncs(LoopInc (&)[kMaxLoopIncs], unsigned, unsigned) {}
};

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

class Run {
public:
  Run(const ChipModel &chip, const SimOptions &opts,
      std::vector<std::vector<uint8_t>> &vtcm, const Program &program,
      DdrMemory &ddr, SimResult &result)
      : chip_(chip), opts_(opts), vtcm_(vtcm), program_(program), ddr_(ddr),
        result_(result) {}

  Status run();

private:
  // Front end.
  bool advance(uint32_t core, uint64_t now);
  // Execution.
  bool execute(uint32_t core, unsigned engine, uint64_t start);
  bool executeBarrier(uint32_t seqCore, uint64_t start,
                      const std::vector<uint32_t> &cores);
  void operands(uint32_t core, const Dyn &d, std::vector<Operand> &ops);
  bool validate(uint32_t core, const Dyn &d, Operand &op);
  bool checkHazards(uint32_t core, const Dyn &d, unsigned engine,
                    const std::vector<Operand> &ops, uint64_t start);
  void prune();
  // Candidates.
  bool headStart(uint32_t core, unsigned engine, uint64_t &start);
  bool barrierReady(uint32_t core, uint64_t &start,
                    std::vector<uint32_t> &cores);
  bool deadlock();

  bool fault(uint32_t core, int64_t index, const std::string &msg,
             uint64_t cycle);
  std::string disasmAt(uint32_t core, uint32_t index) const;
  uint32_t eid(uint32_t core, unsigned engine) const {
    return core * kNumEngines + engine;
  }
  bool coreDone(uint32_t core) const {
    const CoreState &c = cores_[core];
    return c.ended && c.queue[0].empty() && c.queue[1].empty() &&
           c.queue[2].empty();
  }

  const ChipModel &chip_;
  const SimOptions &opts_;
  std::vector<std::vector<uint8_t>> &vtcm_;
  const Program &program_;
  DdrMemory &ddr_;
  SimResult &result_;

  std::vector<std::vector<StatusOr<Instr>>> decoded_;
  std::vector<CoreState> cores_;
  std::vector<std::vector<uint64_t>> vc_; ///< Per global engine.
  AccessIndex accesses_;
  uint64_t ddrFreeAt_ = 0;
  uint64_t now_ = 0; ///< Start cycle of the instruction being executed.
  uint64_t work_ = 0;
  uint64_t dispatched_ = 0;
  uint64_t executedSincePrune_ = 0;
  uint32_t usedMask_ = 0;
  bool faulted_ = false;
  std::vector<Interval> dmaBusy_, computeBusy_;
  std::vector<std::vector<size_t>> profileIndex_; ///< core -> index -> slot.
  std::vector<int32_t> layerSlot_; ///< Program layer id -> result slot.
};

std::string Run::disasmAt(uint32_t core, uint32_t index) const {
  if (core >= decoded_.size() || index >= decoded_[core].size())
    return {};
  const StatusOr<Instr> &d = decoded_[core][index];
  if (d)
    return disassemble(*d);
  std::string s = ".word";
  for (unsigned w = 0; w < kInstrWords; ++w)
    s += fmt(" 0x%x", wordAt(program_.streams[core][index], w));
  return s;
}

bool Run::fault(uint32_t core, int64_t index, const std::string &msg,
                uint64_t cycle) {
  if (faulted_)
    return false;
  faulted_ = true;
  Fault f;
  f.core = static_cast<int32_t>(core);
  f.index = index;
  if (index >= 0)
    f.disasm = disasmAt(core, static_cast<uint32_t>(index));
  f.message = msg;
  f.cycle = cycle;
  result_.fault = f;
  return false;
}

//===----------------------------------------------------------------------===//
// Front end: dispatch in order into the engine queues
//===----------------------------------------------------------------------===//

bool Run::advance(uint32_t core, uint64_t now) {
  CoreState &c = cores_[core];
  const auto &stream = decoded_[core];
  while (!c.ended) {
    // Loop bookkeeping at the end of a body.
    while (!c.loops.empty() && c.pc == c.loops.back().end) {
      LoopFrame &f = c.loops.back();
      for (const LoopInc &inc : f.incs)
        if (inc.reg)
          c.regs[inc.reg] += static_cast<uint32_t>(inc.value);
      if (--f.remaining > 0) {
        c.pc = f.start;
      } else {
        c.loops.pop_back();
      }
    }
    if (c.pc >= stream.size())
      return fault(core, static_cast<int64_t>(stream.size()) - 1,
                   "the stream ran past its last instruction without END", now);
    if (++dispatched_ > opts_.maxInstructions)
      return fault(core, c.pc,
                   fmt("more than %" PRIu64 " instructions executed "
                       "(SimOptions::maxInstructions); an endless loop?",
                       opts_.maxInstructions),
                   now);
    const StatusOr<Instr> &d = stream[c.pc];
    if (!d)
      return fault(core, c.pc, "cannot decode: " + d.message(), now);
    const Instr &instr = *d;
    Unit unit = unitOf(instr);
    if (unit == Unit::FrontEnd) {
      if (std::holds_alternative<EndInstr>(instr)) {
        c.ended = true;
        return true;
      }
      if (auto *s = std::get_if<SetRegInstr>(&instr)) {
        c.regs[s->reg] = s->value;
        ++c.pc;
        continue;
      }
      const LoopInstr &l = std::get<LoopInstr>(instr);
      uint64_t end = static_cast<uint64_t>(c.pc) + 1 + l.body;
      if (end > stream.size())
        return fault(core, c.pc,
                     "the loop body runs past the end of the "
                     "stream",
                     now);
      if (!c.loops.empty() && end > c.loops.back().end)
        return fault(core, c.pc,
                     "the loop body runs past the end of the "
                     "enclosing loop's body",
                     now);
      if (l.count == 0) {
        c.pc = static_cast<uint32_t>(end);
        continue;
      }
      if (c.loops.size() == kMaxLoopDepth)
        return fault(core, c.pc,
                     fmt("loops nest deeper than %u", kMaxLoopDepth), now);
      LoopFrame f;
      f.start = c.pc + 1;
      f.end = static_cast<uint32_t>(end);
      f.remaining = l.count;
      std::copy(std::begin(l.incs), std::end(l.incs), std::begin(f.incs));
      c.loops.push_back(f);
      ++c.pc;
      continue;
    }
    Dyn dyn;
    dyn.instr = &instr;
    dyn.index = c.pc;
    dyn.dispatch = now;
    dyn.barrierSeq = 0;
    AddrCollector ac;
    std::visit(
        [&](const auto &i) {
          const_cast<std::decay_t<decltype(i)> &>(i).visitFields(ac);
        },
        instr);
    for (unsigned k = 0; k < 4; ++k)
      dyn.addr[k] = k < ac.n
                        ? static_cast<uint64_t>(ac.addrs[k]->offset) +
                              (ac.addrs[k]->reg ? c.regs[ac.addrs[k]->reg] : 0u)
                        : 0;
    if (unit == Unit::AllEngines) {
      for (unsigned e = 0; e < kNumEngines; ++e)
        if (c.queue[e].size() >= chip_.queueDepth)
          return true; // Stalled until every queue has room.
      dyn.barrierSeq = c.barriers++;
      for (unsigned e = 0; e < kNumEngines; ++e)
        c.queue[e].push_back(dyn);
      ++c.pc;
      continue;
    }
    unsigned e = unit == Unit::Dma ? 0 : unit == Unit::Matrix ? 1 : 2;
    if (c.queue[e].size() >= chip_.queueDepth)
      return true; // Stalled on a full queue.
    c.queue[e].push_back(dyn);
    ++c.pc;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Operands: the memory regions each instruction reads and writes
//===----------------------------------------------------------------------===//

void Run::operands(uint32_t core, const Dyn &d, std::vector<Operand> &ops) {
  std::vector<OperandRegion> regions;
  instrOperands(*d.instr, core, d.addr, chip_, regions);
  for (const OperandRegion &o : regions) {
    Operand op;
    op.name = o.name;
    op.r.mem = o.mem;
    op.r.base = o.base;
    op.r.n1 = o.n1;
    op.r.s1 = o.s1;
    op.r.n2 = o.n2;
    op.r.s2 = o.s2;
    op.r.bytes = o.bytes;
    op.role = o.role == OperandRole::Read    ? Role::Read
              : o.role == OperandRole::Write ? Role::Write
                                             : Role::ReadWrite;
    op.align = o.align;
    op.rule = o.rule;
    ops.push_back(op);
  }
}

/// The element size of each compute operand (by name), for the natural
/// alignment rule; DMA and COPY move bytes and have none.
static uint32_t elementSizeOf(const Instr &instr, const char *name) {
  auto is = [&](const char *n) { return !std::strcmp(name, n); };
  if (auto *i = std::get_if<ConvInstr>(&instr))
    return dtypeBytes(is("in")    ? i->inType
                      : is("wt")  ? i->weightType
                      : is("out") ? i->outType
                                  : DType::I8);
  if (auto *i = std::get_if<MatmulInstr>(&instr))
    return dtypeBytes(is("a")     ? i->aType
                      : is("b")   ? i->bType
                      : is("out") ? i->outType
                                  : DType::I8);
  if (auto *i = std::get_if<EltwiseInstr>(&instr))
    return is("tbl") ? 1 : dtypeBytes(is("out") ? i->outType : i->inType);
  if (auto *i = std::get_if<ActInstr>(&instr))
    return dtypeBytes(is("in") ? i->inType : i->outType);
  if (auto *i = std::get_if<PoolInstr>(&instr))
    return dtypeBytes(i->dtype);
  if (auto *i = std::get_if<ReduceInstr>(&instr))
    return dtypeBytes(is("in") ? i->inType : i->outType);
  if (auto *i = std::get_if<ConvertInstr>(&instr))
    return is("tbl") ? 1 : dtypeBytes(is("in") ? i->inType : i->outType);
  if (auto *i = std::get_if<LayoutInstr>(&instr))
    return dtypeBytes(i->dtype);
  return 1;
}

bool Run::validate(uint32_t core, const Dyn &d, Operand &op) {
  Region &r = op.r;
  unsigned __int128 hi = r.wideHi();
  bool write = op.role != Role::Read;
  const char *verb = write ? "writes" : "reads";
  auto bad = [&](const std::string &msg) {
    return fault(core, d.index, msg, now_);
  };
  if (r.mem != kDdr) {
    if (static_cast<uint32_t>(r.mem) >= chip_.cores)
      return bad(fmt("operand '%s' targets core %d, but chip %s has %u "
                     "core%s",
                     op.name, r.mem, chip_.name.c_str(), chip_.cores,
                     chip_.cores == 1 ? "" : "s"));
    uint64_t usable = chip_.usableVtcmBytes();
    if (hi > usable)
      return bad(fmt(
          "VTCM overflow: operand '%s' %s [0x%" PRIx64 ", 0x%llx) "
          "of core %d, beyond the usable VTCM (%" PRIu64 " of %" PRIu64
          " bytes)",
          op.name, verb, r.base,
          static_cast<unsigned long long>(hi > UINT64_MAX ? UINT64_MAX : hi),
          r.mem, usable, chip_.vtcmBytes));
    r.hi = static_cast<uint64_t>(hi);
    std::vector<uint8_t> &mem = vtcm_[r.mem];
    if (mem.empty()) // First use of this core's VTCM.
      mem.assign(static_cast<size_t>(chip_.vtcmBytes), 0);
    op.ptr = mem.data() + r.base;
  } else {
    uint64_t size = ddr_.size();
    if (hi > size)
      return bad(fmt(
          "out-of-range access: operand '%s' %s DDR [0x%" PRIx64
          ", 0x%llx), beyond the DDR arena [0, 0x%" PRIx64 ")",
          op.name, verb, r.base,
          static_cast<unsigned long long>(hi > UINT64_MAX ? UINT64_MAX : hi),
          size));
    r.hi = static_cast<uint64_t>(hi);
    const DdrMemory::Segment *seg = ddr_.find(r.base, r.hi - r.base);
    if (!seg)
      return bad(fmt("operand '%s' %s DDR [0x%" PRIx64 ", 0x%" PRIx64
                     "), which is not one mapped segment",
                     op.name, verb, r.base, r.hi));
    if (write && !seg->writable)
      return bad(fmt("operand '%s' writes DDR [0x%" PRIx64 ", 0x%" PRIx64
                     "), which is read-only (the model's weights)",
                     op.name, r.base, r.hi));
    op.ptr = seg->data + (r.base - seg->base);
  }
  if (op.align > 1 && r.base % op.align)
    return bad(fmt("misaligned access: operand '%s' at 0x%" PRIx64
                   " is not a multiple of %u%s%s%s",
                   op.name, r.base, op.align, op.rule ? " (" : "",
                   op.rule ? op.rule : "", op.rule ? " of the chip)" : ""));
  if (op.natural > 1 && r.base % op.natural)
    return bad(fmt("misaligned access: operand '%s' at 0x%" PRIx64
                   " is not a multiple of its element size %u",
                   op.name, r.base, op.natural));
  r.normalize();
  if (r.mem != kDdr) {
    uint64_t &peak = result_.stats.vtcmPeak[r.mem];
    peak = std::max(peak, r.hi);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Hazards
//===----------------------------------------------------------------------===//

bool Run::checkHazards(uint32_t core, const Dyn &d, unsigned engine,
                       const std::vector<Operand> &ops, uint64_t start) {
  if (!opts_.checkHazards)
    return true;
  const std::vector<uint64_t> &vc = vc_[eid(core, engine)];
  uint32_t me = eid(core, engine);
  for (const Operand &op : ops) {
    bool write = op.role != Role::Read;
    const Access *hit = nullptr;
    accesses_.visit(op.r, [&](uint32_t id) {
      const Access &a = accesses_.get(id);
      if (a.engine == me || a.epoch <= vc[a.engine])
        return true; // Same engine (in order), or ordered before us.
      if ((!a.write && !write) || !overlaps(a.r, op.r))
        return true;
      hit = &a;
      return false;
    });
    if (!hit)
      continue;
    const Access &a = *hit;
    std::string other = disasmAt(a.core, a.index);
    const char *otherEngine = engineName(static_cast<Engine>(a.engine % 3));
    std::string when;
    if (a.done > start)
      when = fmt("it completes at cycle %" PRIu64
                 ", after this instruction starts at cycle %" PRIu64,
                 a.done, start);
    else
      when = fmt("it happens to complete first (cycle %" PRIu64 " <= %" PRIu64
                 "), but nothing orders the two",
                 a.done, start);
    std::string what;
    if (a.write && !write)
      what = "reads data that a pending write has not been ordered before";
    else if (!a.write)
      what = "overwrites data that another engine may still be reading";
    else
      what = "writes data that another engine is also writing";
    return fault(core, d.index,
                 fmt("hazard: %s: operand '%s' touches %s, which core %u "
                     "instruction %u (%s) on the %s engine %s; missing "
                     "wait? (%s)",
                     what.c_str(), op.name, op.r.describe().c_str(), a.core,
                     a.index, other.c_str(), otherEngine,
                     a.write ? "writes" : "reads", when.c_str()),
                 start);
  }
  return true;
}

void Run::prune() {
  size_t E = vc_.size();
  std::vector<uint64_t> minKnown(E, UINT64_MAX);
  for (size_t e = 0; e < E; ++e) {
    uint32_t core = static_cast<uint32_t>(e / kNumEngines);
    bool finished = coreDone(core);
    if (finished)
      continue; // Never accesses memory again.
    for (size_t o = 0; o < E; ++o)
      if (o != e)
        minKnown[o] = std::min(minKnown[o], vc_[e][o]);
  }
  accesses_.prune(minKnown);
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

bool Run::headStart(uint32_t core, unsigned engine, uint64_t &start) {
  CoreState &c = cores_[core];
  const Dyn &d = c.queue[engine].front();
  start = std::max(c.freeAt[engine], d.dispatch);
  const Sync &s = syncOf(*d.instr);
  // Waits take the earliest tokens; two waits on one semaphore take two.
  if (s.wait[0] >= 0) {
    Semaphore &sem = c.sems[s.wait[0]];
    bool same = s.wait[1] == s.wait[0];
    if (sem.size() < (same ? 2u : 1u))
      return false;
    start = std::max(start, sem.top().time);
    if (same) {
      Token t = sem.top();
      sem.pop();
      start = std::max(start, sem.top().time);
      sem.push(std::move(t));
    }
  }
  if (s.wait[1] >= 0 && s.wait[1] != s.wait[0]) {
    Semaphore &sem = c.sems[s.wait[1]];
    if (sem.empty())
      return false;
    start = std::max(start, sem.top().time);
  }
  return true;
}

bool Run::execute(uint32_t core, unsigned engine, uint64_t start) {
  CoreState &c = cores_[core];
  Dyn d = c.queue[engine].front();
  const Instr &instr = *d.instr;
  uint32_t me = eid(core, engine);
  now_ = start;
  std::vector<uint64_t> &vc = vc_[me];

  // Consume the tokens; their vector clocks order us after the signallers.
  const Sync &s = syncOf(instr);
  for (int8_t w : s.wait) {
    if (w < 0)
      continue;
    Token t = c.sems[w].top();
    c.sems[w].pop();
    for (size_t k = 0; k < vc.size(); ++k)
      vc[k] = std::max(vc[k], t.vc[k]);
  }
  ++vc[me];

  // Chip support (the same check the compiler can run ahead of time).
  if (Status st = checkChipSupport(instr, chip_); !st)
    return fault(core, d.index, st.message(), start);
  Opcode op = opcodeOf(instr);

  // Operands: bounds, alignment, then races.
  std::vector<Operand> ops;
  operands(core, d, ops);
  for (Operand &o : ops)
    o.natural = elementSizeOf(instr, o.name);
  for (Operand &o : ops)
    if (!validate(core, d, o))
      return false;
  uint64_t work = instrWork(instr);
  work_ += work;
  if (work_ > opts_.maxWork)
    return fault(core, d.index,
                 fmt("the run exceeds its work budget of %" PRIu64
                     " element operations (SimOptions::maxWork)",
                     opts_.maxWork),
                 start);
  if (!checkHazards(core, d, engine, ops, start))
    return false;

  // Functional execution.
  std::string err;
  auto ptr = [&](const char *name) -> uint8_t * {
    for (Operand &o : ops)
      if (!std::strcmp(o.name, name))
        return o.ptr;
    return nullptr;
  };
  switch (opts_.timingOnly ? Opcode::End : op) {
  case Opcode::Dma:
  case Opcode::Copy: {
    Copy2D cp;
    auto fill = [&](const auto &i) {
      uint64_t es = dtypeBytes(i.dtype);
      cp.dtype = i.dtype;
      cp.rows = i.rows;
      cp.cols = i.cols;
      cp.srcStride = i.srcStride == kDense ? i.cols * es : i.srcStride;
      uint64_t dstRowBytes =
          (static_cast<uint64_t>(i.padLeft) + i.cols + i.padRight) * es;
      cp.dstStride = i.dstStride == kDense ? dstRowBytes : i.dstStride;
      cp.padTop = i.padTop;
      cp.padBottom = i.padBottom;
      cp.padLeft = i.padLeft;
      cp.padRight = i.padRight;
      cp.pad = i.pad;
    };
    if (op == Opcode::Dma)
      fill(std::get<DmaInstr>(instr));
    else
      fill(std::get<CopyInstr>(instr));
    std::vector<uint8_t *> dsts;
    for (Operand &o : ops)
      if (!std::strcmp(o.name, "dst"))
        dsts.push_back(o.ptr);
    runCopy2D(cp, ptr("src"), dsts.data(), static_cast<unsigned>(dsts.size()));
    break;
  }
  case Opcode::Conv:
    err = runConv(std::get<ConvInstr>(instr), ptr("in"), ptr("wt"), ptr("out"),
                  ptr("tbl"));
    break;
  case Opcode::Matmul:
    err = runMatmul(std::get<MatmulInstr>(instr), ptr("a"), ptr("b"),
                    ptr("out"), ptr("tbl"));
    break;
  case Opcode::Eltwise:
    err = runEltwise(std::get<EltwiseInstr>(instr), ptr("a"), ptr("b"),
                     ptr("out"), ptr("tbl"));
    break;
  case Opcode::Act:
    err = runAct(std::get<ActInstr>(instr), ptr("in"), ptr("out"), ptr("lut"));
    break;
  case Opcode::Pool:
    err = runPool(std::get<PoolInstr>(instr), ptr("in"), ptr("out"));
    break;
  case Opcode::Reduce:
    err = runReduce(std::get<ReduceInstr>(instr), ptr("in"), ptr("out"));
    break;
  case Opcode::Convert:
    err = runConvert(std::get<ConvertInstr>(instr), ptr("in"), ptr("out"),
                     ptr("tbl"));
    break;
  case Opcode::Layout:
    err = runLayout(std::get<LayoutInstr>(instr), ptr("in"), ptr("out"));
    break;
  default:
    break;
  }
  if (!err.empty())
    return fault(core, d.index, err, start);

  // Timing.
  uint64_t end, done;
  uint64_t macs = instrMacs(instr), bytes = 0, ddrBytes = 0;
  RunStats &st = result_.stats;
  if (op == Opcode::Dma || op == Opcode::Copy) {
    DmaShape shape = dmaShapeOf(instr, d.addr[0], d.addr[1]);
    DmaCost cost = dmaCost(chip_, shape);
    end = start + cost.engineCycles;
    if (cost.ddrCycles) {
      uint64_t ddrStart = std::max(start, ddrFreeAt_);
      ddrFreeAt_ = ddrStart + cost.ddrCycles;
      end = std::max(end, ddrFreeAt_);
    }
    done = end + cost.latency;
    unsigned dsts = 0;
    for (const Operand &o : ops)
      dsts += !std::strcmp(o.name, "dst");
    bytes = cost.bytesRead + cost.bytesWritten * dsts;
    ddrBytes = cost.ddrBytes;
    if (shape.srcDdr)
      st.ddrBytesRead += shape.dstDdr ? cost.ddrBytes / 2 : cost.ddrBytes;
    if (shape.dstDdr)
      st.ddrBytesWritten +=
          shape.srcDdr ? cost.ddrBytes - cost.ddrBytes / 2 : cost.ddrBytes;
    uint64_t vtcmSide = (shape.srcDdr ? 0 : cost.bytesRead) +
                        (shape.dstDdr ? 0 : cost.bytesWritten * dsts);
    st.vtcmBytes += vtcmSide;
    dmaBusy_.push_back({start, end});
  } else {
    end = start + std::max<uint64_t>(1, computeCycles(chip_, instr));
    done = end;
    for (const Operand &o : ops) {
      uint64_t b = o.r.rows() * o.r.bytes;
      bytes += o.role == Role::ReadWrite ? 2 * b : b;
    }
    st.vtcmBytes += bytes;
    if (op != Opcode::Sync)
      computeBusy_.push_back({start, end});
  }
  c.freeAt[engine] = end;
  c.doneAt[engine] = std::max(c.doneAt[engine], done);
  st.busy[core][engine] += end - start;
  st.cycles = std::max(st.cycles, done);
  ++st.instructions;
  st.macs += macs;
  if (macs) {
    DType mt = op == Opcode::Conv ? std::get<ConvInstr>(instr).inType
                                  : std::get<MatmulInstr>(instr).aType;
    if (mt == DType::I16)
      st.macsI16 += macs;
    else if (mt == DType::F16)
      st.macsF16 += macs;
    else
      st.macsI8 += macs;
  }

  // Signals carry our clock to the waiters.
  bool remote = false;
  uint32_t remoteMask = 0;
  if (auto *dm = std::get_if<DmaInstr>(&instr)) {
    remote = dm->remoteSignal;
    remoteMask = dm->coreMask ? dm->coreMask : (1u << core);
  } else if (auto *cp = std::get_if<CopyInstr>(&instr)) {
    remote = cp->remoteSignal;
    remoteMask = cp->coreMask ? cp->coreMask : 1u << cp->core;
  }
  for (unsigned k = 0; k < 2; ++k) {
    int8_t sg = s.signal[k];
    if (sg < 0)
      continue;
    if (k == 1 && remote) {
      for (uint32_t t = 0; t < chip_.cores; ++t)
        if (remoteMask & (1u << t))
          cores_[t].sems[sg].push(Token{done, vc});
    } else {
      c.sems[sg].push(Token{done, vc});
    }
  }

  // Remember the accesses for race checks.
  if (opts_.checkHazards)
    for (const Operand &o : ops)
      accesses_.add(Access{o.r, o.role != Role::Read, me, vc[me], core, d.index,
                           start, done});

  // Profile.
  size_t &slot = profileIndex_[core][d.index];
  if (slot == SIZE_MAX) {
    slot = result_.instrs.size();
    InstrProfile p;
    p.core = core;
    p.index = d.index;
    p.engine = static_cast<uint8_t>(engine);
    if (op == Opcode::Conv)
      p.macType = std::get<ConvInstr>(instr).inType;
    else if (op == Opcode::Matmul)
      p.macType = std::get<MatmulInstr>(instr).aType;
    result_.instrs.push_back(p);
  }
  InstrProfile &p = result_.instrs[slot];
  ++p.count;
  p.cycles += end - start;
  p.macs += macs;
  p.bytes += bytes;
  p.ddrBytes += ddrBytes;
  int32_t layer = program_.layerAt(core, d.index);
  if (layer >= 0 && static_cast<size_t>(layer) < layerSlot_.size()) {
    int32_t &ls = layerSlot_[layer];
    if (ls < 0) {
      ls = static_cast<int32_t>(result_.layers.size());
      LayerProfile lp;
      lp.name = program_.layerNames[layer];
      result_.layers.push_back(lp);
    }
    LayerProfile &lp = result_.layers[ls];
    lp.start = std::min(lp.start, start);
    lp.end = std::max(lp.end, done);
    lp.busy[engine] += end - start;
    lp.macs += macs;
    lp.bytes += bytes;
    lp.ddrBytes += ddrBytes;
    ++lp.instructions;
    for (const Operand &o : ops)
      if (o.r.mem != kDdr)
        lp.vtcmPeak = std::max(lp.vtcmPeak, o.r.hi);
  }
  if (opts_.keepRecords) {
    InstrRecord r;
    r.core = core;
    r.engine = static_cast<uint8_t>(engine);
    r.index = d.index;
    r.opcode = op;
    r.start = start;
    r.end = end;
    r.done = done;
    r.macs = macs;
    r.bytes = bytes;
    r.ddrBytes = ddrBytes;
    result_.records.push_back(r);
  }

  c.queue[engine].pop_front();
  if (++executedSincePrune_ >= 256) {
    executedSincePrune_ = 0;
    prune();
  }
  return advance(core, start);
}

bool Run::barrierReady(uint32_t core, uint64_t &start,
                       std::vector<uint32_t> &cores) {
  const CoreState &c = cores_[core];
  for (unsigned e = 0; e < kNumEngines; ++e)
    if (c.queue[e].empty() ||
        !std::holds_alternative<BarrierInstr>(*c.queue[e].front().instr))
      return false;
  const Dyn &d = c.queue[0].front();
  uint32_t mask = std::get<BarrierInstr>(*d.instr).mask;
  if (mask == 0)
    mask = usedMask_;
  if (!(mask & (1u << core)))
    return fault(core, d.index, "a barrier whose mask excludes its own core",
                 d.dispatch);
  cores.clear();
  start = 0;
  if (chip_.cores < 32 && (mask >> chip_.cores) != 0)
    return fault(core, d.index,
                 fmt("the barrier mask 0x%x names cores that chip %s (%u "
                     "cores) does not have",
                     mask, chip_.name.c_str(), chip_.cores),
                 d.dispatch);
  for (uint32_t k = 0; k < cores_.size(); ++k) {
    if (!(mask & (1u << k)))
      continue;
    const CoreState &o = cores_[k];
    for (unsigned e = 0; e < kNumEngines; ++e) {
      if (o.queue[e].empty() ||
          !std::holds_alternative<BarrierInstr>(*o.queue[e].front().instr))
        return false;
      const Dyn &od = o.queue[e].front();
      uint32_t omask = std::get<BarrierInstr>(*od.instr).mask;
      if ((omask ? omask : usedMask_) != mask)
        return fault(k, od.index,
                     fmt("barrier mismatch: core %u waits at a barrier with "
                         "mask 0x%x while core %u's next barrier has mask "
                         "0x%x",
                         core, mask, k, omask ? omask : usedMask_),
                     od.dispatch);
      start =
          std::max(start, std::max({o.freeAt[e], o.doneAt[e], od.dispatch}));
    }
    cores.push_back(k);
  }
  return true;
}

bool Run::executeBarrier(uint32_t, uint64_t start,
                         const std::vector<uint32_t> &cores) {
  uint64_t end = start + std::max<uint32_t>(1, chip_.nocLatencyCycles);
  // Everyone learns what everyone knew.
  std::vector<uint64_t> joined(vc_.size(), 0);
  for (uint32_t k : cores)
    for (unsigned e = 0; e < kNumEngines; ++e)
      for (size_t i = 0; i < joined.size(); ++i)
        joined[i] = std::max(joined[i], vc_[eid(k, e)][i]);
  for (uint32_t k : cores) {
    CoreState &c = cores_[k];
    for (unsigned e = 0; e < kNumEngines; ++e) {
      uint64_t own = vc_[eid(k, e)][eid(k, e)];
      vc_[eid(k, e)] = joined;
      vc_[eid(k, e)][eid(k, e)] = own;
      c.freeAt[e] = end;
      if (opts_.keepRecords && e == 0) {
        InstrRecord r;
        r.core = k;
        r.engine = 3;
        r.index = c.queue[0].front().index;
        r.opcode = Opcode::Barrier;
        r.start = start;
        r.end = r.done = end;
        result_.records.push_back(r);
      }
      c.queue[e].pop_front();
    }
    result_.stats.cycles = std::max(result_.stats.cycles, end);
    ++result_.stats.instructions;
  }
  for (uint32_t k : cores)
    if (!advance(k, start))
      return false;
  return true;
}

bool Run::deadlock() {
  std::string detail;
  int32_t firstCore = -1;
  int64_t firstIndex = -1;
  for (uint32_t k = 0; k < cores_.size(); ++k) {
    const CoreState &c = cores_[k];
    for (unsigned e = 0; e < kNumEngines; ++e) {
      if (c.queue[e].empty())
        continue;
      const Dyn &d = c.queue[e].front();
      std::string why;
      if (std::holds_alternative<BarrierInstr>(*d.instr)) {
        why = "waits at a barrier for cores that never arrive";
      } else {
        const Sync &s = syncOf(*d.instr);
        for (int8_t w : s.wait)
          if (w >= 0 && c.sems[w].empty())
            why += fmt("%swaits on s%d, which no pending instruction will "
                       "signal",
                       why.empty() ? "" : "; ", w);
      }
      if (firstCore < 0) {
        firstCore = static_cast<int32_t>(k);
        firstIndex = d.index;
      }
      detail += fmt("\n  core %u %s engine: instruction %u (%s) %s", k,
                    engineName(static_cast<Engine>(e)), d.index,
                    disasmAt(k, d.index).c_str(), why.c_str());
    }
    if (!c.ended)
      for (unsigned e = 0; e < kNumEngines; ++e)
        if (c.queue[e].size() >= chip_.queueDepth)
          detail += fmt("\n  core %u front end: stalled at instruction %u "
                        "because the %s queue is full (%u entries)",
                        k, c.pc, engineName(static_cast<Engine>(e)),
                        chip_.queueDepth);
  }
  uint64_t now = 0;
  for (const CoreState &c : cores_)
    for (uint64_t f : c.freeAt)
      now = std::max(now, f);
  if (firstCore < 0)
    return fault(0, -1, "deadlock: no engine can proceed" + detail, now);
  return fault(static_cast<uint32_t>(firstCore), firstIndex,
               "deadlock: no engine can proceed" + detail, now);
}

Status Run::run() {
  uint32_t n = program_.numCores();
  if (n > chip_.cores) {
    Fault f;
    f.message = fmt("the program has streams for %u cores, but chip %s has "
                    "%u",
                    n, chip_.name.c_str(), chip_.cores);
    result_.fault = f;
    return Status::error(f.toString());
  }
  RunStats &st = result_.stats;
  st.busy.assign(chip_.cores, {});
  st.vtcmPeak.assign(chip_.cores, 0);
  cores_.assign(chip_.cores, CoreState());
  decoded_.resize(chip_.cores);
  profileIndex_.resize(chip_.cores);
  layerSlot_.assign(program_.layerNames.size(), -1);
  for (uint32_t k = 0; k < n; ++k) {
    const auto &stream = program_.streams[k];
    decoded_[k].reserve(stream.size());
    for (const Word &w : stream)
      decoded_[k].push_back(decode(w));
    profileIndex_[k].assign(stream.size(), SIZE_MAX);
    if (!stream.empty())
      usedMask_ |= 1u << k;
  }
  for (uint32_t k = 0; k < chip_.cores; ++k)
    if (!(usedMask_ & (1u << k)))
      cores_[k].ended = true; // Idle core.
  st.coresUsed = static_cast<uint32_t>(__builtin_popcount(usedMask_));
  vc_.assign(
      static_cast<size_t>(chip_.cores) * kNumEngines,
      std::vector<uint64_t>(static_cast<size_t>(chip_.cores) * kNumEngines, 0));

  for (uint32_t k = 0; k < n && !faulted_; ++k)
    advance(k, 0);

  std::vector<uint32_t> barrierCores, bestCores;
  while (!faulted_) {
    bool found = false, isBarrier = false;
    uint64_t best = 0;
    uint32_t bestCore = 0;
    unsigned bestEngine = 0;
    bool allDone = true;
    for (uint32_t k = 0; k < cores_.size() && !faulted_; ++k) {
      if (!coreDone(k))
        allDone = false;
      CoreState &c = cores_[k];
      bool barrierChecked = false;
      for (unsigned e = 0; e < kNumEngines; ++e) {
        if (c.queue[e].empty())
          continue;
        uint64_t start;
        if (std::holds_alternative<BarrierInstr>(*c.queue[e].front().instr)) {
          if (barrierChecked)
            continue;
          barrierChecked = true;
          if (!barrierReady(k, start, barrierCores))
            continue;
          if (!found || start < best) {
            found = true;
            isBarrier = true;
            best = start;
            bestCore = k;
            bestCores = barrierCores;
          }
          continue;
        }
        if (!headStart(k, e, start))
          continue;
        if (!found || start < best) {
          found = true;
          isBarrier = false;
          best = start;
          bestCore = k;
          bestEngine = e;
        }
      }
    }
    if (faulted_)
      break;
    if (!found) {
      if (!allDone)
        deadlock();
      break;
    }
    if (isBarrier)
      executeBarrier(bestCore, best, bestCores);
    else
      execute(bestCore, bestEngine, best);
  }

  unionLength(dmaBusy_); // Merges the intervals in place.
  unionLength(computeBusy_);
  st.overlapCycles = intersectionLength(dmaBusy_, computeBusy_);
  if (result_.fault)
    return Status::error(result_.fault->toString());
  return Status::ok();
}

} // namespace

//===----------------------------------------------------------------------===//
// Simulator
//===----------------------------------------------------------------------===//

Simulator::Simulator(const ChipModel &chip, SimOptions options)
    : chip_(chip), options_(options) {
  // Each core's VTCM is allocated (zeroed) when first used.
  vtcm_.resize(chip_.cores);
}

Simulator::~Simulator() = default;

uint8_t *Simulator::vtcm(uint32_t core) {
  if (core >= vtcm_.size())
    return nullptr;
  if (vtcm_[core].empty())
    vtcm_[core].assign(static_cast<size_t>(chip_.vtcmBytes), 0);
  return vtcm_[core].data();
}

Status Simulator::run(const Program &program, DdrMemory &ddr,
                      SimResult &result) {
  result = SimResult();
  Run r(chip_, options_, vtcm_, program, ddr, result);
  return r.run();
}

} // namespace tessel::sim
