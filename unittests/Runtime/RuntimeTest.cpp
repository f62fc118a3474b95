//===- RuntimeTest.cpp - The C API: load, query, run, threads, errors -----===//
//
// These tests link libtessel_runtime.so and use only tessel_runtime.h for
// running models, as applications do.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/Runtime.h"
#include "tessel/Runtime/Container.h"
#include "tessel/Runtime/tessel_runtime.h"

#include "../NPU/ConvDemoData.h"
#include "tessel/Target/NPU/Chip.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

using namespace tessel;
using namespace tessel::rt;
using namespace tessel::convdemo;

namespace {

/// The conv demo as a deployable binary for `chip`.
std::vector<uint8_t> convModel(const ConvData &d,
                               const std::string &chipName = "mobile-m") {
  const npu::ChipModel &chip = *npu::ChipRegistry::builtin().find(chipName);
  ModelBinary m;
  m.target = TargetKind::Npu;
  m.chip = chip.name;
  m.chipFingerprint = chip.fingerprint();
  m.producer = "RuntimeTest";
  m.options = {{"chip", chip.name}, {"batch", "1"}};
  TensorDesc x;
  x.name = "x";
  x.role = TensorDesc::Role::Input;
  x.dtype = ElemType::I8;
  x.dims = {1, H, W, C};
  x.layout = "NHWC";
  x.hasQuant = true;
  x.scale = 0.05;
  x.zeroPoint = -3;
  x.offset = kInAddr;
  TensorDesc y = x;
  y.name = "y";
  y.role = TensorDesc::Role::Output;
  y.dims = {1, H, W, CO};
  y.zeroPoint = 5;
  y.offset = kOutAddr;
  m.tensors = {x, y};
  m.weights = weightsBlob(d);
  m.plan.arenaSize = kDdrBytes;
  m.plan.weightsOffset = kWAddr;
  StatusOr<npu::Program> p = npu::assemble(demoText(), "conv_int8_db.s");
  EXPECT_TRUE(p.isOk()) << p.message();
  m.npuPrograms.push_back(p.take());
  m.plan.steps = {PlanStep::npu(0, "conv3x3")};
  StatusOr<std::vector<uint8_t>> f = writeBinary(m);
  EXPECT_TRUE(f.isOk()) << f.message();
  return f.take();
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "/" + name;
}

void writeFile(const std::string &path, const std::vector<uint8_t> &b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char *>(b.data()),
          static_cast<std::streamsize>(b.size()));
}

struct Handles {
  tessel_model *m = nullptr;
  tessel_context *c = nullptr;
  tessel_options *o = nullptr;
  ~Handles() {
    tessel_context_release(c);
    tessel_model_release(m);
    tessel_options_release(o);
  }
};

} // namespace

