//===- tessel-conformance.cpp - ONNX backend node tests through Tessel ----===//
//
// For every test directory (model.onnx + test_data_set_0/{input,output}_N.pb)
// of each suite: import the model; a model either imports or is rejected with
// a diagnostic, and never crashes (each test runs in a forked child). When
// it imports and has data, the reference interpreter runs it on the inputs
// and its outputs are compared with the expected ones at ONNX's tolerances.
//
// The run fails when a test listed in the expected-pass file does not pass
// (a regression) or when any test crashes or hangs. `--update` rewrites the
// expected-pass file from this run.
//
//===----------------------------------------------------------------------===//
#include "NodeTestSupport.h"
#include "tessel/Compiler/CPUCompiler.h"
#include "tessel/Compiler/GPUCompiler.h"
#include "tessel/Runtime/GpuCode.h"
#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Dialect/Graph/IR/TensorConversion.h"
#include "tessel/InitAll.h"
#include "tessel/Runtime/Runtime.h"
#include "tessel/Transforms/Pipelines.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"
#include "tessel/Support/Float16.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Target/ONNX/TensorIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <deque>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;
using namespace tessel;
namespace rt = tessel::rt;
namespace cl = llvm::cl;

static cl::list<std::string>
    suites("suite", cl::desc("NAME=DIR of node-test directories"),
           cl::value_desc("name=dir"));
static cl::opt<std::string> expectedFile("expected",
                                         cl::desc("Expected-pass list"));
static cl::opt<bool> update("update",
                            cl::desc("Rewrite the expected-pass list"));
static cl::opt<std::string> filter("filter",
                                   cl::desc("Only tests whose name contains"));
static cl::opt<unsigned> timeoutSeconds("timeout", cl::init(60),
                                        cl::desc("Per-test time limit"));
static cl::opt<bool> verbose("v", cl::desc("Print every test's outcome"));
static cl::opt<unsigned> jobs("j", cl::desc("Tests run at once"),
                              cl::init(1));
static cl::opt<std::string>
    backend("backend",
            cl::desc("What runs the models: reference (the interpreter), "
                     "cpu (compiled by the CPU back end and run by the "
                     "runtime) or gpu (compiled by the GPU back end, its "
                     "PTX assembled by --ptxas for sm_80 and sm_90, the "
                     "binary read back; run and compared where a GPU and "
                     "its driver are present)"),
            cl::init("reference"));
static cl::opt<std::string>
    ptxas("ptxas", cl::desc("ptxas to assemble the GPU kernels with (gpu "
                            "backend; without it, assembling is skipped)"));
static cl::opt<std::string>
    coverageFile("coverage", cl::desc("Write per-op coverage (markdown)"));

namespace {

struct Outcome {
  std::string status; // PASS MISMATCH EVALFAIL IMPORTED REJECT CRASH TIMEOUT
  std::string detail;
  std::string ops; ///< Comma-separated op types of the model.
};

std::string firstLine(const std::string &s) {
  return s.substr(0, s.find('\n'));
}

/// allclose with numpy's rule |a - e| <= atol + rtol |e|; NaNs equal.
bool compare(const ref::Tensor &actual, const ref::Tensor &expected,
             std::string &detail) {
  if (actual.shape() != expected.shape()) {
    detail = "shape " + ref::shapeToString(actual.shape()) + " vs expected " +
             ref::shapeToString(expected.shape());
    return false;
  }
  if (actual.dtype() != expected.dtype()) {
    detail = std::string("dtype ") + ref::name(actual.dtype()) +
             " vs expected " + ref::name(expected.dtype());
    return false;
  }
  // ONNX's backend-test tolerance, widened to 4 ulps for the 16-bit float
  // types (whose rounding between ops differs across implementations).
  double rtol = 1e-3, atol = 1e-7;
  if (actual.dtype() == ref::DType::F16)
    rtol = 4.0 / 1024;
  else if (actual.dtype() == ref::DType::BF16)
    rtol = 4.0 / 128;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    bool ok;
    if (actual.isFloat()) {
      double a = actual.getF(i), e = expected.getF(i);
      ok = (std::isnan(a) && std::isnan(e)) || a == e ||
           std::fabs(a - e) <= atol + rtol * std::fabs(e);
      if (!ok) {
        detail = "element " + std::to_string(i) + ": " + std::to_string(a) +
                 " vs expected " + std::to_string(e);
        return false;
      }
    } else if (actual.getI(i) != expected.getI(i)) {
      detail = "element " + std::to_string(i) + ": " +
               std::to_string(actual.getI(i)) + " vs expected " +
               std::to_string(expected.getI(i));
      return false;
    }
  }
  return true;
}

