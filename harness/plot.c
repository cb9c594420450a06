/*
 * Figures and comparisons (see plot.h).  For each facet of a run (direction, fault, page
 * size, frames, offset, timing, delivery, window, qd) the data files are:
 *   throughput-<facet>.dat  blocks per row label: bytes, median, p5, p95 MB/s, % of bound
 *   stages-<facet>.dat      one bar per row label and size of 1-4 MiB: stage medians, ms
 *   faults-<dir>-...dat     blocks per row label: bytes, us per absent page (cold - warm)
 * and for facets with ring rows:
 *   requests-<facet>.dat    blocks per row label: bytes, median requests/s, latency p50
 *                           and p99 ns (NaN for doorbells)
 *   ring-stages-<facet>.dat the six ring stages per ring row, us per request, at the
 *                           smallest and the largest size (rows with one not measured out)
 *   cpu-<facet>.dat         blocks per ring row: bytes, requests/s, I/O thread busy and CPU
 *                           %, TSC cycles per request from each
 *   latency-cdf-<facet>.dat (qd 1) latency CDFs at the smallest ring size: the ring rows'
 *                           from latency.csv, the doorbell rows' transfers from results.csv
 *   qd-<facet>.dat          (one per set of facets that differ only in qd) at the smallest
 *                           ring size: per ring row requests/s and latency by depth, and
 *                           the doorbell rows' transfers/s as references
 * and gnuplot renders each with plots/<name>.gp for the png, svg and pdf terminals.  Every
 * cell not measured is written NaN, so it never shifts gnuplot's columns.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "csv.h"
#include "dataset.h"
#include "plot.h"
#include "stats.h"
#include "summary.h"

#define MAX_ITEMS 64

static const char *const stage_cols[] = { "median_exit_ns", "median_translate_ns", "median_fault_ns",
					  "median_copy_ns", "median_handler_ns", "median_entry_ns",
					  "median_guest_ns" };
#define NSTAGES (sizeof(stage_cols) / sizeof(stage_cols[0]))

static FILE *open_data(const char *figdir, const char *name, const char *facet, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s-%s.dat", figdir, name, facet);
	return fopen(path, "w");
}

/* What a figure's data writer reads: the run's summary and, where the run kept them, its
 * repetitions (results.csv) and latency histograms (latency.csv) and its TSC rate (NAN:
 * unknown); one facet of it (a row of the facet; `skip`: a facet column the figure spans,
 * e.g. "qd", or NULL) and that facet's row labels; and where the writer adds gnuplot
 * assignments for its script (after the title). */
struct facet {
	const struct csv *t, *results, *latency;
	double tsc_khz;
	size_t row;
	const char *skip;
	const char *labels[MAX_ITEMS];
	size_t n;
	char *extra;
	size_t extra_cap;
};

/* Rows r of t in fc's facet (every facet column but fc->skip agrees with fc->row's). */
static bool in_facet(const struct facet *fc, size_t r)
{
	return summary_same_facet(fc->t, r, fc->t, fc->row, fc->skip);
}

static bool is_ring(const struct csv *t, size_t r)
{
	return !strcmp(csv_get(t, r, "transport"), "ring");
}

static void labels_of(struct facet *fc)
{
	fc->n = 0;
	for (size_t r = 0; r < fc->t->nrows; r++) {
		bool seen = false;

		if (!in_facet(fc, r))
			continue;
		for (size_t i = 0; i < fc->n; i++)
			seen |= !strcmp(fc->labels[i], csv_get(fc->t, r, "label"));
		if (!seen && fc->n < MAX_ITEMS)
			fc->labels[fc->n++] = csv_get(fc->t, r, "label");
	}
}

/* Append a gnuplot assignment to the figure's (plot_facet_init set fc->extra up). */
static void __attribute__((format(printf, 2, 3))) add_var(const struct facet *fc, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	assert(fc->extra);
	used = strlen(fc->extra);

	va_start(ap, fmt);
	vsnprintf(fc->extra + used, fc->extra_cap - used, fmt, ap);
	va_end(ap);
}

