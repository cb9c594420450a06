/*
 * The harness from the outside, through the pagegate command: bad command lines exit 2
 * with one line; gnuplot renders non-empty PNG, SVG and PDF figures from a fixture
 * dataset, and the ring's figures from a ring fixture with their data files checked cell
 * by cell (a cell not measured stays in its column); a guest's latency histogram that
 * does not add up is refused; compare flags exactly the configuration that changed between two fixture
 * runs (summaries only, so by their p5-p95 ranges); a real sweep (interleaved, warm and
 * cold buffers mixed in every round) writes results/summary/meta with the documented
 * schema, every row with its paired memcpy and every cold row with all its faults; and a sweep
 * killed (SIGKILL) or interrupted (SIGINT) midway keeps every finished row, whole, and
 * leaves no half-written file.  `pagegate micro`, filtered to the "ask the VM" benchmarks,
 * runs them all without error (each checks its answers against the vCPU thread's and the
 * guest's sum after kicks) and exits 0 with no per-method figure to draw.  The sweeps
 * and micro need KVM and skip without it.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "testlib.h"
#include "../harness/dataset.h"
#include "../transports/transport.h"
#include "vm.h"

static bool kvm_usable;
static char tmp[200];

/* Run a shell command; its exit status, and up to cap bytes of its stdout+stderr. */
static int run(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return test_capture(cmd, out, cap);
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_cli_errors_exit_2_with_one_line(void **state)
{
	static const char *const bad[] = {
		"bench --sizes 0",          "bench --sizes 4K..1K",  "bench --fault lukewarm",
		"bench --reps 0",           "bench --pin 99",        "bench --direction sideways",
		"bench --bogus",            "bench --offset 4096",   "table /nonexistent/run",
		"compare /nonexistent/a",   "frobnicate",            "--mem 1X selftest",
		"bench --order sideways",   "bench --runs 0",        "bench --order-seed -1",
		"compare --threshold x a b", "spread /nonexistent/a",
	};
	char out[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run(out, sizeof(out), "%s/pagegate %s", test_build_dir(), bad[i]);

		if (rc != 2)
			fail_msg("'pagegate %s' exited %d, not 2: %s", bad[i], rc, out);
		if (!strncmp(bad[i], "bench --bogus", 13))
			continue; /* getopt's line, then the usage */
		if (count_char(out, '\n') != 1)
			fail_msg("'pagegate %s' printed %d lines, not one: %s", bad[i], count_char(out, '\n'), out);
	}
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	if (f) {
		if (fread(buf, 1, (1 << 20) - 1, f) == 0)
			buf[0] = 0;
		fclose(f);
	}
	return buf;
}

static void expect_figure(const char *dir, const char *name)
{
	static const struct {
		const char *ext, *magic;
	} kinds[] = { { "png", "\x89PNG" }, { "svg", "<svg" }, { "pdf", "%PDF" } };

	for (size_t k = 0; k < 3; k++) {
		char path[600], head[512] = "";
		FILE *f;

		snprintf(path, sizeof(path), "%s/figures/%s.%s", dir, name, kinds[k].ext);
		if (file_size(path) < 2000)
			fail_msg("%s is missing or smaller than 2000 bytes", path);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_true(fread(head, 1, sizeof(head) - 1, f) > 0);
		fclose(f);
		if (!memmem(head, sizeof(head), kinds[k].magic, strlen(kinds[k].magic)))
			fail_msg("%s does not look like %s", path, kinds[k].ext);
	}
}

static void test_plot_renders_fixture(void **state)
{
	char out[8192];
	int rc;
	char dir[300];

	(void)state;
	if (system("gnuplot --version > /dev/null 2>&1"))
		fail_msg("gnuplot is not installed (the test command installs gnuplot-nox as root)");
	snprintf(dir, sizeof(dir), "%s/plot", tmp);
	run(out, sizeof(out), "rm -rf %s && mkdir -p %s && cp tests/fixtures/run-a/summary.csv %s/", dir, dir, dir);
	rc = run(out, sizeof(out), "%s/pagegate plot %s", test_build_dir(), dir);
	if (rc)
		fail_msg("plot exited %d: %s", rc, out);
	expect_figure(dir, "throughput-send-warm-4k-scattered");
	expect_figure(dir, "bound-send-warm-4k-scattered");
	expect_figure(dir, "stages-send-warm-4k-scattered");
	expect_figure(dir, "throughput-send-cold-4k-scattered");
	expect_figure(dir, "faults-send-cold-4k-scattered");
}

/* One data line of a figure's .dat file, split at spaces. */
struct dat_line {
	int nfields;
	char field[8][32];
};

/* The data lines of the block headed "label" in dir/figures/file (room for cap); how
 * many.  The test fails if there is no such block. */
static int dat_block(const char *dir, const char *file, const char *label, struct dat_line *out, int cap)
{
	char path[600], head[80], *text, *line, *end;
	int n = 0;

	snprintf(path, sizeof(path), "%s/figures/%s", dir, file);
	text = slurp(path);
	snprintf(head, sizeof(head), "\"%s\"\n", label);
	line = strstr(text, head);
	if (!line)
		fail_msg("%s has no block %s", path, label);
	for (line += strlen(head); *line && *line != '\n' && n < cap; line = end + 1, n++) {
		end = strchr(line, '\n');
		assert_non_null(end);
		*end = 0;
		out[n].nfields = 0;
		for (char *tok = strtok(line, " "); tok && out[n].nfields < 8; tok = strtok(NULL, " "))
			snprintf(out[n].field[out[n].nfields++], sizeof(out[n].field[0]), "%s", tok);
	}
	free(text);
	return n;
}

/* Every line of block `label` has `fields` fields; how many lines. */
static int dat_block_width(const char *dir, const char *file, const char *label, int fields, struct dat_line *out)
{
	int n = dat_block(dir, file, label, out, 64);

	for (int i = 0; i < n; i++)
		if (out[i].nfields != fields)
			fail_msg("%s, block %s, line %d: %d fields, not %d", file, label, i, out[i].nfields, fields);
	return n;
}

/* The ring fixture's queue-depth figure: per ring row its two depths ascending with the
 * summary's requests/s; basic's transfers/s flat from depth 1 to 8. */
static void check_qd_data(const char *dir)
{
	static const char *const rings[] = { "ring(gva/poll)", "ring(gva/kick)", "ring(reg/poll)", "ring(reg/kick)" };
	struct csv *sum = test_read_csv(dir, "summary.csv");
	struct dat_line l[64];

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(dat_block_width(dir, "qd-send-warm-4k-scattered.dat", rings[i], 4, l), 2);
		assert_string_equal(l[0].field[0], "1");
		assert_string_equal(l[1].field[0], "8");
		for (size_t r = 0; r < sum->nrows; r++)
			if (!strcmp(csv_get(sum, r, "label"), rings[i]) && !strcmp(csv_get(sum, r, "bytes"), "64"))
				assert_string_equal(l[strcmp(csv_get(sum, r, "qd"), "1") ? 1 : 0].field[1],
						    csv_get(sum, r, "median_req_per_s"));
	}
	assert_int_equal(dat_block_width(dir, "qd-send-warm-4k-scattered.dat", "basic(kvm)", 2, l), 2);
	assert_string_equal(l[0].field[1], "29078");
	assert_string_equal(l[1].field[0], "8");
	assert_string_equal(l[1].field[1], "29078");
	csv_free(sum);
}

