//===- DistributePointwise.cpp - One GPU thread per point of a loop nest --===//
//
// The kernel every linalg op can use: the parallel loops, linearized in
// loop order (so that neighbouring threads touch neighbouring elements of
// row-major outputs), give one point per thread; the thread loops over the
// reduction dims with the accumulators in registers.
//
//===----------------------------------------------------------------------===//
#include "Distribute.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace tessel::gpudist {

Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static scf::ForallOp buildForall(OpBuilder &b, Location loc,
                                 ArrayRef<int64_t> sizes, bool threads,
                                 BodyFn body) {
  MLIRContext *ctx = b.getContext();
  static const gpu::MappingId ids[] = {gpu::MappingId::DimX,
                                       gpu::MappingId::DimY,
                                       gpu::MappingId::DimZ};
  SmallVector<Attribute> mapping;
  SmallVector<OpFoldResult> ubs;
  for (size_t i = 0; i < sizes.size(); ++i) {
    mapping.push_back(threads ? Attribute(gpu::GPUThreadMappingAttr::get(
                                    ctx, ids[i]))
                              : Attribute(gpu::GPUBlockMappingAttr::get(
                                    ctx, ids[i])));
    ubs.push_back(b.getIndexAttr(sizes[i]));
  }
  return scf::ForallOp::create(
      b, loc, ubs, ValueRange{}, b.getArrayAttr(mapping),
      [&](OpBuilder &nb, Location l, ValueRange ivs) {
        body(nb, l, ivs);
        scf::InParallelOp::create(nb, l);
      });
}

scf::ForallOp buildBlockForall(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> grid, BodyFn body) {
  return buildForall(b, loc, grid, /*threads=*/false, body);
}

scf::ForallOp buildThreadForall(OpBuilder &b, Location loc,
                                ArrayRef<int64_t> threads, BodyFn body) {
  return buildForall(b, loc, threads, /*threads=*/true, body);
}

SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                            ValueRange ivs) {
  SmallVector<Value> out;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      out.push_back(ivs[d.getPosition()]);
    } else if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      out.push_back(cst(b, loc, c.getValue()));
    } else {
      AffineMap one = AffineMap::get(map.getNumDims(), map.getNumSymbols(), e);
      out.push_back(affine::AffineApplyOp::create(b, loc, one, ivs));
    }
  }
  return out;
}

SmallVector<Value> cloneBody(OpBuilder &b, linalg::GenericOp op,
                             ValueRange args, ValueRange ivs) {
  Block &block = op.getRegion().front();
  IRMapping map;
  for (auto [arg, v] : llvm::zip(block.getArguments(), args))
    if (v)
      map.map(arg, v);
  for (Operation &inner : block.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  SmallVector<Value> results;
  for (Value v : block.getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(v));
  return results;
}

LogicalResult emitPointBody(OpBuilder &b, Location loc, linalg::GenericOp op,
                            ValueRange parallelIvs) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  SmallVector<Value> ivs(numLoops);
  SmallVector<unsigned> reductionDims;
  unsigned next = 0;
  for (unsigned d = 0; d < numLoops; ++d) {
    if (linalg::isParallelIterator(iters[d]))
      ivs[d] = parallelIvs[next++];
    else
      reductionDims.push_back(d);
  }
  Block &block = op.getRegion().front();
  unsigned numInputs = op.getNumDpsInputs();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();

  auto load = [&](OpBuilder &nb, OpOperand &operand,
                  ValueRange at) -> Value {
    Value v = operand.get();
    if (!isa<MemRefType>(v.getType()))
      return v; // A scalar operand.
    SmallVector<Value> idx =
        applyMap(nb, loc, maps[operand.getOperandNumber()], at);
    return memref::LoadOp::create(nb, loc, v, idx);
  };
  // The outputs' current values: the accumulators' initial values.
  SmallVector<Value> outputs;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    BlockArgument arg = block.getArgument(init.getOperandNumber());
    bool needed = !arg.use_empty() || !reductionDims.empty();
    outputs.push_back(needed ? load(b, init, ivs) : Value());
  }
  // The point's computation, given the accumulators.
  auto compute = [&](OpBuilder &nb, ValueRange all,
                     ValueRange acc) -> SmallVector<Value> {
    SmallVector<Value> args;
    for (OpOperand *in : op.getDpsInputOperands()) {
      BlockArgument arg = block.getArgument(in->getOperandNumber());
      args.push_back(arg.use_empty() ? Value() : load(nb, *in, all));
    }
    llvm::append_range(args, acc);
    return cloneBody(nb, op, args, all);
  };
  (void)numInputs;

  SmallVector<Value> results;
  if (reductionDims.empty()) {
    results = compute(b, ivs, outputs);
  } else {
    // for r0 { for r1 { ... acc = body(acc) } }, accumulators carried.
    std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> nest =
        [&](OpBuilder &nb, unsigned level,
            ValueRange acc) -> SmallVector<Value> {
      unsigned d = reductionDims[level];
      auto loop = scf::ForOp::create(
          nb, loc, cst(nb, loc, 0), cst(nb, loc, ranges[d]), cst(nb, loc, 1),
          acc,
          [&](OpBuilder &lb, Location, Value iv, ValueRange carried) {
            ivs[d] = iv;
            SmallVector<Value> r =
                level + 1 == reductionDims.size()
                    ? compute(lb, ivs, carried)
                    : nest(lb, level + 1, carried);
            scf::YieldOp::create(lb, loc, r);
          });
      return SmallVector<Value>(loop.getResults());
    };
    results = nest(b, 0, outputs);
    // The stores below index with the parallel dims only.
    for (unsigned d : reductionDims)
      ivs[d] = cst(b, loc, 0);
  }
  for (auto [init, v] : llvm::zip(op.getDpsInitsMutable(), results)) {
    SmallVector<Value> idx =
        applyMap(b, loc, maps[init.getOperandNumber()], ivs);
    memref::StoreOp::create(b, loc, v, init.get(), idx);
  }
  return success();
}

