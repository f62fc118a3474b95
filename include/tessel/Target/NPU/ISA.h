//===- ISA.h - The Tessel NPU instruction set ---------------------*- C++
//-*-===//
//
// Every Tessel NPU instruction is one fixed-width 64-byte word (sixteen
// little-endian 32-bit words). This header is the builder API: one plain
// struct per instruction, `encode` / `decode` between structs and words, and
// `verify` for the chip-independent rules. docs/npu-isa.md is the prose
// specification of the same encoding and of the execution semantics.
//
// Each instruction struct lists its fields once, in `visitFields`, with the
// bit position, width, text name and default of every field; the encoder, the
// decoder, the assembler and the disassembler are all driven by that list, so
// the four can never disagree.
//
// Example (the compiler emits instructions like this):
//
//   npu::ConvInstr conv;
//   conv.in = {0x0000}; conv.weights = {0x4000}; conv.out = {0x8000};
//   conv.table = {0xc000};
//   conv.h = 6; conv.w = 32; conv.c = 32; conv.cout = 64;
//   conv.kh = conv.kw = 3; conv.padLeft = conv.padRight = 1;
//   conv.requant = true;
//   conv.sync.wait[0] = 0;   // wait on semaphore s0
//   conv.sync.signal[0] = 1; // signal s1 when done
//   npu::Word word;
//   if (Status s = npu::encode(conv, word); !s) ... s.message() ...
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_ISA_H
#define TESSEL_TARGET_NPU_ISA_H

#include "tessel/Support/Status.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessel::npu {

//===----------------------------------------------------------------------===//
// Architectural constants
//===----------------------------------------------------------------------===//

constexpr unsigned kInstrBytes = 64;        ///< Every instruction is 64 bytes.
constexpr unsigned kInstrWords = 16;        ///< Sixteen 32-bit words.
constexpr unsigned kNumSemaphores = 16;     ///< s0..s15 per core.
constexpr unsigned kNumRegisters = 16;      ///< r0..r15 per core; r0 reads 0.
constexpr unsigned kMaxLoopDepth = 4;       ///< Nested LOOP bodies.
constexpr unsigned kMaxLoopIncs = 4;        ///< Register increments per LOOP.
constexpr unsigned kMaxCores = 32;          ///< Core masks are 32 bits.
constexpr unsigned kLutEntries = 256;       ///< LUT activation tables.
constexpr unsigned kRequantEntryBytes = 16; ///< {i64 bias, i32 M, i32 s}.
constexpr unsigned kScaleEntryBytes = 4;    ///< f32 scale.
/// A 32-bit stride field holding this value means "dense" (see each field).
constexpr uint32_t kDense = 0xffffffffu;

/// One encoded instruction.
using Word = std::array<uint8_t, kInstrBytes>;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// Element types of NPU operands (4-bit codes; 0 is invalid).
enum class DType : uint8_t {
  Invalid = 0,
  I8 = 1,
  U8 = 2,
  I16 = 3,
  I32 = 4,
  I64 = 5,
  F16 = 6,
  F32 = 7,
};
constexpr unsigned kNumDTypeCodes = 8;

/// Bytes per element (0 for Invalid).
unsigned dtypeBytes(DType t);
/// "i8", "u8", ... ("invalid" for Invalid).
const char *dtypeName(DType t);
/// Parses a name printed by dtypeName; false if unknown.
bool parseDType(std::string_view name, DType &out);
bool isFloat(DType t);
bool isInteger(DType t);
bool isSignedInt(DType t);
/// Value range of an integer type.
int64_t dtypeMin(DType t);
int64_t dtypeMax(DType t);

//===----------------------------------------------------------------------===//
// Opcodes and engines
//===----------------------------------------------------------------------===//

enum class Opcode : uint8_t {
  End = 0x01,
  SetReg = 0x02,
  Loop = 0x03,
  Sync = 0x04,
  Barrier = 0x05,
  Dma = 0x10,
  Copy = 0x11,
  Conv = 0x20,
  Matmul = 0x21,
  Eltwise = 0x30,
  Act = 0x31,
  Pool = 0x32,
  Reduce = 0x33,
  Convert = 0x34,
  Layout = 0x35,
};

/// The three engines of a core. Front-end instructions (END, SETR, LOOP) run
/// on none of them; BARRIER runs on all three.
enum class Engine : uint8_t { Dma = 0, Matrix = 1, Vector = 2 };
constexpr unsigned kNumEngines = 3;
const char *engineName(Engine e); ///< "dma", "mat", "vec".

//===----------------------------------------------------------------------===//
// Operands shared by several instructions
//===----------------------------------------------------------------------===//

/// Dependency fields of the header word: up to two semaphore waits (each
/// blocks until the semaphore is positive, then decrements it) before the
/// instruction starts, and up to two signals (increments) when it completes.
/// -1 means the slot is unused. Slot 1 may be used only if slot 0 is, except
/// for the remote signal of DMA/COPY (see DmaInstr::remoteSignal).
struct Sync {
  int8_t wait[2] = {-1, -1};
  int8_t signal[2] = {-1, -1};

  bool empty() const {
    return wait[0] < 0 && wait[1] < 0 && signal[0] < 0 && signal[1] < 0;
  }
  bool operator==(const Sync &o) const {
    return wait[0] == o.wait[0] && wait[1] == o.wait[1] &&
           signal[0] == o.signal[0] && signal[1] == o.signal[1];
  }
};

