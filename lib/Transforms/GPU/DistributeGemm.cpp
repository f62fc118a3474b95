//===- DistributeGemm.cpp - Contractions as tiled GEMM kernels ------------===//
//
// A contraction's loops split into batch, M, N and K groups; each group is
// linearized, so that a matmul, a batched matmul and a convolution (an
// implicit GEMM: the input's window read through its indexing map) all
// become "C[batch][m][n] += A[batch][m][k] * B[batch][k][n]". Operands are
// read through their indexing maps from the linearized indices, so no
// im2col buffer is ever built.
//
// The SIMT kernel: a block of 256 threads computes a 64x64 tile of C, each
// thread a 4x4 sub-tile strided by 16 (conflict-free reads of the shared
// tiles, coalesced writes); K advances 16 at a time through workgroup
// memory (A stored k-major with a padded row against bank conflicts).
//
//===----------------------------------------------------------------------===//
#include "Distribute.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace tessel::gpudist {

namespace {

/// True if `e` is a sum of dims times constants plus a constant.
bool isLinear(AffineExpr e) {
  if (isa<AffineDimExpr, AffineConstantExpr>(e))
    return true;
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (e.getKind() == AffineExprKind::Add)
    return isLinear(bin.getLHS()) && isLinear(bin.getRHS());
  if (e.getKind() == AffineExprKind::Mul)
    return (isa<AffineConstantExpr>(bin.getRHS()) && isLinear(bin.getLHS())) ||
           (isa<AffineConstantExpr>(bin.getLHS()) && isLinear(bin.getRHS()));
  return false;
}

llvm::SmallBitVector dimsOf(AffineMap map) {
  llvm::SmallBitVector used(map.getNumDims());
  for (AffineExpr e : map.getResults())
    e.walk([&](AffineExpr s) {
      if (auto d = dyn_cast<AffineDimExpr>(s))
        used.set(d.getPosition());
    });
  return used;
}

/// `e` with `d floordiv c` replaced by 0 where d's range is at most c: the
/// group index of an ungrouped convolution's input channel (the lowering
/// writes every convolution in the grouped form).
AffineExpr dropTrivialDivs(AffineExpr e, ArrayRef<int64_t> ranges) {
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return e;
  AffineExpr lhs = dropTrivialDivs(bin.getLHS(), ranges);
  AffineExpr rhs = dropTrivialDivs(bin.getRHS(), ranges);
  auto d = dyn_cast<AffineDimExpr>(lhs);
  auto c = dyn_cast<AffineConstantExpr>(rhs);
  if (e.getKind() == AffineExprKind::FloorDiv && d && c &&
      !ShapedType::isDynamic(ranges[d.getPosition()]) &&
      ranges[d.getPosition()] <= c.getValue())
    return getAffineConstantExpr(0, e.getContext());
  return getAffineBinaryOpExpr(e.getKind(), lhs, rhs);
}

/// The extension (or nothing) between a block argument and the multiply.
Value throughExt(Value v) {
  if (Operation *def = v.getDefiningOp())
    if (isa<arith::ExtFOp, arith::ExtSIOp, arith::ExtUIOp>(def))
      return def->getOperand(0);
  return v;
}

} // namespace

