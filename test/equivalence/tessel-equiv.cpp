//===- tessel-equiv.cpp - Graph passes preserve what models compute -------===//
//
// For every model: import it, evaluate it with the reference interpreter,
// run tessel-graph-optimize (for each layout, with the verifier after every
// pass), evaluate again and compare the outputs. Model files get seeded
// random inputs (floats normal(0, 1); integers in [0, 2), or in the valid
// index range when they feed a gather); ONNX node-test directories use their
// test_data_set_0 inputs.
//
// Float outputs must satisfy
//   max |got - ref| <= rtol * max |ref| + atol   (rtol 1e-4, atol 1e-5 in
//   f32/f64; 1e-2 and 1e-3 in f16; 4e-2 and 1e-2 in bf16)
// and, where the reference is not all (near) zero, have a cosine similarity
// of at least 0.99999 with it; NaNs and infinities must be where the
// reference has them. Integer and boolean outputs must be equal.
//
// Each model runs in a forked child (a crash or hang is a failure, reported
// by name). Exits non-zero when any model fails.
//
//===----------------------------------------------------------------------===//
#include "../conformance/NodeTestSupport.h"
#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Dialect/Graph/Utils/Interpreter.h"
#include "tessel/InitAll.h"
#include "tessel/Target/ONNX/Import.h"
#include "tessel/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;
using namespace tessel;
namespace cl = llvm::cl;

static cl::list<std::string> modelFiles(cl::Positional,
                                        cl::desc("<model files>"));
static cl::list<std::string>
    nodeTestDirs("node-tests",
                 cl::desc("A directory of ONNX node-test directories"),
                 cl::value_desc("dir"));
static cl::list<std::string>
    layouts("layout", cl::CommaSeparated,
            cl::desc("Layouts to optimize for (default nchw,nhwc)"));
static cl::opt<unsigned> seed("seed", cl::init(0),
                              cl::desc("Seed of the random inputs"));
static cl::opt<double> rtolF32("rtol", cl::init(1e-4),
                               cl::desc("Relative tolerance (f32, f64)"));
static cl::opt<double> atolF32("atol", cl::init(1e-5),
                               cl::desc("Absolute tolerance (f32, f64)"));
static cl::opt<double> minCosine("min-cosine", cl::init(0.99999),
                                 cl::desc("Least cosine similarity"));
static cl::opt<unsigned> timeoutSeconds("timeout", cl::init(120),
                                        cl::desc("Per-model time limit"));
static cl::opt<std::string> filter("filter",
                                   cl::desc("Only models whose name contains"));
static cl::opt<bool> verbose("v", cl::desc("Print every model's outcome"));