/* The ring fixture's other ring figures: ring(reg/kick) at 64 B has no I/O thread share
 * (NaN, in its place); ring(gva/kick) at 4 KiB has its queue stage not measured, so only
 * three bars at 4 KiB; the CDFs end at 1, basic's with one step per repetition. */
static void check_ring_data(const char *dir)
{
	struct dat_line l[64];
	char path[600], *text;
	int bars = 0, headers = 0;
	double share = 0;

	assert_int_equal(dat_block_width(dir, "cpu-send-warm-4k-scattered.dat", "ring(reg/kick)", 6, l), 2);
	for (int f = 2; f < 6; f++)
		assert_string_equal(l[0].field[f], "NaN");
	assert_true(strtod(l[1].field[4], NULL) > 0);
	assert_int_equal(dat_block_width(dir, "cpu-send-warm-4k-scattered.dat", "ring(gva/poll)", 6, l), 2);
	snprintf(path, sizeof(path), "%s/figures/ring-stages-send-warm-4k-scattered.dat", dir);
	text = slurp(path);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		int fields = 0;

		headers += !strncmp(line, "bar queue translate copy device complete notice", 47);
		bars += line[0] == '"';
		for (const char *c = line; *c; c++)
			fields += *c == ' ';
		assert_int_equal(fields, 6);
	}
	free(text);
	assert_int_equal(headers, 2);
	assert_int_equal(bars, 4 + 3);
	for (int i = 0, n = dat_block_width(dir, "latency-cdf-send-warm-4k-scattered.dat", "ring(reg/poll)", 2, l); i < n;
	     i++) {
		assert_true(strtod(l[i].field[1], NULL) >= share);
		share = strtod(l[i].field[1], NULL);
	}
	assert_true(share == 1);
	assert_int_equal(dat_block_width(dir, "latency-cdf-send-warm-4k-scattered.dat", "basic(kvm) transfers", 2, l), 2);
}

