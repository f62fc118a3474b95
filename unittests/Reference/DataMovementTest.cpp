//===- DataMovementTest.cpp - layout, indexing and padding kernels --------===//
#include "RefTestUtils.h"

#include <limits>

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

TEST(TransposeTest, PermutesDims) {
  EXPECT_TRUE(matches(transpose(iota({2, 3}), {1, 0}),
                      f32({3, 2}, {0, 3, 1, 4, 2, 5})));
  // y[a][b][c] = x[c][a][b] = 12c + 4a + b for x = iota(2x3x4).
  Result<Tensor> y = transpose(iota({2, 3, 4}), {1, 2, 0});
  ASSERT_TRUE(y.ok()) << y.error();
  ASSERT_EQ(y->shape(), (Shape{3, 4, 2}));
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 4; ++b)
      for (int64_t c = 0; c < 2; ++c)
        EXPECT_EQ(y->getF((a * 4 + b) * 2 + c), 12 * c + 4 * a + b);
}

TEST(TransposeTest, CopiesStoredValuesExactly) {
  int64_t big = std::numeric_limits<int64_t>::min();
  Tensor u = Tensor::fromInts(DType::U64, {1, 2}, {big, 1});
  Result<Tensor> y = transpose(u, {1, 0});
  ASSERT_TRUE(y.ok()) << y.error();
  EXPECT_EQ(y->ints(), (std::vector<int64_t>{big, 1}));
}

TEST(TransposeTest, RejectsNonPermutations) {
  EXPECT_TRUE(failsWith(transpose(iota({2, 3}), {0, 0}),
                        "is not a permutation of the dims of x f32[2x3]"));
  EXPECT_TRUE(failsWith(transpose(iota({2, 3}), {0}), "perm must have 2"));
}

TEST(ReshapeTest, KeepsElementsInOrder) {
  EXPECT_TRUE(matches(reshape(iota({2, 3}), {3, 1, 2}), iota({3, 1, 2})));
  EXPECT_TRUE(matches(reshape(f32({1}, {7}), {}), f32({}, {7})));
  EXPECT_TRUE(failsWith(reshape(iota({2, 3}), {4, 2}),
                        "cannot reshape f32[2x3] (6 elements) to 4x2"));
  EXPECT_TRUE(failsWith(reshape(iota({2, 3}), {-1, 3}), "got a dim of -1"));
}

TEST(ConcatTest, AlongAnInnerAxis) {
  Tensor a = f32({2, 1}, {1, 2}), b = f32({2, 2}, {3, 4, 5, 6});
  Tensor empty = f32({2, 0}, {});
  EXPECT_TRUE(
      matches(concat({&a, &empty, &b}, 1), f32({2, 3}, {1, 3, 4, 2, 5, 6})));
  EXPECT_TRUE(
      matches(concat({&b, &b}, 0), f32({4, 2}, {3, 4, 5, 6, 3, 4, 5, 6})));
}

TEST(ConcatTest, RejectsMismatches) {
  Tensor a = f32({2, 1}, {1, 2}), c = f32({3, 1}, {1, 2, 3});
  Tensor ai = i32({2, 1}, {1, 2});
  EXPECT_TRUE(failsWith(concat({&a, &c}, 1),
                        "Concat: input 1 f32[3x1] must match input 0 f32[2x1] "
                        "in element type and every dim but axis 1"));
  EXPECT_TRUE(failsWith(concat({&a, &ai}, 0), "input 1 i32[2x1] must match"));
  EXPECT_TRUE(failsWith(concat({}, 0), "needs at least one input"));
  EXPECT_TRUE(failsWith(concat({&a}, 2), "axis 2 is out of range"));
}

