/*
 * Reading a dataset back (schema versions 1 to 3, datasets/README.md): its summary.csv
 * and, where the run kept it, results.csv; matching a configuration across runs (same
 * facet, row label and size); the repetitions behind a summary row; and the bootstrap
 * interval of a ratio of two configurations' median MB/s.  table, compare and the
 * run-to-run spread all read runs through this.
 */
#ifndef PG_SUMMARY_H
#define PG_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include "csv.h"
#include "stats.h"

/* A ratio gets an interval only with at least this many repetitions on each side. */
#define SUMMARY_MIN_REPS_FOR_CI 3

/* dir/name as a table; NULL (after a line on stderr unless quiet) if it cannot be read. */
struct csv *summary_read(const char *dir, const char *name, bool quiet);
/* Rows ra of a and rb of b agree on every facet column but `skip` (NULL: none). */
bool summary_same_facet(const struct csv *a, size_t ra, const struct csv *b, size_t rb, const char *skip);
/* The row of b with ra's facet, label and size, or -1. */
long summary_match(const struct csv *a, size_t ra, const struct csv *b);
/* Some row of facet_row's facet is the ring's (its table section and figure apply). */
bool summary_facet_has_ring(const struct csv *t, size_t facet_row);
/* The row of t with facet_row's facet, this label and size, or -1. */
long summary_find(const struct csv *t, size_t facet_row, const char *label, const char *bytes);
/* A size cell (bytes) for people: "64 B", "4 KiB", "3 MiB". */
void summary_size_name(const char *bytes, char *out, size_t cap);
/* A facet as a file-name part, e.g. "send-warm-4k-scattered-iov-device-qd32-irq". */
void summary_facet_name(const struct csv *t, size_t r, char *out, size_t cap);
/* The MB/s of every status-0 repetition of summary row r's configuration, from results
 * (NULL: none) into a new array *out; how many (0: *out is NULL). */
size_t summary_reps(const struct csv *summary, size_t r, const struct csv *results, double **out);
/* The same for any column `col` of results.csv (NAN where empty). */
size_t summary_rep_values(const struct csv *summary, size_t r, const struct csv *results, const char *col,
			  double **out);
/* One bucket of a configuration's latency histogram (latency.csv): requests whose
 * latency fell in [start_ns, end_ns); end_ns is NAN for the last, open, bucket. */
struct lat_bin {
	double start_ns, end_ns, count;
};
/* Summary row r's histogram from lat (its run's latency.csv; NULL: none), buckets in
 * order, into out (room for cap); how many (0: not measured). */
size_t summary_lat_hist(const struct csv *summary, size_t r, const struct csv *lat, struct lat_bin *out, size_t cap);
/* The latency under which pct % of the histogram's requests fell, as the end of the
 * bucket where the share reaches pct (an upper bound, at most 25 % above); NAN when
 * there are no buckets or the share is reached in the open last one. */
double summary_lat_percentile(const struct lat_bin *b, size_t n, double pct);
/* The bootstrap interval (stats.h; BOOTSTRAP_* resamples, level and seed) of median MB/s
 * of row rn of sn over row rd of sd, from their repetitions; false (ci->ratio still the
 * ratio of the summaries' medians) when either has fewer than SUMMARY_MIN_REPS_FOR_CI. */
bool summary_ratio_ci(const struct csv *sn, size_t rn, const struct csv *res_n, const struct csv *sd, size_t rd,
		      const struct csv *res_d, struct ratio_ci *ci);

#endif
