/*
 * The Table 7.1 view of a dataset (see table.h).  For each facet of the run (direction,
 * fault, page size, frame policy, offset, timing, delivery, window, queue depth,
 * completion) it prints: MB/s per row and size with the p5-p95 spread, the thesis's
 * rows, the ratios extended(kvm)/basic(kvm), extended(walk)/extended(kvm) and
 * ptcopy/extended(kvm), and the median stage times at the facet's largest size with the
 * percentages of the bound and of the paired memcpy reached; and for an iov-delivery
 * facet, each row's throughput over the same row's with copy delivery.  Each ratio
 * comes with its bootstrap interval where the run kept its repetitions (results.csv).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "dataset.h"
#include "summary.h"
#include "table.h"

#define MAX_COLS 32

const char *const table_ratios[TABLE_NRATIOS][2] = {
	{ "extended(kvm)", "basic(kvm)" },
	{ "extended(walk)", "extended(kvm)" },
	{ "ptcopy", "extended(kvm)" },
};

/* A run as the table reads it: the summary, and the repetitions if kept (else NULL). */
struct run_tables {
	const struct csv *t, *res, *lat; /* lat: latency.csv, if kept (else NULL) */
};

static bool same_facet(const struct csv *t, size_t a, size_t b)
{
	return summary_same_facet(t, a, t, b, NULL);
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

/* " 1.23x [1.20-1.26]": a ratio of rows rn over rd with its interval, or without where
 * the repetitions are missing. */
static void print_ratio_cell(FILE *out, const struct run_tables *run, size_t rn, size_t rd)
{
	struct ratio_ci ci;
	char cell[48];

	if (summary_ratio_ci(run->t, rn, run->res, run->t, rd, run->res, &ci))
		snprintf(cell, sizeof(cell), "%.2fx [%.2f-%.2f]", ci.ratio, ci.lo, ci.hi);
	else
		snprintf(cell, sizeof(cell), "%.2fx", ci.ratio);
	fprintf(out, " %18s", cell);
}

/* The ratio's line, under a heading if `first`; whether there was one to print. */
static bool print_ratio(FILE *out, const struct run_tables *run, size_t facet_row, const char **sizes,
			size_t nsizes, const char *num, const char *den, bool first)
{
	const struct csv *t = run->t;
	char name[48];

	if (summary_find(t, facet_row, num, sizes[0]) < 0 || summary_find(t, facet_row, den, sizes[0]) < 0)
		return false;
	if (first)
		fprintf(out, "median MB/s ratios [95 %% bootstrap interval over repetitions]\n");
	snprintf(name, sizeof(name), "%s / %s", num, den);
	fprintf(out, "%-34s", name);
	for (size_t s = 0; s < nsizes; s++) {
		long a = summary_find(t, facet_row, num, sizes[s]), b = summary_find(t, facet_row, den, sizes[s]);

		if (a >= 0 && b >= 0)
			print_ratio_cell(out, run, (size_t)a, (size_t)b);
	}
	fprintf(out, "\n");
	return true;
}

/* "median [p5-p95]" MB/s of a label and size, or "-". */
static void spread_cell(const struct csv *t, size_t facet_row, const char *label, const char *bytes, char *cell,
			size_t cap)
{
	long r = summary_find(t, facet_row, label, bytes);

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
		summary_size_name(sizes[s], name, sizeof(name));
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
		summary_size_name(sizes[s], name, sizeof(name));
		fprintf(out, "%-12s", name);
		for (size_t l = 0; l < nlabels; l++) {
			char cell[64];

			spread_cell(t, facet_row, labels[l], sizes[s], cell, sizeof(cell));
			fprintf(out, " %20s", cell);
		}
		fprintf(out, "\n");
	}
}

/* A percentage column, "n/m" where not measured (camera rows; schema 2 has no memcpy). */
static void print_pct(FILE *out, double pct, int width)
{
	if (isnan(pct))
		fprintf(out, " %*s", width, "n/m");
	else
		fprintf(out, " %*.1f", width, pct);
}