/* The ring fixture (a real basic + ring run, one stage cell emptied): the ring's figures,
 * their data files cell by cell, and the table's histogram percentiles. */
static void test_plot_ring_fixture(void **state)
{
	static const char *const figures[] = { "qd-send-warm-4k-scattered", "latency-cdf-send-warm-4k-scattered",
						"ring-stages-send-warm-4k-scattered", "cpu-send-warm-4k-scattered",
						"ring-stages-send-warm-4k-scattered-qd8", "cpu-send-warm-4k-scattered-qd8" };
	char out[32768], dir[300];
	int rc;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/plot-ring", tmp);
	run(out, sizeof(out), "rm -rf %s && mkdir -p %s && cp tests/fixtures/ring/* %s/", dir, dir, dir);
	rc = run(out, sizeof(out), "%s/pagegate plot %s", test_build_dir(), dir);
	if (rc)
		fail_msg("plot exited %d: %s", rc, out);
	if (strstr(out, "latency-cdf-send-warm-4k-scattered-qd8"))
		fail_msg("a latency CDF beyond qd 1: %s", out);
	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		expect_figure(dir, figures[i]);
	check_qd_data(dir);
	check_ring_data(dir);
	rc = run(out, sizeof(out), "%s/pagegate table %s", test_build_dir(), dir);
	if (rc || !strstr(out, "ring latency from the guest's histograms") || !strstr(out, "ring(reg/poll)   64 B ") ||
	    strstr(out, "no histogram"))
		fail_msg("table (%d) lacks the histogram percentiles: %s", rc, out);
}

/* A guest's latency histogram that does not add up (or claims more requests than were
 * asked for, or none) is refused: not measured, the rest of the result still filed. */
static void test_latency_histogram_refused(void **state)
{
	struct {
		uint64_t requests, asked;
		uint32_t fill, extra; /* every bucket's count, and more in bucket 40 */
	} bad[] = {
		{ 300, 300, 0, 301 },         { 400, 300, 0, 400 },       { 0, 300, 0, 0 },
		{ 299, 300, 0, 300 },         { 128ull * 0xffffffffull, 10000, 0xffffffffu, 0 },
		{ 1ull << 32, 1ull << 40, 0, 0 },
	};
	struct stage_times t = { 0 };
	struct pg_result g = { .requests = 300, .lat_p50 = 1000, .lat_p99 = 2000 };
	struct sample s = { .total_ns = 1e6 };

	(void)state;
	g.lat_hist[40] = 300;
	sample_add_requests(&s, &g, &t, 2000000, true, 300);
	assert_true(s.lat_hist_ok);
	assert_int_equal(s.lat_hist[40], 300);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (struct sample){ .total_ns = 1e6 };
		g.requests = bad[i].requests;
		for (uint32_t b = 0; b < PG_LAT_BUCKETS; b++)
			g.lat_hist[b] = bad[i].fill;
		g.lat_hist[40] += bad[i].extra;
		sample_add_requests(&s, &g, &t, 2000000, true, bad[i].asked);
		if (s.lat_hist_ok)
			fail_msg("case %zu: histogram accepted", i);
		assert_true(s.lat_p50_ns == 500 && s.req_per_s > 0);
	}
}

