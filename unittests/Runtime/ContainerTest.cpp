//===- ContainerTest.cpp - The .tsl format: round trips and damaged files -===//
#include "tessel/Runtime/Container.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace tessel;
using namespace tessel::rt;

namespace {

ModelBinary sampleModel() {
  ModelBinary m;
  m.target = TargetKind::Npu;
  m.chip = "mobile-m";
  m.chipFingerprint = 0x1234abcd5678ef90ull;
  m.producer = "test 1.0";
  m.options = {{"batch", "1"}, {"cores", "1"}};
  m.metadata = {{"model.name", "tiny"}};
  TensorDesc in;
  in.name = "x";
  in.role = TensorDesc::Role::Input;
  in.dtype = ElemType::I8;
  in.dims = {1, 4, 4, 8};
  in.layout = "NHWC";
  in.hasQuant = true;
  in.scale = 0.25;
  in.zeroPoint = -3;
  in.offset = 0;
  TensorDesc out = in;
  out.name = "y";
  out.role = TensorDesc::Role::Output;
  out.hasQuant = false;
  out.offset = 0x400;
  m.tensors = {in, out};
  m.weights.assign(300, 7);
  m.weights[5] = 1;
  m.plan.arenaSize = 0x1000;
  m.plan.weightsOffset = 0x800;
  npu::ProgramBuilder b;
  b.beginLayer(0, "copy");
  npu::DmaInstr d;
  d.dir = npu::DmaDir::Ddr;
  d.src = {0};
  d.dst = {0x400};
  d.cols = 128;
  EXPECT_TRUE(b.emit(0, d).isOk());
  EXPECT_TRUE(b.emit(0, npu::EndInstr{}).isOk());
  m.npuPrograms.push_back(b.take());
  m.plan.steps = {PlanStep::npu(0, "conv"),
                  PlanStep::host(3, {0x400, 16}, "softmax")};
  return m;
}

std::vector<uint8_t> sampleFile() {
  StatusOr<std::vector<uint8_t>> f = writeBinary(sampleModel());
  EXPECT_TRUE(f.isOk()) << f.message();
  return f.take();
}

/// Re-seals the header after a deliberate edit (so the edit is what the
/// reader sees, not the checksum).
void resealHeader(std::vector<uint8_t> &f) {
  uint32_t crc = crc32(f.data(), 60);
  std::memcpy(&f[60], &crc, 4);
}

} // namespace

TEST(ContainerTest, RoundTripsEveryField) {
  std::vector<uint8_t> f = sampleFile();
  EXPECT_EQ(f.size() % kSectionAlign, 0u);
  StatusOr<LoadedBinary> b = readBinary(f.data(), f.size());
  ASSERT_TRUE(b.isOk()) << b.message();
  const ModelBinary &m = b->model;
  ModelBinary want = sampleModel();
  EXPECT_EQ(b->versionMajor, kFormatMajor);
  EXPECT_EQ(m.target, TargetKind::Npu);
  EXPECT_EQ(m.chip, "mobile-m");
  EXPECT_EQ(m.chipFingerprint, want.chipFingerprint);
  EXPECT_EQ(m.producer, "test 1.0");
  EXPECT_EQ(m.options, want.options);
  EXPECT_EQ(m.metadata, want.metadata);
  ASSERT_EQ(m.tensors.size(), 2u);
  EXPECT_EQ(m.tensors[0].name, "x");
  EXPECT_EQ(m.tensors[0].dims, (std::vector<int64_t>{1, 4, 4, 8}));
  EXPECT_EQ(m.tensors[0].layout, "NHWC");
  EXPECT_TRUE(m.tensors[0].hasQuant);
  EXPECT_EQ(m.tensors[0].scale, 0.25);
  EXPECT_EQ(m.tensors[0].zeroPoint, -3);
  EXPECT_EQ(m.tensors[1].offset, 0x400u);
  ASSERT_EQ(b->weightsSize, 300u);
  EXPECT_EQ(b->weightsData[5], 1);
  // The weights are 64-byte aligned inside the file, for mmap.
  EXPECT_EQ((b->weightsData - f.data()) % 64, 0);
  EXPECT_EQ(m.plan.arenaSize, 0x1000u);
  EXPECT_EQ(m.plan.weightsOffset, 0x800u);
  ASSERT_EQ(m.plan.steps.size(), 2u);
  EXPECT_EQ(m.plan.steps[1].kind, PlanStep::Kind::Host);
  EXPECT_EQ(m.plan.steps[1].function, 3u);
  EXPECT_EQ(m.plan.steps[1].args, (std::vector<uint64_t>{0x400, 16}));
  EXPECT_EQ(m.plan.steps[1].name, "softmax");
  ASSERT_EQ(m.npuPrograms.size(), 1u);
  EXPECT_EQ(m.npuPrograms[0].streams, want.npuPrograms[0].streams);
  EXPECT_EQ(m.npuPrograms[0].layerNames, std::vector<std::string>{"copy"});
  ASSERT_NE(b->meta("option.cores"), nullptr);
  EXPECT_EQ(*b->meta("option.cores"), "1");
  EXPECT_EQ(*b->meta("model.name"), "tiny");
}