/* The smallest (or largest) size of the facet's ring rows, as its cell; NULL if none. */
static const char *ring_size(const struct facet *fc, bool largest)
{
	const char *best = NULL;

	for (size_t r = 0; r < fc->t->nrows; r++)
		if (in_facet(fc, r) && is_ring(fc->t, r) &&
		    (!best || (csv_num(fc->t, r, "bytes") > strtod(best, NULL)) == largest))
			best = csv_get(fc->t, r, "bytes");
	return best;
}

/* The facet's rows of `label` at size `bytes`, by queue depth ascending, into out (room
 * for MAX_ITEMS); how many. */
static size_t rows_by_qd(const struct facet *fc, const char *label, const char *bytes, size_t *out)
{
	size_t n = 0;

	for (size_t r = 0; r < fc->t->nrows && n < MAX_ITEMS; r++) {
		size_t i;

		if (!in_facet(fc, r) || strcmp(csv_get(fc->t, r, "label"), label) || strcmp(csv_get(fc->t, r, "bytes"), bytes))
			continue;
		for (i = n++; i > 0 && csv_num(fc->t, out[i - 1], "qd") > csv_num(fc->t, r, "qd"); i--) /* insertion */
			out[i] = out[i - 1];
		out[i] = r;
	}
	return n;
}

/* A cell as gnuplot reads it: the number, or NaN where empty (not measured), so an empty
 * cell never shifts the columns after it. */
static const char *cell(const struct csv *t, size_t r, const char *col)
{
	return csv_get(t, r, col)[0] ? csv_get(t, r, col) : "NaN";
}

/* " value", or " NaN" where it is not a finite number (not measured). */
static void put_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.1f", v);
	else
		fprintf(f, " NaN");
}

/* One block per label: bytes, then the summary's `cols` (NULL-terminated), sizes
 * ascending as written; returns the number of blocks. */
static int write_blocks(FILE *f, const struct facet *fc, const char *const *cols)
{
	const struct csv *t = fc->t;

	fprintf(f, "# bytes");
	for (size_t c = 0; cols[c]; c++)
		fprintf(f, " %s", cols[c]);
	fprintf(f, "\n");
	for (size_t l = 0; l < fc->n; l++) {
		fprintf(f, "\"%s\"\n", fc->labels[l]);
		for (size_t r = 0; r < t->nrows; r++) {
			if (!in_facet(fc, r) || strcmp(csv_get(t, r, "label"), fc->labels[l]))
				continue;
			fprintf(f, "%s", csv_get(t, r, "bytes"));
			for (size_t c = 0; cols[c]; c++)
				fprintf(f, " %s", cell(t, r, cols[c]));
			fprintf(f, "\n");
		}
		fprintf(f, "\n\n");
	}
	return (int)fc->n;
}

static int write_throughput(FILE *f, const struct facet *fc)
{
	static const char *const cols[] = { "median_mbps", "p5_mbps", "p95_mbps", "median_pct_of_bound", NULL };

	return write_blocks(f, fc, cols);
}

static int write_requests(FILE *f, const struct facet *fc)
{
	static const char *const cols[] = { "median_req_per_s", "median_lat_p50_ns", "median_lat_p99_ns", NULL };

	return write_blocks(f, fc, cols);
}

/* One bar per label and size of 1-4 MiB; returns the number of bars. */
static int write_stages(FILE *f, const struct facet *fc)
{
	const struct csv *t = fc->t;
	int bars = 0;

	fprintf(f, "bar exit translate fault copy handler entry guest\n");
	for (size_t l = 0; l < fc->n; l++)
		for (int mib = 1; mib <= 4; mib++)
			for (size_t r = 0; r < t->nrows; r++) {
				if (!in_facet(fc, r) || strcmp(csv_get(t, r, "label"), fc->labels[l]) ||
				    csv_num(t, r, "bytes") != (double)(mib << 20))
					continue;
				fprintf(f, "\"%s %d MiB\"", fc->labels[l], mib);
				for (size_t s = 0; s < NSTAGES; s++)
					fprintf(f, " %.4f", csv_num(t, r, stage_cols[s]) / 1e6);
				fprintf(f, "\n");
				bars++;
			}
	return bars;
}

