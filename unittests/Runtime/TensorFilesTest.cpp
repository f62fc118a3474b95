//===- TensorFilesTest.cpp - .npy, TensorProto and comparisons ------------===//
#include "tessel/Runtime/TensorFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace tessel;
using namespace tessel::rt;

namespace {

HostTensor floats(std::vector<int64_t> dims, std::vector<float> v) {
  HostTensor t;
  t.dtype = ElemType::F32;
  t.dims = std::move(dims);
  t.data.resize(v.size() * 4);
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

/// Protobuf wire-format helpers for hand-made TensorProtos.
void varint(std::vector<uint8_t> &b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
}
void key(std::vector<uint8_t> &b, uint32_t field, uint32_t wire) {
  varint(b, (field << 3) | wire);
}
void bytesField(std::vector<uint8_t> &b, uint32_t field,
                const std::vector<uint8_t> &v) {
  key(b, field, 2);
  varint(b, v.size());
  b.insert(b.end(), v.begin(), v.end());
}

} // namespace

TEST(TensorFilesTest, NpyRoundTripsAndReadsNumpyHeaders) {
  HostTensor t = floats({2, 3}, {1, 2, 3, 4, 5, -6.5f});
  std::vector<uint8_t> b = encodeNpy(t);
  EXPECT_EQ((b.size() - 24) % 64, 0u); // Data starts at a multiple of 64.
  StatusOr<HostTensor> r = parseNpy(b.data(), b.size());
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->dims, t.dims);
  EXPECT_EQ(r->data, t.data);
  // A header exactly as numpy 2 writes it for an int8 vector.
  std::string h = "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }";
  h.append(118 - h.size() - 10 - 1 + 10, ' ');
  h += '\n';
  std::vector<uint8_t> n = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(h.size()), 0};
  n.insert(n.end(), h.begin(), h.end());
  n.insert(n.end(), {0xff, 0x01, 0x80});
  r = parseNpy(n.data(), n.size());
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->dtype, ElemType::I8);
  EXPECT_EQ(r->at(0), -1);
  EXPECT_EQ(r->at(2), -128);
}

TEST(TensorFilesTest, NpyErrorsAreClear) {
  HostTensor t = floats({4}, {1, 2, 3, 4});
  std::vector<uint8_t> b = encodeNpy(t);
  b.pop_back();
  StatusOr<HostTensor> r = parseNpy(b.data(), b.size());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), ".npy: the shape needs 16 bytes of data, the file "
                         "has 15");
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  std::string h = "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }";
  s += static_cast<char>(h.size());
  s += '\0';
  s += h;
  s.append(4, '\0');
  r = parseNpy(reinterpret_cast<const uint8_t *>(s.data()), s.size());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), "big-endian .npy data ('>f4') is not supported; "
                         "save it little-endian");
}

TEST(TensorFilesTest, TensorProtoFieldsAreDecodedByHand) {
  // dims [2, 2] (unpacked), data_type INT8 (3), int32_data packed, name.
  std::vector<uint8_t> b;
  key(b, 1, 0);
  varint(b, 2);
  key(b, 1, 0);
  varint(b, 2);
  key(b, 2, 0);
  varint(b, 3);
  std::vector<uint8_t> packed;
  for (int64_t v : {-1, 2, -128, 127})
    varint(packed, static_cast<uint64_t>(v));
  bytesField(b, 5, packed);
  bytesField(b, 8, {'i', 'n', '0'});
  key(b, 12, 2); // doc_string: skipped.
  varint(b, 1);
  b.push_back('z');
  StatusOr<HostTensor> r = parseTensorProto(b.data(), b.size());
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->name, "in0");
  EXPECT_EQ(r->dtype, ElemType::I8);
  EXPECT_EQ(r->dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r->at(0), -1);
  EXPECT_EQ(r->at(2), -128);
  EXPECT_EQ(r->at(3), 127);

  // FLOAT with raw_data and packed dims.
  std::vector<uint8_t> f;
  std::vector<uint8_t> dims;
  varint(dims, 3);
  bytesField(f, 1, dims);
  key(f, 2, 0);
  varint(f, 1);
  std::vector<uint8_t> raw(12);
  float vals[3] = {0.5f, -2.0f, 1e10f};
  std::memcpy(raw.data(), vals, 12);
  bytesField(f, 9, raw);
  r = parseTensorProto(f.data(), f.size());
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->at(1), -2.0);

  // float_data, unpacked (wire type 5).
  std::vector<uint8_t> g;
  key(g, 1, 0);
  varint(g, 2);
  key(g, 2, 0);
  varint(g, 1);
  for (float v : {1.5f, 2.5f}) {
    key(g, 4, 5);
    uint8_t bytes[4];
    std::memcpy(bytes, &v, 4);
    g.insert(g.end(), bytes, bytes + 4);
  }
  r = parseTensorProto(g.data(), g.size());
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->at(1), 2.5);

  // Truncated and wrong-count protos fail cleanly.
  g.pop_back();
  EXPECT_FALSE(parseTensorProto(g.data(), g.size()).isOk());
  std::vector<uint8_t> few;
  key(few, 1, 0);
  varint(few, 3);
  key(few, 2, 0);
  varint(few, 7);
  key(few, 7, 0);
  varint(few, 5);
  r = parseTensorProto(few.data(), few.size());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), "TensorProto holds 1 values, its shape needs 3");
}

TEST(TensorFilesTest, ComparisonsReportTheFirstMismatch) {
  HostTensor a = floats({2, 2}, {1, 2, 3, 4});
  HostTensor b = floats({2, 2}, {1, 2, 3.5f, 4});
  Comparison c = compareTensors(a, b, 0, 0);
  EXPECT_FALSE(c.match);
  EXPECT_EQ(c.mismatches, 1u);
  EXPECT_EQ(c.firstMismatch, 2);
  EXPECT_EQ(indexString(a.dims, 2), "[1, 0]");
  EXPECT_EQ(c.maxAbsError, 0.5);
  EXPECT_TRUE(compareTensors(a, b, 0, 0.5).match);
  EXPECT_TRUE(compareTensors(a, b, 0.15, 0).match);
  HostTensor n = floats({1}, {NAN}), n2 = floats({1}, {NAN});
  EXPECT_TRUE(compareTensors(n, n2, 0, 0).match);
  HostTensor s = floats({4}, {1, 2, 3, 4});
  EXPECT_EQ(compareTensors(a, s, 0, 0).problem,
            "shape 2x2 does not match the expected 4");
}