static void test_compare_flags_the_changed_config(void **state)
{
	char out[32768], *star, *line;
	int rc;

	(void)state;
	run(out, sizeof(out), "rm -rf %s/cmp && mkdir -p %s/cmp && cp -r tests/fixtures/run-a tests/fixtures/run-b %s/cmp/",
	    tmp, tmp, tmp);
	rc = run(out, sizeof(out), "%s/pagegate compare %s/cmp/run-a %s/cmp/run-b", test_build_dir(), tmp, tmp);
	assert_int_equal(rc, 1);
	if (!strstr(out, "72 configurations in both runs, 1 flagged"))
		fail_msg("unexpected summary: %s", out);
	star = strstr(out, " *\n");
	assert_non_null(star);
	for (line = star; line > out && line[-1] != '\n'; line--)
		;
	if (!strstr(line, "send-warm-4k-scattered") || !strstr(line, "ptcopy") || !strstr(line, " 4194304 "))
		fail_msg("flagged the wrong line: %.*s", (int)(star - line), line);
	rc = run(out, sizeof(out), "%s/pagegate compare %s/cmp/run-a %s/cmp/run-a", test_build_dir(), tmp, tmp);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "72 configurations in both runs, 0 flagged"));
	snprintf(out, sizeof(out), "%s/cmp/run-b", tmp);
	expect_figure(out, "compare-send-warm-4k-scattered");
}

static const char *const results_columns[] = {
	"config_id", "label", "transport", "translate", "direction", "fault", "page_size", "frames", "offset",
	"bytes", "timing", "delivery", "window", "qd", "complete", "rep", "status", "total_ns", "mbps", "doorbells",
	"pages_translated", "faults", "bytes_copied", "exit_ns", "translate_ns", "fault_ns", "copy_ns", "handler_ns", "entry_ns", "guest_ns", "bound_ns",
	"pct_of_bound", "memcpy_ns", "pct_of_memcpy", "clock", "requests", "req_per_s", "lat_p50_ns", "lat_p99_ns",
	"kicks_per_req", "reqs_per_round", "interrupts_per_req", "io_busy_pct", "io_cpu_pct", "ring_queue_ns",
	"ring_translate_ns", "ring_copy_ns", "ring_device_ns", "ring_complete_ns", "ring_notice_ns", "gather_ns",
	"pct_of_gather",
};
static const char *const numeric_columns[] = { "total_ns", "mbps", "bound_ns", "pct_of_bound", "copy_ns", "bytes_copied",
					       "memcpy_ns", "pct_of_memcpy", "gather_ns", "pct_of_gather" };
static const char *const meta_keys[] = {
	"schema_version", "status", "pagegate_version", "git_sha", "git_dirty", "command_line", "started_utc",
	"host_name", "kernel", "cpu_model", "tsc_khz", "kvm_backend", "kvm_nested", "host_hypervisor", "cpu_emulated",
	"timings_meaningful", "fault_injection", "guest_host_clocks", "kvm_api_version", "kvm_capabilities_used",
	"hwloc_topology", "pinning", "hwloc_api_version", "liburing_version", "google_benchmark_version",
	"compiler", "guest_ram_bytes", "order", "order_seed", "calibration", "doorbell_round_trip_ns", "memcpy_gb_per_s",
};

/* A row's clock verdict and its legs agree: "ok" with non-negative exit and entry times,
 * "unrelated" with them empty — and never "ok" on an emulated CPU, whose guest and host
 * clocks are not related as KVM says. */
