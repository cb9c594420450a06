/*
 * Guest half of the skeleton transport: piece() says how many bytes the next doorbell
 * covers, describe() turns them into the doorbell's RDI and RCX.  Here: the range itself.
 */
#include "../guest_api.h"
#include "skeleton.h"

static uint64_t skeleton_piece(uint64_t addr, uint64_t left)
{
	(void)addr;
	return left < SKELETON_MAX_BYTES ? left : SKELETON_MAX_BYTES;
}

const struct pg_transport pg_transport_skeleton = {
	.name = "skeleton",
	.id = SKELETON_ID,
	.piece = skeleton_piece,
	.describe = pg_describe_range,
};
