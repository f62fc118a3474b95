//===- tessel-run.cpp - Run a deployable binary and check its outputs -----===//
//
//   tessel-run model.tsl [--input [NAME=]FILE]... [--output-dir DIR]
//              [--expect [NAME=]FILE]... [--rtol R] [--atol A] [--repeat N]
//              [--trace TRACE.json] [--profile] [--profile-json FILE]
//              [--chip NAME] [--chip-file FILE] [--batch N] [--instances N]
//
// Inputs and expected outputs are .npy or ONNX TensorProto .pb files. The
// back end comes from the binary (NPU binaries run on the simulator). It
// goes through the runtime C API (libtessel_runtime.so), exactly as an
// application would, and links neither MLIR nor LLVM.
//
//===----------------------------------------------------------------------===//
#include "tessel/Runtime/TensorFiles.h"
#include "tessel/Runtime/tessel_runtime.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace tessel;
using namespace tessel::rt;

namespace {

const char *kUsage =
    "usage: tessel-run MODEL.tsl [options]\n"
    "  --input [NAME=]FILE     an input (.npy or ONNX TensorProto .pb); "
    "without\n"
    "                          NAME, inputs are taken in the model's order\n"
    "  --expect [NAME=]FILE    the expected value of an output\n"
    "  --rtol R, --atol A      tolerances: |got - want| <= A + R * |want| "
    "(0, 0)\n"
    "  --output-dir DIR        write every output as DIR/NAME.npy\n"
    "  --repeat N              run N times; print latency statistics\n"
    "  --threads N             threads for host (CPU) code; default: all\n"
    "  --trace FILE            write a Chrome trace-event timeline (NPU)\n"
    "  --profile               print per-layer and per-instruction tables\n"
    "  --profile-json FILE     write the profile as JSON\n"
    "  --chip NAME             the device's chip (a model for another chip "
    "is\n"
    "                          refused)\n"
    "  --chip-file FILE        more chip definitions\n"
    "  --batch N, --instances N   scale the summary's inferences/s\n";

int fail(const std::string &msg) {
  fprintf(stderr, "tessel-run: error: %s\n", msg.c_str());
  return 1;
}

std::string apiError(tessel_status s) {
  const char *msg = tessel_last_error();
  return msg && *msg ? std::string(msg) : tessel_status_string(s);
}

std::string shapeString(const int64_t *dims, int32_t rank) {
  std::string s;
  for (int32_t i = 0; i < rank; ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s.empty() ? "scalar" : s;
}

std::string shapeString(const std::vector<int64_t> &dims) {
  return shapeString(dims.data(), static_cast<int32_t>(dims.size()));
}

/// "NAME=FILE" or "FILE".
std::pair<std::string, std::string> splitBinding(const std::string &s) {
  size_t eq = s.find('=');
  if (eq == std::string::npos)
    return {"", s};
  return {s.substr(0, eq), s.substr(eq + 1)};
}

std::string safeFileName(const std::string &name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
            c == '_' || c == '.')
               ? c
               : '_';
  return out.empty() ? std::string("output") : out;
}

struct ModelGuard {
  tessel_model *m = nullptr;
  tessel_context *c = nullptr;
  tessel_options *o = nullptr;
  ~ModelGuard() {
    tessel_context_release(c);
    tessel_model_release(m);
    tessel_options_release(o);
  }
};

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, outputDir, trace, profileJson;
  std::vector<std::string> inputs, expects;
  double rtol = 0, atol = 0;
  uint64_t repeat = 1;
  bool profile = false;
  std::vector<std::pair<std::string, std::string>> opts;

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool hasValue = false;
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      if (size_t eq = a.find('='); eq != std::string::npos &&
                                   a.rfind("--input", 0) != 0 &&
                                   a.rfind("--expect", 0) != 0) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        hasValue = true;
      }
    }
    auto next = [&](std::string &out) {
      if (hasValue) {
        out = value;
        return true;
      }
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "--input" || a == "--expect") {
      if (!next(v))
        return fail(a + " needs [NAME=]FILE");
      (a == "--input" ? inputs : expects).push_back(v);
    } else if (a == "--output-dir") {
      if (!next(outputDir))
        return fail("--output-dir needs a directory");
    } else if (a == "--rtol" || a == "--atol") {
      char *end = nullptr;
      if (!next(v))
        return fail(a + " needs a number");
      double d = std::strtod(v.c_str(), &end);
      if (*end || !(d >= 0))
        return fail(a + " needs a non-negative number, not '" + v + "'");
      (a == "--rtol" ? rtol : atol) = d;
    } else if (a == "--repeat") {
      char *end = nullptr;
      if (!next(v))
        return fail("--repeat needs a count");
      repeat = std::strtoull(v.c_str(), &end, 10);
      if (*end || repeat == 0 || v[0] == '-')
        return fail("--repeat needs a positive count, not '" + v + "'");
    } else if (a == "--trace") {
      if (!next(trace))
        return fail("--trace needs a file");
    } else if (a == "--profile") {
      profile = true;
    } else if (a == "--profile-json") {
      if (!next(profileJson))
        return fail("--profile-json needs a file");
    } else if (a == "--chip" || a == "--chip-file" || a == "--batch" ||
               a == "--instances" || a == "--threads") {
      if (!next(v))
        return fail(a + " needs a value");
      opts.push_back({a.substr(2), v});
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option '" + a + "' (--help lists them)");
    } else if (modelPath.empty()) {
      modelPath = a;
    } else {
      return fail("more than one model given ('" + modelPath + "', '" + a +
                  "')");
    }
  }
  if (modelPath.empty()) {
    fputs(kUsage, stderr);
    return 1;
  }

  ModelGuard g;
  if (tessel_status s = tessel_options_create(&g.o))
    return fail(apiError(s));
  for (const auto &o : opts)
    if (tessel_status s =
            tessel_options_set(g.o, o.first.c_str(), o.second.c_str()))
      return fail(apiError(s));
  if (!trace.empty())
    tessel_options_set(g.o, "trace", trace.c_str());
  if (profile || !profileJson.empty())
    tessel_options_set(g.o, "profile", "1");

  if (tessel_status s = tessel_model_load_file(modelPath.c_str(), g.o, &g.m))
    return fail(apiError(s));
  size_t nIn = tessel_model_num_inputs(g.m),
         nOut = tessel_model_num_outputs(g.m);
  std::string chip = tessel_model_chip(g.m);
  printf("model %s: target %s%s, %zu input%s, %zu output%s\n",
         modelPath.c_str(), tessel_model_target(g.m),
         chip.empty() ? "" : (", chip " + chip).c_str(), nIn,
         nIn == 1 ? "" : "s", nOut, nOut == 1 ? "" : "s");

  if (tessel_status s = tessel_context_create(g.m, g.o, &g.c))
    return fail(apiError(s));

  // Bind the inputs.
  if (inputs.size() > nIn)
    return fail(std::to_string(inputs.size()) +
                " inputs given, the model "
                "has " +
                std::to_string(nIn));
  std::vector<bool> bound(nIn, false);
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto [name, file] = splitBinding(inputs[k]);
    size_t index = k;
    if (!name.empty())
      if (tessel_status s = tessel_model_find_input(g.m, name.c_str(), &index))
        return fail(apiError(s));
    tessel_tensor_info info;
    tessel_model_input_info(g.m, index, &info);
    StatusOr<HostTensor> t = readTensorFile(file);
    if (!t)
      return fail(t.message());
    if (static_cast<int>(t->dtype) != static_cast<int>(info.dtype))
      return fail("input '" + std::string(info.name) + "' is " +
                  tessel_dtype_name(info.dtype) + ", but " + file + " holds " +
                  elemName(t->dtype));
    std::vector<int64_t> dims(info.dims, info.dims + info.rank);
    if (t->dims != dims) {
      if (t->data.size() != info.byte_size)
        return fail("input '" + std::string(info.name) + "' has shape " +
                    shapeString(dims) + ", but " + file + " holds " +
                    shapeString(t->dims));
      fprintf(stderr,
              "tessel-run: warning: input '%s' has shape %s; %s holds %s "
              "(same size, used as is)\n",
              info.name, shapeString(dims).c_str(), file.c_str(),
              shapeString(t->dims).c_str());
    }
    if (tessel_status s = tessel_context_set_input(g.c, index, t->data.data(),
                                                   t->data.size()))
      return fail(apiError(s));
    bound[index] = true;
  }
  for (size_t i = 0; i < nIn; ++i)
    if (!bound[i]) {
      tessel_tensor_info info;
      tessel_model_input_info(g.m, i, &info);
      return fail("input '" + std::string(info.name) + "' (" +
                  tessel_dtype_name(info.dtype) + " " +
                  shapeString(info.dims, info.rank) +
                  ") was not given (--input " + info.name + "=FILE)");
    }

  // Run.
  std::vector<double> ms;
  for (uint64_t r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    if (tessel_status s = tessel_context_run(g.c))
      return fail(apiError(s));
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double x : ms)
    mean += x / ms.size();
  double median =
      sorted.size() % 2
          ? sorted[sorted.size() / 2]
          : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
  printf("host time over %" PRIu64 " run%s: min %.3f ms, median %.3f ms, "
         "mean %.3f ms, max %.3f ms\n",
         repeat, repeat == 1 ? "" : "s", sorted.front(), median, mean,
         sorted.back());
  if (const char *summary = tessel_context_summary(g.c); summary && *summary)
    printf("%s", summary);
  if (profile)
    if (const char *p = tessel_context_profile_text(g.c))
      printf("\n%s", p);
  if (!profileJson.empty()) {
    const char *j = tessel_context_profile_json(g.c);
    FILE *f = fopen(profileJson.c_str(), "w");
    if (!f || !j || fputs(j, f) < 0) {
      if (f)
        fclose(f);
      return fail("cannot write the profile to '" + profileJson + "'");
    }
    fclose(f);
  }

  // Outputs.
  auto outputTensor = [&](size_t i, HostTensor &t, tessel_tensor_info &info) {
    tessel_model_output_info(g.m, i, &info);
    const void *data = nullptr;
    size_t bytes = 0;
    if (tessel_status s = tessel_context_output_data(g.c, i, &data, &bytes))
      return s;
    t.name = info.name;
    t.dtype = static_cast<ElemType>(info.dtype);
    t.dims.assign(info.dims, info.dims + info.rank);
    const uint8_t *b = static_cast<const uint8_t *>(data);
    t.data.assign(b, b + bytes);
    return TESSEL_OK;
  };
  if (!outputDir.empty()) {
    for (size_t i = 0; i < nOut; ++i) {
      HostTensor t;
      tessel_tensor_info info;
      if (tessel_status s = outputTensor(i, t, info))
        return fail(apiError(s));
      std::string path = outputDir + "/" + safeFileName(info.name) + ".npy";
      if (Status s = writeNpy(path, t); !s)
        return fail(s.message());
      printf("wrote output '%s' to %s\n", info.name, path.c_str());
    }
  }
  bool allMatch = true;
  for (size_t k = 0; k < expects.size(); ++k) {
    auto [name, file] = splitBinding(expects[k]);
    size_t index = k;
    if (!name.empty())
      if (tessel_status s = tessel_model_find_output(g.m, name.c_str(), &index))
        return fail(apiError(s));
    if (index >= nOut)
      return fail(std::to_string(expects.size()) +
                  " expected outputs "
                  "given, the model has " +
                  std::to_string(nOut));
    HostTensor got;
    tessel_tensor_info info;
    if (tessel_status s = outputTensor(index, got, info))
      return fail(apiError(s));
    StatusOr<HostTensor> want = readTensorFile(file);
    if (!want)
      return fail(want.message());
    if (got.dims != want->dims && got.data.size() == want->data.size() &&
        got.dtype == want->dtype)
      got.dims = want->dims; // Same elements, other shape: compare flat.
    Comparison c = compareTensors(got, *want, rtol, atol);
    if (!c.problem.empty()) {
      printf("output '%s': FAIL: %s\n", info.name, c.problem.c_str());
      allMatch = false;
    } else if (c.match) {
      printf("output '%s': PASS (%" PRIu64 " elements, max abs err %g, max "
             "rel err %g, rtol %g, atol %g)\n",
             info.name, c.elements, c.maxAbsError, c.maxRelError, rtol, atol);
    } else {
      printf("output '%s': FAIL: %" PRIu64 " of %" PRIu64
             " elements differ beyond rtol %g, atol %g; first mismatch at "
             "index %" PRId64 " %s: got %.9g, expected %.9g; max abs err %g, "
             "max rel err %g\n",
             info.name, c.mismatches, c.elements, rtol, atol, c.firstMismatch,
             indexString(got.dims, c.firstMismatch).c_str(), c.got, c.want,
             c.maxAbsError, c.maxRelError);
      allMatch = false;
    }
  }
  return allMatch ? 0 : 1;
}
