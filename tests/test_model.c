/*
 * The cost model: the least-squares fit gets known coefficients back from exact data; a
 * column that only repeats an earlier one (a doorbell per page, a fault per page) is
 * reported as not separable instead of producing huge opposite coefficients; an all-zero
 * column is dropped; R^2 is 1 for an exact fit and lower for noisy data.  On synthetic
 * results.csv files with known costs (doorbell rows, ring rows per request at two queue
 * depths, 0.3 % noise), the groups' coefficients come back, the dominant term at 64 B,
 * 64 KiB and 4 MiB is the right one with the right share, a size outside the measured
 * ones is marked extrapolated, and a ring group measured at one size, or only at whole
 * pages (bytes then a mix of per request and per page), says it cannot separate its
 * terms instead of printing a number.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "../harness/csv.h"
#include "../harness/dataset.h"
#include "../harness/model.h"

#define N 12

static void test_recovers_known_coefficients(void **state)
{
	double X[N * 3], y[N], c[3], se[3];
	bool used[3];

	(void)state;
	for (int i = 0; i < N; i++) {
		double pages = 1 << i, doorbells = ceil(pages / 1024);

		X[i * 3] = 1;
		X[i * 3 + 1] = doorbells;
		X[i * 3 + 2] = pages;
		y[i] = 20000 + 15000 * doorbells + 2500 * pages;
	}
	assert_true(model_fit(X, N, 3, y, c, used, se) > 0.999999);
	assert_true(used[0] && used[1] && used[2]);
	assert_true(fabs(c[0] - 20000) < 1e-3 && fabs(c[1] - 15000) < 1e-3 && fabs(c[2] - 2500) < 1e-6);
	assert_true(se[0] < 1e-3 && se[1] < 1e-3 && se[2] < 1e-6); /* exact data: no uncertainty */
}

static void test_collinear_and_zero_columns_are_dropped(void **state)
{
	double X[N * 4], y[N], c[4], se[4];
	bool used[4];

	(void)state;
	for (int i = 0; i < N; i++) {
		double pages = 1 << i;

		X[i * 4] = 1;
		X[i * 4 + 1] = pages;     /* doorbells: one per page */
		X[i * 4 + 2] = pages * 2; /* a multiple of it */
		X[i * 4 + 3] = 0;         /* no faults */
		y[i] = 100 + 22000 * pages + (i % 2 ? 50 : -50);
	}
	assert_true(model_fit(X, N, 4, y, c, used, se) < 1);
	assert_true(used[0] && used[1]);
	assert_false(used[2]);
	assert_false(used[3]);
	assert_true(fabs(c[1] - 22000) < 1);
	assert_true(c[2] == 0 && c[3] == 0 && se[2] == 0 && se[3] == 0);
	assert_true(se[1] > 0 && se[1] < 1); /* noisy data: an uncertainty, small beside 22000 */
}

/* Synthetic datasets.  Doorbell rows: time = 2 us + 30 us per doorbell (one per 4 KiB
 * page, so per page folds into it) + 0.1 ns per byte.  Ring rows, per request (500 per
 * repetition, pages per request = header, status and one more + one per 4 KiB of data):
 * qd 1 0.8 us + 0.15 us per page + 0.25 ns per byte, qd 32 half of each.  Three
 * repetitions with -0.3 %, 0, +0.3 % noise, rotating with the size. */
#define REQS 500
static const char header[] = "label,transport,direction,fault,page_size,frames,offset,timing,delivery,window,qd,"
			     "bytes,status,total_ns,doorbells,pages_translated,faults,requests\n";

static double noise(int rep, int size_index)
{
	return 1 + 0.003 * ((rep + size_index) % 3 - 1);
}

static void doorbell_rows(FILE *f, const double *sizes, int nsizes)
{
	for (int s = 0; s < nsizes; s++)
		for (int rep = 0; rep < 3; rep++) {
			double pages = ceil(sizes[s] / 4096), t = 2000 + 30000 * pages + 0.1 * sizes[s];

			fprintf(f, "basic(kvm),basic,send,warm,4k,scattered,0,on,copy,transfer,1,%.0f,0,%.1f,%.0f,%.0f,0,1\n",
				sizes[s], t * noise(rep, s), pages, pages);
		}
}

static void ring_rows(FILE *f, int qd, const double *sizes, int nsizes)
{
	double scale = qd == 1 ? 1 : 0.5;

	for (int s = 0; s < nsizes; s++)
		for (int rep = 0; rep < 3; rep++) {
			double pages = 3 + ceil(sizes[s] / 4096), t = scale * (800 + 150 * pages + 0.25 * sizes[s]);

			fprintf(f, "ring(gva/poll),ring,send,warm,4k,scattered,0,on,copy,transfer,%d,%.0f,0,%.1f,0,%.0f,0,%d\n",
				qd, sizes[s], REQS * t * noise(rep, s), REQS * pages, REQS);
		}
}