/* Per label: for each size with both a cold and a warm row, us per absent page. */
static int write_faults(FILE *f, const struct facet *fc)
{
	const struct csv *t = fc->t;
	int points = 0;

	fprintf(f, "# bytes us_per_absent_page\n");
	for (size_t l = 0; l < fc->n; l++) {
		fprintf(f, "\"%s\"\n", fc->labels[l]);
		for (size_t c = 0; c < t->nrows; c++) {
			if (!in_facet(fc, c) || strcmp(csv_get(t, c, "label"), fc->labels[l]))
				continue;
			for (size_t w = 0; w < t->nrows; w++)
				if (!strcmp(csv_get(t, w, "fault"), "warm") && summary_same_facet(t, w, t, c, "fault") &&
				    !strcmp(csv_get(t, w, "label"), fc->labels[l]) &&
				    !strcmp(csv_get(t, w, "bytes"), csv_get(t, c, "bytes")) &&
				    csv_num(t, c, "median_faults") > 0) {
					fprintf(f, "%s %.3f\n", csv_get(t, c, "bytes"),
						(csv_num(t, c, "median_total_ns") - csv_num(t, w, "median_total_ns")) /
							csv_num(t, c, "median_faults") / 1e3);
					points++;
				}
		}
		fprintf(f, "\n\n");
	}
	return points;
}

/* The queue-depth sweep (fc->skip is "qd"): at the smallest ring size, per ring label a
 * block of lines "qd req/s p50_ns p99_ns", depths ascending; then per doorbell label a
 * flat reference, its requests/s at that size (at qd 1: a doorbell transfer is one
 * request) at the smallest and the largest depth.  extra: nring (the ring blocks come
 * first), size.  Nothing unless the ring rows span two depths or more. */
static int write_qd(FILE *f, const struct facet *fc)
{
	const char *bytes = ring_size(fc, false);
	size_t rows[MAX_ITEMS], n;
	double lo = INFINITY, hi = 0;
	int nring = 0, blocks = 0;
	char size[32];

	for (size_t r = 0; bytes && r < fc->t->nrows; r++)
		if (in_facet(fc, r) && is_ring(fc->t, r) && !strcmp(csv_get(fc->t, r, "bytes"), bytes)) {
			lo = fmin(lo, csv_num(fc->t, r, "qd"));
			hi = fmax(hi, csv_num(fc->t, r, "qd"));
		}
	if (!(hi > lo))
		return 0;
	fprintf(f, "# qd median_req_per_s median_lat_p50_ns median_lat_p99_ns\n");
	for (int ring = 1; ring >= 0; ring--)
		for (size_t l = 0; l < fc->n; l++) {
			n = rows_by_qd(fc, fc->labels[l], bytes, rows);
			if (!n || is_ring(fc->t, rows[0]) != ring)
				continue;
			fprintf(f, "\"%s\"\n", fc->labels[l]);
			for (size_t i = 0; ring && i < n; i++)
				fprintf(f, "%s %s %s %s\n", csv_get(fc->t, rows[i], "qd"), cell(fc->t, rows[i], "median_req_per_s"),
					cell(fc->t, rows[i], "median_lat_p50_ns"), cell(fc->t, rows[i], "median_lat_p99_ns"));
			if (!ring)
				fprintf(f, "%g %s\n%g %s\n", lo, cell(fc->t, rows[0], "median_req_per_s"), hi,
					cell(fc->t, rows[0], "median_req_per_s"));
			fprintf(f, "\n\n");
			nring += ring;
			blocks++;
		}
	summary_size_name(bytes, size, sizeof(size));
	add_var(fc, "; nring=%d; size='%s'", nring, size);
	return blocks;
}

/* The cumulative share of a ring row's requests, from its histogram: for each bucket
 * with requests, its start at the share before it and its end at the share after it (the
 * open last bucket: its start at 1); NAN-free.  False if the row has no histogram. */
static bool write_hist_cdf(FILE *f, const struct facet *fc, size_t r)
{
	struct lat_bin b[PG_LAT_BUCKETS];
	size_t n = summary_lat_hist(fc->t, r, fc->latency, b, PG_LAT_BUCKETS);
	double total = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		total += b[i].count;
	if (!n || !(total > 0))
		return false;
	fprintf(f, "\"%s\"\n", csv_get(fc->t, r, "label"));
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%.1f %.6f\n", b[i].start_ns, seen / total);
		seen += b[i].count;
		fprintf(f, "%.1f %.6f\n", isnan(b[i].end_ns) ? b[i].start_ns : b[i].end_ns, seen / total);
	}
	fprintf(f, "\n\n");
	return true;
}