static void print_stages(FILE *out, const struct csv *t, size_t facet_row, const char **labels, size_t nlabels,
			 const char *bytes)
{
	static const char *const cols[] = { "median_total_ns", "median_exit_ns", "median_translate_ns",
					    "median_fault_ns", "median_copy_ns", "median_handler_ns",
					    "median_entry_ns", "median_guest_ns" };
	char name[32];

	summary_size_name(bytes, name, sizeof(name));
	fprintf(out, "\nwhere the time goes at %s, median us per transfer (guest = total minus host stages; n/m = not "
		     "measured: guest and host clocks unrelated)\n", name);
	fprintf(out, "%-16s %9s %9s %9s %9s %9s %9s %9s %9s %9s %7s %7s %7s %8s %8s\n", "", "total", "exit", "translate",
		"fault", "copy", "handler", "entry", "guest", "doorbells", "pages", "faults", "%bound", "%memcpy",
		"%gather");
	for (size_t l = 0; l < nlabels; l++) {
		long r = summary_find(t, facet_row, labels[l], bytes);

		if (r < 0 || !strcmp(csv_get(t, (size_t)r, "transport"), "ring")) /* its own section */
			continue;
		fprintf(out, "%-16s", labels[l]);
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
			if (isnan(csv_num(t, (size_t)r, cols[c])))
				fprintf(out, " %9s", "n/m");
			else
				fprintf(out, " %9.1f", csv_num(t, (size_t)r, cols[c]) / 1e3);
		fprintf(out, " %9.0f %7.0f %7.0f", csv_num(t, (size_t)r, "median_doorbells"),
			csv_num(t, (size_t)r, "median_pages_translated"), csv_num(t, (size_t)r, "median_faults"));
		print_pct(out, csv_num(t, (size_t)r, "median_pct_of_bound"), 7);
		print_pct(out, csv_num(t, (size_t)r, "median_pct_of_memcpy"), 8);
		print_pct(out, csv_num(t, (size_t)r, "median_pct_of_gather"), 8);
		fprintf(out, "\n");
	}
}

/* The copy-delivery row matching row a (same facet but delivery, label and size), or -1. */
static long copy_twin(const struct csv *t, size_t a)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(csv_get(t, r, "delivery"), "copy") && summary_same_facet(t, r, t, a, "delivery") &&
		    !strcmp(csv_get(t, r, "label"), csv_get(t, a, "label")) &&
		    !strcmp(csv_get(t, r, "bytes"), csv_get(t, a, "bytes")))
			return (long)r;
	return -1;
}

/* In an iov facet: each row's median MB/s over the same row's with copy delivery. */
static void print_delivery_ratio(FILE *out, const struct run_tables *run, size_t facet_row, const char **labels,
				 size_t nlabels, const char **sizes, size_t nsizes)
{
	fprintf(out, "\niov / copy delivery, median MB/s ratio [95 %% bootstrap interval]\n");
	print_size_header(out, "", sizes, nsizes, 18);
	for (size_t l = 0; l < nlabels; l++) {
		fprintf(out, "%-16s", labels[l]);
		for (size_t s = 0; s < nsizes; s++) {
			long a = summary_find(run->t, facet_row, labels[l], sizes[s]), b = a < 0 ? -1 : copy_twin(run->t, (size_t)a);

			if (b >= 0)
				print_ratio_cell(out, run, (size_t)a, (size_t)b);
			else
				fprintf(out, " %18s", "-");
		}
		fprintf(out, "\n");
	}
}

/* A number of `width` with `decimals`, "n/m" where not measured, "-" where absent. */
static void print_num(FILE *out, const struct csv *t, long r, const char *col, double scale, int width, int decimals)
{
	double v = r < 0 ? NAN : csv_num(t, (size_t)r, col) * scale;

	if (r < 0 || !csv_get(t, (size_t)r, col)[0])
		fprintf(out, " %*s", width, r < 0 ? "-" : "n/m");
	else
		fprintf(out, " %*.*f", width, decimals, v);
}

/* The ring rows' latency percentiles from the guest's histograms (latency.csv), at every
 * size: bucket ends, so upper bounds at most 25 % high; "n/m" where a row has none, with
 * the reason once. */
