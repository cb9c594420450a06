/*
 * Reading one ring request (see chain.h): descriptors copied once through volatile reads,
 * validated (index < Q, at most Q of them, header first and readable, then readable
 * input, then writable output, then the writable status last; lengths summed in 64 bits
 * and capped), and each buffer resolved page by page — (start, length) cut by
 * range_piece, translated by the walker from the CR3 the guest gave at set-up, or looked
 * up in its registered buffer — into host segments made by gmem_guest_ptr, merged where
 * guest frames are adjacent.
 */
#include <stdlib.h>
#include <string.h>
#include "../../devices/registry.h"
#include "../../vmm-min/ptwalk.h"
#include "../../vmm-min/range.h"
#include "../../vmm-min/x86.h"
#include "../doorbell_abi.h"
#include "chain.h"

_Static_assert(RING_QUEUE_MAX <= 65536 && (RING_QUEUE_MAX & (RING_QUEUE_MAX - 1)) == 0, "Q");
_Static_assert(16ull * RING_QUEUE_MAX + 6 + 2ull * RING_QUEUE_MAX + 4096 + 6 + 8ull * RING_QUEUE_MAX <=
		       RING_AREA_MAX_PAGES * 4096ull,
	       "the largest ring area fits ring_mem");

/* Segments a direction may need: one per page of max_bytes, one more per buffer (its
 * first page may be partial), and the buffers are at most q. */
static uint32_t segs_for(uint32_t q, uint64_t max_bytes)
{
	uint64_t n = max_bytes / 4096 + 2ull * q + 2;

	return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
}

static int segs_alloc(struct ring_segs *s, uint32_t cap)
{
	s->v = calloc(cap, sizeof(*s->v));
	s->cap = s->v ? cap : 0;
	s->n = 0;
	s->bytes = 0;
	return s->v ? 0 : -1;
}

int ring_request_alloc(struct ring_request *r, uint32_t q, uint64_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	if (segs_alloc(&r->in, segs_for(q, max_bytes)) || segs_alloc(&r->out, segs_for(q, max_bytes)) ||
	    segs_alloc(&r->status, 2)) {
		ring_request_free(r);
		return -1;
	}
	return 0;
}

void ring_request_free(struct ring_request *r)
{
	free(r->in.v);
	free(r->out.v);
	free(r->status.v);
	memset(r, 0, sizeof(*r));
}

/* Append [p, p + n) to s, merged with the last segment when it continues it. */
static int segs_add(struct ring_segs *s, uint8_t *p, uint64_t n)
{
	struct iovec *last = s->n ? &s->v[s->n - 1] : NULL;

	if (last && (uint8_t *)last->iov_base + last->iov_len == p) {
		last->iov_len += n;
	} else {
		if (s->n == s->cap)
			return PG_DB_ENOMEM;
		s->v[s->n++] = (struct iovec){ p, n };
	}
	s->bytes += n;
	return PG_DB_OK;
}

static int walk_status_to_db(enum pt_walk_status st)
{
	return st == PTW_NONCANONICAL ? PG_DB_EINVAL : PG_DB_EFAULT;
}

/* [gva, gva + len) through the guest's tables, a 2 MiB region at a time (one upper walk
 * and one copy of its leaf table: pt_translate_leafcopy); the pages translated are added
 * to *translated. */
static int resolve_gva(const struct ring_space *sp, uint64_t gva, uint64_t len, bool write, struct ring_segs *s,
		       uint64_t *translated)
{
	uint64_t gpas[512];

	if (!range_fits(gva, len))
		return PG_DB_EINVAL;
	for (uint64_t done = 0; done < len;) {
		uint64_t va = gva + done, in_page = va & 4095, piece = range_piece(gva, len, done, PAGE_SHIFT_2M);
		uint64_t pages = (in_page + piece + 4095) >> 12, got;
		enum pt_walk_status st;

		got = pt_translate_leafcopy(sp->mem, sp->cr3, va - in_page, pages, write, gpas, &st);
		*translated += got;
		if (got < pages)
			return walk_status_to_db(st);
		for (uint64_t part = 0; part < piece;) {
			uint64_t n = range_piece(in_page, piece, part, PAGE_SHIFT_4K);
			uint64_t at = in_page + part;
			uint8_t *host = gmem_guest_ptr(sp->mem, gpas[at >> 12] + (at & 4095), n);
			int status;

			if (!host)
				return PG_DB_EFAULT;
			if ((status = segs_add(s, host, n)) != PG_DB_OK)
				return status;
			part += n;
		}
		done += piece;
	}
	return PG_DB_OK;
}

