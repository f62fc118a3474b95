//===- CostModel.cpp - Cycle costs of NPU instructions --------------------===//
#include "tessel/Target/NPU/CostModel.h"

#include <algorithm>
#include <cmath>

namespace tessel::npu {

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

/// Saturating helpers: a random instruction must not overflow the model.
uint64_t satMul(uint64_t a, uint64_t b) {
  unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return p > UINT64_MAX / 4 ? UINT64_MAX / 4 : static_cast<uint64_t>(p);
}

/// ceil(cycles * macsI8 / macs(inType)): slower types take proportionally
/// more cycles.
uint64_t scaleByRate(const ChipModel &chip, uint64_t cycles, DType inType) {
  uint64_t macs = chip.macsPerCycle(inType);
  if (!macs)
    return 0;
  unsigned __int128 num =
      static_cast<unsigned __int128>(cycles) * chip.macsI8();
  unsigned __int128 r = (num + macs - 1) / macs;
  return r > UINT64_MAX / 4 ? UINT64_MAX / 4 : static_cast<uint64_t>(r);
}

} // namespace

uint64_t convMacs(const ConvShape &s) {
  uint64_t g = s.groups ? s.groups : 1;
  return satMul(satMul(satMul(s.outH, s.outW), satMul(s.kh, s.kw)),
                satMul(s.cin / g, s.cout));
}

uint64_t convCycles(const ChipModel &chip, const ConvShape &s) {
  uint64_t g = s.groups ? s.groups : 1;
  uint64_t cinG = s.cin / g, coutG = s.cout / g;
  uint64_t pixTaps = satMul(satMul(s.outH, s.outW), satMul(s.kh, s.kw));
  uint64_t passes;
  if (cinG == 1 && g > 1)
    passes = satMul(pixTaps, ceilDiv(s.cout, chip.matrixN));
  else
    passes = satMul(satMul(pixTaps, ceilDiv(cinG, chip.matrixK)),
                    satMul(ceilDiv(coutG, chip.matrixN), g));
  uint64_t c = scaleByRate(chip, passes, s.inType);
  return c ? c + chip.matrixStartupCycles : 0;
}

uint64_t matmulMacs(uint64_t m, uint64_t n, uint64_t k) {
  return satMul(satMul(m, n), k);
}

uint64_t matmulCycles(const ChipModel &chip, uint64_t m, uint64_t n, uint64_t k,
                      DType inType) {
  uint64_t passes =
      satMul(satMul(m, ceilDiv(k, chip.matrixK)), ceilDiv(n, chip.matrixN));
  uint64_t c = scaleByRate(chip, passes, inType);
  return c ? c + chip.matrixStartupCycles : 0;
}

uint64_t vectorCycles(const ChipModel &chip, uint64_t elements, unsigned passes,
                      unsigned elemBytes) {
  return chip.vectorStartupCycles +
         ceilDiv(satMul(satMul(elements, passes), elemBytes), chip.vectorBytes);
}

uint64_t requantEltwiseCycles(const ChipModel &chip, uint64_t elements) {
  // Three multiply-shift stages (a, b, out) in int32 lanes; the op itself
  // rides in the output stage. The CONVERT, ELTWISE, CONVERT chain it
  // replaces costs 2 + 2 + 1 + 2 int32 passes.
  return vectorCycles(chip, elements, 3, 4);
}

uint64_t burstBytes(const ChipModel &chip, uint64_t runs, uint64_t runBytes,
                    uint64_t misalign) {
  uint64_t b = chip.dmaBurstBytes;
  return satMul(runs, satMul(ceilDiv(misalign % b + runBytes, b), b));
}

DmaCost dmaCost(const ChipModel &chip, const DmaShape &s) {
  DmaCost c;
  c.bytesRead = satMul(s.rows, s.rowBytes);
  c.bytesWritten = satMul(s.dstRows, s.dstRowBytes);
  // A side is one contiguous run if its rows are back to back.
  auto ddrSide = [&](uint64_t rows, uint64_t rowBytes, uint64_t stride,
                     uint64_t addr) {
    if (rows <= 1 || stride == rowBytes)
      return burstBytes(chip, 1, satMul(rows, rowBytes), addr);
    return burstBytes(chip, rows, rowBytes, addr);
  };
  if (s.srcDdr)
    c.ddrBytes += ddrSide(s.rows, s.rowBytes, s.srcStride, s.srcAddr);
  if (s.dstDdr)
    c.ddrBytes += ddrSide(s.dstRows, s.dstRowBytes, s.dstStride, s.dstAddr);
  uint64_t moved = std::max(c.bytesRead, c.bytesWritten);
  double rate = s.noc ? chip.nocBytesPerCycle : chip.dmaBytesPerCycle;
  if (!(rate > 0))
    rate = 1;
  c.engineCycles =
      static_cast<uint64_t>(std::ceil(static_cast<double>(moved) / rate));
  if (c.ddrBytes)
    c.ddrCycles = static_cast<uint64_t>(
        std::ceil(static_cast<double>(c.ddrBytes) / chip.ddrBytesPerCycle()));
  if (s.noc)
    c.latency = chip.nocLatencyCycles;
  else if (s.srcDdr || s.dstDdr)
    c.latency = chip.dmaLatencyCycles;
  if (c.engineCycles == 0)
    c.engineCycles = 1;
  return c;
}

//===----------------------------------------------------------------------===//
// Whole instructions
//===----------------------------------------------------------------------===//