TEST(RuntimeCApiTest, LoadsQueriesRunsAndMatchesTheReference) {
  ConvData d = makeData();
  std::vector<uint8_t> bin = convModel(d);
  std::string path = tempPath("conv.tsl");
  writeFile(path, bin);
  Handles h;
  ASSERT_EQ(tessel_options_create(&h.o), TESSEL_OK);
  ASSERT_EQ(tessel_options_set(h.o, "profile", "1"), TESSEL_OK);
  ASSERT_EQ(tessel_options_set(h.o, "trace", tempPath("t.json").c_str()),
            TESSEL_OK);
  ASSERT_EQ(tessel_model_load_file(path.c_str(), h.o, &h.m), TESSEL_OK)
      << tessel_last_error();
  EXPECT_STREQ(tessel_model_target(h.m), "npu");
  EXPECT_STREQ(tessel_model_chip(h.m), "mobile-m");
  EXPECT_STREQ(tessel_model_metadata(h.m, "producer"), "RuntimeTest");
  EXPECT_STREQ(tessel_model_metadata(h.m, "option.batch"), "1");
  EXPECT_EQ(tessel_model_metadata(h.m, "nope"), nullptr);
  char fp[32];
  snprintf(fp, sizeof(fp), "%016llx",
           static_cast<unsigned long long>(
               npu::ChipRegistry::builtin().find("mobile-m")->fingerprint()));
  EXPECT_STREQ(tessel_model_metadata(h.m, "chip.fingerprint"), fp);
  ASSERT_EQ(tessel_model_num_inputs(h.m), 1u);
  ASSERT_EQ(tessel_model_num_outputs(h.m), 1u);
  tessel_tensor_info info;
  ASSERT_EQ(tessel_model_input_info(h.m, 0, &info), TESSEL_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, TESSEL_DTYPE_I8);
  ASSERT_EQ(info.rank, 4);
  EXPECT_EQ(info.dims[3], C);
  EXPECT_STREQ(info.layout, "NHWC");
  EXPECT_EQ(info.has_quant, 1);
  EXPECT_EQ(info.scale, 0.05);
  EXPECT_EQ(info.zero_point, -3);
  EXPECT_EQ(info.byte_size, size_t(H) * W * C);
  size_t idx = 9;
  ASSERT_EQ(tessel_model_find_output(h.m, "y", &idx), TESSEL_OK);
  EXPECT_EQ(idx, 0u);
  EXPECT_EQ(tessel_model_find_output(h.m, "z", &idx), TESSEL_ERROR_NOT_FOUND);
  EXPECT_STREQ(tessel_last_error(), "the model has no output named 'z'");

  ASSERT_EQ(tessel_context_create(h.m, h.o, &h.c), TESSEL_OK);
  EXPECT_EQ(tessel_context_run(h.c), TESSEL_ERROR_STATE);
  EXPECT_STREQ(tessel_context_last_error(h.c), "input 'x' was not set");
  EXPECT_EQ(tessel_context_set_input(h.c, 0, d.in.data(), 5),
            TESSEL_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(
      tessel_context_set_input_by_name(h.c, "x", d.in.data(), d.in.size()),
      TESSEL_OK);
  ASSERT_EQ(tessel_context_run(h.c), TESSEL_OK) << tessel_last_error();
  std::vector<int8_t> out(d.expected.size());
  ASSERT_EQ(tessel_context_get_output(h.c, 0, out.data(), out.size()),
            TESSEL_OK);
  EXPECT_EQ(out, d.expected);
  tessel_run_stats st;
  ASSERT_EQ(tessel_context_stats(h.c, &st), TESSEL_OK);
  EXPECT_EQ(st.macs, uint64_t(H) * W * CO * 9 * C);
  EXPECT_GT(st.cycles, 0u);
  EXPECT_GT(st.utilization, 0.5);
  EXPECT_NE(std::string(tessel_context_summary(h.c)).find("chip mobile-m"),
            std::string::npos);
  ASSERT_NE(tessel_context_profile_json(h.c), nullptr);
  EXPECT_NE(std::string(tessel_context_profile_json(h.c))
                .find("\"name\": \"conv3x3\""),
            std::string::npos);
  ASSERT_NE(tessel_context_profile_text(h.c), nullptr);
  std::ifstream trace(tempPath("t.json"));
  std::string traceText((std::istreambuf_iterator<char>(trace)),
                        std::istreambuf_iterator<char>());
  EXPECT_NE(traceText.find("\"traceEvents\""), std::string::npos);
}

TEST(RuntimeCApiTest, LoadsFromMemoryAndTheCallerMayFreeTheBytes) {
  ConvData d = makeData();
  std::vector<uint8_t> bin = convModel(d);
  Handles h;
  ASSERT_EQ(tessel_model_load_memory(bin.data(), bin.size(), nullptr, &h.m),
            TESSEL_OK)
      << tessel_last_error();
  std::fill(bin.begin(), bin.end(), 0);
  bin.clear();
  bin.shrink_to_fit();
  ASSERT_EQ(tessel_context_create(h.m, nullptr, &h.c), TESSEL_OK);
  ASSERT_EQ(tessel_context_set_input(h.c, 0, d.in.data(), d.in.size()),
            TESSEL_OK);
  ASSERT_EQ(tessel_context_run(h.c), TESSEL_OK) << tessel_last_error();
  const void *p = nullptr;
  size_t n = 0;
  ASSERT_EQ(tessel_context_output_data(h.c, 0, &p, &n), TESSEL_OK);
  ASSERT_EQ(n, d.expected.size());
  EXPECT_EQ(std::memcmp(p, d.expected.data(), n), 0);
}

TEST(RuntimeCApiTest, ContextsRunConcurrentlyOnOneModel) {
  ConvData d = makeData();
  std::vector<uint8_t> bin = convModel(d);
  Handles h;
  ASSERT_EQ(tessel_model_load_memory(bin.data(), bin.size(), nullptr, &h.m),
            TESSEL_OK);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      tessel_context *c = nullptr;
      if (tessel_context_create(h.m, nullptr, &c) != TESSEL_OK) {
        ++failures;
        return;
      }
      std::mt19937_64 rng(100 + t);
      for (int run = 0; run < 3; ++run) {
        std::vector<int8_t> in(d.in.size());
        for (int8_t &x : in)
          x = static_cast<int8_t>(rng());
        std::vector<int8_t> want = reference(d, in);
        std::vector<int8_t> got(want.size());
        if (tessel_context_set_input(c, 0, in.data(), in.size()) ||
            tessel_context_run(c) ||
            tessel_context_get_output(c, 0, got.data(), got.size()) ||
            got != want)
          ++failures;
      }
      tessel_context_release(c);
    });
  }
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(RuntimeCApiTest, ErrorsAreThreadLocal) {
  std::string other;
  std::thread t([&] {
    tessel_model *m = nullptr;
    EXPECT_EQ(tessel_model_load_file("/nonexistent/x.tsl", nullptr, &m),
              TESSEL_ERROR_IO);
    other = tessel_last_error();
  });
  t.join();
  EXPECT_EQ(other, "cannot open '/nonexistent/x.tsl': No such file or "
                   "directory");
  tessel_options *o = nullptr;
  ASSERT_EQ(tessel_options_create(&o), TESSEL_OK);
  EXPECT_EQ(tessel_options_set(o, "colour", "blue"),
            TESSEL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tessel_last_error()).find("unknown option 'colour'"),
            std::string::npos);
  tessel_options_release(o);
}

