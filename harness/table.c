/*
 * The Table 7.1 view of a dataset (see table.h).  For each facet of the run (direction,
 * fault, page size, frame policy, offset, timing, delivery, window) it prints: MB/s per row and size with
 * the p5-p95 spread, the thesis's rows, the ratios extended(kvm)/basic(kvm),
 * extended(walk)/extended(kvm) and ptcopy/extended(kvm), and the median stage times at
 * the facet's largest size with the percentage of the calibrated bound reached; and for
 * an iov-delivery facet, each row's throughput over the same row's with copy delivery.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "dataset.h"
#include "table.h"

#define MAX_COLS 32


/* Rows a and b are of one facet, but for column `except` (NULL: none). */
static bool facet_but(const struct csv *t, size_t a, size_t b, const char *except)
{
	for (size_t f = 0; f < DATASET_NFACETS; f++)
		if ((!except || strcmp(dataset_facet_cols[f], except)) &&
		    strcmp(csv_get(t, a, dataset_facet_cols[f]), csv_get(t, b, dataset_facet_cols[f])))
			return false;
	return true;
}

static bool same_facet(const struct csv *t, size_t a, size_t b)
{
	return facet_but(t, a, b, NULL);
}

/* Distinct values of a column among the rows of a facet, in order of appearance. */
static size_t distinct(const struct csv *t, size_t facet_row, const char *col, const char **out)
{
	size_t n = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		const char *v = csv_get(t, r, col);
		bool seen = false;

		if (!same_facet(t, r, facet_row))
			continue;
		for (size_t i = 0; i < n; i++)
			seen |= !strcmp(out[i], v);
		if (!seen && n < MAX_COLS)
			out[n++] = v;
	}
	return n;
}

static long find(const struct csv *t, size_t facet_row, const char *label, const char *bytes)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (same_facet(t, r, facet_row) && !strcmp(csv_get(t, r, "label"), label) &&
		    !strcmp(csv_get(t, r, "bytes"), bytes))
			return (long)r;
	return -1;
}

static void size_name(const char *bytes, char *out, size_t cap)
{
	double b = strtod(bytes, NULL);

	if (b >= 1 << 20)
		snprintf(out, cap, "%.6g MiB", b / (1 << 20));
	else if (b >= 1 << 10)
		snprintf(out, cap, "%.6g KiB", b / (1 << 10));
	else
		snprintf(out, cap, "%.0f B", b);
}

static void print_thesis(FILE *out, const char **sizes, size_t nsizes)
{
	char path[600], err[256];
	struct csv *ref;

	pagegate_path("../datasets/reference/table-7.1.csv", path, sizeof(path));
	ref = csv_read(path, err, sizeof(err));
	if (!ref)
		return;
	for (const char *model = "basic"; model; model = strcmp(model, "basic") ? NULL : "extended") {
		fprintf(out, "%-16s", strcmp(model, "basic") ? "thesis extended" : "thesis basic");
		for (size_t s = 0; s < nsizes; s++) {
			double mib = strtod(sizes[s], NULL) / (1 << 20);
			const char *v = "";

			for (size_t r = 0; r < ref->nrows; r++)
				if (!strcmp(csv_get(ref, r, "model"), model) &&
				    csv_num(ref, r, "bytes") / 1e6 == mib)
					v = csv_get(ref, r, "mbps");
			fprintf(out, " %18s", v);
		}
		fprintf(out, "\n");
	}
	csv_free(ref);
}

static void print_ratio(FILE *out, const struct csv *t, size_t facet_row, const char **sizes, size_t nsizes,
			const char *num, const char *den)
{
	char name[48];

	if (find(t, facet_row, num, sizes[0]) < 0 || find(t, facet_row, den, sizes[0]) < 0)
		return;
	snprintf(name, sizeof(name), "%s / %s", num, den);
	fprintf(out, "%-34s", name);
	for (size_t s = 0; s < nsizes; s++) {
		long a = find(t, facet_row, num, sizes[s]), b = find(t, facet_row, den, sizes[s]);

		if (a >= 0 && b >= 0)
			fprintf(out, " %8.2fx", csv_num(t, (size_t)a, "median_mbps") / csv_num(t, (size_t)b, "median_mbps"));
	}
	fprintf(out, "\n");
}

