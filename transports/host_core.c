/*
 * The transport engine (see transport.h): one doorbell handler for every transport's
 * port.  It decodes the registers, keeps each operation's state (input being sent,
 * output being received), validates everything the guest says (state order, op id,
 * sizes, totals), calls the transport's move(), runs EXECUTE on the operation's device
 * (devices/registry.c), injects a page fault and answers RETRY when a page is absent
 * (resuming where it stopped when the guest rings again), and times every stage with the
 * TSC.  Delivery is by copy (host buffers) or by iov: the guest segments move() finds
 * are recorded instead of copied and handed to the device as its input, and a deferred
 * output is written by the device's fill() straight into the guest's pages.  Rejected
 * doorbells get an error status and a rate-limited warning; the VM keeps running.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../vmm-min/ptwalk.h"
#include "../vmm-min/range.h"
#include "../vmm-min/x86.h"
#include "../devices/registry.h"
#include "transport.h"

/* An operation's life: IDLE -> SENDING (the first SEND starts it: op_start clears every
 * trace of the last one) -> EXECUTED (EXECUTE with all input in) -> IDLE (RECEIVE of the
 * last output byte, or a failed EXECUTE).  A SEND that does not continue the input being
 * sent starts a new operation. */
enum op_phase { OP_IDLE, OP_SENDING, OP_EXECUTED };

/* Grow *buf to `len` bytes; new bytes get `fresh` (the host never hands the guest a byte
 * nobody wrote).  0, or -1 if memory is short. */
static int grow(uint8_t **buf, uint64_t *cap, uint64_t len, uint8_t fresh)
{
	uint8_t *grown;

	if (len <= *cap)
		return 0;
	if (len > SIZE_MAX || !(grown = realloc(*buf, len)))
		return -1;
	memset(grown + *cap, fresh, len - *cap);
	*buf = grown;
	*cap = len;
	return 0;
}

/* An operation's output buffer (or, for a deferred output with copy delivery, the bounce
 * buffer of one RECEIVE), grown on demand up to a limit. */
struct op_output {
	struct pg_device_output writer; /* what the device sees */
	uint8_t *data;
	uint64_t len, cap;
	uint64_t limit;       /* most bytes reserve() may produce at once (EXECUTE) */
	uint64_t defer_limit; /* most bytes an operation's output may have */
	uint8_t fresh;
	bool deferred;        /* the device's fill() writes it at RECEIVE */
};

static uint8_t *op_output_reserve(struct pg_device_output *w, uint64_t len)
{
	struct op_output *out = (struct op_output *)w;

	if (len > out->limit || grow(&out->data, &out->cap, len, out->fresh))
		return NULL;
	out->len = len;
	out->deferred = false;
	return out->data;
}

static int op_output_defer(struct pg_device_output *w, uint64_t len)
{
	struct op_output *out = (struct op_output *)w;

	if (len > out->defer_limit)
		return -1;
	out->len = len;
	out->deferred = true;
	return 0;
}

/* Room for `cap` segments; 0 or -1. */
static int iov_reserve(struct iov_list *l, uint64_t cap)
{
	struct iovec *grown;

	if (cap <= l->cap)
		return 0;
	if (cap > UINT32_MAX || !(grown = realloc(l->v, cap * sizeof(*grown))))
		return -1;
	l->v = grown;
	l->cap = (uint32_t)cap;
	return 0;
}

/* Append a segment, merged with the last if it continues it; 0, or -1 past the limit. */
static int iov_add(struct iov_list *l, void *base, uint64_t len)
{
	struct iovec *last = l->n ? &l->v[l->n - 1] : NULL;

	if (last && (uint8_t *)last->iov_base + last->iov_len == base) {
		last->iov_len += len;
		return 0;
	}
	if (l->n == l->limit || (l->n == l->cap && iov_reserve(l, l->cap ? 2ull * l->cap : 64)))
		return -1;
	l->v[l->n++] = (struct iovec){ base, len };
	return 0;
}

