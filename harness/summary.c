/*
 * Reading datasets back (see summary.h).  A summary row and its results rows share the
 * config_id of the run that wrote both; results.csv may be absent (the test fixtures keep
 * only summaries), and then no interval is computed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "summary.h"

struct csv *summary_read(const char *dir, const char *name, bool quiet)
{
	char path[600], err[700];
	struct csv *t;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	t = csv_read(path, err, sizeof(err));
	if (!t && !quiet)
		fprintf(stderr, "pagegate: %s\n", err);
	return t;
}

bool summary_same_facet(const struct csv *a, size_t ra, const struct csv *b, size_t rb, const char *skip)
{
	for (size_t f = 0; f < DATASET_NFACETS; f++)
		if ((!skip || strcmp(dataset_facet_cols[f], skip)) &&
		    strcmp(csv_get(a, ra, dataset_facet_cols[f]), csv_get(b, rb, dataset_facet_cols[f])))
			return false;
	return true;
}

long summary_match(const struct csv *a, size_t ra, const struct csv *b)
{
	for (size_t r = 0; r < b->nrows; r++)
		if (summary_same_facet(a, ra, b, r, NULL) && !strcmp(csv_get(a, ra, "label"), csv_get(b, r, "label")) &&
		    !strcmp(csv_get(a, ra, "bytes"), csv_get(b, r, "bytes")))
			return (long)r;
	return -1;
}

void summary_facet_name(const struct csv *t, size_t r, char *out, size_t cap)
{
	bool deep = csv_get(t, r, "qd")[0] && strcmp(csv_get(t, r, "qd"), "1"); /* schema < 4: no qd */
	bool irq = !strcmp(csv_get(t, r, "complete"), "interrupt");             /* schema < 5: poll */

	snprintf(out, cap, "%s-%s-%s-%s%s%s%s%s%s%s%s%s", csv_get(t, r, "direction"), csv_get(t, r, "fault"),
		 csv_get(t, r, "page_size"), csv_get(t, r, "frames"), strcmp(csv_get(t, r, "offset"), "0") ? "-off" : "",
		 strcmp(csv_get(t, r, "offset"), "0") ? csv_get(t, r, "offset") : "",
		 strcmp(csv_get(t, r, "timing"), "on") ? "-untimed" : "",
		 !strcmp(csv_get(t, r, "delivery"), "iov") ? "-iov" : "",
		 !strcmp(csv_get(t, r, "window"), "device") ? "-device" : "", deep ? "-qd" : "", deep ? csv_get(t, r, "qd") : "",
		 irq ? "-irq" : "");
}

bool summary_facet_has_ring(const struct csv *t, size_t facet_row)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (summary_same_facet(t, r, t, facet_row, NULL) && !strcmp(csv_get(t, r, "transport"), "ring"))
			return true;
	return false;
}

long summary_find(const struct csv *t, size_t facet_row, const char *label, const char *bytes)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (summary_same_facet(t, r, t, facet_row, NULL) && !strcmp(csv_get(t, r, "label"), label) &&
		    !strcmp(csv_get(t, r, "bytes"), bytes))
			return (long)r;
	return -1;
}

size_t summary_rep_values(const struct csv *summary, size_t r, const struct csv *results, const char *col,
			  double **out)
{
	const char *id = csv_get(summary, r, "config_id");
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; results && i < results->nrows; i++) {
		if (strcmp(csv_get(results, i, "config_id"), id) || strcmp(csv_get(results, i, "status"), "0"))
			continue;
		*out = realloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = csv_num(results, i, col);
	}
	return n;
}

size_t summary_reps(const struct csv *summary, size_t r, const struct csv *results, double **out)
{
	return summary_rep_values(summary, r, results, "mbps", out);
}

bool summary_ratio_ci(const struct csv *sn, size_t rn, const struct csv *res_n, const struct csv *sd, size_t rd,
		      const struct csv *res_d, struct ratio_ci *ci)
{
	double *num, *den;
	size_t nn = summary_reps(sn, rn, res_n, &num), nd = summary_reps(sd, rd, res_d, &den);
	bool enough = nn >= SUMMARY_MIN_REPS_FOR_CI && nd >= SUMMARY_MIN_REPS_FOR_CI;

	if (enough)
		*ci = stats_median_ratio_ci(num, nn, den, nd, BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL, BOOTSTRAP_SEED);
	else
		ci->ratio = csv_num(sn, rn, "median_mbps") / csv_num(sd, rd, "median_mbps");
	free(num);
	free(den);
	return enough;
}

size_t summary_lat_hist(const struct csv *summary, size_t r, const struct csv *lat, struct lat_bin *out, size_t cap)
{
	const char *id = csv_get(summary, r, "config_id");
	size_t n = 0;

	for (size_t i = 0; lat && i < lat->nrows && n < cap; i++)
		if (!strcmp(csv_get(lat, i, "config_id"), id))
			out[n++] = (struct lat_bin){ csv_num(lat, i, "start_ns"), csv_num(lat, i, "end_ns"),
						     csv_num(lat, i, "count") };
	return n;
}

double summary_lat_percentile(const struct lat_bin *b, size_t n, double pct)
{
	double total = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		total += b[i].count;
	for (size_t i = 0; i < n; i++) {
		seen += b[i].count;
		if (seen >= total * pct / 100)
			return b[i].end_ns;
	}
	return NAN;
}

void summary_size_name(const char *bytes, char *out, size_t cap)
{
	pagegate_size_name(strtod(bytes, NULL), out, cap);
}
