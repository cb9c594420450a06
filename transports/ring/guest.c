/*
 * Guest half of the ring transport (ring 3): the ring area, one request header and
 * status per slot (Q/4 slots of four fixed descriptors: header, input, output, status),
 * set-up and registration doorbells, submission with release ordering and a kick only
 * when avail_event asks for one (EVENT_IDX), and reaping by polling the used ring or —
 * with interrupt completion, when there is nothing to reap — halting for the host's
 * interrupt after asking for it with used_event (ring.h).  As a `struct pg_transport` it
 * is a one-shot transport: `call` makes one request and waits for it, `prepare` sets the
 * ring up for a command (its Q, addressing, notification, completion, and — with
 * registered addressing — the command's buffers), `stream` keeps QD requests in flight.
 * Buffers are faulted in before use: the host never injects a fault here.  The raw
 * primitives it is made of (doorbell, descriptors, publish, take a used element, halt for
 * a completion) are exported in ring_guest.h for tests that drive a ring by hand.
 */
#include "../../guest-bench/lib/guest.h"
#include "../guest_api.h"
#include "ring_guest.h"

#define SLOTS (RING_QUEUE_MAX / 4)
#define HDR_BUFFER (RING_MAX_BUFFERS - 1) /* registered: the headers and statuses */
#define IN_BUFFER 0
#define OUT_BUFFER 1

static uint8_t area[RING_QUEUE_MAX * 16 + 4096 * 3] __attribute__((aligned(4096)));
static struct {
	struct ring_req req[SLOTS];
	struct ring_status st[SLOTS];
} meta __attribute__((aligned(4096)));

static struct {
	struct ring_view view; /* area, q */
	uint32_t slots;
	enum ring_addressing addressing;
	enum ring_complete complete;
	uint16_t avail_idx, used_seen;
	uint16_t published; /* the available index the host has been shown */
	uint32_t in_flight;
	uint8_t *in_base, *out_base; /* registered buffers' starts */
	int up;
} ring = { .view = { area, RING_QUEUE_DEFAULT } };

_Static_assert(sizeof(area) >= RING_QUEUE_MAX * 16ull + 4096 * 3, "ring area");

/* Ring fields at the offsets ring.h defines. */
static volatile uint16_t *avail_word(const struct ring_view *v, uint64_t index) /* 0 flags, 1 idx, 2.. ring */
{
	return (volatile uint16_t *)(v->area + ring_avail_offset(v->q) + 2 * index);
}

static volatile uint16_t *avail_event_word(const struct ring_view *v)
{
	return (volatile uint16_t *)(v->area + ring_avail_event_offset(v->q));
}

static volatile uint16_t *used_event_word(const struct ring_view *v)
{
	return (volatile uint16_t *)(v->area + ring_used_event_offset(v->q));
}

static uint16_t used_index(const struct ring_view *v)
{
	return __atomic_load_n((uint16_t *)(v->area + ring_used_offset(v->q) + 2), __ATOMIC_ACQUIRE);
}

volatile struct ring_desc *ring_desc_at(const struct ring_view *v, uint32_t i)
{
	return (volatile struct ring_desc *)(v->area + 16ull * i);
}

void ring_set_desc(const struct ring_view *v, uint32_t i, uint64_t addr, uint64_t len, uint16_t flags, uint32_t next)
{
	volatile struct ring_desc *d = ring_desc_at(v, i);

	d->addr = addr;
	d->len = (uint32_t)len;
	d->flags = flags;
	d->next = (uint16_t)next;
}

void ring_avail_put(const struct ring_view *v, uint16_t at, uint16_t head)
{
	*avail_word(v, 2 + (at & (v->q - 1))) = head;
}

uint16_t ring_avail_event(const struct ring_view *v)
{
	return *avail_event_word(v);
}