/* "median [p5-p95]" MB/s of a label and size, or "-". */
static void spread_cell(const struct csv *t, size_t facet_row, const char *label, const char *bytes, char *cell,
			size_t cap)
{
	long r = find(t, facet_row, label, bytes);

	if (r < 0)
		snprintf(cell, cap, "-");
	else
		snprintf(cell, cap, "%.0f [%.0f-%.0f]", csv_num(t, (size_t)r, "median_mbps"),
			 csv_num(t, (size_t)r, "p5_mbps"), csv_num(t, (size_t)r, "p95_mbps"));
}

/* A header line: `title`, then the sizes in columns `width` wide. */
static void print_size_header(FILE *out, const char *title, const char **sizes, size_t nsizes, int width)
{
	char name[32];

	fprintf(out, "%-16s", title);
	for (size_t s = 0; s < nsizes; s++) {
		size_name(sizes[s], name, sizeof(name));
		fprintf(out, " %*s", width, name);
	}
	fprintf(out, "\n");
}

static void print_throughput(FILE *out, const struct csv *t, size_t facet_row, const char **labels, size_t nlabels,
			     const char **sizes, size_t nsizes)
{
	print_size_header(out, "MB/s [p5-p95]", sizes, nsizes, 18);
	for (size_t l = 0; l < nlabels; l++) {
		fprintf(out, "%-16s", labels[l]);
		for (size_t s = 0; s < nsizes; s++) {
			char cell[64];

			spread_cell(t, facet_row, labels[l], sizes[s], cell, sizeof(cell));
			fprintf(out, " %18s", cell);
		}
		fprintf(out, "\n");
	}
}

/* Sizes down, rows across: for long size ranges. */
static void print_by_size(FILE *out, const struct csv *t, size_t facet_row, const char **labels, size_t nlabels,
			  const char **sizes, size_t nsizes)
{
	char name[32];

	fprintf(out, "%-12s", "MB/s");
	for (size_t l = 0; l < nlabels; l++)
		fprintf(out, " %20s", labels[l]);
	fprintf(out, "\n");
	for (size_t s = 0; s < nsizes; s++) {
		size_name(sizes[s], name, sizeof(name));
		fprintf(out, "%-12s", name);
		for (size_t l = 0; l < nlabels; l++) {
			char cell[64];

			spread_cell(t, facet_row, labels[l], sizes[s], cell, sizeof(cell));
			fprintf(out, " %20s", cell);
		}
		fprintf(out, "\n");
	}
}

static void print_stages(FILE *out, const struct csv *t, size_t facet_row, const char **labels, size_t nlabels,
			 const char *bytes)
{
	static const char *const cols[] = { "median_total_ns", "median_exit_ns", "median_translate_ns",
					    "median_fault_ns", "median_copy_ns", "median_handler_ns",
					    "median_entry_ns", "median_guest_ns" };
	char name[32];

	size_name(bytes, name, sizeof(name));
	fprintf(out, "\nwhere the time goes at %s, median us per transfer (guest = total minus host stages; n/m = not "
		     "measured: guest and host clocks unrelated)\n", name);
	fprintf(out, "%-16s %9s %9s %9s %9s %9s %9s %9s %9s %9s %7s %7s %7s\n", "", "total", "exit", "translate",
		"fault", "copy", "handler", "entry", "guest", "doorbells", "pages", "faults", "%bound");
	for (size_t l = 0; l < nlabels; l++) {
		long r = find(t, facet_row, labels[l], bytes);

		if (r < 0)
			continue;
		fprintf(out, "%-16s", labels[l]);
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
			if (isnan(csv_num(t, (size_t)r, cols[c])))
				fprintf(out, " %9s", "n/m");
			else
				fprintf(out, " %9.1f", csv_num(t, (size_t)r, cols[c]) / 1e3);
		fprintf(out, " %9.0f %7.0f %7.0f %7.1f\n", csv_num(t, (size_t)r, "median_doorbells"),
			csv_num(t, (size_t)r, "median_pages_translated"), csv_num(t, (size_t)r, "median_faults"),
			csv_num(t, (size_t)r, "median_pct_of_bound"));
	}
}

