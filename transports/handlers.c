/*
 * Built-in EXECUTE handlers (see handlers.h).  They return 0, or -1 when the input is
 * malformed or the output would exceed the operation limit.
 */
#include <stdlib.h>
#include <string.h>
#include "doorbell_abi.h"
#include "handlers.h"

uint8_t *op_output_reserve(struct op_output *out, uint64_t len)
{
	if (len > out->limit)
		return NULL;
	if (len > out->cap) {
		uint8_t *grown = realloc(out->data, len);

		if (!grown)
			return NULL;
		out->data = grown;
		out->cap = len;
	}
	out->len = len;
	return out->data;
}

static int sink(const uint8_t *in, uint64_t in_len, struct op_output *out)
{
	uint64_t sum = pg_checksum(PG_CHECKSUM_INIT, in, in_len);
	uint8_t *dst = op_output_reserve(out, sizeof(sum));

	if (!dst)
		return -1;
	memcpy(dst, &sum, sizeof(sum));
	return 0;
}

static int echo(const uint8_t *in, uint64_t in_len, struct op_output *out)
{
	uint8_t *dst = op_output_reserve(out, in_len);

	if (!dst)
		return -1;
	memcpy(dst, in, in_len);
	return 0;
}

/* Input: u64 length, u64 seed. */
static int pattern(const uint8_t *in, uint64_t in_len, struct op_output *out)
{
	uint64_t req[2];
	uint8_t *dst;

	if (in_len != sizeof(req))
		return -1;
	memcpy(req, in, sizeof(req));
	dst = op_output_reserve(out, req[0]);
	if (!dst)
		return -1;
	pg_pattern_fill(dst, 0, req[0], req[1]);
	return 0;
}

op_handler_fn op_handler(uint64_t op)
{
	switch (op) {
	case PG_OP_SINK:
		return sink;
	case PG_OP_ECHO:
		return echo;
	case PG_OP_PATTERN:
		return pattern;
	default:
		return NULL;
	}
}
