//===- LinalgTest.cpp - matmul, conv, convTranspose -----------------------===//
#include "RefTestUtils.h"

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

/// A deterministic tensor with small, distinct-ish integer values (exact in
/// every float type), so layouts can be compared exactly.
Tensor pattern(Shape shape, int64_t seed) {
  std::vector<double> v(numElements(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] =
        static_cast<double>((static_cast<int64_t>(i) * 7 + seed * 3) % 11 - 5);
  return f32(std::move(shape), std::move(v));
}

ConvParams convParams(Shape strides, Shape dilations, Shape padsBegin,
                      Shape padsEnd, int64_t group = 1) {
  ConvParams p;
  p.strides = std::move(strides);
  p.dilations = std::move(dilations);
  p.padsBegin = std::move(padsBegin);
  p.padsEnd = std::move(padsEnd);
  p.group = group;
  return p;
}

/// Plain 2-D parameters: stride 1, no dilation, no padding.
ConvParams conv2d() { return convParams({1, 1}, {1, 1}, {0, 0}, {0, 0}); }

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

TEST(MatmulTest, TwoByThreeTimesThreeByTwo) {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({3, 2}, {7, 8, 9, 10, 11, 12});
  // [1 2 3] . [7 9 11] = 58, [1 2 3] . [8 10 12] = 64, ...
  EXPECT_TRUE(matches(matmul(a, b, nullptr), f32({2, 2}, {58, 64, 139, 154})));
}

TEST(MatmulTest, OneDOperandsArePromotedAndTheDimRemoved) {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor v = f32({3}, {1, 2, 3});
  EXPECT_TRUE(matches(matmul(v, b, nullptr), f32({2}, {58, 64})));
  EXPECT_TRUE(
      matches(matmul(a, f32({3}, {1, 1, 1}), nullptr), f32({2}, {6, 15})));
  EXPECT_TRUE(matches(matmul(v, f32({3}, {4, 5, 6}), nullptr), f32({}, {32})));
}

TEST(MatmulTest, BatchDimsBroadcast) {
  // a: [2, 1, 2, 2] = {I, 2I}; b: [3, 2, 2] = three matrices.
  Tensor a = f32({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  Tensor b = f32({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  EXPECT_TRUE(
      matches(matmul(a, b, nullptr),
              f32({2, 3, 2, 2}, {1, 2, 3, 4, 5,  6,  7,  8,  9,  10, 11, 12,
                                 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24})));
  EXPECT_TRUE(
      failsWith(matmul(f32({2, 2, 2}, std::vector<double>(8, 1)),
                       f32({3, 2, 2}, std::vector<double>(12, 1)), nullptr),
                "batch dims of a f32[2x2x2] and b f32[3x2x2] are not "
                "broadcast-compatible"));
}

TEST(MatmulTest, BiasBroadcastsToTheResult) {
  Tensor a = f32({2, 2}, {1, 0, 0, 1});
  Tensor b = f32({2, 2}, {1, 2, 3, 4});
  Tensor bias = f32({2}, {10, 20});
  EXPECT_TRUE(matches(matmul(a, b, &bias), f32({2, 2}, {11, 22, 13, 24})));
  Tensor bad = f32({3}, {1, 2, 3});
  EXPECT_TRUE(failsWith(matmul(a, b, &bad),
                        "bias f32[3] does not broadcast to the result shape "
                        "2x2"));
}

TEST(MatmulTest, ContractionMismatchIsAnError) {
  EXPECT_TRUE(
      failsWith(matmul(f32({2, 3}, std::vector<double>(6, 1)),
                       f32({4, 5}, std::vector<double>(20, 1)), nullptr),
                "contraction dims differ: 3 in a f32[2x3] vs 4 in b "
                "f32[4x5]"));
  EXPECT_TRUE(
      failsWith(matmul(f32({}, {1}), f32({1}, {1}), nullptr), "rank >= 1"));
}

TEST(MatmulTest, IntegersAccumulateExactlyAndWrapOnStore) {
  // 100 + 100 = 200 wraps to -56 in i8 (the sum is exact before).
  EXPECT_TRUE(
      matches(matmul(i8({1, 2}, {100, 100}), i8({2, 1}, {1, 1}), nullptr),
              i8({1, 1}, {-56})));
  // Products exceed i8 but the int64 sum is exact: 10000 + 10000 - 10000 =
  // 10000, stored modulo 2^8 as 10000 - 39 * 256 = 16.
  EXPECT_TRUE(matches(matmul(i8({1, 3}, {100, 100, 100}),
                             i8({3, 1}, {100, 100, -100}), nullptr),
                      i8({1, 1}, {16})));
  // u8 activations with i8 weights: the result has a's type.
  Tensor u = Tensor::fromInts(DType::U8, {1, 1}, {200});
  EXPECT_TRUE(
      matches(matmul(u, i8({1, 1}, {-1}), nullptr), DType::U8, {1, 1}, {56}));
  EXPECT_TRUE(failsWith(matmul(f32({1, 1}, {1}), i8({1, 1}, {1}), nullptr),
                        "element types of a f32[1x1] and b i8[1x1] do not "
                        "match"));
}

TEST(MatmulTest, EmptyContractionGivesBias) {
  Tensor bias = f32({3}, {1, 2, 3});
  EXPECT_TRUE(matches(matmul(f32({2, 0}, {}), f32({0, 3}, {}), &bias),
                      f32({2, 3}, {1, 2, 3, 1, 2, 3})));
  EXPECT_TRUE(matches(
      matmul(f32({0, 2}, {}), f32({2, 3}, std::vector<double>(6, 1)), nullptr),
      DType::F32, {0, 3}, {}));
}

//===----------------------------------------------------------------------===//
// conv
//===----------------------------------------------------------------------===//

TEST(ConvTest, ValidTwoByTwoWindowSums) {
  Tensor x = iota({1, 1, 3, 3});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  // Windows of 0..8 as a 3x3 grid: 0+1+3+4, 1+2+4+5, 3+4+6+7, 4+5+7+8.
  EXPECT_TRUE(matches(conv(x, w, nullptr, conv2d()),
                      f32({1, 1, 2, 2}, {8, 12, 20, 24})));
}

TEST(ConvTest, AsymmetricPadding) {
  Tensor x = iota({1, 1, 3, 3});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  // One zero row on top, one zero column on the right:
  //   0 0 0 0          windows: 0+0+0+1  0+0+1+2  0+0+2+0
  //   0 1 2 0                   0+1+3+4  1+2+4+5  2+0+5+0
  //   3 4 5 0                   3+4+6+7  4+5+7+8  5+0+8+0
  //   6 7 8 0
  ConvParams p = convParams({1, 1}, {1, 1}, {1, 0}, {0, 1});
  EXPECT_TRUE(matches(conv(x, w, nullptr, p),
                      f32({1, 1, 3, 3}, {1, 3, 2, 8, 12, 7, 20, 24, 13})));
}

TEST(ConvTest, StrideWithPadding) {
  Tensor x = iota({1, 1, 4, 4});
  Tensor w = f32({1, 1, 3, 3}, std::vector<double>(9, 1));
  // Output (4 + 2 - 3) / 2 + 1 = 2; windows centred on (0,0), (0,2), (2,0),
  // (2,2): 0+1+4+5 = 10; 1+2+3+5+6+7 = 24; 4+5+8+9+12+13 = 51;
  // 5+6+7+9+10+11+13+14+15 = 90.
  ConvParams p = convParams({2, 2}, {1, 1}, {1, 1}, {1, 1});
  EXPECT_TRUE(
      matches(conv(x, w, nullptr, p), f32({1, 1, 2, 2}, {10, 24, 51, 90})));
}

TEST(ConvTest, Dilation) {
  Tensor x = iota({1, 1, 5, 5});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  // Taps at (i, j), (i, j+2), (i+2, j), (i+2, j+2) of x[i][j] = 5i + j:
  // sum = 20i + 4j + 24.
  ConvParams p = convParams({1, 1}, {2, 2}, {0, 0}, {0, 0});
  EXPECT_TRUE(matches(conv(x, w, nullptr, p),
                      f32({1, 1, 3, 3}, {24, 28, 32, 44, 48, 52, 64, 68, 72})));
}

TEST(ConvTest, GroupsSplitChannelsAndBiasIsPerOutputChannel) {
  Tensor x = f32({1, 4, 1, 1}, {1, 2, 3, 4});
  Tensor w = f32({2, 2, 1, 1}, {1, 10, 100, 1000});
  Tensor bias = f32({2}, {0.5, -0.5});
  // Group 0: 1*1 + 2*10 = 21; group 1: 3*100 + 4*1000 = 4300.
  ConvParams p = conv2d();
  p.group = 2;
  EXPECT_TRUE(matches(conv(x, w, &bias, p), f32({1, 2, 1, 1}, {21.5, 4299.5})));
}

TEST(ConvTest, DepthwiseOneD) {
  Tensor x = f32({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = f32({2, 1, 2}, {1, 1, 1, -1});
  // Channel 0: [1+2, 2+3]; channel 1: [4-5, 5-6].
  ConvParams p = convParams({1}, {1}, {0}, {0}, /*group=*/2);
  EXPECT_TRUE(matches(conv(x, w, nullptr, p), f32({1, 2, 2}, {3, 5, -1, -1})));
}

TEST(ConvTest, ThreeD) {
  Tensor w = f32({1, 1, 2, 2, 2}, std::vector<double>(8, 1));
  ConvParams p = convParams({1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0});
  // 0 + 1 + ... + 7 = 28.
  EXPECT_TRUE(matches(conv(iota({1, 1, 2, 2, 2}), w, nullptr, p),
                      f32({1, 1, 1, 1, 1}, {28})));
  // A 1x1x1 kernel of 2 with stride 2 samples the corners of 0..26 (3x3x3):
  // indices 0, 2, 6, 8, 18, 20, 24, 26.
  Tensor two = f32({1, 1, 1, 1, 1}, {2});
  p.strides = {2, 2, 2};
  EXPECT_TRUE(matches(conv(iota({1, 1, 3, 3, 3}), two, nullptr, p),
                      f32({1, 1, 2, 2, 2}, {0, 4, 12, 16, 36, 40, 48, 52})));
}

TEST(ConvTest, ChannelsLastIsChannelsFirstTransposed) {
  // x [N=2, C=6, H=7, W=6] with stride, dilation, asymmetric pads, groups.
  for (int64_t group : {1, 3, 6}) {
    Tensor x = pattern({2, 6, 7, 6}, 1);
    Tensor w = pattern({12, 6 / group, 3, 2}, 2);
    Tensor bias = pattern({12}, 3);
    ConvParams p = convParams({2, 1}, {1, 2}, {1, 0}, {2, 1}, group);
    Result<Tensor> first = conv(x, w, &bias, p);
    ASSERT_TRUE(first.ok()) << first.error();
    p.channelsLast = true;
    Tensor xl = *transpose(x, {0, 2, 3, 1});
    Tensor wl = *transpose(w, {0, 2, 3, 1});
    Result<Tensor> last = conv(xl, wl, &bias, p);
    EXPECT_TRUE(matches(last, *transpose(*first, {0, 2, 3, 1})))
        << "group " << group;
  }
}

TEST(ConvTest, IntegerConvWraps) {
  // 100 + 100 = 200 wraps to -56 in i8.
  ConvParams p = convParams({1}, {1}, {0}, {0});
  EXPECT_TRUE(matches(
      conv(i8({1, 1, 2}, {100, 100}), i8({1, 1, 2}, {1, 1}), nullptr, p),
      i8({1, 1, 1}, {-56})));
}

TEST(ConvTest, ZeroBatchAndZeroInputChannels) {
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  EXPECT_TRUE(matches(conv(f32({0, 1, 3, 3}, {}), w, nullptr, conv2d()),
                      DType::F32, {0, 1, 2, 2}, {}));
  // No input channels: the output is the bias.
  Tensor bias = f32({2}, {1, -1});
  EXPECT_TRUE(matches(
      conv(f32({1, 0, 2, 2}, {}), f32({2, 0, 1, 1}, {}), &bias, conv2d()),
      f32({1, 2, 2, 2}, {1, 1, 1, 1, -1, -1, -1, -1})));
}

TEST(ConvTest, RejectsBadOperandsAndParams) {
  Tensor x = iota({1, 4, 3, 3});
  Tensor w = f32({2, 4, 2, 2}, std::vector<double>(32, 1));
  EXPECT_TRUE(failsWith(conv(iota({4, 3}), w, nullptr, conv2d()),
                        "Conv: x must have rank >= 3"));
  EXPECT_TRUE(failsWith(conv(x, iota({2, 4, 2}), nullptr, conv2d()),
                        "w must have the rank of x (4)"));
  ConvParams p = conv2d();
  p.group = 3;
  EXPECT_TRUE(
      failsWith(conv(x, w, nullptr, p), "must be multiples of group (3)"));
  p.group = 2;
  EXPECT_TRUE(failsWith(conv(x, w, nullptr, p),
                        "must have 2 input channels (4 / group 2), got 4"));
  Tensor bias = f32({3}, {1, 2, 3});
  EXPECT_TRUE(failsWith(conv(x, w, &bias, conv2d()),
                        "bias must have shape [2] (the output channels), got "
                        "f32[3]"));
  p = conv2d();
  p.strides = {1};
  EXPECT_TRUE(failsWith(conv(x, w, nullptr, p),
                        "strides must have 2 entries (one per spatial dim), "
                        "got 1"));
  p = conv2d();
  p.strides = {0, 1};
  EXPECT_TRUE(failsWith(conv(x, w, nullptr, p), "strides[0] must be >= 1"));
  Tensor big = f32({1, 4, 4, 4}, std::vector<double>(64, 1));
  EXPECT_TRUE(failsWith(conv(x, big, nullptr, conv2d()),
                        "the dilated kernel (4) is larger than the padded "
                        "input (3)"));
  EXPECT_TRUE(failsWith(
      conv(x, i8({2, 4, 2, 2}, std::vector<int64_t>(32, 1)), nullptr, conv2d()),
      "element types of x f32[1x4x3x3] and w i8[2x4x2x2]"));
}

TEST(ConvTest, MalformedTensorsAreAnErrorNotACrash) {
  // A default-constructed tensor claims one f32 element but stores none.
  Tensor x = iota({1, 1, 3, 3}), w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor empty;
  EXPECT_TRUE(failsWith(conv(x, w, &empty, conv2d()),
                        "Conv: bias f32[scalar] is malformed: 0 stored "
                        "elements for 1"));
  Tensor edited = x;
  edited.floats().pop_back();
  EXPECT_TRUE(
      failsWith(conv(edited, w, nullptr, conv2d()),
                "x f32[1x1x3x3] is malformed: 8 stored elements for 9"));
  EXPECT_TRUE(failsWith(matmul(empty, w, nullptr), "MatMul: a"));
}

//===----------------------------------------------------------------------===//
// convTranspose
//===----------------------------------------------------------------------===//

ConvTransposeParams convT(Shape strides, Shape dilations, Shape padsBegin,
                          Shape padsEnd, Shape outputPadding,
                          int64_t group = 1) {
  ConvTransposeParams p;
  p.conv = convParams(std::move(strides), std::move(dilations),
                      std::move(padsBegin), std::move(padsEnd), group);
  p.outputPadding = std::move(outputPadding);
  return p;
}

TEST(ConvTransposeTest, OneDScattersEachInputOverTheKernel) {
  // [1, 2, 3] scattered with [1, 1, 1]: y[i + k] += x[i].
  EXPECT_TRUE(matches(convTranspose(f32({1, 1, 3}, {1, 2, 3}),
                                    f32({1, 1, 3}, {1, 1, 1}), nullptr,
                                    convT({1}, {1}, {0}, {0}, {0})),
                      f32({1, 1, 5}, {1, 3, 6, 5, 3})));
}

TEST(ConvTransposeTest, StrideSpreadsInputs) {
  // y[2i + k] += x[i] w[k]: [1*1, 1*10, 2*1, 2*10].
  EXPECT_TRUE(
      matches(convTranspose(f32({1, 1, 2}, {1, 2}), f32({1, 1, 2}, {1, 10}),
                            nullptr, convT({2}, {1}, {0}, {0}, {0})),
              f32({1, 1, 4}, {1, 10, 2, 20})));
}

TEST(ConvTransposeTest, OutputPaddingAndPads) {
  // Full output 2 * (2 - 1) + 1 + (3 - 1) + 1 = 6: x[0] = 1 on 0..2, x[1] = 2
  // on 2..4, position 5 only exists through outputPadding: [1 1 3 2 2 0].
  // padsBegin 1 drops the first: [1 3 2 2 0].
  EXPECT_TRUE(
      matches(convTranspose(f32({1, 1, 2}, {1, 2}), f32({1, 1, 3}, {1, 1, 1}),
                            nullptr, convT({2}, {1}, {1}, {0}, {1})),
              f32({1, 1, 5}, {1, 3, 2, 2, 0})));
}

TEST(ConvTransposeTest, NegativePadsGrowTheOutput) {
  // padsEnd -1 adds one position nothing reaches, like outputPadding 1
  // (ONNX's output_shape can ask for it): [1 1 3 2 2] + [0].
  Tensor x = f32({1, 1, 2}, {1, 2}), w = f32({1, 1, 3}, {1, 1, 1});
  Tensor expected = f32({1, 1, 6}, {1, 1, 3, 2, 2, 0});
  EXPECT_TRUE(matches(
      convTranspose(x, w, nullptr, convT({2}, {1}, {0}, {-1}, {0})), expected));
  EXPECT_TRUE(matches(
      convTranspose(x, w, nullptr, convT({2}, {1}, {0}, {0}, {1})), expected));
  // padsBegin -1 shifts everything right by one.
  EXPECT_TRUE(
      matches(convTranspose(x, w, nullptr, convT({2}, {1}, {-1}, {0}, {0})),
              f32({1, 1, 6}, {0, 1, 1, 3, 2, 2})));
}

TEST(ConvTransposeTest, Dilation) {
  // Taps 0 and 2: x[0] to 0 and 2, x[1] to 1 and 3.
  EXPECT_TRUE(
      matches(convTranspose(f32({1, 1, 2}, {1, 2}), f32({1, 1, 2}, {1, 1}),
                            nullptr, convT({1}, {2}, {0}, {0}, {0})),
              f32({1, 1, 4}, {1, 2, 1, 2})));
}

TEST(ConvTransposeTest, GroupsAndBias) {
  // Each input channel scales its own 2x2 kernel; w is [C=2, O/g=1, 2, 2].
  Tensor x = f32({1, 2, 1, 1}, {1, 2});
  Tensor w = f32({2, 1, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor bias = f32({2}, {1, -1});
  EXPECT_TRUE(
      matches(convTranspose(x, w, &bias,
                            convT({1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}, 2)),
              f32({1, 2, 2, 2}, {2, 3, 4, 5, 9, 11, 13, 15})));
}

TEST(ConvTransposeTest, SumsOverInputChannels) {
  // Two input channels into one output: y = 1*[1 1] shifted + 2*[1 -1].
  Tensor x = f32({1, 2, 1}, {1, 2});
  Tensor w = f32({2, 1, 2}, {1, 1, 1, -1});
  EXPECT_TRUE(
      matches(convTranspose(x, w, nullptr, convT({1}, {1}, {0}, {0}, {0})),
              f32({1, 1, 2}, {3, -1})));
}

TEST(ConvTransposeTest, ChannelsLastIsChannelsFirstTransposed) {
  for (int64_t group : {1, 2}) {
    Tensor x = pattern({2, 4, 3, 4}, 4);
    Tensor w = pattern({4, 6 / group, 3, 2}, 5); // [C, O/g, K...]
    Tensor bias = pattern({6}, 6);
    ConvTransposeParams p =
        convT({2, 3}, {1, 2}, {1, 0}, {0, 2}, {1, 2}, group);
    Result<Tensor> first = convTranspose(x, w, &bias, p);
    ASSERT_TRUE(first.ok()) << first.error();
    p.conv.channelsLast = true;
    Result<Tensor> last = convTranspose(*transpose(x, {0, 2, 3, 1}),
                                        *transpose(w, {0, 2, 3, 1}), &bias, p);
    EXPECT_TRUE(matches(last, *transpose(*first, {0, 2, 3, 1})))
        << "group " << group;
  }
}

TEST(ConvTransposeTest, RejectsBadParams) {
  Tensor x = f32({1, 1, 2}, {1, 2});
  Tensor w = f32({1, 1, 2}, {1, 1});
  EXPECT_TRUE(
      failsWith(convTranspose(x, w, nullptr, convT({1}, {1}, {0}, {0}, {})),
                "outputPadding must have 1 entries, got 0"));
  EXPECT_TRUE(failsWith(convTranspose(x, f32({2, 1, 2}, {1, 1, 1, 1}), nullptr,
                                      convT({1}, {1}, {0}, {0}, {0})),
                        "must have 1 input channels (those of x), got 2"));
  EXPECT_TRUE(
      failsWith(convTranspose(x, w, nullptr, convT({1}, {1}, {2}, {2}, {0})),
                "spatial dim 0 of the output would be -1"));
}

} // namespace