FailureOr<Contraction> matchContraction(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureBufferSemantics())
    return failure();
  Block &block = op.getRegion().front();
  // The body: yield(add(acc, mul(ext(a), ext(b)))).
  auto yield = cast<linalg::YieldOp>(block.getTerminator());
  Operation *add = yield.getOperand(0).getDefiningOp();
  if (!add || !isa<arith::AddFOp, arith::AddIOp>(add))
    return failure();
  BlockArgument acc = block.getArgument(op.getNumDpsInputs());
  Value prod = add->getOperand(0) == acc ? add->getOperand(1)
                                          : add->getOperand(0);
  if ((add->getOperand(0) != acc && add->getOperand(1) != acc) ||
      acc.getNumUses() != 1)
    return failure();
  Operation *mul = prod.getDefiningOp();
  if (!mul || !isa<arith::MulFOp, arith::MulIOp>(mul) ||
      isa<arith::AddFOp>(add) != isa<arith::MulFOp>(mul))
    return failure();
  auto lhsArg = dyn_cast<BlockArgument>(throughExt(mul->getOperand(0)));
  auto rhsArg = dyn_cast<BlockArgument>(throughExt(mul->getOperand(1)));
  if (!lhsArg || !rhsArg || lhsArg == rhsArg ||
      lhsArg.getOwner() != &block || rhsArg.getOwner() != &block ||
      lhsArg.getArgNumber() >= op.getNumDpsInputs() ||
      rhsArg.getArgNumber() >= op.getNumDpsInputs())
    return failure();
  // Nothing else in the body, and the other inputs unused (shape-only).
  unsigned bodyOps = 0;
  for (Operation &inner : block.without_terminator()) {
    (void)inner;
    ++bodyOps;
  }
  unsigned expected = 2 + (mul->getOperand(0) != lhsArg) +
                      (mul->getOperand(1) != rhsArg);
  if (bodyOps != expected)
    return failure();

  Contraction c;
  c.op = op;
  c.lhs = lhsArg.getArgNumber();
  c.rhs = rhsArg.getArgNumber();
  c.isFloat = isa<arith::AddFOp>(add);
  auto elem = [&](unsigned i) {
    return getElementTypeOrSelf(op->getOperand(i).getType());
  };
  c.lhsType = elem(c.lhs);
  c.rhsType = elem(c.rhs);
  c.accType = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  for (unsigned i : {c.lhs, c.rhs})
    if (!isa<MemRefType>(op->getOperand(i).getType()))
      return failure();

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> loopRanges = op.getStaticLoopRanges();
  for (AffineMap &map : maps) {
    SmallVector<AffineExpr> results;
    for (AffineExpr e : map.getResults())
      results.push_back(dropTrivialDivs(e, loopRanges));
    map = AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                         op.getContext());
  }
  c.maps = maps;
  for (unsigned i : {c.lhs, c.rhs})
    for (AffineExpr e : maps[i].getResults())
      if (!isLinear(e))
        return failure();
  AffineMap outMap = maps[op.getNumDpsInputs()];
  if (!outMap.isProjectedPermutation())
    return failure();
  llvm::SmallBitVector inA = dimsOf(maps[c.lhs]), inB = dimsOf(maps[c.rhs]);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      return failure();
    if (!linalg::isParallelIterator(iters[d])) {
      if (!inA.test(d) || !inB.test(d))
        return failure();
      c.kDims.push_back(d);
      c.k *= ranges[d];
    } else if (inA.test(d) && !inB.test(d)) {
      c.mDims.push_back(d);
      c.m *= ranges[d];
    } else if (!inA.test(d) && inB.test(d)) {
      c.nDims.push_back(d);
      c.n *= ranges[d];
    } else {
      c.batchDims.push_back(d);
      c.batch *= ranges[d];
    }
  }
  if (c.kDims.empty())
    return failure();
  return c;
}

/// The loops' induction values from the linear indices of the groups
/// (null: that group is not needed, its dims are 0).
SmallVector<Value> groupIvs(OpBuilder &b, Location loc, const Contraction &c,
                            Value batch, Value m, Value n, Value k) {
  SmallVector<int64_t> ranges = c.op.getStaticLoopRanges();
  SmallVector<Value> ivs(ranges.size());
  Value zero = cst(b, loc, 0);
  for (Value &v : ivs)
    v = zero;
  auto assign = [&](ArrayRef<unsigned> dims, Value linear) {
    if (!linear || dims.empty())
      return;
    if (dims.size() == 1) {
      ivs[dims[0]] = linear;
      return;
    }
    SmallVector<int64_t> basis;
    for (unsigned d : dims)
      basis.push_back(ranges[d]);
    auto delin =
        affine::AffineDelinearizeIndexOp::create(b, loc, linear, basis);
    for (auto [d, v] : llvm::zip(dims, delin.getResults()))
      ivs[d] = v;
  };
  assign(c.batchDims, batch);
  assign(c.mDims, m);
  assign(c.nDims, n);
  assign(c.kDims, k);
  return ivs;
}

/// operand[map(ivs)], or 0 where `inBounds` is false.
Value guardedLoad(OpBuilder &b, Location loc, const Contraction &c,
                  unsigned operand, ValueRange ivs, Value inBounds) {
  Value memref = c.op->getOperand(operand);
  Type t = getElementTypeOrSelf(memref.getType());
  auto ifOp = scf::IfOp::create(
      b, loc, inBounds,
      [&](OpBuilder &tb, Location l) {
        SmallVector<Value> idx =
            applyMap(tb, l, c.maps[operand], ivs);
        scf::YieldOp::create(tb, l,
                             ValueRange{memref::LoadOp::create(tb, l, memref,
                                                                idx)});
      },
      [&](OpBuilder &eb, Location l) {
        scf::YieldOp::create(
            eb, l,
            ValueRange{arith::ConstantOp::create(
                eb, l, cast<TypedAttr>(eb.getZeroAttr(t)))});
      });
  return ifOp.getResult(0);
}