struct op_state {
	uint32_t id;            /* the operation id, validated (<= PG_DEVICE_MAX_OP) */
	enum op_phase phase;
	enum delivery delivery; /* fixed when the operation starts */
	uint8_t *in;            /* copy delivery: the input */
	uint64_t in_total, in_len, in_cap;
	struct iov_list in_iov; /* iov delivery: the input's guest segments */
	struct iov_list piece;  /* iov delivery: the segments of the doorbell being moved */
	struct op_output out;
	uint64_t out_pos;
};

static void __attribute__((format(printf, 2, 3))) warn(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	e->warnings++;
	if (e->quiet || (e->warnings > 10 && e->warnings % 1000))
		return;
	fprintf(stderr, "pagegate: rejected doorbell #%llu: ", (unsigned long long)e->warnings);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(e->warnings == 10 ? " (further warnings: every 1000th)\n" : "\n", stderr);
}

int xfer_translate(struct xfer *x, uint64_t gva, uint64_t *gpa)
{
	struct pt_walk w;
	enum pt_walk_status st;

	if (x->method == XLATE_KVM) {
		if (vcpu_translate(x->v, gva, gpa)) {
			x->fault_gva = gva;
			return PG_DB_RETRY;
		}
		x->t->pages++;
		return PG_DB_OK;
	}
	st = pt_walk(&x->v->vm->mem, vcpu_sregs(x->v)->cr3, gva, &w);
	if (st == PTW_NOT_PRESENT) {
		x->fault_gva = gva;
		return PG_DB_RETRY;
	}
	if (st != PTW_OK || !w.user || (x->to_guest && !w.writable))
		return PG_DB_EFAULT;
	x->t->pages++;
	*gpa = w.gpa;
	return PG_DB_OK;
}

int xfer_copy(struct xfer *x, uint64_t gpa, uint64_t offset, uint64_t n)
{
	uint8_t *g = gmem_guest_ptr(&x->v->vm->mem, gpa, n); /* RAM only, never the boot area */

	if (!g)
		return PG_DB_EFAULT;
	if (x->iov)
		return iov_add(x->iov, g, n) ? PG_DB_ENOMEM : PG_DB_OK;
	x->t->copied += n;
	if (x->to_guest)
		memcpy(g, x->host + offset, n);
	else
		memcpy(x->host + offset, g, n);
	return PG_DB_OK;
}

int xfer_range(struct xfer *x, uint64_t gva, uint64_t bytes)
{
	if (!range_fits(gva, bytes))
		return PG_DB_EINVAL;
	for (x->moved = x->skip; x->moved < bytes;) {
		uint64_t n = range_piece(gva, bytes, x->moved, PAGE_SHIFT_4K), gpa, t0 = xfer_now(x), t1;
		int status = xfer_translate(x, gva + x->moved, &gpa);

		t1 = xfer_now(x);
		x->t->translate += t1 - t0;
		if (status != PG_DB_OK)
			return status;
		status = xfer_copy(x, gpa, x->moved, n);
		x->t->copy += xfer_now(x) - t1;
		if (status != PG_DB_OK)
			return status;
		x->moved += n;
	}
	return PG_DB_OK;
}

int xfer_copy_pages(struct xfer *x, const uint64_t *gpas, uint64_t offset, uint64_t n)
{
	assert(offset < PAGE_SIZE_4K);
	for (uint64_t done = 0, i = 0; done < n; i++) {
		uint64_t chunk = range_piece(offset, n, done, PAGE_SHIFT_4K);
		int status = xfer_copy(x, gpas[i] + ((offset + done) & (PAGE_SIZE_4K - 1)), x->moved, chunk);

		if (status != PG_DB_OK)
			return status;
		x->moved += chunk;
		done += chunk;
	}
	return PG_DB_OK;
}

/* Segments an input of `total` bytes may take: two per 4 KiB (a piece straddling
 * pages), and some slack; more means a guest sending crumbs from scattered places. */
static uint32_t iov_limit(uint64_t total)
{
	uint64_t limit = total / 2048 + 64;

	return limit < UINT32_MAX ? (uint32_t)limit : UINT32_MAX;
}

