/*===- tessel_runtime.h - The Tessel runtime C API ----------------*- C -*-===*\
|*                                                                            *|
|* Loads a deployable binary (.tsl), binds inputs, runs it and reads the     *|
|* outputs, whatever the target: NPU binaries run on the NPU simulator, host *|
|* steps on the host executor of the CPU back end.                           *|
|*                                                                            *|
|*   tessel_model *model;                                                     *|
|*   if (tessel_model_load_file("m.tsl", NULL, &model) != TESSEL_OK)          *|
|*     fprintf(stderr, "%s\n", tessel_last_error());                          *|
|*   tessel_context *ctx;                                                     *|
|*   tessel_context_create(model, NULL, &ctx);                                *|
|*   tessel_context_set_input(ctx, 0, data, bytes);                           *|
|*   tessel_context_run(ctx);                                                 *|
|*   tessel_context_get_output(ctx, 0, out, out_bytes);                       *|
|*   tessel_context_release(ctx);                                             *|
|*   tessel_model_release(model);                                             *|
|*                                                                            *|
|* Errors: every call that can fail returns a tessel_status; the message is  *|
|* in tessel_last_error() (per thread) and, for context calls, also in       *|
|* tessel_context_last_error(ctx).                                           *|
|* Threads: a loaded model is immutable; any number of threads may create    *|
|* and run their own contexts on it at the same time. One context must not  *|
|* be used by two threads at once.                                          *|
|* Strings and pointers returned by the API stay valid until the object     *|
|* they come from is released (context outputs: until its next run).         *|
|* docs/runtime.md describes the API; docs/binary-format.md the file.       *|
\*===----------------------------------------------------------------------===*/
#ifndef TESSEL_RUNTIME_TESSEL_RUNTIME_H
#define TESSEL_RUNTIME_TESSEL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(TESSEL_RUNTIME_BUILD)
#define TESSEL_API __attribute__((visibility("default")))
#else
#define TESSEL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define TESSEL_RUNTIME_API_VERSION 1

typedef enum tessel_status {
  TESSEL_OK = 0,
  TESSEL_ERROR = 1,                  /* Unclassified failure. */
  TESSEL_ERROR_INVALID_ARGUMENT = 2, /* Null pointer, bad index or size. */
  TESSEL_ERROR_IO = 3,               /* Cannot open, read or write a file. */
  TESSEL_ERROR_FORMAT = 4,           /* Not a valid .tsl file (corrupt). */
  TESSEL_ERROR_VERSION = 5,          /* A format version this cannot read. */
  TESSEL_ERROR_CHIP_MISMATCH = 6,    /* Compiled for another chip. */
  TESSEL_ERROR_UNSUPPORTED = 7,      /* A target or step this cannot run. */
  TESSEL_ERROR_NOT_FOUND = 8,        /* No input/output of that name. */
  TESSEL_ERROR_EXECUTION = 9,        /* The program faulted while running. */
  TESSEL_ERROR_OUT_OF_MEMORY = 10,
  TESSEL_ERROR_STATE = 11 /* Wrong order (e.g. run before inputs). */
} tessel_status;

/* Element types of inputs and outputs. */
typedef enum tessel_dtype {
  TESSEL_DTYPE_INVALID = 0,
  TESSEL_DTYPE_F32 = 1,
  TESSEL_DTYPE_F16 = 2,
  TESSEL_DTYPE_BF16 = 3,
  TESSEL_DTYPE_F64 = 4,
  TESSEL_DTYPE_I8 = 5,
  TESSEL_DTYPE_U8 = 6,
  TESSEL_DTYPE_I16 = 7,
  TESSEL_DTYPE_U16 = 8,
  TESSEL_DTYPE_I32 = 9,
  TESSEL_DTYPE_U32 = 10,
  TESSEL_DTYPE_I64 = 11,
  TESSEL_DTYPE_U64 = 12,
  TESSEL_DTYPE_BOOL = 13
} tessel_dtype;

typedef struct tessel_options tessel_options;
typedef struct tessel_model tessel_model;
typedef struct tessel_context tessel_context;

/* An input or output. Pointers are owned by the model. */
typedef struct tessel_tensor_info {
  const char *name;
  tessel_dtype dtype;
  int32_t rank;
  const int64_t *dims;
  const char *layout; /* e.g. "NHWC"; "" if unknown. */
  int32_t has_quant;  /* real = scale * (q - zero_point) */
  double scale;
  int64_t zero_point;
  size_t byte_size; /* Dense, row-major. */
} tessel_tensor_info;

/* Figures of the last run (simulated time for NPU steps). */
typedef struct tessel_run_stats {
  uint64_t cycles;
  double latency_us;
  uint64_t instructions;
  uint64_t macs;
  double utilization;
  uint64_t ddr_bytes;
  double inferences_per_second;
  double energy_uj_per_inference;
  double inferences_per_joule;
  double wall_seconds; /* Host time the run took. */
} tessel_run_stats;

