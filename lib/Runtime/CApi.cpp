//===- CApi.cpp - The runtime C API over rt::Model and rt::Context --------===//
#include "tessel/Runtime/tessel_runtime.h"

#include "tessel/Runtime/Runtime.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

using namespace tessel;
using namespace tessel::rt;

struct tessel_options {
  std::string chip;
  std::vector<std::string> chipFiles;
  std::string trace;
  bool profile = false;
  uint32_t batch = 1, instances = 1;
  bool hazards = true;
  uint64_t maxInstructions = 0, maxWork = 0;
  int threads = 0;
};

struct tessel_model {
  std::shared_ptr<const Model> model;
  std::vector<std::vector<int64_t>> dims;
  std::string chip;
  std::string fingerprint;
};

struct tessel_context {
  std::unique_ptr<Context> context;
  std::string lastError;
  std::string empty;
};

namespace {

thread_local std::string lastError;

tessel_status toStatus(ErrorKind k) {
  switch (k) {
  case ErrorKind::None:
    return TESSEL_OK;
  case ErrorKind::InvalidArgument:
    return TESSEL_ERROR_INVALID_ARGUMENT;
  case ErrorKind::Io:
    return TESSEL_ERROR_IO;
  case ErrorKind::Format:
    return TESSEL_ERROR_FORMAT;
  case ErrorKind::Version:
    return TESSEL_ERROR_VERSION;
  case ErrorKind::ChipMismatch:
    return TESSEL_ERROR_CHIP_MISMATCH;
  case ErrorKind::Unsupported:
    return TESSEL_ERROR_UNSUPPORTED;
  case ErrorKind::NotFound:
    return TESSEL_ERROR_NOT_FOUND;
  case ErrorKind::Execution:
    return TESSEL_ERROR_EXECUTION;
  case ErrorKind::OutOfMemory:
    return TESSEL_ERROR_OUT_OF_MEMORY;
  case ErrorKind::State:
    return TESSEL_ERROR_STATE;
  case ErrorKind::Generic:
    break;
  }
  return TESSEL_ERROR;
}

tessel_status fail(tessel_status s, std::string msg,
                   tessel_context *ctx = nullptr) {
  lastError = std::move(msg);
  if (ctx)
    ctx->lastError = lastError;
  return s;
}

tessel_status fail(const Status &s, tessel_context *ctx = nullptr) {
  return fail(toStatus(s.kind()), s.message(), ctx);
}

tessel_status ok(tessel_context *ctx = nullptr) {
  if (ctx)
    ctx->lastError.clear();
  return TESSEL_OK;
}

bool parseU64(const char *v, uint64_t &out) {
  if (!v || !*v || *v == '-')
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 0);
  if (errno || *end)
    return false;
  out = x;
  return true;
}

LoadOptions loadOptions(const tessel_options *o) {
  LoadOptions l;
  if (o) {
    l.deviceChip = o->chip;
    l.chipFiles = o->chipFiles;
  }
  return l;
}

tessel_status fillInfo(const tessel_model *m, const std::vector<size_t> &ids,
                       size_t index, tessel_tensor_info *info,
                       const char *what) {
  if (!m || !info)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null model or info");
  if (index >= ids.size())
    return fail(TESSEL_ERROR_INVALID_ARGUMENT,
                std::string(what) + " index " + std::to_string(index) +
                    " is out of range (the model has " +
                    std::to_string(ids.size()) + ")");
  const TensorDesc &t = m->model->tensor(ids[index]);
  info->name = t.name.c_str();
  info->dtype = static_cast<tessel_dtype>(t.dtype);
  info->rank = static_cast<int32_t>(t.dims.size());
  info->dims = m->dims[ids[index]].data();
  info->layout = t.layout.c_str();
  info->has_quant = t.hasQuant;
  info->scale = t.scale;
  info->zero_point = t.zeroPoint;
  info->byte_size = static_cast<size_t>(t.byteSize());
  return ok();
}