TEST(RuntimeCApiTest, ABinaryForAnotherChipIsRefused) {
  ConvData d = makeData();
  std::vector<uint8_t> bin = convModel(d, "edge-s");
  Handles h;
  ASSERT_EQ(tessel_options_create(&h.o), TESSEL_OK);
  ASSERT_EQ(tessel_options_set(h.o, "chip", "cloud-l"), TESSEL_OK);
  EXPECT_EQ(tessel_model_load_memory(bin.data(), bin.size(), h.o, &h.m),
            TESSEL_ERROR_CHIP_MISMATCH);
  EXPECT_STREQ(tessel_last_error(),
               "<memory>: the model was compiled for chip 'edge-s' and "
               "cannot run on chip 'cloud-l'; recompile it with "
               "--chip=cloud-l");
  // A chip file that redefines edge-s differently: the fingerprint differs.
  std::string chipFile = tempPath("edge-s.chip");
  std::string text = npu::ChipRegistry::builtin().find("edge-s")->toText();
  text.replace(text.find("clock_mhz = 500"), 15, "clock_mhz = 400");
  std::ofstream(chipFile) << text;
  tessel_options *o2 = nullptr;
  ASSERT_EQ(tessel_options_create(&o2), TESSEL_OK);
  ASSERT_EQ(tessel_options_set(o2, "chip-file", chipFile.c_str()), TESSEL_OK);
  tessel_model *m2 = nullptr;
  EXPECT_EQ(tessel_model_load_memory(bin.data(), bin.size(), o2, &m2),
            TESSEL_ERROR_CHIP_MISMATCH);
  EXPECT_NE(std::string(tessel_last_error())
                .find("chip 'edge-s' of this runtime differs from the chip "
                      "the model was compiled for"),
            std::string::npos)
      << tessel_last_error();
  tessel_options_release(o2);
}

TEST(RuntimeCApiTest, DamagedFilesAreRefusedWithTheReason) {
  ConvData d = makeData();
  std::vector<uint8_t> bin = convModel(d);
  Handles h;
  std::vector<uint8_t> cut(bin.begin(), bin.begin() + 1000);
  EXPECT_EQ(tessel_model_load_memory(cut.data(), cut.size(), nullptr, &h.m),
            TESSEL_ERROR_FORMAT);
  EXPECT_EQ(std::string(tessel_last_error()),
            "<memory>: truncated or padded file: the header says " +
                std::to_string(bin.size()) + " bytes, the file has 1000");
  std::vector<uint8_t> flip = bin;
  flip[flip.size() - 100] ^= 1;
  EXPECT_EQ(tessel_model_load_memory(flip.data(), flip.size(), nullptr, &h.m),
            TESSEL_ERROR_FORMAT);
  EXPECT_NE(std::string(tessel_last_error()).find("checksum mismatch"),
            std::string::npos);
}

TEST(RuntimeCApiTest, NpuFaultsComeBackAsExecutionErrors) {
  // A program that reads past the arena.
  const npu::ChipModel &chip = *npu::ChipRegistry::builtin().find("edge-s");
  ModelBinary m;
  m.chip = chip.name;
  m.chipFingerprint = chip.fingerprint();
  m.plan.arenaSize = 4096;
  StatusOr<npu::Program> p =
      npu::assemble("dma.load src=0xf00 dst=0x0 cols=512\nend\n", "bad.s");
  ASSERT_TRUE(p.isOk());
  m.npuPrograms.push_back(p.take());
  m.plan.steps = {PlanStep::npu(0, "bad")};
  StatusOr<std::vector<uint8_t>> bin = writeBinary(m);
  ASSERT_TRUE(bin.isOk());
  Handles h;
  ASSERT_EQ(tessel_model_load_memory(bin->data(), bin->size(), nullptr, &h.m),
            TESSEL_OK);
  ASSERT_EQ(tessel_context_create(h.m, nullptr, &h.c), TESSEL_OK);
  EXPECT_EQ(tessel_context_run(h.c), TESSEL_ERROR_EXECUTION);
  EXPECT_STREQ(tessel_context_last_error(h.c),
               "step 0 ('bad'): NPU fault: core 0, instruction 0 (dma.load "
               "src=0xf00 dst=0x0 cols=512): out-of-range access: operand "
               "'src' reads DDR [0xf00, 0x1100), beyond the DDR arena [0, "
               "0x1000)");
}

