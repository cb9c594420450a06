/*
 * The pattern device (op PG_OP_PATTERN): input is a u64 length and a u64 seed; output is
 * that many bytes of the shared test pattern, so the guest can check every byte.
 */
#include <string.h>
#include "../transports/doorbell_abi.h"
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_PATTERN };

static int pattern_execute(void *state, uint32_t op, const uint8_t *in, uint64_t len, struct pg_device_output *out)
{
	uint64_t req[2];
	uint8_t *dst;

	(void)state;
	(void)op;
	if (len != sizeof(req))
		return -1;
	memcpy(req, in, sizeof(req));
	dst = out->reserve(out, req[0]);
	if (!dst)
		return -1;
	pg_pattern_fill(dst, 0, req[0], req[1]);
	return 0;
}

static const struct pg_device pattern = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "pattern",
	.nr_ops = 1,
	.ops = ops,
	.execute = pattern_execute,
};
PG_DEVICE_EXPORT(pattern, pattern)
