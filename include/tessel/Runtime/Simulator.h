//===- Simulator.h - Functional and cycle-approximate NPU simulator -*- C++
//-*-//
//
// Runs a multi-core Program on a ChipModel over a modelled DDR and one VTCM
// per core:
//
// - Functional: every instruction executes on the bytes in DDR/VTCM, with the
//   integer semantics of docs/npu-isa.md (bit-exact) and IEEE fp16/fp32.
// - Timing: per core, a front end dispatches the stream in order into three
//   engine queues (DMA, matrix, vector); the engines run concurrently, in
//   order each, synchronized only by semaphore waits and barriers. Costs come
//   from CostModel.h; DMAs also share the DDR channel across cores.
// - Checking: out-of-range or misaligned accesses, VTCM overflow, features
//   or types the chip lacks, deadlocks and data races (an access to bytes
//   that another engine is writing, or reading while this one writes, with no
//   wait ordering the two) stop the run with a Fault naming the core, the
//   instruction index and its disassembly. The simulator never crashes on a
//   bad program and never silently corrupts memory.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_SIMULATOR_H
#define TESSEL_RUNTIME_SIMULATOR_H

#include "tessel/Support/Status.h"
#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Program.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessel::sim {

using npu::ChipModel;
using npu::Program;

//===----------------------------------------------------------------------===//
// Modelled DDR
//===----------------------------------------------------------------------===//

/// DDR is one address space [0, size) made of segments: private, writable
/// memory and read-only segments that alias other storage (the weights of a
/// loaded binary, shared by every execution context).
class DdrMemory {
public:
  struct Segment {
    uint64_t base = 0;
    uint64_t size = 0;
    uint8_t *data = nullptr;
    bool writable = true;
  };

  DdrMemory() = default;
  /// A plain writable DDR of `size` zero bytes.
  explicit DdrMemory(uint64_t size);

  /// Adds a segment; segments must not overlap.
  Status addSegment(Segment s);
  /// Makes [base, base + size) a private, zero-filled writable segment.
  Status addOwned(uint64_t base, uint64_t size);

  /// One past the highest mapped address.
  uint64_t size() const;
  /// The segment holding all of [addr, addr + len), or null.
  const Segment *find(uint64_t addr, uint64_t len) const;
  /// Pointer to [addr, addr + len) if one segment holds it all (and it is
  /// writable, if `write`); null otherwise.
  uint8_t *pointer(uint64_t addr, uint64_t len, bool write) const;
  /// Copies in or out (false if the range is not mapped or not writable).
  bool write(uint64_t addr, const void *src, uint64_t len);
  bool read(uint64_t addr, void *dst, uint64_t len) const;

private:
  std::vector<Segment> segments_;
  std::vector<std::unique_ptr<uint8_t[]>> owned_;
};

//===----------------------------------------------------------------------===//
// Options and results
//===----------------------------------------------------------------------===//

struct SimOptions {
  bool checkHazards = true; ///< Report races between engines as faults.
  bool keepRecords = false; ///< Keep every executed instruction (traces).
  /// Timing only: skip the functional work of every instruction (outputs
  /// and VTCM contents are not computed; cycle costs never depend on data).
  /// For compile-time tuning.
  bool timingOnly = false;
  /// Safety limits: a run exceeding them stops with a fault.
  uint64_t maxInstructions = 500'000'000; ///< Dynamic instructions.
  uint64_t maxWork = 1ull << 42; ///< MACs + element operations + DMA bytes.
};

/// Why a run stopped early.
struct Fault {
  int32_t core = -1;  ///< -1: not tied to one core.
  int64_t index = -1; ///< Instruction index in the core's stream.
  std::string disasm; ///< Disassembly of that instruction.
  std::string message;
  uint64_t cycle = 0;
  /// "core 0, instruction 7 (conv ...): message".
  std::string toString() const;
};

/// One executed instruction (kept when SimOptions::keepRecords).
struct InstrRecord {
  uint32_t core = 0;
  uint8_t engine = 0; ///< npu::Engine; 3 for a barrier.
  uint32_t index = 0;
  npu::Opcode opcode = npu::Opcode::End;
  uint64_t start = 0, end = 0; ///< Engine busy interval.
  uint64_t done = 0;           ///< Completion (end + DMA latency).
  uint64_t macs = 0;
  uint64_t bytes = 0;    ///< Bytes read + written.
  uint64_t ddrBytes = 0; ///< DDR bytes (whole bursts).
};

/// Totals for one static instruction (all its dynamic executions).
struct InstrProfile {
  uint32_t core = 0;
  uint32_t index = 0;
  uint8_t engine = 0;
  uint64_t count = 0;
  uint64_t cycles = 0; ///< Sum of busy cycles.
  uint64_t macs = 0;
  uint64_t bytes = 0;
  uint64_t ddrBytes = 0;
  npu::DType macType = npu::DType::I8; ///< Conv/matmul input type.
};

