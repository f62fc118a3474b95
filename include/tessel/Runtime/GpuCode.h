//===- GpuCode.h - The gpu-code section of a deployable binary --*- C++ -*-===//
//
// The GPU back end's payload in a .tsl binary (section type 7, gpu-code):
// PTX modules, the kernels they define, the transfers between the host
// arena and the device arena, and the launches in order (grid, block,
// shared memory, arguments). docs/binary-format.md describes every byte.
//
// The plan runs one host step over it (kind 2, three arguments as for the
// CPU: the host arena bytes holding the inputs and outputs, the weights'
// arena offset and size); the GPU executor (GpuExecutor.cpp) uploads the
// inputs, launches every kernel in order and downloads the outputs.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_GPUCODE_H
#define TESSEL_RUNTIME_GPUCODE_H

#include "tessel/Runtime/Runtime.h"
#include "tessel/Support/Status.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tessel::rt {

/// Hardware limits every launch must respect on every supported GPU (sm_80
/// and later); the executor checks the device's own limits as well.
struct GpuLimits {
  static constexpr uint32_t kMaxThreadsPerBlock = 1024;
  static constexpr uint32_t kMaxBlockDim[3] = {1024, 1024, 64};
  static constexpr uint32_t kMaxGridDim[3] = {0x7fffffffu, 65535, 65535};
  /// The largest dynamic shared memory a launch may ask for (sm_90's
  /// opt-in limit; the executor checks the device's).
  static constexpr uint32_t kMaxDynamicSharedBytes = 227 * 1024;
};

/// What a kernel argument is.
enum class GpuArgKind : uint32_t {
  Arena = 1,   ///< Device address of the context's device arena + value.
  Weights = 2, ///< Device address of the model's weights + value.
  Imm32 = 3,   ///< A 4-byte immediate (the low 32 bits of value).
  Imm64 = 4,   ///< An 8-byte immediate.
};

struct GpuArg {
  GpuArgKind kind = GpuArgKind::Arena;
  uint64_t value = 0;
};

/// One PTX module (a NUL-free text, JIT-compiled by the driver at load).
struct GpuModule {
  std::string name;
  std::string ptx;
};

/// An entry point of a module.
struct GpuKernel {
  uint32_t module = 0;
  std::string name;
};

struct GpuLaunch {
  uint32_t kernel = 0;
  std::array<uint32_t, 3> grid = {1, 1, 1};
  std::array<uint32_t, 3> block = {1, 1, 1};
  uint32_t dynamicSharedBytes = 0;
  std::vector<GpuArg> args;
  /// What the launch computes (the ONNX node names), for messages.
  std::string label;
};

/// A copy between the host arena (where the runtime binds inputs and reads
/// outputs) and the device arena.
struct GpuTransfer {
  enum class Direction : uint32_t { ToDevice = 1, ToHost = 2 };
  Direction direction = Direction::ToDevice;
  uint64_t hostOffset = 0;
  uint64_t deviceOffset = 0;
  uint64_t bytes = 0;
};

struct GpuCode {
  /// The compute capability the PTX targets, as major * 10 + minor (80 for
  /// sm_80, 90 for sm_90); it runs on that GPU and newer ones.
  uint32_t smVersion = 80;
  /// Bytes of device memory each context allocates (inputs, outputs and
  /// intermediates; the weights are allocated once per model).
  uint64_t arenaBytes = 0;
  std::vector<GpuModule> modules;
  std::vector<GpuKernel> kernels;
  /// Uploads (before the first launch) and downloads (after the last).
  std::vector<GpuTransfer> transfers;
  std::vector<GpuLaunch> launches;
};

std::vector<uint8_t> encodeGpuCode(const GpuCode &code);
/// Parses a gpu-code section; the result is also validated (see below)
/// except for the bounds that need the model (validateGpuCode).
StatusOr<GpuCode> decodeGpuCode(const uint8_t *data, size_t size);

/// Checks a GPU program against itself and the model: kernels naming
/// existing modules, launches naming existing kernels with grid and block
/// sizes within the hardware limits, arguments inside the device arena or
/// the weights, transfers inside both arenas (`hostBytes`: the host arena
/// bytes the plan's step gives the executor).
Status validateGpuCode(const GpuCode &code, uint64_t weightsBytes,
                       uint64_t hostBytes);

/// "sm_80" for 80.
std::string smName(uint32_t smVersion);

/// The factory of the GPU host executor (registered by default as "gpu").
HostExecutorFactory gpuHostExecutorFactory();

} // namespace tessel::rt

#endif // TESSEL_RUNTIME_GPUCODE_H
