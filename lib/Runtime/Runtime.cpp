//===- Runtime.cpp - Models, contexts and host-step dispatch --------------===//
#include "tessel/Runtime/Runtime.h"
#include "tessel/Runtime/GpuCode.h"
#include "tessel/Runtime/HostCode.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::rt {

HostExecutor::~HostExecutor() = default;
Status HostExecutor::configure(const RunOptions &) { return Status(); }
std::string HostExecutor::summary() const { return std::string(); }

//===----------------------------------------------------------------------===//
// Host executor factories
//===----------------------------------------------------------------------===//

namespace {

struct FactoryRegistry {
  std::mutex mutex;
  std::vector<std::pair<std::string, HostExecutorFactory>> factories;
};

FactoryRegistry &factories() {
  // The CPU and GPU back ends' executors are built in; others register
  // themselves.
  static FactoryRegistry *r = [] {
    auto *reg = new FactoryRegistry();
    reg->factories.push_back({"cpu", cpuHostExecutorFactory()});
    reg->factories.push_back({"gpu", gpuHostExecutorFactory()});
    return reg;
  }();
  return *r;
}

std::string hexFingerprint(uint64_t f) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%016" PRIx64, f);
  return buf;
}

} // namespace

void registerHostExecutorFactory(const std::string &name,
                                 HostExecutorFactory factory) {
  FactoryRegistry &r = factories();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto &f : r.factories)
    if (f.first == name) {
      f.second = std::move(factory);
      return;
    }
  r.factories.push_back({name, std::move(factory)});
}

void unregisterHostExecutorFactory(const std::string &name) {
  FactoryRegistry &r = factories();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories.erase(
      std::remove_if(r.factories.begin(), r.factories.end(),
                     [&](const auto &f) { return f.first == name; }),
      r.factories.end());
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::~Model() {
  if (mapped_)
    munmap(mapped_, size_);
}

StatusOr<std::shared_ptr<const Model>>
Model::loadFile(const std::string &path, const LoadOptions &options) {
  using R = StatusOr<std::shared_ptr<const Model>>;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return R::error("cannot open '" + path + "': " + std::strerror(errno),
                    ErrorKind::Io);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return R::error("'" + path + "' is not a regular file", ErrorKind::Io);
  }
  auto m = std::shared_ptr<Model>(new Model());
  m->source_ = path;
  m->size_ = static_cast<size_t>(st.st_size);
  if (m->size_ > 0) {
    void *p = mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return R::error("cannot map '" + path + "': " + std::strerror(errno),
                      ErrorKind::Io);
    }
    m->mapped_ = p;
    m->data_ = static_cast<const uint8_t *>(p);
  }
  ::close(fd);
  return finish(std::move(m), options);
}

StatusOr<std::shared_ptr<const Model>>
Model::loadMemory(const void *data, size_t size, const LoadOptions &options) {
  using R = StatusOr<std::shared_ptr<const Model>>;
  if (!data && size)
    return R::error("null model data", ErrorKind::InvalidArgument);
  auto m = std::shared_ptr<Model>(new Model());
  m->source_ = "<memory>";
  const uint8_t *b = static_cast<const uint8_t *>(data);
  m->owned_.assign(b, b + size);
  m->data_ = m->owned_.data();
  m->size_ = size;
  return finish(std::move(m), options);
}

