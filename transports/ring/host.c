/*
 * Host half of the ring transport.  The guest's doorbells on the ring's port set it up,
 * register buffers and reset it (vCPU thread, through the engine's own-port hook); from
 * set-up on, a host I/O thread — pinned with hwloc to a PU other than the vCPU's — serves
 * the rings with no VM exit (set-up returns only once the thread is pinned and looking at
 * the ring, so no request waits for a thread to start): it polls the available index, reads each request's chain
 * (chain.c: copied once, validated, resolved), runs the request's device in copy or iov
 * delivery, writes the status and the used element, and publishes the used index with
 * release ordering.  When the ring is empty it spins (poll), sleeps on an eventfd bound
 * to the port by KVM_IOEVENTFD (kick: a kick then never leaves KVM), or spins for a
 * budget and then sleeps (adaptive); before sleeping it asks for a kick through
 * avail_event (EVENT_IDX) and looks once more.  With interrupt completion, after each
 * round it signals an eventfd ("call") when used_event asks (EVENT_IDX), and the ring
 * holds the VM's halt hook: a halted vCPU waits on that eventfd — never longer than
 * RING_HALT_MAX_MS, not at all with nothing in flight — and then gets PG_NOTIFY_VECTOR.
 * Counters (requests, kicks, rounds, time serving and time asleep, interrupts) feed the
 * stage times of the session's window.
 */
#include <assert.h>
#include <errno.h>
#include <hwloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "../../devices/registry.h"
#include "../../vmm-min/ptwalk.h"
#include "../../vmm-min/range.h"
#include "../transport.h"
#include "chain.h"
#include "ring.h"

#define RING_SPIN_MAX_NS 1000000000ull /* a spin budget above 1 s is refused */
#define RING_SLEEP_MS 20                /* a sleeping thread looks at `stop` this often */
#define RING_HALT_MAX_MS 20             /* longest a halted vCPU waits for a completion */
/* One registration: the guest's whole buffer region at most (2 MiB of page addresses on
 * the host, one walk per page on the doorbell that registers it). */
#define RING_REGISTER_MAX_BYTES (1ull << 30)

struct ring_counters {
	_Atomic uint64_t requests, kicks, rounds, busy, sleep, errors;
	_Atomic uint64_t pages; /* translated by the chain reader (chain.h) */
	uint64_t interrupts; /* the vCPU thread's: injected at a halt */
};

struct ring_host {
	struct engine *e;
	struct vcpu *v;
	hwloc_topology_t topo; /* loaded once, on the first set-up (it takes milliseconds) */
	bool topo_loaded;
	pthread_t thread;
	bool running; /* the thread exists (changed on the vCPU thread only) */
	atomic_bool stop;
	int kick_fd;
	int call_fd; /* interrupt completion: the I/O thread signals, the halted vCPU waits */
	struct ring_mem rm;
	struct ring_space sp;
	enum ring_notify notify;
	enum ring_complete complete;
	uint64_t spin_ticks;
	enum delivery delivery;
	uint64_t max_bytes;
	uint16_t last_avail, used_idx;
	struct ring_request req;
	uint8_t *in_buf, *out_buf; /* copy delivery: max_bytes each */
	struct ring_counters n;
	uint64_t warnings;
};

static void ring_warn(struct ring_host *h, const char *what, uint64_t value)
{
	if (h->warnings++ < 10 || h->warnings % 1000 == 0)
		fprintf(stderr, "pagegate: ring: %s (%llu; rejection #%llu)\n", what, (unsigned long long)value,
			(unsigned long long)h->warnings);
}

/* Ring fields, at the offsets ring.h defines; none straddles a page (chain.h). */
static _Atomic uint16_t *avail_idx(const struct ring_host *h)
{
	return ring_mem_at(&h->rm, ring_avail_offset(h->rm.q) + 2);
}

static uint16_t avail_entry(const struct ring_host *h, uint16_t i)
{
	return *(volatile uint16_t *)ring_mem_at(&h->rm, ring_avail_offset(h->rm.q) + 4 + 2ull * (i & (h->rm.q - 1)));
}