/// Compiles the module for the host CPU, loads the binary with the runtime
/// and runs it.
FailureOr<std::vector<ref::Tensor>> runOnCPU(ModuleOp module,
                                             func::FuncOp func,
                                             ArrayRef<ref::Tensor> inputs,
                                             std::string &error) {
  SmallVector<Type> argTypes(func.getArgumentTypes());
  SmallVector<Type> resultTypes(func.getResultTypes());
  std::string diagnostics;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  {
    // What tessel-compile --target=cpu runs.
    PassManager pm(module.getContext());
    GraphOptimizeOptions graphOptions;
    graphOptions.layout = graph::Layout::NHWC;
    buildGraphOptimizePipeline(pm, graphOptions);
    if (failed(pm.run(module))) {
      error = "graph optimization failed: " + diagnostics;
      return failure();
    }
  }
  tessel::CPUCompileOptions options;
  FailureOr<tessel::CPUArtifacts> artifacts =
      tessel::compileForCPU(module, options);
  if (failed(artifacts)) {
    error = "CPU compilation failed: " + diagnostics;
    return failure();
  }
  auto bytes = rt::writeBinary(artifacts->binary);
  if (!bytes) {
    error = "writing the binary failed: " + bytes.message();
    return failure();
  }
  auto model = rt::Model::loadMemory(bytes->data(), bytes->size(), {});
  if (!model) {
    error = "loading the binary failed: " + model.message();
    return failure();
  }
  auto ctx = rt::Context::create(*model, {});
  if (!ctx) {
    error = "creating a context failed: " + ctx.message();
    return failure();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<char> raw = graph::toRawBytes(
        cast<RankedTensorType>(argTypes[i]).getElementType(), inputs[i]);
    if (tessel::Status s = (*ctx)->setInput(i, raw.data(), raw.size()); !s) {
      error = "binding input " + std::to_string(i) + ": " + s.message();
      return failure();
    }
  }
  if (tessel::Status s = (*ctx)->run(); !s) {
    error = "run failed: " + s.message();
    return failure();
  }
  std::vector<ref::Tensor> outputs;
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    size_t size = 0;
    const uint8_t *data = (*ctx)->outputData(i, &size);
    auto type = cast<RankedTensorType>(resultTypes[i]);
    FailureOr<ref::Tensor> t = graph::fromRawBytes(
        type.getElementType(), type.getShape(),
        ArrayRef<char>(reinterpret_cast<const char *>(data), size), error);
    if (failed(t))
      return failure();
    outputs.push_back(std::move(*t));
  }
  return outputs;
}

/// Assembles PTX with ptxas for `arch`; fails with ptxas's first error.
LogicalResult assemble(const std::vector<rt::GpuModule> &modules,
                       StringRef arch, std::string &error) {
  for (const rt::GpuModule &m : modules) {
    llvm::SmallString<128> in, log;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("tessel-kernels", "ptx", fd, in) ||
        llvm::sys::fs::createTemporaryFile("tessel-ptxas", "log", log)) {
      error = "cannot create a temporary file";
      return failure();
    }
    {
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << m.ptx;
    }
    std::string archFlag = "-arch=" + arch.str();
    SmallVector<StringRef> args = {ptxas, archFlag, in, "-o", "/dev/null"};
    std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                            StringRef(log)};
    int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects);
    auto text = llvm::MemoryBuffer::getFile(log);
    llvm::sys::fs::remove(in);
    llvm::sys::fs::remove(log);
    if (rc != 0) {
      std::string why = text ? (*text)->getBuffer().str() : "";
      error = "ptxas -arch=" + arch.str() + " rejected module " + m.name +
              ": " + firstLine(why);
      return failure();
    }
  }
  return success();
}

