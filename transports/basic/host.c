/*
 * Host half of the basic transport: the piece is a virtually contiguous range of at
 * most 4 KiB; translate and copy it page by page.
 */
#include "../transport.h"
#include "basic.h"

static int basic_move(struct xfer *x, const struct doorbell *db)
{
	return xfer_range(x, db->addr, db->bytes);
}

const struct transport_ops transport_basic = {
	.name = "basic",
	.id = BASIC_ID,
	.max_bytes_per_doorbell = BASIC_PIECE_BYTES,
	.move = basic_move,
};