/// Totals for one layer (instructions attributed by Program::marks).
struct LayerProfile {
  std::string name;
  uint64_t start = UINT64_MAX, end = 0;             ///< Wall-clock span.
  std::array<uint64_t, npu::kNumEngines> busy = {}; ///< Per engine.
  uint64_t macs = 0;
  uint64_t bytes = 0;
  uint64_t ddrBytes = 0;
  uint64_t instructions = 0;
  uint64_t vtcmPeak = 0; ///< Highest VTCM address its instructions touch.
  uint64_t cycles() const { return end > start ? end - start : 0; }
};

struct RunStats {
  uint64_t cycles = 0;       ///< Makespan: the last completion.
  uint64_t instructions = 0; ///< Dynamic instructions executed.
  uint64_t macs = 0;
  uint64_t macsI8 = 0, macsI16 = 0, macsF16 = 0;
  uint64_t ddrBytesRead = 0, ddrBytesWritten = 0; ///< In whole bursts.
  uint64_t vtcmBytes = 0; ///< Bytes read + written in VTCM.
  uint32_t coresUsed = 0; ///< Cores with a non-empty stream.
  /// Per core: busy cycles per engine, and the VTCM high-water mark.
  std::vector<std::array<uint64_t, npu::kNumEngines>> busy;
  std::vector<uint64_t> vtcmPeak;
  /// Cycles in which some core's DMA engine and some matrix or vector engine
  /// were busy at once (the double-buffering overlap).
  uint64_t overlapCycles = 0;
  uint64_t ddrBytes() const { return ddrBytesRead + ddrBytesWritten; }
};

/// Everything a run produced.
struct SimResult {
  std::optional<Fault> fault;
  RunStats stats;
  std::vector<InstrProfile> instrs; ///< Every static instruction executed.
  std::vector<LayerProfile> layers; ///< In first-execution order.
  std::vector<InstrRecord> records; ///< With SimOptions::keepRecords.
};

//===----------------------------------------------------------------------===//
// The simulator
//===----------------------------------------------------------------------===//

class Simulator {
public:
  explicit Simulator(const ChipModel &chip, SimOptions options = {});
  ~Simulator();
  Simulator(const Simulator &) = delete;
  Simulator &operator=(const Simulator &) = delete;

  const ChipModel &chip() const { return chip_; }
  SimOptions &options() { return options_; }

  /// A core's VTCM (chip.vtcmBytes bytes, zeroed when first used; programs
  /// may use the usable part). Contents persist across runs.
  uint8_t *vtcm(uint32_t core);

  /// Runs `program` over `ddr`. On a fault the returned Status carries
  /// Fault::toString() and `result.fault` the details; the statistics cover
  /// what ran before it.
  Status run(const Program &program, DdrMemory &ddr, SimResult &result);

private:
  ChipModel chip_;
  SimOptions options_;
  std::vector<std::vector<uint8_t>> vtcm_;
};

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

/// How the network summary scales a run.
struct SummaryOptions {
  uint32_t batch = 1;     ///< Inferences per run.
  uint32_t instances = 1; ///< Copies running at once on disjoint cores.
};

/// Network-level figures derived from a run (docs/npu-isa.md, "Reports").
struct Summary {
  double latencyUs = 0;
  double inferencesPerSecond = 0;
  bool ddrBound = false; ///< inferences/s capped by DDR bandwidth.
  double ddrBytesPerInference = 0;
  double utilization = 0; ///< MACs / (cycles * peak MACs/cycle * cores).
  double energyPerInferenceUJ = 0;
  double inferencesPerJoule = 0;
  std::string instancesNote; ///< Set when instances x cores > chip cores.
};
Summary summarize(const ChipModel &chip, const RunStats &stats,
                  SummaryOptions options = {});

/// A human-readable summary (a few lines).
std::string summaryText(const ChipModel &chip, const SimResult &result,
                        SummaryOptions options = {});
/// Per-layer and per-instruction tables.
std::string profileText(const ChipModel &chip, const Program &program,
                        const SimResult &result);
/// The profile as JSON (summary, layers, instructions).
std::string profileJson(const ChipModel &chip, const Program &program,
                        const SimResult &result, SummaryOptions options = {});
/// A Chrome trace-event JSON timeline (needs SimOptions::keepRecords): one
/// track per core and engine, one slice per instruction. Opens in Perfetto
/// (ui.perfetto.dev) and chrome://tracing.
std::string chromeTraceJson(const ChipModel &chip, const Program &program,
                            const SimResult &result);
/// One program's run within a longer timeline (several NPU steps).
struct TracePart {
  const Program *program;
  const SimResult *result;
  uint64_t cycleOffset = 0; ///< Where this run starts on the timeline.
};
std::string chromeTraceJson(const ChipModel &chip,
                            const std::vector<TracePart> &parts);

} // namespace tessel::sim

#endif // TESSEL_RUNTIME_SIMULATOR_H