namespace {

ConvShape convShapeOf(const ConvInstr &i) {
  ConvShape s;
  s.outH = static_cast<uint64_t>(
      windowOutSize(i.h, i.kh, i.strideH, i.dilH, i.padTop, i.padBottom));
  s.outW = static_cast<uint64_t>(
      windowOutSize(i.w, i.kw, i.strideW, i.dilW, i.padLeft, i.padRight));
  s.cin = i.c;
  s.cout = i.cout;
  s.kh = i.kh;
  s.kw = i.kw;
  s.groups = i.groups;
  s.inType = i.inType;
  return s;
}

unsigned wider(DType a, DType b) {
  return std::max(dtypeBytes(a), dtypeBytes(b));
}

} // namespace

uint64_t instrMacs(const Instr &instr) {
  if (auto *c = std::get_if<ConvInstr>(&instr))
    return convMacs(convShapeOf(*c));
  if (auto *m = std::get_if<MatmulInstr>(&instr))
    return matmulMacs(m->m, m->n, m->k);
  return 0;
}

uint64_t instrWork(const Instr &instr) {
  if (uint64_t macs = instrMacs(instr))
    return macs;
  if (auto *d = std::get_if<DmaInstr>(&instr))
    return satMul(
        static_cast<uint64_t>(d->padTop) + d->rows + d->padBottom,
        satMul(static_cast<uint64_t>(d->padLeft) + d->cols + d->padRight,
               dtypeBytes(d->dtype)));
  if (auto *d = std::get_if<CopyInstr>(&instr))
    return satMul(
        static_cast<uint64_t>(d->padTop) + d->rows + d->padBottom,
        satMul(static_cast<uint64_t>(d->padLeft) + d->cols + d->padRight,
               dtypeBytes(d->dtype)));
  if (auto *e = std::get_if<EltwiseInstr>(&instr))
    return satMul(e->rows, e->cols);
  if (auto *a = std::get_if<ActInstr>(&instr))
    return satMul(a->rows, a->cols);
  if (auto *p = std::get_if<PoolInstr>(&instr)) {
    uint64_t oh = static_cast<uint64_t>(
        windowOutSize(p->h, p->kh, p->strideH, 1, p->padTop, p->padBottom));
    uint64_t ow = static_cast<uint64_t>(
        windowOutSize(p->w, p->kw, p->strideW, 1, p->padLeft, p->padRight));
    return satMul(satMul(oh, ow), satMul(p->c, satMul(p->kh, p->kw)));
  }
  if (auto *r = std::get_if<ReduceInstr>(&instr))
    return satMul(satMul(r->outer, r->n), r->inner);
  if (auto *c = std::get_if<ConvertInstr>(&instr))
    return satMul(c->rows, c->cols);
  if (auto *l = std::get_if<LayoutInstr>(&instr))
    return satMul(satMul(l->d0, l->d1), satMul(l->d2, l->d3));
  return 1;
}

uint64_t computeCycles(const ChipModel &chip, const Instr &instr) {
  if (auto *c = std::get_if<ConvInstr>(&instr))
    return convCycles(chip, convShapeOf(*c));
  if (auto *m = std::get_if<MatmulInstr>(&instr))
    return matmulCycles(chip, m->m, m->n, m->k, m->aType);
  if (auto *e = std::get_if<EltwiseInstr>(&instr))
    return e->requant ? requantEltwiseCycles(chip, satMul(e->rows, e->cols))
                      : vectorCycles(chip, satMul(e->rows, e->cols), 1,
                                     wider(e->inType, e->outType));
  if (auto *a = std::get_if<ActInstr>(&instr)) {
    unsigned passes = a->kind == ActKind::Clamp ? 1
                      : a->kind == ActKind::Lut ? 2
                                                : 4;
    return vectorCycles(chip, satMul(a->rows, a->cols), passes,
                        wider(a->inType, a->outType));
  }
  if (auto *p = std::get_if<PoolInstr>(&instr))
    return vectorCycles(chip, instrWork(instr), 1, dtypeBytes(p->dtype));
  if (auto *r = std::get_if<ReduceInstr>(&instr))
    return vectorCycles(chip, instrWork(instr), 1,
                        wider(r->inType, r->outType));
  if (auto *c = std::get_if<ConvertInstr>(&instr)) {
    unsigned passes = c->mode == ConvertMode::Cast ? 1 : 2;
    return vectorCycles(chip, satMul(c->rows, c->cols), passes,
                        wider(c->inType, c->outType));
  }
  if (auto *l = std::get_if<LayoutInstr>(&instr))
    return vectorCycles(chip, instrWork(instr), 2, dtypeBytes(l->dtype));
  if (std::holds_alternative<SyncInstr>(instr))
    return 1;
  return 0;
}

DmaShape dmaShapeOf(const Instr &instr, uint64_t srcAddr, uint64_t dstAddr) {
  DmaShape s;
  auto fill = [&](const auto &d) {
    uint64_t es = dtypeBytes(d.dtype);
    s.rows = d.rows;
    s.rowBytes = satMul(d.cols, es);
    s.srcStride = d.srcStride == kDense ? s.rowBytes : d.srcStride;
    s.dstRows = static_cast<uint64_t>(d.padTop) + d.rows + d.padBottom;
    s.dstRowBytes =
        satMul(static_cast<uint64_t>(d.padLeft) + d.cols + d.padRight, es);
    s.dstStride = d.dstStride == kDense ? s.dstRowBytes : d.dstStride;
    s.srcAddr = srcAddr;
    s.dstAddr = dstAddr;
  };
  if (auto *d = std::get_if<DmaInstr>(&instr)) {
    fill(*d);
    s.srcDdr = d->dir == DmaDir::Load || d->dir == DmaDir::Ddr;
    s.dstDdr = d->dir == DmaDir::Store || d->dir == DmaDir::Ddr;
  } else if (auto *c = std::get_if<CopyInstr>(&instr)) {
    fill(*c);
    s.noc = true;
  }
  return s;
}

} // namespace tessel::npu
