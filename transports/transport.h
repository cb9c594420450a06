/*
 * The host half of the transport plug-in interface and the engine around it.  A
 * transport is one `struct transport_ops` (transports/<name>/host.c): its name, its id
 * (its doorbell port is PG_DB_PORT(id)) and `move`, which reads the doorbell's
 * description of guest memory (a piece, a page list, a range) and moves bytes between
 * it and the operation's host buffer.  Everything else — decoding registers, operation
 * state, EXECUTE on the operation's device, page-fault injection and retry, stage timing — is the
 * engine's (host_core.c) and is the same for every transport.
 */
#ifndef PG_TRANSPORT_H
#define PG_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "../vmm-min/vm.h"
#include "doorbell_abi.h"

/* How an operation's bytes reach its device (devices/device_abi.h). */
enum delivery {
	DELIVER_COPY = 0, /* gathered into (scattered from) a host buffer */
	DELIVER_IOV = 1,  /* handed over as segments of guest memory: zero host copies */
};

/* Segments of guest memory, adjacent ones merged; at most `limit`. */
struct iov_list {
	struct iovec *v;
	uint32_t n, cap, limit;
};

enum translate_method {
	XLATE_KVM = 0,  /* KVM_TRANSLATE per page: "ask the VM", as the thesis did */
	XLATE_WALK = 1, /* software 4-level walk per page from the guest's CR3 */
};

/* Per-operation stage times (host TSC ticks) and counts, summed over its doorbells. */
struct stage_times {
	uint64_t exit, translate, fault, copy, handler, entry;
	uint64_t doorbells, pages, faults;
	uint64_t copied; /* bytes the host copied between guest pages and its buffers */
	uint64_t clock_outside; /* guest stamps outside their KVM_RUN: exit/entry not measured */
	uint64_t produced; /* output bytes devices produced (reserved at EXECUTE, or filled) */
	/* own-port transports (the ring's I/O thread): requests served, kicks taken, serving
	 * rounds (requests found together), and the thread's host ticks serving and asleep
	 * (the rest of the time it spins: CPU spent waiting), and interrupts it injected into
	 * a halted vCPU (interrupt completion); they also add the pages they translated to
	 * `pages` */
	uint64_t requests, kicks, rounds, io_busy, io_sleep, interrupts;
};

/* The doorbell's registers, decoded (see doorbell_abi.h). */
struct doorbell {
	uint64_t state, addr, bytes, total, op, extra, guest_tsc, guest_prev_tsc;
};

/* What a transport's move() works with. */
struct xfer {
	struct vcpu *v;
	enum translate_method method;
	bool to_guest;     /* RECEIVE: the host writes guest pages */
	uint8_t *host;     /* host buffer for this doorbell's bytes (copy delivery) */
	struct iov_list *iov; /* iov delivery: the guest's segments are recorded here instead */
	uint64_t skip;     /* bytes of this doorbell already moved before a RETRY */
	uint64_t moved;    /* out: bytes moved so far (skip included) */
	uint64_t fault_gva; /* out, with PG_DB_RETRY: the page to fault in */
	struct stage_times *t;
	bool timing;
};

struct engine;

struct transport_ops {
	const char *name;
	unsigned id;
	/* Largest number of bytes one doorbell may describe. */
	uint64_t max_bytes_per_doorbell;
	/* Move the doorbell's bytes from x->skip on: PG_DB_OK (x->moved == db->bytes),
	 * PG_DB_RETRY (x->fault_gva absent; x->moved bytes done) or an error status. */
	int (*move)(struct xfer *x, const struct doorbell *db);
	/* A transport that serves its own port instead (the ring: set-up doorbells, then a
	 * host thread; move is NULL): its handler (ctx = the engine), what it adds to the
	 * stage times' counters (cumulative; the engine takes differences), and its
	 * teardown when the engine ends.  Its state hangs on engine.transport_state[id]. */
	io_handler_fn own_port;
	void (*counters)(struct engine *e, struct stage_times *t);
	void (*fini)(struct engine *e);
};

