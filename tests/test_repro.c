/*
 * Reproducibility machinery without KVM: the sweep orders (interleaved: a permutation of
 * every configuration per round, fixed by the seed, rounds different; blocked: the order
 * bench always had), the bootstrap interval of a median ratio on synthetic data (it holds
 * the true ratio, narrows with more samples, is the same for the same seed), and the
 * readers on synthetic datasets written here: compare flags a 10 % change and not a 0 %
 * one, the spread report finds a 5 % run-to-run difference (in MB/s and % of the run-start
 * memcpy, none in the ratios and the paired % of memcpy), and schema 2 datasets (no
 * paired memcpy) still read in table, compare and spread.  No timing is asserted.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "testlib.h"
#include "../harness/order.h"
#include "../harness/stats.h"

#define NCONFIGS 20
#define WARMUP 1
#define REPS 5
#define NSTEPS (NCONFIGS * (WARMUP + REPS))

static void sizes_two_blocks(uint64_t *bytes)
{
	for (int c = 0; c < NCONFIGS; c++)
		bytes[c] = c < NCONFIGS / 2 ? 1 << 20 : 4 << 20;
}

static void test_interleaved_rounds_are_permutations(void **state)
{
	struct order_step steps[NSTEPS];
	uint64_t bytes[NCONFIGS];
	int next_rep[NCONFIGS];

	(void)state;
	sizes_two_blocks(bytes);
	order_build(ORDER_INTERLEAVED, 7, bytes, NCONFIGS, WARMUP, REPS, steps);
	for (int c = 0; c < NCONFIGS; c++)
		next_rep[c] = -WARMUP;
	for (int round = 0; round < WARMUP + REPS; round++) {
		bool seen[NCONFIGS] = { false };

		for (int i = 0; i < NCONFIGS; i++) {
			const struct order_step *st = &steps[round * NCONFIGS + i];

			assert_true(st->config < NCONFIGS);
			assert_false(seen[st->config]);
			seen[st->config] = true;
			assert_int_equal(st->rep, round - WARMUP); /* warm-up rounds first */
			assert_int_equal(st->rep, next_rep[st->config]++);
			/* a checkpoint ends each measured round, nothing else */
			assert_int_equal(st->checkpoint, i == NCONFIGS - 1 && st->rep >= 0);
		}
	}
}

static bool same_round(const struct order_step *a, const struct order_step *b)
{
	for (int i = 0; i < NCONFIGS; i++)
		if (a[i].config != b[i].config)
			return false;
	return true;
}

static void test_interleaved_is_seeded_and_rounds_differ(void **state)
{
	struct order_step a[NSTEPS], b[NSTEPS], other[NSTEPS];
	uint64_t bytes[NCONFIGS];

	(void)state;
	sizes_two_blocks(bytes);
	order_build(ORDER_INTERLEAVED, 7, bytes, NCONFIGS, WARMUP, REPS, a);
	order_build(ORDER_INTERLEAVED, 7, bytes, NCONFIGS, WARMUP, REPS, b);
	order_build(ORDER_INTERLEAVED, 8, bytes, NCONFIGS, WARMUP, REPS, other);
	assert_memory_equal(a, b, sizeof(a));
	assert_false(same_round(a, other));
	for (int r = 0; r < WARMUP + REPS; r++)
		for (int q = 0; q < r; q++)
			assert_false(same_round(&a[r * NCONFIGS], &a[q * NCONFIGS]));
}

/* The order of the bench command before interleaving, written out: per size, warm-up
 * and measured rounds over that size's configurations in order. */
static void test_blocked_is_the_old_order(void **state)
{
	static const uint64_t bytes[5] = { 4096, 4096, 8192, 8192, 8192 };
	static const int expect_config[] = { 0, 1, 0, 1, 0, 1, 2, 3, 4, 2, 3, 4, 2, 3, 4 };
	static const int expect_rep[] = { -1, -1, 0, 0, 1, 1, -1, -1, -1, 0, 0, 0, 1, 1, 1 };
	struct order_step steps[15];

	(void)state;
	order_build(ORDER_BLOCKED, 7, bytes, 5, 1, 2, steps);
	for (int i = 0; i < 15; i++) {
		assert_int_equal(steps[i].config, expect_config[i]);
		assert_int_equal(steps[i].rep, expect_rep[i]);
		assert_int_equal(steps[i].checkpoint, i == 5 || i == 14); /* each size's last step */
	}
}