TEST(SplitTest, SizesIncludingZero) {
  Result<std::vector<Tensor>> r = split(iota({2, 5}), 1, {2, 0, 3});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE(matches((*r)[0], f32({2, 2}, {0, 1, 5, 6})));
  EXPECT_TRUE(matches((*r)[1], DType::F32, {2, 0}, {}));
  EXPECT_TRUE(matches((*r)[2], f32({2, 3}, {2, 3, 4, 7, 8, 9})));
  EXPECT_TRUE(failsWith(split(iota({2, 5}), 1, {2, 2}),
                        "sizes add up to 4 but axis 1 of x f32[2x5] has 5"));
}

TEST(SliceTest, NegativeSteps) {
  // Start 4, step -2, three elements: 4, 2, 0.
  EXPECT_TRUE(matches(slice(iota({5}), {4}, {-2}, {3}), f32({3}, {4, 2, 0})));
  // Rows 2, 1, 0 and columns 3, 1 of iota(3x4): 4r + c.
  EXPECT_TRUE(matches(slice(iota({3, 4}), {2, 3}, {-1, -2}, {3, 2}),
                      f32({3, 2}, {11, 9, 7, 5, 3, 1})));
  EXPECT_TRUE(matches(slice(iota({3, 4}), {1, 1}, {1, 2}, {2, 2}),
                      f32({2, 2}, {5, 7, 9, 11})));
}

TEST(SliceTest, OutOfRangeReadsAreAnError) {
  // Four elements from 4 by -2 would read index -2.
  EXPECT_TRUE(failsWith(slice(iota({5}), {4}, {-2}, {4}),
                        "dim 0 reads indices 4 to -2 (step -2) out of [0, 5)"));
  EXPECT_TRUE(
      failsWith(slice(iota({5}), {0}, {0}, {1}), "steps[0] must not be 0"));
  // An empty slice reads nothing.
  EXPECT_TRUE(matches(slice(iota({5}), {7}, {1}, {0}), DType::F32, {0}, {}));
}

TEST(GatherTest, NegativeIndicesCountFromTheEnd) {
  Tensor x = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(
      matches(gather(x, i64({2}, {-1, 0}), 0), f32({2, 2}, {5, 6, 1, 2})));
  // A scalar index removes the axis.
  EXPECT_TRUE(matches(gather(x, i32({}, {-1}), 1), f32({3}, {2, 4, 6})));
  // Index shape replaces the axis: [3, 2] -> [2, 2, 2].
  EXPECT_TRUE(matches(gather(x, i64({2, 2}, {0, 1, 2, 2}), 0),
                      f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 5, 6})));
}

TEST(GatherTest, OutOfRangeIndicesAreAnError) {
  Tensor x = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(failsWith(gather(x, i64({2}, {0, 3}), 0),
                        "Gather: index 3 (element 1 of indices i64[2]) is out "
                        "of range [-3, 3) for axis 0 of x f32[3x2]"));
  EXPECT_TRUE(failsWith(gather(x, i64({1}, {-4}), 0), "index -4"));
  EXPECT_TRUE(failsWith(gather(x, f32({1}, {0}), 0),
                        "Gather: unsupported element type f32 (indices"));
}

TEST(GatherElementsTest, OnnxExamples) {
  // The two examples of the ONNX GatherElements documentation.
  EXPECT_TRUE(matches(
      gatherElements(f32({2, 2}, {1, 2, 3, 4}), i64({2, 2}, {0, 0, 1, 0}), 1),
      f32({2, 2}, {1, 1, 4, 3})));
  EXPECT_TRUE(
      matches(gatherElements(iota({3, 3}), i64({2, 3}, {1, 2, 0, 2, 0, 0}), 0),
              f32({2, 3}, {3, 7, 2, 6, 1, 2})));
  // Negative indices: -1 is the last row.
  EXPECT_TRUE(matches(gatherElements(iota({3, 3}), i32({1, 2}, {-1, -3}), 0),
                      f32({1, 2}, {6, 1})));
}