/* In an iov facet: each row's median MB/s over the same row's with copy delivery. */
static void print_delivery_ratio(FILE *out, const struct csv *t, size_t facet_row, const char **labels,
				 size_t nlabels, const char **sizes, size_t nsizes)
{
	fprintf(out, "\niov / copy delivery, median MB/s ratio\n");
	print_size_header(out, "", sizes, nsizes, 10);
	for (size_t l = 0; l < nlabels; l++) {
		fprintf(out, "%-16s", labels[l]);
		for (size_t s = 0; s < nsizes; s++) {
			long a = find(t, facet_row, labels[l], sizes[s]), b = -1;

			for (size_t r = 0; a >= 0 && r < t->nrows && b < 0; r++)
				if (!strcmp(csv_get(t, r, "delivery"), "copy") && facet_but(t, r, facet_row, "delivery") &&
				    !strcmp(csv_get(t, r, "label"), labels[l]) && !strcmp(csv_get(t, r, "bytes"), sizes[s]))
					b = (long)r;
			if (b >= 0)
				fprintf(out, " %9.2fx", csv_num(t, (size_t)a, "median_mbps") / csv_num(t, (size_t)b, "median_mbps"));
			else
				fprintf(out, " %10s", "-");
		}
		fprintf(out, "\n");
	}
}

static void print_facet(FILE *out, const struct csv *t, size_t facet_row)
{
	const char *labels[MAX_COLS], *sizes[MAX_COLS], *table_sizes[4];
	size_t nlabels = distinct(t, facet_row, "label", labels), nsizes = distinct(t, facet_row, "bytes", sizes);
	size_t ntable = 0;

	fprintf(out, "\n== %s, %s buffer, %s pages, %s frames, offset %s, timing %s, %s delivery, timed %s"
		     "  (MB = 10^6 bytes)\n",
		csv_get(t, facet_row, "direction"), csv_get(t, facet_row, "fault"), csv_get(t, facet_row, "page_size"),
		csv_get(t, facet_row, "frames"), csv_get(t, facet_row, "offset"), csv_get(t, facet_row, "timing"),
		csv_get(t, facet_row, "delivery"), !strcmp(csv_get(t, facet_row, "window"), "device")
							  ? "through the device"
							  : "transfer only");
	for (size_t s = 0; s < nsizes; s++) /* the thesis's columns: 1, 2, 3, 4 MiB */
		for (int mib = 1; mib <= 4; mib++)
			if (strtod(sizes[s], NULL) == (double)(mib << 20) && ntable < 4)
				table_sizes[ntable++] = sizes[s];
	if (ntable) {
		fprintf(out, "Table 7.1 layout:\n");
		print_throughput(out, t, facet_row, labels, nlabels, table_sizes, ntable);
		print_thesis(out, table_sizes, ntable);
		print_ratio(out, t, facet_row, table_sizes, ntable, "extended(kvm)", "basic(kvm)");
		print_ratio(out, t, facet_row, table_sizes, ntable, "extended(walk)", "extended(kvm)");
		print_ratio(out, t, facet_row, table_sizes, ntable, "ptcopy", "extended(kvm)");
	}
	if (nsizes > ntable) {
		fprintf(out, "all sizes, median [p5-p95]:\n");
		print_by_size(out, t, facet_row, labels, nlabels, sizes, nsizes);
	}
	print_stages(out, t, facet_row, labels, nlabels, sizes[nsizes - 1]);
	if (!strcmp(csv_get(t, facet_row, "delivery"), "iov"))
		print_delivery_ratio(out, t, facet_row, labels, nlabels, sizes, nsizes);
}

/* A banner when the run's meta.json says its timings mean nothing (an emulated CPU). */
static void print_meaning(FILE *out, const char *dir)
{
	if (!dataset_timings_meaningful(dir))
		fprintf(out, "*** this run's CPU was emulated (QEMU TCG): its timings are NOT meaningful; it shows the "
			     "code works, not how fast ***\n");
}

int table_print(const char *dir, FILE *out)
{
	char path[600], err[300];
	struct csv *t;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	t = csv_read(path, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "pagegate table: %s\n", err);
		return 1;
	}
	print_meaning(out, dir);
	for (size_t r = 0; r < t->nrows; r++) {
		bool first = true;

		for (size_t q = 0; q < r && first; q++)
			first = !same_facet(t, q, r);
		if (first)
			print_facet(out, t, r);
	}
	if (!t->nrows)
		fprintf(out, "%s: no finished configuration yet\n", path);
	csv_free(t);
	return 0;
}
