/*
 * Host memcpy timing (see hostcopy.h).  A trial alternates a -> b and b -> a, with a
 * compiler barrier per copy so none is elided; its time is CLOCK_MONOTONIC's.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hostcopy.h"
#include "stats.h"

#define TRIALS 7
#define TRIAL_BYTES (4u << 20)

int hostcopy_init(struct hostcopy *h, size_t cap)
{
	h->cap = cap;
	h->a = malloc(cap);
	h->b = malloc(cap);
	if (!h->a || !h->b) {
		hostcopy_fini(h);
		return -1;
	}
	memset(h->a, 1, cap);
	memset(h->b, 2, cap);
	return 0;
}

void hostcopy_fini(struct hostcopy *h)
{
	free(h->a);
	free(h->b);
	h->a = h->b = NULL;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One copy of `len` bytes, the r-th of a trial: a <-> b by turns. */
static void copy_back_and_forth(const struct hostcopy *h, size_t len, size_t r)
{
	memcpy(r % 2 ? h->a : h->b, r % 2 ? h->b : h->a, len);
}

static void gather_into_a(const struct hostcopy *h, const struct iovec *segs, size_t n)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(h->a + at, segs[i].iov_base, segs[i].iov_len);
		at += segs[i].iov_len;
	}
}

/* Median over TRIALS of the time per copy, a trial moving at least TRIAL_BYTES; one
 * copy is the gather when segs is given, else a memcpy of len. */
static double timed_copies(const struct hostcopy *h, size_t len, const struct iovec *segs, size_t n)
{
	size_t reps = TRIAL_BYTES / len + 1;
	double per_copy[TRIALS];

	for (int i = 0; i < TRIALS; i++) {
		double t0 = now_ns();

		for (size_t r = 0; r < reps; r++) {
			if (segs)
				gather_into_a(h, segs, n);
			else
				copy_back_and_forth(h, len, r);
			__asm__ volatile("" : : "r"(h->a), "r"(h->b) : "memory");
		}
		per_copy[i] = (now_ns() - t0) / (double)reps;
	}
	return stats_median(per_copy, TRIALS);
}

double hostcopy_ns(const struct hostcopy *h, size_t len)
{
	return timed_copies(h, len, NULL, 0);
}

double hostcopy_gather_ns(const struct hostcopy *h, const struct iovec *segs, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += segs[i].iov_len;
	assert(len > 0 && len <= h->cap);
	return timed_copies(h, len, segs, n);
}