TEST(ContainerTest, DamagedHeadersGiveClearErrors) {
  std::vector<uint8_t> f = sampleFile();
  auto err = [](const std::vector<uint8_t> &b) {
    StatusOr<LoadedBinary> r = readBinary(b.data(), b.size());
    EXPECT_FALSE(r.isOk());
    return r.isOk() ? std::string() : r.message();
  };
  std::vector<uint8_t> g = f;
  g[1] = 'X';
  EXPECT_EQ(err(g), "not a Tessel binary (bad magic number)");
  g = f;
  g[20] ^= 1;
  EXPECT_EQ(err(g), "corrupt header: checksum mismatch");
  g = f;
  uint16_t v = 2;
  std::memcpy(&g[8], &v, 2);
  resealHeader(g);
  StatusOr<LoadedBinary> r = readBinary(g.data(), g.size());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), "unsupported format version 2.0 (this runtime reads "
                         "version 1.x)");
  EXPECT_EQ(r.status().kind(), ErrorKind::Version);
  g.assign(f.begin(), f.begin() + static_cast<long>(f.size() - 64));
  EXPECT_EQ(err(g), "truncated or padded file: the header says " +
                        std::to_string(f.size()) + " bytes, the file has " +
                        std::to_string(f.size() - 64));
  g.assign(f.begin(), f.begin() + 40);
  EXPECT_EQ(err(g), "truncated file: 40 bytes, shorter than the 64-byte "
                    "header");
}

TEST(ContainerTest, CorruptSectionsAreNamed) {
  std::vector<uint8_t> f = sampleFile();
  StatusOr<LoadedBinary> b = readBinary(f.data(), f.size());
  ASSERT_TRUE(b.isOk());
  size_t w = static_cast<size_t>(b->weightsData - f.data());
  std::vector<uint8_t> g = f;
  g[w + 10] ^= 0x40;
  StatusOr<LoadedBinary> r = readBinary(g.data(), g.size());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), "section 4 (weights) is corrupt: checksum mismatch");
  EXPECT_EQ(r.status().kind(), ErrorKind::Format);
}

TEST(ContainerTest, UnknownSectionsAreSkippedUnlessRequired) {
  ModelBinary m = sampleModel();
  m.extraSections.push_back({100, 0, 0, {1, 2, 3}});
  StatusOr<std::vector<uint8_t>> f = writeBinary(m);
  ASSERT_TRUE(f.isOk());
  StatusOr<LoadedBinary> b = readBinary(f->data(), f->size());
  ASSERT_TRUE(b.isOk()) << b.message();
  ASSERT_EQ(b->unknownSections.size(), 1u);
  EXPECT_EQ(b->unknownSections[0].bytes, (std::vector<uint8_t>{1, 2, 3}));
  m.extraSections[0].flags = kSectionRequired;
  f = writeBinary(m);
  ASSERT_TRUE(f.isOk());
  b = readBinary(f->data(), f->size());
  ASSERT_FALSE(b.isOk());
  EXPECT_EQ(b.message(), "the file needs section type 100 (unknown), which "
                         "this runtime does not know; it was written by a "
                         "newer or different Tessel");
}