/* n values around `center` with uniform noise of +-`amplitude` (relative) from a seeded
 * stream. */
static void noisy(double *v, size_t n, double center, double amplitude, uint64_t seed)
{
	uint64_t state = seed;

	for (size_t i = 0; i < n; i++)
		v[i] = center * (1 + amplitude * ((double)(stats_random(&state) >> 11) / 9007199254740992.0 * 2 - 1));
}

static struct ratio_ci ci_of(size_t n)
{
	double num[400], den[400];

	noisy(num, n, 110, 0.05, 1);
	noisy(den, n, 100, 0.05, 2);
	return stats_median_ratio_ci(num, n, den, n, BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL, BOOTSTRAP_SEED);
}

static void test_bootstrap_interval(void **state)
{
	struct ratio_ci small = ci_of(10), large = ci_of(400), again = ci_of(10);

	(void)state;
	assert_true(small.lo <= 1.1 && 1.1 <= small.hi);
	assert_true(large.lo <= 1.1 && 1.1 <= large.hi);
	assert_true(small.lo <= small.ratio && small.ratio <= small.hi);
	assert_true(large.hi - large.lo < (small.hi - small.lo) / 2);
	assert_memory_equal(&small, &again, sizeof(small));
}

/* ---- synthetic datasets, written the way bench writes them ---- */

static char tmp[300];

static const char *const facet_values[] = { "send", "warm", "4k", "scattered", "0", "on", "copy", "transfer" };
static const char *const labels[] = { "extended(kvm)", "ptcopy" };
static const double base_mbps[] = { 500, 9000 };

/* Two configurations (extended(kvm), ptcopy; send, warm, 4 MiB), `reps` repetitions each
 * at base x factor with +-2 % noise (the same noise for the same seed); schema 2 has no
 * memcpy columns. */
static void write_run(const char *dir, int schema, double factor, uint64_t seed, size_t reps)
{
	char path[600];
	FILE *res, *sum;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	res = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	sum = fopen(path, "w");
	assert_non_null(res);
	assert_non_null(sum);
	fprintf(res, "config_id,label,direction,fault,page_size,frames,offset,timing,delivery,window,bytes,rep,status,"
		     "mbps%s\n", schema >= 3 ? ",memcpy_ns,pct_of_memcpy" : "");
	fprintf(sum, "config_id,label,direction,fault,page_size,frames,offset,timing,delivery,window,bytes,n,"
		     "median_mbps,p5_mbps,p95_mbps,median_pct_of_bound%s\n", schema >= 3 ? ",median_pct_of_memcpy" : "");
	for (int c = 0; c < 2; c++) {
		double v[64];
		char facet[128] = "";

		for (size_t f = 0; f < 8; f++)
			snprintf(facet + strlen(facet), sizeof(facet) - strlen(facet), "%s,", facet_values[f]);
		noisy(v, reps, base_mbps[c] * factor, 0.02, seed + (uint64_t)c);
		for (size_t r = 0; r < reps; r++)
			fprintf(res, "%d,%s,%s4194304,%zu,0,%.3f%s\n", c, labels[c], facet, r, v[r],
				schema >= 3 ? ",400000,20.00" : "");
		fprintf(sum, "%d,%s,%s4194304,%zu,%.3f,%.3f,%.3f,50.00%s\n", c, labels[c], facet, reps,
			stats_median(v, reps), stats_percentile(v, reps, 5), stats_percentile(v, reps, 95),
			schema >= 3 ? ",20.00" : "");
	}
	fclose(res);
	fclose(sum);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	res = fopen(path, "w");
	assert_non_null(res);
	fprintf(res, "{\n  \"schema_version\": %d,\n  \"calibration\": { \"doorbell_round_trip_ns\": 20000.0, "
		     "\"memcpy_gb_per_s\": 10.000 }\n}\n", schema);
	fclose(res);
}

/* An empty folder tmp/group for synthetic runs. */
static void fresh_group(const char *group)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/%s && mkdir -p %s/%s", tmp, group, tmp, group);
	assert_int_equal(system(cmd), 0);
}

static void synth(const char *group, const char *name, int schema, double factor, uint64_t seed, size_t reps)
{
	char dir[700];

	snprintf(dir, sizeof(dir), "%s/%s/%s", tmp, group, name);
	write_run(dir, schema, factor, seed, reps);
}

