/* A device module built against another ABI version: the loader must refuse it. */
#include "../../devices/device_abi.h"

static const uint32_t ops[] = { 20 };
static int execute(void *s, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	(void)s, (void)op, (void)in, (void)out;
	return -1;
}
static const struct pg_device dev = { PG_DEVICE_ABI_VERSION + 1, "bad_abi", 1, ops, 0, execute, 0, 0 };
PG_DEVICE_EXPORT(dev, bad_abi)
