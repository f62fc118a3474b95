//===- Runtime.h - Loading and running deployable binaries -------*- C++
//-*-===//
//
// The C++ side of the runtime (the C API in tessel_runtime.h wraps it):
//
//   auto model = rt::Model::loadFile("model.tsl", {});      // validated
//   auto ctx = rt::Context::create(*model, {});             // one per thread
//   ctx->setInput(0, data, bytes);
//   ctx->run();                                             // steps in order
//   const uint8_t *out = ctx->outputData(0, &bytes);
//
// A run allocates nothing: each context owns one DDR arena (its private
// parts; the weights stay in the model's buffer, shared read-only by every
// context) and one simulator. NPU steps run on the simulator; host steps go
// to a HostExecutor, the extension point of the CPU back end.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_RUNTIME_H
#define TESSEL_RUNTIME_RUNTIME_H

#include "tessel/Runtime/Container.h"
#include "tessel/Runtime/Simulator.h"
#include "tessel/Target/NPU/Chip.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tessel::rt {

//===----------------------------------------------------------------------===//
// Host steps (the CPU back end plugs in here)
//===----------------------------------------------------------------------===//

/// Runs the host steps of one execution context. One executor per context,
/// so an executor needs no locking of its own.
class HostExecutor {
public:
  virtual ~HostExecutor();
  /// Calls host function `step.function` with `step.args` (arena offsets or
  /// immediates, as the compiler recorded them) over the context's arena.
  /// The weights part of the arena is read-only: arena.pointer(..., true)
  /// returns null for it.
  virtual Status run(const PlanStep &step, sim::DdrMemory &arena) = 0;
  /// Applies the context's options (e.g. the thread count) before any run.
  virtual Status configure(const struct RunOptions &options);
  /// A line or two on the last run for RunReport::summaryText (e.g. the
  /// GPU and its device time); empty by default.
  virtual std::string summary() const;
};

/// Makes a HostExecutor for a loaded binary (e.g. from its host-code
/// section), or returns null: if `why` is set, the factory recognized the
/// binary but cannot run it, and `why` says why.
using HostExecutorFactory = std::function<std::unique_ptr<HostExecutor>(
    const LoadedBinary &binary, std::string &why)>;

/// Registers a factory under `name` (thread-safe; a name registered again
/// replaces the earlier factory). When a model with host steps loads, the
/// factories are asked in registration order; the first executor wins.
void registerHostExecutorFactory(const std::string &name,
                                 HostExecutorFactory factory);
/// Removes a factory (tests use this).
void unregisterHostExecutorFactory(const std::string &name);

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

struct LoadOptions {
  /// The chip of the device. If set, a binary compiled for another chip is
  /// refused (ErrorKind::ChipMismatch).
  std::string deviceChip;
  /// Chip definition files to add to the built-in chips.
  std::vector<std::string> chipFiles;
};

class Model {
public:
  /// Loads a file (memory-mapped; the weights are used in place).
  static StatusOr<std::shared_ptr<const Model>>
  loadFile(const std::string &path, const LoadOptions &options);
  /// Loads from memory; the bytes are copied, so the caller may free them.
  static StatusOr<std::shared_ptr<const Model>>
  loadMemory(const void *data, size_t size, const LoadOptions &options);
  ~Model();

  const LoadedBinary &binary() const { return binary_; }
  TargetKind target() const { return binary_.model.target; }
  /// The chip an NPU model runs on (null for other targets).
  const npu::ChipModel *chip() const { return hasChip_ ? &chip_ : nullptr; }
  const std::vector<size_t> &inputs() const { return inputs_; }
  const std::vector<size_t> &outputs() const { return outputs_; }
  /// A tensor by its index in binary().model.tensors.
  const TensorDesc &tensor(size_t i) const { return binary_.model.tensors[i]; }
  /// The index in inputs() / outputs() of a name, or -1.
  int64_t findInput(const std::string &name) const;
  int64_t findOutput(const std::string &name) const;
  /// Where the model came from ("model.tsl" or "<memory>").
  const std::string &source() const { return source_; }

private:
  Model() = default;
  static StatusOr<std::shared_ptr<const Model>>
  finish(std::shared_ptr<Model> m, const LoadOptions &options);
  friend class Context;

  std::string source_;
  // The file image: either mapped or owned.
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  void *mapped_ = nullptr;
  std::vector<uint8_t> owned_;
  LoadedBinary binary_;
  npu::ChipModel chip_;
  bool hasChip_ = false;
  std::vector<size_t> inputs_, outputs_;
  HostExecutorFactory hostFactory_;
  /// The executor made when the model loaded, for the first context.
  mutable std::mutex spareMutex_;
  mutable std::unique_ptr<HostExecutor> spareHost_;
};

//===----------------------------------------------------------------------===//
// Execution contexts
//===----------------------------------------------------------------------===//

struct RunOptions {
  /// Threads for host code (the CPU micro-kernels); 0 means the
  /// TESSEL_NUM_THREADS environment variable, or every hardware thread.
  int threads = 0;
  sim::SimOptions sim;
  sim::SummaryOptions summary; ///< Batch and instances for the summary.
  /// If set, every run writes a Chrome trace-event JSON file here.
  std::string tracePath;
  /// Keep the profile (JSON) of the last run.
  bool profile = false;
};

/// What the last run did.
struct RunReport {
  sim::RunStats stats; ///< Summed over the NPU steps.
  sim::Summary summary;
  std::string summaryText; ///< Empty for models without NPU steps.
  std::string profileJson; ///< With RunOptions::profile.
  std::string profileText; ///< With RunOptions::profile: layer tables.
  double wallSeconds = 0;  ///< Host time of the run.
};

class Context {
public:
  static StatusOr<std::unique_ptr<Context>>
  create(std::shared_ptr<const Model> model, const RunOptions &options);
  ~Context();

  /// Copies input `index` (of Model::inputs()) into the arena; `bytes` must
  /// be the tensor's byte size.
  Status setInput(size_t index, const void *data, size_t bytes);
  /// Runs the plan. Every input must have been set (inputs stay set).
  Status run();
  /// Output `index` (of Model::outputs()) after a run; valid until the next
  /// run or the context's destruction.
  const uint8_t *outputData(size_t index, size_t *bytes) const;
  const RunReport &report() const { return report_; }
  const Model &model() const { return *model_; }

private:
  Context() = default;
  std::shared_ptr<const Model> model_;
  RunOptions options_;
  sim::DdrMemory arena_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<HostExecutor> host_;
  std::vector<bool> inputSet_;
  bool ran_ = false;
  RunReport report_;
};

} // namespace tessel::rt

#endif // TESSEL_RUNTIME_RUNTIME_H
