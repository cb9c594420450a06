/*
 * The echo device (op PG_OP_ECHO): its output is its input.
 */
#include <string.h>
#include "../transports/doorbell_abi.h"
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_ECHO };

static int echo_execute(void *state, uint32_t op, const uint8_t *in, uint64_t len, struct pg_device_output *out)
{
	uint8_t *dst = out->reserve(out, len);

	(void)state;
	(void)op;
	if (!dst)
		return -1;
	memcpy(dst, in, len);
	return 0;
}

static const struct pg_device echo = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "echo",
	.nr_ops = 1,
	.ops = ops,
	.execute = echo_execute,
};
PG_DEVICE_EXPORT(echo, echo)