static _Atomic uint16_t *used_idx(const struct ring_host *h)
{
	return ring_mem_at(&h->rm, ring_used_offset(h->rm.q) + 2);
}

static _Atomic uint16_t *avail_event(const struct ring_host *h)
{
	return ring_mem_at(&h->rm, ring_avail_event_offset(h->rm.q));
}

static _Atomic uint16_t *used_event(const struct ring_host *h)
{
	return ring_mem_at(&h->rm, ring_used_event_offset(h->rm.q));
}

static void put_used(struct ring_host *h, uint32_t id, uint32_t len)
{
	uint64_t at = ring_used_offset(h->rm.q) + 4 + 8ull * (h->used_idx & (h->rm.q - 1));

	*(volatile uint32_t *)ring_mem_at(&h->rm, at) = id;
	*(volatile uint32_t *)ring_mem_at(&h->rm, at + 4) = len;
	h->used_idx++;
	atomic_store_explicit(used_idx(h), h->used_idx, memory_order_release);
}

/* A device's output for one request: at most the request's writable bytes. */
struct ring_writer {
	struct pg_device_output w; /* first: the device sees this */
	struct ring_host *h;
	uint64_t len;
	bool deferred, too_big;
};

static uint8_t *writer_reserve(struct pg_device_output *w, uint64_t len)
{
	struct ring_writer *rw = (struct ring_writer *)w;

	if (len > rw->h->req.out.bytes) {
		rw->too_big = true;
		return NULL;
	}
	memset(rw->h->out_buf, 0, len); /* bytes the device leaves unwritten reach the guest as 0 */
	rw->len = len;
	rw->deferred = false;
	return rw->h->out_buf;
}

static int writer_defer(struct pg_device_output *w, uint64_t len)
{
	struct ring_writer *rw = (struct ring_writer *)w;

	if (len > rw->h->req.out.bytes) {
		rw->too_big = true;
		return -1;
	}
	rw->len = len;
	rw->deferred = true;
	return 0;
}

/* The first `len` bytes of segs (a prefix, cut in place: the request is read anew each
 * time). */
static void trim(struct ring_segs *s, uint64_t len)
{
	uint64_t kept = 0;
	uint32_t i = 0;

	for (; i < s->n && kept < len; i++) {
		if (s->v[i].iov_len > len - kept)
			s->v[i].iov_len = len - kept;
		kept += s->v[i].iov_len;
	}
	s->n = i;
	s->bytes = kept;
}

static uint64_t gather(const struct ring_segs *s, uint8_t *to)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		memcpy(to + n, s->v[i].iov_base, s->v[i].iov_len);
		n += s->v[i].iov_len;
	}
	return n;
}

/* Run the request's device; *written = output bytes now in the guest's buffers. */
static int execute(struct ring_host *h, struct ring_status *st, uint64_t *written)
{
	struct ring_request *r = &h->req;
	struct ring_writer rw = { .w = { writer_reserve, writer_defer, NULL }, .h = h };
	struct iovec copied = { h->in_buf, r->in.bytes };
	struct pg_device_input in = { r->in.v, r->in.n, r->in.bytes };
	uint64_t t0 = __rdtsc(), t1;
	int rc;

	*written = 0;
	if (r->hdr.op == PG_OP_NULL)
		return PG_DB_OK;
	if (h->delivery == DELIVER_COPY) {
		gather(&r->in, h->in_buf);
		in = (struct pg_device_input){ &copied, 1, r->in.bytes };
	}
	if (!devices_can_fill(r->hdr.op))
		rw.w.defer = NULL;
	t1 = __rdtsc();
	st->copy_ticks = t1 - t0;
	rc = devices_execute(r->hdr.op, &in, &rw.w);
	trim(&r->out, rw.len);
	if (!rc && rw.deferred)
		rc = devices_fill(r->hdr.op, 0, h->delivery == DELIVER_IOV ? r->out.v : &(struct iovec){ h->out_buf, rw.len },
				  h->delivery == DELIVER_IOV ? r->out.n : 1);
	st->device_ticks = __rdtsc() - t1;
	if (rc)
		return rw.too_big ? PG_DB_ENOMEM : PG_DB_EHANDLER;
	t1 = __rdtsc();
	if (!rw.deferred || h->delivery == DELIVER_COPY)
		ring_segs_write(&r->out, 0, h->out_buf, rw.len);
	st->copy_ticks += __rdtsc() - t1;
	*written = rw.len;
	return PG_DB_OK;
}