/// A memory address: `offset + r[reg]` (reg 0 reads as zero). Which memory
/// (DDR or VTCM) is fixed by the instruction.
struct Addr {
  uint32_t offset = 0;
  uint8_t reg = 0;
  bool operator==(const Addr &o) const {
    return offset == o.offset && reg == o.reg;
  }
};

/// A register increment applied by LOOP after each iteration.
struct LoopInc {
  uint8_t reg = 0; ///< 0: slot unused.
  int32_t value = 0;
  bool operator==(const LoopInc &o) const {
    return reg == o.reg && value == o.value;
  }
};

/// How a field is described to the visitors below.
struct FieldDefault {
  bool required;
  int64_t value;
};
constexpr FieldDefault kRequired{true, 0};
constexpr FieldDefault opt(int64_t v) { return FieldDefault{false, v}; }
enum class NumFormat : uint8_t {
  Dec,   ///< Printed in decimal.
  Hex,   ///< Printed in hex (masks, addresses, bit patterns).
  Stride ///< Decimal; kDense (or 0 for 16-bit strides) prints as omitted.
};

/// True if two instructions of the same kind have equal fields (and Sync).
template <typename T> bool sameInstr(const T &a, const T &b);

// Field visitors implement:
//   num(name, member, word, lsb, width, isSigned, FieldDefault, NumFormat)
//   flag(name, bool &member, word, lsb)                 [default false]
//   dtype(name, DType &member, word, lsb, FieldDefault)
//   enumeration(name, E &member, word, lsb, width, names, count,
//               FieldDefault, bool inMnemonic)
//   addr(name, Addr &member, word, regWord, regLsb, FieldDefault)
//   reg(name, uint8_t &member, word, lsb)               [required, r1..r15]
//   f32(name, float &member, word, float default)
//   perm(name, std::array<uint8_t, 4> &member, word, lsb)
//   loopIncs(LoopInc (&incs)[kMaxLoopIncs], regWord, firstValueWord)
// Header word 0 holds the opcode (bits 0-7), the Sync fields (bits 8-27) and
// up to four instruction flags (bits 28-31).

//===----------------------------------------------------------------------===//
// Front-end instructions
//===----------------------------------------------------------------------===//

/// END: the core's stream is over (engines drain what was dispatched).
struct EndInstr {
  static constexpr Opcode kOpcode = Opcode::End;
  static constexpr const char *kMnemonic = "end";
  Sync sync;
  template <typename V> void visitFields(V &) {}
  bool operator==(const EndInstr &o) const { return sameInstr(*this, o); }
};

/// SETR: r[reg] = value (32-bit registers, arithmetic modulo 2^32).
struct SetRegInstr {
  static constexpr Opcode kOpcode = Opcode::SetReg;
  static constexpr const char *kMnemonic = "setr";
  Sync sync;
  uint8_t reg = 1;
  uint32_t value = 0;
  template <typename V> void visitFields(V &v) {
    v.reg("reg", reg, 1, 0);
    v.num("value", value, 2, 0, 32, false, kRequired, NumFormat::Hex);
  }
  bool operator==(const SetRegInstr &o) const { return sameInstr(*this, o); }
};