tessel_status finishLoad(StatusOr<std::shared_ptr<const Model>> m,
                         tessel_model **out) {
  if (!m)
    return fail(m.status());
  tessel_model *h = new (std::nothrow) tessel_model();
  if (!h)
    return fail(TESSEL_ERROR_OUT_OF_MEMORY, "out of memory");
  h->model = m.take();
  for (const TensorDesc &t : h->model->binary().model.tensors)
    h->dims.push_back(t.dims);
  h->chip = h->model->chip() ? h->model->chip()->name : std::string();
  if (!h->chip.empty()) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%016llx",
             static_cast<unsigned long long>(
                 h->model->binary().model.chipFingerprint));
    h->fingerprint = buf;
  }
  *out = h;
  return ok();
}

} // namespace

extern "C" {

const char *tessel_version(void) { return "0.1.0"; }

const char *tessel_status_string(tessel_status s) {
  switch (s) {
  case TESSEL_OK:
    return "ok";
  case TESSEL_ERROR:
    return "error";
  case TESSEL_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case TESSEL_ERROR_IO:
    return "I/O error";
  case TESSEL_ERROR_FORMAT:
    return "invalid binary";
  case TESSEL_ERROR_VERSION:
    return "unsupported format version";
  case TESSEL_ERROR_CHIP_MISMATCH:
    return "chip mismatch";
  case TESSEL_ERROR_UNSUPPORTED:
    return "unsupported";
  case TESSEL_ERROR_NOT_FOUND:
    return "not found";
  case TESSEL_ERROR_EXECUTION:
    return "execution fault";
  case TESSEL_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case TESSEL_ERROR_STATE:
    return "invalid state";
  }
  return "unknown status";
}

const char *tessel_last_error(void) { return lastError.c_str(); }

size_t tessel_dtype_size(tessel_dtype d) {
  return elemSize(static_cast<ElemType>(d));
}

const char *tessel_dtype_name(tessel_dtype d) {
  return elemName(static_cast<ElemType>(d));
}

tessel_status tessel_options_create(tessel_options **out) {
  if (!out)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null output pointer");
  *out = new (std::nothrow) tessel_options();
  if (!*out)
    return fail(TESSEL_ERROR_OUT_OF_MEMORY, "out of memory");
  return ok();
}

tessel_status tessel_options_set(tessel_options *o, const char *key,
                                 const char *value) {
  if (!o || !key || !value)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null options, key or value");
  std::string k = key;
  uint64_t n = 0;
  auto number = [&](uint64_t lo, uint64_t hi) {
    if (!parseU64(value, n) || n < lo || n > hi)
      return fail(TESSEL_ERROR_INVALID_ARGUMENT,
                  "option '" + k + "' needs an integer in [" +
                      std::to_string(lo) + ", " + std::to_string(hi) +
                      "], not '" + value + "'");
    return TESSEL_OK;
  };
  if (k == "chip") {
    o->chip = value;
  } else if (k == "chip-file") {
    o->chipFiles.push_back(value);
  } else if (k == "trace") {
    o->trace = value;
  } else if (k == "profile" || k == "hazard-checks") {
    if (number(0, 1) != TESSEL_OK)
      return TESSEL_ERROR_INVALID_ARGUMENT;
    (k == "profile" ? o->profile : o->hazards) = n != 0;
  } else if (k == "batch" || k == "instances") {
    if (number(1, 1u << 20) != TESSEL_OK)
      return TESSEL_ERROR_INVALID_ARGUMENT;
    (k == "batch" ? o->batch : o->instances) = static_cast<uint32_t>(n);
  } else if (k == "threads") {
    if (number(1, 4096) != TESSEL_OK)
      return TESSEL_ERROR_INVALID_ARGUMENT;
    o->threads = static_cast<int>(n);
  } else if (k == "max-instructions" || k == "max-work") {
    if (number(1, UINT64_MAX) != TESSEL_OK)
      return TESSEL_ERROR_INVALID_ARGUMENT;
    (k == "max-work" ? o->maxWork : o->maxInstructions) = n;
  } else {
    return fail(TESSEL_ERROR_INVALID_ARGUMENT,
                "unknown option '" + k +
                    "' (chip, chip-file, trace, profile, batch, instances, "
                    "hazard-checks, max-instructions, max-work, threads)");
  }
  return ok();
}

void tessel_options_release(tessel_options *o) { delete o; }

tessel_status tessel_model_load_file(const char *path,
                                     const tessel_options *options,
                                     tessel_model **out) {
  if (!path || !out)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null path or output pointer");
  *out = nullptr;
  return finishLoad(Model::loadFile(path, loadOptions(options)), out);
}

tessel_status tessel_model_load_memory(const void *data, size_t size,
                                       const tessel_options *options,
                                       tessel_model **out) {
  if ((!data && size) || !out)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null data or output pointer");
  *out = nullptr;
  return finishLoad(Model::loadMemory(data, size, loadOptions(options)), out);
}

void tessel_model_release(tessel_model *m) { delete m; }

const char *tessel_model_target(const tessel_model *m) {
  return m ? targetName(m->model->target()) : "";
}

const char *tessel_model_chip(const tessel_model *m) {
  return m ? m->chip.c_str() : "";
}

const char *tessel_model_metadata(const tessel_model *m, const char *key) {
  if (!m || !key)
    return nullptr;
  const LoadedBinary &b = m->model->binary();
  std::string k = key;
  if (k == "target")
    return targetName(b.model.target);
  if (k == "producer")
    return b.model.producer.c_str();
  if (k == "chip")
    return b.model.chip.empty() ? nullptr : b.model.chip.c_str();
  if (k == "chip.fingerprint")
    return m->fingerprint.empty() ? nullptr : m->fingerprint.c_str();
  const std::string *v = b.meta(k);
  return v ? v->c_str() : nullptr;
}

size_t tessel_model_num_inputs(const tessel_model *m) {
  return m ? m->model->inputs().size() : 0;
}

size_t tessel_model_num_outputs(const tessel_model *m) {
  return m ? m->model->outputs().size() : 0;
}

tessel_status tessel_model_input_info(const tessel_model *m, size_t index,
                                      tessel_tensor_info *info) {
  return fillInfo(m, m ? m->model->inputs() : std::vector<size_t>(), index,
                  info, "input");
}

tessel_status tessel_model_output_info(const tessel_model *m, size_t index,
                                       tessel_tensor_info *info) {
  return fillInfo(m, m ? m->model->outputs() : std::vector<size_t>(), index,
                  info, "output");
}

tessel_status tessel_model_find_input(const tessel_model *m, const char *name,
                                      size_t *index) {
  if (!m || !name || !index)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null argument");
  int64_t i = m->model->findInput(name);
  if (i < 0)
    return fail(TESSEL_ERROR_NOT_FOUND,
                std::string("the model has no input named '") + name + "'");
  *index = static_cast<size_t>(i);
  return ok();
}

tessel_status tessel_model_find_output(const tessel_model *m, const char *name,
                                       size_t *index) {
  if (!m || !name || !index)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null argument");
  int64_t i = m->model->findOutput(name);
  if (i < 0)
    return fail(TESSEL_ERROR_NOT_FOUND,
                std::string("the model has no output named '") + name + "'");
  *index = static_cast<size_t>(i);
  return ok();
}

tessel_status tessel_context_create(const tessel_model *m,
                                    const tessel_options *o,
                                    tessel_context **out) {
  if (!m || !out)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null model or output pointer");
  *out = nullptr;
  RunOptions r;
  if (o) {
    r.tracePath = o->trace;
    r.profile = o->profile;
    r.summary.batch = o->batch;
    r.summary.instances = o->instances;
    r.sim.checkHazards = o->hazards;
    r.threads = o->threads;
    if (o->maxInstructions)
      r.sim.maxInstructions = o->maxInstructions;
    if (o->maxWork)
      r.sim.maxWork = o->maxWork;
  }
  StatusOr<std::unique_ptr<Context>> c = Context::create(m->model, r);
  if (!c)
    return fail(c.status());
  tessel_context *h = new (std::nothrow) tessel_context();
  if (!h)
    return fail(TESSEL_ERROR_OUT_OF_MEMORY, "out of memory");
  h->context = c.take();
  *out = h;
  return ok();
}

void tessel_context_release(tessel_context *c) { delete c; }

tessel_status tessel_context_set_input(tessel_context *c, size_t index,
                                       const void *data, size_t bytes) {
  if (!c)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null context");
  if (Status s = c->context->setInput(index, data, bytes); !s)
    return fail(s, c);
  return ok(c);
}

tessel_status tessel_context_set_input_by_name(tessel_context *c,
                                               const char *name,
                                               const void *data, size_t bytes) {
  if (!c || !name)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null context or name", c);
  int64_t i = c->context->model().findInput(name);
  if (i < 0)
    return fail(TESSEL_ERROR_NOT_FOUND,
                std::string("the model has no input named '") + name + "'", c);
  return tessel_context_set_input(c, static_cast<size_t>(i), data, bytes);
}

tessel_status tessel_context_run(tessel_context *c) {
  if (!c)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null context");
  if (Status s = c->context->run(); !s)
    return fail(s, c);
  return ok(c);
}

tessel_status tessel_context_output_data(tessel_context *c, size_t index,
                                         const void **data, size_t *bytes) {
  if (!c || !data)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null context or data pointer",
                c);
  size_t n = c->context->model().outputs().size();
  if (index >= n)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT,
                "output index " + std::to_string(index) +
                    " is out of range (the model has " + std::to_string(n) +
                    " outputs)",
                c);
  size_t size = 0;
  const uint8_t *p = c->context->outputData(index, &size);
  if (!p)
    return fail(TESSEL_ERROR_STATE, "no output yet: run the context first", c);
  *data = p;
  if (bytes)
    *bytes = size;
  return ok(c);
}