/* The empirical CDF of a doorbell row's transfers (each repetition one transfer, its
 * total_ns the latency) from results.csv; false if the run kept none. */
static bool write_transfer_cdf(FILE *f, const struct facet *fc, size_t r)
{
	double *v;
	size_t n = summary_rep_values(fc->t, r, fc->results, "total_ns", &v);

	if (!n)
		return false;
	stats_sort(v, n);
	fprintf(f, "\"%s transfers\"\n", csv_get(fc->t, r, "label"));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.1f %.6f\n", v[i], (double)(i + 1) / (double)n);
	fprintf(f, "\n\n");
	free(v);
	return true;
}

/* Latency CDFs at the facet's smallest ring size: per ring row its histogram's (blocks
 * "ns share"), then per doorbell row its transfers'.  extra: nhist (the histogram blocks,
 * first), size. */
static int write_latency_cdf(FILE *f, const struct facet *fc)
{
	const char *bytes = ring_size(fc, false);
	int nhist = 0, blocks = 0;
	char size[32];

	assert(!fc->skip); /* one facet: summary_find below looks rows up in it */
	if (!bytes)
		return 0;
	fprintf(f, "# latency_ns cumulative_share\n");
	for (int ring = 1; ring >= 0; ring--)
		for (size_t l = 0; l < fc->n; l++) {
			long r = summary_find(fc->t, fc->row, fc->labels[l], bytes);

			if (r < 0 || is_ring(fc->t, (size_t)r) != ring)
				continue;
			if (ring ? write_hist_cdf(f, fc, (size_t)r) : write_transfer_cdf(f, fc, (size_t)r)) {
				nhist += ring;
				blocks++;
			}
		}
	summary_size_name(bytes, size, sizeof(size));
	add_var(fc, "; nhist=%d; size='%s'", nhist, size);
	return blocks;
}

/* Row r of the facet is a ring row at `bytes` with all six stages measured (a stacked
 * bar without one would be a wrong total). */
static bool ring_bar_measured(const struct facet *fc, long r)
{
	char col[40];

	if (r < 0 || !is_ring(fc->t, (size_t)r))
		return false;
	for (int s = 0; s < RING_STAGES; s++) {
		snprintf(col, sizeof(col), "median_ring_%s_ns", ring_stage_names[s]);
		if (isnan(csv_num(fc->t, (size_t)r, col)))
			return false;
	}
	return true;
}

/* One block at a size: a header line, then per ring row with every stage measured its
 * label and the six stages, us per request; how many bars (0: nothing written). */