/// Compiles the module for the GPU (sm_80, and the PTX for sm_90 too),
/// assembles every kernel for both with ptxas, reads the binary back, and
/// runs it if this machine has a GPU (`ran` says whether it did).
FailureOr<std::vector<ref::Tensor>> runOnGPU(ModuleOp module,
                                             func::FuncOp func,
                                             ArrayRef<ref::Tensor> inputs,
                                             std::string &error, bool &ran) {
  ran = false;
  SmallVector<Type> argTypes(func.getArgumentTypes());
  SmallVector<Type> resultTypes(func.getResultTypes());
  std::string diagnostics;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  {
    PassManager pm(module.getContext());
    GraphOptimizeOptions graphOptions;
    graphOptions.layout = graph::Layout::NHWC;
    buildGraphOptimizePipeline(pm, graphOptions);
    if (failed(pm.run(module))) {
      error = "graph optimization failed: " + diagnostics;
      return failure();
    }
  }
  tessel::GPUCompileOptions options;
  options.gpuArch = "sm_80";
  options.extraArchs = {"sm_90"};
  FailureOr<tessel::GPUArtifacts> artifacts =
      tessel::compileForGPU(module, options);
  if (failed(artifacts)) {
    error = "GPU compilation failed: " + diagnostics;
    return failure();
  }
  if (!ptxas.empty()) {
    if (failed(assemble(artifacts->ptx, "sm_80", error)))
      return failure();
    for (auto &[arch, modules] : artifacts->extraPtx)
      if (failed(assemble(modules, arch, error)))
        return failure();
  }
  auto bytes = rt::writeBinary(artifacts->binary);
  if (!bytes) {
    error = "writing the binary failed: " + bytes.message();
    return failure();
  }
  // The gpu-code section as the runtime reads it.
  auto loaded = rt::readBinary(bytes->data(), bytes->size());
  if (!loaded) {
    error = "reading the binary back failed: " + loaded.message();
    return failure();
  }
  for (const rt::RawSection &sec : loaded->unknownSections) {
    if (sec.type != static_cast<uint32_t>(rt::SectionType::GpuCode))
      continue;
    auto code = rt::decodeGpuCode(sec.bytes.data(), sec.bytes.size());
    if (!code) {
      error = "the gpu-code section does not read back: " + code.message();
      return failure();
    }
    if (code->launches.size() != artifacts->code.launches.size()) {
      error = "the gpu-code section does not round-trip";
      return failure();
    }
  }
  auto model = rt::Model::loadMemory(bytes->data(), bytes->size(), {});
  if (!model) {
    // No GPU here: what the runtime says must be that, and nothing else.
    if (model.status().kind() == ErrorKind::Unsupported &&
        (model.message().find("no CUDA driver") != std::string::npos ||
         model.message().find("no NVIDIA GPU") != std::string::npos))
      return std::vector<ref::Tensor>();
    error = "loading the binary failed: " + model.message();
    return failure();
  }
  ran = true;
  auto ctx = rt::Context::create(*model, {});
  if (!ctx) {
    error = "creating a context failed: " + ctx.message();
    return failure();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<char> raw = graph::toRawBytes(
        cast<RankedTensorType>(argTypes[i]).getElementType(), inputs[i]);
    if (tessel::Status s = (*ctx)->setInput(i, raw.data(), raw.size()); !s) {
      error = "binding input " + std::to_string(i) + ": " + s.message();
      return failure();
    }
  }
  if (tessel::Status s = (*ctx)->run(); !s) {
    error = "run failed: " + s.message();
    return failure();
  }
  std::vector<ref::Tensor> outputs;
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    size_t size = 0;
    const uint8_t *data = (*ctx)->outputData(i, &size);
    auto type = cast<RankedTensorType>(resultTypes[i]);
    FailureOr<ref::Tensor> t = graph::fromRawBytes(
        type.getElementType(), type.getShape(),
        ArrayRef<char>(reinterpret_cast<const char *>(data), size), error);
    if (failed(t))
      return failure();
    outputs.push_back(std::move(*t));
  }
  return outputs;
}