/* Start a new operation of `total` input bytes: nothing of the last one survives (its
 * input length, segment lists, output, delivery).  Nothing is allocated yet: the input
 * buffer grows as SENDs fill it, so no doorbell pays for bytes it does not bring. */
static void op_start(struct engine *e, struct op_state *op, uint64_t total)
{
	op->delivery = e->delivery;
	op->in_len = 0;
	op->in_iov.n = op->piece.n = 0;
	op->in_iov.limit = iov_limit(total);
	op->out.len = op->out_pos = 0;
	op->out.deferred = false;
	op->in_total = total;
	op->phase = OP_SENDING;
}

/* The SEND continues the input being sent (else it starts a new operation). */
static bool continues_input(const struct op_state *op, const struct doorbell *db)
{
	return op->phase == OP_SENDING && db->total == op->in_total && op->in_len < op->in_total;
}

static bool same_doorbell(const struct doorbell *a, const struct doorbell *b)
{
	return a->state == b->state && a->addr == b->addr && a->bytes == b->bytes && a->total == b->total &&
	       a->op == b->op && a->extra == b->extra;
}

/* Whether this doorbell resumes the one answered RETRY; it disarms that RETRY either way
 * (its progress stays readable in e->retry for the resumed move). */
static bool take_retry(struct engine *e, const struct transport_ops *t, const struct doorbell *db)
{
	bool resume = e->retry.armed && e->retry.transport == t->id && same_doorbell(&e->retry.db, db);

	e->retry.armed = false;
	return resume;
}

static void count_produced(struct engine *e, uint64_t bytes)
{
	e->t.produced += bytes;
	e->doorbell_produced += bytes;
}

/* A RECEIVE of a deferred output: the device writes bytes [offset, offset + n) into the
 * segments (iov delivery: the guest's pages; copy: the bounce buffer); timed as handler. */
static int fill(struct engine *e, struct op_state *op, uint64_t offset, const struct iovec *iov, uint32_t n)
{
	uint64_t t0 = e->timing ? __builtin_ia32_rdtsc() : 0;
	int rc = n ? devices_fill(op->id, offset, iov, n) : 0;

	if (e->timing)
		e->t.handler += __builtin_ia32_rdtsc() - t0;
	for (uint32_t i = 0; i < n && !rc; i++)
		count_produced(e, iov[i].iov_len);
	if (rc)
		warn(e, "device %s failed to fill op %u's output at byte %llu", devices_name(op->id), op->id,
		     (unsigned long long)offset);
	return rc ? PG_DB_EHANDLER : PG_DB_OK;
}

/* Move db->bytes between the guest and the host buffer at `host`, or — iov delivery —
 * record the guest's segments in op->piece (a RECEIVE has the device fill them).  From
 * e->retry.done on if `resume`; a RETRY answer records how far it got. */
static int move(struct engine *e, struct vcpu *v, const struct transport_ops *t, struct op_state *op,
		const struct doorbell *db, uint8_t *host, bool resume)
{
	bool to_guest = db->state == PG_DB_RECEIVE;
	struct xfer x = { .v = v, .method = e->method, .to_guest = to_guest, .host = host, .t = &e->t,
			  .timing = e->timing, .skip = resume ? e->retry.done : 0 };
	int status;

	assert(x.skip < db->bytes || !resume);
	if (!host) {
		x.iov = &op->piece;
		if (!resume || to_guest) /* a RECEIVE fills what each doorbell found at once */
			op->piece.n = 0;
		op->piece.limit = iov_limit(db->bytes);
	}
	status = t->move(&x, db);
	if (x.iov && to_guest && (status == PG_DB_OK || status == PG_DB_RETRY)) {
		int rc = fill(e, op, op->out_pos + x.skip, op->piece.v, op->piece.n);

		status = rc != PG_DB_OK ? rc : status;
	}
	if (status != PG_DB_RETRY)
		return status;
	if (resume && x.fault_gva == e->retry.fault_gva && x.moved == e->retry.done) {
		if (++e->retry.repeats > ENGINE_MAX_FAULT_RETRIES) { /* no progress */
			warn(e, "%s: page 0x%llx still absent after %d injected faults", t->name,
			     (unsigned long long)x.fault_gva, ENGINE_MAX_FAULT_RETRIES);
			return PG_DB_EAGAIN;
		}
	} else {
		e->retry.repeats = 1;
	}
	e->retry.fault_gva = x.fault_gva;
	e->retry.done = x.moved;
	e->t.faults++;
	vcpu_inject_page_fault(v, x.fault_gva, x.to_guest);
	return PG_DB_RETRY;
}