static void check_clock_cells(const struct csv *res, size_t r)
{
	static const char *const legs[] = { "exit_ns", "entry_ns", "guest_ns" };
	struct kvm_platform p;
	bool ok = !strcmp(csv_get(res, r, "clock"), "ok");

	kvm_platform_probe(&p);
	if (!ok && strcmp(csv_get(res, r, "clock"), "unrelated"))
		fail_msg("row %zu: clock = '%s'", r, csv_get(res, r, "clock"));
	if (ok && p.emulated)
		fail_msg("row %zu: clock 'ok' on an emulated CPU", r);
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++) {
		const char *cell = csv_get(res, r, legs[i]);

		bool negative_leg = strcmp(legs[i], "guest_ns") && strtod(cell, NULL) < 0;

		if (ok ? !cell[0] || negative_leg : cell[0] != 0)
			fail_msg("row %zu: clock %s but %s = '%s'", r, csv_get(res, r, "clock"), legs[i], cell);
	}
}

/* The row's paired memcpy and gather were measured, and its percentages are of that pair:
 * % of memcpy (of gather) is memcpy (gather) over total time, and the bound holds the
 * memcpy (plus the doorbells).  The gather reads the transfer's guest pages, mapped by
 * then even for a cold buffer (the transfer faulted them in). */
static void check_pair(const struct csv *res, size_t r)
{
	double memcpy_ns = csv_num(res, r, "memcpy_ns"), total = csv_num(res, r, "total_ns");
	double gather_ns = csv_num(res, r, "gather_ns");

	if (!(gather_ns > 0))
		fail_msg("row %zu: gather_ns = '%s'", r, csv_get(res, r, "gather_ns"));
	assert_true(fabs(csv_num(res, r, "pct_of_gather") - 100 * gather_ns / total) < 0.01 + 1e-3 * 100 * gather_ns / total);

	if (!(memcpy_ns > 0))
		fail_msg("row %zu: memcpy_ns = '%s'", r, csv_get(res, r, "memcpy_ns"));
	assert_true(fabs(csv_num(res, r, "pct_of_memcpy") - 100 * memcpy_ns / total) < 0.01 + 1e-3 * 100 * memcpy_ns / total);
	assert_true(csv_num(res, r, "bound_ns") >= memcpy_ns - 1);
	assert_true(fabs(csv_num(res, r, "pct_of_bound") - 100 * csv_num(res, r, "bound_ns") / total) <
		    0.01 + 1e-3 * 100 * csv_num(res, r, "bound_ns") / total);
}

