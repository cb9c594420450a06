/*
 * Guest half of the extended transport: one doorbell per run of up to 1024 pages; the
 * list page holds their page numbers.  The list is rewritten for every doorbell.
 */
#include "../guest_api.h"
#include "extended.h"

static uint32_t list[EXTENDED_MAX_ENTRIES] __attribute__((aligned(4096)));

static uint64_t extended_piece(uint64_t addr, uint64_t left)
{
	uint64_t room = EXTENDED_MAX_BYTES - (addr & 4095);

	return left < room ? left : room;
}

static void extended_describe(uint64_t addr, uint64_t n, uint64_t *db_addr, uint64_t *extra)
{
	uint64_t first = addr >> 12, entries = ((addr + n + 4095) >> 12) - first;

	for (uint64_t i = 0; i < entries; i++)
		list[i] = (uint32_t)(first + i);
	*db_addr = (uint64_t)list;
	*extra = extended_extra(entries, addr & 4095);
}

const struct pg_transport pg_transport_extended = {
	.name = "extended",
	.id = EXTENDED_ID,
	.max_bytes = EXTENDED_MAX_BYTES,
	.piece = extended_piece,
	.describe = extended_describe,
};