/* A dataset folder with results.csv written by fill(f), read back and fitted. */
struct synth {
	char dir[64];
	struct csv *t;
	struct model_group *g;
	size_t n;
};

static void synth_make(struct synth *sy, void (*fill)(FILE *f))
{
	char path[128], err[256];
	FILE *f;

	snprintf(sy->dir, sizeof(sy->dir), "/tmp/pagegate-model-XXXXXX");
	assert_non_null(mkdtemp(sy->dir));
	snprintf(path, sizeof(path), "%s/results.csv", sy->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(header, f);
	fill(f);
	fclose(f);
	sy->t = csv_read(path, err, sizeof(err));
	assert_non_null(sy->t);
	sy->n = model_groups(sy->t, &sy->g);
}

static void synth_free(struct synth *sy)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/results.csv", sy->dir);
	unlink(path);
	rmdir(sy->dir);
	free(sy->g);
	csv_free(sy->t);
}

/* The facet value `col` of a group's key: the label, then one space-separated value per
 * facet column in dataset_facet_cols order (an absent column's value is empty). */
static bool key_has(const char *key, const char *col, const char *want)
{
	const char *at = strchr(key, ' ');

	for (size_t i = 0; i < DATASET_NFACETS && at; i++, at = strchr(at + 1, ' '))
		if (!strcmp(dataset_facet_cols[i], col)) {
			const char *end = strchr(at + 1, ' ');
			size_t len = end ? (size_t)(end - at - 1) : strlen(at + 1);

			return len == strlen(want) && !strncmp(at + 1, want, len);
		}
	return false;
}

static const struct model_group *group(const struct synth *sy, const char *label, const char *qd)
{
	for (size_t i = 0; i < sy->n; i++)
		if (!strncmp(sy->g[i].key, label, strlen(label)) && key_has(sy->g[i].key, "qd", qd))
			return &sy->g[i];
	fail_msg("no group %s qd %s", label, qd);
	return NULL;
}

static void near(double got, double want, double rel)
{
	if (fabs(got - want) > rel * fabs(want))
		fail_msg("%g is not within %g %% of %g", got, 100 * rel, want);
}

static const double five[] = { 64, 4096, 65536, 1 << 20, 4 << 20 };

static void fill_all(FILE *f)
{
	doorbell_rows(f, five, 5);
	ring_rows(f, 1, five, 5);
	ring_rows(f, 32, five, 5);
}

static void test_synthetic_coefficients_are_recovered(void **state)
{
	struct synth sy;
	const struct model_group *basic, *r1, *r32;

	(void)state;
	synth_make(&sy, fill_all);
	assert_int_equal(sy.n, 3);
	basic = group(&sy, "basic(kvm)", "1");
	r1 = group(&sy, "ring(gva/poll)", "1");
	r32 = group(&sy, "ring(gva/poll)", "32");
	assert_true(basic->separable && !basic->per_request && basic->nsizes == 5 && basic->n == 15);
	assert_true(basic->used[MODEL_FIXED] && basic->used[MODEL_DOORBELL] && basic->used[MODEL_BYTE]);
	assert_true(basic->present[MODEL_PAGE] && !basic->used[MODEL_PAGE] && !basic->dropped[MODEL_PAGE]); /* folded */
	assert_false(basic->present[MODEL_FAULT]);
	near(basic->c[MODEL_FIXED], 2000, 0.1);
	near(basic->c[MODEL_DOORBELL], 30000, 0.01);
	near(basic->c[MODEL_BYTE], 0.1, 0.1);
	assert_true(r1->separable && r1->per_request && r32->per_request);
	assert_false(r1->present[MODEL_DOORBELL] || r1->present[MODEL_FAULT]);
	near(r1->c[MODEL_FIXED], 800, 0.1);
	near(r1->c[MODEL_PAGE], 150, 0.05);
	near(r1->c[MODEL_BYTE], 0.25, 0.02);
	near(r32->c[MODEL_FIXED], 400, 0.1);
	near(r32->c[MODEL_PAGE], 75, 0.05);
	near(r32->c[MODEL_BYTE], 0.125, 0.02);
	for (int j = 0; j < MODEL_NTERMS; j++)
		assert_false(basic->dropped[j] || r1->dropped[j] || r32->dropped[j]);
	synth_free(&sy);
}

/* The line at `bytes`: its dominant term, and the line holds `want`. */
static void expect_line(const struct model_group *g, double bytes, int term, const char *want)
{
	char line[512];

	assert_int_equal(model_dominant_line(g, bytes, line, sizeof(line)), term);
	if (!strstr(line, want))
		fail_msg("'%s' not in '%s'", want, line);
}

