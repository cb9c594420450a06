/*
 * Order statistics and the bootstrap (see stats.h).
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

void stats_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double stats_percentile(const double *v, size_t n, double p)
{
	double *s = malloc(n * sizeof(*s)), rank, out;
	size_t lo;

	memcpy(s, v, n * sizeof(*s));
	stats_sort(s, n);
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

uint64_t stats_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The median of n values drawn with replacement from v[0..n); scratch holds n. */
static double resampled_median(const double *v, size_t n, double *scratch, uint64_t *state)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = v[stats_random(state) % n];
	return stats_median(scratch, n);
}

struct ratio_ci stats_median_ratio_ci(const double *num, size_t n_num, const double *den, size_t n_den,
				      int resamples, double level, uint64_t seed)
{
	double *ratios = malloc((size_t)resamples * sizeof(*ratios));
	double *scratch = malloc((n_num > n_den ? n_num : n_den) * sizeof(*scratch));
	struct ratio_ci ci = { .ratio = stats_median(num, n_num) / stats_median(den, n_den) };
	uint64_t state = seed;

	for (int i = 0; i < resamples; i++) {
		double top = resampled_median(num, n_num, scratch, &state);

		ratios[i] = top / resampled_median(den, n_den, scratch, &state);
	}
	ci.lo = stats_percentile(ratios, (size_t)resamples, (100.0 - level) / 2);
	ci.hi = stats_percentile(ratios, (size_t)resamples, (100.0 + level) / 2);
	free(ratios);
	free(scratch);
	return ci;
}