/* Helpers for move(): translate one guest-virtual page with the configured method,
 * checking it is a present user page (writable if to_guest); PG_DB_OK, PG_DB_RETRY (with
 * x->fault_gva set) or PG_DB_EFAULT.  Counts pages; no timing. */
int xfer_translate(struct xfer *x, uint64_t gva, uint64_t *gpa);
/* Copy n bytes between guest-physical gpa and the host buffer at offset (or, with
 * x->iov, record the guest's segment), through gmem_guest_ptr; PG_DB_EFAULT if the range
 * leaves guest RAM or touches the VMM's boot area, PG_DB_ENOMEM if x->iov is full. */
int xfer_copy(struct xfer *x, uint64_t gpa, uint64_t offset, uint64_t n);
/* Copy n bytes laid over the 4 KiB pages gpas[0], gpas[1], ... starting `offset` (< 4096)
 * bytes into the first, to or from the host buffer at x->moved; advances x->moved.  The
 * pages are cut with range_piece (vmm-min/range.h). */
int xfer_copy_pages(struct xfer *x, const uint64_t *gpas, uint64_t offset, uint64_t n);
/* Translate and copy bytes [x->skip, bytes) of the virtually contiguous range (gva, bytes)
 * page by page (range_piece), timing both stages; PG_DB_EINVAL if the range runs past
 * 2^64. */
int xfer_range(struct xfer *x, uint64_t gva, uint64_t bytes);
static inline uint64_t xfer_now(const struct xfer *x)
{
	return x->timing ? __builtin_ia32_rdtsc() : 0;
}

/* The engine. */
#define ENGINE_MAX_OP_BYTES (1ull << 30)
#define ENGINE_MAX_FAULT_RETRIES 4
/* Output an EXECUTE may produce at once beyond its input's size: a larger output must be
 * deferred (the device's fill() writes it as the guest receives it), so no EXECUTE costs
 * the host more than a pass over the input the guest already sent plus this. */
#define ENGINE_EXECUTE_OUTPUT_MIN 4096ull

struct op_state;

struct engine {
	struct vm *vm;
	enum translate_method method;
	enum delivery delivery; /* for operations that start from now on */
	bool timing;
	uint64_t max_op_bytes;
	struct stage_times t;   /* since the last engine_reset_stats */
	uint64_t checksum;      /* last SINK checksum */
	struct op_state *ops;   /* indexed by op id */
	uint64_t warnings;      /* rejected doorbells */
	uint64_t last_doorbell_exit; /* vCPU exit count at the last doorbell */
	uint8_t fresh_byte;     /* what new host-buffer bytes hold: 0; tests set a canary */
	bool quiet;             /* count rejections without printing them (fuzzers, random test) */
	uint64_t doorbell_produced, peak_produced; /* device output bytes: this doorbell, most of any */
	/* The doorbell last answered RETRY, exactly as rung, and how far it got.  Every
	 * doorbell disarms it; only the identical doorbell (every register that defines it,
	 * on the same transport) resumes it (host_core.c). */
	struct {
		bool armed;
		unsigned transport;
		struct doorbell db;
		uint64_t done, fault_gva;
		unsigned repeats;
	} retry;
	void *transport_state[PG_MAX_TRANSPORTS]; /* own-port transports' */
	struct stage_times counters_base; /* own-port counters at the last engine_reset_stats */
};

/* Register every transport's doorbell port with the VM. */
void engine_init(struct engine *e, struct vm *vm);
void engine_fini(struct engine *e);
/* Allocate and touch every operation's buffers for transfers of up to `bytes`, so host
 * page faults stay out of the measurements. */
void engine_reserve(struct engine *e, uint64_t bytes);
void engine_reset_stats(struct engine *e);
/* The timed part ended with the guest at guest_tsc: add the last doorbell's entry leg. */
void engine_end_window(struct engine *e, struct vcpu *v, uint64_t guest_tsc);
const struct transport_ops *transport_by_name(const char *name);
const struct transport_ops *transport_by_id(unsigned id);
extern const struct transport_ops *const transports[];
const char *db_status_name(int status);

#endif