/* iov delivery: the doorbell's segments join the input's. */
static int append_piece(struct op_state *op)
{
	for (uint32_t i = 0; i < op->piece.n; i++)
		if (iov_add(&op->in_iov, op->piece.v[i].iov_base, op->piece.v[i].iov_len))
			return -1;
	return 0;
}

static int do_send(struct engine *e, struct vcpu *v, const struct transport_ops *t, struct op_state *op,
		   const struct doorbell *db, bool resume)
{
	int status;

	assert(!resume || continues_input(op, db)); /* nothing happened since its RETRY */
	if (!continues_input(op, db)) {
		if (db->total > e->max_op_bytes) {
			warn(e, "%s: operation of %llu bytes exceeds the limit of %llu", t->name,
			     (unsigned long long)db->total, (unsigned long long)e->max_op_bytes);
			return PG_DB_ENOMEM;
		}
		op_start(e, op, db->total);
	}
	if (db->bytes == 0 || db->bytes > t->max_bytes_per_doorbell || db->bytes > op->in_total - op->in_len) {
		warn(e, "%s: SEND of %llu bytes with %llu of %llu already in (at most %llu per doorbell)",
		     t->name, (unsigned long long)db->bytes, (unsigned long long)op->in_len,
		     (unsigned long long)op->in_total, (unsigned long long)t->max_bytes_per_doorbell);
		return PG_DB_EINVAL;
	}
	if (op->delivery == DELIVER_COPY && grow(&op->in, &op->in_cap, op->in_len + db->bytes, e->fresh_byte))
		return PG_DB_ENOMEM;
	status = move(e, v, t, op, db, op->delivery == DELIVER_COPY ? op->in + op->in_len : NULL, resume);
	if (status == PG_DB_OK && op->delivery == DELIVER_IOV && append_piece(op)) {
		warn(e, "%s: op %u's input is in more than %u separate pieces of guest memory", t->name, op->id,
		     op->in_iov.limit);
		status = PG_DB_ENOMEM;
	}
	if (status == PG_DB_OK)
		op->in_len += db->bytes;
	return status;
}

/* Bytes the input's segments hold: with iov delivery, what the device will read. */
static uint64_t iov_bytes(const struct iov_list *l)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < l->n; i++)
		n += l->v[i].iov_len;
	return n;
}

static int do_execute(struct engine *e, struct op_state *op, uint64_t *out_len)
{
	uint64_t t0 = e->timing ? __builtin_ia32_rdtsc() : 0;
	struct iovec copied = { op->in, op->in_len };
	struct pg_device_input input = { &copied, 1, op->in_len };
	int rc;

	if (op->phase != OP_SENDING || op->in_len != op->in_total) {
		warn(e, "EXECUTE of op %u before its input is complete (%llu of %llu bytes sent)", op->id,
		     op->phase == OP_SENDING ? (unsigned long long)op->in_len : 0ull,
		     op->phase == OP_SENDING ? (unsigned long long)op->in_total : 0ull);
		return PG_DB_ESTATE;
	}
	if (op->delivery == DELIVER_IOV)
		input = (struct pg_device_input){ op->in_iov.v, op->in_iov.n, op->in_len };
	assert(op->delivery == DELIVER_COPY || iov_bytes(&op->in_iov) == op->in_len);
	op->out.limit = op->in_len > ENGINE_EXECUTE_OUTPUT_MIN ? op->in_len : ENGINE_EXECUTE_OUTPUT_MIN;
	op->out.limit = op->out.limit < e->max_op_bytes ? op->out.limit : e->max_op_bytes;
	op->out.defer_limit = e->max_op_bytes;
	op->out.fresh = e->fresh_byte;
	op->out.len = op->out_pos = 0;
	op->out.deferred = false;
	op->out.writer.defer = devices_can_fill(op->id) ? op_output_defer : NULL;
	rc = devices_execute(op->id, &input, &op->out.writer);
	op->phase = rc ? OP_IDLE : OP_EXECUTED;
	if (e->timing)
		e->t.handler += __builtin_ia32_rdtsc() - t0;
	if (rc) {
		warn(e, "device %s failed op %u", devices_name(op->id), op->id);
		return PG_DB_EHANDLER;
	}
	if (!op->out.deferred)
		count_produced(e, op->out.len);
	if (op->id == PG_OP_SINK && op->out.len == sizeof(e->checksum) && !op->out.deferred)
		memcpy(&e->checksum, op->out.data, sizeof(e->checksum));
	*out_len = op->out.len;
	return PG_DB_OK;
}