static void serve_one(struct ring_host *h, uint16_t head)
{
	struct ring_status st = { 0 };
	uint64_t picked = __rdtsc(), t1, written = 0;
	int status = ring_read_chain(&h->sp, &h->rm, head, h->max_bytes, &h->req);

	t1 = __rdtsc();
	st.translate_ticks = t1 - picked;
	if (status == PG_DB_OK)
		status = execute(h, &st, &written);
	if (status != PG_DB_OK) {
		atomic_fetch_add_explicit(&h->n.errors, 1, memory_order_relaxed);
		ring_warn(h, "request refused with status", (uint64_t)status);
	}
	st.status = (uint32_t)status;
	st.out_len = written;
	st.picked_tsc = picked + (uint64_t)h->v->tsc_offset;
	st.done_tsc = __rdtsc() + (uint64_t)h->v->tsc_offset;
	if (h->req.status.n)
		ring_segs_write(&h->req.status, 0, &st, sizeof(st));
	atomic_fetch_add_explicit(&h->n.pages, h->req.pages_translated, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->n.requests, 1, memory_order_relaxed); /* counted before the guest sees it */
	put_used(h, head, (uint32_t)written + (h->req.status.n ? (uint32_t)sizeof(st) : 0));
}

/* Serve the requests the guest made available up to index `avail` (read once, with
 * acquire ordering, by the caller).  An index that moved by more than Q is refused: those
 * entries are dropped and nothing is served (false).  Invariant: the used index moves by
 * exactly the number of entries served, at most Q. */
static bool serve_available(struct ring_host *h, uint16_t avail)
{
	uint16_t pending = (uint16_t)(avail - h->last_avail);

	if (pending > h->rm.q) {
		ring_warn(h, "available index jumped by more than Q; entries dropped", pending);
		atomic_fetch_add_explicit(&h->n.errors, 1, memory_order_relaxed);
		h->last_avail = avail;
		return false;
	}
	for (; h->last_avail != avail; h->last_avail++)
		serve_one(h, avail_entry(h, h->last_avail));
	return true;
}

/* Keep the guest from kicking while the thread polls: avail_event far ahead. */
static void no_kicks_please(struct ring_host *h)
{
	atomic_store_explicit(avail_event(h), (uint16_t)(h->last_avail + 0x8000), memory_order_release);
}

/* Interrupt completion, after a round moved the used index from `old`: signal the call
 * eventfd if used_event (the guest's, read once after a full fence, as EVENT_IDX needs)
 * lies in what the round completed. */
static void call_if_asked(struct ring_host *h, uint16_t old)
{
	atomic_thread_fence(memory_order_seq_cst); /* the used index is out before used_event is read */
	if (ring_need_event(atomic_load_explicit(used_event(h), memory_order_relaxed), h->used_idx, old))
		eventfd_write(h->call_fd, 1);
}

/* One serving round up to `avail` (serve_available), then what follows it: the call if
 * used_event asks (interrupt completion), avail_event pushed ahead again (poll
 * notification).  False if nothing was served (the index jumped by more than Q). */
static bool serve_round(struct ring_host *h, uint16_t avail)
{
	uint16_t used_before = h->used_idx;

	if (!serve_available(h, avail))
		return false;
	if (h->complete == RING_COMPLETE_INTERRUPT)
		call_if_asked(h, used_before);
	if (h->notify == RING_NOTIFY_POLL)
		no_kicks_please(h);
	return true;
}