static void test_dataset_schema(void **state)
{
	char out[65536], dir[300], path[600];
	struct kvm_platform platform;
	struct csv *res, *sum;
	char *meta;
	int rc;

	(void)state;
	if (!kvm_usable)
		skip();
	snprintf(dir, sizeof(dir), "%s/schema", tmp);
	run(out, sizeof(out), "rm -rf %s", dir);
	rc = run(out, sizeof(out), "%s/pagegate --mem 256M bench --quiet --sizes 4K,8K --reps 2 --transport basic,ptcopy "
		 "--fault warm,cold --delivery copy,iov --out %s", test_build_dir(), dir);
	if (rc)
		fail_msg("bench exited %d: %s", rc, out);
	res = test_read_csv(dir, "results.csv");
	assert_int_equal(res->ncols, sizeof(results_columns) / sizeof(results_columns[0]));
	for (size_t c = 0; c < res->ncols; c++)
		assert_string_equal(res->names[c], results_columns[c]);
	assert_int_equal(res->nrows, 2 * 2 * 2 * 2 * 2); /* rows x faults x deliveries x sizes x reps */
	for (size_t r = 0; r < res->nrows; r++) {
		assert_string_equal(csv_get(res, r, "status"), "0");
		for (size_t c = 0; c < sizeof(numeric_columns) / sizeof(numeric_columns[0]); c++) {
			char *end;
			double v = strtod(csv_get(res, r, numeric_columns[c]), &end);

			if (*end || v < 0)
				fail_msg("row %zu: %s = '%s' is not a non-negative number", r, numeric_columns[c],
					 csv_get(res, r, numeric_columns[c]));
		}
		assert_true(csv_num(res, r, "mbps") > 0);
		check_pair(res, r);
		assert_string_equal(csv_get(res, r, "window"), "device"); /* the default when iov is measured */
		/* a send's input: every byte copied by the host, or none with iov delivery */
		assert_true(csv_num(res, r, "bytes_copied") ==
			    (strcmp(csv_get(res, r, "delivery"), "iov") ? csv_num(res, r, "bytes") : 0));
		assert_true(strtoull(csv_get(res, r, "faults"), NULL, 10) ==
			    (strcmp(csv_get(res, r, "fault"), "cold") ? 0 : csv_num(res, r, "bytes") / 4096));
		check_clock_cells(res, r);
	}
	sum = test_read_csv(dir, "summary.csv");
	assert_int_equal(sum->nrows, 16);
	for (size_t r = 0; r < sum->nrows; r++) {
		assert_string_equal(csv_get(sum, r, "n"), "2");
		assert_true(csv_num(sum, r, "p5_mbps") <= csv_num(sum, r, "median_mbps"));
		assert_true(csv_num(sum, r, "median_mbps") <= csv_num(sum, r, "p95_mbps"));
	}
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	meta = slurp(path);
	for (size_t k = 0; k < sizeof(meta_keys) / sizeof(meta_keys[0]); k++) {
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", meta_keys[k]);
		if (!strstr(meta, key))
			fail_msg("meta.json lacks %s", key);
	}
	assert_non_null(strstr(meta, "\"status\": \"complete\""));
	assert_non_null(strstr(meta, "\"schema_version\": 5,"));
	assert_non_null(strstr(meta, "\"order\": \"interleaved\","));
	kvm_platform_probe(&platform);
	assert_non_null(strstr(meta, platform.emulated ? "\"timings_meaningful\": false" : "\"timings_meaningful\": true"));
	free(meta);
	csv_free(res);
	csv_free(sum);
	rc = run(out, sizeof(out), "%s/pagegate table %s", test_build_dir(), dir);
	if (rc || !strstr(out, "iov / copy delivery, median MB/s ratio") || !strstr(out, "copy delivery, timed through"))
		fail_msg("table (%d) lacks the delivery sections: %s", rc, out);
}

/* latency.csv of the ring axes run: every ring configuration's histogram accepted in
 * both repetitions (counts adding up to its 2 x 300 requests), buckets ascending with
 * their bounds; no doorbell configuration in it. */
static void check_latency_csv(const char *dir)
{
	struct csv *sum = test_read_csv(dir, "summary.csv"), *lat = test_read_csv(dir, "latency.csv");

	for (size_t r = 0; r < sum->nrows; r++) {
		double count = 0, last = -1;

		for (size_t i = 0; i < lat->nrows; i++) {
			if (strcmp(csv_get(lat, i, "config_id"), csv_get(sum, r, "config_id")))
				continue;
			assert_string_equal(csv_get(lat, i, "reps"), "2");
			assert_true(csv_num(lat, i, "bucket") > last);
			assert_true(csv_num(lat, i, "start_ns") < csv_num(lat, i, "end_ns"));
			last = csv_num(lat, i, "bucket");
			count += csv_num(lat, i, "count");
		}
		assert_true(count == (strcmp(csv_get(sum, r, "transport"), "ring") ? 0 : 2 * 300));
	}
	csv_free(sum);
	csv_free(lat);
}

/* bench over the ring: qd, completion and addressing x notification axes, streams of
 * sends, the request columns filled for every row (a doorbell transfer is one request)
 * and the ring's own only for ring rows (interrupts only with interrupt completion), the
 * latency histograms, the table's ring section and the facets' figures. */