/* Where a RECEIVE's `part` comes from: the output buffer; for a deferred output with copy
 * delivery the bounce buffer, which the device fills now (from `skip` on); NULL with iov
 * delivery (move() has the device fill the guest's pages).  PG_DB_OK or an error. */
static int output_source(struct engine *e, struct op_state *op, const struct doorbell *part, uint64_t skip,
			 uint8_t **host)
{
	struct iovec rest;

	*host = NULL;
	if (!op->out.deferred) {
		*host = op->out.data + op->out_pos;
		return PG_DB_OK;
	}
	if (op->delivery == DELIVER_IOV)
		return PG_DB_OK;
	if (grow(&op->out.data, &op->out.cap, part->bytes, op->out.fresh))
		return PG_DB_ENOMEM;
	rest = (struct iovec){ op->out.data + skip, part->bytes - skip };
	*host = op->out.data;
	return fill(e, op, op->out_pos + skip, &rest, 1);
}

static int do_receive(struct engine *e, struct vcpu *v, const struct transport_ops *t, struct op_state *op,
		      const struct doorbell *db, uint64_t *moved, bool resume)
{
	struct doorbell part = *db;
	uint8_t *host;
	int status;

	if (op->phase != OP_EXECUTED) {
		warn(e, "%s: RECEIVE of op %u before EXECUTE", t->name, op->id);
		return PG_DB_ESTATE;
	}
	if (db->bytes == 0 || db->bytes > t->max_bytes_per_doorbell) {
		warn(e, "%s: RECEIVE room of %llu bytes (at most %llu per doorbell)", t->name,
		     (unsigned long long)db->bytes, (unsigned long long)t->max_bytes_per_doorbell);
		return PG_DB_EINVAL;
	}
	*moved = 0;
	if (op->out_pos == op->out.len && op->out.len) {
		warn(e, "%s: RECEIVE of op %u past its %llu output bytes", t->name, op->id,
		     (unsigned long long)op->out.len);
		return PG_DB_ESTATE;
	}
	part.bytes = op->out.len - op->out_pos < db->bytes ? op->out.len - op->out_pos : db->bytes;
	if (!part.bytes)
		status = PG_DB_OK;
	else if ((status = output_source(e, op, &part, resume ? e->retry.done : 0, &host)) == PG_DB_OK)
		status = move(e, v, t, op, &part, host, resume);
	if (status == PG_DB_OK) {
		op->out_pos += part.bytes;
		*moved = part.bytes;
		if (op->out_pos == op->out.len)
			op->phase = OP_IDLE; /* all of it delivered: the operation is over */
	}
	return status;
}

/* Host KVM_RUN -> guest resumed after a doorbell (that run must have begun right after
 * it, and the guest's stamp must fall inside it, or the window's clocks are unrelated). */
static void add_entry_leg(struct engine *e, struct vcpu *v, uint64_t guest_tsc)
{
	uint64_t host;

	if (vcpu_stamp_in_run(v, guest_tsc, &host))
		e->t.entry += host - v->t_enter;
	else
		e->t.clock_outside++;
}