Value lessThan(OpBuilder &b, Location loc, Value v, int64_t bound) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, v,
                               cst(b, loc, bound));
}

Value affineIndex(OpBuilder &b, Location loc, AffineExpr e, ValueRange vals) {
  return affine::AffineApplyOp::create(
      b, loc, AffineMap::get(vals.size(), 0, e), vals);
}

/// out[...] = out[...] + acc at (batch, m, n) if m < M and n < N.
void storeResult(OpBuilder &b, Location loc, const Contraction &c, Value batch,
                 Value m, Value n, Value acc) {
  Value ok = arith::AndIOp::create(b, loc, lessThan(b, loc, m, c.m),
                                   lessThan(b, loc, n, c.n));
  scf::IfOp::create(b, loc, ok, [&](OpBuilder &tb, Location l) {
    SmallVector<Value> ivs = groupIvs(tb, l, c, batch, m, n, nullptr);
    Value out = c.op.getDpsInits()[0];
    SmallVector<Value> idx = applyMap(
        tb, l, c.maps[c.op.getNumDpsInputs()], ivs);
    Value init = memref::LoadOp::create(tb, l, out, idx);
    Value sum = c.isFloat ? arith::AddFOp::create(tb, l, init, acc).getResult()
                          : arith::AddIOp::create(tb, l, init, acc).getResult();
    memref::StoreOp::create(tb, l, sum, out, idx);
    scf::YieldOp::create(tb, l);
  });
}

Value zeroOf(OpBuilder &b, Location loc, Type t) {
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(t)));
}

