/*
 * The built-in EXECUTE handlers, registered by operation id: sink (consume, checksum),
 * echo (return the input) and pattern (return N bytes of the shared pattern).  A handler
 * gets the whole input and fills an output buffer it sizes with op_output_reserve.
 */
#ifndef PG_HANDLERS_H
#define PG_HANDLERS_H

#include <stdint.h>

struct op_output {
	uint8_t *data;
	uint64_t len, cap, limit;
};

/* Make room for len output bytes (at most out->limit); NULL if that is too much. */
uint8_t *op_output_reserve(struct op_output *out, uint64_t len);

typedef int (*op_handler_fn)(const uint8_t *in, uint64_t in_len, struct op_output *out);

/* The handler of an operation id, or NULL. */
op_handler_fn op_handler(uint64_t op);

#endif
