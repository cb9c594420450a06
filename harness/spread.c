/*
 * Run-to-run spread (see spread.h).  Configurations are matched across runs by facet, row
 * label and size (summary.h), starting from the first run's summary; a configuration
 * missing from any run is left out.  Invariant: a spread is reported only when every run
 * measured a positive, finite value.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "spread.h"
#include "summary.h"
#include "table.h"

#define MAX_RUNS 100

struct runs {
	struct csv *t[MAX_RUNS];
	double start_memcpy_mbps[MAX_RUNS]; /* each run's run-start memcpy of 4 MiB, MB/s */
	int n;
};

/* The largest spread seen at 1-4 MiB for one metric, and where. */
struct worst {
	double pct;
	char where[200];
};

enum { W_MBPS, W_MEMCPY, W_START_MEMCPY, W_GATHER, W_RATIO, NR_WORST };
static const char *const metric_names[NR_WORST] = { "mbps", "pct_of_memcpy", "pct_of_start_memcpy", "pct_of_gather",
						    "ratio" };

/* max/min - 1 of v[0..n), in percent; NAN if a value is not positive and finite. */
static double spread_pct(const double *v, int n, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = 0;
	for (int i = 0; i < n; i++) {
		if (!isfinite(v[i]) || v[i] <= 0)
			return NAN;
		*lo = v[i] < *lo ? v[i] : *lo;
		*hi = v[i] > *hi ? v[i] : *hi;
	}
	return (*hi / *lo - 1) * 100;
}

static bool in_table_sizes(const char *bytes)
{
	double b = strtod(bytes, NULL);

	return b >= (1 << 20) && b <= (4 << 20);
}

/* One line of the report (and of spread.csv); the worst of its metric updated. */
static void report(FILE *out, FILE *csv, int metric, const char *facet, const char *label, const char *bytes,
		   const double *v, int n, struct worst *w)
{
	double lo, hi, pct = spread_pct(v, n, &lo, &hi);

	if (isnan(pct)) {
		fprintf(out, "%-19s %-36s %-30s %10s %25s\n", metric_names[metric], facet, label, bytes, "not measured");
		return;
	}
	fprintf(out, "%-19s %-36s %-30s %10s %10.5g %10.5g %5.1f %%\n", metric_names[metric], facet, label, bytes, lo,
		hi, pct);
	if (csv)
		fprintf(csv, "%s,%s,%s,%s,%d,%.6g,%.6g,%.3f\n", metric_names[metric], facet, label, bytes, n, lo, hi, pct);
	if (in_table_sizes(bytes) && (!w[metric].where[0] || pct > w[metric].pct)) {
		w[metric].pct = pct;
		snprintf(w[metric].where, sizeof(w[metric].where), "%s, %s, %s bytes", label, facet, bytes);
	}
}

/* The rows of each run matching row r of the first run; false if one has none. */
static bool match_all(const struct runs *runs, size_t r, size_t *rows)
{
	for (int k = 0; k < runs->n; k++) {
		long q = summary_match(runs->t[0], r, runs->t[k]);

		if (q < 0)
			return false;
		rows[k] = (size_t)q;
	}
	return true;
}

/* A configuration's value in run k for metric m: its median MB/s, % of the paired
 * memcpy, % of the run-start memcpy (the unpaired baseline every schema has), or % of
 * the paired gather of its own guest pages (schema 5; NAN before). */
static double config_value(const struct runs *runs, int k, size_t row, int m)
{
	double mbps = csv_num(runs->t[k], row, "median_mbps");

	if (m == W_MEMCPY)
		return csv_num(runs->t[k], row, "median_pct_of_memcpy");
	if (m == W_GATHER)
		return csv_num(runs->t[k], row, "median_pct_of_gather");
	return m == W_START_MEMCPY ? 100 * mbps / runs->start_memcpy_mbps[k] : mbps;
}

static void report_config(FILE *out, FILE *csv, const struct runs *runs, size_t r, struct worst *w)
{
	const struct csv *t0 = runs->t[0];
	size_t rows[MAX_RUNS];
	double v[MAX_RUNS];
	char facet[128];

	if (!match_all(runs, r, rows))
		return;
	summary_facet_name(t0, r, facet, sizeof(facet));
	for (int m = W_MBPS; m <= W_GATHER; m++) {
		for (int k = 0; k < runs->n; k++)
			v[k] = config_value(runs, k, rows[k], m);
		report(out, csv, m, facet, csv_get(t0, r, "label"), csv_get(t0, r, "bytes"), v, runs->n, w);
	}
}

