/*
 * The skeleton device: the template for a new device module.  It serves one operation
 * (op 10 by default, `op=N` in its configuration) whose output is its input, and shows
 * every part of the ABI: configuration keys, per-device state, execute with the output
 * writer, teardown.  Build: `make` puts it at build/devices/skeleton.so; run with
 * `pagegate --device skeleton=build/devices/skeleton.so,op=12 ...`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "device_abi.h"

struct skeleton {
	uint32_t op;
	uint64_t executed;
};

static uint32_t ops[1] = { 10 };

static int skeleton_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap)
{
	struct skeleton *s = calloc(1, sizeof(*s));

	s->op = ops[0];
	for (int i = 0; i < cfg->n; i++) {
		char *end;
		unsigned long v = strtoul(cfg->values[i], &end, 10);

		if (strcmp(cfg->keys[i], "op") || *end || v == 0 || v > PG_DEVICE_MAX_OP) {
			snprintf(err, cap, "skeleton: unknown key or bad value '%s=%s' (op=1..%d)", cfg->keys[i],
				 cfg->values[i], PG_DEVICE_MAX_OP);
			free(s);
			return -1;
		}
		s->op = ops[0] = (uint32_t)v;
	}
	*state = s;
	return 0;
}

/* The input arrives as segments (guest pages with iov delivery); a device that keeps
 * its output in memory could also defer it and write it in fill() (see pattern.c). */
static int skeleton_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	struct skeleton *s = state;
	uint8_t *dst = out->reserve(out, in->len);

	if (!dst || op != s->op || pg_input_read(in, 0, dst, in->len))
		return -1;
	s->executed++;
	return 0;
}

static void skeleton_teardown(void *state)
{
	free(state);
}

static const struct pg_device skeleton = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "skeleton",
	.nr_ops = 1,
	.ops = ops,
	.init = skeleton_init,
	.execute = skeleton_execute,
	.teardown = skeleton_teardown,
};
PG_DEVICE_EXPORT(skeleton, skeleton)