TEST(GatherElementsTest, RejectsBadIndices) {
  EXPECT_TRUE(
      failsWith(gatherElements(iota({3, 3}), i64({1, 1}, {3}), 0), "index 3"));
  EXPECT_TRUE(failsWith(gatherElements(iota({3, 3}), i64({1}, {0}), 0),
                        "must have the rank of x"));
  EXPECT_TRUE(
      failsWith(gatherElements(iota({3, 3}), i64({1, 4}, {0, 0, 0, 0}), 0),
                "dim 1 of indices i64[1x4] exceeds that of x"));
}

TEST(BroadcastToTest, ExpandsSizeOneAndMissingDims) {
  EXPECT_TRUE(matches(broadcastTo(f32({3}, {1, 2, 3}), {2, 3}),
                      f32({2, 3}, {1, 2, 3, 1, 2, 3})));
  EXPECT_TRUE(matches(broadcastTo(f32({2, 1}, {1, 2}), {2, 3}),
                      f32({2, 3}, {1, 1, 1, 2, 2, 2})));
  EXPECT_TRUE(failsWith(broadcastTo(f32({3}, {1, 2, 3}), {2}),
                        "x f32[3] does not broadcast to 2"));
  // The target must be the broadcast result itself, not smaller.
  EXPECT_TRUE(failsWith(broadcastTo(iota({2, 3}), {3}), "does not broadcast"));
}

TEST(TileTest, RepeatsEachDim) {
  EXPECT_TRUE(
      matches(tile(f32({2}, {1, 2}), {3}), f32({6}, {1, 2, 1, 2, 1, 2})));
  EXPECT_TRUE(matches(tile(f32({1, 2}, {1, 2}), {2, 2}),
                      f32({2, 4}, {1, 2, 1, 2, 1, 2, 1, 2})));
  EXPECT_TRUE(matches(tile(f32({2}, {1, 2}), {0}), DType::F32, {0}, {}));
  EXPECT_TRUE(
      failsWith(tile(f32({2}, {1, 2}), {-1}), "repeats[0] must be >= 0"));
}

TEST(PadTest, Modes) {
  Tensor x = f32({3}, {1, 2, 3});
  EXPECT_TRUE(matches(pad(x, {2}, {1}, PadMode::Constant, 9),
                      f32({6}, {9, 9, 1, 2, 3, 9})));
  // Reflection does not repeat the edge: ... 3 2 | 1 2 3 | 2 1.
  EXPECT_TRUE(matches(pad(x, {2}, {2}, PadMode::Reflect, 0),
                      f32({7}, {3, 2, 1, 2, 3, 2, 1})));
  EXPECT_TRUE(matches(pad(x, {2}, {2}, PadMode::Edge, 0),
                      f32({7}, {1, 1, 1, 2, 3, 3, 3})));
  EXPECT_TRUE(matches(pad(x, {2}, {2}, PadMode::Wrap, 0),
                      f32({7}, {2, 3, 1, 2, 3, 1, 2})));
  // Pads larger than the dim keep reflecting / wrapping (numpy.pad).
  EXPECT_TRUE(matches(pad(x, {5}, {0}, PadMode::Reflect, 0),
                      f32({8}, {2, 1, 2, 3, 2, 1, 2, 3})));
}

TEST(PadTest, TwoDConstant) {
  EXPECT_TRUE(
      matches(pad(f32({1, 2}, {1, 2}), {1, 0}, {0, 1}, PadMode::Constant, 0),
              f32({2, 3}, {0, 0, 0, 1, 2, 0})));
}

TEST(PadTest, NegativePadsCropFirst) {
  Tensor x = f32({5}, {1, 2, 3, 4, 5});
  EXPECT_TRUE(matches(pad(x, {-1}, {2}, PadMode::Constant, 0),
                      f32({6}, {2, 3, 4, 5, 0, 0})));
  // Cropped to [2 3 4 5], then reflected at the end: 4 3.
  EXPECT_TRUE(matches(pad(x, {-1}, {2}, PadMode::Reflect, 0),
                      f32({6}, {2, 3, 4, 5, 4, 3})));
  EXPECT_TRUE(
      matches(pad(x, {-2}, {-3}, PadMode::Edge, 0), DType::F32, {0}, {}));
  EXPECT_TRUE(failsWith(pad(x, {-3}, {-3}, PadMode::Constant, 0),
                        "crop more than its 5 elements"));
}