//===----------------------------------------------------------------------===//
// Host steps and other targets
//===----------------------------------------------------------------------===//

namespace {

/// A CPU-target model whose only step adds 1 to 16 bytes (host function 7).
std::vector<uint8_t> hostModel(TargetKind target = TargetKind::Cpu) {
  ModelBinary m;
  m.target = target;
  m.producer = "RuntimeTest";
  m.metadata = {{"test.host", "1"}};
  TensorDesc x;
  x.name = "x";
  x.role = TensorDesc::Role::Input;
  x.dtype = ElemType::U8;
  x.dims = {16};
  x.offset = 0;
  TensorDesc y = x;
  y.name = "y";
  y.role = TensorDesc::Role::Output;
  y.offset = 64;
  m.tensors = {x, y};
  m.plan.arenaSize = 128;
  m.plan.steps = {PlanStep::host(7, {0, 64, 16}, "add_one")};
  StatusOr<std::vector<uint8_t>> f = writeBinary(m);
  EXPECT_TRUE(f.isOk()) << f.message();
  return f.take();
}

class AddOneExecutor : public HostExecutor {
public:
  Status run(const PlanStep &step, sim::DdrMemory &arena) override {
    if (step.function != 7 || step.args.size() != 3)
      return Status::error("unknown host function " +
                           std::to_string(step.function));
    const uint8_t *src = arena.pointer(step.args[0], step.args[2], false);
    uint8_t *dst = arena.pointer(step.args[1], step.args[2], true);
    if (!src || !dst)
      return Status::error("arguments outside the arena");
    for (uint64_t i = 0; i < step.args[2]; ++i)
      dst[i] = static_cast<uint8_t>(src[i] + 1);
    return Status::ok();
  }
};

} // namespace

TEST(RuntimeHostTest, HostStepsWithoutAnExecutorFailClearly) {
  std::vector<uint8_t> bin = hostModel();
  Handles h;
  EXPECT_EQ(tessel_model_load_memory(bin.data(), bin.size(), nullptr, &h.m),
            TESSEL_ERROR_UNSUPPORTED);
  EXPECT_STREQ(tessel_last_error(),
               "<memory>: the model has 1 host step (the first is 'add_one', "
               "host function 7) but no host executor can run them (none is "
               "registered in this runtime)");
  // A GPU model needs its gpu-code section (the GPU executor is built in).
  std::vector<uint8_t> gpu = hostModel(TargetKind::Gpu);
  EXPECT_EQ(tessel_model_load_memory(gpu.data(), gpu.size(), nullptr, &h.m),
            TESSEL_ERROR_FORMAT);
  EXPECT_STREQ(tessel_last_error(),
               "<memory>: the model targets the GPU but has no gpu-code "
               "section");
}

TEST(RuntimeHostTest, ARegisteredExecutorRunsHostSteps) {
  // The C++ extension point (the CPU back end registers its executor so).
  registerHostExecutorFactory("test-add-one",
                              [](const LoadedBinary &b, std::string &why)
                                  -> std::unique_ptr<HostExecutor> {
                                if (!b.meta("test.host")) {
                                  why = "not a test model";
                                  return nullptr;
                                }
                                return std::make_unique<AddOneExecutor>();
                              });
  std::vector<uint8_t> bin = hostModel();
  StatusOr<std::shared_ptr<const Model>> m =
      Model::loadMemory(bin.data(), bin.size(), {});
  ASSERT_TRUE(m.isOk()) << m.message();
  StatusOr<std::unique_ptr<Context>> c = Context::create(*m, {});
  ASSERT_TRUE(c.isOk()) << c.message();
  uint8_t in[16];
  for (int i = 0; i < 16; ++i)
    in[i] = static_cast<uint8_t>(i * 10);
  ASSERT_TRUE((*c)->setInput(0, in, 16).isOk());
  ASSERT_TRUE((*c)->run().isOk());
  size_t n = 0;
  const uint8_t *out = (*c)->outputData(0, &n);
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(n, 16u);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(out[i], i * 10 + 1);
  unregisterHostExecutorFactory("test-add-one");
}
