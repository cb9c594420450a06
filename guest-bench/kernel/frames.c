/*
 * Physical frame allocator (see frames.h).  The scattered order is a bijection on
 * [0, 2^k): multiply by an odd constant, add the seed, xor-shift, twice; values >= count
 * are walked through the bijection again until they land in the pool, which keeps it a
 * permutation of [0, count).
 */
#include "frames.h"

void frame_pool_init(struct frame_pool *pool, uint64_t start, uint64_t end, unsigned shift,
		     int scattered, uint64_t seed)
{
	uint64_t size = 1ull << shift;
	uint64_t first = (start + size - 1) & ~(size - 1);
	unsigned bits = 0;

	pool->base = first;
	pool->count = end > first ? (end - first) >> shift : 0;
	pool->next = 0;
	pool->seed = seed;
	pool->shift = shift;
	pool->scattered = scattered;
	while (bits < 63 && (1ull << bits) < pool->count)
		bits++;
	pool->mask = (1ull << bits) - 1;
	pool->half = bits / 2 + 1;
}

static uint64_t mix(const struct frame_pool *pool, uint64_t x)
{
	x = (x * 0x9e3779b97f4a7c15ull + pool->seed) & pool->mask;
	x ^= x >> pool->half;
	x = (x * 0xbf58476d1ce4e5b9ull + (pool->seed >> 17)) & pool->mask;
	x ^= x >> pool->half;
	return x;
}

uint64_t frame_pool_order(const struct frame_pool *pool, uint64_t i)
{
	if (!pool->scattered)
		return i;
	do
		i = mix(pool, i);
	while (i >= pool->count);
	return i;
}

uint64_t frame_pool_alloc(struct frame_pool *pool)
{
	if (pool->next >= pool->count)
		return 0;
	return pool->base + (frame_pool_order(pool, pool->next++) << pool->shift);
}