/// LOOP: the next `body` instructions run `count` times (0: skipped); after
/// every iteration each increment adds its value to its register.
struct LoopInstr {
  static constexpr Opcode kOpcode = Opcode::Loop;
  static constexpr const char *kMnemonic = "loop";
  Sync sync;
  uint32_t count = 1;
  uint16_t body = 1;
  LoopInc incs[kMaxLoopIncs];
  template <typename V> void visitFields(V &v) {
    v.num("count", count, 1, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("body", body, 2, 0, 16, false, kRequired, NumFormat::Dec);
    v.loopIncs(incs, 3, 4);
  }
  bool operator==(const LoopInstr &o) const { return sameInstr(*this, o); }
};

//===----------------------------------------------------------------------===//
// Synchronization
//===----------------------------------------------------------------------===//

/// SYNC: a no-op on one engine, carrying waits and signals.
struct SyncInstr {
  static constexpr Opcode kOpcode = Opcode::Sync;
  static constexpr const char *kMnemonic = "sync";
  static constexpr const char *kEngineNames[] = {"dma", "mat", "vec"};
  Sync sync;
  Engine engine = Engine::Dma;
  template <typename V> void visitFields(V &v) {
    v.enumeration("engine", engine, 1, 0, 2, kEngineNames, 3, kRequired, true);
  }
  bool operator==(const SyncInstr &o) const { return sameInstr(*this, o); }
};

/// BARRIER: all engines of this core drain, then wait until every core of
/// `mask` (0: all cores) has reached its matching BARRIER.
struct BarrierInstr {
  static constexpr Opcode kOpcode = Opcode::Barrier;
  static constexpr const char *kMnemonic = "barrier";
  Sync sync;
  uint32_t mask = 0;
  template <typename V> void visitFields(V &v) {
    v.num("mask", mask, 1, 0, 32, false, opt(0), NumFormat::Hex);
  }
  bool operator==(const BarrierInstr &o) const { return sameInstr(*this, o); }
};

//===----------------------------------------------------------------------===//
// DMA engine
//===----------------------------------------------------------------------===//

enum class DmaDir : uint8_t {
  Load = 0,  ///< DDR -> VTCM (optionally multicast to several cores).
  Store = 1, ///< VTCM -> DDR.
  Move = 2,  ///< VTCM -> VTCM of the same core.
  Ddr = 3,   ///< DDR -> DDR.
};

/// DMA: a 2-D strided transfer of `rows` x `cols` elements of `dtype`. The
/// destination region is (padTop + rows + padBottom) rows of
/// (padLeft + cols + padRight) elements; the border is filled with `pad`.
struct DmaInstr {
  static constexpr Opcode kOpcode = Opcode::Dma;
  static constexpr const char *kMnemonic = "dma";
  static constexpr const char *kDirNames[] = {"load", "store", "move", "ddr"};
  Sync sync;
  bool remoteSignal = false; ///< signal[1] goes to every destination core.
  DmaDir dir = DmaDir::Load;
  DType dtype = DType::I8;
  Addr src, dst;
  uint32_t rows = 1, cols = 1;
  uint32_t srcStride = kDense; ///< Bytes between rows; dense: cols * size.
  uint32_t dstStride = kDense; ///< Bytes; dense: padded row bytes.
  uint16_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  int32_t pad = 0;       ///< Fill value (an integer; converted for floats).
  uint32_t coreMask = 0; ///< Load only: destination cores (0: this core).
  template <typename V> void visitFields(V &v) {
    v.flag("remote", remoteSignal, 0, 28);
    v.enumeration("dir", dir, 1, 0, 2, kDirNames, 4, kRequired, true);
    v.dtype("dt", dtype, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.addr("src", src, 2, 4, 0, kRequired);
    v.addr("dst", dst, 3, 4, 4, kRequired);
    v.num("rows", rows, 5, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("cols", cols, 6, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("sstride", srcStride, 7, 0, 32, false, opt(kDense),
          NumFormat::Stride);
    v.num("dstride", dstStride, 8, 0, 32, false, opt(kDense),
          NumFormat::Stride);
    v.num("pt", padTop, 9, 0, 16, false, opt(0), NumFormat::Dec);
    v.num("pb", padBottom, 9, 16, 16, false, opt(0), NumFormat::Dec);
    v.num("pl", padLeft, 10, 0, 16, false, opt(0), NumFormat::Dec);
    v.num("pr", padRight, 10, 16, 16, false, opt(0), NumFormat::Dec);
    v.num("pad", pad, 11, 0, 32, true, opt(0), NumFormat::Dec);
    v.num("mask", coreMask, 12, 0, 32, false, opt(0), NumFormat::Hex);
  }
  bool operator==(const DmaInstr &o) const { return sameInstr(*this, o); }
};

/// COPY: this core's VTCM -> the VTCM of core `core` (or, with `coreMask`,
/// of every core in the mask: one NoC multicast), with the same 2-D shape,
/// strides and padding rules as DMA.
struct CopyInstr {
  static constexpr Opcode kOpcode = Opcode::Copy;
  static constexpr const char *kMnemonic = "copy";
  Sync sync;
  bool remoteSignal = false; ///< signal[1] goes to the destination core.
  DType dtype = DType::I8;
  Addr src, dst;
  uint32_t rows = 1, cols = 1;
  uint32_t srcStride = kDense, dstStride = kDense;
  uint16_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  int32_t pad = 0;
  uint32_t core = 0;     ///< Destination core (0 with a mask).
  uint32_t coreMask = 0; ///< Destination cores (0: `core`).
  template <typename V> void visitFields(V &v) {
    v.flag("remote", remoteSignal, 0, 28);
    v.dtype("dt", dtype, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.addr("src", src, 2, 4, 0, kRequired);
    v.addr("dst", dst, 3, 4, 4, kRequired);
    v.num("rows", rows, 5, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("cols", cols, 6, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("sstride", srcStride, 7, 0, 32, false, opt(kDense),
          NumFormat::Stride);
    v.num("dstride", dstStride, 8, 0, 32, false, opt(kDense),
          NumFormat::Stride);
    v.num("pt", padTop, 9, 0, 16, false, opt(0), NumFormat::Dec);
    v.num("pb", padBottom, 9, 16, 16, false, opt(0), NumFormat::Dec);
    v.num("pl", padLeft, 10, 0, 16, false, opt(0), NumFormat::Dec);
    v.num("pr", padRight, 10, 16, 16, false, opt(0), NumFormat::Dec);
    v.num("pad", pad, 11, 0, 32, true, opt(0), NumFormat::Dec);
    v.num("core", core, 12, 0, 5, false, opt(0), NumFormat::Dec);
    v.num("mask", coreMask, 13, 0, 32, false, opt(0), NumFormat::Hex);
  }
  bool operator==(const CopyInstr &o) const { return sameInstr(*this, o); }
};

//===----------------------------------------------------------------------===//
// Matrix engine
//===----------------------------------------------------------------------===//

/// CONV: 2-D convolution of one HWC image tile in VTCM.
///   input  [h][w][c]    (pixel stride inPixStride, row stride inRowStride)
///   weights[cout][kh][kw][c / groups] (dense)
///   output [oh][ow][cout] (pixel stride outPixStride, row stride outRowStride)
/// oh = (h + padTop + padBottom - dilH * (kh - 1) - 1) / strideH + 1 (floor),
/// likewise ow. Integer accumulators: i32 for 8-bit inputs, i64 for 16-bit.
/// Output: the raw accumulator (outType = i32/i64/f32; `accumulate` adds it
/// to the values already at `out`), or with `requant` the per-channel output
/// stage of QuantMath.h using the table at `table`, clamped to [lo, hi].
struct ConvInstr {
  static constexpr Opcode kOpcode = Opcode::Conv;
  static constexpr const char *kMnemonic = "conv";
  Sync sync;
  bool accumulate = false;
  bool requant = false;
  Addr in, weights, out, table;
  DType inType = DType::I8, weightType = DType::I8, outType = DType::I8;
  uint16_t h = 1, w = 1, c = 1, cout = 1;
  uint8_t kh = 1, kw = 1, strideH = 1, strideW = 1, dilH = 1, dilW = 1;
  uint8_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  uint16_t groups = 1;
  int16_t zpOut = 0, zpIn = 0, zpWeight = 0;
  int16_t lo = INT16_MIN, hi = INT16_MAX;
  uint32_t inRowStride = 0;  ///< Elements; 0: w * inPixStride.
  uint16_t inPixStride = 0;  ///< Elements; 0: c.
  uint16_t outPixStride = 0; ///< Elements; 0: cout.
  uint32_t outRowStride = 0; ///< Elements; 0: ow * outPixStride.
  template <typename V> void visitFields(V &v) {
    v.flag("acc", accumulate, 0, 28);
    v.flag("requant", requant, 0, 29);
    v.addr("in", in, 1, 5, 0, kRequired);
    v.addr("wt", weights, 2, 5, 4, kRequired);
    v.addr("out", out, 3, 5, 8, kRequired);
    v.addr("tbl", table, 4, 5, 12, opt(0));
    v.dtype("dt", inType, 5, 16, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("wdt", weightType, 5, 20, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 5, 24, opt(static_cast<int64_t>(DType::I8)));
    v.num("h", h, 6, 0, 16, false, kRequired, NumFormat::Dec);
    v.num("w", w, 6, 16, 16, false, kRequired, NumFormat::Dec);
    v.num("c", c, 7, 0, 16, false, kRequired, NumFormat::Dec);
    v.num("cout", cout, 7, 16, 16, false, kRequired, NumFormat::Dec);
    v.num("kh", kh, 8, 0, 4, false, opt(1), NumFormat::Dec);
    v.num("kw", kw, 8, 4, 4, false, opt(1), NumFormat::Dec);
    v.num("sh", strideH, 8, 8, 4, false, opt(1), NumFormat::Dec);
    v.num("sw", strideW, 8, 12, 4, false, opt(1), NumFormat::Dec);
    v.num("dh", dilH, 8, 16, 4, false, opt(1), NumFormat::Dec);
    v.num("dw", dilW, 8, 20, 4, false, opt(1), NumFormat::Dec);
    v.num("pt", padTop, 9, 0, 8, false, opt(0), NumFormat::Dec);
    v.num("pb", padBottom, 9, 8, 8, false, opt(0), NumFormat::Dec);
    v.num("pl", padLeft, 9, 16, 8, false, opt(0), NumFormat::Dec);
    v.num("pr", padRight, 9, 24, 8, false, opt(0), NumFormat::Dec);
    v.num("groups", groups, 10, 0, 16, false, opt(1), NumFormat::Dec);
    v.num("zpout", zpOut, 10, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("zpin", zpIn, 11, 0, 16, true, opt(0), NumFormat::Dec);
    v.num("zpw", zpWeight, 11, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("lo", lo, 12, 0, 16, true, opt(INT16_MIN), NumFormat::Dec);
    v.num("hi", hi, 12, 16, 16, true, opt(INT16_MAX), NumFormat::Dec);
    v.num("irs", inRowStride, 13, 0, 32, false, opt(0), NumFormat::Stride);
    v.num("ips", inPixStride, 14, 0, 16, false, opt(0), NumFormat::Stride);
    v.num("ops", outPixStride, 14, 16, 16, false, opt(0), NumFormat::Stride);
    v.num("ors", outRowStride, 15, 0, 32, false, opt(0), NumFormat::Stride);
  }
  bool operator==(const ConvInstr &o) const { return sameInstr(*this, o); }
};

/// MATMUL: out[m][n] = sum_k (a[m][k] - zpA) * (b[n][k] - zpB), with B stored
/// [n][k] (or [k][n] with `transB`); the same output modes as CONV.
struct MatmulInstr {
  static constexpr Opcode kOpcode = Opcode::Matmul;
  static constexpr const char *kMnemonic = "matmul";
  Sync sync;
  bool accumulate = false;
  bool requant = false;
  bool transB = false; ///< B is stored [k][n].
  Addr a, b, out, table;
  DType aType = DType::I8, bType = DType::I8, outType = DType::I8;
  uint32_t m = 1;
  uint16_t n = 1, k = 1;
  uint32_t aRowStride = 0;   ///< Elements; 0: k.
  uint32_t bRowStride = 0;   ///< Elements; 0: k (or n with transB).
  uint32_t outRowStride = 0; ///< Elements; 0: n.
  int16_t zpA = 0, zpB = 0, zpOut = 0;
  int16_t lo = INT16_MIN, hi = INT16_MAX;
  template <typename V> void visitFields(V &v) {
    v.flag("acc", accumulate, 0, 28);
    v.flag("requant", requant, 0, 29);
    v.flag("transb", transB, 0, 30);
    v.addr("a", a, 1, 5, 0, kRequired);
    v.addr("b", b, 2, 5, 4, kRequired);
    v.addr("out", out, 3, 5, 8, kRequired);
    v.addr("tbl", table, 4, 5, 12, opt(0));
    v.dtype("dt", aType, 5, 16, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("wdt", bType, 5, 20, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 5, 24, opt(static_cast<int64_t>(DType::I8)));
    v.num("m", m, 6, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("n", n, 7, 0, 16, false, kRequired, NumFormat::Dec);
    v.num("k", k, 7, 16, 16, false, kRequired, NumFormat::Dec);
    v.num("ars", aRowStride, 8, 0, 32, false, opt(0), NumFormat::Stride);
    v.num("brs", bRowStride, 9, 0, 32, false, opt(0), NumFormat::Stride);
    v.num("ors", outRowStride, 10, 0, 32, false, opt(0), NumFormat::Stride);
    v.num("zpa", zpA, 11, 0, 16, true, opt(0), NumFormat::Dec);
    v.num("zpb", zpB, 11, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("zpout", zpOut, 12, 0, 16, true, opt(0), NumFormat::Dec);
    v.num("lo", lo, 13, 0, 16, true, opt(INT16_MIN), NumFormat::Dec);
    v.num("hi", hi, 13, 16, 16, true, opt(INT16_MAX), NumFormat::Dec);
  }
  bool operator==(const MatmulInstr &o) const { return sameInstr(*this, o); }
};

//===----------------------------------------------------------------------===//
// Vector engine
//===----------------------------------------------------------------------===//

enum class EltwiseOp : uint8_t { Add = 0, Sub = 1, Mul = 2, Max = 3, Min = 4 };

/// ELTWISE: out[r][c] = a[r][c] op b[r][c] over a rows x cols view; each
/// operand has its own row and column strides in elements, so a stride of 0
/// broadcasts (a row vector, a column vector or a scalar).
///
/// With `requant` (integer operands and result of 8 or 16 bits) it is the
/// quantized form in one pass, the way Ethos-U's elementwise unit and
/// NVDLA's SDP rescale both inputs and the output: the table holds three
/// 16-byte requant entries (a, b, out), and per element
///   ta = requant(a - zpa, entry 0) to int32, tb = requant(b - zpb, entry 1)
///   out = clamp(requant(sat32(ta op tb), entry 2) + zpout, lo, hi)
/// which is bit for bit the CONVERT, ELTWISE (i32), CONVERT chain.
struct EltwiseInstr {
  static constexpr Opcode kOpcode = Opcode::Eltwise;
  static constexpr const char *kMnemonic = "eltwise";
  static constexpr const char *kOpNames[] = {"add", "sub", "mul", "max", "min"};
  Sync sync;
  bool requant = false;
  EltwiseOp op = EltwiseOp::Add;
  DType inType = DType::I8, outType = DType::I8;
  Addr a, b, out;
  uint32_t rows = 1, cols = 1;
  uint32_t aRowStride = kDense; ///< dense: cols.
  uint32_t aColStride = kDense; ///< dense: 1.
  uint32_t bRowStride = kDense;
  uint32_t bColStride = kDense;
  uint32_t outRowStride = kDense;      ///< dense: cols.
  Addr table;                          ///< requant: three entries (a, b, out).
  int16_t zpA = 0, zpB = 0, zpOut = 0; ///< requant only.
  int16_t lo = INT16_MIN, hi = INT16_MAX; ///< requant: output clamp.
  template <typename V> void visitFields(V &v) {
    v.flag("requant", requant, 0, 28);
    v.enumeration("op", op, 1, 0, 4, kOpNames, 5, kRequired, true);
    v.dtype("dt", inType, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 1, 8, opt(static_cast<int64_t>(DType::I8)));
    v.addr("a", a, 2, 5, 0, kRequired);
    v.addr("b", b, 3, 5, 4, kRequired);
    v.addr("out", out, 4, 5, 8, kRequired);
    v.num("rows", rows, 6, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("cols", cols, 7, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("ars", aRowStride, 8, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("acs", aColStride, 9, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("brs", bRowStride, 10, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("bcs", bColStride, 11, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("ors", outRowStride, 12, 0, 32, false, opt(kDense),
          NumFormat::Stride);
    v.addr("tbl", table, 13, 5, 12, opt(0));
    v.num("zpa", zpA, 14, 0, 16, true, opt(0), NumFormat::Dec);
    v.num("zpb", zpB, 14, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("zpout", zpOut, 1, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("lo", lo, 15, 0, 16, true, opt(INT16_MIN), NumFormat::Dec);
    v.num("hi", hi, 15, 16, 16, true, opt(INT16_MAX), NumFormat::Dec);
  }
  bool operator==(const EltwiseInstr &o) const { return sameInstr(*this, o); }
};

enum class ActKind : uint8_t {
  Clamp = 0,
  Lut = 1,
  Sigmoid = 2,
  Tanh = 3,
  Exp = 4
};

/// ACT: a unary activation over a rows x cols view.
struct ActInstr {
  static constexpr Opcode kOpcode = Opcode::Act;
  static constexpr const char *kMnemonic = "act";
  static constexpr const char *kKindNames[] = {"clamp", "lut", "sigmoid",
                                               "tanh", "exp"};
  Sync sync;
  ActKind kind = ActKind::Clamp;
  DType inType = DType::I8, outType = DType::I8;
  Addr in, out, lut;
  uint32_t rows = 1, cols = 1;
  uint32_t inRowStride = kDense, outRowStride = kDense; ///< dense: cols.
  int32_t lo = INT32_MIN, hi = INT32_MAX; ///< Integer clamp bounds.
  float flo = -std::numeric_limits<float>::infinity(); ///< Float clamp.
  float fhi = std::numeric_limits<float>::infinity();
  template <typename V> void visitFields(V &v) {
    v.enumeration("kind", kind, 1, 0, 4, kKindNames, 5, kRequired, true);
    v.dtype("dt", inType, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 1, 8, opt(static_cast<int64_t>(DType::I8)));
    v.addr("in", in, 2, 5, 0, kRequired);
    v.addr("out", out, 3, 5, 4, kRequired);
    v.addr("lut", lut, 4, 5, 8, opt(0));
    v.num("rows", rows, 6, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("cols", cols, 7, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("irs", inRowStride, 8, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("ors", outRowStride, 9, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("lo", lo, 10, 0, 32, true, opt(INT32_MIN), NumFormat::Dec);
    v.num("hi", hi, 11, 0, 32, true, opt(INT32_MAX), NumFormat::Dec);
    v.f32("flo", flo, 12, -std::numeric_limits<float>::infinity());
    v.f32("fhi", fhi, 13, std::numeric_limits<float>::infinity());
  }
  bool operator==(const ActInstr &o) const { return sameInstr(*this, o); }
};

enum class PoolKind : uint8_t { Max = 0, Avg = 1 };

/// POOL: 2-D max or average pooling of one HWC tile (out dtype = in dtype).
struct PoolInstr {
  static constexpr Opcode kOpcode = Opcode::Pool;
  static constexpr const char *kMnemonic = "pool";
  static constexpr const char *kKindNames[] = {"max", "avg"};
  Sync sync;
  bool countPad = false; ///< Avg divides by kh * kw; pads hold `zp`.
  PoolKind kind = PoolKind::Max;
  DType dtype = DType::I8;
  Addr in, out;
  uint16_t h = 1, w = 1, c = 1;
  int16_t zp = 0; ///< Value of padded taps for avg with countpad.
  uint8_t kh = 1, kw = 1, strideH = 1, strideW = 1;
  uint8_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  uint32_t inRowStride = 0;  ///< Elements; 0: w * inPixStride.
  uint16_t inPixStride = 0;  ///< Elements; 0: c.
  uint16_t outPixStride = 0; ///< Elements; 0: c.
  uint32_t outRowStride = 0; ///< Elements; 0: ow * outPixStride.
  template <typename V> void visitFields(V &v) {
    v.flag("countpad", countPad, 0, 28);
    v.enumeration("kind", kind, 1, 0, 4, kKindNames, 2, kRequired, true);
    v.dtype("dt", dtype, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.addr("in", in, 2, 4, 0, kRequired);
    v.addr("out", out, 3, 4, 4, kRequired);
    v.num("h", h, 5, 0, 16, false, kRequired, NumFormat::Dec);
    v.num("w", w, 5, 16, 16, false, kRequired, NumFormat::Dec);
    v.num("c", c, 6, 0, 16, false, kRequired, NumFormat::Dec);
    v.num("zp", zp, 6, 16, 16, true, opt(0), NumFormat::Dec);
    v.num("kh", kh, 7, 0, 8, false, opt(1), NumFormat::Dec);
    v.num("kw", kw, 7, 8, 8, false, opt(1), NumFormat::Dec);
    v.num("sh", strideH, 7, 16, 8, false, opt(1), NumFormat::Dec);
    v.num("sw", strideW, 7, 24, 8, false, opt(1), NumFormat::Dec);
    v.num("pt", padTop, 8, 0, 8, false, opt(0), NumFormat::Dec);
    v.num("pb", padBottom, 8, 8, 8, false, opt(0), NumFormat::Dec);
    v.num("pl", padLeft, 8, 16, 8, false, opt(0), NumFormat::Dec);
    v.num("pr", padRight, 8, 24, 8, false, opt(0), NumFormat::Dec);
    v.num("irs", inRowStride, 9, 0, 32, false, opt(0), NumFormat::Stride);
    v.num("ips", inPixStride, 10, 0, 16, false, opt(0), NumFormat::Stride);
    v.num("ops", outPixStride, 10, 16, 16, false, opt(0), NumFormat::Stride);
    v.num("ors", outRowStride, 11, 0, 32, false, opt(0), NumFormat::Stride);
  }
  bool operator==(const PoolInstr &o) const { return sameInstr(*this, o); }
};

enum class ReduceKind : uint8_t { Sum = 0, Max = 1, Min = 2, Mean = 3 };

/// REDUCE: out[o][i] = reduce_r in[o][r][i] over a dense [outer][n][inner]
/// input; the output is dense [outer][inner].
struct ReduceInstr {
  static constexpr Opcode kOpcode = Opcode::Reduce;
  static constexpr const char *kMnemonic = "reduce";
  static constexpr const char *kKindNames[] = {"sum", "max", "min", "mean"};
  Sync sync;
  ReduceKind kind = ReduceKind::Sum;
  DType inType = DType::I8, outType = DType::I8;
  Addr in, out;
  uint32_t outer = 1, n = 1, inner = 1;
  template <typename V> void visitFields(V &v) {
    v.enumeration("kind", kind, 1, 0, 4, kKindNames, 4, kRequired, true);
    v.dtype("dt", inType, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 1, 8, opt(static_cast<int64_t>(DType::I8)));
    v.addr("in", in, 2, 4, 0, kRequired);
    v.addr("out", out, 3, 4, 4, kRequired);
    v.num("outer", outer, 5, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("n", n, 6, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("inner", inner, 7, 0, 32, false, opt(1), NumFormat::Dec);
  }
  bool operator==(const ReduceInstr &o) const { return sameInstr(*this, o); }
};

enum class ConvertMode : uint8_t {
  Requant = 0, ///< int -> int through the per-channel requant table.
  Quant = 1,   ///< float -> int: round(x / scale) + zpout.
  Dequant = 2, ///< int -> float: (x - zpin) * scale.
  Cast = 3,    ///< Plain conversion (saturating for integers).
};

/// CONVERT: dtype conversion of a rows x cols view; per-channel tables are
/// indexed by the column.
struct ConvertInstr {
  static constexpr Opcode kOpcode = Opcode::Convert;
  static constexpr const char *kMnemonic = "convert";
  static constexpr const char *kModeNames[] = {"requant", "quant", "dequant",
                                               "cast"};
  Sync sync;
  bool perChannel = false; ///< One table entry per column (else one).
  ConvertMode mode = ConvertMode::Cast;
  DType inType = DType::I8, outType = DType::I8;
  Addr in, out, table;
  uint32_t rows = 1, cols = 1;
  uint32_t inRowStride = kDense, outRowStride = kDense; ///< dense: cols.
  int32_t zpIn = 0, zpOut = 0;
  int32_t lo = INT32_MIN, hi = INT32_MAX; ///< Clamp of integer results.
  template <typename V> void visitFields(V &v) {
    v.flag("perchannel", perChannel, 0, 28);
    v.enumeration("mode", mode, 1, 0, 4, kModeNames, 4, kRequired, true);
    v.dtype("dt", inType, 1, 4, opt(static_cast<int64_t>(DType::I8)));
    v.dtype("odt", outType, 1, 8, opt(static_cast<int64_t>(DType::I8)));
    v.addr("in", in, 2, 5, 0, kRequired);
    v.addr("out", out, 3, 5, 4, kRequired);
    v.addr("tbl", table, 4, 5, 8, opt(0));
    v.num("rows", rows, 6, 0, 32, false, opt(1), NumFormat::Dec);
    v.num("cols", cols, 7, 0, 32, false, kRequired, NumFormat::Dec);
    v.num("irs", inRowStride, 8, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("ors", outRowStride, 9, 0, 32, false, opt(kDense), NumFormat::Stride);
    v.num("zpin", zpIn, 10, 0, 32, true, opt(0), NumFormat::Dec);
    v.num("zpout", zpOut, 11, 0, 32, true, opt(0), NumFormat::Dec);
    v.num("lo", lo, 12, 0, 32, true, opt(INT32_MIN), NumFormat::Dec);
    v.num("hi", hi, 13, 0, 32, true, opt(INT32_MAX), NumFormat::Dec);
  }
  bool operator==(const ConvertInstr &o) const { return sameInstr(*this, o); }
};

/// LAYOUT: a 4-D transpose of dense tensors (numpy semantics:
/// out.shape[i] = in.shape[perm[i]]).
struct LayoutInstr {
  static constexpr Opcode kOpcode = Opcode::Layout;
  static constexpr const char *kMnemonic = "layout";
  Sync sync;
  DType dtype = DType::I8;
  std::array<uint8_t, 4> perm = {0, 1, 2, 3};
  Addr in, out;
  uint16_t d0 = 1, d1 = 1, d2 = 1, d3 = 1; ///< Input shape.
  template <typename V> void visitFields(V &v) {
    v.dtype("dt", dtype, 1, 0, opt(static_cast<int64_t>(DType::I8)));
    v.perm("perm", perm, 1, 8);
    v.addr("in", in, 2, 4, 0, kRequired);
    v.addr("out", out, 3, 4, 4, kRequired);
    v.num("d0", d0, 5, 0, 16, false, opt(1), NumFormat::Dec);
    v.num("d1", d1, 5, 16, 16, false, opt(1), NumFormat::Dec);
    v.num("d2", d2, 6, 0, 16, false, opt(1), NumFormat::Dec);
    v.num("d3", d3, 6, 16, 16, false, opt(1), NumFormat::Dec);
  }
  bool operator==(const LayoutInstr &o) const { return sameInstr(*this, o); }
};

//===----------------------------------------------------------------------===//
// The instruction variant and its operations
//===----------------------------------------------------------------------===//

using Instr =
    std::variant<EndInstr, SetRegInstr, LoopInstr, SyncInstr, BarrierInstr,
                 DmaInstr, CopyInstr, ConvInstr, MatmulInstr, EltwiseInstr,
                 ActInstr, PoolInstr, ReduceInstr, ConvertInstr, LayoutInstr>;

Opcode opcodeOf(const Instr &instr);
const Sync &syncOf(const Instr &instr);
Sync &syncOf(Instr &instr);

/// Where an instruction executes.
enum class Unit : uint8_t {
  FrontEnd, ///< END, SETR, LOOP: handled at dispatch.
  Dma,
  Matrix,
  Vector,
  AllEngines ///< BARRIER.
};
Unit unitOf(const Instr &instr);

/// The name of the chip feature an instruction needs (checked against the
/// chip's `ops` list), e.g. "conv", "dwconv", "add", "lut", "requant"; null
/// for instructions every chip has (END, SETR, LOOP, SYNC, BARRIER, DMA
/// without multicast).
const char *featureOf(const Instr &instr);

/// Chip-independent rules (shapes non-empty, dtype combinations, zero points
/// in range, ...). Encode and decode both apply them.
Status verify(const Instr &instr);

/// Encodes `instr` into `out` after verify(); fails (leaving `out` unspecified)
/// if a value does not fit its field or a rule is broken.
Status encode(const Instr &instr, Word &out);
/// Decodes and verifies one word: unknown opcodes, reserved bits that are not
/// zero, invalid enum codes and broken rules are errors.
StatusOr<Instr> decode(const Word &word);

/// Canonical one-line text, e.g. "conv in=0x0 wt=0x4000 ... wait=s0".
/// Only fields that differ from their defaults (and required ones) appear.
std::string disassemble(const Instr &instr);
/// Parses one instruction line (without comments or directives).
StatusOr<Instr> parseInstr(std::string_view line);

/// Markdown tables of every instruction's fields and bit positions, generated
/// from the same field lists as the encoder (docs/npu-isa.md embeds them).
std::string encodingReference();

/// Little-endian access to the 32-bit words of an instruction.
inline uint32_t wordAt(const Word &w, unsigned i) {
  return static_cast<uint32_t>(w[4 * i]) |
         (static_cast<uint32_t>(w[4 * i + 1]) << 8) |
         (static_cast<uint32_t>(w[4 * i + 2]) << 16) |
         (static_cast<uint32_t>(w[4 * i + 3]) << 24);
}
inline void setWordAt(Word &w, unsigned i, uint32_t v) {
  w[4 * i] = static_cast<uint8_t>(v);
  w[4 * i + 1] = static_cast<uint8_t>(v >> 8);
  w[4 * i + 2] = static_cast<uint8_t>(v >> 16);
  w[4 * i + 3] = static_cast<uint8_t>(v >> 24);
}

/// Output size of a strided window over `in` positions (0 if empty):
/// floor((in + padBegin + padEnd - dil * (k - 1) - 1) / stride) + 1.
int64_t windowOutSize(int64_t in, int64_t k, int64_t stride, int64_t dil,
                      int64_t padBegin, int64_t padEnd);

//===----------------------------------------------------------------------===//
// Generic field comparison
//===----------------------------------------------------------------------===//

namespace detail {
/// Flattens every field of an instruction into integers.
struct CollectVisitor {
  std::vector<int64_t> values;
  template <typename T>
  void num(const char *, T &m, unsigned, unsigned, unsigned, bool, FieldDefault,
           NumFormat) {
    values.push_back(static_cast<int64_t>(m));
  }
  void flag(const char *, bool &m, unsigned, unsigned) { values.push_back(m); }
  void dtype(const char *, DType &m, unsigned, unsigned, FieldDefault) {
    values.push_back(static_cast<int64_t>(m));
  }
  template <typename E>
  void enumeration(const char *, E &m, unsigned, unsigned, unsigned,
                   const char *const *, unsigned, FieldDefault, bool) {
    values.push_back(static_cast<int64_t>(m));
  }
  void addr(const char *, Addr &m, unsigned, unsigned, unsigned, FieldDefault) {
    values.push_back(m.offset);
    values.push_back(m.reg);
  }
  void reg(const char *, uint8_t &m, unsigned, unsigned) {
    values.push_back(m);
  }
  void f32(const char *, float &m, unsigned, float) {
    uint32_t bits;
    std::memcpy(&bits, &m, 4);
    values.push_back(bits);
  }
  void perm(const char *, std::array<uint8_t, 4> &m, unsigned, unsigned) {
    for (uint8_t p : m)
      values.push_back(p);
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned, unsigned) {
    for (const LoopInc &inc : incs) {
      values.push_back(inc.reg);
      values.push_back(inc.value);
    }
  }
};
} // namespace detail

template <typename T> bool sameInstr(const T &a, const T &b) {
  detail::CollectVisitor va, vb;
  const_cast<T &>(a).visitFields(va);
  const_cast<T &>(b).visitFields(vb);
  return a.sync == b.sync && va.values == vb.values;
}

} // namespace tessel::npu

#endif // TESSEL_TARGET_NPU_ISA_H
