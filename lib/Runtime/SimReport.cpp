//===- SimReport.cpp - Simulator summaries, profiles and traces -----------===//
#include "tessel/Runtime/Simulator.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace tessel::sim {

using namespace tessel::npu;

namespace {

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, f);
  vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt("\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "0";
  return fmt("%.6g", v);
}

std::string bytesText(double b) {
  if (b >= 1024.0 * 1024.0)
    return fmt("%.2f MiB", b / (1024.0 * 1024.0));
  if (b >= 1024.0)
    return fmt("%.1f KiB", b / 1024.0);
  return fmt("%.0f B", b);
}

std::string disasmOf(const Program &p, uint32_t core, uint32_t index) {
  if (core >= p.streams.size() || index >= p.streams[core].size())
    return "?";
  StatusOr<Instr> d = decode(p.streams[core][index]);
  return d ? disassemble(*d) : std::string(".word ...");
}

double peakMacs(const ChipModel &chip, DType t) {
  return static_cast<double>(chip.macsPerCycle(t));
}

} // namespace

Summary summarize(const ChipModel &chip, const RunStats &st, SummaryOptions o) {
  Summary s;
  double hz = chip.clockMHz * 1e6;
  double latency = static_cast<double>(st.cycles) / hz;
  uint32_t batch = std::max(1u, o.batch), inst = std::max(1u, o.instances);
  s.latencyUs = latency * 1e6;
  if (st.cycles) {
    s.inferencesPerSecond = inst * batch / latency;
    double ddrRate = inst * static_cast<double>(st.ddrBytes()) / latency;
    double ddrPeak = chip.ddrGBps * 1e9;
    if (ddrRate > ddrPeak) {
      s.ddrBound = true;
      s.inferencesPerSecond = batch * ddrPeak / st.ddrBytes();
    }
    s.utilization =
        static_cast<double>(st.macs) /
        (static_cast<double>(st.cycles) * chip.macsI8() * chip.cores);
  }
  s.ddrBytesPerInference = static_cast<double>(st.ddrBytes()) / batch;
  double dynamicJ =
      (st.macsI8 * chip.pjPerMacI8 + st.macsI16 * chip.pjPerMacI16 +
       st.macsF16 * chip.pjPerMacF16 + st.ddrBytes() * chip.pjPerDdrByte +
       st.vtcmBytes * chip.pjPerVtcmByte) *
      1e-12;
  double staticJ = chip.staticPowerW * latency / inst;
  double perInference = (dynamicJ + staticJ) / batch;
  s.energyPerInferenceUJ = perInference * 1e6;
  s.inferencesPerJoule = perInference > 0 ? 1.0 / perInference : 0;
  if (static_cast<uint64_t>(inst) * std::max(1u, st.coresUsed) > chip.cores)
    s.instancesNote = fmt("%u instances x %u cores exceed the %u cores of "
                          "%s",
                          inst, st.coresUsed, chip.cores, chip.name.c_str());
  return s;
}