static void print_latency_hist(FILE *out, const struct run_tables *run, size_t facet_row, const char **labels,
			       size_t nlabels, const char **sizes, size_t nsizes)
{
	static const double pcts[] = { 50, 90, 99, 99.9 };
	struct lat_bin b[PG_LAT_BUCKETS];
	bool missing = false;
	char name[32];

	fprintf(out, "ring latency from the guest's histograms (latency.csv; bucket ends: at most 25 %% above), us\n");
	fprintf(out, "%-27s %8s %8s %8s %8s\n", "", "p50", "p90", "p99", "p99.9");
	for (size_t s = 0; s < nsizes; s++)
		for (size_t l = 0; l < nlabels; l++) {
			long r = summary_find(run->t, facet_row, labels[l], sizes[s]);
			size_t n = r < 0 ? 0 : summary_lat_hist(run->t, (size_t)r, run->lat, b, PG_LAT_BUCKETS);

			if (r < 0 || strcmp(csv_get(run->t, (size_t)r, "transport"), "ring"))
				continue;
			summary_size_name(sizes[s], name, sizeof(name));
			fprintf(out, "%-16s %-10s", labels[l], name);
			for (size_t p = 0; p < sizeof(pcts) / sizeof(pcts[0]); p++) {
				double v = summary_lat_percentile(b, n, pcts[p]);

				if (isnan(v))
					fprintf(out, " %8s", "n/m");
				else
					fprintf(out, " %8.2f", v / 1e3);
			}
			fprintf(out, "\n");
			missing |= !n;
		}
	if (missing)
		fprintf(out, "n/m: no histogram: %s\n",
			run->lat ? "the host refused the guest's (counts that do not add up to its requests) or the "
				   "repetitions failed"
				 : "this run kept no latency.csv (schema < 5)");
}

/* Requests per second at every size (a doorbell transfer is one request), and for the
 * ring what a request costs: latency, notification, the I/O thread's CPU, stage means. */
/* A ring row's move — its translate and copy stages, per request — as a percentage of the
 * paired baseline `pair_col` (a total over the repetition's requests): how close the ring's
 * data path comes to a plain copy, the device and the queueing left out.  NAN where a
 * number is missing (iov delivery copies nothing: its move is the translation alone). */
static double move_pct(const struct csv *t, size_t r, const char *pair_col)
{
	double move = csv_num(t, r, "median_ring_translate_ns") + csv_num(t, r, "median_ring_copy_ns");

	return 100 * csv_num(t, r, pair_col) / csv_num(t, r, "median_requests") / move;
}

static void print_requests(FILE *out, const struct csv *t, size_t facet_row, const char **labels, size_t nlabels,
			   const char **sizes, size_t nsizes)
{
	static const char *const ring_cols[] = { "median_lat_p50_ns", "median_lat_p99_ns", "median_kicks_per_req",
						 "median_reqs_per_round", "median_interrupts_per_req",
						 "median_io_busy_pct", "median_io_cpu_pct",
						 "median_ring_queue_ns", "median_ring_translate_ns", "median_ring_copy_ns",
						 "median_ring_device_ns", "median_ring_complete_ns", "median_ring_notice_ns" };
	static const double scale[] = { 1e-3, 1e-3, 1, 1, 1, 1, 1, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3 };
	enum { KICKS = 2, IRQS = 4, CPU = 6 }; /* counts KICKS..IRQS, shares to CPU, then times */
	char name[32];

	print_size_header(out, "requests/s", sizes, nsizes, 12);
	for (size_t l = 0; l < nlabels; l++) {
		fprintf(out, "%-16s", labels[l]);
		for (size_t s = 0; s < nsizes; s++)
			print_num(out, t, summary_find(t, facet_row, labels[l], sizes[s]), "median_req_per_s", 1, 12, 0);
		fprintf(out, "\n");
	}
	for (size_t s = 0; s < nsizes; s++) {
		summary_size_name(sizes[s], name, sizeof(name));
		fprintf(out, "ring at %s: latency p50 p99 (us), kicks/req, reqs/round, irqs/req, I/O thread busy %% and "
			     "CPU %%, per request (us): queue translate copy device complete notice; the move "
			     "(translate + copy) as %% of the paired memcpy and gather\n", name);
		for (size_t l = 0; l < nlabels; l++) {
			long r = summary_find(t, facet_row, labels[l], sizes[s]);

			if (r < 0 || strcmp(csv_get(t, (size_t)r, "transport"), "ring"))
				continue;
			fprintf(out, "%-16s", labels[l]);
			for (size_t c = 0; c < sizeof(ring_cols) / sizeof(ring_cols[0]); c++)
				print_num(out, t, r, ring_cols[c], scale[c], c >= KICKS && c <= IRQS ? 8 : 7,
					  c < KICKS || c > CPU ? 2 : c <= IRQS ? 3 : 1);
			print_pct(out, move_pct(t, (size_t)r, "median_memcpy_ns"), 7);
			print_pct(out, move_pct(t, (size_t)r, "median_gather_ns"), 7);
			fprintf(out, "\n");
		}
	}
}

