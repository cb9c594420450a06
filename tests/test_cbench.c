/*
 * cbench, the C wrapper over Google Benchmark: registration with a context pointer,
 * arguments and ranges, the keep-running loop and its batch form, manual iteration
 * times, bytes / items / counters / labels, skip-with-error, pass-through of Google Benchmark's own flags, and
 * custom context keys — all checked in the JSON Google Benchmark writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../harness/cbench/cbench.h"
#include "testlib.h"

struct probe {
	int64_t iterations, min_arg, max_arg;
};

static void body(cbench_state *st, void *ctx)
{
	struct probe *p = ctx;
	int64_t arg = cbench_arg_value(st, 0);
	volatile int64_t sink = 0;

	while (cbench_keep_running(st)) {
		sink += arg;
		p->iterations++;
	}
	p->min_arg = p->min_arg && p->min_arg < arg ? p->min_arg : arg;
	p->max_arg = p->max_arg > arg ? p->max_arg : arg;
	cbench_set_bytes_processed(st, cbench_iterations_done(st) * arg);
	cbench_set_items_processed(st, cbench_iterations_done(st));
	cbench_counter(st, "per_item_ns", (double)cbench_iterations_done(st),
		       CBENCH_COUNTER_RATE | CBENCH_COUNTER_INVERT);
	cbench_counter(st, "arg_copy", (double)arg, CBENCH_COUNTER_DEFAULT);
	cbench_label(st, "label-from-c");
}

static void batch_body(cbench_state *st, void *ctx)
{
	struct probe *p = ctx;

	while (cbench_keep_running_batch(st, 64))
		p->iterations += 64;
}

/* Every iteration "took" 2^-9 s (exact in binary, so the JSON's mean is exact too). */
static void manual_body(cbench_state *st, void *ctx)
{
	struct probe *p = ctx;

	while (cbench_keep_running(st)) {
		cbench_set_iteration_time(st, 1.0 / 512);
		p->iterations++;
	}
}

static void failing_body(cbench_state *st, void *ctx)
{
	(void)ctx;
	cbench_skip_with_error(st, "deliberate failure from C");
	while (cbench_keep_running(st))
		;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	return buf;
}

static void expect(const char *json, const char *text)
{
	if (!strstr(json, text))
		fail_msg("the JSON lacks %s", text);
}

static void test_wrapper_round_trip(void **state)
{
	struct probe p = { 0 }, batch = { 0 }, manual = { 0 }, failing = { 0 };
	char out_flag[300], path[256], *json;
	char *argv[] = { "test_cbench", out_flag, "--benchmark_out_format=json", "--benchmark_min_time=0.01",
			 "--benchmark_filter=^c_", NULL };
	int argc = 5;

	(void)state;
	snprintf(path, sizeof(path), "%s/test-cbench.json", test_build_dir());
	snprintf(out_flag, sizeof(out_flag), "--benchmark_out=%s", path);
	cbench_unit(cbench_arg_name(cbench_range(cbench_register("c_loop", body, &p), 8, 512, 8), "bytes"),
		    CBENCH_US);
	cbench_arg(cbench_register("c_batch", batch_body, &batch), 1);
	cbench_unit(cbench_use_manual_time(cbench_register("c_manual", manual_body, &manual)), CBENCH_US);
	cbench_iterations(cbench_register("c_skip", failing_body, &failing), 1);
	cbench_register("not_selected", failing_body, &failing);
	cbench_add_context("pagegate_git_sha", "abc123");
	assert_int_equal(cbench_run(&argc, argv), 6); /* c_loop: 8, 64, 512; c_batch; c_manual; c_skip */
	assert_true(p.iterations > 0);
	assert_int_equal(p.min_arg, 8);
	assert_int_equal(p.max_arg, 512);
	assert_true(batch.iterations > 0 && batch.iterations % 64 == 0);
	assert_true(manual.iterations > 0);
	json = slurp(path);
	expect(json, "\"pagegate_git_sha\": \"abc123\"");
	expect(json, "\"name\": \"c_loop/bytes:8\"");
	expect(json, "\"name\": \"c_loop/bytes:512\"");
	expect(json, "\"name\": \"c_batch/1\"");
	expect(json, "\"bytes_per_second\":");
	expect(json, "\"items_per_second\":");
	expect(json, "\"per_item_ns\":");
	expect(json, "\"arg_copy\": 5.1200000000000000e+02");
	expect(json, "\"label\": \"label-from-c\"");
	expect(json, "\"time_unit\": \"us\"");
	expect(json, "\"name\": \"c_manual/manual_time\"");
	expect(json, "\"real_time\": 1.9531250000000000e+03");
	expect(json, "\"error_occurred\": true");
	expect(json, "\"error_message\": \"deliberate failure from C\"");
	assert_null(strstr(json, "not_selected"));
	free(json);
}

static void test_unknown_argument_is_refused(void **state)
{
	char *argv[] = { "test_cbench", "--not-a-benchmark-flag", NULL };
	int argc = 2;

	(void)state;
	assert_int_equal(cbench_run(&argc, argv), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapper_round_trip),
		cmocka_unit_test(test_unknown_argument_is_refused),
	};

	return cmocka_run_group_tests_name("cbench", tests, NULL, NULL);
}
