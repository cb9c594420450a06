/*
 * Figures and comparisons (see plot.h).  For each facet of a run (direction, fault, page
 * size, frames, offset, timing, delivery, window) the data files are:
 *   throughput-<facet>.dat  blocks per row label: bytes, median, p5, p95 MB/s, % of bound
 *   stages-<facet>.dat      one bar per row label and size of 1-4 MiB: stage medians, ms
 *   faults-<dir>-...dat     blocks per row label: bytes, us per absent page (cold - warm)
 *   requests-<facet>.dat    (facets with ring rows) blocks per row label: bytes, median
 *                           requests/s, latency p50 and p99 ns (NaN for doorbells)
 * and gnuplot renders each with plots/<name>.gp for the png, svg and pdf terminals.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "csv.h"
#include "dataset.h"
#include "plot.h"
#include "summary.h"

#define MAX_ITEMS 64

static const char *const stage_cols[] = { "median_exit_ns", "median_translate_ns", "median_fault_ns",
					  "median_copy_ns", "median_handler_ns", "median_entry_ns",
					  "median_guest_ns" };
#define NSTAGES (sizeof(stage_cols) / sizeof(stage_cols[0]))

static size_t labels_of(const struct csv *t, size_t facet_row, const char **out)
{
	size_t n = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		bool seen = false;

		if (!summary_same_facet(t, r, t, facet_row, NULL))
			continue;
		for (size_t i = 0; i < n; i++)
			seen |= !strcmp(out[i], csv_get(t, r, "label"));
		if (!seen && n < MAX_ITEMS)
			out[n++] = csv_get(t, r, "label");
	}
	return n;
}

static FILE *open_data(const char *figdir, const char *name, const char *facet, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s-%s.dat", figdir, name, facet);
	return fopen(path, "w");
}

/* One block per label: bytes, then the summary's `cols` (NULL-terminated; NaN where a
 * cell is empty: not measured), sizes ascending as written; returns the number of blocks. */
static int write_blocks(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n,
			const char *const *cols)
{
	fprintf(f, "# bytes");
	for (size_t c = 0; cols[c]; c++)
		fprintf(f, " %s", cols[c]);
	fprintf(f, "\n");
	for (size_t l = 0; l < n; l++) {
		fprintf(f, "\"%s\"\n", labels[l]);
		for (size_t r = 0; r < t->nrows; r++) {
			if (!summary_same_facet(t, r, t, facet_row, NULL) || strcmp(csv_get(t, r, "label"), labels[l]))
				continue;
			fprintf(f, "%s", csv_get(t, r, "bytes"));
			for (size_t c = 0; cols[c]; c++)
				fprintf(f, " %s", csv_get(t, r, cols[c])[0] ? csv_get(t, r, cols[c]) : "NaN");
			fprintf(f, "\n");
		}
		fprintf(f, "\n\n");
	}
	return (int)n;
}

static int write_throughput(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n)
{
	static const char *const cols[] = { "median_mbps", "p5_mbps", "p95_mbps", "median_pct_of_bound", NULL };

	return write_blocks(f, t, facet_row, labels, n, cols);
}

static int write_requests(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n)
{
	static const char *const cols[] = { "median_req_per_s", "median_lat_p50_ns", "median_lat_p99_ns", NULL };

	return write_blocks(f, t, facet_row, labels, n, cols);
}

/* One bar per label and size of 1-4 MiB; returns the number of bars. */
static int write_stages(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n)
{
	int bars = 0;

	fprintf(f, "bar exit translate fault copy handler entry guest\n");
	for (size_t l = 0; l < n; l++)
		for (int mib = 1; mib <= 4; mib++)
			for (size_t r = 0; r < t->nrows; r++) {
				if (!summary_same_facet(t, r, t, facet_row, NULL) || strcmp(csv_get(t, r, "label"), labels[l]) ||
				    csv_num(t, r, "bytes") != (double)(mib << 20))
					continue;
				fprintf(f, "\"%s %d MiB\"", labels[l], mib);
				for (size_t s = 0; s < NSTAGES; s++)
					fprintf(f, " %.4f", csv_num(t, r, stage_cols[s]) / 1e6);
				fprintf(f, "\n");
				bars++;
			}
	return bars;
}