LogicalResult distributePointwise(RewriterBase &rewriter,
                                  linalg::GenericOp op, int64_t blockSize) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto iters = op.getIteratorTypesArray();
  SmallVector<int64_t> parallel;
  int64_t points = 1;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      return op.emitOpError("has a dynamic loop range; the GPU back end "
                            "needs static shapes");
    if (linalg::isParallelIterator(iters[d])) {
      parallel.push_back(ranges[d]);
      points *= ranges[d];
    }
  }
  if (points == 0) {
    rewriter.eraseOp(op); // Nothing to compute.
    return success();
  }
  int64_t threads = std::min<int64_t>(blockSize, llvm::alignTo(points, 32));
  int64_t blocks = llvm::divideCeil(points, threads);
  if (blocks > 0x7fffffff)
    return op.emitOpError("has too many points for one launch (")
           << points << ")";
  rewriter.setInsertionPoint(op);
  MLIRContext *ctx = rewriter.getContext();
  buildBlockForall(
      rewriter, loc, {blocks}, [&](OpBuilder &b, Location l, ValueRange bid) {
        buildThreadForall(
            b, l, {threads}, [&](OpBuilder &tb, Location tl, ValueRange tid) {
              AffineExpr bx, tx;
              bindDims(ctx, bx, tx);
              Value linear = affine::AffineApplyOp::create(
                  tb, tl, AffineMap::get(2, 0, bx * threads + tx),
                  ValueRange{bid[0], tid[0]});
              auto emit = [&](OpBuilder &eb) {
                SmallVector<Value> ivs;
                if (parallel.size() == 1) {
                  ivs.push_back(linear);
                } else if (!parallel.empty()) {
                  auto delin = affine::AffineDelinearizeIndexOp::create(
                      eb, tl, linear, parallel);
                  llvm::append_range(ivs, delin.getResults());
                }
                (void)emitPointBody(eb, tl, op, ivs);
              };
              if (blocks * threads == points) {
                emit(tb);
                return;
              }
              Value inRange = arith::CmpIOp::create(
                  tb, tl, arith::CmpIPredicate::ult, linear,
                  cst(tb, tl, points));
              scf::IfOp::create(tb, tl, inRange,
                                [&](OpBuilder &ib, Location il) {
                                  emit(ib);
                                  scf::YieldOp::create(ib, il);
                                });
            });
      });
  rewriter.eraseOp(op);
  return success();
}

void distributeSingleThread(RewriterBase &rewriter, Operation *op) {
  rewriter.setInsertionPoint(op);
  scf::ForallOp blocks = buildBlockForall(
      rewriter, op->getLoc(), {1}, [&](OpBuilder &b, Location l, ValueRange) {
        buildThreadForall(b, l, {1},
                          [&](OpBuilder &, Location, ValueRange) {});
      });
  auto threads = cast<scf::ForallOp>(&blocks.getBody()->front());
  rewriter.moveOpBefore(op, threads.getBody()->getTerminator());
}

} // namespace tessel::gpudist
