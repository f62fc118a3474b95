//===- GpuCodeTest.cpp - The gpu-code section: round trips, damage, limits ===//
#include "tessel/Runtime/Container.h"
#include "tessel/Runtime/GpuCode.h"
#include "tessel/Runtime/Runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace tessel;
using namespace tessel::rt;

namespace {

const char *kPtx = "//\n.version 7.0\n.target sm_80\n.address_size 64\n"
                   ".visible .entry k0(.param .u64 .ptr .align 1 p0)\n{\n"
                   "ret;\n}\n";

GpuCode sampleCode() {
  GpuCode c;
  c.smVersion = 80;
  c.arenaBytes = 4096;
  c.modules = {{"tessel_kernels", kPtx}};
  c.kernels = {{0, "k0"}, {0, "k1"}};
  c.transfers = {{GpuTransfer::Direction::ToDevice, 0, 0, 64},
                 {GpuTransfer::Direction::ToHost, 64, 64, 128}};
  GpuLaunch a;
  a.kernel = 0;
  a.grid = {10, 2, 1};
  a.block = {256, 1, 1};
  a.label = "conv1";
  a.args = {{GpuArgKind::Arena, 0}, {GpuArgKind::Weights, 0}};
  GpuLaunch b;
  b.kernel = 1;
  b.grid = {1, 1, 1};
  b.block = {32, 4, 1};
  b.dynamicSharedBytes = 1024;
  b.args = {{GpuArgKind::Imm32, 7}, {GpuArgKind::Imm64, 1ull << 40}};
  c.launches = {a, b};
  return c;
}

TEST(GpuCode, RoundTrips) {
  GpuCode c = sampleCode();
  std::vector<uint8_t> bytes = encodeGpuCode(c);
  StatusOr<GpuCode> d = decodeGpuCode(bytes.data(), bytes.size());
  ASSERT_TRUE(d.isOk()) << d.message();
  EXPECT_EQ(d->smVersion, 80u);
  EXPECT_EQ(d->arenaBytes, 4096u);
  ASSERT_EQ(d->modules.size(), 1u);
  EXPECT_EQ(d->modules[0].ptx, kPtx);
  ASSERT_EQ(d->kernels.size(), 2u);
  EXPECT_EQ(d->kernels[1].name, "k1");
  ASSERT_EQ(d->transfers.size(), 2u);
  EXPECT_EQ(d->transfers[1].direction, GpuTransfer::Direction::ToHost);
  EXPECT_EQ(d->transfers[1].bytes, 128u);
  ASSERT_EQ(d->launches.size(), 2u);
  EXPECT_EQ(d->launches[0].grid[0], 10u);
  EXPECT_EQ(d->launches[0].label, "conv1");
  EXPECT_EQ(d->launches[1].block[1], 4u);
  EXPECT_EQ(d->launches[1].dynamicSharedBytes, 1024u);
  EXPECT_EQ(d->launches[1].args[1].kind, GpuArgKind::Imm64);
  EXPECT_EQ(d->launches[1].args[1].value, 1ull << 40);
  EXPECT_TRUE(validateGpuCode(*d, 100, 256).isOk());
  // Byte for byte the same when written again.
  EXPECT_EQ(encodeGpuCode(*d), bytes);
}

TEST(GpuCode, RoundTripsThroughTheContainer) {
  ModelBinary m;
  m.target = TargetKind::Gpu;
  m.producer = "test";
  TensorDesc x;
  x.name = "x";
  x.dims = {16};
  x.offset = 0;
  TensorDesc y = x;
  y.name = "y";
  y.role = TensorDesc::Role::Output;
  y.offset = 64;
  m.tensors = {x, y};
  m.weights.assign(100, 3);
  m.plan.arenaSize = 256;
  m.plan.weightsOffset = 128;
  m.plan.steps = {PlanStep::host(0, {128, 128, 100}, "gpu")};
  RawSection s;
  s.type = static_cast<uint32_t>(SectionType::GpuCode);
  s.flags = kSectionRequired;
  s.bytes = encodeGpuCode(sampleCode());
  m.extraSections.push_back(s);
  StatusOr<std::vector<uint8_t>> file = writeBinary(m);
  ASSERT_TRUE(file.isOk()) << file.message();
  StatusOr<LoadedBinary> b = readBinary(file->data(), file->size());
  ASSERT_TRUE(b.isOk()) << b.message();
  ASSERT_EQ(b->unknownSections.size(), 1u);
  EXPECT_EQ(b->unknownSections[0].bytes, s.bytes);
  EXPECT_EQ(b->model.target, TargetKind::Gpu);
}

TEST(GpuCode, EveryTruncationFailsCleanly) {
  std::vector<uint8_t> bytes = encodeGpuCode(sampleCode());
  for (size_t n = 0; n < bytes.size(); ++n) {
    StatusOr<GpuCode> d = decodeGpuCode(bytes.data(), n);
    EXPECT_FALSE(d.isOk()) << "a prefix of " << n << " bytes decoded";
  }
  bytes.push_back(0);
  StatusOr<GpuCode> d = decodeGpuCode(bytes.data(), bytes.size());
  ASSERT_FALSE(d.isOk());
  EXPECT_NE(d.message().find("trailing"), std::string::npos) << d.message();
}

TEST(GpuCode, RandomDamageNeverCrashes) {
  std::vector<uint8_t> good = encodeGpuCode(sampleCode());
  std::mt19937 rng(7);
  for (int i = 0; i < 4000; ++i) {
    std::vector<uint8_t> bytes = good;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e)
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    StatusOr<GpuCode> d = decodeGpuCode(bytes.data(), bytes.size());
    if (d.isOk())
      (void)validateGpuCode(*d, 100, 256);
  }
}

