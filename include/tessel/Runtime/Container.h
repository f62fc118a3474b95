//===- Container.h - The deployable binary (.tsl) format ---------*- C++
//-*-===//
//
// One file per compiled model, for every target: a versioned header, a
// section table, a CRC-32 per section and for the header and table, sections
// aligned to 64 bytes (so weights can be used in place from an mmapped
// file). docs/binary-format.md describes every byte.
//
// Writing (the compiler's side):
//
//   rt::ModelBinary m;
//   m.target = rt::TargetKind::Npu;
//   m.chip = chip.name; m.chipFingerprint = chip.fingerprint();
//   m.options = {{"batch", "1"}, {"cores", "4"}};
//   m.tensors.push_back({...});             // inputs and outputs
//   m.weights = packedWeights;              // mapped at plan.weightsOffset
//   m.npuPrograms.push_back(program);       // per-core instruction streams
//   m.plan.arenaSize = ...; m.plan.steps.push_back(rt::PlanStep::npu(0));
//   Status s = rt::writeBinaryFile(m, "model.tsl");
//
// Reading: rt::readBinary validates everything (checksums, bounds, version,
// references between sections) and never trusts the file.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_CONTAINER_H
#define TESSEL_RUNTIME_CONTAINER_H

#include "tessel/Support/Status.h"
#include "tessel/Target/NPU/Program.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tessel::rt {

constexpr uint8_t kMagic[8] = {0x89, 'T', 'S', 'L', '\r', '\n', 0x1a, '\n'};
constexpr uint16_t kFormatMajor = 1;
constexpr uint16_t kFormatMinor = 0;
constexpr uint32_t kHeaderBytes = 64;
constexpr uint32_t kSectionEntryBytes = 48;
constexpr uint32_t kSectionAlign = 64;
/// A section flag: readers that do not know the section type must refuse
/// the file (unknown sections without it are skipped).
constexpr uint32_t kSectionRequired = 1;

enum class TargetKind : uint32_t { Npu = 1, Cpu = 2, Gpu = 3 };
const char *targetName(TargetKind t); ///< "npu", "cpu", "gpu".
bool parseTargetName(const std::string &name, TargetKind &out);

enum class SectionType : uint32_t {
  Meta = 1,       ///< Key/value strings: target, chip, producer, options.
  Tensors = 2,    ///< Input/output descriptors.
  Weights = 3,    ///< The packed weights blob.
  Plan = 4,       ///< Arena size, weights placement, the steps.
  NpuProgram = 5, ///< One multi-core NPU program (entry index = number).
  HostCode = 6,   ///< Reserved for the CPU back end's host code.
  GpuCode = 7,    ///< Reserved for the GPU back end.
};
const char *sectionName(uint32_t type);

/// Element types of model inputs and outputs (the C API's tessel_dtype).
enum class ElemType : uint8_t {
  Invalid = 0,
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  F64 = 4,
  I8 = 5,
  U8 = 6,
  I16 = 7,
  U16 = 8,
  I32 = 9,
  U32 = 10,
  I64 = 11,
  U64 = 12,
  Bool = 13,
};
constexpr unsigned kNumElemTypes = 14;
size_t elemSize(ElemType t);
const char *elemName(ElemType t); ///< "f32", "i8", "bool", ...
bool parseElemName(const std::string &name, ElemType &out);

/// A model input or output.
struct TensorDesc {
  enum class Role : uint8_t { Input = 1, Output = 2 };
  std::string name;
  Role role = Role::Input;
  ElemType dtype = ElemType::F32;
  std::vector<int64_t> dims; ///< As stored: dense, row-major.
  std::string layout;        ///< Names of the dims, e.g. "NHWC" (may be "").
  bool hasQuant = false;     ///< real = scale * (q - zeroPoint).
  double scale = 0;
  int64_t zeroPoint = 0;
  uint64_t offset = 0; ///< Where it lives in the DDR arena.
  /// Bytes: product(dims) * elemSize(dtype).
  uint64_t byteSize() const;
};

/// One step of the execution plan.
struct PlanStep {
  enum class Kind : uint32_t { Npu = 1, Host = 2 };
  Kind kind = Kind::Npu;
  std::string name;
  uint32_t program = 0;       ///< NPU: which NpuProgram section.
  uint32_t function = 0;      ///< Host: the host function to call.
  std::vector<uint64_t> args; ///< Host: arena offsets (or immediates).

  static PlanStep npu(uint32_t program, std::string name = "npu");
  static PlanStep host(uint32_t function, std::vector<uint64_t> args,
                       std::string name);
};

struct ExecutionPlan {
  uint64_t arenaSize = 0;
  /// Arena offset of the weights (kNoWeights if there are none).
  uint64_t weightsOffset = kNoWeights;
  std::vector<PlanStep> steps;
  static constexpr uint64_t kNoWeights = ~uint64_t(0);
};

/// A section the writer copies as is (for other back ends' payloads).
struct RawSection {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint32_t index = 0;
  std::vector<uint8_t> bytes;
};

/// A whole model, for writing.
struct ModelBinary {
  TargetKind target = TargetKind::Npu;
  std::string chip;             ///< NPU: chip name.
  uint64_t chipFingerprint = 0; ///< NPU: ChipModel::fingerprint().
  std::string producer;         ///< Tool and version, e.g. "tessel 0.1.0".
  /// The compile options that produced the binary, in order.
  std::vector<std::pair<std::string, std::string>> options;
  /// Other metadata (kept in order).
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<TensorDesc> tensors;
  std::vector<uint8_t> weights;
  bool hasPlan = true; ///< False for assembled programs (no I/O, no plan).
  ExecutionPlan plan;
  std::vector<npu::Program> npuPrograms;
  std::vector<RawSection> extraSections;
};

/// Serializes a model (validating it first, see validateModel).
StatusOr<std::vector<uint8_t>> writeBinary(const ModelBinary &model);
Status writeBinaryFile(const ModelBinary &model, const std::string &path);

/// What readBinary returns: the same fields, with the weights left in the
/// caller's buffer (weightsData points into it; keep the buffer alive).
struct LoadedBinary {
  uint16_t versionMajor = 0, versionMinor = 0;
  ModelBinary model; ///< model.weights stays empty.
  const uint8_t *weightsData = nullptr;
  uint64_t weightsSize = 0;
  std::vector<RawSection> unknownSections; ///< Skipped (not required).
  /// A metadata value (options are "option.NAME"); null if absent.
  const std::string *meta(const std::string &key) const;
};

/// Parses and checks a whole file image. Every failure is a clear message:
/// not a Tessel binary, unsupported version, truncated, a checksum that does
/// not match (naming the section), out-of-bounds offsets, bad references.
StatusOr<LoadedBinary> readBinary(const uint8_t *data, size_t size);

/// Consistency rules shared by the writer and the reader: tensors and
/// weights inside the arena and not overlapping, steps naming existing
/// programs, NPU models naming a chip.
Status validateModel(const ModelBinary &model, uint64_t weightsSize);

/// CRC-32 (ISO-HDLC, the zlib polynomial).
uint32_t crc32(const uint8_t *data, size_t size, uint32_t crc = 0);

} // namespace tessel::rt

#endif // TESSEL_RUNTIME_CONTAINER_H