TEST(ContainerTest, WriterRejectsInconsistentModels) {
  auto err = [](const ModelBinary &m) {
    StatusOr<std::vector<uint8_t>> f = writeBinary(m);
    EXPECT_FALSE(f.isOk());
    return f.isOk() ? std::string() : f.message();
  };
  ModelBinary m = sampleModel();
  m.tensors[1].offset = 0xff0;
  EXPECT_EQ(err(m), "tensor 'y' [0xff0, +128) does not fit the arena of 4096 "
                    "bytes");
  m = sampleModel();
  m.tensors[0].offset = 0x7c0;
  EXPECT_EQ(err(m), "tensor 'x' overlaps the weights");
  m = sampleModel();
  m.plan.steps[0].program = 4;
  EXPECT_EQ(err(m), "step 0 ('conv') runs NPU program 4, but the binary has 1");
  m = sampleModel();
  m.chip.clear();
  EXPECT_EQ(err(m), "an NPU binary must name its chip");
}

TEST(ContainerTest, EveryTruncationAndByteFlipFailsCleanly) {
  std::vector<uint8_t> f = sampleFile();
  // Every truncation is refused.
  for (size_t n = 0; n < f.size(); ++n) {
    StatusOr<LoadedBinary> r = readBinary(f.data(), n);
    ASSERT_FALSE(r.isOk()) << n;
  }
  // Every single-bit flip is caught (by a checksum or a check), except in
  // alignment padding, which no checksum covers and nothing reads.
  StatusOr<LoadedBinary> good = readBinary(f.data(), f.size());
  ASSERT_TRUE(good.isOk());
  for (size_t i = 0; i < f.size(); ++i) {
    std::vector<uint8_t> g = f;
    g[i] ^= static_cast<uint8_t>(1u << (i % 8));
    StatusOr<LoadedBinary> r = readBinary(g.data(), g.size());
    if (r.isOk()) {
      // Accepted: the flipped byte must be padding, and nothing changed.
      ASSERT_EQ(r->model.tensors.size(), 2u) << i;
      ASSERT_EQ(r->weightsSize, 300u) << i;
    }
  }
}

TEST(ContainerTest, RandomBytesNeverCrashTheReader) {
  std::vector<uint8_t> f = sampleFile();
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> g = f;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e)
      g[rng() % g.size()] = static_cast<uint8_t>(rng());
    if (trial % 3 == 0) {
      // Keep the checksums valid, so the parsers see the damage.
      uint64_t tableOffset;
      uint32_t count;
      std::memcpy(&tableOffset, &g[24], 8);
      std::memcpy(&count, &g[32], 4);
      if (tableOffset == kHeaderBytes && count < 16) {
        for (uint32_t s = 0; s < count; ++s) {
          size_t e = kHeaderBytes + s * kSectionEntryBytes;
          uint64_t off, size;
          std::memcpy(&off, &g[e + 16], 8);
          std::memcpy(&size, &g[e + 24], 8);
          if (off <= g.size() && size <= g.size() - off) {
            uint32_t crc = crc32(&g[off], size);
            std::memcpy(&g[e + 32], &crc, 4);
          }
        }
        uint32_t crc = crc32(&g[kHeaderBytes], count * kSectionEntryBytes);
        std::memcpy(&g[44], &crc, 4);
      }
      resealHeader(g);
    }
    StatusOr<LoadedBinary> r = readBinary(g.data(), g.size());
    (void)r; // Either outcome is fine; it must not crash.
  }
  // Pure noise.
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<uint8_t> g(rng() % 512);
    for (auto &b : g)
      b = static_cast<uint8_t>(rng());
    if (g.size() >= 8 && trial % 2)
      std::memcpy(g.data(), kMagic, 8);
    EXPECT_FALSE(readBinary(g.data(), g.size()).isOk());
  }
}