static void test_bench_ring_axes(void **state)
{
	char out[65536], dir[300];
	struct csv *res;
	size_t ring_rows = 0;
	int rc;

	(void)state;
	if (!kvm_usable)
		skip();
	snprintf(dir, sizeof(dir), "%s/ring-axes", tmp);
	run(out, sizeof(out), "rm -rf %s", dir);
	rc = run(out, sizeof(out), "%s/pagegate --mem 256M bench --quiet --sizes 64,4097 --reps 2 --transport basic,ring "
		 "--qd 1,8 --ring-addr gva,registered --notify poll,kick --complete poll,interrupt --requests 300 --out %s",
		 test_build_dir(), dir);
	if (rc)
		fail_msg("bench exited %d: %s", rc, out);
	res = test_read_csv(dir, "results.csv");
	assert_int_equal(res->nrows, (1 + 8 * 2) * 2 * 2); /* (basic + 8 ring rows x 2 qds) x sizes x reps */
	for (size_t r = 0; r < res->nrows; r++) {
		bool ring = !strcmp(csv_get(res, r, "transport"), "ring");
		bool irq = !strcmp(csv_get(res, r, "complete"), "interrupt");

		assert_string_equal(csv_get(res, r, "status"), "0");
		assert_true(csv_num(res, r, "req_per_s") > 0);
		assert_true(csv_num(res, r, "requests") == (ring ? 300 : 1));
		assert_int_equal(csv_get(res, r, "lat_p50_ns")[0] != 0, ring);
		assert_int_equal(csv_get(res, r, "io_cpu_pct")[0] != 0 || (ring && !csv_get(res, r, "io_busy_pct")[0]), ring);
		assert_int_equal(csv_get(res, r, "interrupts_per_req")[0] != 0, ring);
		assert_true(irq ? ring : !strcmp(csv_get(res, r, "complete"), "poll"));
		if (ring && !irq) /* nobody halts: no interrupt */
			assert_true(csv_num(res, r, "interrupts_per_req") == 0);
		if (ring) {
			ring_rows++;
			assert_true(csv_num(res, r, "lat_p50_ns") <= csv_num(res, r, "lat_p99_ns"));
			assert_true(csv_num(res, r, "kicks_per_req") >= 0);
			/* no exit per byte: the bound is the repetition's paired memcpy, once */
			assert_true(fabs(csv_num(res, r, "bound_ns") - csv_num(res, r, "memcpy_ns")) <= 1);
			assert_true(!strcmp(csv_get(res, r, "qd"), "1") || !strcmp(csv_get(res, r, "qd"), "8"));
		}
	}
	assert_int_equal(ring_rows, 8 * 2 * 2 * 2);
	csv_free(res);
	check_latency_csv(dir);
	rc = run(out, sizeof(out), "%s/pagegate table %s", test_build_dir(), dir);
	if (rc || !strstr(out, "requests/s") || !strstr(out, "ring(reg/kick)") || !strstr(out, "qd 8, poll completion") ||
	    !strstr(out, "qd 8, interrupt completion") || !strstr(out, "irqs/req"))
		fail_msg("table (%d) lacks the ring sections: %s", rc, out);
	rc = run(out, sizeof(out), "%s/pagegate plot %s", test_build_dir(), dir);
	if (rc || !strstr(out, "requests-send-warm-4k-scattered-qd8.{png,svg,pdf}") ||
	    !strstr(out, "requests-send-warm-4k-scattered-qd8-irq.{png,svg,pdf}"))
		fail_msg("plot (%d) drew no requests figure per queue depth and completion: %s", rc, out);
}

