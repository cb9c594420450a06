/*
 * The sink device (op PG_OP_SINK): consumes its input and answers with the input's
 * 8-byte checksum, so the guest can check that every byte arrived.
 */
#include <string.h>
#include "../transports/doorbell_abi.h"
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_SINK };

static int sink_execute(void *state, uint32_t op, const uint8_t *in, uint64_t len, struct pg_device_output *out)
{
	uint64_t sum = pg_checksum(PG_CHECKSUM_INIT, in, len);
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
