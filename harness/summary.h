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
/* The row of t with facet_row's facet, this label and size, or -1. */
/* Some row of facet_row's facet is the ring's (its table section and figure apply). */
bool summary_facet_has_ring(const struct csv *t, size_t facet_row);
long summary_find(const struct csv *t, size_t facet_row, const char *label, const char *bytes);
/* A facet as a file-name part, e.g. "send-warm-4k-scattered-iov-device-qd32-irq". */
void summary_facet_name(const struct csv *t, size_t r, char *out, size_t cap);
/* The MB/s of every status-0 repetition of summary row r's configuration, from results
 * (NULL: none) into a new array *out; how many (0: *out is NULL). */
size_t summary_reps(const struct csv *summary, size_t r, const struct csv *results, double **out);
/* The bootstrap interval (stats.h; BOOTSTRAP_* resamples, level and seed) of median MB/s
 * of row rn of sn over row rd of sd, from their repetitions; false (ci->ratio still the
 * ratio of the summaries' medians) when either has fewer than SUMMARY_MIN_REPS_FOR_CI. */
bool summary_ratio_ci(const struct csv *sn, size_t rn, const struct csv *res_n, const struct csv *sd, size_t rd,
		      const struct csv *res_d, struct ratio_ci *ci);

#endif