static pid_t start_sweep(const char *dir)
{
	pid_t pid = fork();
	char bin[300];

	assert_true(pid >= 0);
	if (pid == 0) {
		snprintf(bin, sizeof(bin), "%s/pagegate", test_build_dir());
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execl(bin, bin, "--mem", "256M", "bench", "--quiet", "--sizes", "4K..1M", "--reps", "100", "--fault",
		      "cold", "--out", dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait until results.csv has at least `rows` data rows (30 s at most). */
static void wait_for_rows(const char *dir, int rows)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	for (int i = 0; i < 300; i++) {
		char *text = slurp(path);
		int lines = count_char(text, '\n');

		free(text);
		if (lines > rows)
			return;
		usleep(100 * 1000);
	}
	fail_msg("the sweep wrote fewer than %d rows in 30 s", rows);
}

/* Every line whole (a newline at the end, all fields); no temporary file left. */
static size_t check_whole(const char *dir)
{
	char path[600], *text;
	struct csv *res = test_read_csv(dir, "results.csv");
	size_t rows = res->nrows;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	text = slurp(path);
	assert_true(text[strlen(text) - 1] == '\n');
	free(text);
	csv_free(res);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	text = slurp(path);
	assert_non_null(strstr(text, "\"calibration\""));
	assert_true(!strcmp(text + strlen(text) - 2, "}\n"));
	free(text);
	return rows;
}

static void test_killed_sweep_keeps_whole_rows(void **state)
{
	char dir[300], out[256], path[600], *meta;
	pid_t pid;
	int st;

	(void)state;
	if (!kvm_usable)
		skip();
	snprintf(dir, sizeof(dir), "%s/killed", tmp);
	run(out, sizeof(out), "rm -rf %s", dir);
	pid = start_sweep(dir);
	wait_for_rows(dir, 5);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	assert_true(check_whole(dir) >= 5);
	snprintf(dir, sizeof(dir), "%s/interrupted", tmp);
	run(out, sizeof(out), "rm -rf %s", dir);
	pid = start_sweep(dir);
	wait_for_rows(dir, 5);
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_true(check_whole(dir) >= 5);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	meta = slurp(path);
	assert_non_null(strstr(meta, "\"status\": \"interrupted\""));
	free(meta);
	csv_free(test_read_csv(dir, "summary.csv"));
}

static void test_micro_ask_the_vm(void **state)
{
	static const char *const names[] = {
		"translate/vcpu_thread/iterations:20000",
		"translate/io_thread_while_running/spin_us:20/iterations:200/manual_time",
		"translate/io_thread_while_running/spin_us:200/iterations:200/manual_time",
		"translate/io_thread_while_running/spin_us:2000/iterations:200/manual_time",
		"translate/io_thread_forced_exit/iterations:2000/manual_time",
		"translate/walk_io_thread/iterations:100000/manual_time",
	};
	static const char *const counters[] = { "\"to_exit_us\":", "\"after_exit_us\":", "\"stall_us\":",
						"\"missed\":", "\"spin_us\":" };
	char dir[300], out[8192], path[600], *json;
	struct csv *t;

	(void)state;
	if (!kvm_usable)
		skip();
	snprintf(dir, sizeof(dir), "%s/micro", tmp);
	run(out, sizeof(out), "rm -rf %s", dir);
	if (run(out, sizeof(out), "%s/pagegate --quiet micro --out %s --benchmark_filter='translate/(vcpu|io|walk)'",
		test_build_dir(), dir))
		fail_msg("%s", out);
	t = test_read_csv(dir, "micro.csv");
	assert_int_equal(t->nrows, sizeof(names) / sizeof(names[0]));
	for (size_t r = 0; r < t->nrows; r++) {
		assert_string_equal(csv_get(t, r, "name"), names[r]);
		assert_string_equal(csv_get(t, r, "mapping"), "");
		if (csv_get(t, r, "error")[0])
			fail_msg("%s: %s", names[r], csv_get(t, r, "error"));
	}
	csv_free(t);
	snprintf(path, sizeof(path), "%s/micro.json", dir);
	json = slurp(path);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (!strstr(json, counters[i]))
			fail_msg("micro.json lacks %s", counters[i]);
	free(json);
	snprintf(path, sizeof(path), "%s/figures/micro-4k-scattered.png", dir);
	assert_int_equal(access(path, F_OK), -1); /* no data, no figure, no failure */
}

static int setup(void **state)
{
	(void)state;
	kvm_usable = test_kvm_usable("test_harness");
	snprintf(tmp, sizeof(tmp), "%s/test-harness", test_build_dir());
	mkdir(tmp, 0755);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_errors_exit_2_with_one_line),
		cmocka_unit_test(test_plot_renders_fixture),
		cmocka_unit_test(test_plot_ring_fixture),
		cmocka_unit_test(test_latency_histogram_refused),
		cmocka_unit_test(test_compare_flags_the_changed_config),
		cmocka_unit_test(test_dataset_schema),
		cmocka_unit_test(test_bench_ring_axes),
		cmocka_unit_test(test_killed_sweep_keeps_whole_rows),
		cmocka_unit_test(test_micro_ask_the_vm),
	};

	return cmocka_run_group_tests_name("harness", tests, setup, NULL);
}
