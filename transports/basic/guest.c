/*
 * Guest half of the basic transport: 4 KiB pieces, each described by its own address.
 */
#include "../guest_api.h"
#include "basic.h"

const struct pg_transport pg_transport_basic = {
	.name = "basic",
	.id = BASIC_ID,
	.max_bytes = BASIC_PIECE_BYTES,
	.describe = pg_describe_range,
};
