/*
 * Guest half of the page-table-copy transport: the doorbell carries only the range.
 */
#include "../guest_api.h"
#include "ptcopy.h"

static uint64_t ptcopy_piece(uint64_t addr, uint64_t left)
{
	(void)addr;
	return left < PTCOPY_MAX_BYTES ? left : PTCOPY_MAX_BYTES;
}

const struct pg_transport pg_transport_ptcopy = {
	.name = "ptcopy",
	.id = PTCOPY_ID,
	.piece = ptcopy_piece,
	.describe = pg_describe_range,
};
