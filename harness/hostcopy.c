/*
 * Host memcpy timing (see hostcopy.h).  A trial alternates a -> b and b -> a, with a
 * compiler barrier per copy so none is elided; its time is CLOCK_MONOTONIC's.
 */
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

double hostcopy_ns(const struct hostcopy *h, size_t len)
{
	size_t reps = TRIAL_BYTES / len + 1;
	double per_copy[TRIALS];

	for (int i = 0; i < TRIALS; i++) {
		double t0 = now_ns();

		for (size_t r = 0; r < reps; r++) {
			memcpy(r % 2 ? h->a : h->b, r % 2 ? h->b : h->a, len);
			__asm__ volatile("" : : "r"(h->a), "r"(h->b) : "memory");
		}
		per_copy[i] = (now_ns() - t0) / (double)reps;
	}
	return stats_median(per_copy, TRIALS);
}
