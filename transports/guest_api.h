/*
 * The guest's transport library (the thesis's "static library + header"), used by the
 * ring-3 process: send a buffer of any size under an operation id, EXECUTE, receive a
 * reply of any size; pg_call does all three.  Switching transport changes nothing else.
 * A transport's guest half is a `struct pg_transport`: how much one doorbell covers and
 * how it is described in registers; the loops, retries and status handling are here.
 * All functions return a PG_DB_* status (PG_DB_OK on success).
 */
#ifndef PG_GUEST_API_H
#define PG_GUEST_API_H

#include <stdint.h>
#include "../vmm-min/abi.h"
#include "doorbell_abi.h"

/* One finished request of a one-shot transport. */
struct pg_completion {
	uint32_t slot;
	int status;             /* PG_DB_*, or PG_RESULT_BADCMD if the host left no status */
	uint64_t out_len;
	uint64_t latency_ticks; /* submitted -> seen by the guest */
};

struct pg_transport {
	const char *name;
	unsigned id;
	/* Most bytes one doorbell covers. */
	uint64_t max_bytes;
	/* Bytes the next doorbell covers, starting at guest-virtual addr with left to go;
	 * NULL: min(left, max_bytes). */
	uint64_t (*piece)(uint64_t addr, uint64_t left);
	/* Describe [addr, addr + n) for the doorbell: its RDI and RCX. */
	void (*describe)(uint64_t addr, uint64_t n, uint64_t *db_addr, uint64_t *extra);
	/* One-shot transports (the ring) instead make each transfer one request: `prepare`
	 * readies the transport for a command's buffers (untimed), `call` sends the input to
	 * op's device and waits for its output, `submit`/`reap` keep several in flight
	 * (slot < qd; reap: 1 with a completion, its stage stamps added to acc, or 0 if none
	 * yet); submitted requests reach the host at the next `flush` (one publication, one
	 * fence and at most one kick per batch); `wait`, when reap found nothing, waits until a
	 * completion may be there (it may return without one), counting its halts in acc. */
	int (*prepare)(const struct pg_cmd *cmd, void *in, void *out);
	int (*call)(uint32_t op, const void *in, uint64_t in_len, void *out, uint64_t out_cap, uint64_t *out_len);
	int (*submit)(uint32_t slot, uint32_t op, const void *in, uint64_t in_len, void *out, uint64_t out_cap);
	int (*reap)(struct pg_completion *c, struct pg_result *acc);
	void (*flush)(void);
	void (*wait)(struct pg_result *acc);
};

int pg_send(const struct pg_transport *t, uint32_t op, const void *buf, uint64_t len);
int pg_execute(const struct pg_transport *t, uint32_t op, uint64_t *out_len);
/* Receive the whole output into buf (room cap); *len = its size.  PG_DB_ENOMEM if the
 * output is larger than cap (the first cap bytes are in buf). */
int pg_receive(const struct pg_transport *t, uint32_t op, void *buf, uint64_t cap, uint64_t *len);
int pg_call(const struct pg_transport *t, uint32_t op, const void *in, uint64_t in_len, void *out,
	    uint64_t out_cap, uint64_t *out_len);

/* One doorbell with these registers, rung again while the host answers RETRY. */
int pg_ring(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total,
	    uint64_t op, uint64_t extra, uint64_t *moved);

/* One doorbell, not rung again on RETRY (the hostile guest abandons RETRYs). */
int pg_ring_once(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total,
		 uint64_t op, uint64_t extra);

/* describe() for transports whose doorbell carries the range itself (RDI = addr, RCX = 0). */
void pg_describe_range(uint64_t addr, uint64_t n, uint64_t *db_addr, uint64_t *extra);

/* The transport with this id, or 0. */
const struct pg_transport *pg_transport_by_id(unsigned id);

#endif
