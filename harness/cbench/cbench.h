/*
 * cbench: a C API over Google Benchmark (Debian's libbenchmark, C++), the only C++ in
 * pagegate.  Register a C function with a context pointer, give it arguments, and run
 * everything with Google Benchmark's own command line (--benchmark_filter,
 * --benchmark_out=FILE --benchmark_out_format=json, --benchmark_min_time, ...).  Inside
 * the function, loop while cbench_keep_running() (or cbench_keep_running_batch() for very
 * cheap bodies) and report bytes, items, counters and labels.  Google Benchmark's JSON is
 * the source of truth for results.
 */
#ifndef PG_CBENCH_H
#define PG_CBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cbench_state cbench_state; /* benchmark::State */
typedef struct cbench_bench cbench_bench; /* a registered benchmark */
typedef void (*cbench_fn)(cbench_state *st, void *ctx);

enum cbench_unit { CBENCH_NS, CBENCH_US, CBENCH_MS, CBENCH_S };

/* Counter flags (combinable), as benchmark::Counter's. */
enum {
	CBENCH_COUNTER_DEFAULT = 0,
	CBENCH_COUNTER_RATE = 1,           /* value / elapsed seconds */
	CBENCH_COUNTER_AVG_ITERATIONS = 2, /* value / iterations */
	CBENCH_COUNTER_INVERT = 4,         /* 1 / value (with the above: seconds per unit) */
};

cbench_bench *cbench_register(const char *name, cbench_fn fn, void *ctx);
cbench_bench *cbench_arg(cbench_bench *b, int64_t value);
cbench_bench *cbench_range(cbench_bench *b, int64_t lo, int64_t hi, int multiplier);
cbench_bench *cbench_arg_name(cbench_bench *b, const char *name);
cbench_bench *cbench_unit(cbench_bench *b, enum cbench_unit unit);
cbench_bench *cbench_iterations(cbench_bench *b, int64_t n);
cbench_bench *cbench_min_time(cbench_bench *b, double seconds);
cbench_bench *cbench_repetitions(cbench_bench *b, int n);
/* The benchmark's time is what it reports per iteration with cbench_set_iteration_time
 * (Google Benchmark's UseManualTime), not the wall time of its loop. */
cbench_bench *cbench_use_manual_time(cbench_bench *b);

bool cbench_keep_running(cbench_state *st);
/* Run the body `batch` times per check; true while more are wanted. */
bool cbench_keep_running_batch(cbench_state *st, int64_t batch);
int64_t cbench_arg_value(cbench_state *st, int index);
int64_t cbench_iterations_done(cbench_state *st);
void cbench_set_bytes_processed(cbench_state *st, int64_t bytes);
void cbench_set_items_processed(cbench_state *st, int64_t items);
void cbench_counter(cbench_state *st, const char *name, double value, int flags);
void cbench_label(cbench_state *st, const char *label);
void cbench_skip_with_error(cbench_state *st, const char *message);
/* With cbench_use_manual_time: this iteration took `seconds`. */
void cbench_set_iteration_time(cbench_state *st, double seconds);
void cbench_pause_timing(cbench_state *st);
void cbench_resume_timing(cbench_state *st);

/* A key added to the "context" object of the JSON output. */
void cbench_add_context(const char *key, const char *value);
/* Initialize with the command line (Google Benchmark removes the flags it knows), run
 * the registered benchmarks, shut down.  Returns the number of benchmarks run, or -1
 * (after a message) if arguments were left that neither side understood. */
int cbench_run(int *argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