static int write_ring_block(FILE *f, const struct facet *fc, const char *bytes)
{
	int bars = 0;
	char col[40];

	for (size_t l = 0; l < fc->n; l++)
		bars += ring_bar_measured(fc, summary_find(fc->t, fc->row, fc->labels[l], bytes));
	if (!bars)
		return 0;
	fprintf(f, "bar");
	for (int s = 0; s < RING_STAGES; s++)
		fprintf(f, " %s", ring_stage_names[s]);
	fprintf(f, "\n");
	for (size_t l = 0; l < fc->n; l++) {
		long r = summary_find(fc->t, fc->row, fc->labels[l], bytes);

		if (!ring_bar_measured(fc, r))
			continue;
		fprintf(f, "\"%s\"", fc->labels[l]);
		for (int s = 0; s < RING_STAGES; s++) {
			snprintf(col, sizeof(col), "median_ring_%s_ns", ring_stage_names[s]);
			fprintf(f, " %.4f", csv_num(fc->t, (size_t)r, col) / 1e3);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n\n");
	return bars;
}

/* Stacked ring stages: a block at the facet's smallest ring size and one at its largest
 * (write_ring_block; a size without bars has none).  extra: nsizes and size1, size2 (the
 * blocks' sizes). */
static int write_ring_stages(FILE *f, const struct facet *fc)
{
	const char *sizes[2] = { ring_size(fc, false), ring_size(fc, true) };
	int bars = 0, nsizes = 0;
	char name[32];

	assert(!fc->skip); /* one facet: write_ring_block looks rows up in it */
	for (int s = 0; sizes[0] && s < (strcmp(sizes[0], sizes[1]) ? 2 : 1); s++) {
		int here = write_ring_block(f, fc, sizes[s]);

		if (!here)
			continue;
		bars += here;
		summary_size_name(sizes[s], name, sizeof(name));
		add_var(fc, "; size%d='%s'", ++nsizes, name);
	}
	add_var(fc, "%s; nsizes=%d", nsizes < 2 ? "; size2=''" : "", nsizes);
	return bars;
}

/* The I/O thread's cost per ring label, by size: "bytes req/s busy% cpu% cycles_cpu
 * cycles_busy", where cycles per request = share x TSC ticks per second / requests per
 * second (TSC kHz from meta.json; NaN without it). */
static int write_cpu(FILE *f, const struct facet *fc)
{
	const struct csv *t = fc->t;
	int blocks = 0;

	fprintf(f, "# bytes median_req_per_s median_io_busy_pct median_io_cpu_pct tsc_cycles_per_req_cpu "
		   "tsc_cycles_per_req_busy\n");
	for (size_t l = 0; l < fc->n; l++) {
		bool ring = false;

		for (size_t r = 0; r < t->nrows; r++) {
			double ticks_per_req = fc->tsc_khz * 1e3 / csv_num(t, r, "median_req_per_s");

			if (!in_facet(fc, r) || strcmp(csv_get(t, r, "label"), fc->labels[l]) || !is_ring(t, r))
				continue;
			if (!ring)
				fprintf(f, "\"%s\"\n", fc->labels[l]);
			ring = true;
			fprintf(f, "%s %s %s %s", csv_get(t, r, "bytes"), cell(t, r, "median_req_per_s"),
				cell(t, r, "median_io_busy_pct"), cell(t, r, "median_io_cpu_pct"));
			put_num(f, csv_num(t, r, "median_io_cpu_pct") / 100 * ticks_per_req);
			put_num(f, csv_num(t, r, "median_io_busy_pct") / 100 * ticks_per_req);
			fprintf(f, "\n");
		}
		if (ring)
			fprintf(f, "\n\n");
		blocks += ring;
	}
	return blocks;
}

/* Pass on gnuplot's messages except its note about a series with nothing to plot (a
 * thesis overlay or a transport absent from this facet). */
static void show_log(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f))
		if (!strstr(line, "no valid points"))
			fputs(line, stderr);
	if (f)
		fclose(f);
	remove(log);
}

/* gnuplot plots/<script>.gp with data/ref/out set, once per terminal. */
int plot_render(const char *script, const char *data, const char *extra, const char *out)
{
	static const char *const terms[] = { "png", "svg", "pdf" };
	char gp[600], common[600], ref[600], cmd[4400], log[1100];

	pagegate_path("../plots/common.gp", common, sizeof(common));
	snprintf(gp, sizeof(gp), "%.*s/%s.gp", (int)(strlen(common) - strlen("/common.gp")), common, script);
	pagegate_path("../datasets/reference/table-7.1.csv", ref, sizeof(ref));
	for (size_t i = 0; i < 3; i++) {
		int st;

		snprintf(log, sizeof(log), "%s.log", out);
		snprintf(cmd, sizeof(cmd),
			 "gnuplot -e \"term='%s'; out='%s.%s'; data='%s'; ref='%s'; %s\" '%s' '%s' 2> '%s'", terms[i],
			 out, terms[i], data, ref, extra ? extra : "", common, gp, log);
		st = system(cmd);
		show_log(log);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "pagegate plot: gnuplot failed for %s.%s\n", out, terms[i]);
			return 1;
		}
	}
	printf("  %s.{png,svg,pdf}\n", out);
	return 0;
}

typedef int (*figure_writer)(FILE *f, const struct facet *fc);

/* Write <name>-<facet>.dat with `write` and render it with each script in `scripts`
 * (NULL-terminated), its title the facet's (in fc->extra) and the writer's assignments
 * after it; if the data file came out empty, nothing is drawn, and where `why_not` is
 * given a line says so. */