static void test_dominant_term(void **state)
{
	struct synth sy;
	const struct model_group *basic, *r1;

	(void)state;
	synth_make(&sy, fill_all);
	basic = group(&sy, "basic(kvm)", "1");
	r1 = group(&sy, "ring(gva/poll)", "1");
	/* basic at 64 B: 30 of 32.0064 us per doorbell, 2 fixed */
	expect_line(basic, 64, MODEL_DOORBELL, "at 64 B basic(kvm) send");
	expect_line(basic, 64, MODEL_DOORBELL, ": per doorbell 94 % of 32.01 us (fixed 6 %, per byte 0 %)");
	expect_line(basic, 4 << 20, MODEL_DOORBELL, "per doorbell 99 %");
	/* the ring at 64 B: 0.8 us per request, 4 pages 0.6 us, 64 bytes 0.016 us: 1.416 us */
	expect_line(r1, 64, MODEL_FIXED, "at 64 B ring(gva/poll) send");
	expect_line(r1, 64, MODEL_FIXED, ": per request 56 % of 1.416 us (per page 42 %, per byte 1 %)");
	/* 64 KiB: 16384 ns of bytes, 19 pages 2850 ns, 800: 20034 */
	expect_line(r1, 65536, MODEL_BYTE, "per byte 82 % of 20.03 us");
	/* 4 MiB: bytes 1048576 of 1203376 */
	expect_line(r1, 4 << 20, MODEL_BYTE, "per byte 87 %");
	synth_free(&sy);
}

static const double middle[] = { 1000, 4096, 65536, 1 << 20 };

static void fill_middle(FILE *f)
{
	ring_rows(f, 1, middle, 4);
}

static void test_outside_the_sizes_is_extrapolated(void **state)
{
	struct synth sy;
	char line[512];

	(void)state;
	synth_make(&sy, fill_middle);
	assert_int_equal(sy.n, 1);
	assert_true(model_extrapolated(sy.g, 64) && model_extrapolated(sy.g, 4 << 20));
	assert_false(model_extrapolated(sy.g, 65536) || model_extrapolated(sy.g, 8192));
	/* the counts at an unmeasured size follow the measured ones: 4 pages at 64 B */
	expect_line(sy.g, 64, MODEL_FIXED, "of 1.416 us");
	expect_line(sy.g, 64, MODEL_FIXED, "; extrapolated, the fit saw 4 sizes (1000 B..1 MiB)");
	model_dominant_line(sy.g, 65536, line, sizeof(line));
	assert_null(strstr(line, "extrapolated"));
	synth_free(&sy);
}

static const double one[] = { 65536 };

static void fill_one_size(FILE *f)
{
	ring_rows(f, 1, one, 1);
}

static void test_one_size_cannot_separate(void **state)
{
	struct synth sy;
	char *text = NULL, line[512];
	size_t len = 0;
	FILE *out;

	(void)state;
	synth_make(&sy, fill_one_size);
	assert_int_equal(sy.n, 1);
	assert_false(sy.g->separable);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(model_dominant_line(sy.g, five[i], line, sizeof(line)), -1);
		assert_non_null(strstr(line, "cannot separate its 3 terms with 1 size (64 KiB)"));
		assert_null(strstr(line, " us"));
	}
	out = open_memstream(&text, &len);
	assert_int_equal(model_report(sy.dir, out), 0);
	fclose(out);
	assert_non_null(strstr(text, "n=3    cannot separate its 3 terms with 1 size (64 KiB)"));
	assert_null(strstr(strstr(text, "\nring("), "±")); /* no coefficient printed */
	free(text);
	synth_free(&sy);
}

static const double whole_pages[] = { 4096, 16384, 65536, 1 << 20 };

static void fill_whole_pages(FILE *f)
{
	ring_rows(f, 1, whole_pages, 4);
}

/* Every size whole pages: bytes = 4 KiB x (pages - 3) per request, a mix of two terms. */
static void test_whole_pages_cannot_separate_page_from_byte(void **state)
{
	struct synth sy;

	(void)state;
	synth_make(&sy, fill_whole_pages);
	assert_false(sy.g->separable);
	assert_int_equal(sy.g->mixed, MODEL_BYTE);
	expect_line(sy.g, 65536, -1, "cannot separate its 3 terms with 4 sizes (4 KiB..1 MiB): per byte moves with");
	synth_free(&sy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_known_coefficients),
		cmocka_unit_test(test_collinear_and_zero_columns_are_dropped),
		cmocka_unit_test(test_synthetic_coefficients_are_recovered),
		cmocka_unit_test(test_dominant_term),
		cmocka_unit_test(test_outside_the_sizes_is_extrapolated),
		cmocka_unit_test(test_one_size_cannot_separate),
		cmocka_unit_test(test_whole_pages_cannot_separate_page_from_byte),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