namespace {

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// The number of valid indices when `v` is used as gather indices (through
/// reshapes), else 0.
int64_t indexBound(Value v) {
  int64_t bound = 0;
  auto tighten = [&](int64_t b) { bound = bound ? std::min(bound, b) : b; };
  for (Operation *user : v.getUsers()) {
    if (auto g = dyn_cast<graph::GatherOp>(user); g && g.getIndices() == v)
      tighten(g.getInput().getType().getDimSize(g.getAxis()));
    else if (auto g = dyn_cast<graph::GatherElementsOp>(user);
             g && g.getIndices() == v)
      tighten(g.getInput().getType().getDimSize(g.getAxis()));
    else if (auto r = dyn_cast<graph::ReshapeOp>(user))
      if (int64_t b = indexBound(r.getOutput()))
        tighten(b);
  }
  return bound;
}

std::vector<ref::Tensor> makeInputs(func::FuncOp func) {
  std::vector<ref::Tensor> inputs;
  for (BlockArgument arg : func.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    ref::DType dtype = *graph::toDType(type.getElementType());
    ref::Tensor t(dtype,
                  ref::Shape(type.getShape().begin(), type.getShape().end()));
    std::mt19937_64 rng(seed * 1000003ull + arg.getArgNumber());
    if (t.isFloat()) {
      std::normal_distribution<double> normal(0.0, 1.0);
      for (int64_t i = 0; i < t.numel(); ++i)
        t.setF(i, normal(rng));
    } else {
      int64_t bound = dtype == ref::DType::Bool ? 2 : indexBound(arg);
      std::uniform_int_distribution<int64_t> uniform(0,
                                                     (bound ? bound : 2) - 1);
      for (int64_t i = 0; i < t.numel(); ++i)
        t.setI(i, uniform(rng));
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

struct Comparison {
  bool ok = true;
  double maxDiff = 0, maxRef = 0, cosine = 1;
  std::string detail;
};

Comparison compare(const ref::Tensor &want, const ref::Tensor &got) {
  Comparison c;
  if (want.shape() != got.shape() || want.dtype() != got.dtype()) {
    c.ok = false;
    c.detail = "type " + got.typeString() + " vs " + want.typeString();
    return c;
  }
  if (!want.isFloat()) {
    for (int64_t i = 0; i < want.numel(); ++i)
      if (want.getI(i) != got.getI(i)) {
        c.ok = false;
        c.detail = "element " + std::to_string(i) + ": " +
                   std::to_string(got.getI(i)) + " vs " +
                   std::to_string(want.getI(i));
        return c;
      }
    return c;
  }
  double rtol = rtolF32, atol = atolF32;
  if (want.dtype() == ref::DType::F16) {
    rtol = 1e-2;
    atol = 1e-3;
  } else if (want.dtype() == ref::DType::BF16) {
    rtol = 4e-2;
    atol = 1e-2;
  }
  double dot = 0, nw = 0, ng = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double w = want.getF(i), g = got.getF(i);
    if (std::isnan(w) || std::isnan(g) || std::isinf(w) || std::isinf(g)) {
      if (!(std::isnan(w) && std::isnan(g)) && w != g) {
        c.ok = false;
        c.detail = "element " + std::to_string(i) + ": " + std::to_string(g) +
                   " vs " + std::to_string(w);
        return c;
      }
      continue;
    }
    c.maxDiff = std::max(c.maxDiff, std::fabs(w - g));
    c.maxRef = std::max(c.maxRef, std::fabs(w));
    dot += w * g;
    nw += w * w;
    ng += g * g;
  }
  if (nw > 0 && ng > 0)
    c.cosine = dot / std::sqrt(nw * ng);
  else if (nw != ng)
    c.cosine = 0;
  bool withinTol = c.maxDiff <= rtol * c.maxRef + atol;
  // Cosine similarity says little about (near) zero outputs.
  bool cosineOk = c.maxRef <= 10 * atol || c.cosine >= minCosine;
  c.ok = withinTol && cosineOk;
  if (!c.ok)
    c.detail = llvm::formatv("max |diff| {0:e2} > {1} * max |ref| {2:e2} + "
                             "{3}, or cosine {4:f7} < {5}",
                             c.maxDiff, rtol, c.maxRef, atol, c.cosine,
                             minCosine.getValue())
                   .str();
  return c;
}

//===----------------------------------------------------------------------===//
// One model
//===----------------------------------------------------------------------===//

struct Outcome {
  std::string status; // PASS FAIL SKIP CRASH TIMEOUT
  std::string detail;
};

int64_t countOps(ModuleOp module) {
  int64_t n = 0;
  module.walk([&](Operation *op) {
    n += op->getDialect() && op->getDialect()->getNamespace() == "graph" &&
         !isa<graph::ConstantOp>(op);
  });
  return n;
}

/// Runs tessel-graph-optimize on a copy of `module` for `layoutName` with
/// the verifier after every pass; null (and `diagnostics` set) on failure.
OwningOpRef<ModuleOp> optimize(ModuleOp module, StringRef layoutName) {
  OwningOpRef<ModuleOp> optimized = module.clone();
  PassManager pm(module.getContext());
  pm.enableVerifier(true);
  GraphOptimizeOptions options;
  options.layout =
      layoutName == "nhwc" ? graph::Layout::NHWC : graph::Layout::NCHW;
  buildGraphOptimizePipeline(pm, options);
  if (failed(pm.run(*optimized)))
    return {};
  return optimized;
}

Outcome runModel(const std::string &path, bool isNodeTest) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error && diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  std::string frozen, error;
  OwningOpRef<ModuleOp> module =
      isNodeTest ? nodetest::importTest(path, ctx, diagnostics, frozen)
                 : onnx_import::importFile(path, &ctx, {});
  if (!module)
    return {"SKIP", "not imported: " + diagnostics.substr(0, 200)};
  auto func = *module->getOps<func::FuncOp>().begin();
  // Models that cannot be compared must still optimize into valid IR.
  auto optimizeOnly = [&](const std::string &why) -> Outcome {
    for (const std::string &layoutName : layouts) {
      diagnostics.clear();
      if (!optimize(*module, layoutName))
        return {"FAIL", layoutName + ": the pipeline failed: " + diagnostics};
    }
    return {"SKIP", why + " (the pipeline ran)"};
  };
  std::vector<ref::Tensor> inputs;
  if (isNodeTest) {
    if (!llvm::sys::fs::is_directory(path + "/test_data_set_0"))
      return optimizeOnly("no test data");
    if (failed(nodetest::readInputs(path, func, frozen, inputs, error)))
      return optimizeOnly(error);
  } else {
    inputs = makeInputs(func);
  }
  FailureOr<std::vector<ref::Tensor>> want =
      graph::interpret(func, inputs, error);
  if (failed(want))
    return optimizeOnly("not evaluable before the pipeline: " + error);

  std::string summary;
  llvm::raw_string_ostream os(summary);
  os << countOps(*module) << " ops";
  for (const std::string &layoutName : layouts) {
    diagnostics.clear();
    OwningOpRef<ModuleOp> optimized = optimize(*module, layoutName);
    if (!optimized)
      return {"FAIL", layoutName + ": the pipeline failed: " + diagnostics};
    auto optFunc = *optimized->getOps<func::FuncOp>().begin();
    FailureOr<std::vector<ref::Tensor>> got =
        graph::interpret(optFunc, inputs, error);
    if (failed(got))
      return {"FAIL",
              layoutName + ": not evaluable after the pipeline: " + error};
    os << "; " << layoutName << ": " << countOps(*optimized) << " ops";
    for (size_t i = 0; i < want->size(); ++i) {
      Comparison c = compare((*want)[i], (*got)[i]);
      if (!c.ok)
        return {"FAIL",
                layoutName + ": output " + std::to_string(i) + ": " + c.detail};
      if ((*want)[i].isFloat())
        os << llvm::formatv(", max |diff| {0:e1} (max |ref| {1:e1}), cos "
                            "{2:f7}",
                            c.maxDiff, c.maxRef, c.cosine);
      else
        os << ", equal";
    }
  }
  return {"PASS", summary};
}

Outcome runIsolated(const std::string &path, bool isNodeTest) {
  int fds[2];
  if (pipe(fds) != 0)
    return {"CRASH", "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(timeoutSeconds);
    Outcome o = runModel(path, isNodeTest);
    std::string line = o.status + "\t" + o.detail;
    (void)!write(fds[1], line.data(), line.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    if (WTERMSIG(status) == SIGALRM)
      return {"TIMEOUT", "over " + std::to_string(timeoutSeconds) + " s"};
    return {"CRASH", std::string("signal ") + strsignal(WTERMSIG(status))};
  }
  auto [status_, detail] = llvm::StringRef(out).split('\t');
  if (status_.empty())
    return {"CRASH", "no result"};
  return {status_.str(), detail.str()};
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  cl::ParseCommandLineOptions(argc, argv,
                              "Checks that tessel-graph-optimize preserves "
                              "what models compute\n");
  if (layouts.empty()) {
    layouts.push_back("nchw");
    layouts.push_back("nhwc");
  }
  // (path, display name, is a node test)
  std::vector<std::tuple<std::string, std::string, bool>> work;
  for (const std::string &f : modelFiles)
    work.emplace_back(f, llvm::sys::path::filename(f).str(), false);
  for (const std::string &dir : nodeTestDirs) {
    std::vector<std::string> tests;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::sys::fs::exists(it->path() + "/model.onnx"))
        tests.push_back(it->path());
    if (ec) {
      llvm::errs() << "tessel-equiv: cannot list '" << dir
                   << "': " << ec.message() << "\n";
      return 2;
    }
    std::sort(tests.begin(), tests.end());
    for (const std::string &t : tests)
      work.emplace_back(t, llvm::sys::path::filename(t).str(), true);
  }
  std::map<std::string, int> counts;
  int total = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto &[path, name, isNodeTest] : work) {
    if (!filter.empty() && path.find(filter) == std::string::npos)
      continue;
    ++total;
    Outcome o = runIsolated(path, isNodeTest);
    ++counts[o.status];
    bool show =
        verbose || !isNodeTest || (o.status != "PASS" && o.status != "SKIP");
    if (show)
      llvm::outs() << o.status << " " << name << ": " << o.detail << "\n";
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  int failed = counts["FAIL"] + counts["CRASH"] + counts["TIMEOUT"];
  llvm::outs() << "equivalence: " << total << " models: " << counts["PASS"]
               << " passed, " << failed << " failed, " << counts["SKIP"]
               << " skipped (not imported or not evaluable); "
               << llvm::format("%.1f", seconds) << " s\n";
  return failed ? 1 : 0;
}