static int figure(const char *figdir, const char *name, const char *facet, const char *const *scripts,
		  figure_writer write, const struct facet *fc, const char *why_not)
{
	char path[1024], out[1024];
	FILE *f = open_data(figdir, name, facet, path, sizeof(path));
	size_t title_len = strlen(fc->extra);
	int items, rc = 0;

	if (!f)
		return 1;
	items = write(f, fc);
	fclose(f);
	if (!items && why_not)
		printf("  %s/%s-%s: not drawn: %s\n", figdir, name, facet, why_not);
	for (; items && *scripts; scripts++) {
		snprintf(out, sizeof(out), "%s/%s-%s", figdir, *scripts, facet);
		rc |= plot_render(*scripts, path, fc->extra, out);
	}
	fc->extra[title_len] = 0; /* the writer's assignments were for this figure only */
	return rc;
}

/* The facet of row `row` (all facet columns but `skip`) and its labels; no run files. */
static void facet_init(struct facet *fc, const struct csv *t, size_t row, const char *skip)
{
	*fc = (struct facet){ .t = t, .tsc_khz = NAN, .row = row, .skip = skip };
	labels_of(fc);
}

/* What plot reads of a run. */
struct run_files {
	struct csv *t, *results, *latency; /* summary.csv, and if kept results.csv, latency.csv */
	double tsc_khz;
	bool meaningful; /* false: an emulated CPU, every title says so */
};

/* Row r's facet with the run's files, its title (with the queue depth unless `skip` is
 * "qd") as the first gnuplot assignment in extra. */
static void plot_facet_init(struct facet *fc, const struct run_files *run, size_t r, const char *skip, char *extra,
			    size_t cap)
{
	const struct csv *t = run->t;
	char qd[32] = "";

	facet_init(fc, t, r, skip);
	fc->results = run->results;
	fc->latency = run->latency;
	fc->tsc_khz = run->tsc_khz;
	fc->extra = extra;
	fc->extra_cap = cap;
	if (!skip || strcmp(skip, "qd"))
		snprintf(qd, sizeof(qd), ", qd %s", csv_get(t, r, "qd")[0] ? csv_get(t, r, "qd") : "1");
	snprintf(extra, cap, "title='%s, %s buffer, %s pages, %s frames%s%s%s%s'", csv_get(t, r, "direction"),
		 csv_get(t, r, "fault"), csv_get(t, r, "page_size"), csv_get(t, r, "frames"), qd,
		 !strcmp(csv_get(t, r, "complete"), "interrupt") ? ", interrupt completion" : "",
		 !strcmp(csv_get(t, r, "window"), "device")
			 ? (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov, via device)" : " (copy, via device)")
			 : (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov)" : ""),
		 run->meaningful ? "" : " - EMULATED CPU: timings not meaningful");
}

static int plot_facet(const struct run_files *run, size_t r, const char *figdir)
{
	static const char *const throughput[] = { "throughput", "bound", NULL }, *const stages[] = { "stages", NULL },
				 *const faults[] = { "faults", NULL }, *const requests[] = { "requests", NULL },
				 *const ring_stages[] = { "ring-stages", NULL }, *const cpu[] = { "cpu", NULL },
				 *const cdf[] = { "latency-cdf", NULL };
	const struct csv *t = run->t;
	struct facet fc;
	char facet[128], extra[600];
	int rc;

	plot_facet_init(&fc, run, r, NULL, extra, sizeof(extra));
	summary_facet_name(t, r, facet, sizeof(facet));
	rc = figure(figdir, "throughput", facet, throughput, write_throughput, &fc, NULL);
	rc |= figure(figdir, "stages", facet, stages, write_stages, &fc, NULL);
	if (!strcmp(csv_get(t, r, "fault"), "cold"))
		rc |= figure(figdir, "faults", facet, faults, write_faults, &fc, NULL);
	if (!summary_facet_has_ring(t, r))
		return rc;
	rc |= figure(figdir, "requests", facet, requests, write_requests, &fc, NULL);
	rc |= figure(figdir, "ring-stages", facet, ring_stages, write_ring_stages, &fc,
		     "no ring row has all six stages measured (queue, complete and notice need related clocks)");
	rc |= figure(figdir, "cpu", facet, cpu, write_cpu, &fc, NULL);
	if (csv_num(t, r, "qd") == 1)
		rc |= figure(figdir, "latency-cdf", facet, cdf, write_latency_cdf, &fc,
			     "no latency histogram (latency.csv) and no doorbell repetition (results.csv) kept");
	return rc;
}

