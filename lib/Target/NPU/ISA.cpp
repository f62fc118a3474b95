//===- ISA.cpp - Encoding, decoding and text of NPU instructions ----------===//
//
// The four translations (struct -> word, word -> struct, struct -> text,
// text -> struct) are visitors over each instruction's field list in ISA.h.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/NPU/ISA.h"

#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

namespace tessel::npu {

//===----------------------------------------------------------------------===//
// Element types and names
//===----------------------------------------------------------------------===//

unsigned dtypeBytes(DType t) {
  switch (t) {
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::I16:
  case DType::F16:
    return 2;
  case DType::I32:
  case DType::F32:
    return 4;
  case DType::I64:
    return 8;
  case DType::Invalid:
    break;
  }
  return 0;
}

const char *dtypeName(DType t) {
  switch (t) {
  case DType::I8:
    return "i8";
  case DType::U8:
    return "u8";
  case DType::I16:
    return "i16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::F16:
    return "f16";
  case DType::F32:
    return "f32";
  case DType::Invalid:
    break;
  }
  return "invalid";
}

bool parseDType(std::string_view name, DType &out) {
  for (unsigned c = 1; c < kNumDTypeCodes; ++c) {
    if (name == dtypeName(static_cast<DType>(c))) {
      out = static_cast<DType>(c);
      return true;
    }
  }
  return false;
}

bool isFloat(DType t) { return t == DType::F16 || t == DType::F32; }
bool isInteger(DType t) {
  return t == DType::I8 || t == DType::U8 || t == DType::I16 ||
         t == DType::I32 || t == DType::I64;
}
bool isSignedInt(DType t) { return isInteger(t) && t != DType::U8; }

int64_t dtypeMin(DType t) {
  switch (t) {
  case DType::I8:
    return INT8_MIN;
  case DType::U8:
    return 0;
  case DType::I16:
    return INT16_MIN;
  case DType::I32:
    return INT32_MIN;
  case DType::I64:
    return INT64_MIN;
  default:
    return 0;
  }
}

int64_t dtypeMax(DType t) {
  switch (t) {
  case DType::I8:
    return INT8_MAX;
  case DType::U8:
    return UINT8_MAX;
  case DType::I16:
    return INT16_MAX;
  case DType::I32:
    return INT32_MAX;
  case DType::I64:
    return INT64_MAX;
  default:
    return 0;
  }
}

const char *engineName(Engine e) {
  switch (e) {
  case Engine::Dma:
    return "dma";
  case Engine::Matrix:
    return "mat";
  case Engine::Vector:
    return "vec";
  }
  return "?";
}

int64_t windowOutSize(int64_t in, int64_t k, int64_t stride, int64_t dil,
                      int64_t padBegin, int64_t padEnd) {
  if (stride <= 0 || k <= 0 || dil <= 0)
    return 0;
  int64_t span = in + padBegin + padEnd - dil * (k - 1) - 1;
  if (span < 0)
    return 0;
  return span / stride + 1;
}

//===----------------------------------------------------------------------===//
// Variant helpers
//===----------------------------------------------------------------------===//

Opcode opcodeOf(const Instr &instr) {
  return std::visit([](const auto &i) { return i.kOpcode; }, instr);
}

const Sync &syncOf(const Instr &instr) {
  return std::visit([](const auto &i) -> const Sync & { return i.sync; },
                    instr);
}

Sync &syncOf(Instr &instr) {
  return std::visit([](auto &i) -> Sync & { return i.sync; }, instr);
}

Unit unitOf(const Instr &instr) {
  switch (opcodeOf(instr)) {
  case Opcode::End:
  case Opcode::SetReg:
  case Opcode::Loop:
    return Unit::FrontEnd;
  case Opcode::Barrier:
    return Unit::AllEngines;
  case Opcode::Sync:
    switch (std::get<SyncInstr>(instr).engine) {
    case Engine::Dma:
      return Unit::Dma;
    case Engine::Matrix:
      return Unit::Matrix;
    case Engine::Vector:
      return Unit::Vector;
    }
    return Unit::Dma;
  case Opcode::Dma:
  case Opcode::Copy:
    return Unit::Dma;
  case Opcode::Conv:
  case Opcode::Matmul:
    return Unit::Matrix;
  default:
    return Unit::Vector;
  }
}

const char *featureOf(const Instr &instr) {
  if (auto *d = std::get_if<DmaInstr>(&instr))
    return d->coreMask ? "multicast" : nullptr;
  if (auto *c = std::get_if<CopyInstr>(&instr))
    return c->coreMask ? "multicast" : "copy";
  if (auto *c = std::get_if<ConvInstr>(&instr))
    return (c->groups > 1 && c->c == c->groups) ? "dwconv" : "conv";
  if (std::holds_alternative<MatmulInstr>(instr))
    return "matmul";
  if (auto *e = std::get_if<EltwiseInstr>(&instr))
    return EltwiseInstr::kOpNames[static_cast<unsigned>(e->op)];
  if (auto *a = std::get_if<ActInstr>(&instr))
    return ActInstr::kKindNames[static_cast<unsigned>(a->kind)];
  if (auto *p = std::get_if<PoolInstr>(&instr))
    return p->kind == PoolKind::Max ? "maxpool" : "avgpool";
  if (auto *r = std::get_if<ReduceInstr>(&instr)) {
    static const char *names[] = {"reduce_sum", "reduce_max", "reduce_min",
                                  "reduce_mean"};
    return names[static_cast<unsigned>(r->kind)];
  }
  if (auto *c = std::get_if<ConvertInstr>(&instr))
    return ConvertInstr::kModeNames[static_cast<unsigned>(c->mode)];
  if (std::holds_alternative<LayoutInstr>(instr))
    return "layout";
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Verification (chip independent)
//===----------------------------------------------------------------------===//

namespace {

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

bool inRange(int64_t v, DType t) {
  return v >= dtypeMin(t) && v <= dtypeMax(t);
}

Status verifySync(const Instr &instr) {
  const Sync &s = syncOf(instr);
  for (int8_t x : {s.wait[0], s.wait[1], s.signal[0], s.signal[1]})
    if (x < -1 || x >= static_cast<int>(kNumSemaphores))
      return Status::error(fmt("semaphore index %d is out of range (s0..s%u)",
                               x, kNumSemaphores - 1));
  Unit unit = unitOf(instr);
  if ((unit == Unit::FrontEnd || unit == Unit::AllEngines) && !s.empty())
    return Status::error("front-end instructions and barriers take no "
                         "waits or signals");
  if (s.wait[1] >= 0 && s.wait[0] < 0)
    return Status::error("wait slot 1 is used but slot 0 is not");
  bool remote = false;
  if (auto *d = std::get_if<DmaInstr>(&instr))
    remote = d->remoteSignal;
  if (auto *c = std::get_if<CopyInstr>(&instr))
    remote = c->remoteSignal;
  if (remote && s.signal[1] < 0)
    return Status::error("'remote' needs a remote signal (rsignal=sN)");
  if (!remote && s.signal[1] >= 0 && s.signal[0] < 0)
    return Status::error("signal slot 1 is used but slot 0 is not");
  return Status::ok();
}

/// The accumulator type of a matrix-engine input/weight type pair.
DType accumulatorType(DType in, DType w) {
  if ((in == DType::I8 || in == DType::U8) &&
      (w == DType::I8 || w == DType::U8))
    return DType::I32;
  if (in == DType::I16 && (w == DType::I8 || w == DType::U8 || w == DType::I16))
    return DType::I64;
  if (in == DType::F16 && w == DType::F16)
    return DType::F32;
  return DType::Invalid;
}

Status verifyMatrixTypes(DType in, DType w, DType out, bool requant,
                         bool accumulate, int64_t zpIn, int64_t zpW,
                         int64_t zpOut, int64_t lo, int64_t hi) {
  DType acc = accumulatorType(in, w);
  if (acc == DType::Invalid)
    return Status::error(fmt("unsupported input/weight types %s x %s "
                             "(supported: i8/u8 x i8/u8, i16 x i8/u8/i16, "
                             "f16 x f16)",
                             dtypeName(in), dtypeName(w)));
  if (requant) {
    if (isFloat(in))
      return Status::error("'requant' needs integer inputs");
    if (accumulate)
      return Status::error("'acc' and 'requant' cannot be combined: "
                           "accumulate raw partial sums, then CONVERT");
    if (out != DType::I8 && out != DType::U8 && out != DType::I16)
      return Status::error(fmt("requantized output type must be i8, u8 or "
                               "i16, not %s",
                               dtypeName(out)));
    if (!inRange(zpOut, out))
      return Status::error(fmt("output zero point %" PRId64
                               " is outside the range of %s",
                               zpOut, dtypeName(out)));
    if (lo > hi)
      return Status::error(
          fmt("clamp lo %" PRId64 " exceeds hi %" PRId64, lo, hi));
  } else {
    bool ok =
        out == acc || (acc == DType::F32 && out == DType::F16 && !accumulate);
    if (!ok)
      return Status::error(fmt(
          "raw output type must be the accumulator "
          "type %s%s, not %s",
          dtypeName(acc), acc == DType::F32 && !accumulate ? " (or f16)" : "",
          dtypeName(out)));
    if (zpOut != 0)
      return Status::error("an output zero point needs 'requant'");
  }
  if (isFloat(in)) {
    if (zpIn != 0 || zpW != 0)
      return Status::error("floating-point operands take no zero points");
  } else {
    if (!inRange(zpIn, in))
      return Status::error(fmt("input zero point %" PRId64
                               " is outside the range of %s",
                               zpIn, dtypeName(in)));
    if (!inRange(zpW, w))
      return Status::error(fmt("weight zero point %" PRId64
                               " is outside the range of %s",
                               zpW, dtypeName(w)));
  }
  return Status::ok();
}

Status verifyDmaShape(DType dt, uint32_t rows, uint32_t cols,
                      uint32_t dstStride, uint16_t pl, uint16_t pr,
                      int32_t pad) {
  if (rows == 0 || cols == 0)
    return Status::error("rows and cols must be at least 1");
  if (isInteger(dt) && !inRange(pad, dt))
    return Status::error(
        fmt("pad value %d is outside the range of %s", pad, dtypeName(dt)));
  uint64_t rowBytes = (static_cast<uint64_t>(pl) + cols + pr) * dtypeBytes(dt);
  if (dstStride != kDense && dstStride < rowBytes)
    return Status::error(fmt("destination stride %u is smaller than the "
                             "destination row (%" PRIu64 " bytes)",
                             dstStride, rowBytes));
  return Status::ok();
}

struct Verifier {
  Status operator()(const EndInstr &) { return Status::ok(); }
  Status operator()(const SetRegInstr &i) {
    if (i.reg == 0 || i.reg >= kNumRegisters)
      return Status::error(fmt("setr needs a register r1..r%u, not r%u",
                               kNumRegisters - 1, i.reg));
    return Status::ok();
  }
  Status operator()(const LoopInstr &i) {
    if (i.body == 0)
      return Status::error("loop body must hold at least one instruction");
    bool unused = false;
    for (const LoopInc &inc : i.incs) {
      if (inc.reg >= kNumRegisters)
        return Status::error("loop increment register out of range");
      if (inc.reg == 0 && inc.value != 0)
        return Status::error("r0 cannot be incremented");
      if (inc.reg != 0 && unused)
        return Status::error("loop increment slots must be filled in order");
      unused |= inc.reg == 0;
    }
    return Status::ok();
  }
  Status operator()(const SyncInstr &) { return Status::ok(); }
  Status operator()(const BarrierInstr &) { return Status::ok(); }
  Status operator()(const DmaInstr &i) {
    if (i.dtype == DType::Invalid)
      return Status::error("invalid element type");
    if (i.coreMask != 0 && i.dir != DmaDir::Load)
      return Status::error("a multicast mask is only valid for dma.load");
    if (i.remoteSignal && i.dir != DmaDir::Load)
      return Status::error("'rsignal' is only valid for dma.load and copy");
    return verifyDmaShape(i.dtype, i.rows, i.cols, i.dstStride, i.padLeft,
                          i.padRight, i.pad);
  }
  Status operator()(const CopyInstr &i) {
    if (i.dtype == DType::Invalid)
      return Status::error("invalid element type");
    if (i.core >= kMaxCores)
      return Status::error("destination core out of range");
    if (i.coreMask && i.core)
      return Status::error("a copy names either a core or a mask");
    return verifyDmaShape(i.dtype, i.rows, i.cols, i.dstStride, i.padLeft,
                          i.padRight, i.pad);
  }
  Status operator()(const ConvInstr &i) {
    if (!i.h || !i.w || !i.c || !i.cout)
      return Status::error("h, w, c and cout must be at least 1");
    if (!i.kh || !i.kw || !i.strideH || !i.strideW || !i.dilH || !i.dilW)
      return Status::error("kernel sizes, strides and dilations must be at "
                           "least 1");
    if (!i.groups || i.c % i.groups || i.cout % i.groups)
      return Status::error(
          fmt("groups %u must divide c %u and cout %u", i.groups, i.c, i.cout));
    if (windowOutSize(i.h, i.kh, i.strideH, i.dilH, i.padTop, i.padBottom) <
            1 ||
        windowOutSize(i.w, i.kw, i.strideW, i.dilW, i.padLeft, i.padRight) < 1)
      return Status::error("the kernel does not fit the padded input: the "
                           "output would be empty");
    // An input pixel stride below c is allowed: the pixels are overlapping
    // windows of the row (a small-channel conv folds its kernel width into
    // the channels this way).
    if (i.outPixStride && i.outPixStride < i.cout)
      return Status::error("output pixel stride is smaller than cout");
    int64_t ow =
        windowOutSize(i.w, i.kw, i.strideW, i.dilW, i.padLeft, i.padRight);
    int64_t ops = i.outPixStride ? i.outPixStride : i.cout;
    if (i.outRowStride && i.outRowStride < ow * ops)
      return Status::error("output row stride is smaller than a row");
    return verifyMatrixTypes(i.inType, i.weightType, i.outType, i.requant,
                             i.accumulate, i.zpIn, i.zpWeight, i.zpOut, i.lo,
                             i.hi);
  }
  Status operator()(const MatmulInstr &i) {
    if (!i.m || !i.n || !i.k)
      return Status::error("m, n and k must be at least 1");
    if (i.outRowStride && i.outRowStride < i.n)
      return Status::error("output row stride is smaller than n");
    return verifyMatrixTypes(i.aType, i.bType, i.outType, i.requant,
                             i.accumulate, i.zpA, i.zpB, i.zpOut, i.lo, i.hi);
  }
  Status operator()(const EltwiseInstr &i) {
    if (!i.rows || !i.cols)
      return Status::error("rows and cols must be at least 1");
    if (i.inType == DType::Invalid || i.outType == DType::Invalid)
      return Status::error("invalid element type");
    if (isFloat(i.inType) != isFloat(i.outType))
      return Status::error("eltwise converts int to int or float to float "
                           "only (use convert)");
    if (i.outRowStride != kDense && i.outRowStride < i.cols)
      return Status::error("output row stride is smaller than cols");
    if (!i.requant) {
      if (i.zpA || i.zpB || i.zpOut || i.lo != INT16_MIN || i.hi != INT16_MAX ||
          i.table.offset || i.table.reg)
        return Status::error("zero points, clamp bounds and a table need "
                             "'requant'");
      return Status::ok();
    }
    auto narrow = [](DType t) {
      return t == DType::I8 || t == DType::U8 || t == DType::I16;
    };
    if (!narrow(i.inType) || !narrow(i.outType))
      return Status::error(fmt("requant eltwise needs i8, u8 or i16 operands "
                               "and result, not %s -> %s",
                               dtypeName(i.inType), dtypeName(i.outType)));
    if (!inRange(i.zpA, i.inType) || !inRange(i.zpB, i.inType))
      return Status::error(fmt("input zero points %d, %d are outside the "
                               "range of %s",
                               i.zpA, i.zpB, dtypeName(i.inType)));
    if (!inRange(i.zpOut, i.outType))
      return Status::error(fmt("output zero point %d is outside the range "
                               "of %s",
                               i.zpOut, dtypeName(i.outType)));
    if (i.lo > i.hi)
      return Status::error(fmt("clamp lo %d exceeds hi %d", i.lo, i.hi));
    return Status::ok();
  }
  Status operator()(const ActInstr &i) {
    if (!i.rows || !i.cols)
      return Status::error("rows and cols must be at least 1");
    if (i.outRowStride != kDense && i.outRowStride < i.cols)
      return Status::error("output row stride is smaller than cols");
    if (std::isnan(i.flo) || std::isnan(i.fhi) || i.flo > i.fhi)
      return Status::error("float clamp bounds must be ordered numbers");
    if (i.lo > i.hi)
      return Status::error("clamp lo exceeds hi");
    switch (i.kind) {
    case ActKind::Clamp:
      if (i.inType == DType::Invalid || i.outType == DType::Invalid ||
          isFloat(i.inType) != isFloat(i.outType))
        return Status::error("clamp maps int to int or float to float");
      return Status::ok();
    case ActKind::Lut:
      if (i.inType != DType::I8 && i.inType != DType::U8)
        return Status::error("lut input must be i8 or u8");
      if (i.outType != DType::I8 && i.outType != DType::U8 &&
          i.outType != DType::I16)
        return Status::error("lut output must be i8, u8 or i16");
      return Status::ok();
    default:
      if (!isFloat(i.inType) || !isFloat(i.outType))
        return Status::error("sigmoid, tanh and exp take f16/f32 operands "
                             "(integer activations use a lut)");
      return Status::ok();
    }
  }
  Status operator()(const PoolInstr &i) {
    if (!i.h || !i.w || !i.c || !i.kh || !i.kw || !i.strideH || !i.strideW)
      return Status::error("sizes, kernel and strides must be at least 1");
    if (i.dtype == DType::Invalid)
      return Status::error("invalid element type");
    if (i.padTop >= i.kh || i.padBottom >= i.kh || i.padLeft >= i.kw ||
        i.padRight >= i.kw)
      return Status::error("pool padding must be smaller than the kernel");
    if (windowOutSize(i.h, i.kh, i.strideH, 1, i.padTop, i.padBottom) < 1 ||
        windowOutSize(i.w, i.kw, i.strideW, 1, i.padLeft, i.padRight) < 1)
      return Status::error("the window does not fit: the output would be "
                           "empty");
    if (isFloat(i.dtype) ? i.zp != 0 : !inRange(i.zp, i.dtype))
      return Status::error("pool zero point out of range for the type");
    if (i.inPixStride && i.inPixStride < i.c)
      return Status::error("input pixel stride is smaller than c");
    if (i.outPixStride && i.outPixStride < i.c)
      return Status::error("output pixel stride is smaller than c");
    return Status::ok();
  }
  Status operator()(const ReduceInstr &i) {
    if (!i.outer || !i.n || !i.inner)
      return Status::error("outer, n and inner must be at least 1");
    if (i.inType == DType::Invalid || i.outType == DType::Invalid)
      return Status::error("invalid element type");
    if ((i.kind == ReduceKind::Max || i.kind == ReduceKind::Min) &&
        i.inType != i.outType)
      return Status::error("reduce max/min keep the input type");
    if (isFloat(i.inType) != isFloat(i.outType))
      return Status::error("reduce maps int to int or float to float");
    return Status::ok();
  }
  Status operator()(const ConvertInstr &i) {
    if (!i.rows || !i.cols)
      return Status::error("rows and cols must be at least 1");
    if (i.inType == DType::Invalid || i.outType == DType::Invalid)
      return Status::error("invalid element type");
    if (i.outRowStride != kDense && i.outRowStride < i.cols)
      return Status::error("output row stride is smaller than cols");
    if (i.lo > i.hi)
      return Status::error("clamp lo exceeds hi");
    switch (i.mode) {
    case ConvertMode::Requant:
      if (!isInteger(i.inType) || !isInteger(i.outType) ||
          i.outType == DType::I64)
        return Status::error("requant maps an integer type to i8, u8, i16 "
                             "or i32");
      break;
    case ConvertMode::Quant:
      if (!isFloat(i.inType) || !isInteger(i.outType) ||
          i.outType == DType::I64)
        return Status::error("quant maps f16/f32 to i8, u8, i16 or i32");
      break;
    case ConvertMode::Dequant:
      if (!isInteger(i.inType) || !isFloat(i.outType))
        return Status::error("dequant maps an integer type to f16/f32");
      break;
    case ConvertMode::Cast:
      if (i.perChannel)
        return Status::error("cast takes no table");
      break;
    }
    return Status::ok();
  }
  Status operator()(const LayoutInstr &i) {
    if (i.dtype == DType::Invalid)
      return Status::error("invalid element type");
    bool seen[4] = {false, false, false, false};
    for (uint8_t p : i.perm) {
      if (p > 3 || seen[p])
        return Status::error("perm must be a permutation of 0123");
      seen[p] = true;
    }
    if (!i.d0 || !i.d1 || !i.d2 || !i.d3)
      return Status::error("dims must be at least 1");
    return Status::ok();
  }
};

} // namespace

Status verify(const Instr &instr) {
  if (Status s = verifySync(instr); !s)
    return s;
  return std::visit(Verifier{}, instr);
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

namespace {

// Header layout of word 0.
constexpr unsigned kWaitLsb[2] = {8, 13};
constexpr unsigned kSignalLsb[2] = {18, 23};
constexpr unsigned kSlotEnable = 0x10;

uint64_t maskOf(unsigned width) {
  return width >= 64 ? ~uint64_t(0) : ((uint64_t(1) << width) - 1);
}

struct EncodeVisitor {
  Word &w;
  std::string error;

  void put(unsigned word, unsigned lsb, unsigned width, uint64_t bits) {
    uint32_t cur = wordAt(w, word);
    uint32_t m = static_cast<uint32_t>(maskOf(width) << lsb);
    cur = (cur & ~m) | (static_cast<uint32_t>(bits << lsb) & m);
    setWordAt(w, word, cur);
  }
  void fail(std::string msg) {
    if (error.empty())
      error = std::move(msg);
  }

  template <typename T>
  void num(const char *name, T &m, unsigned word, unsigned lsb, unsigned width,
           bool isSigned, FieldDefault, NumFormat) {
    int64_t v = static_cast<int64_t>(m);
    if (isSigned) {
      int64_t lo = -(int64_t(1) << (width - 1));
      int64_t hi = (int64_t(1) << (width - 1)) - 1;
      if (v < lo || v > hi)
        fail(fmt("value %" PRId64 " does not fit the %u-bit signed field "
                 "'%s'",
                 v, width, name));
    } else if (v < 0 || static_cast<uint64_t>(v) > maskOf(width)) {
      fail(fmt("value %" PRId64 " does not fit the %u-bit field '%s'", v, width,
               name));
    }
    put(word, lsb, width, static_cast<uint64_t>(v));
  }
  void flag(const char *, bool &m, unsigned word, unsigned lsb) {
    put(word, lsb, 1, m ? 1 : 0);
  }
  void dtype(const char *name, DType &m, unsigned word, unsigned lsb,
             FieldDefault) {
    if (m == DType::Invalid || static_cast<unsigned>(m) >= kNumDTypeCodes)
      fail(fmt("field '%s' holds an invalid element type", name));
    put(word, lsb, 4, static_cast<uint64_t>(m));
  }
  template <typename E>
  void enumeration(const char *name, E &m, unsigned word, unsigned lsb,
                   unsigned width, const char *const *, unsigned count,
                   FieldDefault, bool) {
    if (static_cast<unsigned>(m) >= count)
      fail(fmt("field '%s' holds an invalid value %u", name,
               static_cast<unsigned>(m)));
    put(word, lsb, width, static_cast<uint64_t>(m));
  }
  void addr(const char *name, Addr &m, unsigned word, unsigned regWord,
            unsigned regLsb, FieldDefault) {
    if (m.reg >= kNumRegisters)
      fail(fmt("address '%s' names register r%u (r0..r%u exist)", name, m.reg,
               kNumRegisters - 1));
    put(word, 0, 32, m.offset);
    put(regWord, regLsb, 4, m.reg);
  }
  void reg(const char *name, uint8_t &m, unsigned word, unsigned lsb) {
    if (m >= kNumRegisters)
      fail(fmt("field '%s' names register r%u (r0..r%u exist)", name, m,
               kNumRegisters - 1));
    put(word, lsb, 4, m);
  }
  void f32(const char *, float &m, unsigned word, float) {
    uint32_t bits;
    std::memcpy(&bits, &m, 4);
    put(word, 0, 32, bits);
  }
  void perm(const char *, std::array<uint8_t, 4> &m, unsigned word,
            unsigned lsb) {
    for (unsigned i = 0; i < 4; ++i)
      put(word, lsb + 2 * i, 2, m[i] & 3);
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned regWord,
                unsigned firstValueWord) {
    for (unsigned i = 0; i < kMaxLoopIncs; ++i) {
      put(regWord, 4 * i, 4, incs[i].reg);
      put(firstValueWord + i, 0, 32, static_cast<uint32_t>(incs[i].value));
    }
  }
};

} // namespace

Status encode(const Instr &instr, Word &out) {
  if (Status s = verify(instr); !s)
    return s;
  out.fill(0);
  EncodeVisitor v{out, {}};
  uint32_t header = static_cast<uint32_t>(opcodeOf(instr));
  const Sync &s = syncOf(instr);
  for (unsigned i = 0; i < 2; ++i) {
    if (s.wait[i] >= 0)
      header |= (kSlotEnable | static_cast<uint32_t>(s.wait[i])) << kWaitLsb[i];
    if (s.signal[i] >= 0)
      header |= (kSlotEnable | static_cast<uint32_t>(s.signal[i]))
                << kSignalLsb[i];
  }
  setWordAt(out, 0, header);
  std::visit(
      [&](const auto &i) {
        const_cast<std::decay_t<decltype(i)> &>(i).visitFields(v);
      },
      instr);
  if (!v.error.empty())
    return Status::error(v.error);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

namespace {

struct DecodeVisitor {
  const Word &w;
  uint32_t used[kInstrWords] = {};
  std::string error;

  uint64_t get(unsigned word, unsigned lsb, unsigned width) {
    used[word] |= static_cast<uint32_t>(maskOf(width) << lsb);
    return (wordAt(w, word) >> lsb) & maskOf(width);
  }
  void fail(std::string msg) {
    if (error.empty())
      error = std::move(msg);
  }

  template <typename T>
  void num(const char *, T &m, unsigned word, unsigned lsb, unsigned width,
           bool isSigned, FieldDefault, NumFormat) {
    uint64_t bits = get(word, lsb, width);
    if (isSigned && width < 64 && (bits >> (width - 1)) & 1)
      m = static_cast<T>(static_cast<int64_t>(bits | ~maskOf(width)));
    else
      m = static_cast<T>(bits);
  }
  void flag(const char *, bool &m, unsigned word, unsigned lsb) {
    m = get(word, lsb, 1) != 0;
  }
  void dtype(const char *name, DType &m, unsigned word, unsigned lsb,
             FieldDefault) {
    uint64_t code = get(word, lsb, 4);
    if (code == 0 || code >= kNumDTypeCodes)
      fail(fmt("field '%s' holds invalid element type code %u", name,
               static_cast<unsigned>(code)));
    m = static_cast<DType>(code);
  }
  template <typename E>
  void enumeration(const char *name, E &m, unsigned word, unsigned lsb,
                   unsigned width, const char *const *, unsigned count,
                   FieldDefault, bool) {
    uint64_t code = get(word, lsb, width);
    if (code >= count)
      fail(fmt("field '%s' holds invalid code %u", name,
               static_cast<unsigned>(code)));
    m = static_cast<E>(code);
  }
  void addr(const char *, Addr &m, unsigned word, unsigned regWord,
            unsigned regLsb, FieldDefault) {
    m.offset = static_cast<uint32_t>(get(word, 0, 32));
    m.reg = static_cast<uint8_t>(get(regWord, regLsb, 4));
  }
  void reg(const char *, uint8_t &m, unsigned word, unsigned lsb) {
    m = static_cast<uint8_t>(get(word, lsb, 4));
  }
  void f32(const char *, float &m, unsigned word, float) {
    uint32_t bits = static_cast<uint32_t>(get(word, 0, 32));
    std::memcpy(&m, &bits, 4);
  }
  void perm(const char *, std::array<uint8_t, 4> &m, unsigned word,
            unsigned lsb) {
    for (unsigned i = 0; i < 4; ++i)
      m[i] = static_cast<uint8_t>(get(word, lsb + 2 * i, 2));
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned regWord,
                unsigned firstValueWord) {
    for (unsigned i = 0; i < kMaxLoopIncs; ++i) {
      incs[i].reg = static_cast<uint8_t>(get(regWord, 4 * i, 4));
      incs[i].value = static_cast<int32_t>(
          static_cast<uint32_t>(get(firstValueWord + i, 0, 32)));
    }
  }
};

template <typename T> StatusOr<Instr> decodeAs(const Word &word) {
  T instr;
  DecodeVisitor v{word, {}, {}};
  v.used[0] = 0x0fffffffu; // Opcode and Sync; flags are claimed by fields.
  instr.visitFields(v);
  if (!v.error.empty())
    return StatusOr<Instr>::error(v.error);
  for (unsigned i = 0; i < kInstrWords; ++i) {
    uint32_t stray = wordAt(word, i) & ~v.used[i];
    if (stray)
      return StatusOr<Instr>::error(
          fmt("reserved bits are set in word %u (0x%08x) of a %s instruction",
              i, stray, T::kMnemonic));
  }
  uint32_t header = wordAt(word, 0);
  for (unsigned i = 0; i < 2; ++i) {
    uint32_t wslot = (header >> kWaitLsb[i]) & 0x1f;
    uint32_t sslot = (header >> kSignalLsb[i]) & 0x1f;
    if ((!(wslot & kSlotEnable) && wslot) || (!(sslot & kSlotEnable) && sslot))
      return StatusOr<Instr>::error(
          "a disabled wait/signal slot holds a semaphore index");
    instr.sync.wait[i] =
        (wslot & kSlotEnable) ? static_cast<int8_t>(wslot & 0xf) : -1;
    instr.sync.signal[i] =
        (sslot & kSlotEnable) ? static_cast<int8_t>(sslot & 0xf) : -1;
  }
  Instr result = instr;
  if (Status s = verify(result); !s)
    return StatusOr<Instr>(s);
  return result;
}

} // namespace

StatusOr<Instr> decode(const Word &word) {
  uint8_t op = word[0];
  switch (static_cast<Opcode>(op)) {
  case Opcode::End:
    return decodeAs<EndInstr>(word);
  case Opcode::SetReg:
    return decodeAs<SetRegInstr>(word);
  case Opcode::Loop:
    return decodeAs<LoopInstr>(word);
  case Opcode::Sync:
    return decodeAs<SyncInstr>(word);
  case Opcode::Barrier:
    return decodeAs<BarrierInstr>(word);
  case Opcode::Dma:
    return decodeAs<DmaInstr>(word);
  case Opcode::Copy:
    return decodeAs<CopyInstr>(word);
  case Opcode::Conv:
    return decodeAs<ConvInstr>(word);
  case Opcode::Matmul:
    return decodeAs<MatmulInstr>(word);
  case Opcode::Eltwise:
    return decodeAs<EltwiseInstr>(word);
  case Opcode::Act:
    return decodeAs<ActInstr>(word);
  case Opcode::Pool:
    return decodeAs<PoolInstr>(word);
  case Opcode::Reduce:
    return decodeAs<ReduceInstr>(word);
  case Opcode::Convert:
    return decodeAs<ConvertInstr>(word);
  case Opcode::Layout:
    return decodeAs<LayoutInstr>(word);
  }
  return StatusOr<Instr>::error(fmt("unknown opcode 0x%02x", op));
}

//===----------------------------------------------------------------------===//
// Disassembly
//===----------------------------------------------------------------------===//

namespace {

std::string semName(int8_t s) { return "s" + std::to_string(s); }

std::string formatFloat(float f) {
  if (std::isinf(f))
    return f < 0 ? "-inf" : "inf";
  char buf[64];
  snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(f));
  // Make sure it reads back as a float literal, not an integer.
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

struct PrintVisitor {
  std::string mnemonic;
  std::string out;

  void field(const char *name, const std::string &value) {
    out += ' ';
    out += name;
    out += '=';
    out += value;
  }
  template <typename T>
  void num(const char *name, T &m, unsigned, unsigned, unsigned, bool,
           FieldDefault d, NumFormat f) {
    int64_t v = static_cast<int64_t>(m);
    if (!d.required && v == d.value)
      return;
    if (f == NumFormat::Hex && v >= 0)
      field(name, fmt("0x%" PRIx64, v));
    else
      field(name, std::to_string(v));
  }
  void flag(const char *name, bool &m, unsigned, unsigned) {
    if (m) {
      out += ' ';
      out += name;
    }
  }
  void dtype(const char *name, DType &m, unsigned, unsigned, FieldDefault d) {
    if (!d.required && static_cast<int64_t>(m) == d.value)
      return;
    field(name, dtypeName(m));
  }
  template <typename E>
  void enumeration(const char *name, E &m, unsigned, unsigned, unsigned,
                   const char *const *names, unsigned count, FieldDefault d,
                   bool inMnemonic) {
    unsigned code = static_cast<unsigned>(m);
    const char *text = code < count ? names[code] : "?";
    if (inMnemonic) {
      mnemonic += '.';
      mnemonic += text;
      return;
    }
    if (!d.required && static_cast<int64_t>(code) == d.value)
      return;
    field(name, text);
  }
  void addr(const char *name, Addr &m, unsigned, unsigned, unsigned,
            FieldDefault d) {
    if (!d.required && m.offset == d.value && m.reg == 0)
      return;
    std::string s = fmt("0x%x", m.offset);
    if (m.reg)
      s += "+r" + std::to_string(m.reg);
    field(name, s);
  }
  void reg(const char *name, uint8_t &m, unsigned, unsigned) {
    field(name, "r" + std::to_string(m));
  }
  void f32(const char *name, float &m, unsigned, float d) {
    uint32_t a, b;
    std::memcpy(&a, &m, 4);
    std::memcpy(&b, &d, 4);
    if (a != b)
      field(name, formatFloat(m));
  }
  void perm(const char *name, std::array<uint8_t, 4> &m, unsigned, unsigned) {
    if (m[0] == 0 && m[1] == 1 && m[2] == 2 && m[3] == 3)
      return;
    std::string s;
    for (uint8_t p : m)
      s += static_cast<char>('0' + p);
    field(name, s);
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned, unsigned) {
    for (const LoopInc &inc : incs) {
      if (!inc.reg)
        continue;
      out += fmt(" r%u%s=%" PRId64, inc.reg, inc.value < 0 ? "-" : "+",
                 inc.value < 0 ? -static_cast<int64_t>(inc.value)
                               : static_cast<int64_t>(inc.value));
    }
  }
};

template <typename T> std::string disassembleAs(const T &instr) {
  PrintVisitor v;
  v.mnemonic = T::kMnemonic;
  const_cast<T &>(instr).visitFields(v);
  std::string s = v.mnemonic + v.out;
  const Sync &sync = instr.sync;
  bool remote = false;
  if constexpr (std::is_same_v<T, DmaInstr> || std::is_same_v<T, CopyInstr>)
    remote = instr.remoteSignal;
  for (int8_t w : sync.wait)
    if (w >= 0)
      s += " wait=" + semName(w);
  if (sync.signal[0] >= 0)
    s += " signal=" + semName(sync.signal[0]);
  if (sync.signal[1] >= 0)
    s += (remote ? " rsignal=" : " signal=") + semName(sync.signal[1]);
  return s;
}

} // namespace

std::string disassemble(const Instr &instr) {
  return std::visit([](const auto &i) { return disassembleAs(i); }, instr);
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {

struct Token {
  std::string key;
  std::string value;
  bool hasValue = false;
  bool used = false;
};

bool parseInt(std::string_view text, int64_t &out) {
  if (text.empty())
    return false;
  std::string s(text);
  bool neg = false;
  size_t pos = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    pos = 1;
  }
  if (pos >= s.size())
    return false;
  int base = 10;
  if (s.size() > pos + 2 && s[pos] == '0' &&
      (s[pos + 1] == 'x' || s[pos + 1] == 'X')) {
    base = 16;
    pos += 2;
  }
  unsigned __int128 v = 0;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_')
      continue;
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = v * base + d;
    if (v > (static_cast<unsigned __int128>(1) << 64))
      return false;
  }
  if (neg) {
    if (v > (static_cast<unsigned __int128>(1) << 63))
      return false;
    out = -static_cast<int64_t>(static_cast<uint64_t>(v - 1)) - 1;
    if (v == 0)
      out = 0;
  } else {
    if (v > static_cast<unsigned __int128>(INT64_MAX))
      return false;
    out = static_cast<int64_t>(v);
  }
  return true;
}

bool parseReg(std::string_view text, uint8_t &out) {
  int64_t v;
  if (text.size() < 2 || (text[0] != 'r' && text[0] != 'R') ||
      !parseInt(text.substr(1), v) || text[1] == '-' || text[1] == '+' ||
      v < 0 || v >= kNumRegisters)
    return false;
  out = static_cast<uint8_t>(v);
  return true;
}

bool parseSem(std::string_view text, int8_t &out) {
  int64_t v;
  if (text.size() < 2 || text[0] != 's' || text[1] == '-' || text[1] == '+' ||
      !parseInt(text.substr(1), v) || v < 0 || v >= kNumSemaphores)
    return false;
  out = static_cast<int8_t>(v);
  return true;
}

struct ParseVisitor {
  std::vector<Token> &tokens;
  std::string mnemonicSub; // The text after '.', if any.
  bool subUsed = false;
  std::string error;
  std::vector<std::string> names;

  void fail(std::string msg) {
    if (error.empty())
      error = std::move(msg);
  }
  /// The value token for `name`, or null if absent.
  Token *find(const char *name, bool required) {
    names.push_back(name);
    Token *found = nullptr;
    for (Token &t : tokens) {
      if (t.key != name)
        continue;
      if (found) {
        fail(fmt("field '%s' is given twice", name));
        return nullptr;
      }
      found = &t;
    }
    if (found)
      found->used = true;
    else if (required)
      fail(fmt("missing required field '%s'", name));
    if (found && !found->hasValue) {
      fail(fmt("field '%s' needs a value (%s=...)", name, name));
      return nullptr;
    }
    return found;
  }

  template <typename T>
  void num(const char *name, T &m, unsigned, unsigned, unsigned width,
           bool isSigned, FieldDefault d, NumFormat f) {
    Token *t = find(name, d.required);
    if (!t)
      return;
    int64_t v;
    if (f == NumFormat::Stride && t->value == "dense") {
      v = d.value;
    } else if (!parseInt(t->value, v)) {
      fail(fmt("field '%s': '%s' is not an integer", name, t->value.c_str()));
      return;
    }
    bool fits;
    if (isSigned)
      fits = v >= -(int64_t(1) << (width - 1)) &&
             v <= (int64_t(1) << (width - 1)) - 1;
    else
      fits = v >= 0 && static_cast<uint64_t>(v) <= maskOf(width);
    if (!fits) {
      fail(fmt("value %" PRId64 " does not fit the %u-bit %sfield '%s'", v,
               width, isSigned ? "signed " : "", name));
      return;
    }
    m = static_cast<T>(v);
  }
  void flag(const char *name, bool &m, unsigned, unsigned) {
    names.push_back(name);
    for (Token &t : tokens) {
      if (t.key != name)
        continue;
      if (t.hasValue) {
        fail(fmt("flag '%s' takes no value", name));
        return;
      }
      if (m) {
        fail(fmt("flag '%s' is given twice", name));
        return;
      }
      t.used = true;
      m = true;
    }
  }
  void dtype(const char *name, DType &m, unsigned, unsigned, FieldDefault d) {
    Token *t = find(name, d.required);
    if (!t)
      return;
    if (!parseDType(t->value, m))
      fail(fmt("field '%s': unknown element type '%s' (i8, u8, i16, i32, "
               "i64, f16, f32)",
               name, t->value.c_str()));
  }
  template <typename E>
  void enumeration(const char *name, E &m, unsigned, unsigned, unsigned,
                   const char *const *names_, unsigned count, FieldDefault d,
                   bool inMnemonic) {
    std::string text;
    if (inMnemonic) {
      subUsed = true;
      text = mnemonicSub;
      if (text.empty()) {
        std::string all;
        for (unsigned i = 0; i < count; ++i)
          all += std::string(i ? ", ." : ".") + names_[i];
        fail(fmt("this mnemonic needs a suffix: %s", all.c_str()));
        return;
      }
    } else {
      Token *t = find(name, d.required);
      if (!t)
        return;
      text = t->value;
    }
    for (unsigned i = 0; i < count; ++i) {
      if (text == names_[i]) {
        m = static_cast<E>(i);
        return;
      }
    }
    std::string all;
    for (unsigned i = 0; i < count; ++i)
      all += std::string(i ? ", " : "") + names_[i];
    fail(fmt("'%s' is not a valid %s (%s)", text.c_str(), name, all.c_str()));
  }
  void addr(const char *name, Addr &m, unsigned, unsigned, unsigned,
            FieldDefault d) {
    Token *t = find(name, d.required);
    if (!t)
      return;
    // Forms: 0x100, r3, 0x100+r3, r3+0x100.
    std::string_view s = t->value;
    Addr a;
    size_t plus = s.find('+');
    std::string_view parts[2] = {s, {}};
    if (plus != std::string_view::npos) {
      parts[0] = s.substr(0, plus);
      parts[1] = s.substr(plus + 1);
    }
    bool haveOffset = false, haveReg = false;
    for (std::string_view p : parts) {
      if (p.empty())
        continue;
      uint8_t r;
      int64_t v;
      if (!haveReg && parseReg(p, r)) {
        a.reg = r;
        haveReg = true;
      } else if (!haveOffset && parseInt(p, v) && v >= 0 &&
                 v <= static_cast<int64_t>(UINT32_MAX)) {
        a.offset = static_cast<uint32_t>(v);
        haveOffset = true;
      } else {
        fail(fmt("field '%s': '%s' is not an address (0x100, r3 or "
                 "0x100+r3)",
                 name, t->value.c_str()));
        return;
      }
    }
    m = a;
  }
  void reg(const char *name, uint8_t &m, unsigned, unsigned) {
    Token *t = find(name, true);
    if (!t)
      return;
    if (!parseReg(t->value, m))
      fail(fmt("field '%s': '%s' is not a register (r0..r%u)", name,
               t->value.c_str(), kNumRegisters - 1));
  }
  void f32(const char *name, float &m, unsigned, float) {
    Token *t = find(name, false);
    if (!t)
      return;
    const std::string &s = t->value;
    char *end = nullptr;
    float v = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || std::isnan(v)) {
      fail(fmt("field '%s': '%s' is not a number", name, s.c_str()));
      return;
    }
    m = v;
  }
  void perm(const char *name, std::array<uint8_t, 4> &m, unsigned, unsigned) {
    Token *t = find(name, false);
    if (!t)
      return;
    if (t->value.size() != 4) {
      fail(fmt("field '%s' needs four digits, e.g. 0231", name));
      return;
    }
    for (unsigned i = 0; i < 4; ++i) {
      char c = t->value[i];
      if (c < '0' || c > '3') {
        fail(fmt("field '%s' needs four digits 0-3, e.g. 0231", name));
        return;
      }
      m[i] = static_cast<uint8_t>(c - '0');
    }
  }
  void loopIncs(LoopInc (&incs)[kMaxLoopIncs], unsigned, unsigned) {
    names.push_back("rN+=V");
    unsigned n = 0;
    for (Token &t : tokens) {
      // Increment tokens were split as key "r3+" / "r3-" with a value.
      if (t.key.size() < 3 || (t.key.back() != '+' && t.key.back() != '-'))
        continue;
      uint8_t r;
      if (!parseReg(std::string_view(t.key).substr(0, t.key.size() - 1), r) ||
          r == 0) {
        fail(fmt("'%s=' does not name a register r1..r%u", t.key.c_str(),
                 kNumRegisters - 1));
        return;
      }
      int64_t v;
      if (!parseInt(t.value, v) || v < 0 || v > (int64_t(1) << 31)) {
        fail(fmt("loop increment '%s=%s' is not a 32-bit integer",
                 t.key.c_str(), t.value.c_str()));
        return;
      }
      if (t.key.back() == '-')
        v = -v;
      if (v > INT32_MAX) {
        fail("loop increment does not fit 32 bits");
        return;
      }
      if (n == kMaxLoopIncs) {
        fail(fmt("a loop takes at most %u register increments", kMaxLoopIncs));
        return;
      }
      incs[n].reg = r;
      incs[n].value = static_cast<int32_t>(v);
      ++n;
      t.used = true;
    }
  }
};

std::vector<std::string> splitTokens(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

template <typename T>
StatusOr<Instr> parseAs(const std::string &sub, std::vector<Token> &tokens) {
  T instr;
  ParseVisitor v{tokens, sub, false, {}, {}};
  instr.visitFields(v);
  if (!v.error.empty())
    return StatusOr<Instr>::error(v.error);
  if (!sub.empty() && !v.subUsed)
    return StatusOr<Instr>::error(
        fmt("'%s' takes no '.%s' suffix", T::kMnemonic, sub.c_str()));
  // Dependency fields.
  unsigned nWait = 0, nSignal = 0;
  bool remote = false;
  for (Token &t : tokens) {
    if (t.used)
      continue;
    if (t.key != "wait" && t.key != "signal" && t.key != "rsignal")
      continue;
    int8_t sem;
    if (!t.hasValue || !parseSem(t.value, sem))
      return StatusOr<Instr>::error(fmt("'%s' needs a semaphore s0..s%u",
                                        t.key.c_str(), kNumSemaphores - 1));
    t.used = true;
    if (t.key == "wait") {
      if (nWait == 2)
        return StatusOr<Instr>::error("at most two waits per instruction");
      instr.sync.wait[nWait++] = sem;
    } else if (t.key == "signal") {
      if (nSignal == 2 || (nSignal == 1 && remote))
        return StatusOr<Instr>::error("at most two signals per instruction");
      instr.sync.signal[nSignal++] = sem;
    } else {
      if (remote || instr.sync.signal[1] >= 0)
        return StatusOr<Instr>::error("at most one rsignal, and it takes "
                                      "the second signal slot");
      if constexpr (std::is_same_v<T, DmaInstr> ||
                    std::is_same_v<T, CopyInstr>) {
        instr.remoteSignal = true;
        instr.sync.signal[1] = sem;
        remote = true;
      } else {
        return StatusOr<Instr>::error(
            "'rsignal' is only valid for dma.load and copy");
      }
    }
  }
  for (Token &t : tokens) {
    if (t.used)
      continue;
    std::string all;
    for (const std::string &n : v.names)
      all += (all.empty() ? "" : ", ") + n;
    all += ", wait, signal";
    if constexpr (std::is_same_v<T, DmaInstr> || std::is_same_v<T, CopyInstr>)
      all += ", rsignal";
    return StatusOr<Instr>::error(fmt("unknown field '%s' for %s (fields: %s)",
                                      t.key.c_str(), T::kMnemonic,
                                      all.c_str()));
  }
  Instr result = instr;
  if (Status s = verify(result); !s)
    return StatusOr<Instr>(s);
  return result;
}

template <typename... Ts> struct TypeList {};

template <typename T, typename... Rest>
StatusOr<Instr> dispatchParse(const std::string &base, const std::string &sub,
                              std::vector<Token> &tokens,
                              TypeList<T, Rest...>) {
  if (base == T::kMnemonic)
    return parseAs<T>(sub, tokens);
  if constexpr (sizeof...(Rest) > 0)
    return dispatchParse(base, sub, tokens, TypeList<Rest...>{});
  else
    return StatusOr<Instr>::error(
        fmt("unknown instruction '%s'", base.c_str()));
}

} // namespace

StatusOr<Instr> parseInstr(std::string_view line) {
  std::vector<std::string> words = splitTokens(line);
  if (words.empty())
    return StatusOr<Instr>::error("empty instruction");
  std::string mnemonic = words[0];
  std::string base = mnemonic, sub;
  if (size_t dot = mnemonic.find('.'); dot != std::string::npos) {
    base = mnemonic.substr(0, dot);
    sub = mnemonic.substr(dot + 1);
  }
  std::vector<Token> tokens;
  for (size_t i = 1; i < words.size(); ++i) {
    Token t;
    const std::string &w = words[i];
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      t.key = w;
    } else {
      if (eq == 0)
        return StatusOr<Instr>::error(fmt("'%s' has no field name", w.c_str()));
      t.key = w.substr(0, eq);
      t.value = w.substr(eq + 1);
      t.hasValue = true;
    }
    tokens.push_back(std::move(t));
  }
  return dispatchParse(
      base, sub, tokens,
      TypeList<EndInstr, SetRegInstr, LoopInstr, SyncInstr, BarrierInstr,
               DmaInstr, CopyInstr, ConvInstr, MatmulInstr, EltwiseInstr,
               ActInstr, PoolInstr, ReduceInstr, ConvertInstr, LayoutInstr>{});
}

//===----------------------------------------------------------------------===//
// Encoding reference
//===----------------------------------------------------------------------===//

namespace {

struct DescribeVisitor {
  std::string rows;
  std::string bits(unsigned word, unsigned lsb, unsigned width) {
    if (width == 1)
      return fmt("%u", lsb);
    return fmt("%u-%u", lsb, lsb + width - 1);
  }
  void row(const char *name, unsigned word, const std::string &b,
           const std::string &type, const std::string &dflt) {
    rows += fmt("| `%s` | %u | %s | %s | %s |\n", name, word, b.c_str(),
                type.c_str(), dflt.c_str());
  }
  static std::string dflt(FieldDefault d, NumFormat f, unsigned width) {
    if (d.required)
      return "required";
    if (f == NumFormat::Stride && (d.value == kDense || d.value == 0))
      return "dense";
    if (f == NumFormat::Hex)
      return fmt("0x%" PRIx64, d.value);
    return std::to_string(d.value);
  }
  template <typename T>
  void num(const char *name, T &, unsigned word, unsigned lsb, unsigned width,
           bool isSigned, FieldDefault d, NumFormat f) {
    row(name, word, bits(word, lsb, width),
        fmt("%s %u-bit", isSigned ? "signed" : "unsigned", width),
        dflt(d, f, width));
  }
  void flag(const char *name, bool &, unsigned word, unsigned lsb) {
    row(name, word, bits(word, lsb, 1), "flag", "off");
  }
  void dtype(const char *name, DType &, unsigned word, unsigned lsb,
             FieldDefault d) {
    row(name, word, bits(word, lsb, 4), "element type",
        d.required ? "required" : dtypeName(static_cast<DType>(d.value)));
  }
  template <typename E>
  void enumeration(const char *name, E &, unsigned word, unsigned lsb,
                   unsigned width, const char *const *names, unsigned count,
                   FieldDefault d, bool inMnemonic) {
    std::string vals;
    for (unsigned i = 0; i < count; ++i)
      vals += fmt("%s%u=%s", i ? ", " : "", i, names[i]);
    row(name, word, bits(word, lsb, width),
        (inMnemonic ? "mnemonic suffix: " : "enum: ") + vals,
        d.required ? "required" : names[d.value]);
  }
  void addr(const char *name, Addr &, unsigned word, unsigned regWord,
            unsigned regLsb, FieldDefault d) {
    row(name, word, "0-31",
        fmt("address; register in word %u bits %u-%u", regWord, regLsb,
            regLsb + 3),
        d.required ? "required" : "0x0");
  }
  void reg(const char *name, uint8_t &, unsigned word, unsigned lsb) {
    row(name, word, bits(word, lsb, 4), "register r1..r15", "required");
  }
  void f32(const char *name, float &, unsigned word, float d) {
    row(name, word, "0-31", "IEEE binary32", d < 0 ? "-inf" : "inf");
  }
  void perm(const char *name, std::array<uint8_t, 4> &, unsigned word,
            unsigned lsb) {
    row(name, word, bits(word, lsb, 8),
        "4 x 2 bits: perm[i] in bits lsb+2i..lsb+2i+1", "0123");
  }
  void loopIncs(LoopInc (&)[kMaxLoopIncs], unsigned regWord,
                unsigned firstValueWord) {
    rows += fmt("| `rN+=V` (x%u) | %u, %u-%u | word %u bits 4i-4i+3: "
                "register of slot i; word %u+i: signed 32-bit increment | "
                "increments in slot order | none |\n",
                kMaxLoopIncs, regWord, firstValueWord,
                firstValueWord + kMaxLoopIncs - 1, regWord, firstValueWord);
  }
};

template <typename T> std::string describeAs() {
  T instr;
  DescribeVisitor v;
  instr.visitFields(v);
  const char *unit;
  switch (unitOf(Instr(instr))) {
  case Unit::FrontEnd:
    unit = "front end";
    break;
  case Unit::Dma:
    unit = "DMA engine";
    break;
  case Unit::Matrix:
    unit = "matrix engine";
    break;
  case Unit::Vector:
    unit = "vector engine";
    break;
  default:
    unit = "all engines";
    break;
  }
  if (std::is_same_v<T, SyncInstr>)
    unit = "the engine it names";
  std::string out = fmt("#### `%s` (opcode 0x%02x, %s)\n\n", T::kMnemonic,
                        static_cast<unsigned>(T::kOpcode), unit);
  if (v.rows.empty())
    return out + "No fields besides the header.\n\n";
  return out +
         "| field | word | bits | type | default |\n"
         "|---|---|---|---|---|\n" +
         v.rows + "\n";
}

template <typename... Ts> std::string describeAll(TypeList<Ts...>) {
  return (describeAs<Ts>() + ...);
}

} // namespace

std::string encodingReference() {
  return describeAll(
      TypeList<EndInstr, SetRegInstr, LoopInstr, SyncInstr, BarrierInstr,
               DmaInstr, CopyInstr, ConvInstr, MatmulInstr, EltwiseInstr,
               ActInstr, PoolInstr, ReduceInstr, ConvertInstr, LayoutInstr>{});
}

} // namespace tessel::npu