tessel_status tessel_context_get_output(tessel_context *c, size_t index,
                                        void *data, size_t bytes) {
  const void *p = nullptr;
  size_t size = 0;
  if (tessel_status s = tessel_context_output_data(c, index, &p, &size))
    return s;
  if (!data || bytes < size)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT,
                "the output buffer holds " + std::to_string(bytes) +
                    " bytes; output " + std::to_string(index) + " needs " +
                    std::to_string(size),
                c);
  std::memcpy(data, p, size);
  return ok(c);
}

const char *tessel_context_last_error(const tessel_context *c) {
  return c ? c->lastError.c_str() : "";
}

tessel_status tessel_context_stats(const tessel_context *c,
                                   tessel_run_stats *s) {
  if (!c || !s)
    return fail(TESSEL_ERROR_INVALID_ARGUMENT, "null context or stats");
  const RunReport &r = c->context->report();
  s->cycles = r.stats.cycles;
  s->latency_us = r.summary.latencyUs;
  s->instructions = r.stats.instructions;
  s->macs = r.stats.macs;
  s->utilization = r.summary.utilization;
  s->ddr_bytes = r.stats.ddrBytes();
  s->inferences_per_second = r.summary.inferencesPerSecond;
  s->energy_uj_per_inference = r.summary.energyPerInferenceUJ;
  s->inferences_per_joule = r.summary.inferencesPerJoule;
  s->wall_seconds = r.wallSeconds;
  return TESSEL_OK;
}

const char *tessel_context_summary(const tessel_context *c) {
  return c ? c->context->report().summaryText.c_str() : "";
}

const char *tessel_context_profile_json(const tessel_context *c) {
  if (!c || c->context->report().profileJson.empty())
    return nullptr;
  return c->context->report().profileJson.c_str();
}

const char *tessel_context_profile_text(const tessel_context *c) {
  if (!c || c->context->report().profileText.empty())
    return nullptr;
  return c->context->report().profileText.c_str();
}

} // extern "C"
