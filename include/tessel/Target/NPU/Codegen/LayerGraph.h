//===- LayerGraph.h - The NPU code generator's view of a network -*- C++
//-*-===//
//
// The NPU back end's planning and code generation (tiling, weight packing,
// memory allocation, scheduling, emission) are plain C++ over this small
// graph, so that they can be unit-tested without MLIR and run fast. The
// `npu` dialect's layer ops (include/tessel/Dialect/NPU) translate one to
// one into these layers; the MLIR passes call the stages of
// tessel/Target/NPU/Codegen/*.h and record their decisions as attributes.
//
// A layer is one of the chip's layer operations with the exact semantics of
// the instructions it becomes (docs/npu-isa.md section 4): a conv layer is
// what a conv instruction computes over a whole NHWC tensor, and so on.
// Tensors carry NPU element types (no quantization types: the integer
// parameters are in the layers). Activations are dense and row-major in DDR
// unless the memory plan places them in VTCM.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_LAYERGRAPH_H
#define TESSEL_TARGET_NPU_CODEGEN_LAYERGRAPH_H

#include "tessel/Support/Status.h"
#include "tessel/Target/NPU/ISA.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace tessel::npu::cg {

using TensorId = int32_t;
constexpr TensorId kNoTensor = -1;

struct Tensor {
  std::string name;
  DType dtype = DType::I8;
  std::vector<int64_t> shape;
  /// Constant tensors (weights, tables) hold their bytes (dense, row-major,
  /// little-endian); they are packed into the binary's weight section.
  bool isConstant = false;
  std::vector<uint8_t> data;
  /// Segment inputs and outputs live in DDR where the caller says (the
  /// runtime or a CPU step writes or reads them there).
  bool isInput = false;
  bool isOutput = false;
  /// A reshape: this tensor is `aliasOf`'s bytes under another shape.
  TensorId aliasOf = kNoTensor;

  int64_t numElements() const;
  uint64_t bytes() const { return numElements() * dtypeBytes(dtype); }
};

//===----------------------------------------------------------------------===//
// Layer parameters
//===----------------------------------------------------------------------===//

/// A float epilogue of a conv or matmul (integer layers use the requant
/// table instead): an optional per-output-channel bias added on the vector
/// engine (`eltwise.add` with a broadcast row), then an optional clamp.
struct FloatEpilogue {
  TensorId bias = kNoTensor; ///< [cout] of the output type.
  bool clamp = false;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  bool empty() const { return bias == kNoTensor && !clamp; }
};

/// conv: inputs {x [N,H,W,C], w [Co][Kh][Kw][C/groups], table [Co*16] (i8
/// bytes, requant only)}, output y [N,OH,OW,Co]. Integer convs either
/// requantize (`requant`, table of {i64 bias, i32 M, i32 s}) or produce the
/// raw i32/i64 accumulators; f16 convs produce f16 or f32.
struct ConvParams {
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int pt = 0, pb = 0, pl = 0, pr = 0;
  int groups = 1;
  bool requant = false;
  int zpIn = 0, zpW = 0, zpOut = 0;
  int lo = INT16_MIN, hi = INT16_MAX;
  FloatEpilogue epilogue;
};

/// matmul: inputs {a [..., M, K], b, table}: b is [N][K] (a constant, or an
/// activation with the same leading dims as a, or none), or [K][N] with
/// `transB`; output [..., M, N]. Same output modes as conv.
struct MatmulParams {
  bool transB = false;
  bool requant = false;
  int zpA = 0, zpB = 0, zpOut = 0;
  int lo = INT16_MIN, hi = INT16_MAX;
  FloatEpilogue epilogue;
};

/// eltwise: inputs {a, b} broadcast (numpy) to the output's shape. A
/// quantized eltwise (`requant`) has inputs {a, b, tableA, tableB, tableOut}
/// (one 16-byte requant entry each): each operand goes through
/// `convert.requant` (its zero point, its table) to `midType`, the op runs in
/// `midType`, and the result goes through `convert.requant` (table
/// `tableOut`, zero point `zpOut`, clamp [lo, hi]) to the output type, which
/// is exactly how Tessel's quantized add/sub/mul are defined
/// (docs/quantization.md).
struct EltwiseParams {
  EltwiseOp op = EltwiseOp::Add;
  bool requant = false;
  DType midType = DType::I32;
  int32_t zpA = 0, zpB = 0, zpOut = 0;
  int32_t lo = INT32_MIN, hi = INT32_MAX;
};