LogicalResult distributeGemmSimt(RewriterBase &rewriter, const Contraction &c) {
  constexpr int64_t BM = 64, BN = 64, BK = 16, T = 256, TM = 4, TN = 4;
  int64_t mTiles = llvm::divideCeil(c.m, BM), nTiles = llvm::divideCeil(c.n, BN);
  if (mTiles > 0x7fffffff || nTiles > 65535 || c.batch > 65535)
    return failure(); // The caller falls back to one thread per point.
  linalg::GenericOp op = c.op;
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto shared = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  // A k-major with one element of padding per row: the tile loads write
  // down the columns.
  auto aTile = MemRefType::get({BK, BM + 1}, c.lhsType, AffineMap(), shared);
  auto bTile = MemRefType::get({BK, BN}, c.rhsType, AffineMap(), shared);
  rewriter.setInsertionPoint(op);
  buildBlockForall(
      rewriter, loc, {mTiles, nTiles, c.batch},
      [&](OpBuilder &b, Location l, ValueRange bid) {
        Value as = memref::AllocOp::create(b, l, aTile);
        Value bs = memref::AllocOp::create(b, l, bTile);
        buildThreadForall(b, l, {T}, [&](OpBuilder &tb, Location tl,
                                          ValueRange tid) {
          AffineExpr d0, d1;
          bindDims(ctx, d0, d1);
          Value t = tid[0];
          Value tx = affineIndex(tb, tl, d0 % 16, t);
          Value ty = affineIndex(tb, tl, d0.floorDiv(16), t);
          Value m0 = affineIndex(tb, tl, d0 * BM, bid[0]);
          Value n0 = affineIndex(tb, tl, d0 * BN, bid[1]);
          Value batch = bid[2];
          Value zero = zeroOf(tb, tl, c.accType);
          SmallVector<Value> init(TM * TN, zero);
          auto kLoop = scf::ForOp::create(
              tb, tl, cst(tb, tl, 0), cst(tb, tl, c.k), cst(tb, tl, BK), init,
              [&](OpBuilder &lb, Location ll, Value k0, ValueRange acc) {
                // Stage the A and B slices: 4 elements of each per thread,
                // neighbouring threads on neighbouring k (A) / n (B).
                for (int64_t i = 0; i < BM * BK / T; ++i) {
                  Value e = affineIndex(lb, ll, d0 + i * T, t);
                  Value mm = affineIndex(lb, ll, d0.floorDiv(BK), e);
                  Value kk = affineIndex(lb, ll, d0 % BK, e);
                  Value m = arith::AddIOp::create(lb, ll, m0, mm);
                  Value k = arith::AddIOp::create(lb, ll, k0, kk);
                  Value ok = arith::AndIOp::create(lb, ll,
                                                   lessThan(lb, ll, m, c.m),
                                                   lessThan(lb, ll, k, c.k));
                  SmallVector<Value> ivs =
                      groupIvs(lb, ll, c, batch, m, nullptr, k);
                  Value v = guardedLoad(lb, ll, c, c.lhs, ivs, ok);
                  memref::StoreOp::create(lb, ll, v, as, ValueRange{kk, mm});
                }
                for (int64_t i = 0; i < BN * BK / T; ++i) {
                  Value e = affineIndex(lb, ll, d0 + i * T, t);
                  Value kk = affineIndex(lb, ll, d0.floorDiv(BN), e);
                  Value nn = affineIndex(lb, ll, d0 % BN, e);
                  Value n = arith::AddIOp::create(lb, ll, n0, nn);
                  Value k = arith::AddIOp::create(lb, ll, k0, kk);
                  Value ok = arith::AndIOp::create(lb, ll,
                                                   lessThan(lb, ll, n, c.n),
                                                   lessThan(lb, ll, k, c.k));
                  SmallVector<Value> ivs =
                      groupIvs(lb, ll, c, batch, nullptr, n, k);
                  Value v = guardedLoad(lb, ll, c, c.rhs, ivs, ok);
                  memref::StoreOp::create(lb, ll, v, bs, ValueRange{kk, nn});
                }
                gpu::BarrierOp::create(lb, ll);
                // The outer products of the slice.
                auto inner = scf::ForOp::create(
                    lb, ll, cst(lb, ll, 0), cst(lb, ll, BK), cst(lb, ll, 1),
                    acc,
                    [&](OpBuilder &ib, Location il, Value kk,
                        ValueRange sums) {
                      SmallVector<Value> a, bv;
                      for (int64_t i = 0; i < TM; ++i)
                        a.push_back(memref::LoadOp::create(
                            ib, il, as,
                            ValueRange{kk, affineIndex(ib, il, d0 + 16 * i,
                                                       ty)}));
                      for (int64_t j = 0; j < TN; ++j)
                        bv.push_back(memref::LoadOp::create(
                            ib, il, bs,
                            ValueRange{kk, affineIndex(ib, il, d0 + 16 * j,
                                                       tx)}));
                      SmallVector<Value> next;
                      for (int64_t i = 0; i < TM; ++i)
                        for (int64_t j = 0; j < TN; ++j) {
                          SmallVector<Value> args(op.getNumDpsInputs() + 1);
                          args[c.lhs] = a[i];
                          args[c.rhs] = bv[j];
                          args.back() = sums[i * TN + j];
                          next.push_back(cloneBody(ib, op, args, {})[0]);
                        }
                      scf::YieldOp::create(ib, il, next);
                    });
                gpu::BarrierOp::create(lb, ll);
                scf::YieldOp::create(lb, ll, inner.getResults());
              });
          for (int64_t i = 0; i < TM; ++i)
            for (int64_t j = 0; j < TN; ++j) {
              Value m = affineIndex(tb, tl, d0 + d1 + 16 * i, ValueRange{m0, ty});
              Value n = affineIndex(tb, tl, d0 + d1 + 16 * j, ValueRange{n0, tx});
              storeResult(tb, tl, c, batch, m, n,
                          kLoop.getResult(i * TN + j));
            }
        });
      });
  rewriter.eraseOp(op);
  return success();
}

/// Two elements as one 32-bit word, the first in the low half.
Value pack(OpBuilder &b, Location loc, Value lo, Value hi) {
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto widen = [&](Value v) {
    return arith::ExtUIOp::create(
        b, loc, i32, arith::BitcastOp::create(b, loc, i16, v));
  };
  Value high = arith::ShLIOp::create(
      b, loc, widen(hi),
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(16)));
  return arith::OrIOp::create(b, loc, widen(lo), high);
}