/* Ask for a kick at the next request, look once more, then sleep on the eventfd. */
static void sleep_for_kick(struct ring_host *h)
{
	struct pollfd p = { h->kick_fd, POLLIN, 0 };
	uint64_t kicks, t0 = __rdtsc();

	atomic_store_explicit(avail_event(h), h->last_avail, memory_order_seq_cst);
	if (atomic_load_explicit(avail_idx(h), memory_order_seq_cst) != h->last_avail)
		return;
	if (poll(&p, 1, RING_SLEEP_MS) == 1 && read(h->kick_fd, &kicks, sizeof(kicks)) == sizeof(kicks))
		atomic_fetch_add_explicit(&h->n.kicks, kicks, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->n.sleep, __rdtsc() - t0, memory_order_relaxed);
}

/* Nothing available: spin, sleep, or spin for the budget and then sleep. */
static void wait_for_requests(struct ring_host *h, uint64_t *spun_since)
{
	uint64_t now = __rdtsc();

	if (h->notify == RING_NOTIFY_KICK || (h->notify == RING_NOTIFY_ADAPTIVE && now - *spun_since > h->spin_ticks)) {
		sleep_for_kick(h);
		*spun_since = __rdtsc();
		return;
	}
	_mm_pause();
}

/* The last PU other than the one the calling (vCPU) thread runs on, or NULL (one PU, or
 * no topology). */
static hwloc_obj_t pu_away_from_caller(struct ring_host *h)
{
	int n, vcpu_cpu = sched_getcpu();

	if (!h->topo_loaded) {
		if (hwloc_topology_init(&h->topo))
			return NULL;
		if (hwloc_topology_load(h->topo)) {
			hwloc_topology_destroy(h->topo);
			return NULL;
		}
		h->topo_loaded = true;
	}
	n = hwloc_get_nbobjs_by_type(h->topo, HWLOC_OBJ_PU);
	for (int i = n - 1; i >= 0 && n > 1; i--) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(h->topo, HWLOC_OBJ_PU, (unsigned)i);

		if ((int)pu->os_index != vcpu_cpu)
			return pu;
	}
	return NULL;
}

struct thread_start {
	struct ring_host *h;
	hwloc_obj_t pu; /* where to run, or NULL: anywhere */
	sem_t ready;    /* posted once the thread is pinned, before its first look at the ring */
};

static void *io_thread(void *arg)
{
	struct thread_start *start = arg;
	struct ring_host *h = start->h;
	uint64_t spun_since = __rdtsc();

	if (start->pu) /* the topology is only read here, while the vCPU thread waits on `ready` */
		hwloc_set_cpubind(h->topo, start->pu->cpuset, HWLOC_CPUBIND_THREAD);
	sem_post(&start->ready); /* `start` belongs to the vCPU thread from here on */
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		uint16_t avail = atomic_load_explicit(avail_idx(h), memory_order_acquire);
		uint64_t t0;

		if (avail == h->last_avail) {
			wait_for_requests(h, &spun_since);
			continue;
		}
		t0 = __rdtsc();
		if (!serve_round(h, avail))
			continue;
		atomic_fetch_add_explicit(&h->n.rounds, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->n.busy, __rdtsc() - t0, memory_order_relaxed);
		spun_since = __rdtsc();
	}
	return NULL;
}

/* The area's pages, from the guest's current tables: user, writable, in RAM. */
static int map_area(struct ring_host *h, uint64_t gva, uint32_t q, uint64_t cr3)
{
	const struct guest_mem *m = &h->e->vm->mem;

	for (uint64_t off = 0; off < ring_area_bytes(q); off += 4096) {
		struct pt_walk w;

		if (pt_walk(m, cr3, gva + off, &w) != PTW_OK)
			return PG_DB_EFAULT;
		if (!w.user || !w.writable || !(h->rm.page[off >> 12] = gmem_guest_ptr(m, w.gpa & ~4095ull, 4096)))
			return PG_DB_EFAULT;
	}
	h->rm.q = q;
	return PG_DB_OK;
}