/* `pagegate COMMAND [OPTIONS] tmp/group/a [tmp/group/b]`: exit status, output in out. */
static int on_runs(char *out, size_t cap, const char *command, const char *group, const char *a, const char *b)
{
	char cmd[1400], second[500] = "";

	if (b)
		snprintf(second, sizeof(second), "%s/%s/%s", tmp, group, b);
	snprintf(cmd, sizeof(cmd), "%s/pagegate %s %s/%s/%s %s", test_build_dir(), command, tmp, group, a, second);
	return test_capture(cmd, out, cap);
}

static void test_compare_flags_ten_percent_not_zero(void **state)
{
	char out[16384];
	int rc;

	(void)state;
	fresh_group("cmp");
	synth("cmp", "a", 3, 1.0, 10, 11);
	synth("cmp", "same", 3, 1.0, 20, 11); /* other noise, no change */
	synth("cmp", "faster", 3, 1.1, 20, 11);
	rc = on_runs(out, sizeof(out), "compare", "cmp", "a", "same");
	if (rc != 0 || !strstr(out, "2 configurations in both runs, 0 flagged"))
		fail_msg("a 0 %% change: exit %d: %s", rc, out);
	rc = on_runs(out, sizeof(out), "compare", "cmp", "a", "faster");
	if (rc != 1 || !strstr(out, "2 configurations in both runs, 2 flagged"))
		fail_msg("a 10 %% change: exit %d: %s", rc, out);
	rc = on_runs(out, sizeof(out), "compare --threshold 20", "cmp", "a", "faster");
	if (rc != 0 || !strstr(out, "0 flagged"))
		fail_msg("a 10 %% change under a 20 %% threshold: exit %d: %s", rc, out);
}

/* The number on the report's "largest spread" line for `what` (NAN: not measured). */
static double worst(const char *report, const char *what)
{
	char key[64];
	const char *at;

	snprintf(key, sizeof(key), "\n  %s  ", what);
	at = strstr(report, key);
	if (!at)
		fail_msg("no '%s' line in: %s", what, report);
	at += strlen(key);
	while (*at == ' ')
		at++;
	return strncmp(at, "not measured", 12) ? strtod(at, NULL) : NAN;
}

static void test_spread_of_runs(void **state)
{
	char out[16384];
	int rc;

	(void)state;
	fresh_group("spread");
	synth("spread", "r1", 3, 1.0, 5, 7);
	synth("spread", "r2", 3, 1.05, 5, 7); /* the same noise 5 % higher: every median 5 % up */
	rc = on_runs(out, sizeof(out), "spread", "spread", "r1", "r2");
	if (rc || worst(out, "MB/s") != 5.0 || worst(out, "% of memcpy") != 0.0 ||
	    worst(out, "% of start memcpy") != 5.0 || worst(out, "ratio columns") != 0.0)
		fail_msg("spread: exit %d: %s", rc, out);
}

static void test_schema_2_still_reads(void **state)
{
	char out[16384];
	int rc;

	(void)state;
	fresh_group("v2");
	synth("v2", "a", 2, 1.0, 3, 5);
	synth("v2", "b", 2, 1.0, 4, 5);
	rc = on_runs(out, sizeof(out), "table", "v2", "a", NULL);
	if (rc || !strstr(out, "ptcopy / extended(kvm)") || !strstr(out, "x ["))
		fail_msg("table of a schema 2 run: exit %d: %s", rc, out);
	rc = on_runs(out, sizeof(out), "compare", "v2", "a", "b");
	if (rc > 1 || !strstr(out, "2 configurations in both runs"))
		fail_msg("compare of schema 2 runs: exit %d: %s", rc, out);
	rc = on_runs(out, sizeof(out), "spread", "v2", "a", "b");
	if (rc || !isnan(worst(out, "% of memcpy")) || isnan(worst(out, "% of start memcpy")))
		fail_msg("spread of schema 2 runs: exit %d: %s", rc, out);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/test-repro", test_build_dir());
	mkdir(tmp, 0755);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_rounds_are_permutations),
		cmocka_unit_test(test_interleaved_is_seeded_and_rounds_differ),
		cmocka_unit_test(test_blocked_is_the_old_order),
		cmocka_unit_test(test_bootstrap_interval),
		cmocka_unit_test(test_compare_flags_ten_percent_not_zero),
		cmocka_unit_test(test_spread_of_runs),
		cmocka_unit_test(test_schema_2_still_reads),
	};

	return cmocka_run_group_tests_name("repro", tests, setup, NULL);
}
