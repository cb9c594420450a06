/*
 * Guest half of the basic transport: 4 KiB pieces, each described by its own address.
 */
#include "../guest_api.h"
#include "basic.h"

static uint64_t basic_piece(uint64_t addr, uint64_t left)
{
	(void)addr;
	return left < BASIC_PIECE_BYTES ? left : BASIC_PIECE_BYTES;
}

const struct pg_transport pg_transport_basic = {
	.name = "basic",
	.id = BASIC_ID,
	.piece = basic_piece,
	.describe = pg_describe_range,
};
