/*
 * Order statistics over repetitions: median, percentiles (linear interpolation between
 * closest ranks), coefficient of variation.  Each sorts a copy, never its input.
 */
#ifndef PG_STATS_H
#define PG_STATS_H

#include <stddef.h>

/* The p-th percentile (0..100) of v[0..n); n > 0. */
double stats_percentile(const double *v, size_t n, double p);
double stats_median(const double *v, size_t n);
/* Standard deviation / mean (sample standard deviation); 0 for n < 2. */
double stats_cv(const double *v, size_t n);
double stats_min(const double *v, size_t n);
double stats_max(const double *v, size_t n);

#endif
