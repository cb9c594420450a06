/*
 * Host memcpy timing, the one method behind both the run-start calibration and the memcpy
 * each measured repetition is paired with: copies of `len` bytes back and forth between
 * two buffers, repeated until a trial has moved at least 4 MiB (so small copies run in
 * cache, as small transfers do), median of 7 trials.  The second pair, the gather, copies
 * the transfer's own guest pages (host segments of guest RAM) into a buffer the same way:
 * a copy from the memory the transport copies from, so a drift in how guest RAM is backed
 * or cached lands on it too.  The caller's thread does the copies: bench calls them on the
 * pinned vCPU thread, so a pair runs on the transfer's core.
 */
#ifndef PG_HOSTCOPY_H
#define PG_HOSTCOPY_H

#include <stddef.h>
#include <sys/uio.h>

struct hostcopy {
	char *a, *b;  /* two buffers of cap bytes, written once so no copy takes a page fault */
	size_t cap;
};

/* Buffers for copies of up to cap bytes; 0, or -1 without memory. */
int hostcopy_init(struct hostcopy *h, size_t cap);
void hostcopy_fini(struct hostcopy *h);
/* Nanoseconds one copy of len bytes takes (len <= cap). */
double hostcopy_ns(const struct hostcopy *h, size_t len);
/* Nanoseconds one gather of segs[0..n) into a buffer takes (their total <= cap, > 0). */
double hostcopy_gather_ns(const struct hostcopy *h, const struct iovec *segs, size_t n);

#endif
