/*
 * The sink device (op PG_OP_SINK): consumes its input and answers with the input's
 * 8-byte checksum, so the guest can check that every byte arrived.  With iov delivery it
 * reads the guest's pages in place.
 */
#include <string.h>
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_SINK };

static int sink_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	uint64_t sum = pg_input_checksum(in);
	uint8_t *dst = out->reserve(out, sizeof(sum));

	(void)state;
	(void)op;
	if (!dst)
		return -1;
	memcpy(dst, &sum, sizeof(sum));
	return 0;
}

static const struct pg_device sink = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "sink",
	.nr_ops = 1,
	.ops = ops,
	.execute = sink_execute,
};
PG_DEVICE_EXPORT(sink, sink)
