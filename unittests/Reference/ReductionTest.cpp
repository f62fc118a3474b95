//===- ReductionTest.cpp - reduce, argReduce ------------------------------===//
#include "RefTestUtils.h"

#include <cmath>
#include <limits>

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const Tensor &x23() {
  static const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  return x;
}

TEST(ReduceTest, SumOverEachAxisAndKeepDims) {
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Sum, x23(), {1}, false), f32({2}, {6, 15})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Sum, x23(), {1}, true), f32({2, 1}, {6, 15})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Sum, x23(), {0}, false), f32({3}, {5, 7, 9})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Sum, x23(), {0, 1}, false), f32({}, {21})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Sum, x23(), {0, 1}, true), f32({1, 1}, {21})));
}

TEST(ReduceTest, EveryKind) {
  Tensor x = f64({2, 2}, {-3, 4, 1, 2});
  auto rows = [&](ReduceKind k) { return reduce(k, x, {1}, false); };
  EXPECT_TRUE(matches(rows(ReduceKind::Mean), f64({2}, {0.5, 1.5})));
  EXPECT_TRUE(matches(rows(ReduceKind::Max), f64({2}, {4, 2})));
  EXPECT_TRUE(matches(rows(ReduceKind::Min), f64({2}, {-3, 1})));
  EXPECT_TRUE(matches(rows(ReduceKind::Prod), f64({2}, {-12, 2})));
  EXPECT_TRUE(matches(rows(ReduceKind::L1), f64({2}, {7, 3})));
  // sqrt(9 + 16) = 5, sqrt(1 + 4).
  EXPECT_TRUE(matches(rows(ReduceKind::L2), f64({2}, {5, std::sqrt(5.0)})));
  EXPECT_TRUE(matches(rows(ReduceKind::SumSquare), f64({2}, {25, 5})));
  // log(e^-3 + e^4), log(e + e^2).
  EXPECT_TRUE(matches(rows(ReduceKind::LogSumExp),
                      f64({2}, {std::log(std::exp(-3.0) + std::exp(4.0)),
                                std::log(std::exp(1.0) + std::exp(2.0))}),
                      1e-14));
}

TEST(ReduceTest, LogSumExpOfLargeInputsDoesNotOverflow) {
  // log(2 e^1000) = 1000 + log 2.
  EXPECT_TRUE(
      matches(reduce(ReduceKind::LogSumExp, f64({2}, {1000, 1000}), {0}, false),
              f64({}, {1000 + std::log(2.0)}), 1e-12));
}

TEST(ReduceTest, EmptyAxesReduceEachElementAlone) {
  // noop_with_empty_axes: the shape is unchanged; L1 and L2 still take |x|
  // and SumSquare still squares (as ONNX's reference evaluator does).
  Tensor x = f32({2}, {-2, 3});
  EXPECT_TRUE(matches(reduce(ReduceKind::Sum, x, {}, false), x));
  EXPECT_TRUE(matches(reduce(ReduceKind::Mean, x, {}, true), x));
  EXPECT_TRUE(matches(reduce(ReduceKind::Max, x, {}, false), x));
  EXPECT_TRUE(matches(reduce(ReduceKind::L1, x, {}, false), f32({2}, {2, 3})));
  EXPECT_TRUE(matches(reduce(ReduceKind::L2, x, {}, false), f32({2}, {2, 3})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::SumSquare, x, {}, false), f32({2}, {4, 9})));
  EXPECT_TRUE(matches(reduce(ReduceKind::LogSumExp, x, {}, false), x, 1e-6));
}

TEST(ReduceTest, EmptySetsGiveTheIdentities) {
  Tensor x = f32({2, 0}, {});
  auto rows = [&](ReduceKind k) { return reduce(k, x, {1}, false); };
  EXPECT_TRUE(matches(rows(ReduceKind::Sum), f32({2}, {0, 0})));
  EXPECT_TRUE(matches(rows(ReduceKind::Prod), f32({2}, {1, 1})));
  EXPECT_TRUE(matches(rows(ReduceKind::Max), f32({2}, {-kInf, -kInf})));
  EXPECT_TRUE(matches(rows(ReduceKind::Min), f32({2}, {kInf, kInf})));
  EXPECT_TRUE(matches(rows(ReduceKind::LogSumExp), f32({2}, {-kInf, -kInf})));
  EXPECT_TRUE(matches(rows(ReduceKind::Mean), f32({2}, {kNaN, kNaN})));
  // Integers: the type's bounds, and no mean.
  Tensor xi = i8({2, 0}, {});
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Max, xi, {1}, false), i8({2}, {-128, -128})));
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Min, xi, {1}, false), i8({2}, {127, 127})));
  EXPECT_TRUE(failsWith(reduce(ReduceKind::Mean, xi, {1}, false),
                        "integer mean over an empty set"));
  // Reducing the non-empty dim of an empty tensor gives an empty result.
  EXPECT_TRUE(
      matches(reduce(ReduceKind::Mean, xi, {0}, false), DType::I8, {0}, {}));
}