StatusOr<std::shared_ptr<const Model>>
Model::finish(std::shared_ptr<Model> m, const LoadOptions &options) {
  using R = StatusOr<std::shared_ptr<const Model>>;
  const std::string &src = m->source_;
  StatusOr<LoadedBinary> b = readBinary(m->data_, m->size_);
  if (!b)
    return R(b.status().withContext(src));
  m->binary_ = b.take();
  const ModelBinary &mb = m->binary_.model;
  if (!mb.hasPlan)
    return R::error(src + ": the file has no execution plan: it is an "
                          "assembled NPU program, not a deployable model (run "
                          "it with 'tessel-npu sim')",
                    ErrorKind::Unsupported);

  // The target and the chip.
  bool hasGpuCode = false;
  for (const RawSection &s : m->binary_.unknownSections)
    hasGpuCode |= s.type == static_cast<uint32_t>(SectionType::GpuCode);
  if (mb.target == TargetKind::Gpu && !hasGpuCode)
    return R::error(src + ": the model targets the GPU but has no gpu-code "
                          "section",
                    ErrorKind::Format);
  if (mb.target == TargetKind::Npu) {
    npu::ChipRegistry registry;
    for (const std::string &f : options.chipFiles)
      if (Status s = registry.addFile(f); !s)
        return R::error(s.message(), ErrorKind::InvalidArgument);
    if (!options.deviceChip.empty() && options.deviceChip != mb.chip) {
      std::string hint = options.deviceChip;
      return R::error(src + ": the model was compiled for chip '" + mb.chip +
                          "' and cannot run on chip '" + hint +
                          "'; recompile it with --chip=" + hint,
                      ErrorKind::ChipMismatch);
    }
    const npu::ChipModel *chip = registry.find(mb.chip);
    if (!chip) {
      std::string known;
      for (const npu::ChipModel &c : registry.chips())
        known += (known.empty() ? "" : ", ") + c.name;
      return R::error(src + ": the model targets chip '" + mb.chip +
                          "', which this runtime does not know (known: " +
                          known + "); add its definition with a chip file",
                      ErrorKind::ChipMismatch);
    }
    if (chip->fingerprint() != mb.chipFingerprint)
      return R::error(
          src + ": chip '" + mb.chip +
              "' of this runtime differs from the chip the model was "
              "compiled for (fingerprint " +
              hexFingerprint(chip->fingerprint()) + ", binary " +
              hexFingerprint(mb.chipFingerprint) +
              "); recompile, or load the chip file the compiler used",
          ErrorKind::ChipMismatch);
    if (mb.plan.arenaSize > chip->ddrBytes)
      return R::error(src + ": the model needs a DDR arena of " +
                          std::to_string(mb.plan.arenaSize) +
                          " bytes, more than chip '" + chip->name +
                          "' addresses (" + std::to_string(chip->ddrBytes) +
                          ")",
                      ErrorKind::Unsupported);
    for (size_t i = 0; i < mb.npuPrograms.size(); ++i)
      if (mb.npuPrograms[i].numCores() > chip->cores)
        return R::error(src + ": NPU program " + std::to_string(i) + " uses " +
                            std::to_string(mb.npuPrograms[i].numCores()) +
                            " cores, but chip '" + chip->name + "' has " +
                            std::to_string(chip->cores),
                        ErrorKind::ChipMismatch);
    m->chip_ = *chip;
    m->hasChip_ = true;
  }
  for (const PlanStep &s : mb.plan.steps)
    if (s.kind == PlanStep::Kind::Npu && !m->hasChip_)
      return R::error(src + ": NPU steps in a " +
                          std::string(targetName(mb.target)) +
                          " binary that names no chip",
                      ErrorKind::Format);

  // Host steps need an executor.
  const PlanStep *firstHost = nullptr;
  size_t hostSteps = 0;
  for (const PlanStep &s : mb.plan.steps)
    if (s.kind == PlanStep::Kind::Host) {
      if (!firstHost)
        firstHost = &s;
      ++hostSteps;
    }
  if (firstHost) {
    FactoryRegistry &r = factories();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::string reasons, gpuWhy;
    for (const auto &f : r.factories) {
      std::string why;
      std::unique_ptr<HostExecutor> probe = f.second(m->binary_, why);
      if (probe) {
        m->hostFactory_ = f.second;
        // The first context takes it: executors can be costly to make (the
        // GPU's JIT-compiled modules and weights upload).
        m->spareHost_ = std::move(probe);
        break;
      }
      if (!why.empty())
        reasons += "; " + f.first + ": " + why;
      if (f.first == "gpu")
        gpuWhy = why;
    }
    if (!m->hostFactory_ && mb.target == TargetKind::Gpu && !gpuWhy.empty())
      return R::error(src + ": cannot run this GPU model: " + gpuWhy,
                      ErrorKind::Unsupported);
    if (!m->hostFactory_)
      return R::error(
          src + ": the model has " + std::to_string(hostSteps) + " host step" +
              (hostSteps == 1 ? "" : "s") + " (the first is '" +
              firstHost->name + "', host function " +
              std::to_string(firstHost->function) +
              ") but no host executor can run them" +
              (reasons.empty() ? std::string(" (none is registered in this "
                                             "runtime)")
                               : reasons),
          ErrorKind::Unsupported);
  }

  for (size_t i = 0; i < mb.tensors.size(); ++i)
    (mb.tensors[i].role == TensorDesc::Role::Input ? m->inputs_ : m->outputs_)
        .push_back(i);
  return std::shared_ptr<const Model>(std::move(m));
}

