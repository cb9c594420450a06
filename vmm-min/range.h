/*
 * Ranges of guest addresses, always as (start, length) and never as an end address: an
 * end computed as start + length wraps to 0 for a range that reaches the top of the
 * address space.  range_fits says whether a range stays below 2^64 (it may end exactly
 * there); range_piece is the one splitter every transport and the page walker use to cut
 * a range into pieces that stay inside one 4 KiB page or one 2 MiB region.
 */
#ifndef PG_RANGE_H
#define PG_RANGE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

/* [start, start + len) lies below 2^64 (len <= 2^64 - start). */
static inline bool range_fits(uint64_t start, uint64_t len)
{
	return start == 0 || len <= 0 - start;
}

/* Bytes of the piece that begins `done` bytes into the range [start, start + len): up to
 * the end of its 2^shift-aligned block or the end of the range, whichever comes first.
 * Requires range_fits(start, len) and done < len; the answer is >= 1. */
static inline uint64_t range_piece(uint64_t start, uint64_t len, uint64_t done, unsigned shift)
{
	uint64_t at = start + done, block = 1ull << shift;
	uint64_t to_block_end = block - (at & (block - 1)); /* in [1, block]: never an end address */

	assert(range_fits(start, len) && done < len && shift < 64);
	return len - done < to_block_end ? len - done : to_block_end;
}

#endif