TEST(ReduceTest, MaxAndMinPropagateNaN) {
  Tensor x = f32({3}, {1, kNaN, 3});
  EXPECT_TRUE(matches(reduce(ReduceKind::Max, x, {0}, false), f32({}, {kNaN})));
  EXPECT_TRUE(matches(reduce(ReduceKind::Min, x, {0}, false), f32({}, {kNaN})));
}

TEST(ReduceTest, IntegerSumWrapsAndMeanTruncates) {
  EXPECT_TRUE(matches(reduce(ReduceKind::Sum, i8({2}, {100, 100}), {0}, false),
                      i8({}, {-56})));
  // -7 / 2 = -3.5 truncates to -3; the sum is exact before the division.
  EXPECT_TRUE(matches(reduce(ReduceKind::Mean, i32({2}, {-3, -4}), {0}, false),
                      i32({}, {-3})));
  EXPECT_TRUE(matches(reduce(ReduceKind::Mean, i8({2}, {100, 100}), {0}, false),
                      i8({}, {100})));
  // 16 * 16 = 256 wraps to 0 in i8.
  EXPECT_TRUE(matches(reduce(ReduceKind::Prod, i8({2}, {16, 16}), {0}, false),
                      i8({}, {0})));
  EXPECT_TRUE(matches(reduce(ReduceKind::L1, i32({2}, {-3, 4}), {0}, false),
                      i32({}, {7})));
}

TEST(ReduceTest, RejectsBadAxesAndTypes) {
  EXPECT_TRUE(failsWith(reduce(ReduceKind::Sum, x23(), {1, 0}, false),
                        "axes must be sorted and unique"));
  EXPECT_TRUE(failsWith(reduce(ReduceKind::Sum, x23(), {1, 1}, false),
                        "axes must be sorted and unique"));
  EXPECT_TRUE(failsWith(reduce(ReduceKind::Sum, x23(), {2}, false),
                        "ReduceSum: axis 2 is out of range for x f32[2x3]"));
  EXPECT_TRUE(failsWith(reduce(ReduceKind::L2, i32({1}, {1}), {0}, false),
                        "ReduceL2: unsupported element type i32"));
  EXPECT_TRUE(failsWith(reduce(ReduceKind::Sum, boolean({1}, {1}), {0}, false),
                        "unsupported element type bool"));
}

TEST(ArgReduceTest, TiesPickTheFirstOrTheLastIndex) {
  Tensor x = f32({2, 3}, {1, 3, 3, 5, 2, 5});
  EXPECT_TRUE(matches(argReduce(true, x, 1, false, false), i64({2}, {1, 0})));
  EXPECT_TRUE(matches(argReduce(true, x, 1, false, true), i64({2}, {2, 2})));
  EXPECT_TRUE(
      matches(argReduce(false, x, 1, true, false), i64({2, 1}, {0, 1})));
  EXPECT_TRUE(
      matches(argReduce(true, x, 0, false, false), i64({3}, {1, 0, 1})));
  EXPECT_TRUE(matches(argReduce(true, i8({3}, {-1, 7, 7}), 0, true, true),
                      i64({1}, {2})));
}

TEST(ArgReduceTest, NaNIsTheExtreme) {
  // As numpy: the first NaN wins argmax and argmin.
  Tensor x = f32({3}, {1, kNaN, 3});
  EXPECT_TRUE(matches(argReduce(true, x, 0, false, false), i64({}, {1})));
  EXPECT_TRUE(matches(argReduce(false, x, 0, false, false), i64({}, {1})));
}

TEST(ArgReduceTest, RejectsEmptyAxisAndBadAxis) {
  EXPECT_TRUE(failsWith(argReduce(true, f32({2, 0}, {}), 1, false, false),
                        "ArgMax: axis 1 of x f32[2x0] is empty"));
  EXPECT_TRUE(matches(argReduce(true, f32({0, 3}, {}), 1, false, false),
                      DType::I64, {0}, {}));
  EXPECT_TRUE(failsWith(argReduce(false, x23(), 2, false, false),
                        "ArgMin: axis 2 is out of range"));
}

} // namespace

TEST(ReduceTest, BoolMaxIsAnyAndMinIsAll) {
  Tensor x = Tensor::fromInts(DType::Bool, {2, 2}, {1, 0, 0, 0});
  Result<Tensor> mx = reduce(ReduceKind::Max, x, {1}, false);
  Result<Tensor> mn = reduce(ReduceKind::Min, x, {1}, false);
  ASSERT_TRUE(mx.ok()) << mx.error();
  ASSERT_TRUE(mn.ok()) << mn.error();
  EXPECT_EQ(mx->dtype(), DType::Bool);
  EXPECT_EQ(mx->ints(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(mn->ints(), (std::vector<int64_t>{0, 0}));
  // Over an empty set, any() is false and all() is true.
  Tensor empty(DType::Bool, {2, 0});
  EXPECT_EQ(reduce(ReduceKind::Max, empty, {1}, false)->ints(),
            (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(reduce(ReduceKind::Min, empty, {1}, false)->ints(),
            (std::vector<int64_t>{1, 1}));
  EXPECT_FALSE(reduce(ReduceKind::Sum, x, {1}, false).ok());
}