std::string summaryText(const ChipModel &chip, const SimResult &r,
                        SummaryOptions o) {
  const RunStats &st = r.stats;
  Summary s = summarize(chip, st, o);
  std::string out;
  out += fmt("chip %s: %u of %u cores used, %.0f MHz\n", chip.name.c_str(),
             st.coresUsed, chip.cores, chip.clockMHz);
  out += fmt("cycles %" PRIu64 " (%.3f us), %" PRIu64 " instructions\n",
             st.cycles, s.latencyUs, st.instructions);
  out += fmt("MACs %" PRIu64 ", utilization %.1f%% of %u MAC/cycle x %u "
             "cores\n",
             st.macs, 100.0 * s.utilization, chip.macsI8(), chip.cores);
  uint64_t busy[kNumEngines] = {};
  uint64_t peak = 0;
  for (const auto &b : st.busy)
    for (unsigned e = 0; e < kNumEngines; ++e)
      busy[e] += b[e];
  for (uint64_t p : st.vtcmPeak)
    peak = std::max(peak, p);
  out += fmt("busy cycles: dma %" PRIu64 ", mat %" PRIu64 ", vec %" PRIu64
             "; DMA/compute overlap %" PRIu64 " cycles\n",
             busy[0], busy[1], busy[2], st.overlapCycles);
  out += fmt("DDR read %s, written %s; VTCM peak %" PRIu64 " bytes\n",
             bytesText(static_cast<double>(st.ddrBytesRead)).c_str(),
             bytesText(static_cast<double>(st.ddrBytesWritten)).c_str(), peak);
  out += fmt("batch %u, instances %u: %.1f inferences/s%s, %s DDR/inference, "
             "%.3f uJ/inference, %.0f inferences/J\n",
             std::max(1u, o.batch), std::max(1u, o.instances),
             s.inferencesPerSecond, s.ddrBound ? " (DDR-bound)" : "",
             bytesText(s.ddrBytesPerInference).c_str(), s.energyPerInferenceUJ,
             s.inferencesPerJoule);
  if (!s.instancesNote.empty())
    out += "note: " + s.instancesNote + "\n";
  return out;
}

std::string profileText(const ChipModel &chip, const Program &program,
                        const SimResult &r) {
  std::string out;
  if (!r.layers.empty()) {
    out +=
        fmt("%-20s %10s %10s %10s %10s %12s %6s %10s %10s\n", "layer", "cycles",
            "dma", "mat", "vec", "MACs", "util", "DDR bytes", "VTCM peak");
    for (const LayerProfile &l : r.layers) {
      double util = l.cycles() ? static_cast<double>(l.macs) /
                                     (static_cast<double>(l.cycles()) *
                                      chip.macsI8() * chip.cores)
                               : 0;
      out += fmt("%-20s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
                 " %12" PRIu64 " %5.1f%% %10" PRIu64 " %10" PRIu64 "\n",
                 l.name.c_str(), l.cycles(), l.busy[0], l.busy[1], l.busy[2],
                 l.macs, 100 * util, l.ddrBytes, l.vtcmPeak);
    }
    out += "\n";
  }
  out += fmt("%4s %5s %3s %6s %10s %12s %6s %10s  %s\n", "core", "index", "eng",
             "count", "cycles", "MACs", "util", "bytes", "instruction");
  std::vector<InstrProfile> sorted = r.instrs;
  std::sort(sorted.begin(), sorted.end(),
            [](const InstrProfile &a, const InstrProfile &b) {
              return a.core < b.core || (a.core == b.core && a.index < b.index);
            });
  for (const InstrProfile &p : sorted) {
    double util =
        p.cycles && p.macs
            ? static_cast<double>(p.macs) /
                  (static_cast<double>(p.cycles) * peakMacs(chip, p.macType))
            : 0;
    out += fmt("%4u %5u %3s %6" PRIu64 " %10" PRIu64 " %12" PRIu64
               " %5.1f%% %10" PRIu64 "  %s\n",
               p.core, p.index, engineName(static_cast<Engine>(p.engine)),
               p.count, p.cycles, p.macs, 100 * util, p.bytes,
               disasmOf(program, p.core, p.index).c_str());
  }
  return out;
}