/// Runs in the child process.
Outcome runTest(const std::string &dir) {
  DialectRegistry registry;
  tessel::registerAllDialects(registry);
  MLIRContext ctx(registry);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error && diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  std::string frozen;
  OwningOpRef<ModuleOp> module =
      nodetest::importTest(dir, ctx, diagnostics, frozen);
  if (!module)
    return {"REJECT", firstLine(diagnostics)};
  std::string note = frozen.empty() ? "" : "frozen inputs: " + frozen;
  std::string data = dir + "/test_data_set_0";
  if (!llvm::sys::fs::is_directory(data))
    return {"IMPORTED", "no test data"};
  auto func = *module->getOps<func::FuncOp>().begin();
  std::vector<ref::Tensor> inputs;
  std::string error;
  if (failed(nodetest::readInputs(dir, func, frozen, inputs, error)))
    return {"IMPORTED", error};
  bool ran = true;
  FailureOr<std::vector<ref::Tensor>> outputs =
      backend == "cpu"   ? runOnCPU(*module, func, inputs, error)
      : backend == "gpu" ? runOnGPU(*module, func, inputs, error, ran)
                         : graph::interpret(func, inputs, error);
  if (failed(outputs))
    return {"EVALFAIL", firstLine(error)};
  if (!ran)
    return {"PASS", std::string("compiled") +
                        (ptxas.empty() ? "" : ", assembled for sm_80 and "
                                              "sm_90") +
                        "; not run (no GPU)"};
  for (unsigned i = 0; i < outputs->size(); ++i) {
    auto e = onnx_import::readTensorProtoFile(
        data + "/output_" + std::to_string(i) + ".pb", error);
    if (failed(e))
      return {"IMPORTED", "unreadable test data: " + firstLine(error)};
    std::string detail;
    ref::Tensor expected =
        nodetest::fixBf16(std::move(e->tensor), (*outputs)[i].dtype());
    if (!compare((*outputs)[i], expected, detail))
      return {"MISMATCH", "output " + std::to_string(i) + ": " + detail};
  }
  return {"PASS", note};
}

/// A test running in a forked child.
struct Running {
  pid_t pid = -1;
  int fd = -1;
};

