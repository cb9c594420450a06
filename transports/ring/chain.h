/*
 * Host half of the ring transport, the part a hostile guest talks to: one request's
 * descriptor chain read out of guest memory and turned into host segments.  Every
 * descriptor is copied once (the guest may rewrite the table at any moment), then
 * validated, then used; the chain is at most Q long (so a loop ends), readable
 * descriptors come first with the header, writable ones last with the status; every
 * buffer is a (start, length) range resolved page by page through the walker and
 * gmem_guest_ptr — guest RAM only, never the VMM's boot area, user pages, writable ones
 * for what the host writes — or, with registered buffers, through the table the guest
 * registered once.  No fault is injected: an absent page fails the request.
 */
#ifndef PG_RING_CHAIN_H
#define PG_RING_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "../../vmm-min/gmem.h"
#include "ring.h"

/* A buffer the guest registered: the host address of each of its 4 KiB pages. */
struct ring_registered {
	uint64_t gva, bytes; /* bytes == 0: the slot is free */
	bool writable;
	uint8_t **page;      /* ((gva & 4095) + bytes + 4095) / 4096 host page addresses */
};

/* The ring area as the host keeps it: the host address of each of its 4 KiB pages,
 * translated once at set-up (the area is virtually contiguous, its frames need not be).
 * No field of the ring straddles a page: descriptors are 16 bytes at multiples of 16,
 * available-ring words 2 bytes at even offsets, used-ring words 4 bytes at multiples of
 * 4, in an area that starts on a page. */
#define RING_AREA_MAX_PAGES 8
struct ring_mem {
	uint32_t q;
	uint8_t *page[RING_AREA_MAX_PAGES];
};

static inline void *ring_mem_at(const struct ring_mem *m, uint64_t offset)
{
	return m->page[offset >> 12] + (offset & 4095);
}

/* How descriptor addresses become host memory. */
struct ring_space {
	const struct guest_mem *mem;
	uint64_t cr3; /* RING_ADDR_GVA: the guest's page tables, recorded at set-up */
	enum ring_addressing addressing;
	struct ring_registered buf[RING_MAX_BUFFERS];
};

/* Host segments of one direction of a request; cap fixed when allocated. */
struct ring_segs {
	struct iovec *v;
	uint32_t n, cap;
	uint64_t bytes;
};

struct ring_request {
	uint16_t head;
	struct ring_req hdr;     /* copied out of the guest */
	struct ring_segs in;     /* device-readable input (after the header) */
	struct ring_segs out;    /* device-writable output (before the status) */
	struct ring_segs status; /* where struct ring_status goes (one or two pieces) */
	/* guest pages the walker translated for this chain, header and status included (gva
	 * addressing; registered buffers were translated once, when registered: 0) */
	uint64_t pages_translated;
};

/* Allocate segment lists for requests of up to max_bytes of input and of output, over
 * chains of up to q descriptors.  0, or -1. */
int ring_request_alloc(struct ring_request *r, uint32_t q, uint64_t max_bytes);
void ring_request_free(struct ring_request *r);

/* Read the chain that starts at descriptor `head` of the ring's table into r: the
 * descriptors copied once (index < Q, at most Q of them, known flags), then the status
 * (the last descriptor, writable and of its size) resolved first, so that every later
 * refusal can be answered in it; then the shape, the lengths summed per direction, the
 * header, the buffers.  PG_DB_OK, or an error status: EINVAL (index, order, flags, loop,
 * header or status size or direction), EFAULT (an address outside RAM, in the boot area,
 * absent, or without the rights), ENOMEM (more than max_bytes in a direction), ENOOP (no
 * device serves the op).  r->status.n > 0 exactly when the status descriptor itself
 * could be resolved, so an error can still be written back; r->pages_translated counts
 * the pages the walker resolved, those of a refused chain too. */
int ring_read_chain(const struct ring_space *sp, const struct ring_mem *rm, uint64_t head, uint64_t max_bytes,
		    struct ring_request *r);

/* Copy n bytes from src into the segments from byte `from` on; bytes written. */
uint64_t ring_segs_write(const struct ring_segs *s, uint64_t from, const void *src, uint64_t n);

/* Resolve [gva, gva + bytes) into the page table of a registered buffer (translated now,
 * with the walker from sp->cr3; user pages, all writable if `writable`); at most
 * max_bytes, which bounds the host's work and memory for one registration.  PG_DB_OK or
 * an error status; reg->page is allocated here. */
int ring_register(const struct ring_space *sp, uint64_t gva, uint64_t bytes, bool writable, uint64_t max_bytes,
		  struct ring_registered *reg);

#endif
