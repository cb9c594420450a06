/*
 * Order statistics over repetitions: median, percentiles (linear interpolation between
 * closest ranks), coefficient of variation, and a bootstrap confidence interval for the
 * ratio of two medians.  Each sorts a copy, never its input.  Randomness comes only from
 * stats_random with a caller's seed, so every result is reproducible.
 */
#ifndef PG_STATS_H
#define PG_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sort v[0..n) ascending, in place (the one comparison every sorter here uses). */
void stats_sort(double *v, size_t n);
/* The p-th percentile (0..100) of v[0..n); n > 0. */
double stats_percentile(const double *v, size_t n, double p);
double stats_median(const double *v, size_t n);
/* Standard deviation / mean (sample standard deviation); 0 for n < 2. */
double stats_cv(const double *v, size_t n);
double stats_min(const double *v, size_t n);
double stats_max(const double *v, size_t n);

/* The next number of a splitmix64 stream whose state is *state. */
uint64_t stats_random(uint64_t *state);

#define BOOTSTRAP_RESAMPLES 2000
#define BOOTSTRAP_LEVEL 95.0
#define BOOTSTRAP_SEED 1

/* A percentile bootstrap interval of median(num) / median(den): `resamples` times, each
 * sample resampled with replacement on its own (num and den are independent), the ratio of
 * the medians; [lo, hi] holds the middle `level` percent of those ratios.  n_num, n_den > 0. */
struct ratio_ci {
	double ratio, lo, hi;
};
struct ratio_ci stats_median_ratio_ci(const double *num, size_t n_num, const double *den, size_t n_den,
				      int resamples, double level, uint64_t seed);

#endif