static int bind_kick(struct ring_host *h, bool assign)
{
	struct kvm_ioeventfd io = { .datamatch = RING_KICK, .addr = PG_DB_PORT(RING_ID), .len = 1, .fd = h->kick_fd,
				    .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
					     (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN) };

	return ioctl(h->e->vm->fd, KVM_IOEVENTFD, &io) ? -1 : 0;
}

/* The copy-delivery buffers, both or neither, written once so that no request pays the
 * host's page faults on them (as engine_reserve does for the doorbells).  0, or -1. */
static int buffers_alloc(struct ring_host *h)
{
	h->in_buf = malloc(h->max_bytes);
	h->out_buf = malloc(h->max_bytes);
	if (h->in_buf && h->out_buf) {
		memset(h->in_buf, 0, h->max_bytes);
		memset(h->out_buf, 0, h->max_bytes);
		return 0;
	}
	free(h->in_buf);
	free(h->out_buf);
	h->in_buf = h->out_buf = NULL;
	return -1;
}

/* Start the I/O thread and wait until it is pinned and about to look at the ring: the
 * thread's start-up (tens of microseconds to milliseconds here) belongs to set-up, not to
 * the first request.  0, or -1 (no thread). */
static int start_thread(struct ring_host *h)
{
	struct thread_start start = { .h = h, .pu = pu_away_from_caller(h) };
	int rc = -1;

	if (sem_init(&start.ready, 0, 0))
		return -1;
	atomic_store(&h->stop, false);
	if (!pthread_create(&h->thread, NULL, io_thread, &start)) {
		while (sem_wait(&start.ready) && errno == EINTR)
			;
		rc = 0;
	}
	sem_destroy(&start.ready);
	return rc;
}

/* Whether a halted vCPU is to be woken now: nothing in flight (the available index is the
 * used one), or the used index has moved past used_event.  Every word is the guest's,
 * read once: a wrong answer costs the guest a spurious wake-up or a bounded wait. */
static bool halt_wait_over(const struct ring_host *h)
{
	uint16_t used = atomic_load_explicit(used_idx(h), memory_order_acquire);

	return atomic_load_explicit(avail_idx(h), memory_order_acquire) == used ||
	       atomic_load_explicit(used_event(h), memory_order_relaxed) != used;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - t0->tv_sec) * 1000000000L + (now.tv_nsec - t0->tv_nsec)) / 1000000;
}

/* KVM_EXIT_HLT while the ring runs with interrupt completion (the VM's halt hook, on the
 * vCPU thread, which also runs set-up and reset: the ring stays up meanwhile).  Bounded:
 * it waits on the call eventfd until the wait is over, a stop is requested, or
 * RING_HALT_MAX_MS have passed, and then injects the interrupt whatever happened.  A
 * vCPU that halted with interrupts off cannot take one: it resumes without. */
static enum exit_action ring_on_halt(struct vcpu *v, void *ctx)
{
	struct ring_host *h = ctx;
	struct pollfd p = { h->call_fd, POLLIN, 0 };
	struct timespec t0;
	uint64_t calls;
	long left = RING_HALT_MAX_MS;

	assert(h->running && h->complete == RING_COMPLETE_INTERRUPT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0 && !vm_stop_requested && !halt_wait_over(h)) {
		if (poll(&p, 1, (int)left) == 1 && read(h->call_fd, &calls, sizeof(calls)) != sizeof(calls))
			break;
		left = RING_HALT_MAX_MS - ms_since(&t0);
	}
	if (vcpu_interrupt(v, PG_NOTIFY_VECTOR) == 0)
		h->n.interrupts++;
	return EXIT_CONTINUE;
}

/* RING_SETUP's registers, full-width: Q a power of two in range, known modes and no other
 * R9 bit, a spin budget of at most 1 s, a page-aligned area of exactly Q's size that does
 * not wrap.  PG_DB_OK or PG_DB_EINVAL. */