/* [offset, offset + len) of registered buffer `index`. */
static int resolve_registered(const struct ring_space *sp, uint64_t addr, uint64_t len, bool write,
			      struct ring_segs *s)
{
	uint64_t index = addr >> RING_BUF_SHIFT, offset = addr & ((1ull << RING_BUF_SHIFT) - 1);
	const struct ring_registered *b;

	if (index >= RING_MAX_BUFFERS || !sp->buf[index].bytes)
		return PG_DB_EINVAL;
	b = &sp->buf[index];
	if (offset > b->bytes || len > b->bytes - offset)
		return PG_DB_EINVAL;
	if (write && !b->writable)
		return PG_DB_EFAULT;
	for (uint64_t done = 0, start = (b->gva & 4095) + offset; done < len;) {
		uint64_t n = range_piece(start, len, done, PAGE_SHIFT_4K), at = start + done;
		int status = segs_add(s, b->page[at >> 12] + (at & 4095), n);

		if (status != PG_DB_OK)
			return status;
		done += n;
	}
	return PG_DB_OK;
}

/* Descriptor d's buffer into s; pages the walker translated are added to *translated. */
static int resolve(const struct ring_space *sp, const struct ring_desc *d, struct ring_segs *s, uint64_t *translated)
{
	bool write = d->flags & RING_DESC_F_WRITE;

	if (!d->len)
		return PG_DB_OK;
	if (sp->addressing == RING_ADDR_REGISTERED)
		return resolve_registered(sp, d->addr, d->len, write, s);
	return resolve_gva(sp, d->addr, d->len, write, s, translated);
}

/* Descriptor i of the table, read once. */
static struct ring_desc read_desc(const struct ring_mem *rm, uint32_t i)
{
	const volatile struct ring_desc *p = ring_mem_at(rm, 16ull * i);

	return (struct ring_desc){ p->addr, p->len, p->flags, p->next };
}

/* The chain's descriptors, copied, in order; the count, or 0 if an index is >= Q, the
 * chain is longer than Q (a loop) or the flags carry unknown bits. */
static uint32_t copy_chain(const struct ring_mem *rm, uint64_t head, struct ring_desc *chain)
{
	uint64_t i = head;

	for (uint32_t n = 0; n < rm->q; n++) {
		if (i >= rm->q)
			return 0;
		chain[n] = read_desc(rm, (uint32_t)i);
		if (chain[n].flags & ~(RING_DESC_F_NEXT | RING_DESC_F_WRITE))
			return 0;
		if (!(chain[n].flags & RING_DESC_F_NEXT))
			return n + 1;
		i = chain[n].next;
	}
	return 0;
}

/* The last descriptor can take the status: writable and of its size. */
static bool status_desc_ok(const struct ring_desc *d)
{
	return (d->flags & RING_DESC_F_WRITE) && d->len == sizeof(struct ring_status);
}

/* Header readable first and of its size, status last (status_desc_ok), readable before
 * writable in between. */
static bool chain_shape_ok(const struct ring_desc *c, uint32_t n)
{
	bool writable_seen = false;

	if (n < 2 || (c[0].flags & RING_DESC_F_WRITE) || c[0].len != sizeof(struct ring_req))
		return false;
	for (uint32_t i = 1; i < n - 1; i++) {
		bool w = c[i].flags & RING_DESC_F_WRITE;

		if (writable_seen && !w)
			return false;
		writable_seen |= w;
	}
	return true;
}

/* The buffers' bytes per direction, summed over the whole chain before any is resolved
 * (at most Q * (2^32 - 1) each: no overflow in 64 bits), at most max_bytes each. */
static bool chain_bytes_ok(const struct ring_desc *c, uint32_t n, uint64_t max_bytes)
{
	uint64_t in = 0, out = 0;

	for (uint32_t i = 1; i + 1 < n; i++)
		*(c[i].flags & RING_DESC_F_WRITE ? &out : &in) += c[i].len;
	return in <= max_bytes && out <= max_bytes;
}

