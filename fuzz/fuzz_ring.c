/*
 * libFuzzer target: the ring transport's chain reader (transports/ring/chain.c) on a
 * fuzzed image of guest RAM holding the descriptor table, the page tables and the
 * buffers, unclamped: the head is any 64-bit value, CR3, the area's pages, the addressing
 * mode, the registered buffers' (gva, bytes) and max_bytes come from the input as they
 * are.  Oracles beyond ASan: an OK request has its header, a status of exactly
 * sizeof(struct ring_status) and at most max_bytes each way, and every segment lies in
 * guest RAM outside the boot area; an error never leaves a status segment of another size.
 * Then RING_SETUP's register check on full-width R9 (every mode bit, the completion's
 * included) and RCX: accepted exactly when every field is known and no other bit is set;
 * the completion mode it accepts is the one served with.  Then the I/O thread's serving
 * round (serve_round, host.c, included here for its static functions; no thread, no KVM)
 * on the same image, from a fuzzed count of entries made available since the host last
 * looked (0..65535) and a fuzzed used index, in copy or iov delivery: every request is
 * read, run on its device and completed in the image (used elements, statuses, outputs),
 * and with interrupt completion the call eventfd signalled if used_event (fuzzed, in the
 * image) asks.  Oracles: ASan (nothing outside the image and the host's own buffers is
 * touched); the used index moves by exactly the entries available when they are at most
 * Q, else by none; at most one call per round, none without a completion or when polled;
 * and a halted vCPU's wait is over whenever nothing is in flight.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include "../devices/registry.h"
#include "../transports/doorbell_abi.h"
#include "../transports/ring/chain.h"
#include "../transports/ring/host.c"

#define PARAMS 112 /* ... 96 R9, 104 RCX of the set-up */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static void check_segs(const struct guest_mem *m, const struct ring_segs *s, uint64_t max_bytes)
{
	uint64_t sum = 0;

	assert(s->n <= s->cap && s->bytes <= max_bytes);
	for (uint32_t i = 0; i < s->n; i++) {
		const uint8_t *b = s->v[i].iov_base;

		assert(b >= m->hva + m->boot_end && s->v[i].iov_len <= (uint64_t)(m->hva + m->size - b));
		sum += s->v[i].iov_len;
	}
	assert(sum == s->bytes);
}

/* RING_SETUP's check of R9 and RCX as the guest gives them (the rest well-formed for Q):
 * the completion mode to serve with, polled if refused. */
static enum ring_complete setup_modes(uint32_t q, const uint8_t *data)
{
	struct kvm_regs r = { .rdi = 0x1000, .rsi = ring_area_bytes(q), .r8 = q, .r9 = word(data + 96),
			      .rcx = word(data + 104) };
	bool known = !(r.r9 >> 12) && (r.r9 & 0xf) <= RING_ADDR_REGISTERED &&
		     (r.r9 >> 4 & 0xf) <= RING_NOTIFY_ADAPTIVE && (r.r9 >> 8 & 0xf) <= RING_COMPLETE_INTERRUPT &&
		     r.rcx <= RING_SPIN_MAX_NS;
	int status = setup_regs_check(&r);

	assert((status == PG_DB_OK) == known);
	return status == PG_DB_OK ? (enum ring_complete)(r.r9 >> 8 & 0xf) : RING_COMPLETE_POLL;
}

/* The serving round on the image: h.rm, h.sp and h.complete set by the caller. */
static void serve(struct ring_host *h, const uint8_t *data, uint64_t max_bytes)
{
	uint16_t avail, used_before, pending;
	uint64_t calls = 0;
	bool served;

	h->delivery = data[12] & 1 ? DELIVER_IOV : DELIVER_COPY;
	h->max_bytes = max_bytes;
	h->used_idx = used_before = (uint16_t)word(data + 74);
	avail = atomic_load_explicit(avail_idx(h), memory_order_acquire);
	pending = (uint16_t)word(data + 72); /* any of 0..65535 entries since the last look */
	h->last_avail = (uint16_t)(avail - pending);
	served = serve_round(h, avail);
	assert(served == (pending <= h->rm.q) && h->last_avail == avail);
	assert((uint16_t)(h->used_idx - used_before) == (served ? pending : 0));
	if (eventfd_read(h->call_fd, &calls) == 0)
		assert(calls == 1 && h->complete == RING_COMPLETE_INTERRUPT && h->used_idx != used_before);
	if (atomic_load(avail_idx(h)) == atomic_load(used_idx(h)))
		assert(halt_wait_over(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ring_host h;
	static struct vcpu vcpu;
	struct ring_request *req = &h.req;
	struct guest_mem m;
	uint64_t pages, max_bytes;
	char err[256];
	int status;

	if (size < PARAMS + 2 * 4096)
		return 0;
	if (!h.v) {
		assert(devices_add_builtins(err, sizeof(err)) == 0);
		assert(ring_request_alloc(req, RING_QUEUE_MAX, 1 << 20) == 0);
		assert((h.in_buf = malloc(1 << 20)) && (h.out_buf = malloc(1 << 20)));
		assert((h.call_fd = eventfd(0, EFD_NONBLOCK)) >= 0);
		h.v = &vcpu;
	}
	pages = (size - PARAMS) >> 12;
	m = (struct guest_mem){ malloc(pages << 12), pages << 12, 40, data[0] & 1 ? 4096 : 0 };
	memcpy(m.hva, data + PARAMS, pages << 12);
	h.rm.q = 1u << (data[1] % 10 + 1); /* set-up admits powers of two 2..1024 only */
	for (int i = 0; i < RING_AREA_MAX_PAGES; i++)
		h.rm.page[i] = m.hva + ((data[2 + i] % pages) << 12);
	h.sp = (struct ring_space){ .mem = &m, .cr3 = word(data + 16), .addressing = data[10] & 1 };
	max_bytes = word(data + 24) % ((1 << 20) + 1);
	for (int b = 0; b < 2; b++)
		ring_register(&h.sp, word(data + 32 + 16 * b), word(data + 40 + 16 * b), data[11] >> b & 1, 1 << 20,
			      &h.sp.buf[b]);
	h.complete = setup_modes(h.rm.q, data);
	status = ring_read_chain(&h.sp, &h.rm, word(data + 64), max_bytes, req);
	if (status == PG_DB_OK) {
		check_segs(&m, &req->in, max_bytes);
		check_segs(&m, &req->out, max_bytes);
	}
	if (req->status.n) {
		check_segs(&m, &req->status, sizeof(struct ring_status));
		assert(req->status.bytes == sizeof(struct ring_status));
	}
	serve(&h, data, max_bytes);
	for (int b = 0; b < 2; b++)
		free(h.sp.buf[b].page);
	free(m.hva);
	return 0;
}
