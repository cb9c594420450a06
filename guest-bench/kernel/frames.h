/*
 * Physical frame allocator of the guest kernel, shared with the host unit tests.  Frames
 * of one size (4 KiB or 2 MiB) are handed out from a pool in one of two orders:
 * contiguous (ascending) or scattered, a seeded permutation of the pool (a bijective
 * integer mix with cycle walking) so guest-virtual -> guest-physical is not trivial.
 * Each allocation is O(1) with no table: ring-0 instructions are expensive on some hosts.
 */
#ifndef PG_FRAMES_H
#define PG_FRAMES_H

#include <stdint.h>

struct frame_pool {
	uint64_t base;     /* physical address of frame 0, aligned to the frame size */
	uint64_t count;    /* frames in the pool */
	uint64_t next;     /* allocations so far */
	uint64_t seed;
	uint64_t mask;     /* next power of two >= count, minus one */
	unsigned shift;    /* frame size, log2 */
	unsigned half;     /* bits of the xor-shift in the mix */
	int scattered;
};

/* Pool of the frames of size 1 << shift that fit in [start, end). */
void frame_pool_init(struct frame_pool *pool, uint64_t start, uint64_t end, unsigned shift,
		     int scattered, uint64_t seed);

/* Physical address of the next frame, 0 when the pool is exhausted. */
uint64_t frame_pool_alloc(struct frame_pool *pool);

/* The pool's i-th frame index in allocation order (exposed for tests). */
uint64_t frame_pool_order(const struct frame_pool *pool, uint64_t i);

#endif