static int setup_regs_check(const struct kvm_regs *r)
{
	uint64_t q = r->r8;

	if (q < RING_QUEUE_MIN || q > RING_QUEUE_MAX || (q & (q - 1)) || (r->r9 >> 12) ||
	    (r->r9 & 0xf) > RING_ADDR_REGISTERED || (r->r9 >> 4 & 0xf) > RING_NOTIFY_ADAPTIVE ||
	    (r->r9 >> 8 & 0xf) > RING_COMPLETE_INTERRUPT || r->rcx > RING_SPIN_MAX_NS || (r->rdi & 4095) ||
	    r->rsi != ring_area_bytes((uint32_t)q) || !range_fits(r->rdi, r->rsi))
		return PG_DB_EINVAL;
	return PG_DB_OK;
}

static void close_fds(struct ring_host *h)
{
	bind_kick(h, false);
	close(h->kick_fd);
	if (h->call_fd >= 0)
		close(h->call_fd);
	h->call_fd = -1;
}

/* The kick eventfd bound to the port, and with interrupt completion the call eventfd;
 * PG_DB_OK, or PG_DB_ENOMEM with neither. */
static int open_fds(struct ring_host *h)
{
	h->call_fd = -1;
	h->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->kick_fd < 0)
		return PG_DB_ENOMEM;
	if (bind_kick(h, true)) {
		close(h->kick_fd);
		return PG_DB_ENOMEM;
	}
	if (h->complete == RING_COMPLETE_INTERRUPT && (h->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		close_fds(h);
		return PG_DB_ENOMEM;
	}
	return PG_DB_OK;
}

/* RING_SETUP: RDI area, RSI bytes, R8 Q, R9 modes, RCX spin budget (ns); full-width.  An
 * interrupt-completion ring takes the VM's halt hook, so it is refused (ESTATE) while
 * another one (the camera's) is installed. */
static int setup(struct ring_host *h, struct vcpu *v, const struct kvm_regs *r)
{
	uint64_t q = r->r8, complete = r->r9 >> 8 & 0xf;
	struct vm *vm = h->e->vm;
	int status;

	if (h->running)
		return PG_DB_ESTATE;
	if (setup_regs_check(r) != PG_DB_OK)
		return PG_DB_EINVAL;
	if (complete == RING_COMPLETE_INTERRUPT && vm->halt_hook)
		return PG_DB_ESTATE;
	status = map_area(h, r->rdi, (uint32_t)q, vcpu_sregs(v)->cr3);
	if (status != PG_DB_OK)
		return status;
	h->sp.mem = &vm->mem;
	h->sp.cr3 = vcpu_sregs(v)->cr3;
	h->sp.addressing = (enum ring_addressing)(r->r9 & 0xf);
	h->notify = (enum ring_notify)(r->r9 >> 4 & 0xf);
	h->complete = (enum ring_complete)complete;
	h->spin_ticks = r->rcx * (v->tsc_khz ? v->tsc_khz : 1000000) / 1000000;
	h->delivery = h->e->delivery;
	h->max_bytes = h->e->max_op_bytes;
	h->last_avail = atomic_load(avail_idx(h));
	h->used_idx = atomic_load(used_idx(h));
	h->v = v;
	if (!h->req.in.v && ring_request_alloc(&h->req, RING_QUEUE_MAX, h->max_bytes))
		return PG_DB_ENOMEM;
	if (!h->in_buf && buffers_alloc(h))
		return PG_DB_ENOMEM;
	if (open_fds(h) != PG_DB_OK)
		return PG_DB_ENOMEM;
	if (h->notify == RING_NOTIFY_POLL)
		no_kicks_please(h);
	if (start_thread(h)) {
		close_fds(h);
		return PG_DB_ENOMEM;
	}
	h->running = true;
	if (h->complete == RING_COMPLETE_INTERRUPT) { /* invariant: ours while running so */
		vm->halt_hook = ring_on_halt;
		vm->halt_ctx = h;
	}
	return PG_DB_OK;
}