Running startIsolated(const std::string &dir) {
  int fds[2];
  if (pipe(fds) != 0)
    return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(timeoutSeconds);
    Outcome o = runTest(dir);
    std::string ops = llvm::join(
        onnx_import::modelOpTypes(dir + "/model.onnx"), ",");
    std::string line = o.status + "\t" + ops + "\t" + o.detail;
    (void)!write(fds[1], line.data(), line.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

Outcome finishIsolated(Running r) {
  if (r.pid < 0)
    return {"CRASH", "fork or pipe failed"};
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(r.fd, buf, sizeof(buf))) > 0)
    out.append(buf, n);
  close(r.fd);
  int status = 0;
  waitpid(r.pid, &status, 0);
  if (WIFSIGNALED(status)) {
    if (WTERMSIG(status) == SIGALRM)
      return {"TIMEOUT", "over " + std::to_string(timeoutSeconds) + " s"};
    return {"CRASH", std::string("signal ") + strsignal(WTERMSIG(status))};
  }
  if (out.empty())
    return {"CRASH", "no result (exit status " +
                         std::to_string(WEXITSTATUS(status)) + ")"};
  llvm::SmallVector<llvm::StringRef, 3> parts;
  llvm::StringRef(out).split(parts, '\t', 2);
  parts.resize(3);
  return {parts[0].str(), parts[2].str(), parts[1].str()};
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "ONNX node-test conformance run\n");
  if (backend == "gpu")
    llvm::outs() << (ptxas.empty()
                         ? "conformance: no ptxas (CUDA toolkit not found): "
                           "assembling the GPU kernels is skipped\n"
                         : "conformance: assembling the GPU kernels with " +
                               ptxas + " for sm_80 and sm_90\n");
  std::set<std::string> expected;
  if (!expectedFile.empty()) {
    std::ifstream in(expectedFile);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#')
        expected.insert(line);
  }
  std::map<std::string, int> counts;
  std::vector<std::pair<std::string, std::string>> work; // (id, directory)
  std::map<std::string, int> rejectReasons;
  // Per op type: tests using it, and how many of those pass.
  std::map<std::string, std::pair<int, int>> coverage;
  std::vector<std::string> passes, regressions, crashes;
  int total = 0;
  for (const std::string &suite : suites) {
    auto [name, dir] = llvm::StringRef(suite).split('=');
    std::vector<std::string> tests;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::sys::fs::exists(it->path() + "/model.onnx"))
        tests.push_back(it->path());
    if (ec) {
      llvm::errs() << "tessel-conformance: cannot list '" << dir
                   << "': " << ec.message() << "\n";
      return 2;
    }
    std::sort(tests.begin(), tests.end());
    for (const std::string &path : tests) {
      std::string id =
          name.str() + "/" + llvm::sys::path::filename(path).str();
      if (!filter.empty() && id.find(filter) == std::string::npos)
        continue;
      work.push_back({id, path});
    }
  }
  // Run `jobs` children at a time; results are reported in order.
  std::deque<std::pair<size_t, Running>> inFlight;
  size_t nextToStart = 0;
  for (size_t w = 0; w < work.size(); ++w) {
    while (nextToStart < work.size() &&
           inFlight.size() < std::max(1u, static_cast<unsigned>(jobs))) {
      inFlight.push_back({nextToStart, startIsolated(work[nextToStart].second)});
      ++nextToStart;
    }
    Outcome o = finishIsolated(inFlight.front().second);
    inFlight.pop_front();
    const std::string &id = work[w].first;
    {
      ++total;
      ++counts[o.status];
      llvm::SmallVector<llvm::StringRef> ops;
      llvm::StringRef(o.ops).split(ops, ',', -1, false);
      for (llvm::StringRef op : ops) {
        ++coverage[op.str()].first;
        coverage[op.str()].second += o.status == "PASS";
      }
      if (o.status == "PASS")
        passes.push_back(id);
      else if (expected.count(id))
        regressions.push_back(id + ": " + o.status + " " + o.detail);
      if (o.status == "CRASH" || o.status == "TIMEOUT")
        crashes.push_back(id + ": " + o.status + " " + o.detail);
      if (o.status == "REJECT") {
        // Aggregate by the reason's head (e.g. the unsupported op list).
        std::string reason = o.detail;
        size_t p = reason.find("error: ");
        if (p != std::string::npos)
          reason = reason.substr(p + 7);
        ++rejectReasons[reason.substr(0, 90)];
      }
      if (verbose)
        llvm::outs() << id << ": " << o.status
                     << (o.detail.empty() ? "" : " (" + o.detail + ")")
                     << "\n";
    }
  }
  int passed = counts["PASS"];
  int failed = counts["MISMATCH"] + counts["EVALFAIL"] + counts["CRASH"] +
               counts["TIMEOUT"];
  llvm::outs() << "conformance: " << total << " tests: " << passed
               << " passed, " << failed << " failed (" << counts["MISMATCH"]
               << " mismatched, " << counts["EVALFAIL"]
               << " not evaluable, " << counts["CRASH"] << " crashed, "
               << counts["TIMEOUT"] << " timed out); " << counts["REJECT"]
               << " rejected with a diagnostic, " << counts["IMPORTED"]
               << " imported without comparable data\n";
  if (verbose) {
    llvm::outs() << "most common rejections:\n";
    std::vector<std::pair<int, std::string>> sorted;
    for (auto &[r, c] : rejectReasons)
      sorted.push_back({c, r});
    std::sort(sorted.rbegin(), sorted.rend());
    for (size_t i = 0; i < sorted.size() && i < 40; ++i)
      llvm::outs() << "  " << sorted[i].first << "  " << sorted[i].second
                   << "\n";
  }
  if (!coverageFile.empty()) {
    std::ofstream out(coverageFile);
    out << "| ONNX op | node tests | passing |\n|---|---:|---:|\n";
    for (auto &[op, c] : coverage)
      out << "| " << op << " | " << c.first << " | " << c.second << " |\n";
  }
  if (update && !expectedFile.empty()) {
    std::ofstream out(expectedFile);
    out << "# Tests whose reference evaluation matches ONNX's expected "
           "outputs.\n# Regenerate with `ninja -C build "
           "update-conformance`.\n";
    for (const std::string &p : passes)
      out << p << "\n";
    llvm::outs() << "conformance: wrote " << passes.size()
                 << " expected passes to " << expectedFile << "\n";
  }
  int newPasses = 0;
  for (const std::string &p : passes)
    newPasses += !expected.count(p);
  if (newPasses && !update)
    llvm::outs() << "conformance: " << newPasses
                 << " tests pass that are not in the expected list (run "
                    "update-conformance to record them)\n";
  for (const std::string &c : crashes)
    llvm::errs() << "conformance: CRASH " << c << "\n";
  for (const std::string &r : regressions)
    llvm::errs() << "conformance: REGRESSION " << r << "\n";
  if (!crashes.empty() || (!regressions.empty() && !update))
    return 1;
  return 0;
}
