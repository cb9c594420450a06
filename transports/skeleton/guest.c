/*
 * Guest half of the skeleton transport: max_bytes (or a piece() function, as extended
 * has) says how many bytes the next doorbell covers; describe() turns them into the
 * doorbell's RDI and RCX.  Here: the range itself, as basic and ptcopy do.
 */
#include "../guest_api.h"
#include "skeleton.h"

const struct pg_transport pg_transport_skeleton = {
	.name = "skeleton",
	.id = SKELETON_ID,
	.max_bytes = SKELETON_MAX_BYTES,
	.describe = pg_describe_range,
};