void ring_publish(const struct ring_view *v, uint16_t old, uint16_t new_idx)
{
	__atomic_store_n(avail_word(v, 1), new_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index is out before avail_event is read */
	if (ring_need_event(ring_avail_event(v), new_idx, old))
		__asm__ volatile("outb %%al, %%dx" : : "a"((uint8_t)RING_KICK), "d"((uint16_t)PG_DB_PORT(RING_ID))
				 : "memory");
}

int ring_used_take(const struct ring_view *v, uint16_t seen, struct ring_used_elem *e)
{
	const volatile struct ring_used_elem *elem;

	if (used_index(v) == seen)
		return 0;
	elem = (const volatile struct ring_used_elem *)(v->area + ring_used_offset(v->q) + 4 +
							 8ull * (seen & (v->q - 1)));
	e->id = elem->id;
	e->len = elem->len;
	return 1;
}

int ring_halt_for_used(const struct ring_view *v, uint16_t event, uint16_t seen)
{
	*used_event_word(v) = event;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used_event is out before the used index is read */
	if (used_index(v) != seen)
		return 0;
	syscall3(SYS_WAIT_IRQ, 0, 0, 0);
	return 1;
}

uint64_t ring_doorbell(uint64_t cmd, uint64_t rdi, uint64_t rsi, uint64_t r8, uint64_t r9, uint64_t rcx)
{
	register uint64_t r8_ __asm__("r8") = r8;
	register uint64_t r9_ __asm__("r9") = r9;
	uint64_t rax = cmd;

	__asm__ volatile("outb %%al, %%dx"
			 : "+a"(rax), "+r"(r8_)
			 : "d"((uint16_t)PG_DB_PORT(RING_ID)), "D"(rdi), "S"(rsi), "r"(r9_), "c"(rcx)
			 : "memory");
	return rax;
}

void ring_fault_in(void *p, uint64_t n, int write)
{
	uint8_t *bytes = p;

	for (uint64_t off = 0; off < n; off = (off & ~4095ull) + 4096) {
		volatile uint8_t *b = bytes + off;

		if (write)
			*b = *b;
		else
			(void)*b;
	}
	if (n)
		(void)*(volatile uint8_t *)(bytes + n - 1);
}

static int pg_ring_reset(void)
{
	ring.up = 0;
	return (int)ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
}

static int pg_ring_setup(uint32_t q, enum ring_addressing addressing, enum ring_notify notify,
			 enum ring_complete complete, uint64_t spin_ns)
{
	uint64_t status;

	if (ring.up)
		pg_ring_reset();
	memset(area, 0, sizeof(area));
	ring.view.q = q;
	ring.slots = q / 4;
	ring.addressing = addressing;
	ring.complete = complete;
	ring.avail_idx = ring.used_seen = ring.published = 0;
	ring.in_flight = 0;
	status = ring_doorbell(RING_SETUP, (uint64_t)area, ring_area_bytes(q), q, ring_modes(addressing, notify, complete),
			       spin_ns);
	ring.up = status == PG_DB_OK;
	return (int)status;
}

static int pg_ring_register(uint32_t index, void *buf, uint64_t bytes)
{
	ring_fault_in(buf, bytes, 1);
	return (int)ring_doorbell(RING_REGISTER, (uint64_t)buf, bytes, index, 0, 0);
}

/* A descriptor's address for [p, ...) in `base`'s registered buffer, or p itself. */
static uint64_t addr_of(const void *p, const uint8_t *base, uint32_t index)
{
	if (ring.addressing != RING_ADDR_REGISTERED)
		return (uint64_t)p;
	return RING_BUF_ADDR(index, (const uint8_t *)p - base);
}

/* Chain of slot s: header, input (if any), output (if any), status. */
static void build_chain(uint32_t s, const void *in, uint64_t in_len, void *out, uint64_t out_cap)
{
	const struct ring_view *v = &ring.view;
	uint32_t i = 4 * s;

	ring_set_desc(v, i, addr_of(&meta.req[s], (const uint8_t *)&meta, HDR_BUFFER), sizeof(meta.req[s]),
		      RING_DESC_F_NEXT, i + 1);
	if (in_len) {
		i++;
		ring_set_desc(v, i, addr_of(in, ring.in_base, IN_BUFFER), in_len, RING_DESC_F_NEXT, i + 1);
	}
	if (out_cap) {
		i++;
		ring_set_desc(v, i, addr_of(out, ring.out_base, OUT_BUFFER), out_cap,
			      RING_DESC_F_NEXT | RING_DESC_F_WRITE, i + 1);
	}
	i++;
	ring_set_desc(v, i, addr_of(&meta.st[s], (const uint8_t *)&meta, HDR_BUFFER), sizeof(meta.st[s]),
		      RING_DESC_F_WRITE, 0);
}

static int pg_ring_submit(uint32_t s, uint32_t op, const void *in, uint64_t in_len, void *out, uint64_t out_cap)
{
	uint16_t old = ring.avail_idx;

	if (!ring.up || s >= ring.slots || in_len > UINT32_MAX || out_cap > UINT32_MAX)
		return PG_DB_EINVAL;
	meta.st[s] = (struct ring_status){ .status = PG_RESULT_BADCMD };
	build_chain(s, in, in_len, out, out_cap);
	meta.req[s] = (struct ring_req){ .op = op, .submit_tsc = rdtsc() };
	ring_avail_put(&ring.view, old, (uint16_t)(4 * s));
	ring.avail_idx = old + 1;
	ring.in_flight++;
	return PG_DB_OK;
}

/* Publish what was submitted since the last flush. */
static void pg_ring_flush(void)
{
	if (ring.published != ring.avail_idx)
		ring_publish(&ring.view, ring.published, ring.avail_idx);
	ring.published = ring.avail_idx;
}

/* A request's host stamps into acc, if they are in order with the guest's own. */
static void add_stamps(const struct ring_status *st, uint64_t submit, uint64_t seen, struct pg_result *acc)
{
	uint64_t host = st->translate_ticks + st->copy_ticks + st->device_ticks;

	if (!(submit <= st->picked_tsc && st->picked_tsc <= st->done_tsc && st->done_tsc <= seen &&
	      host <= st->done_tsc - st->picked_tsc)) {
		acc->clock_bad++;
		return;
	}
	acc->queue_ticks += st->picked_tsc - submit;
	acc->translate_ticks += st->translate_ticks;
	acc->copy_ticks += st->copy_ticks;
	acc->device_ticks += st->device_ticks;
	acc->complete_ticks += st->done_tsc - st->picked_tsc - host;
	acc->notice_ticks += seen - st->done_tsc;
}

static int pg_ring_reap(struct pg_completion *c, struct pg_result *acc)
{
	struct ring_used_elem e;
	uint64_t seen;
	uint32_t id, s;

	if (!ring_used_take(&ring.view, ring.used_seen, &e))
		return 0;
	seen = rdtsc();
	id = e.id;
	ring.used_seen++;
	ring.in_flight--;
	s = id / 4;
	if (id % 4 || s >= ring.slots) {
		*c = (struct pg_completion){ .slot = ~0u, .status = PG_RESULT_BADCMD };
		return 1;
	}
	*c = (struct pg_completion){ s, (int)meta.st[s].status, meta.st[s].out_len, seen - meta.req[s].submit_tsc };
	if (acc && meta.st[s].status != PG_RESULT_BADCMD)
		add_stamps(&meta.st[s], meta.req[s].submit_tsc, seen, acc);
	return 1;
}

/* Nothing to reap: wait a little (poll), or halt until the host's interrupt says a
 * completion may be there (interrupt completion); the halts are counted in acc. */
static void pg_ring_wait(struct pg_result *acc)
{
	if (ring.complete != RING_COMPLETE_INTERRUPT) {
		__asm__ volatile("pause");
		return;
	}
	if (ring_halt_for_used(&ring.view, ring.used_seen, ring.used_seen) && acc)
		acc->halts++;
}

/* Register the command's buffers (and the headers) when the ring uses registered
 * addressing; fault the buffers in either way. */
static int ring_prepare(const struct pg_cmd *cmd, void *in, void *out)
{
	uint32_t q = cmd->ring_q ? cmd->ring_q : RING_QUEUE_DEFAULT;
	uint64_t in_bytes = cmd->kind == PG_CMD_STREAM ? cmd->qd * cmd->bytes : cmd->bytes < 16 ? 16 : cmd->bytes;
	uint64_t out_bytes = cmd->kind == PG_CMD_STREAM ? 8ull * cmd->qd : cmd->bytes < 8 ? 8 : cmd->bytes;
	int status;

	while (q < 4 * cmd->qd && q < RING_QUEUE_MAX) /* four descriptors per slot */
		q <<= 1;
	ring_fault_in(in, in_bytes, 1);
	ring_fault_in(out, out_bytes, 1);
	if (ring.up)
		pg_ring_reset();
	ring.in_base = in;
	ring.out_base = out;
	if (cmd->ring_addressing == RING_ADDR_REGISTERED &&
	    ((status = pg_ring_register(HDR_BUFFER, &meta, sizeof(meta))) != PG_DB_OK ||
	     (status = pg_ring_register(IN_BUFFER, in, in_bytes)) != PG_DB_OK ||
	     (status = pg_ring_register(OUT_BUFFER, out, out_bytes)) != PG_DB_OK))
		return status;
	return pg_ring_setup(q, (enum ring_addressing)cmd->ring_addressing, (enum ring_notify)cmd->ring_notify,
			     (enum ring_complete)cmd->ring_complete, cmd->ring_spin_ns);
}

/* One request, waited for as the ring was set up to (polling, or halting). */
static int ring_call(uint32_t op, const void *in, uint64_t in_len, void *out, uint64_t out_cap, uint64_t *out_len)
{
	struct pg_completion c;
	int status = pg_ring_submit(0, op, in, in_len, out, out_cap);

	if (status != PG_DB_OK)
		return status;
	pg_ring_flush();
	while (!pg_ring_reap(&c, NULL))
		pg_ring_wait(NULL);
	*out_len = c.out_len;
	return c.slot == 0 ? c.status : PG_RESULT_BADCMD;
}

const struct pg_transport pg_transport_ring = {
	.name = "ring",
	.id = RING_ID,
	.prepare = ring_prepare,
	.call = ring_call,
	.submit = pg_ring_submit,
	.reap = pg_ring_reap,
	.flush = pg_ring_flush,
	.wait = pg_ring_wait,
};