static void stop(struct ring_host *h)
{
	struct vm *vm = h->e->vm;

	if (!h->running)
		return;
	if (vm->halt_hook == ring_on_halt) {
		vm->halt_hook = NULL;
		vm->halt_ctx = NULL;
	}
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	close_fds(h);
	h->running = false;
}

/* RING_REGISTER: RDI buffer, RSI bytes, R8 index; only while the ring is stopped (the
 * I/O thread reads the table without a lock). */
static int register_buffer(struct ring_host *h, struct vcpu *v, const struct kvm_regs *r)
{
	struct ring_space sp = { .mem = &h->e->vm->mem, .cr3 = vcpu_sregs(v)->cr3 };
	struct ring_registered *slot;

	if (h->running)
		return PG_DB_ESTATE;
	if (r->r8 >= RING_MAX_BUFFERS)
		return PG_DB_EINVAL;
	slot = &h->sp.buf[r->r8];
	free(slot->page);
	return ring_register(&sp, r->rdi, r->rsi, true, RING_REGISTER_MAX_BYTES, slot);
}

static struct ring_host *host_of(struct engine *e)
{
	if (!e->transport_state[RING_ID]) {
		struct ring_host *h = calloc(1, sizeof(*h));

		h->e = e;
		h->kick_fd = h->call_fd = -1;
		e->transport_state[RING_ID] = h;
	}
	return e->transport_state[RING_ID];
}

/* The ring's port: set-up commands (a kick with the ring running never gets here: the
 * ioeventfd takes it; a kick without one is answered like any other byte). */
static enum exit_action ring_port(struct vcpu *v, struct io_access *a, void *ctx)
{
	struct engine *e = ctx;
	struct ring_host *h = host_of(e);
	struct kvm_regs *r = vcpu_regs(v);
	int status;

	if (!a->write)
		return EXIT_CONTINUE;
	switch (r->rax) {
	case RING_SETUP:
		status = setup(h, v, r);
		break;
	case RING_REGISTER:
		status = register_buffer(h, v, r);
		break;
	case RING_RESET:
		stop(h);
		status = PG_DB_OK;
		break;
	default:
		status = PG_DB_EINVAL;
	}
	if (status != PG_DB_OK)
		ring_warn(h, "set-up doorbell refused with status", (uint64_t)status);
	r->rax = (uint64_t)status;
	vcpu_regs_dirty(v);
	return EXIT_CONTINUE;
}

static void ring_counters(struct engine *e, struct stage_times *t)
{
	struct ring_host *h = e->transport_state[RING_ID];

	if (!h)
		return;
	t->requests += atomic_load_explicit(&h->n.requests, memory_order_relaxed);
	t->kicks += atomic_load_explicit(&h->n.kicks, memory_order_relaxed);
	t->rounds += atomic_load_explicit(&h->n.rounds, memory_order_relaxed);
	t->io_busy += atomic_load_explicit(&h->n.busy, memory_order_relaxed);
	t->io_sleep += atomic_load_explicit(&h->n.sleep, memory_order_relaxed);
	t->pages += atomic_load_explicit(&h->n.pages, memory_order_relaxed);
	t->interrupts += h->n.interrupts;
}

static void ring_fini(struct engine *e)
{
	struct ring_host *h = e->transport_state[RING_ID];

	if (!h)
		return;
	stop(h);
	for (int i = 0; i < RING_MAX_BUFFERS; i++)
		free(h->sp.buf[i].page);
	ring_request_free(&h->req);
	if (h->topo_loaded)
		hwloc_topology_destroy(h->topo);
	free(h->in_buf);
	free(h->out_buf);
	free(h);
	e->transport_state[RING_ID] = NULL;
}

const struct transport_ops transport_ring = {
	.name = "ring",
	.id = RING_ID,
	.own_port = ring_port,
	.counters = ring_counters,
	.fini = ring_fini,
};
