//===- PatternUtils.h - Helpers shared by the graph rewrite patterns -*- C++
//-*-===//
#ifndef TESSEL_LIB_DIALECT_GRAPH_TRANSFORMS_PATTERNUTILS_H
#define TESSEL_LIB_DIALECT_GRAPH_TRANSFORMS_PATTERNUTILS_H

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Reference/Tensor.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <optional>
#include <string>

namespace tessel::graph {

/// The constant `v` is (a graph.constant or anything that folds to one),
/// or null.
mlir::ElementsAttr getConstantAttr(mlir::Value v);

/// The value of a float or integer constant whose elements are all equal
/// (a splat or a small literal); nullopt otherwise.
std::optional<double> getUniformConstant(mlir::Value v);

/// |a - b| <= tol * max(|a|, |b|).
bool isClose(double a, double b, double tol);

/// `v` is a uniform constant within relative `tol` of `expected`.
bool isConstantClose(mlir::Value v, double expected, double tol);

/// The elements of a constant operand; failure if `v` is not a constant or
/// its element type is unknown to the reference (quantized types are).
llvm::FailureOr<ref::Tensor> readConstant(mlir::Value v);

/// A graph.constant of `type` holding `t` (a resource blob named after
/// `nameHint` when large).
mlir::Value createConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::RankedTensorType type, const ref::Tensor &t,
                           llvm::StringRef nameHint);

/// The node name of `op`'s location (ONNX node names), else its op name;
/// with `suffix` appended.
std::string nameHint(mlir::Operation *op, llvm::StringRef suffix = "");

/// The type is a float tensor (not quantized).
bool isFloatTensor(mlir::Type type);

/// Applies `patterns` greedily to `root`'s regions with a bound on the
/// number of rewrites (a generous multiple of the op count), so that a pair
/// of patterns undoing each other ends in a pass failure instead of a hang.
/// Fails when the rewrite did not converge.
llvm::LogicalResult
applyGraphPatterns(mlir::Operation *root,
                   const mlir::FrozenRewritePatternSet &patterns,
                   mlir::GreedyRewriteConfig config = {});

//===----------------------------------------------------------------------===//
// Permutations: a perm p maps result dim i to input dim p[i] (as transpose).
//===----------------------------------------------------------------------===//

llvm::SmallVector<int64_t> invertPermutation(llvm::ArrayRef<int64_t> perm);
/// values[perm[i]] for each i.
llvm::SmallVector<int64_t> permute(llvm::ArrayRef<int64_t> values,
                                   llvm::ArrayRef<int64_t> perm);
bool isIdentityPermutation(llvm::ArrayRef<int64_t> perm);
/// [0, 2, ..., rank-1, 1]: channels-first to channels-last.
llvm::SmallVector<int64_t> toChannelsLastPerm(int64_t rank);
/// [0, rank-1, 1, ..., rank-2]: channels-last to channels-first.
llvm::SmallVector<int64_t> toChannelsFirstPerm(int64_t rank);

/// The channel dim of a layout-sensitive op's activations.
inline int64_t channelDim(Layout layout, int64_t rank) {
  return layout == Layout::NHWC ? rank - 1 : 1;
}

/// The shape of `type` left-padded with 1s to `rank` (numpy broadcasting
/// aligns trailing dims); nullopt if it has a larger rank.
std::optional<llvm::SmallVector<int64_t>> padShapeToRank(mlir::Type type,
                                                         int64_t rank);

/// A constant that broadcasts only along `dim` of a rank-`rank` result with
/// `size` elements there, read as a vector of `size` elements (a size-1
/// constant is repeated); nullopt otherwise.
std::optional<ref::Tensor> readPerChannelConstant(mlir::Value v, int64_t rank,
                                                  int64_t dim, int64_t size);

//===----------------------------------------------------------------------===//
// Affine maps folded into conv and matmul weights
//===----------------------------------------------------------------------===//

/// y = x * scale[c] + shift[c] per channel; an empty `scale` is all ones.
struct ChannelAffine {
  std::vector<double> scale, shift;
};

bool allFinite(llvm::ArrayRef<double> v);

/// A conv or matmul that an affine map after it can fold into: one use, no
/// fused activation, float types, a constant bias (or none) and, when the
/// map `scalesWeights`, constant weights (a matmul's right operand, of rank
/// 2 or more).
bool isFoldableConv(ConvOp conv, bool scalesWeights);
bool isFoldableMatMul(MatMulOp mm, bool scalesWeights);

/// A copy of `conv`, created at the rewriter's insertion point (the root of
/// the pattern, which all of conv's operands dominate), computing
/// conv(x) * a.scale + a.shift per output channel (in double precision,
/// rounded once), located at the fusion of conv's location and `loc`.
llvm::FailureOr<mlir::Value> foldIntoConv(mlir::PatternRewriter &rewriter,
                                          ConvOp conv, const ChannelAffine &a,
                                          mlir::Location loc);
/// The same for a matmul, along its output's last dim (the columns of its
/// right operand).
llvm::FailureOr<mlir::Value> foldIntoMatMul(mlir::PatternRewriter &rewriter,
                                            MatMulOp mm, const ChannelAffine &a,
                                            mlir::Location loc);

} // namespace tessel::graph

#endif // TESSEL_LIB_DIALECT_GRAPH_TRANSFORMS_PATTERNUTILS_H