int64_t Model::findInput(const std::string &name) const {
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (tensor(inputs_[i]).name == name)
      return static_cast<int64_t>(i);
  return -1;
}

int64_t Model::findOutput(const std::string &name) const {
  for (size_t i = 0; i < outputs_.size(); ++i)
    if (tensor(outputs_[i]).name == name)
      return static_cast<int64_t>(i);
  return -1;
}

//===----------------------------------------------------------------------===//
// Context
//===----------------------------------------------------------------------===//

Context::~Context() = default;

StatusOr<std::unique_ptr<Context>>
Context::create(std::shared_ptr<const Model> model, const RunOptions &options) {
  using R = StatusOr<std::unique_ptr<Context>>;
  if (!model)
    return R::error("no model", ErrorKind::InvalidArgument);
  std::unique_ptr<Context> c(new Context());
  c->model_ = model;
  c->options_ = options;
  const LoadedBinary &b = model->binary();
  const ExecutionPlan &p = b.model.plan;
  // The arena: private memory around the shared, read-only weights.
  uint64_t wBegin = p.arenaSize, wEnd = p.arenaSize;
  if (b.weightsSize) {
    wBegin = p.weightsOffset;
    wEnd = p.weightsOffset + b.weightsSize;
    sim::DdrMemory::Segment w{wBegin, b.weightsSize,
                              const_cast<uint8_t *>(b.weightsData), false};
    if (Status s = c->arena_.addSegment(w); !s)
      return R(s);
  }
  if (Status s = c->arena_.addOwned(0, wBegin); !s)
    return R::error(s.message(), ErrorKind::OutOfMemory);
  if (Status s = c->arena_.addOwned(wEnd, p.arenaSize - wEnd); !s)
    return R::error(s.message(), ErrorKind::OutOfMemory);
  if (const npu::ChipModel *chip = model->chip()) {
    sim::SimOptions so = options.sim;
    so.keepRecords |= !options.tracePath.empty();
    c->sim_ = std::make_unique<sim::Simulator>(*chip, so);
  }
  if (model->hostFactory_) {
    std::string why;
    {
      std::lock_guard<std::mutex> lock(model->spareMutex_);
      c->host_ = std::move(model->spareHost_);
    }
    if (!c->host_)
      c->host_ = model->hostFactory_(b, why);
    if (!c->host_)
      return R::error("the host executor could not be created" +
                          (why.empty() ? std::string() : ": " + why),
                      ErrorKind::Unsupported);
    if (Status s = c->host_->configure(options); !s)
      return R(s);
  }
  c->inputSet_.assign(model->inputs().size(), false);
  return c;
}

Status Context::setInput(size_t index, const void *data, size_t bytes) {
  const Model &m = *model_;
  if (index >= m.inputs().size())
    return Status::error("input index " + std::to_string(index) +
                             " is out of range (the model has " +
                             std::to_string(m.inputs().size()) + " inputs)",
                         ErrorKind::InvalidArgument);
  const TensorDesc &t = m.tensor(m.inputs()[index]);
  if (bytes != t.byteSize())
    return Status::error(
        "input '" + t.name + "' takes " + std::to_string(t.byteSize()) +
            " bytes (" + elemName(t.dtype) + "), not " + std::to_string(bytes),
        ErrorKind::InvalidArgument);
  if (!data && bytes)
    return Status::error("null data for input '" + t.name + "'",
                         ErrorKind::InvalidArgument);
  if (bytes && !arena_.write(t.offset, data, bytes))
    return Status::error("input '" + t.name +
                             "' does not lie in one "
                             "writable part of the arena",
                         ErrorKind::Format);
  inputSet_[index] = true;
  return Status::ok();
}