/*--- Library ---------------------------------------------------------------*/

TESSEL_API const char *tessel_version(void);
TESSEL_API const char *tessel_status_string(tessel_status status);
/* The message of the last failed call on this thread ("" if none). */
TESSEL_API const char *tessel_last_error(void);
TESSEL_API size_t tessel_dtype_size(tessel_dtype dtype);
TESSEL_API const char *tessel_dtype_name(tessel_dtype dtype);

/*--- Options ---------------------------------------------------------------*/
/* Keys (values are strings):
 *   for loading models:
 *     "chip"          the device's chip; a model for another chip is refused
 *     "chip-file"     a chip definition file (may be given several times)
 *   for contexts:
 *     "trace"         write a Chrome trace-event JSON here after every run
 *     "profile"       "1": keep the profile JSON of the last run
 *     "batch", "instances"   scale the summary's inferences/s and energy
 *     "hazard-checks" "0" turns off the simulator's race detection
 *     "max-instructions", "max-work"   simulator safety limits
 *     "threads"        threads for host (CPU) code (default: TESSEL_NUM_THREADS
 *                      or every hardware thread)
 */
TESSEL_API tessel_status tessel_options_create(tessel_options **out);
TESSEL_API tessel_status tessel_options_set(tessel_options *options,
                                            const char *key, const char *value);
TESSEL_API void tessel_options_release(tessel_options *options);

/*--- Models ----------------------------------------------------------------*/

TESSEL_API tessel_status tessel_model_load_file(const char *path,
                                                const tessel_options *options,
                                                tessel_model **out);
/* The bytes are copied: the caller may free them after the call. */
TESSEL_API tessel_status tessel_model_load_memory(const void *data, size_t size,
                                                  const tessel_options *options,
                                                  tessel_model **out);
TESSEL_API void tessel_model_release(tessel_model *model);

TESSEL_API const char *tessel_model_target(const tessel_model *model);
/* The chip of an NPU model ("" otherwise). */
TESSEL_API const char *tessel_model_chip(const tessel_model *model);
/* A metadata value ("producer", "option.batch", ...), or NULL. */
TESSEL_API const char *tessel_model_metadata(const tessel_model *model,
                                             const char *key);
TESSEL_API size_t tessel_model_num_inputs(const tessel_model *model);
TESSEL_API size_t tessel_model_num_outputs(const tessel_model *model);
TESSEL_API tessel_status tessel_model_input_info(const tessel_model *model,
                                                 size_t index,
                                                 tessel_tensor_info *info);
TESSEL_API tessel_status tessel_model_output_info(const tessel_model *model,
                                                  size_t index,
                                                  tessel_tensor_info *info);
TESSEL_API tessel_status tessel_model_find_input(const tessel_model *model,
                                                 const char *name,
                                                 size_t *index);
TESSEL_API tessel_status tessel_model_find_output(const tessel_model *model,
                                                  const char *name,
                                                  size_t *index);

/*--- Execution contexts ----------------------------------------------------*/

TESSEL_API tessel_status tessel_context_create(const tessel_model *model,
                                               const tessel_options *options,
                                               tessel_context **out);
TESSEL_API void tessel_context_release(tessel_context *context);
/* Copies the input in; `bytes` must equal its byte_size. */
TESSEL_API tessel_status tessel_context_set_input(tessel_context *context,
                                                  size_t index,
                                                  const void *data,
                                                  size_t bytes);
TESSEL_API tessel_status tessel_context_set_input_by_name(
    tessel_context *context, const char *name, const void *data, size_t bytes);
TESSEL_API tessel_status tessel_context_run(tessel_context *context);
/* Copies output `index` out; `bytes` must be at least its byte_size. */
TESSEL_API tessel_status tessel_context_get_output(tessel_context *context,
                                                   size_t index, void *data,
                                                   size_t bytes);
/* Points at output `index` in place (valid until the next run). */
TESSEL_API tessel_status tessel_context_output_data(tessel_context *context,
                                                    size_t index,
                                                    const void **data,
                                                    size_t *bytes);
TESSEL_API const char *tessel_context_last_error(const tessel_context *context);
TESSEL_API tessel_status tessel_context_stats(const tessel_context *context,
                                              tessel_run_stats *stats);
/* The simulator's summary of the last run ("" without NPU steps). */
TESSEL_API const char *tessel_context_summary(const tessel_context *context);
/* The profile of the last run as JSON, and as per-layer and per-instruction
 * tables (NULL unless the option "profile" is "1"). */
TESSEL_API const char *
tessel_context_profile_json(const tessel_context *context);
TESSEL_API const char *
tessel_context_profile_text(const tessel_context *context);

#ifdef __cplusplus
}
#endif

#endif /* TESSEL_RUNTIME_TESSEL_RUNTIME_H */
