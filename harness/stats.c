/*
 * Order statistics (see stats.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stats_percentile(const double *v, size_t n, double p)
{
	double *s = malloc(n * sizeof(*s)), rank, out;
	size_t lo;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	out = lo + 1 < n ? s[lo] + (rank - (double)lo) * (s[lo + 1] - s[lo]) : s[n - 1];
	free(s);
	return out;
}

double stats_median(const double *v, size_t n)
{
	return stats_percentile(v, n, 50);
}

double stats_cv(const double *v, size_t n)
{
	double mean = 0, var = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	return mean ? sqrt(var / (double)(n - 1)) / mean : 0;
}

double stats_min(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

double stats_max(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}