Status Context::run() {
  const Model &m = *model_;
  for (size_t i = 0; i < inputSet_.size(); ++i)
    if (!inputSet_[i])
      return Status::error("input '" + m.tensor(m.inputs()[i]).name +
                               "' was not set",
                           ErrorKind::State);
  auto t0 = std::chrono::steady_clock::now();
  report_ = RunReport();
  ran_ = false;
  const ModelBinary &mb = m.binary().model;
  std::vector<sim::SimResult> results;
  std::vector<const npu::Program *> programs;
  std::vector<uint64_t> offsets;
  uint64_t clock = 0;
  sim::RunStats &total = report_.stats;
  for (size_t si = 0; si < mb.plan.steps.size(); ++si) {
    const PlanStep &step = mb.plan.steps[si];
    std::string what = "step " + std::to_string(si) + " ('" + step.name + "')";
    if (step.kind == PlanStep::Kind::Host) {
      if (Status s = host_->run(step, arena_); !s)
        return Status::error(what + ": " + s.message(), ErrorKind::Execution);
      continue;
    }
    const npu::Program &prog = mb.npuPrograms[step.program];
    sim::SimResult result;
    Status s = sim_->run(prog, arena_, result);
    if (!s)
      return Status::error(what + ": NPU fault: " + s.message(),
                           ErrorKind::Execution);
    const sim::RunStats &st = result.stats;
    total.cycles += st.cycles;
    total.instructions += st.instructions;
    total.macs += st.macs;
    total.macsI8 += st.macsI8;
    total.macsI16 += st.macsI16;
    total.macsF16 += st.macsF16;
    total.ddrBytesRead += st.ddrBytesRead;
    total.ddrBytesWritten += st.ddrBytesWritten;
    total.vtcmBytes += st.vtcmBytes;
    total.overlapCycles += st.overlapCycles;
    total.coresUsed = std::max(total.coresUsed, st.coresUsed);
    if (total.busy.size() < st.busy.size()) {
      total.busy.resize(st.busy.size());
      total.vtcmPeak.resize(st.vtcmPeak.size());
    }
    for (size_t k = 0; k < st.busy.size(); ++k) {
      for (unsigned e = 0; e < npu::kNumEngines; ++e)
        total.busy[k][e] += st.busy[k][e];
      total.vtcmPeak[k] = std::max(total.vtcmPeak[k], st.vtcmPeak[k]);
    }
    offsets.push_back(clock);
    clock += st.cycles;
    programs.push_back(&prog);
    results.push_back(std::move(result));
  }
  if (const npu::ChipModel *chip = m.chip(); chip && !results.empty()) {
    report_.summary = sim::summarize(*chip, total, options_.summary);
    sim::SimResult agg;
    agg.stats = total;
    report_.summaryText = sim::summaryText(*chip, agg, options_.summary);
    if (options_.profile) {
      for (size_t i = 0; i < results.size(); ++i)
        report_.profileText +=
            (results.size() > 1 ? "step " + std::to_string(i) + ":\n"
                                : std::string()) +
            sim::profileText(*chip, *programs[i], results[i]);
      if (results.size() == 1) {
        report_.profileJson =
            sim::profileJson(*chip, *programs[0], results[0], options_.summary);
      } else {
        std::string j = "{\"steps\": [\n";
        for (size_t i = 0; i < results.size(); ++i)
          j +=
              (i ? ",\n" : "") + sim::profileJson(*chip, *programs[i],
                                                  results[i], options_.summary);
        report_.profileJson = j + "]}\n";
      }
    }
    if (!options_.tracePath.empty()) {
      std::vector<sim::TracePart> parts;
      for (size_t i = 0; i < results.size(); ++i)
        parts.push_back({programs[i], &results[i], offsets[i]});
      std::ofstream f(options_.tracePath, std::ios::trunc);
      f << sim::chromeTraceJson(*chip, parts);
      if (!f)
        return Status::error("cannot write the trace to '" +
                                 options_.tracePath + "'",
                             ErrorKind::Io);
    }
  }
  if (host_ && report_.summaryText.empty())
    report_.summaryText = host_->summary();
  report_.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  ran_ = true;
  return Status::ok();
}

const uint8_t *Context::outputData(size_t index, size_t *bytes) const {
  const Model &m = *model_;
  if (!ran_ || index >= m.outputs().size())
    return nullptr;
  const TensorDesc &t = m.tensor(m.outputs()[index]);
  if (bytes)
    *bytes = t.byteSize();
  return arena_.pointer(t.offset, t.byteSize(), false);
}

} // namespace tessel::rt