std::string profileJson(const ChipModel &chip, const Program &program,
                        const SimResult &r, SummaryOptions o) {
  const RunStats &st = r.stats;
  Summary s = summarize(chip, st, o);
  std::string out = "{\n";
  out += "  \"chip\": " + jsonString(chip.name) + ",\n";
  out += fmt("  \"clock_mhz\": %s,\n", jsonNumber(chip.clockMHz).c_str());
  out += "  \"fault\": " +
         (r.fault ? jsonString(r.fault->toString()) : std::string("null")) +
         ",\n";
  out += "  \"summary\": {";
  out += fmt(
      "\"cycles\": %" PRIu64 ", \"latency_us\": %s, \"instructions\": "
      "%" PRIu64 ", \"macs\": %" PRIu64 ", \"utilization\": %s, "
      "\"ddr_bytes_read\": %" PRIu64 ", \"ddr_bytes_written\": %" PRIu64
      ", \"vtcm_bytes\": %" PRIu64 ", \"overlap_cycles\": %" PRIu64
      ", \"batch\": %u, \"instances\": %u, \"inferences_per_second\": "
      "%s, \"ddr_bound\": %s, \"ddr_bytes_per_inference\": %s, "
      "\"energy_uj_per_inference\": %s, \"inferences_per_joule\": %s, "
      "\"cores_used\": %u",
      st.cycles, jsonNumber(s.latencyUs).c_str(), st.instructions, st.macs,
      jsonNumber(s.utilization).c_str(), st.ddrBytesRead, st.ddrBytesWritten,
      st.vtcmBytes, st.overlapCycles, std::max(1u, o.batch),
      std::max(1u, o.instances), jsonNumber(s.inferencesPerSecond).c_str(),
      s.ddrBound ? "true" : "false", jsonNumber(s.ddrBytesPerInference).c_str(),
      jsonNumber(s.energyPerInferenceUJ).c_str(),
      jsonNumber(s.inferencesPerJoule).c_str(), st.coresUsed);
  out += ", \"cores\": [";
  for (size_t k = 0; k < st.busy.size(); ++k)
    out += fmt("%s{\"core\": %zu, \"dma_busy\": %" PRIu64 ", \"mat_busy\": "
               "%" PRIu64 ", \"vec_busy\": %" PRIu64 ", \"vtcm_peak\": %" PRIu64
               "}",
               k ? ", " : "", k, st.busy[k][0], st.busy[k][1], st.busy[k][2],
               st.vtcmPeak[k]);
  out += "]},\n  \"layers\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerProfile &l = r.layers[i];
    double util =
        l.cycles()
            ? static_cast<double>(l.macs) /
                  (static_cast<double>(l.cycles()) * chip.macsI8() * chip.cores)
            : 0;
    out += fmt(
        "%s\n    {\"name\": %s, \"start\": %" PRIu64 ", \"end\": %" PRIu64
        ", \"cycles\": %" PRIu64 ", \"dma_busy\": %" PRIu64
        ", \"mat_busy\": %" PRIu64 ", \"vec_busy\": %" PRIu64
        ", \"macs\": %" PRIu64 ", \"utilization\": %s, \"bytes\": %" PRIu64
        ", \"ddr_bytes\": %" PRIu64 ", \"instructions\": %" PRIu64
        ", \"vtcm_peak\": %" PRIu64 "}",
        i ? "," : "", jsonString(l.name).c_str(), l.start, l.end, l.cycles(),
        l.busy[0], l.busy[1], l.busy[2], l.macs, jsonNumber(util).c_str(),
        l.bytes, l.ddrBytes, l.instructions, l.vtcmPeak);
  }
  out += "\n  ],\n  \"instructions\": [";
  for (size_t i = 0; i < r.instrs.size(); ++i) {
    const InstrProfile &p = r.instrs[i];
    double util =
        p.cycles && p.macs
            ? static_cast<double>(p.macs) /
                  (static_cast<double>(p.cycles) * peakMacs(chip, p.macType))
            : 0;
    int32_t layer = program.layerAt(p.core, p.index);
    out +=
        fmt("%s\n    {\"core\": %u, \"index\": %u, \"engine\": \"%s\", "
            "\"count\": %" PRIu64 ", \"cycles\": %" PRIu64
            ", \"macs\": %" PRIu64 ", \"utilization\": %s, \"bytes\": %" PRIu64
            ", \"ddr_bytes\": %" PRIu64 ", \"layer\": %s, \"disasm\": %s}",
            i ? "," : "", p.core, p.index,
            engineName(static_cast<Engine>(p.engine)), p.count, p.cycles,
            p.macs, jsonNumber(util).c_str(), p.bytes, p.ddrBytes,
            layer >= 0 ? jsonString(program.layerNames[layer]).c_str() : "null",
            jsonString(disasmOf(program, p.core, p.index)).c_str());
  }
  out += "\n  ]\n}\n";
  return out;
}