TEST(PadTest, ValueIsStoredAsTheElementTypeStoresIt) {
  // 2.9 truncates to 2 in an integer tensor.
  EXPECT_TRUE(matches(pad(i32({1}, {7}), {1}, {0}, PadMode::Constant, 2.9),
                      i32({2}, {2, 7})));
}

TEST(PadTest, EmptyDimsCannotBeExtended) {
  EXPECT_TRUE(failsWith(pad(f32({0}, {}), {1}, {0}, PadMode::Reflect, 0),
                        "dim 0 has no elements to extend by reflection"));
  EXPECT_TRUE(matches(pad(f32({0}, {}), {1}, {1}, PadMode::Constant, 5),
                      f32({2}, {5, 5})));
  // Other dims of an empty tensor may still be padded in any mode.
  EXPECT_TRUE(matches(pad(f32({0, 2}, {}), {0, 1}, {0, 1}, PadMode::Reflect, 0),
                      DType::F32, {0, 4}, {}));
}

TEST(DepthToSpaceTest, DcrAndCrdOrders) {
  // x = iota(1x8x2x3), block 2, 2 output channels. DCR reads depth
  // (i * 2 + j) * 2 + c, CRD reads c * 4 + i * 2 + j, for output
  // (c, 2h + i, 2w + j): x = depth * 6 + 3h + w. Checked against ONNX's
  // reference evaluator.
  Tensor x = iota({1, 8, 2, 3});
  EXPECT_TRUE(matches(
      depthToSpace(x, 2, false),
      f32({1, 2, 4, 6},
          {0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
           5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
           31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47})));
  EXPECT_TRUE(matches(
      depthToSpace(x, 2, true),
      f32({1, 2, 4, 6},
          {0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
           5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
           37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47})));
  EXPECT_TRUE(failsWith(depthToSpace(iota({1, 6, 1, 1}), 2, false),
                        "multiple of blockSize^2 (4)"));
}

TEST(SpaceToDepthTest, InvertsDcrDepthToSpace) {
  // One 2x2 block becomes four channels in row-major order.
  EXPECT_TRUE(matches(spaceToDepth(f32({1, 1, 2, 2}, {0, 1, 2, 3}), 2),
                      f32({1, 4, 1, 1}, {0, 1, 2, 3})));
  Tensor x = iota({2, 3, 4, 6});
  Result<Tensor> d = spaceToDepth(x, 2);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->shape(), (Shape{2, 12, 2, 3}));
  EXPECT_TRUE(matches(depthToSpace(*d, 2, false), x));
  // CRD orders the depth as (channel, i, j) and inverts CRD DepthToSpace.
  EXPECT_TRUE(matches(spaceToDepth(iota({1, 2, 2, 2}), 2, /*crdMode=*/true),
                      f32({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7})));
  EXPECT_TRUE(matches(spaceToDepth(iota({1, 2, 2, 2}), 2, /*crdMode=*/false),
                      f32({1, 8, 1, 1}, {0, 4, 1, 5, 2, 6, 3, 7})));
  Result<Tensor> c = spaceToDepth(x, 2, /*crdMode=*/true);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(matches(depthToSpace(*c, 2, /*crdMode=*/true), x));
  EXPECT_TRUE(failsWith(spaceToDepth(iota({1, 1, 3, 2}), 2),
                        "must be multiples of blockSize (2)"));
  EXPECT_TRUE(failsWith(spaceToDepth(iota({1, 4, 2}), 2), "rank 4"));
}

} // namespace