/// act: input {x} (+ {lut} for Lut: 256 entries of the output type).
struct ActParams {
  ActKind kind = ActKind::Clamp;
  int32_t lo = INT32_MIN, hi = INT32_MAX;
  float flo = -std::numeric_limits<float>::infinity();
  float fhi = std::numeric_limits<float>::infinity();
};

/// pool: input {x [N,H,W,C]} -> [N,OH,OW,C], same type.
struct PoolParams {
  PoolKind kind = PoolKind::Max;
  int kh = 1, kw = 1, sh = 1, sw = 1;
  int pt = 0, pb = 0, pl = 0, pr = 0;
  bool countPad = false;
  int zp = 0;
};

/// reduce: input viewed as [outer][n][inner] -> [outer][inner].
struct ReduceParams {
  ReduceKind kind = ReduceKind::Sum;
  int64_t outer = 1, n = 1, inner = 1;
};

/// convert: input {x} (+ {table}: requant entries (16 bytes) or f32 scales,
/// one or one per channel = last dim).
struct ConvertParams {
  ConvertMode mode = ConvertMode::Cast;
  bool perChannel = false;
  int32_t zpIn = 0, zpOut = 0;
  int32_t lo = INT32_MIN, hi = INT32_MAX;
};

/// transpose: a 4-D permutation (numpy), input and output dense.
struct TransposeParams {
  std::array<uint8_t, 4> perm = {0, 1, 2, 3};
};

/// concat along `axis` of all inputs.
struct ConcatParams {
  int axis = 0;
};

/// slice: output = input[starts : starts + output.shape] (unit steps).
struct SliceParams {
  std::vector<int64_t> starts;
};

/// pad: output = input surrounded by `before`/`after` elements of `value`
/// (an integer of the element type, or a float's value).
struct PadParams {
  std::vector<int64_t> before, after;
  double value = 0;
};

enum class LayerKind : uint8_t {
  Conv,
  Matmul,
  Eltwise,
  Act,
  Pool,
  Reduce,
  Convert,
  Transpose,
  Concat,
  Slice,
  Pad,
};
const char *layerKindName(LayerKind k);

using LayerParams =
    std::variant<ConvParams, MatmulParams, EltwiseParams, ActParams, PoolParams,
                 ReduceParams, ConvertParams, TransposeParams, ConcatParams,
                 SliceParams, PadParams>;

struct Layer {
  std::string name;
  LayerKind kind = LayerKind::Conv;
  LayerParams params;
  std::vector<TensorId> inputs; ///< Data inputs, then constants (see above).
  TensorId output = kNoTensor;

  template <typename T> T &as() { return std::get<T>(params); }
  template <typename T> const T &as() const { return std::get<T>(params); }
};

/// A network segment: the layers, in an order where every tensor is
/// produced before it is used.
struct LayerGraph {
  std::vector<Tensor> tensors;
  std::vector<Layer> layers;

  TensorId addTensor(Tensor t);
  TensorId addConstant(std::string name, DType dtype,
                       std::vector<int64_t> shape, std::vector<uint8_t> data);
  Tensor &tensor(TensorId id) { return tensors[id]; }
  const Tensor &tensor(TensorId id) const { return tensors[id]; }
  /// The tensor whose storage `id` uses (following reshape aliases).
  TensorId storageOf(TensorId id) const;

  /// Checks shapes, types and parameters of every layer against the
  /// instruction rules (docs/npu-isa.md) and the chip-independent limits of
  /// the encoding; the message names the layer. Without `requireData`,
  /// constants may leave `data` empty (op verifiers check shapes only).
  Status verify(bool requireData = true) const;
};

/// The output shape of a conv/pool window over [N,H,W,C].
int64_t convOutSize(int64_t in, int k, int stride, int dil, int padBegin,
                    int padEnd);

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_LAYERGRAPH_H