LogicalResult distributeGemmMma(RewriterBase &rewriter, const Contraction &c) {
  // A block of 4 warps (2 x 2) computes a 64x64 tile; each warp 32x32 as
  // 2 x 4 mma.sync m16n8k16 tiles. K advances 32 at a time through
  // workgroup memory holding pairs of elements as 32-bit words ([m][k/2]
  // for A, [n][k/2] for B; rows padded to 20 words, so that the fragment
  // loads of a warp hit 32 different banks).
  constexpr int64_t BM = 64, BN = 64, BK = 32, T = 128, KP = BK / 2,
                    ROW = KP + 4;
  int64_t mTiles = llvm::divideCeil(c.m, BM), nTiles = llvm::divideCeil(c.n, BN);
  if (mTiles > 0x7fffffff || nTiles > 65535 || c.batch > 65535 ||
      !(c.lhsType.isF16() || c.lhsType.isBF16()) || c.lhsType != c.rhsType ||
      !c.accType.isF32() || !c.isFloat)
    return failure();
  linalg::GenericOp op = c.op;
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  bool bf16 = c.lhsType.isBF16();
  Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
  auto shared = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto tile = MemRefType::get({BM, ROW}, i32, AffineMap(), shared);
  auto accStruct = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  rewriter.setInsertionPoint(op);
  buildBlockForall(
      rewriter, loc, {mTiles, nTiles, c.batch},
      [&](OpBuilder &b, Location l, ValueRange bid) {
        Value as = memref::AllocOp::create(b, l, tile);
        Value bs = memref::AllocOp::create(b, l, tile);
        buildThreadForall(b, l, {T}, [&](OpBuilder &tb, Location tl,
                                          ValueRange tid) {
          AffineExpr d0, d1;
          bindDims(ctx, d0, d1);
          Value t = tid[0];
          Value lane = affineIndex(tb, tl, d0 % 32, t);
          Value g = affineIndex(tb, tl, d0.floorDiv(4), lane);
          Value q = affineIndex(tb, tl, d0 % 4, lane);
          Value wm = affineIndex(tb, tl, d0.floorDiv(32) % 2, t);
          Value wn = affineIndex(tb, tl, d0.floorDiv(64), t);
          Value m0 = affineIndex(tb, tl, d0 * BM, bid[0]);
          Value n0 = affineIndex(tb, tl, d0 * BN, bid[1]);
          Value batch = bid[2];
          Value zero = zeroOf(tb, tl, f32);
          SmallVector<Value> init(2 * 4 * 4, zero);
          auto kLoop = scf::ForOp::create(
              tb, tl, cst(tb, tl, 0), cst(tb, tl, c.k), cst(tb, tl, BK), init,
              [&](OpBuilder &lb, Location ll, Value k0, ValueRange acc) {
                // A: 8 pairs per thread, neighbouring threads on
                // neighbouring pairs of a row.
                for (int64_t i = 0; i < BM * KP / T; ++i) {
                  Value e = affineIndex(lb, ll, d0 + i * T, t);
                  Value mm = affineIndex(lb, ll, d0.floorDiv(KP), e);
                  Value kp = affineIndex(lb, ll, d0 % KP, e);
                  Value m = arith::AddIOp::create(lb, ll, m0, mm);
                  Value mOk = lessThan(lb, ll, m, c.m);
                  Value half[2];
                  for (int h = 0; h < 2; ++h) {
                    Value k = affineIndex(lb, ll, d0 + d1 * 2 + h,
                                          ValueRange{k0, kp});
                    Value ok = arith::AndIOp::create(lb, ll, mOk,
                                                     lessThan(lb, ll, k, c.k));
                    SmallVector<Value> ivs =
                        groupIvs(lb, ll, c, batch, m, nullptr, k);
                    half[h] = guardedLoad(lb, ll, c, c.lhs, ivs, ok);
                  }
                  memref::StoreOp::create(lb, ll,
                                          pack(lb, ll, half[0], half[1]), as,
                                          ValueRange{mm, kp});
                }
                // B: 8 pairs per thread, neighbouring threads on
                // neighbouring columns.
                for (int64_t i = 0; i < BN * KP / T; ++i) {
                  Value e = affineIndex(lb, ll, d0 + i * T, t);
                  Value nn = affineIndex(lb, ll, d0 % BN, e);
                  Value kp = affineIndex(lb, ll, d0.floorDiv(BN), e);
                  Value n = arith::AddIOp::create(lb, ll, n0, nn);
                  Value nOk = lessThan(lb, ll, n, c.n);
                  Value half[2];
                  for (int h = 0; h < 2; ++h) {
                    Value k = affineIndex(lb, ll, d0 + d1 * 2 + h,
                                          ValueRange{k0, kp});
                    Value ok = arith::AndIOp::create(lb, ll, nOk,
                                                     lessThan(lb, ll, k, c.k));
                    SmallVector<Value> ivs =
                        groupIvs(lb, ll, c, batch, nullptr, n, k);
                    half[h] = guardedLoad(lb, ll, c, c.rhs, ivs, ok);
                  }
                  memref::StoreOp::create(lb, ll,
                                          pack(lb, ll, half[0], half[1]), bs,
                                          ValueRange{nn, kp});
                }
                gpu::BarrierOp::create(lb, ll);
                SmallVector<Value> sums(acc);
                auto operand = [&](Value word) -> Value {
                  if (bf16)
                    return word;
                  return LLVM::BitcastOp::create(
                      lb, ll, VectorType::get({2}, c.lhsType), word);
                };
                for (int64_t ks = 0; ks < BK; ks += 16) {
                  Value kq = affineIndex(lb, ll, d0 + ks / 2, q);
                  Value kq8 = affineIndex(lb, ll, d0 + ks / 2 + 4, q);
                  SmallVector<SmallVector<Value>> a(2), bf(4);
                  for (int64_t mi = 0; mi < 2; ++mi) {
                    Value r0 = affineIndex(lb, ll, d0 * 32 + d1 + mi * 16,
                                           ValueRange{wm, g});
                    Value r1 = affineIndex(lb, ll, d0 * 32 + d1 + mi * 16 + 8,
                                           ValueRange{wm, g});
                    for (auto [r, k] : {std::pair{r0, kq}, std::pair{r1, kq},
                                        std::pair{r0, kq8}, std::pair{r1, kq8}})
                      a[mi].push_back(operand(memref::LoadOp::create(
                          lb, ll, as, ValueRange{r, k})));
                  }
                  for (int64_t ni = 0; ni < 4; ++ni) {
                    Value n = affineIndex(lb, ll, d0 * 32 + d1 + ni * 8,
                                          ValueRange{wn, g});
                    for (Value k : {kq, kq8})
                      bf[ni].push_back(operand(memref::LoadOp::create(
                          lb, ll, bs, ValueRange{n, k})));
                  }
                  for (int64_t mi = 0; mi < 2; ++mi)
                    for (int64_t ni = 0; ni < 4; ++ni) {
                      int64_t base = (mi * 4 + ni) * 4;
                      SmallVector<Value> cin(sums.begin() + base,
                                             sums.begin() + base + 4);
                      Value d = NVVM::MmaOp::create(
                          lb, ll, accStruct, a[mi], bf[ni], cin, {16, 8, 16},
                          std::nullopt, std::nullopt,
                          std::array<NVVM::MMATypes, 2>{
                              bf16 ? NVVM::MMATypes::bf16
                                   : NVVM::MMATypes::f16,
                              bf16 ? NVVM::MMATypes::bf16
                                   : NVVM::MMATypes::f16},
                          std::array<NVVM::MMALayout, 2>{
                              NVVM::MMALayout::row, NVVM::MMALayout::col});
                      for (int64_t r = 0; r < 4; ++r)
                        sums[base + r] = LLVM::ExtractValueOp::create(
                            lb, ll, d, ArrayRef<int64_t>{r});
                    }
                }
                gpu::BarrierOp::create(lb, ll);
                scf::YieldOp::create(lb, ll, sums);
              });
          for (int64_t mi = 0; mi < 2; ++mi)
            for (int64_t ni = 0; ni < 4; ++ni)
              for (int64_t r = 0; r < 4; ++r) {
                AffineExpr d2;
                bindDims(ctx, d0, d1, d2);
                Value m = affineIndex(
                    tb, tl, d0 + d1 * 32 + d2 + mi * 16 + (r / 2) * 8,
                    ValueRange{m0, wm, g});
                Value n = affineIndex(tb, tl,
                                      d0 + d1 * 32 + d2 * 2 + ni * 8 + r % 2,
                                      ValueRange{n0, wn, q});
                storeResult(tb, tl, c, batch, m, n,
                            kLoop.getResult((mi * 4 + ni) * 4 + r));
              }
        });
      });
  rewriter.eraseOp(op);
  return success();
}

} // namespace tessel::gpudist
