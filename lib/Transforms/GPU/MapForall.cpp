//===- MapForall.cpp - Block/thread scf.forall nests into gpu.launch ------===//
//
// The block level is mapped here (the grid is the forall's trip counts);
// the thread level by upstream MLIR's mapNestedForallToThreadsImpl, the
// implementation of the transform dialect's map_nested_forall_to_threads.
//
//===----------------------------------------------------------------------===//
#include "tessel/Transforms/GPUPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace tessel {
#define GEN_PASS_DEF_GPUMAPFORALL
#include "tessel/Transforms/GPUPasses.h.inc"
} // namespace tessel

using namespace mlir;

namespace {

/// The 0/1/2 of a mapping attribute's x/y/z, or -1.
int mappingDim(Attribute a) {
  auto m = dyn_cast<DeviceMappingAttrInterface>(a);
  if (!m || m.isLinearMapping())
    return -1;
  int64_t id = m.getMappingId();
  return id >= 0 && id <= 2 ? static_cast<int>(id) : -1;
}

template <typename MappingAttr>
bool isMappedTo(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, [](Attribute a) { return isa<MappingAttr>(a); });
}

/// Sizes per x/y/z of a normalized, static, x/y/z-mapped forall.
FailureOr<std::array<int64_t, 3>> mappedSizes(scf::ForallOp forall) {
  std::array<int64_t, 3> sizes = {1, 1, 1};
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(forall.getMixedUpperBound());
  if (!forall.isNormalized() || !ubs)
    return forall.emitOpError("must be normalized and static to be mapped to "
                              "the GPU");
  for (auto [ub, attr] : llvm::zip(*ubs, *forall.getMapping())) {
    int d = mappingDim(attr);
    if (d < 0)
      return forall.emitOpError("needs x, y or z mapping attributes");
    sizes[d] = ub;
  }
  return sizes;
}

LogicalResult mapOne(RewriterBase &rewriter, scf::ForallOp forall) {
  Location loc = forall.getLoc();
  FailureOr<std::array<int64_t, 3>> grid = mappedSizes(forall);
  if (failed(grid))
    return failure();
  // The block: the largest thread forall in each dimension.
  SmallVector<int64_t> block = {1, 1, 1};
  WalkResult walk = forall.walk([&](scf::ForallOp inner) {
    if (inner == forall)
      return WalkResult::advance();
    if (!isMappedTo<gpu::GPUThreadMappingAttr>(inner)) {
      inner.emitOpError("inside a block-mapped forall must be mapped to "
                        "threads");
      return WalkResult::interrupt();
    }
    FailureOr<std::array<int64_t, 3>> sizes = mappedSizes(inner);
    if (failed(sizes))
      return WalkResult::interrupt();
    for (int d = 0; d < 3; ++d)
      block[d] = std::max(block[d], (*sizes)[d]);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // Workgroup memory becomes the launch's attributions.
  SmallVector<memref::AllocOp> shared;
  forall.walk([&](memref::AllocOp alloc) {
    if (auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
            alloc.getType().getMemorySpace()))
      if (space.getValue() == gpu::AddressSpace::Workgroup)
        shared.push_back(alloc);
  });
  SmallVector<Type> sharedTypes;
  for (memref::AllocOp a : shared)
    sharedTypes.push_back(a.getType());

  rewriter.setInsertionPoint(forall);
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, c((*grid)[0]), c((*grid)[1]), c((*grid)[2]), c(block[0]),
      c(block[1]), c(block[2]), /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{}, sharedTypes);
  Block &body = launch.getBody().front();
  if (body.empty() || !body.back().hasTrait<OpTrait::IsTerminator>()) {
    rewriter.setInsertionPointToEnd(&body);
    gpu::TerminatorOp::create(rewriter, loc);
  }
  for (auto [alloc, attribution] :
       llvm::zip(shared, launch.getWorkgroupAttributions())) {
    rewriter.replaceAllUsesWith(alloc.getResult(), attribution);
    rewriter.eraseOp(alloc);
  }
  // Move the forall's body into the launch; its ivs become block ids.
  gpu::KernelDim3 ids = launch.getBlockIds();
  Value idValues[3] = {ids.x, ids.y, ids.z};
  for (auto [iv, attr] :
       llvm::zip(forall.getInductionVars(), *forall.getMapping()))
    rewriter.replaceAllUsesWith(iv, idValues[mappingDim(attr)]);
  rewriter.eraseOp(forall.getBody()->getTerminator());
  body.getOperations().splice(body.getTerminator()->getIterator(),
                              forall.getBody()->getOperations());
  rewriter.eraseOp(forall);

  rewriter.setInsertionPointToStart(&body);
  DiagnosedSilenceableFailure mapped =
      transform::gpu::mapNestedForallToThreadsImpl(
          rewriter, std::nullopt, launch, block, /*warpSize=*/32,
          /*syncAfterDistribute=*/true);
  if (!mapped.succeeded()) {
    if (mapped.isSilenceableFailure())
      (void)mapped.silence();
    return launch.emitOpError("cannot map its thread foralls");
  }
  return success();
}

struct MapForallPass : tessel::impl::GPUMapForallBase<MapForallPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForallOp> roots;
    getOperation().walk([&](scf::ForallOp f) {
      if (!f->getParentOfType<scf::ForallOp>() &&
          !f->getParentOfType<gpu::LaunchOp>())
        roots.push_back(f);
    });
    for (scf::ForallOp f : roots) {
      if (!isMappedTo<gpu::GPUBlockMappingAttr>(f)) {
        f.emitOpError("at the top level must be mapped to GPU blocks");
        return signalPassFailure();
      }
      if (failed(mapOne(rewriter, f)))
        return signalPassFailure();
    }
  }
};

} // namespace
