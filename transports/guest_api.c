/*
 * The guest's transport library (see guest_api.h): the doorbell itself (registers as in
 * doorbell_abi.h, RETRY rung again after the guest kernel has served the injected page
 * fault) and the send / execute / receive loops shared by every transport.
 */
#include "guest_api.h"

struct ring {
	uint64_t status, moved, total;
};

static uint64_t last_return_tsc;

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* One doorbell, RETRY or not. */
static struct ring ring_once(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes,
			     uint64_t total, uint64_t op, uint64_t extra)
{
	register uint64_t r8 __asm__("r8") = total;
	register uint64_t r9 __asm__("r9") = op;
	register uint64_t r10 __asm__("r10") = tsc();
	register uint64_t r11 __asm__("r11") = last_return_tsc;
	uint64_t rax = state, rsi = bytes;

	__asm__ volatile("outb %%al, %%dx"
			 : "+a"(rax), "+S"(rsi), "+r"(r8), "+r"(r10), "+r"(r11)
			 : "d"((uint16_t)PG_DB_PORT(t->id)), "D"(addr), "r"(r9), "c"(extra)
			 : "memory");
	last_return_tsc = tsc();
	return (struct ring){ rax, rsi, r8 };
}

static struct ring doorbell(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes,
			    uint64_t total, uint64_t op, uint64_t extra)
{
	struct ring out;

	do
		out = ring_once(t, state, addr, bytes, total, op, extra);
	while (out.status == PG_DB_RETRY);
	return out;
}

int pg_ring(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total,
	    uint64_t op, uint64_t extra, uint64_t *moved)
{
	struct ring r = doorbell(t, state, addr, bytes, total, op, extra);

	*moved = r.moved;
	return (int)r.status;
}

int pg_ring_once(const struct pg_transport *t, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total,
		 uint64_t op, uint64_t extra)
{
	return (int)ring_once(t, state, addr, bytes, total, op, extra).status;
}

static uint64_t piece(const struct pg_transport *t, uint64_t addr, uint64_t left)
{
	if (t->piece)
		return t->piece(addr, left);
	return left < t->max_bytes ? left : t->max_bytes;
}

int pg_send(const struct pg_transport *t, uint32_t op, const void *buf, uint64_t len)
{
	uint64_t addr = (uint64_t)buf, done = 0;

	while (done < len) {
		uint64_t n = piece(t, addr + done, len - done), db_addr, extra;
		struct ring r;

		t->describe(addr + done, n, &db_addr, &extra);
		r = doorbell(t, PG_DB_SEND, db_addr, n, len, op, extra);
		if (r.status != PG_DB_OK)
			return (int)r.status;
		done += n;
	}
	return PG_DB_OK;
}

int pg_execute(const struct pg_transport *t, uint32_t op, uint64_t *out_len)
{
	struct ring r = doorbell(t, PG_DB_EXECUTE, 0, 0, 0, op, 0);

	*out_len = r.total;
	return (int)r.status;
}

int pg_receive(const struct pg_transport *t, uint32_t op, void *buf, uint64_t cap, uint64_t *len)
{
	uint64_t addr = (uint64_t)buf, got = 0, total = ~0ull;

	while (got < total) {
		uint64_t n, db_addr, extra;
		struct ring r;

		if (got == cap) {
			*len = got;
			return PG_DB_ENOMEM;
		}
		n = piece(t, addr + got, cap - got);
		t->describe(addr + got, n, &db_addr, &extra);
		r = doorbell(t, PG_DB_RECEIVE, db_addr, n, cap, op, extra);
		if (r.status != PG_DB_OK)
			return (int)r.status;
		total = r.total;
		got += r.moved;
		if (r.moved == 0)
			break;
	}
	*len = got;
	return got == total ? PG_DB_OK : PG_DB_EINVAL;
}

int pg_call(const struct pg_transport *t, uint32_t op, const void *in, uint64_t in_len, void *out,
	    uint64_t out_cap, uint64_t *out_len)
{
	uint64_t produced;
	int status = in_len ? pg_send(t, op, in, in_len) : PG_DB_OK;

	if (status == PG_DB_OK)
		status = pg_execute(t, op, &produced);
	if (status == PG_DB_OK)
		status = pg_receive(t, op, out, out_cap, out_len);
	return status;
}

void pg_describe_range(uint64_t addr, uint64_t n, uint64_t *db_addr, uint64_t *extra)
{
	(void)n;
	*db_addr = addr;
	*extra = 0;
}
