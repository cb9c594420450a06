/*
 * The echo device (op PG_OP_ECHO): its output is its input, gathered into the output
 * buffer (one copy whatever the delivery: the output must not change with the guest's
 * input pages).
 */
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_ECHO };

static int echo_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	uint8_t *dst = out->reserve(out, in->len);

	(void)state;
	(void)op;
	return dst ? pg_input_read(in, 0, dst, in->len) : -1;
}

static const struct pg_device echo = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "echo",
	.nr_ops = 1,
	.ops = ops,
	.execute = echo_execute,
};
PG_DEVICE_EXPORT(echo, echo)