/* The Table 7.1 ratios whose numerator is row r of the first run. */
static void report_ratios(FILE *out, FILE *csv, const struct runs *runs, size_t r, struct worst *w)
{
	const struct csv *t0 = runs->t[0];
	size_t num[MAX_RUNS], den[MAX_RUNS];
	double v[MAX_RUNS];
	char facet[128], name[64];

	for (size_t i = 0; i < TABLE_NRATIOS; i++) {
		long d = strcmp(csv_get(t0, r, "label"), table_ratios[i][0])
				 ? -1
				 : summary_find(t0, r, table_ratios[i][1], csv_get(t0, r, "bytes"));

		if (d < 0 || !match_all(runs, r, num) || !match_all(runs, (size_t)d, den))
			continue;
		for (int k = 0; k < runs->n; k++)
			v[k] = csv_num(runs->t[k], num[k], "median_mbps") / csv_num(runs->t[k], den[k], "median_mbps");
		summary_facet_name(t0, r, facet, sizeof(facet));
		snprintf(name, sizeof(name), "%s/%s", table_ratios[i][0], table_ratios[i][1]);
		report(out, csv, W_RATIO, facet, name, csv_get(t0, r, "bytes"), v, runs->n, w);
	}
}

static void print_worst(FILE *out, const struct worst *w)
{
	static const char *const what[NR_WORST] = { "MB/s", "% of memcpy", "% of start memcpy", "% of gather",
						    "ratio columns" };

	fprintf(out, "largest run-to-run spread at 1-4 MiB:\n");
	for (int m = 0; m < NR_WORST; m++)
		if (w[m].where[0])
			fprintf(out, "  %-18s %5.1f %%  (%s)\n", what[m], w[m].pct, w[m].where);
		else
			fprintf(out, "  %-18s not measured\n", what[m]);
}

/* Each run's own baseline and guest-RAM backing (meta.json; schema 5 for the huge pages),
 * the facts a drift between runs is checked against. */
static void print_runs(FILE *out, const struct runs *runs, const char *const *dirs)
{
	for (int k = 0; k < runs->n; k++) {
		double huge = dataset_meta_number(dirs[k], "guest_ram_huge_pct");

		fprintf(out, "run %d: run-start memcpy %.1f GB/s, guest RAM in huge pages ", k + 1,
			runs->start_memcpy_mbps[k] / 1e3);
		if (isnan(huge))
			fprintf(out, "not recorded\n");
		else
			fprintf(out, "%.1f %%\n", huge);
	}
}

static FILE *open_csv(const char *out_dir)
{
	char path[700];
	FILE *f;

	if (!out_dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/spread.csv", out_dir);
	f = fopen(path, "w");
	if (f)
		fprintf(f, "metric,facet,label,bytes,runs,min,max,spread_pct\n");
	else
		fprintf(stderr, "pagegate: cannot write %s\n", path);
	return f;
}

int spread_report(const char *const *dirs, int n, const char *out_dir, FILE *out)
{
	struct runs runs = { .n = 0 };
	struct worst w[NR_WORST] = { { 0 } };
	FILE *csv;
	int rc = 0;

	for (int k = 0; k < n && k < MAX_RUNS && !rc; k++) {
		runs.t[k] = summary_read(dirs[k], "summary.csv", false);
		runs.start_memcpy_mbps[k] = 1e3 * dataset_meta_number(dirs[k], "memcpy_gb_per_s");
		rc = !runs.t[k];
		runs.n += !rc;
	}
	if (!rc) {
		csv = open_csv(out_dir);
		fprintf(out, "\nrun-to-run spread over %d runs: max/min - 1 of the runs' medians (%s .. %s)\n", runs.n,
			dirs[0], dirs[runs.n - 1]);
		print_runs(out, &runs, dirs);
		fprintf(out, "%-19s %-36s %-30s %10s %10s %10s %7s\n", "metric", "facet", "label", "bytes", "min", "max",
			"spread");
		for (size_t r = 0; r < runs.t[0]->nrows; r++)
			report_config(out, csv, &runs, r, w);
		for (size_t r = 0; r < runs.t[0]->nrows; r++)
			report_ratios(out, csv, &runs, r, w);
		print_worst(out, w);
		if (csv)
			fclose(csv);
	}
	for (int k = 0; k < runs.n; k++)
		csv_free(runs.t[k]);
	return rc;
}

int spread_main(int argc, char **argv)
{
	if (argc < 3 || argc - 1 > MAX_RUNS) {
		fprintf(stderr, "pagegate: usage: pagegate spread DIR DIR... (2 to %d runs of one sweep)\n", MAX_RUNS);
		return 2;
	}
	return spread_report((const char *const *)argv + 1, argc - 1, NULL, stdout);
}