/* Exit and entry legs, and the fault stage when this doorbell retries an injected fault. */
static void account_arrival(struct engine *e, struct vcpu *v, const struct doorbell *db, bool after_fault,
			    bool adjacent)
{
	e->t.doorbells++;
	uint64_t host;

	if (!e->timing || !v->has_tsc_offset)
		return;
	if (after_fault && adjacent)
		e->t.fault += v->t_exit - v->t_enter;
	else if (db->guest_tsc && vcpu_stamp_in_run(v, db->guest_tsc, &host))
		e->t.exit += v->t_exit - host;
	else if (db->guest_tsc)
		e->t.clock_outside++;
	if (db->guest_prev_tsc && adjacent && !after_fault)
		add_entry_leg(e, v, db->guest_prev_tsc);
}

/* The own-port transports' cumulative counters, summed. */
static struct stage_times own_port_counters(struct engine *e)
{
	struct stage_times t = { 0 };

	for (int i = 0; transports[i]; i++)
		if (transports[i]->counters)
			transports[i]->counters(e, &t);
	return t;
}

void engine_end_window(struct engine *e, struct vcpu *v, uint64_t guest_tsc)
{
	struct stage_times now = own_port_counters(e);

	if (e->timing && v->has_tsc_offset && v->exits == e->last_doorbell_exit + 1)
		add_entry_leg(e, v, guest_tsc);
	if (!vcpu_clocks_related(v)) /* this VM's clocks failed a check before: nothing mixes them */
		e->t.clock_outside++;
	e->t.requests += now.requests - e->counters_base.requests;
	e->t.kicks += now.kicks - e->counters_base.kicks;
	e->t.rounds += now.rounds - e->counters_base.rounds;
	e->t.io_busy += now.io_busy - e->counters_base.io_busy;
	e->t.io_sleep += now.io_sleep - e->counters_base.io_sleep;
	e->t.pages += now.pages - e->counters_base.pages;
	e->t.interrupts += now.interrupts - e->counters_base.interrupts;
	e->counters_base = now;
}

/* The operation with this id (any 64-bit value the guest puts in R9), or NULL if no
 * device serves it; the id is narrowed only once it is known to be in the table. */
static struct op_state *op_of(struct engine *e, uint64_t op_id)
{
	if (op_id > PG_DEVICE_MAX_OP || (op_id != PG_OP_NULL && !devices_serve((uint32_t)op_id)))
		return NULL;
	e->ops[op_id].id = (uint32_t)op_id;
	return &e->ops[op_id];
}

/* Run one decoded doorbell; the status, with *moved and *total for the guest. */
static int serve(struct engine *e, struct vcpu *v, const struct transport_ops *t, const struct doorbell *db,
		 bool resume, uint64_t *moved, uint64_t *total)
{
	struct op_state *op = op_of(e, db->op);

	if (!op) {
		warn(e, "%s: unknown operation id %llu", t->name, (unsigned long long)db->op);
		return PG_DB_ENOOP;
	}
	if (op->id == PG_OP_NULL) {
		*moved = 0;
		return PG_DB_OK;
	}
	switch (db->state) {
	case PG_DB_SEND:
		return do_send(e, v, t, op, db, resume);
	case PG_DB_EXECUTE:
		return do_execute(e, op, total);
	case PG_DB_RECEIVE: {
		int status = do_receive(e, v, t, op, db, moved, resume);

		*total = op->out.len;
		return status;
	}
	default:
		warn(e, "%s: unknown state %llu", t->name, (unsigned long long)db->state);
		return PG_DB_EINVAL;
	}
}

static enum exit_action doorbell_io(struct vcpu *v, struct io_access *a, void *ctx)
{
	struct engine *e = ctx;
	const struct transport_ops *t = transport_by_id((unsigned)(a->addr - PG_DB_PORT(0)));
	struct kvm_regs *r = vcpu_regs(v);
	struct doorbell db = { r->rax, r->rdi, r->rsi, r->r8, r->r9, r->rcx, r->r10, r->r11 };
	uint64_t moved = db.bytes, total = db.total, warnings = e->warnings;
	bool resume;
	int status;