TEST(GpuCode, BadMagicAndVersion) {
  std::vector<uint8_t> bytes = encodeGpuCode(sampleCode());
  bytes[0] ^= 1;
  StatusOr<GpuCode> d = decodeGpuCode(bytes.data(), bytes.size());
  ASSERT_FALSE(d.isOk());
  EXPECT_NE(d.message().find("not Tessel GPU code"), std::string::npos);
  bytes[0] ^= 1;
  bytes[4] = 2;
  d = decodeGpuCode(bytes.data(), bytes.size());
  ASSERT_FALSE(d.isOk());
  EXPECT_EQ(d.status().kind(), ErrorKind::Version);
}

/// The message of validating `c` with one launch changed by `edit`.
std::string launchError(void (*edit)(GpuLaunch &)) {
  GpuCode c = sampleCode();
  edit(c.launches[0]);
  Status s = validateGpuCode(c, 100, 256);
  return s.isOk() ? "" : s.message();
}

TEST(GpuCode, LaunchConfigsAreValidated) {
  EXPECT_NE(launchError([](GpuLaunch &l) { l.grid[0] = 0; })
                .find("grid dimension x = 0"),
            std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) { l.grid[1] = 70000; })
                .find("grid dimension y = 70000"),
            std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) { l.block[2] = 65; })
                .find("block dimension z = 65"),
            std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) { l.block = {64, 32, 1}; })
                .find("2048 threads per block"),
            std::string::npos);
  EXPECT_NE(
      launchError([](GpuLaunch &l) { l.dynamicSharedBytes = 300 * 1024; })
          .find("dynamic shared memory"),
      std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) { l.kernel = 9; })
                .find("names kernel 9"),
            std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) {
              l.args[0] = {GpuArgKind::Arena, 4096};
            }).find("outside the device arena"),
            std::string::npos);
  EXPECT_NE(launchError([](GpuLaunch &l) {
              l.args[1] = {GpuArgKind::Weights, 100};
            }).find("outside the weights"),
            std::string::npos);
  // The label names the launch in the message.
  EXPECT_NE(launchError([](GpuLaunch &l) { l.grid[0] = 0; })
                .find("launch 0 ('conv1')"),
            std::string::npos);
}

TEST(GpuCode, TransfersAndKernelsAreValidated) {
  GpuCode c = sampleCode();
  c.transfers[0].bytes = 300; // Beyond the 256 host bytes.
  EXPECT_FALSE(validateGpuCode(c, 100, 256).isOk());
  c = sampleCode();
  c.transfers[1].deviceOffset = 4000; // Beyond the device arena.
  EXPECT_FALSE(validateGpuCode(c, 100, 256).isOk());
  c = sampleCode();
  c.kernels[0].module = 3;
  Status s = validateGpuCode(c, 100, 256);
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("names module 3"), std::string::npos);
}

} // namespace