/* The queue-depth figure of the facets that differ only in their depth, named after them
 * without it: qd-<facet>; nothing without ring rows. */
static int plot_qd(const struct run_files *run, size_t r, const char *figdir)
{
	static const char *const qd[] = { "qd", NULL };
	struct facet fc;
	char facet[128], extra[600], tag[32], *cut;
	size_t len;

	plot_facet_init(&fc, run, r, "qd", extra, sizeof(extra));
	if (!ring_size(&fc, false))
		return 0;
	summary_facet_name(run->t, r, facet, sizeof(facet));
	len = (size_t)snprintf(tag, sizeof(tag), "-qd%s", csv_get(run->t, r, "qd"));
	cut = strstr(facet, tag);
	if (cut && (cut[len] == '-' || !cut[len]))
		memmove(cut, cut + len, strlen(cut + len) + 1);
	return figure(figdir, "qd", facet, qd, write_qd, &fc, NULL);
}

/* No row before r has r's facet (all facet columns but `skip`). */
static bool first_of_facet(const struct csv *t, size_t r, const char *skip)
{
	for (size_t q = 0; q < r; q++)
		if (summary_same_facet(t, q, t, r, skip))
			return false;
	return true;
}

int plot_main(const char *dir)
{
	struct run_files run = { .t = summary_read(dir, "summary.csv", false) };
	char figdir[512];
	int rc = 0;

	if (!run.t)
		return 2;
	if (system("gnuplot --version > /dev/null 2>&1")) {
		fprintf(stderr, "pagegate plot: gnuplot is not installed (apt-get install gnuplot-nox)\n");
		csv_free(run.t);
		return 2;
	}
	run.results = summary_read(dir, "results.csv", true);
	run.latency = summary_read(dir, "latency.csv", true);
	run.tsc_khz = dataset_meta_number(dir, "tsc_khz");
	run.meaningful = dataset_timings_meaningful(dir);
	snprintf(figdir, sizeof(figdir), "%s/figures", dir);
	mkdir(figdir, 0755);
	printf("figures in %s:\n", figdir);
	for (size_t r = 0; r < run.t->nrows; r++) {
		if (first_of_facet(run.t, r, NULL))
			rc |= plot_facet(&run, r, figdir);
		if (first_of_facet(run.t, r, "qd"))
			rc |= plot_qd(&run, r, figdir);
	}
	csv_free(run.t);
	csv_free(run.results);
	csv_free(run.latency);
	return rc;
}

/* Both runs' throughput blocks of one facet in one file: A's labels, then B's. */
static int compare_figure(const struct csv *ta, const struct csv *tb, size_t rb, const char *figdir,
			  const char *a_name, const char *b_name)
{
	struct facet fb, fa;
	char facet[128], path[1024], out[1024], extra[1024];
	FILE *f;

	facet_init(&fb, tb, rb, NULL);
	fa = fb; /* B's labels, A's rows */
	fa.t = ta;
	for (fa.row = 0; fa.row < ta->nrows && !summary_same_facet(ta, fa.row, tb, rb, NULL); fa.row++)
		;
	if (fa.row == ta->nrows)
		return 0;
	summary_facet_name(tb, rb, facet, sizeof(facet));
	f = open_data(figdir, "compare", facet, path, sizeof(path));
	if (!f)
		return 1;
	write_throughput(f, &fa);
	write_throughput(f, &fb);
	fclose(f);
	snprintf(out, sizeof(out), "%s/compare-%s", figdir, facet);
	snprintf(extra, sizeof(extra), "nseries=%zu; name_a='%s'; name_b='%s'; title='%s'", fb.n, a_name, b_name, facet);
	return plot_render("compare", path, extra, out);
}

/* What compare reads of one run: its summary and, if kept, its repetitions. */
struct run {
	const char *dir;
	struct csv *summary, *results;
};

static bool open_run(struct run *r, const char *dir)
{
	r->dir = dir;
	r->summary = summary_read(dir, "summary.csv", false);
	r->results = r->summary ? summary_read(dir, "results.csv", true) : NULL;
	return r->summary != NULL;
}

static void close_run(struct run *r)
{
	csv_free(r->summary);
	csv_free(r->results);
}

/* One line of the comparison: B/A of row ra of A and rb of B, with its interval where
 * both runs kept their repetitions; whether it is flagged. */
