/*
 * Figures and comparisons (see plot.h).  For each facet of a run (direction, fault, page
 * size, frames, offset, timing, delivery, window) the data files are:
 *   throughput-<facet>.dat  blocks per row label: bytes, median, p5, p95 MB/s, % of bound
 *   stages-<facet>.dat      one bar per row label and size of 1-4 MiB: stage medians, ms
 *   faults-<dir>-...dat     blocks per row label: bytes, us per absent page (cold - warm)
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
#include "table.h"

#define MAX_ITEMS 64

static const char *const stage_cols[] = { "median_exit_ns", "median_translate_ns", "median_fault_ns",
					  "median_copy_ns", "median_handler_ns", "median_entry_ns",
					  "median_guest_ns" };
#define NSTAGES (sizeof(stage_cols) / sizeof(stage_cols[0]))

/* Rows match on every facet column except `skip` (NULL: none). */
static bool same_facet(const struct csv *a, size_t ra, const struct csv *b, size_t rb, const char *skip)
{
	for (size_t f = 0; f < DATASET_NFACETS; f++)
		if ((!skip || strcmp(dataset_facet_cols[f], skip)) && strcmp(csv_get(a, ra, dataset_facet_cols[f]), csv_get(b, rb, dataset_facet_cols[f])))
			return false;
	return true;
}

static void facet_name(const struct csv *t, size_t r, char *out, size_t cap)
{
	snprintf(out, cap, "%s-%s-%s-%s%s%s%s%s%s", csv_get(t, r, "direction"), csv_get(t, r, "fault"),
		 csv_get(t, r, "page_size"), csv_get(t, r, "frames"), strcmp(csv_get(t, r, "offset"), "0") ? "-off" : "",
		 strcmp(csv_get(t, r, "offset"), "0") ? csv_get(t, r, "offset") : "",
		 strcmp(csv_get(t, r, "timing"), "on") ? "-untimed" : "",
		 !strcmp(csv_get(t, r, "delivery"), "iov") ? "-iov" : "",
		 !strcmp(csv_get(t, r, "window"), "device") ? "-device" : "");
}

