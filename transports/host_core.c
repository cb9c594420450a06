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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../vmm-min/ptwalk.h"
#include "../vmm-min/x86.h"
#include "../devices/registry.h"
#include "transport.h"

enum op_phase { OP_IDLE, OP_SENDING, OP_EXECUTED };

/* An operation's output buffer, grown on demand up to a limit. */
struct op_output {
	struct pg_device_output writer; /* what the device sees */
	uint8_t *data;
	uint64_t len, cap, limit;
	bool deferred; /* iov delivery: the device's fill() writes it at RECEIVE */
};

static uint8_t *op_output_reserve(struct pg_device_output *w, uint64_t len)
{
	struct op_output *out = (struct op_output *)w;

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
	out->deferred = false;
	return out->data;
}

static int op_output_defer(struct pg_device_output *w, uint64_t len)
{
	struct op_output *out = (struct op_output *)w;

	if (len > out->limit)
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
	enum op_phase phase;
	enum delivery delivery; /* fixed when the operation starts */
	uint8_t *in;            /* copy delivery: the input */
	uint64_t in_total, in_len, in_cap;
	struct iov_list in_iov; /* iov delivery: the input's guest segments */
	struct iov_list piece;  /* iov delivery: the segments of the doorbell being moved */
	struct op_output out;
	uint64_t out_pos;
	/* a doorbell interrupted by RETRY, and how far it got */
	bool has_pending;
	struct doorbell pending;
	uint64_t pending_done;
	uint64_t last_fault_gva;
	unsigned fault_repeats;
};

