/*
 * The pattern device (op PG_OP_PATTERN): input is a u64 length and a u64 seed; output is
 * that many bytes of the shared test pattern, so the guest can check every byte.  With
 * iov delivery the pattern is written straight into the guest's pages as it receives.
 */
#include <stdio.h>
#include <stdlib.h>
#include "device_abi.h"

static const uint32_t ops[] = { PG_OP_PATTERN };

struct pattern {
	uint64_t len, seed; /* of the last request */
};

static int pattern_init(const struct pg_device_config *cfg, void **state, char *err, size_t cap)
{
	if (cfg->n) {
		snprintf(err, cap, "takes no configuration");
		return -1;
	}
	*state = calloc(1, sizeof(struct pattern));
	return *state ? 0 : -1;
}

static int pattern_execute(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	struct pattern *p = state;
	uint64_t req[2];
	uint8_t *dst;

	(void)op;
	if (in->len != sizeof(req) || pg_input_read(in, 0, req, sizeof(req)))
		return -1;
	p->len = req[0];
	p->seed = req[1];
	if (out->defer)
		return out->defer(out, p->len);
	dst = out->reserve(out, p->len);
	if (!dst)
		return -1;
	pg_pattern_fill(dst, 0, p->len, p->seed);
	return 0;
}

static int pattern_fill(void *state, uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n)
{
	struct pattern *p = state;

	(void)op;
	for (uint32_t i = 0; i < n; i++) {
		if (offset > p->len || iov[i].iov_len > p->len - offset)
			return -1;
		pg_pattern_fill(iov[i].iov_base, offset, iov[i].iov_len, p->seed);
		offset += iov[i].iov_len;
	}
	return 0;
}

static const struct pg_device pattern = {
	.abi_version = PG_DEVICE_ABI_VERSION,
	.name = "pattern",
	.nr_ops = 1,
	.ops = ops,
	.init = pattern_init,
	.execute = pattern_execute,
	.fill = pattern_fill,
	.teardown = free,
};
PG_DEVICE_EXPORT(pattern, pattern)