static void print_facet(FILE *out, const struct run_tables *run, size_t facet_row)
{
	const struct csv *t = run->t;
	const char *labels[MAX_COLS], *sizes[MAX_COLS], *table_sizes[4];
	size_t nlabels = distinct(t, facet_row, "label", labels), nsizes = distinct(t, facet_row, "bytes", sizes);
	size_t ntable = 0;

	fprintf(out, "\n== %s, %s buffer, %s pages, %s frames, offset %s, timing %s, %s delivery, timed %s, qd %s, "
		     "%s completion  (MB = 10^6 bytes)\n",
		csv_get(t, facet_row, "direction"), csv_get(t, facet_row, "fault"), csv_get(t, facet_row, "page_size"),
		csv_get(t, facet_row, "frames"), csv_get(t, facet_row, "offset"), csv_get(t, facet_row, "timing"),
		csv_get(t, facet_row, "delivery"), !strcmp(csv_get(t, facet_row, "window"), "device")
							  ? "through the device"
							  : "transfer only",
		csv_get(t, facet_row, "qd")[0] ? csv_get(t, facet_row, "qd") : "1",
		csv_get(t, facet_row, "complete")[0] ? csv_get(t, facet_row, "complete") : "poll");
	for (size_t s = 0; s < nsizes; s++) /* the thesis's columns: 1, 2, 3, 4 MiB */
		for (int mib = 1; mib <= 4; mib++)
			if (strtod(sizes[s], NULL) == (double)(mib << 20) && ntable < 4)
				table_sizes[ntable++] = sizes[s];
	if (ntable) {
		fprintf(out, "Table 7.1 layout:\n");
		print_throughput(out, t, facet_row, labels, nlabels, table_sizes, ntable);
		print_thesis(out, table_sizes, ntable);
		for (size_t i = 0, shown = 0; i < TABLE_NRATIOS; i++)
			shown += print_ratio(out, run, facet_row, table_sizes, ntable, table_ratios[i][0],
					     table_ratios[i][1], shown == 0);
	}
	if (nsizes > ntable) {
		fprintf(out, "all sizes, median [p5-p95]:\n");
		print_by_size(out, t, facet_row, labels, nlabels, sizes, nsizes);
	}
	print_stages(out, t, facet_row, labels, nlabels, sizes[nsizes - 1]);
	if (summary_facet_has_ring(t, facet_row)) {
		print_requests(out, t, facet_row, labels, nlabels, sizes, nsizes);
		print_latency_hist(out, run, facet_row, labels, nlabels, sizes, nsizes);
	}
	if (!strcmp(csv_get(t, facet_row, "delivery"), "iov"))
		print_delivery_ratio(out, run, facet_row, labels, nlabels, sizes, nsizes);
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
	struct csv *t = summary_read(dir, "summary.csv", false), *res, *lat;

	if (!t)
		return 1;
	res = summary_read(dir, "results.csv", true);
	lat = summary_read(dir, "latency.csv", true);
	print_meaning(out, dir);
	for (size_t r = 0; r < t->nrows; r++) {
		bool first = true;

		for (size_t q = 0; q < r && first; q++)
			first = !same_facet(t, q, r);
		if (first)
			print_facet(out, &(struct run_tables){ t, res, lat }, r);
	}
	if (!t->nrows)
		fprintf(out, "%s/summary.csv: no finished configuration yet\n", dir);
	csv_free(t);
	csv_free(res);
	csv_free(lat);
	return 0;
}
