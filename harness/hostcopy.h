/*
 * Host memcpy timing, the one method behind both the run-start calibration and the memcpy
 * each measured repetition is paired with: copies of `len` bytes back and forth between
 * two buffers, repeated until a trial has moved at least 4 MiB (so small copies run in
 * cache, as small transfers do), median of 7 trials.  The caller's thread does the copies:
 * bench calls it on the pinned vCPU thread, so a pair's memcpy runs on the transfer's core.
 */
#ifndef PG_HOSTCOPY_H
#define PG_HOSTCOPY_H

#include <stddef.h>

struct hostcopy {
	char *a, *b;  /* two buffers of cap bytes, written once so no copy takes a page fault */
	size_t cap;
};

/* Buffers for copies of up to cap bytes; 0, or -1 without memory. */
int hostcopy_init(struct hostcopy *h, size_t cap);
void hostcopy_fini(struct hostcopy *h);
/* Nanoseconds one copy of len bytes takes (len <= cap). */
double hostcopy_ns(const struct hostcopy *h, size_t len);

#endif