/* Per label: for each size with both a cold and a warm row, us per absent page. */
static int write_faults(FILE *f, const struct csv *t, size_t cold_row, const char **labels, size_t n)
{
	int points = 0;

	fprintf(f, "# bytes us_per_absent_page\n");
	for (size_t l = 0; l < n; l++) {
		fprintf(f, "\"%s\"\n", labels[l]);
		for (size_t c = 0; c < t->nrows; c++) {
			if (!summary_same_facet(t, c, t, cold_row, NULL) || strcmp(csv_get(t, c, "label"), labels[l]))
				continue;
			for (size_t w = 0; w < t->nrows; w++)
				if (!strcmp(csv_get(t, w, "fault"), "warm") && summary_same_facet(t, w, t, c, "fault") &&
				    !strcmp(csv_get(t, w, "label"), labels[l]) &&
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

typedef int (*figure_writer)(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n);

/* Write <name>-<facet>.dat with `write` and render it with each script in `scripts`
 * (NULL-terminated), unless the data file came out empty. */
static int figure(const char *figdir, const char *name, const char *facet, const char *const *scripts,
		  figure_writer write, const struct csv *t, size_t r, const char **labels, size_t n, const char *title)
{
	char path[1024], out[1024];
	FILE *f = open_data(figdir, name, facet, path, sizeof(path));
	int items, rc = 0;

	if (!f)
		return 1;
	items = write(f, t, r, labels, n);
	fclose(f);
	for (; items && *scripts; scripts++) {
		snprintf(out, sizeof(out), "%s/%s-%s", figdir, *scripts, facet);
		rc |= plot_render(*scripts, path, title, out);
	}
	return rc;
}

static int plot_facet(const struct csv *t, size_t r, const char *figdir, bool meaningful)
{
	static const char *const throughput[] = { "throughput", "bound", NULL }, *const stages[] = { "stages", NULL },
				 *const faults[] = { "faults", NULL }, *const requests[] = { "requests", NULL };
	const char *labels[MAX_ITEMS];
	size_t n = labels_of(t, r, labels);
	char facet[128], title[300];
	int rc;

	summary_facet_name(t, r, facet, sizeof(facet));
	snprintf(title, sizeof(title), "title='%s, %s buffer, %s pages, %s frames, qd %s%s%s%s'",
		 csv_get(t, r, "direction"), csv_get(t, r, "fault"), csv_get(t, r, "page_size"), csv_get(t, r, "frames"),
		 csv_get(t, r, "qd")[0] ? csv_get(t, r, "qd") : "1",
		 !strcmp(csv_get(t, r, "complete"), "interrupt") ? ", interrupt completion" : "",
		 !strcmp(csv_get(t, r, "window"), "device")
			 ? (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov, via device)" : " (copy, via device)")
			 : (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov)" : ""),
		 meaningful ? "" : " - EMULATED CPU: timings not meaningful");
	rc = figure(figdir, "throughput", facet, throughput, write_throughput, t, r, labels, n, title);
	rc |= figure(figdir, "stages", facet, stages, write_stages, t, r, labels, n, title);
	if (!strcmp(csv_get(t, r, "fault"), "cold"))
		rc |= figure(figdir, "faults", facet, faults, write_faults, t, r, labels, n, title);
	if (summary_facet_has_ring(t, r))
		rc |= figure(figdir, "requests", facet, requests, write_requests, t, r, labels, n, title);
	return rc;
}

static bool first_of_facet(const struct csv *t, size_t r)
{
	for (size_t q = 0; q < r; q++)
		if (summary_same_facet(t, q, t, r, NULL))
			return false;
	return true;
}

int plot_main(const char *dir)
{
	struct csv *t = summary_read(dir, "summary.csv", false);
	char figdir[512];
	int rc = 0;

	if (!t)
		return 2;
	if (system("gnuplot --version > /dev/null 2>&1")) {
		fprintf(stderr, "pagegate plot: gnuplot is not installed (apt-get install gnuplot-nox)\n");
		csv_free(t);
		return 2;
	}
	snprintf(figdir, sizeof(figdir), "%s/figures", dir);
	mkdir(figdir, 0755);
	printf("figures in %s:\n", figdir);
	for (size_t r = 0; r < t->nrows; r++)
		if (first_of_facet(t, r))
			rc |= plot_facet(t, r, figdir, dataset_timings_meaningful(dir));
	csv_free(t);
	return rc;
}

/* Both runs' throughput blocks of one facet in one file: A's labels, then B's. */
static int compare_figure(const struct csv *ta, const struct csv *tb, size_t rb, const char *figdir,
			  const char *a_name, const char *b_name)
{
	const char *labels[MAX_ITEMS];
	size_t n = labels_of(tb, rb, labels);
	char facet[128], path[1024], out[1024], extra[1024];
	long ra = -1;
	FILE *f;

	for (size_t r = 0; r < ta->nrows && ra < 0; r++)
		if (summary_same_facet(ta, r, tb, rb, NULL))
			ra = (long)r;
	if (ra < 0)
		return 0;
	summary_facet_name(tb, rb, facet, sizeof(facet));
	f = open_data(figdir, "compare", facet, path, sizeof(path));
	if (!f)
		return 1;
	write_throughput(f, ta, (size_t)ra, labels, n);
	write_throughput(f, tb, rb, labels, n);
	fclose(f);
	snprintf(out, sizeof(out), "%s/compare-%s", figdir, facet);
	snprintf(extra, sizeof(extra), "nseries=%zu; name_a='%s'; name_b='%s'; title='%s'", n, a_name, b_name, facet);
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
		if (first_of_facet(b->summary, r))
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
