//===- Sync.cpp - From ordered instructions to a synchronized program -----===//
#include "tessel/Target/NPU/Codegen/Sync.h"
#include "tessel/Target/NPU/Operands.h"

#include <algorithm>
#include <array>
#include <map>

namespace tessel::npu::cg {

int32_t StepProgram::layerIndex(const std::string &name) {
  for (size_t i = 0; i < layerNames.size(); ++i)
    if (layerNames[i] == name)
      return static_cast<int32_t>(i);
  layerNames.push_back(name);
  return static_cast<int32_t>(layerNames.size() - 1);
}

void StepProgram::add(uint32_t core, Instr instr, int32_t layer) {
  if (cores.size() <= core)
    cores.resize(core + 1);
  cores[core].push_back(Step{std::move(instr), layer});
}

unsigned semaphoreFor(Engine from, Engine to) {
  // dma->mat 0, dma->vec 1, mat->dma 2, mat->vec 3, vec->dma 4, vec->mat 5.
  unsigned f = static_cast<unsigned>(from), t = static_cast<unsigned>(to);
  return f * 2 + (t > f ? t - 1 : t);
}

namespace {

constexpr int kEngines = 3;

/// What last touched a byte range: the last writer and, per engine, the
/// last reader since that write (engine-local instruction indices).
struct Seg {
  int8_t writerEngine = -1;
  int64_t writer = -1;
  int64_t readers[kEngines] = {-1, -1, -1};
};

/// Disjoint segments covering [0, 2^64): each key starts a segment that
/// ends at the next key.
class IntervalMap {
public:
  IntervalMap() { m_.emplace(0, Seg{}); }
  template <typename F> void forRange(uint64_t b, uint64_t e, F &&f) {
    if (b >= e)
      return;
    split(b);
    if (e != UINT64_MAX)
      split(e);
    for (auto it = m_.find(b); it != m_.end() && it->first < e; ++it)
      f(it->second);
  }

private:
  void split(uint64_t x) {
    auto it = m_.upper_bound(x);
    --it;
    if (it->first != x)
      m_.emplace_hint(std::next(it), x, it->second);
  }
  std::map<uint64_t, Seg> m_;
};

Engine engineOf(Unit u) {
  return u == Unit::Dma      ? Engine::Dma
         : u == Unit::Matrix ? Engine::Matrix
                             : Engine::Vector;
}

using Clock = std::array<int64_t, kEngines>;

Status addSignal(Instr &producer, unsigned sem) {
  Sync &s = syncOf(producer);
  for (int8_t &slot : s.signal)
    if (slot < 0) {
      slot = static_cast<int8_t>(sem);
      return Status::ok();
    }
  return Status::error("internal error: an instruction needs more than two "
                       "signals");
}

} // namespace

StatusOr<Program> synchronize(const ChipModel &chip, const StepProgram &program,
                              SyncStats *stats) {
  SyncStats local;
  SyncStats &st = stats ? *stats : local;
  ProgramBuilder builder;
  std::vector<OperandRegion> regions;
  for (uint32_t core = 0; core < program.cores.size(); ++core) {
    const std::vector<Step> &steps = program.cores[core];
    builder.useCore(core);
    if (steps.empty())
      continue;
    std::vector<Step> out;
    out.reserve(steps.size() + 1);
    std::map<int, IntervalMap> trackers; // by memory (DDR, this VTCM, ...)
    std::array<std::vector<Clock>, kEngines> clocks;
    std::array<std::vector<size_t>, kEngines> posOf;
    std::array<Clock, kEngines> vc;
    for (Clock &c : vc)
      c.fill(-1);
    std::array<int64_t, kEngines> count = {0, 0, 0};

    for (const Step &step : steps) {
      Instr instr = step.instr;
      {
        const Sync &pre = syncOf(instr);
        for (int8_t x :
             {pre.wait[0], pre.wait[1], pre.signal[0], pre.signal[1]})
          if (x >= 0 && static_cast<unsigned>(x) < kFirstExplicitSemaphore)
            return StatusOr<Program>::error(
                "internal error: a step carries its own waits: " +
                disassemble(instr));
      }
      Unit unit = unitOf(instr);
      if (unit == Unit::FrontEnd) {
        out.push_back(Step{instr, step.layer});
        continue;
      }
      if (unit == Unit::AllEngines) { // BARRIER: a full fence.
        for (int e = 0; e < kEngines; ++e)
          for (int f = 0; f < kEngines; ++f)
            vc[e][f] = std::max(vc[e][f], count[f] - 1);
        out.push_back(Step{instr, step.layer});
        ++st.barriers;
        continue;
      }
      const int E = static_cast<int>(engineOf(unit));
      regions.clear();
      instrOperands(instr, core, chip, regions);
      int64_t need[kEngines] = {-1, -1, -1};
      for (const OperandRegion &r : regions) {
        uint64_t hi = static_cast<uint64_t>(
            std::min<unsigned __int128>(r.wideHi(), UINT64_MAX));
        trackers[r.mem].forRange(r.base, hi, [&](Seg &s) {
          if (s.writerEngine >= 0 && s.writerEngine != E)
            need[s.writerEngine] = std::max(need[s.writerEngine], s.writer);
          if (r.writes())
            for (int f = 0; f < kEngines; ++f)
              if (f != E)
                need[f] = std::max(need[f], s.readers[f]);
        });
      }
      // A wait on one engine's instruction also orders everything that
      // instruction waited for: skip producers another needed wait covers.
      bool covered[kEngines] = {false, false, false};
      for (int f = 0; f < kEngines; ++f)
        for (int g = 0; g < kEngines; ++g)
          if (f != E && g != E && f != g && need[f] >= 0 && need[g] >= 0 &&
              need[g] > vc[E][g] && clocks[g][need[g]][f] >= need[f])
            covered[f] = true;
      for (int f = 0; f < kEngines; ++f) {
        if (f == E || need[f] <= vc[E][f] || covered[f])
          continue;
        unsigned sem =
            semaphoreFor(static_cast<Engine>(f), static_cast<Engine>(E));
        if (Status s = addSignal(out[posOf[f][need[f]]].instr, sem); !s)
          return StatusOr<Program>(s);
        int8_t *w = syncOf(instr).wait;
        int8_t *slot = w[0] < 0 ? &w[0] : w[1] < 0 ? &w[1] : nullptr;
        if (!slot)
          return StatusOr<Program>::error(
              "internal error: an instruction needs more than two waits: " +
              disassemble(instr));
        *slot = static_cast<int8_t>(sem);
        const Clock &pc = clocks[f][need[f]];
        for (int g = 0; g < kEngines; ++g)
          vc[E][g] = std::max(vc[E][g], pc[g]);
        ++st.waits;
      }
      int64_t idx = count[E]++;
      vc[E][E] = idx;
      clocks[E].push_back(vc[E]);
      posOf[E].push_back(out.size());
      out.push_back(Step{instr, step.layer});
      // Reads first, then writes (an in-place op ends as the writer).
      for (int pass = 0; pass < 2; ++pass)
        for (const OperandRegion &r : regions) {
          bool isWrite = r.writes();
          if ((pass == 0 && isWrite) || (pass == 1 && !isWrite))
            continue;
          uint64_t hi = static_cast<uint64_t>(
              std::min<unsigned __int128>(r.wideHi(), UINT64_MAX));
          trackers[r.mem].forRange(r.base, hi, [&](Seg &s) {
            if (isWrite) {
              s.writerEngine = static_cast<int8_t>(E);
              s.writer = idx;
              std::fill(std::begin(s.readers), std::end(s.readers), -1);
            } else {
              s.readers[E] = idx;
            }
          });
        }
    }
    int32_t layer = -1;
    for (const Step &s : out) {
      if (s.layer != layer && s.layer >= 0)
        builder.beginLayer(core, program.layerNames[s.layer]);
      layer = s.layer;
      if (Status e = builder.emit(core, s.instr); !e)
        return StatusOr<Program>::error(
            "core " + std::to_string(core) + ": cannot encode '" +
            disassemble(s.instr) + "': " + e.message());
      ++st.instructions;
    }
    if (Status e = builder.emit(core, EndInstr{}); !e)
      return StatusOr<Program>(e);
  }
  return builder.take();
}

} // namespace tessel::npu::cg