std::string chromeTraceJson(const ChipModel &chip, const Program &program,
                            const SimResult &r) {
  return chromeTraceJson(chip, std::vector<TracePart>{{&program, &r, 0}});
}

std::string chromeTraceJson(const ChipModel &chip,
                            const std::vector<TracePart> &parts) {
  double usPerCycle = 1.0 / chip.clockMHz;
  std::string out = "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n";
  bool first = true;
  auto emit = [&](const std::string &e) {
    out += first ? "  " : ",\n  ";
    out += e;
    first = false;
  };
  emit(fmt("{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 0, "
           "\"args\": {\"name\": %s}}",
           jsonString("NPU " + chip.name).c_str()));
  static const char *engines[] = {"DMA", "matrix", "vector", "barrier"};
  std::vector<bool> named(chip.cores, false);
  for (const TracePart &part : parts) {
    const Program &program = *part.program;
    for (uint32_t k = 0; k < program.numCores() && k < chip.cores; ++k) {
      if (program.streams[k].empty() || named[k])
        continue;
      named[k] = true;
      for (unsigned e = 0; e < 4; ++e) {
        uint32_t tid = k * 4 + e;
        emit(fmt("{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 0, "
                 "\"tid\": %u, \"args\": {\"name\": \"core %u %s\"}}",
                 tid, k, engines[e]));
        emit(fmt("{\"ph\": \"M\", \"name\": \"thread_sort_index\", "
                 "\"pid\": 0, \"tid\": %u, \"args\": {\"sort_index\": %u}}",
                 tid, tid));
      }
    }
  }
  for (const TracePart &part : parts) {
    const Program &program = *part.program;
    // Disassemble each static instruction once.
    std::vector<std::vector<std::string>> dis(program.numCores());
    for (const InstrRecord &rec : part.result->records) {
      uint64_t start = rec.start + part.cycleOffset;
      uint64_t end = rec.end + part.cycleOffset;
      if (rec.core >= dis.size())
        continue;
      auto &cache = dis[rec.core];
      if (cache.empty())
        cache.resize(program.streams[rec.core].size());
      std::string &d = cache[rec.index];
      if (d.empty())
        d = disasmOf(program, rec.core, rec.index);
      std::string name = d.substr(0, d.find(' '));
      int32_t layer = program.layerAt(rec.core, rec.index);
      std::string args =
          fmt("\"index\": %u, \"macs\": %" PRIu64 ", \"bytes\": %" PRIu64
              ", \"ddr_bytes\": %" PRIu64 ", \"start_cycle\": %" PRIu64
              ", \"end_cycle\": %" PRIu64,
              rec.index, rec.macs, rec.bytes, rec.ddrBytes, start, end);
      if (layer >= 0)
        args += ", \"layer\": " + jsonString(program.layerNames[layer]);
      args += ", \"disasm\": " + jsonString(d);
      uint64_t dur = end > start ? end - start : 0;
      emit(fmt("{\"ph\": \"X\", \"name\": %s, \"cat\": \"%s\", \"pid\": 0, "
               "\"tid\": %u, \"ts\": %.4f, \"dur\": %.4f, \"args\": {%s}}",
               jsonString(name).c_str(), engines[rec.engine],
               rec.core * 4 + rec.engine, start * usPerCycle, dur * usPerCycle,
               args.c_str()));
    }
  }
  out += "\n]}\n";
  return out;
}

} // namespace tessel::sim