uint64_t ring_segs_write(const struct ring_segs *s, uint64_t from, const void *src, uint64_t n)
{
	const uint8_t *p = src;
	uint64_t written = 0;

	for (uint32_t i = 0; i < s->n && written < n; i++) {
		uint64_t len = s->v[i].iov_len, k;

		if (from >= len) {
			from -= len;
			continue;
		}
		k = len - from < n - written ? len - from : n - written;
		memcpy((uint8_t *)s->v[i].iov_base + from, p + written, k);
		written += k;
		from = 0;
	}
	return written;
}

/* Gather the header's bytes (once) out of its segments. */
static int read_header(const struct ring_space *sp, const struct ring_desc *d, struct ring_request *r)
{
	struct iovec v[2];
	struct ring_segs s = { v, 0, 2, 0 };
	uint8_t *to = (uint8_t *)&r->hdr;
	int status = resolve(sp, d, &s, &r->pages_translated);

	if (status != PG_DB_OK)
		return status;
	for (uint32_t i = 0; i < s.n; i++) {
		memcpy(to, s.v[i].iov_base, s.v[i].iov_len);
		to += s.v[i].iov_len;
	}
	return PG_DB_OK;
}

int ring_read_chain(const struct ring_space *sp, const struct ring_mem *rm, uint64_t head, uint64_t max_bytes,
		    struct ring_request *r)
{
	struct ring_desc chain[RING_QUEUE_MAX];
	uint32_t n = copy_chain(rm, head, chain);
	int status;

	r->head = (uint16_t)(head < rm->q ? head : 0);
	r->in.n = r->out.n = r->status.n = 0;
	r->in.bytes = r->out.bytes = r->status.bytes = 0;
	r->pages_translated = 0;
	memset(&r->hdr, 0, sizeof(r->hdr));
	if (!n || !status_desc_ok(&chain[n - 1]))
		return PG_DB_EINVAL;
	if ((status = resolve(sp, &chain[n - 1], &r->status, &r->pages_translated)) != PG_DB_OK) {
		r->status.n = 0;
		return status;
	}
	if (!chain_shape_ok(chain, n))
		return PG_DB_EINVAL;
	if (!chain_bytes_ok(chain, n, max_bytes))
		return PG_DB_ENOMEM;
	if ((status = read_header(sp, &chain[0], r)) != PG_DB_OK)
		return status;
	if (r->hdr.reserved) /* ring.h: 0, so that it can mean something later */
		return PG_DB_EINVAL;
	if (r->hdr.op != PG_OP_NULL && (r->hdr.op > PG_DEVICE_MAX_OP || !devices_serve(r->hdr.op)))
		return PG_DB_ENOOP;
	for (uint32_t i = 1; i < n - 1; i++) {
		struct ring_segs *s = chain[i].flags & RING_DESC_F_WRITE ? &r->out : &r->in;

		if ((status = resolve(sp, &chain[i], s, &r->pages_translated)) != PG_DB_OK)
			return status;
	}
	return PG_DB_OK;
}

int ring_register(const struct ring_space *sp, uint64_t gva, uint64_t bytes, bool writable, uint64_t max_bytes,
		  struct ring_registered *reg)
{
	uint64_t pages;

	memset(reg, 0, sizeof(*reg));
	if (!bytes || !range_fits(gva, bytes) || bytes > (1ull << RING_BUF_SHIFT))
		return PG_DB_EINVAL;
	if (bytes > max_bytes)
		return PG_DB_ENOMEM;
	pages = ((gva & 4095) + bytes + 4095) >> 12;
	reg->page = calloc(pages, sizeof(*reg->page));
	if (!reg->page)
		return PG_DB_ENOMEM;
	for (uint64_t i = 0; i < pages; i++) {
		struct pt_walk w;
		enum pt_walk_status st = pt_walk(sp->mem, sp->cr3, (gva & ~4095ull) + (i << 12), &w);

		if (st == PTW_OK && (!w.user || (writable && !w.writable)))
			st = PTW_NO_ACCESS;
		if (st != PTW_OK || !(reg->page[i] = gmem_guest_ptr(sp->mem, w.gpa & ~4095ull, 4096))) {
			free(reg->page);
			reg->page = NULL;
			return st == PTW_OK ? PG_DB_EFAULT : walk_status_to_db(st);
		}
	}
	reg->gva = gva;
	reg->bytes = bytes;
	reg->writable = writable;
	return PG_DB_OK;
}