static void __attribute__((format(printf, 2, 3))) warn(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	e->warnings++;
	if (e->warnings > 10 && e->warnings % 1000)
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
	uint8_t *g = gmem_ptr(&x->v->vm->mem, gpa, n);

	if (!g || gpa < PG_GUEST_LOAD_MIN) /* the VMM's boot area is never a transfer's */
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
	for (x->moved = x->skip; x->moved < bytes;) {
		uint64_t va = gva + x->moved, n = 4096 - (va & 4095), gpa, t0 = xfer_now(x), t1;
		int status = xfer_translate(x, va, &gpa);

		t1 = xfer_now(x);
		x->t->translate += t1 - t0;
		if (status != PG_DB_OK)
			return status;
		n = n < bytes - x->moved ? n : bytes - x->moved;
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
	for (uint64_t i = 0; n; i++) {
		uint64_t chunk = 4096 - offset < n ? 4096 - offset : n;
		int status = xfer_copy(x, gpas[i] + offset, x->moved, chunk);

		if (status != PG_DB_OK)
			return status;
		x->moved += chunk;
		n -= chunk;
		offset = 0;
	}
	return PG_DB_OK;
}

/* Segments an input of `total` bytes may take: two per 4 KiB (a piece straddling
 * pages), and some slack; more means a guest sending crumbs from scattered places. */
static uint64_t iov_limit(uint64_t total)
{
	return total / 2048 + 64;
}

static int reserve_input(struct op_state *op, uint64_t total, enum delivery delivery)
{
	if (delivery == DELIVER_COPY && total > op->in_cap) {
		uint8_t *grown = realloc(op->in, total);

		if (!grown)
			return -1;
		op->in = grown;
		op->in_cap = total;
	}
	op->delivery = delivery;
	op->in_iov.n = 0;
	op->in_iov.limit = (uint32_t)iov_limit(total);
	op->in_total = total;
	op->in_len = 0;
	op->phase = OP_SENDING;
	return 0;
}

static bool same_request(const struct doorbell *a, const struct doorbell *b)
{
	return a->state == b->state && a->addr == b->addr && a->bytes == b->bytes && a->extra == b->extra;
}

/* iov delivery, RECEIVE: the device writes the segments move() found; timed as handler. */
static int fill_pieces(struct engine *e, const struct doorbell *db, struct op_state *op, uint64_t offset)
{
	uint64_t t0 = e->timing ? __builtin_ia32_rdtsc() : 0;
	int rc = op->piece.n ? devices_fill((uint32_t)db->op, offset, op->piece.v, op->piece.n) : 0;

	if (e->timing)
		e->t.handler += __builtin_ia32_rdtsc() - t0;
	if (rc)
		warn(e, "device %s failed to fill op %llu's output at byte %llu", devices_name((uint32_t)db->op),
		     (unsigned long long)db->op, (unsigned long long)offset);
	return rc ? PG_DB_EHANDLER : PG_DB_OK;
}

/* Move db->bytes between the guest and the host buffer at `host`, or — iov delivery —
 * record the guest's segments in op->piece (a RECEIVE has the device fill them). */
static int move(struct engine *e, struct vcpu *v, const struct transport_ops *t, struct op_state *op,
		const struct doorbell *db, uint8_t *host)
{
	bool resume = op->has_pending && same_request(&op->pending, db), to_guest = db->state == PG_DB_RECEIVE;
	struct xfer x = { .v = v, .method = e->method, .to_guest = to_guest, .host = host, .t = &e->t,
			  .timing = e->timing };
	int status;

	if (!host) {
		x.iov = &op->piece;
		if (!resume || to_guest) /* a RECEIVE fills what each doorbell found at once */
			op->piece.n = 0;
		op->piece.limit = (uint32_t)iov_limit(db->bytes);
	}
	x.skip = resume ? op->pending_done : 0;
	op->has_pending = false;
	status = t->move(&x, db);
	if (x.iov && to_guest && (status == PG_DB_OK || status == PG_DB_RETRY)) {
		int rc = fill_pieces(e, db, op, op->out_pos + x.skip);

		status = rc != PG_DB_OK ? rc : status;
	}
	if (status != PG_DB_RETRY) {
		op->fault_repeats = 0; /* repeats count only while a doorbell makes no progress */
		op->last_fault_gva = ~0ull;
		return status;
	}
	if (x.fault_gva == op->last_fault_gva && x.moved == op->pending_done) {
		if (++op->fault_repeats > ENGINE_MAX_FAULT_RETRIES) {
			warn(e, "%s: page 0x%llx still absent after %d injected faults", t->name,
			     (unsigned long long)x.fault_gva, ENGINE_MAX_FAULT_RETRIES);
			return PG_DB_EAGAIN;
		}
	} else {
		op->fault_repeats = 1;
	}
	op->last_fault_gva = x.fault_gva;
	op->has_pending = true;
	op->pending = *db;
	op->pending_done = x.moved;
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
		   const struct doorbell *db)
{
	int status;

	if (op->phase != OP_SENDING || db->total != op->in_total || op->in_len == op->in_total) {
		if (db->total > e->max_op_bytes) {
			warn(e, "%s: operation of %llu bytes exceeds the limit of %llu", t->name,
			     (unsigned long long)db->total, (unsigned long long)e->max_op_bytes);
			return PG_DB_ENOMEM;
		}
		if (reserve_input(op, db->total, e->delivery))
			return PG_DB_ENOMEM;
	}
	if (db->bytes == 0 || db->bytes > t->max_bytes_per_doorbell || db->bytes > op->in_total - op->in_len) {
		warn(e, "%s: SEND of %llu bytes with %llu of %llu already in (at most %llu per doorbell)",
		     t->name, (unsigned long long)db->bytes, (unsigned long long)op->in_len,
		     (unsigned long long)op->in_total, (unsigned long long)t->max_bytes_per_doorbell);
		return PG_DB_EINVAL;
	}
	status = move(e, v, t, op, db, op->delivery == DELIVER_COPY ? op->in + op->in_len : NULL);
	if (status == PG_DB_OK && op->delivery == DELIVER_IOV && append_piece(op)) {
		warn(e, "%s: op %llu's input is in more than %u separate pieces of guest memory", t->name,
		     (unsigned long long)db->op, op->in_iov.limit);
		status = PG_DB_ENOMEM;
	}
	if (status == PG_DB_OK)
		op->in_len += db->bytes;
	return status;
}

static int do_execute(struct engine *e, struct op_state *op, uint64_t op_id, uint64_t *out_len)
{
	uint64_t t0 = e->timing ? __builtin_ia32_rdtsc() : 0;
	struct iovec copied = { op->in, op->in_len };
	struct pg_device_input input = { &copied, 1, op->in_len };
	int rc;

	if (op->phase != OP_SENDING || op->in_len != op->in_total) {
		warn(e, "EXECUTE of op %llu before its input is complete (%llu of %llu bytes sent)",
		     (unsigned long long)op_id, op->phase == OP_SENDING ? (unsigned long long)op->in_len : 0ull,
		     op->phase == OP_SENDING ? (unsigned long long)op->in_total : 0ull);
		return PG_DB_ESTATE;
	}
	if (op->delivery == DELIVER_IOV)
		input = (struct pg_device_input){ op->in_iov.v, op->in_iov.n, op->in_len };
	op->out.limit = e->max_op_bytes;
	op->out.len = 0;
	op->out.deferred = false;
	op->out.writer.defer = op->delivery == DELIVER_IOV && devices_can_fill((uint32_t)op_id) ? op_output_defer : NULL;
	rc = devices_execute((uint32_t)op_id, &input, &op->out.writer);
	op->phase = rc ? OP_IDLE : OP_EXECUTED;
	op->out_pos = 0;
	if (e->timing)
		e->t.handler += __builtin_ia32_rdtsc() - t0;
	if (rc) {
		warn(e, "device %s failed op %llu", devices_name((uint32_t)op_id), (unsigned long long)op_id);
		return PG_DB_EHANDLER;
	}
	if (op_id == PG_OP_SINK && op->out.len == sizeof(e->checksum) && !op->out.deferred)
		memcpy(&e->checksum, op->out.data, sizeof(e->checksum));
	*out_len = op->out.len;
	return PG_DB_OK;
}

static int do_receive(struct engine *e, struct vcpu *v, const struct transport_ops *t, struct op_state *op,
		      const struct doorbell *db, uint64_t *moved)
{
	struct doorbell part = *db;
	int status;

	if (op->phase != OP_EXECUTED) {
		warn(e, "%s: RECEIVE of op %llu before EXECUTE", t->name, (unsigned long long)db->op);
		return PG_DB_ESTATE;
	}
	if (db->bytes == 0 || db->bytes > t->max_bytes_per_doorbell) {
		warn(e, "%s: RECEIVE room of %llu bytes (at most %llu per doorbell)", t->name,
		     (unsigned long long)db->bytes, (unsigned long long)t->max_bytes_per_doorbell);
		return PG_DB_EINVAL;
	}
	*moved = 0;
	if (op->out_pos == op->out.len && op->out.len) {
		warn(e, "%s: RECEIVE of op %llu past its %llu output bytes", t->name, (unsigned long long)db->op,
		     (unsigned long long)op->out.len);
		return PG_DB_ESTATE;
	}
	part.bytes = op->out.len - op->out_pos < db->bytes ? op->out.len - op->out_pos : db->bytes;
	status = part.bytes ? move(e, v, t, op, &part, op->out.deferred ? NULL : op->out.data + op->out_pos) : PG_DB_OK;
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

void engine_end_window(struct engine *e, struct vcpu *v, uint64_t guest_tsc)
{
	if (e->timing && v->has_tsc_offset && v->exits == e->last_doorbell_exit + 1)
		add_entry_leg(e, v, guest_tsc);
}

static enum exit_action doorbell_io(struct vcpu *v, struct io_access *a, void *ctx)
{
	struct engine *e = ctx;
	const struct transport_ops *t = transport_by_id((unsigned)(a->addr - PG_DB_PORT(0)));
	struct kvm_regs *r = vcpu_regs(v);
	struct doorbell db = { r->rax, r->rdi, r->rsi, r->r8, r->r9, r->rcx, r->r10, r->r11 };
	struct op_state *op = db.op == PG_OP_NULL || devices_serve((uint32_t)db.op) ? &e->ops[db.op] : NULL;
	uint64_t moved = db.bytes, total = db.total;
	int status;

	if (!a->write)
		return EXIT_CONTINUE;
	account_arrival(e, v, &db, op && op->has_pending, v->exits == e->last_doorbell_exit + 1);
	e->last_doorbell_exit = v->exits;
	if (!op) {
		warn(e, "%s: unknown operation id %llu", t->name, (unsigned long long)db.op);
		status = PG_DB_ENOOP;
	} else if (db.op == PG_OP_NULL) {
		status = PG_DB_OK;
		moved = 0;
	} else if ((db.state == PG_DB_SEND || db.state == PG_DB_RECEIVE) && db.addr + db.bytes < db.addr) {
		warn(e, "%s: range 0x%llx + %llu wraps around", t->name, (unsigned long long)db.addr,
		     (unsigned long long)db.bytes);
		status = PG_DB_EINVAL;
	} else if (db.state == PG_DB_SEND) {
		status = do_send(e, v, t, op, &db);
	} else if (db.state == PG_DB_EXECUTE) {
		status = do_execute(e, op, db.op, &total);
	} else if (db.state == PG_DB_RECEIVE) {
		status = do_receive(e, v, t, op, &db, &moved);
		total = op->out.len;
	} else {
		warn(e, "%s: unknown state %llu", t->name, (unsigned long long)db.state);
		status = PG_DB_EINVAL;
	}
	if (status != PG_DB_OK && status != PG_DB_RETRY && status != PG_DB_ENOOP && status != PG_DB_EINVAL)
		warn(e, "%s: op %llu state %llu answered %s", t->name, (unsigned long long)db.op,
		     (unsigned long long)db.state, db_status_name(status));
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
		vm_register_io(vm, false, PG_DB_PORT(transports[i]->id), 1, doorbell_io, e, transports[i]->name);
}

void engine_reserve(struct engine *e, uint64_t bytes)
{
	bytes = bytes < e->max_op_bytes ? bytes : e->max_op_bytes;
	for (int i = 1; i <= PG_DEVICE_MAX_OP; i++) {
		struct op_state *op = &e->ops[i];

		if (!devices_serve((uint32_t)i))
			continue;
		if (reserve_input(op, bytes, DELIVER_COPY) == 0)
			memset(op->in, 0, bytes);
		if (iov_reserve(&op->in_iov, iov_limit(bytes)) == 0 && iov_reserve(&op->piece, iov_limit(bytes)) == 0) {
			memset(op->in_iov.v, 0, op->in_iov.cap * sizeof(struct iovec));
			memset(op->piece.v, 0, op->piece.cap * sizeof(struct iovec));
		}
		op->out.limit = bytes;
		if (op_output_reserve(&op->out.writer, bytes))
			memset(op->out.data, 0, bytes);
		op->phase = OP_IDLE;
		op->out.len = 0;
	}
}

void engine_fini(struct engine *e)
{
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