	if (!a->write)
		return EXIT_CONTINUE;
	resume = take_retry(e, t, &db);
	account_arrival(e, v, &db, resume, v->exits == e->last_doorbell_exit + 1);
	e->last_doorbell_exit = v->exits;
	e->doorbell_produced = 0;
	status = serve(e, v, t, &db, resume, &moved, &total);
	if (status == PG_DB_RETRY) {
		e->retry.armed = true;
		e->retry.transport = t->id;
		e->retry.db = db;
	}
	if (status != PG_DB_OK && status != PG_DB_RETRY && e->warnings == warnings)
		warn(e, "%s: op %llu state %llu answered %s", t->name, (unsigned long long)db.op,
		     (unsigned long long)db.state, db_status_name(status));
	if (e->doorbell_produced > e->peak_produced)
		e->peak_produced = e->doorbell_produced;
	r->rax = (uint64_t)status;
	r->rsi = status == PG_DB_OK ? moved : 0;
	r->r8 = total;
	vcpu_regs_dirty(v);
	return EXIT_CONTINUE;
}

void engine_init(struct engine *e, struct vm *vm)
{
	char err[512];

	memset(e, 0, sizeof(*e));
	e->vm = vm;
	e->timing = true;
	e->max_op_bytes = ENGINE_MAX_OP_BYTES;
	e->ops = calloc(PG_DEVICE_MAX_OP + 1, sizeof(*e->ops));
	for (int i = 0; i <= PG_DEVICE_MAX_OP; i++)
		e->ops[i].out.writer.reserve = op_output_reserve;
	if (devices_add_builtins(err, sizeof(err))) {
		fprintf(stderr, "pagegate: %s\n", err);
		exit(2);
	}
	for (int i = 0; transports[i]; i++)
		vm_register_io(vm, false, PG_DB_PORT(transports[i]->id), 1,
			       transports[i]->own_port ? transports[i]->own_port : doorbell_io, e, transports[i]->name);
}

void engine_reserve(struct engine *e, uint64_t bytes)
{
	bytes = bytes < e->max_op_bytes ? bytes : e->max_op_bytes;
	for (int i = 1; i <= PG_DEVICE_MAX_OP; i++) {
		struct op_state *op = &e->ops[i];

		if (!devices_serve((uint32_t)i))
			continue;
		if (grow(&op->in, &op->in_cap, bytes, e->fresh_byte) == 0)
			memset(op->in, 0, bytes);
		if (iov_reserve(&op->in_iov, iov_limit(bytes)) == 0 && iov_reserve(&op->piece, iov_limit(bytes)) == 0) {
			memset(op->in_iov.v, 0, op->in_iov.cap * sizeof(struct iovec));
			memset(op->piece.v, 0, op->piece.cap * sizeof(struct iovec));
		}
		if (grow(&op->out.data, &op->out.cap, bytes, e->fresh_byte) == 0)
			memset(op->out.data, 0, bytes);
	}
}

void engine_fini(struct engine *e)
{
	for (int i = 0; transports[i]; i++)
		if (transports[i]->fini)
			transports[i]->fini(e);
	for (int i = 0; i <= PG_DEVICE_MAX_OP; i++) {
		free(e->ops[i].in);
		free(e->ops[i].in_iov.v);
		free(e->ops[i].piece.v);
		free(e->ops[i].out.data);
	}
	free(e->ops);
}

void engine_reset_stats(struct engine *e)
{
	memset(&e->t, 0, sizeof(e->t));
	e->counters_base = own_port_counters(e);
}

const struct transport_ops *transport_by_id(unsigned id)
{
	for (int i = 0; transports[i]; i++)
		if (transports[i]->id == id)
			return transports[i];
	return NULL;
}

const struct transport_ops *transport_by_name(const char *name)
{
	for (int i = 0; transports[i]; i++)
		if (!strcmp(transports[i]->name, name))
			return transports[i];
	return NULL;
}

const char *db_status_name(int status)
{
	static const char *const names[] = { "OK", "RETRY", "EINVAL", "EFAULT", "ENOOP",
					     "ESTATE", "ENOMEM", "EAGAIN", "EHANDLER" };

	return status >= 0 && status < (int)(sizeof(names) / sizeof(names[0])) ? names[status] : "?";
}
