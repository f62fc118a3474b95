//===- Operands.cpp - The memory regions an instruction touches -----------===//
#include "tessel/Target/NPU/Operands.h"

#include <variant>

namespace tessel::npu {

namespace {

/// Collects the address fields of an instruction, in field order.
struct AddrCollector {
  const Addr *addrs[4] = {};
  unsigned n = 0;
  template <typename T>
  void num(const char *, T &, unsigned, unsigned, unsigned, bool, FieldDefault,
           NumFormat) {}
  void flag(const char *, bool &, unsigned, unsigned) {}
  void dtype(const char *, DType &, unsigned, unsigned, FieldDefault) {}
  template <typename E>
  void enumeration(const char *, E &, unsigned, unsigned, unsigned,
                   const char *const *, unsigned, FieldDefault, bool) {}
  void addr(const char *, Addr &m, unsigned, unsigned, unsigned, FieldDefault) {
    if (n < 4)
      addrs[n++] = &m;
  }
  void reg(const char *, uint8_t &, unsigned, unsigned) {}
  void f32(const char *, float &, unsigned, float) {}
  void perm(const char *, std::array<uint8_t, 4> &, unsigned, unsigned) {}
  void loopIncs(LoopInc (&)[kMaxLoopIncs], unsigned, unsigned) {}
};

} // namespace

void instrOperands(const Instr &instr, uint32_t core, const ChipModel &chip,
                   std::vector<OperandRegion> &out) {
  AddrCollector ac;
  std::visit(
      [&](const auto &i) {
        const_cast<std::decay_t<decltype(i)> &>(i).visitFields(ac);
      },
      instr);
  uint64_t addr[4] = {0, 0, 0, 0};
  for (unsigned k = 0; k < ac.n; ++k)
    addr[k] = ac.addrs[k]->offset;
  instrOperands(instr, core, addr, chip, out);
}

void instrOperands(const Instr &instr, uint32_t core, const uint64_t *addr,
                   const ChipModel &chip, std::vector<OperandRegion> &ops) {
  const int vt = static_cast<int>(core);
  using Role = OperandRole;
  auto add = [&](const char *name, int mem, uint64_t base, uint64_t n1,
                 uint64_t s1, uint64_t n2, uint64_t s2, uint64_t bytes,
                 Role role, uint32_t align, const char *rule) {
    OperandRegion op;
    op.name = name;
    op.mem = mem;
    op.base = base;
    op.n1 = n1;
    op.s1 = s1;
    op.n2 = n2;
    op.s2 = s2;
    op.bytes = bytes;
    op.role = role;
    op.align = align;
    op.rule = rule;
    ops.push_back(op);
  };
  const uint32_t act = chip.alignActivation, wgt = chip.alignWeight,
                 vec = chip.alignVector, dma = chip.alignDma;
  auto dense = [](uint32_t s, uint64_t d) -> uint64_t {
    return s == kDense ? d : s;
  };

  if (auto *i = std::get_if<DmaInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->dtype);
    uint64_t rowBytes = static_cast<uint64_t>(i->cols) * es;
    uint64_t dstRowBytes =
        (static_cast<uint64_t>(i->padLeft) + i->cols + i->padRight) * es;
    uint64_t dstRows =
        static_cast<uint64_t>(i->padTop) + i->rows + i->padBottom;
    bool srcDdr = i->dir == DmaDir::Load || i->dir == DmaDir::Ddr;
    bool dstDdr = i->dir == DmaDir::Store || i->dir == DmaDir::Ddr;
    add("src", srcDdr ? kDdrMemory : vt, addr[0], i->rows,
        dense(i->srcStride, rowBytes), 1, 0, rowBytes, Role::Read, dma,
        "align.dma");
    if (dstDdr || i->coreMask == 0) {
      add("dst", dstDdr ? kDdrMemory : vt, addr[1], dstRows,
          dense(i->dstStride, dstRowBytes), 1, 0, dstRowBytes, Role::Write, dma,
          "align.dma");
    } else {
      for (uint32_t k = 0; k < kMaxCores; ++k)
        if (i->coreMask & (1u << k))
          add("dst", static_cast<int>(k), addr[1], dstRows,
              dense(i->dstStride, dstRowBytes), 1, 0, dstRowBytes, Role::Write,
              dma, "align.dma");
    }
    return;
  }
  if (auto *i = std::get_if<CopyInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->dtype);
    uint64_t rowBytes = static_cast<uint64_t>(i->cols) * es;
    uint64_t dstRowBytes =
        (static_cast<uint64_t>(i->padLeft) + i->cols + i->padRight) * es;
    uint64_t dstRows =
        static_cast<uint64_t>(i->padTop) + i->rows + i->padBottom;
    add("src", vt, addr[0], i->rows, dense(i->srcStride, rowBytes), 1, 0,
        rowBytes, Role::Read, dma, "align.dma");
    for (uint32_t k = 0; k < kMaxCores; ++k)
      if (i->coreMask ? (i->coreMask >> k) & 1 : k == i->core)
        add("dst", static_cast<int>(k), addr[1], dstRows,
            dense(i->dstStride, dstRowBytes), 1, 0, dstRowBytes, Role::Write,
            dma, "align.dma");
    return;
  }
  if (auto *i = std::get_if<ConvInstr>(&instr)) {
    int64_t oh = windowOutSize(i->h, i->kh, i->strideH, i->dilH, i->padTop,
                               i->padBottom);
    int64_t ow = windowOutSize(i->w, i->kw, i->strideW, i->dilW, i->padLeft,
                               i->padRight);
    uint64_t inPix = i->inPixStride ? i->inPixStride : i->c;
    uint64_t inRow = i->inRowStride ? i->inRowStride : i->w * inPix;
    uint64_t outPix = i->outPixStride ? i->outPixStride : i->cout;
    uint64_t outRow =
        i->outRowStride ? i->outRowStride : static_cast<uint64_t>(ow) * outPix;
    uint64_t es = dtypeBytes(i->inType), wes = dtypeBytes(i->weightType),
             oes = dtypeBytes(i->outType);
    add("in", vt, addr[0], i->h, inRow * es, i->w, inPix * es,
        static_cast<uint64_t>(i->c) * es, Role::Read, act, "align.activation");
    uint64_t groups = i->groups ? i->groups : 1;
    uint64_t wBytes =
        static_cast<uint64_t>(i->cout) * i->kh * i->kw * (i->c / groups) * wes;
    add("wt", vt, addr[1], 1, 0, 1, 0, wBytes, Role::Read, wgt, "align.weight");
    add("out", vt, addr[2], static_cast<uint64_t>(oh > 0 ? oh : 0),
        outRow * oes, static_cast<uint64_t>(ow > 0 ? ow : 0), outPix * oes,
        static_cast<uint64_t>(i->cout) * oes,
        i->accumulate ? Role::ReadWrite : Role::Write, act, "align.activation");
    if (i->requant)
      add("tbl", vt, addr[3], 1, 0, 1, 0,
          static_cast<uint64_t>(i->cout) * kRequantEntryBytes, Role::Read,
          kRequantEntryBytes, nullptr);
    return;
  }
  if (auto *i = std::get_if<MatmulInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->aType), bes = dtypeBytes(i->bType),
             oes = dtypeBytes(i->outType);
    uint64_t ars = i->aRowStride ? i->aRowStride : i->k;
    uint64_t brs = i->bRowStride ? i->bRowStride : (i->transB ? i->n : i->k);
    uint64_t ors = i->outRowStride ? i->outRowStride : i->n;
    add("a", vt, addr[0], i->m, ars * es, 1, 0,
        static_cast<uint64_t>(i->k) * es, Role::Read, act, "align.activation");
    if (i->transB)
      add("b", vt, addr[1], i->k, brs * bes, 1, 0,
          static_cast<uint64_t>(i->n) * bes, Role::Read, wgt, "align.weight");
    else
      add("b", vt, addr[1], i->n, brs * bes, 1, 0,
          static_cast<uint64_t>(i->k) * bes, Role::Read, wgt, "align.weight");
    add("out", vt, addr[2], i->m, ors * oes, 1, 0,
        static_cast<uint64_t>(i->n) * oes,
        i->accumulate ? Role::ReadWrite : Role::Write, act, "align.activation");
    if (i->requant)
      add("tbl", vt, addr[3], 1, 0, 1, 0,
          static_cast<uint64_t>(i->n) * kRequantEntryBytes, Role::Read,
          kRequantEntryBytes, nullptr);
    return;
  }
  if (auto *i = std::get_if<EltwiseInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->inType), oes = dtypeBytes(i->outType);
    add("a", vt, addr[0], i->rows, dense(i->aRowStride, i->cols) * es, i->cols,
        dense(i->aColStride, 1) * es, es, Role::Read, vec, "align.vector");
    add("b", vt, addr[1], i->rows, dense(i->bRowStride, i->cols) * es, i->cols,
        dense(i->bColStride, 1) * es, es, Role::Read, vec, "align.vector");
    add("out", vt, addr[2], i->rows, dense(i->outRowStride, i->cols) * oes, 1,
        0, static_cast<uint64_t>(i->cols) * oes, Role::Write, vec,
        "align.vector");
    if (i->requant)
      add("tbl", vt, addr[3], 1, 0, 1, 0, 3 * kRequantEntryBytes, Role::Read,
          kRequantEntryBytes, nullptr);
    return;
  }
  if (auto *i = std::get_if<ActInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->inType), oes = dtypeBytes(i->outType);
    add("in", vt, addr[0], i->rows, dense(i->inRowStride, i->cols) * es, 1, 0,
        static_cast<uint64_t>(i->cols) * es, Role::Read, vec, "align.vector");
    add("out", vt, addr[1], i->rows, dense(i->outRowStride, i->cols) * oes, 1,
        0, static_cast<uint64_t>(i->cols) * oes, Role::Write, vec,
        "align.vector");
    if (i->kind == ActKind::Lut)
      add("lut", vt, addr[2], 1, 0, 1, 0, kLutEntries * oes, Role::Read,
          static_cast<uint32_t>(oes), nullptr);
    return;
  }
  if (auto *i = std::get_if<PoolInstr>(&instr)) {
    int64_t oh =
        windowOutSize(i->h, i->kh, i->strideH, 1, i->padTop, i->padBottom);
    int64_t ow =
        windowOutSize(i->w, i->kw, i->strideW, 1, i->padLeft, i->padRight);
    uint64_t inPix = i->inPixStride ? i->inPixStride : i->c;
    uint64_t inRow = i->inRowStride ? i->inRowStride : i->w * inPix;
    uint64_t outPix = i->outPixStride ? i->outPixStride : i->c;
    uint64_t outRow =
        i->outRowStride ? i->outRowStride : static_cast<uint64_t>(ow) * outPix;
    uint64_t es = dtypeBytes(i->dtype);
    add("in", vt, addr[0], i->h, inRow * es, i->w, inPix * es,
        static_cast<uint64_t>(i->c) * es, Role::Read, vec, "align.vector");
    add("out", vt, addr[1], static_cast<uint64_t>(oh > 0 ? oh : 0), outRow * es,
        static_cast<uint64_t>(ow > 0 ? ow : 0), outPix * es,
        static_cast<uint64_t>(i->c) * es, Role::Write, vec, "align.vector");
    return;
  }
  if (auto *i = std::get_if<ReduceInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->inType), oes = dtypeBytes(i->outType);
    unsigned __int128 in =
        static_cast<unsigned __int128>(i->outer) * i->n * i->inner * es;
    unsigned __int128 outBytes =
        static_cast<unsigned __int128>(i->outer) * i->inner * oes;
    uint64_t cap = uint64_t(1) << 62;
    add("in", vt, addr[0], 1, 0, 1, 0,
        in > cap ? cap : static_cast<uint64_t>(in), Role::Read, vec,
        "align.vector");
    add("out", vt, addr[1], 1, 0, 1, 0,
        outBytes > cap ? cap : static_cast<uint64_t>(outBytes), Role::Write,
        vec, "align.vector");
    return;
  }
  if (auto *i = std::get_if<ConvertInstr>(&instr)) {
    uint64_t es = dtypeBytes(i->inType), oes = dtypeBytes(i->outType);
    add("in", vt, addr[0], i->rows, dense(i->inRowStride, i->cols) * es, 1, 0,
        static_cast<uint64_t>(i->cols) * es, Role::Read, vec, "align.vector");
    add("out", vt, addr[1], i->rows, dense(i->outRowStride, i->cols) * oes, 1,
        0, static_cast<uint64_t>(i->cols) * oes, Role::Write, vec,
        "align.vector");
    if (i->mode != ConvertMode::Cast) {
      uint64_t entries = i->perChannel ? i->cols : 1;
      uint64_t eb = i->mode == ConvertMode::Requant ? kRequantEntryBytes
                                                    : kScaleEntryBytes;
      add("tbl", vt, addr[2], 1, 0, 1, 0, entries * eb, Role::Read,
          static_cast<uint32_t>(eb), nullptr);
    }
    return;
  }
  if (auto *i = std::get_if<LayoutInstr>(&instr)) {
    uint64_t bytes = static_cast<uint64_t>(i->d0) * i->d1 * i->d2 * i->d3 *
                     dtypeBytes(i->dtype);
    add("in", vt, addr[0], 1, 0, 1, 0, bytes, Role::Read, vec, "align.vector");
    add("out", vt, addr[1], 1, 0, 1, 0, bytes, Role::Write, vec,
        "align.vector");
    return;
  }
  // END, SETR, LOOP, SYNC, BARRIER: no memory.
}

} // namespace tessel::npu