static bool compare_row(const struct run *a, size_t ra, const struct run *b, size_t rb, double threshold)
{
	struct ratio_ci ci;
	bool has_ci = summary_ratio_ci(b->summary, rb, b->results, a->summary, ra, a->results, &ci), flagged;
	char facet[128], interval[48] = "-";

	if (has_ci) {
		flagged = ci.lo > 1 + threshold || ci.hi < 1 - threshold;
		snprintf(interval, sizeof(interval), "%.3f-%.3f", ci.lo, ci.hi);
	} else { /* no repetitions: p5-p95 ranges apart */
		flagged = csv_num(b->summary, rb, "p5_mbps") > csv_num(a->summary, ra, "p95_mbps") ||
			  csv_num(a->summary, ra, "p5_mbps") > csv_num(b->summary, rb, "p95_mbps");
	}
	summary_facet_name(a->summary, ra, facet, sizeof(facet));
	printf("%-44s %-16s %12s %10.1f %10.1f %7.3f %13s%s\n", facet, csv_get(a->summary, ra, "label"),
	       csv_get(a->summary, ra, "bytes"), csv_num(a->summary, ra, "median_mbps"),
	       csv_num(b->summary, rb, "median_mbps"), ci.ratio, interval, flagged ? " *" : "");
	return flagged;
}

static int compare_usage(const char *what)
{
	fprintf(stderr, "pagegate compare: %s (usage: pagegate compare [--threshold PCT] A B)\n", what);
	return 2;
}

/* --threshold PCT (percent, 0 <= PCT < 100), then the two run folders. */
static int parse_compare(int argc, char **argv, double *threshold, const char **dirs)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--threshold")) {
			if (n == 2)
				return compare_usage("more than two runs");
			dirs[n++] = argv[i];
			continue;
		}
		if (++i == argc)
			return compare_usage("--threshold needs a value");
		*threshold = strtod(argv[i], &end) / 100;
		if (*end || end == argv[i] || *threshold < 0 || *threshold >= 1)
			return compare_usage("bad --threshold");
	}
	return n == 2 ? 0 : compare_usage("two runs needed");
}

/* Overlay figures into B/figures where gnuplot is installed; 0, or 1 if one failed. */
static int compare_figures(const struct run *a, const struct run *b)
{
	char figdir[512];
	int rc = 0;

	snprintf(figdir, sizeof(figdir), "%s/figures", b->dir);
	mkdir(figdir, 0755);
	if (system("gnuplot --version > /dev/null 2>&1"))
		return 0;
	for (size_t r = 0; r < b->summary->nrows; r++)
		if (first_of_facet(b->summary, r, NULL))
			rc |= compare_figure(a->summary, b->summary, r, figdir, a->dir, b->dir);
	return rc;
}

int compare_main(int argc, char **argv)
{
	double threshold = COMPARE_DEFAULT_THRESHOLD;
	const char *dirs[2];
	struct run a = { 0 }, b = { 0 };
	int flagged = 0, matched = 0, rc = parse_compare(argc, argv, &threshold, dirs);

	if (rc)
		return rc;
	if (!open_run(&a, dirs[0]) || !open_run(&b, dirs[1])) {
		close_run(&a);
		return 2;
	}
	printf("median MB/s of B over A (A = %s, B = %s)\n", a.dir, b.dir);
	printf("* = changed: the %.0f %% bootstrap interval of B/A (%d resamples, seed %d) lies outside 1 +- %g %%;\n"
	       "    where a run kept no repetitions (no results.csv): the p5-p95 ranges do not overlap\n",
	       BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, threshold * 100);
	printf("%-44s %-16s %12s %10s %10s %7s %13s\n", "facet", "label", "bytes", "A", "B", "B/A", "interval");
	for (size_t r = 0; r < a.summary->nrows; r++) {
		long q = summary_match(a.summary, r, b.summary);

		if (q < 0)
			continue;
		matched++;
		flagged += compare_row(&a, r, &b, (size_t)q, threshold);
	}
	printf("%d configurations in both runs, %d flagged\n", matched, flagged);
	rc = matched ? compare_figures(&a, &b) : 0;
	close_run(&a);
	close_run(&b);
	return rc ? 2 : flagged ? 1 : 0;
}