static size_t labels_of(const struct csv *t, size_t facet_row, const char **out)
{
	size_t n = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		bool seen = false;

		if (!same_facet(t, r, t, facet_row, NULL))
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

/* One block per label: bytes, median, p5, p95, % of bound (sizes ascending as written);
 * returns the number of blocks. */
static int write_throughput(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n)
{
	fprintf(f, "# bytes median_mbps p5_mbps p95_mbps pct_of_bound\n");
	for (size_t l = 0; l < n; l++) {
		fprintf(f, "\"%s\"\n", labels[l]);
		for (size_t r = 0; r < t->nrows; r++)
			if (same_facet(t, r, t, facet_row, NULL) && !strcmp(csv_get(t, r, "label"), labels[l]))
				fprintf(f, "%s %s %s %s %s\n", csv_get(t, r, "bytes"), csv_get(t, r, "median_mbps"),
					csv_get(t, r, "p5_mbps"), csv_get(t, r, "p95_mbps"),
					csv_get(t, r, "median_pct_of_bound"));
		fprintf(f, "\n\n");
	}
	return (int)n;
}

/* One bar per label and size of 1-4 MiB; returns the number of bars. */
static int write_stages(FILE *f, const struct csv *t, size_t facet_row, const char **labels, size_t n)
{
	int bars = 0;

	fprintf(f, "bar exit translate fault copy handler entry guest\n");
	for (size_t l = 0; l < n; l++)
		for (int mib = 1; mib <= 4; mib++)
			for (size_t r = 0; r < t->nrows; r++) {
				if (!same_facet(t, r, t, facet_row, NULL) || strcmp(csv_get(t, r, "label"), labels[l]) ||
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
			if (!same_facet(t, c, t, cold_row, NULL) || strcmp(csv_get(t, c, "label"), labels[l]))
				continue;
			for (size_t w = 0; w < t->nrows; w++)
				if (!strcmp(csv_get(t, w, "fault"), "warm") && same_facet(t, w, t, c, "fault") &&
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
				 *const faults[] = { "faults", NULL };
	const char *labels[MAX_ITEMS];
	size_t n = labels_of(t, r, labels);
	char facet[128], title[300];
	int rc;

	facet_name(t, r, facet, sizeof(facet));
	snprintf(title, sizeof(title), "title='%s, %s buffer, %s pages, %s frames%s%s'", csv_get(t, r, "direction"),
		 csv_get(t, r, "fault"), csv_get(t, r, "page_size"), csv_get(t, r, "frames"),
		 !strcmp(csv_get(t, r, "window"), "device")
			 ? (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov, via device)" : " (copy, via device)")
			 : (!strcmp(csv_get(t, r, "delivery"), "iov") ? " (iov)" : ""),
		 meaningful ? "" : " - EMULATED CPU: timings not meaningful");
	rc = figure(figdir, "throughput", facet, throughput, write_throughput, t, r, labels, n, title);
	rc |= figure(figdir, "stages", facet, stages, write_stages, t, r, labels, n, title);
	if (!strcmp(csv_get(t, r, "fault"), "cold"))
		rc |= figure(figdir, "faults", facet, faults, write_faults, t, r, labels, n, title);
	return rc;
}

static struct csv *read_summary(const char *dir)
{
	char path[600], err[700];
	struct csv *t;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	t = csv_read(path, err, sizeof(err));
	if (!t)
		fprintf(stderr, "pagegate: %s\n", err);
	return t;
}

static bool first_of_facet(const struct csv *t, size_t r)
{
	for (size_t q = 0; q < r; q++)
		if (same_facet(t, q, t, r, NULL))
			return false;
	return true;
}

int plot_main(const char *dir)
{
	struct csv *t = read_summary(dir);
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

static long match(const struct csv *a, size_t ra, const struct csv *b)
{
	for (size_t r = 0; r < b->nrows; r++)
		if (same_facet(a, ra, b, r, NULL) && !strcmp(csv_get(a, ra, "label"), csv_get(b, r, "label")) &&
		    !strcmp(csv_get(a, ra, "bytes"), csv_get(b, r, "bytes")))
			return (long)r;
	return -1;
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
		if (same_facet(ta, r, tb, rb, NULL))
			ra = (long)r;
	if (ra < 0)
		return 0;
	facet_name(tb, rb, facet, sizeof(facet));
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

int compare_main(const char *a, const char *b)
{
	struct csv *ta = read_summary(a), *tb = ta ? read_summary(b) : NULL;
	char figdir[512], facet[128];
	int flagged = 0, matched = 0, rc = 0;

	if (!ta || !tb) {
		csv_free(ta);
		return 2;
	}
	printf("median MB/s of B over A (A = %s, B = %s); * = p5-p95 ranges do not overlap\n", a, b);
	printf("%-44s %-16s %12s %10s %10s %8s\n", "facet", "label", "bytes", "A", "B", "B/A");
	for (size_t r = 0; r < ta->nrows; r++) {
		long q = match(ta, r, tb);
		bool apart;

		if (q < 0)
			continue;
		matched++;
		apart = csv_num(tb, (size_t)q, "p5_mbps") > csv_num(ta, r, "p95_mbps") ||
			csv_num(ta, r, "p5_mbps") > csv_num(tb, (size_t)q, "p95_mbps");
		flagged += apart;
		facet_name(ta, r, facet, sizeof(facet));
		printf("%-44s %-16s %12s %10.1f %10.1f %7.3f%s\n", facet, csv_get(ta, r, "label"), csv_get(ta, r, "bytes"),
		       csv_num(ta, r, "median_mbps"), csv_num(tb, (size_t)q, "median_mbps"),
		       csv_num(tb, (size_t)q, "median_mbps") / csv_num(ta, r, "median_mbps"), apart ? " *" : "");
	}
	printf("%d configurations in both runs, %d flagged\n", matched, flagged);
	snprintf(figdir, sizeof(figdir), "%s/figures", b);
	mkdir(figdir, 0755);
	if (matched && !system("gnuplot --version > /dev/null 2>&1"))
		for (size_t r = 0; r < tb->nrows; r++)
			if (first_of_facet(tb, r))
				rc |= compare_figure(ta, tb, r, figdir, a, b);
	csv_free(ta);
	csv_free(tb);
	return rc ? 2 : flagged ? 1 : 0;
}
