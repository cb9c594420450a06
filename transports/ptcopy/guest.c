/*
 * Guest half of the page-table-copy transport: the doorbell carries only the range.
 */
#include "../guest_api.h"
#include "ptcopy.h"

const struct pg_transport pg_transport_ptcopy = {
	.name = "ptcopy",
	.id = PTCOPY_ID,
	.max_bytes = PTCOPY_MAX_BYTES,
	.describe = pg_describe_range,
};
