/*
 * Host half of the page-table-copy transport.  Per 2 MiB region of the range: one walk
 * of the upper three levels; a 2 MiB or 1 GiB leaf translates the whole region at once,
 * otherwise the 4 KiB leaf table is copied out of guest memory in one memcpy and every
 * page of the region is translated from the copy (timed as translation); then the pages
 * are copied (timed as copy).  An absent page ends the batch as in the other transports.
 */
#include <string.h>
#include "../../vmm-min/ptwalk.h"
#include "../../vmm-min/x86.h"
#include "../transport.h"
#include "ptcopy.h"

/* Translate the region's pages [va, end) into gpas (one per 4 KiB page, or one for a
 * large page, *large set); return the status and set *done to the bytes translated. */
static int translate_region(struct xfer *x, uint64_t va, uint64_t end, uint64_t *gpas, uint64_t *done,
			    bool *large)
{
	static uint64_t leaves[PT_ENTRIES];
	const struct guest_mem *m = &x->v->vm->mem;
	uint64_t cr3 = vcpu_sregs(x->v)->cr3, table;
	struct pt_walk up, w;
	enum pt_walk_status st = pt_walk_upper(m, cr3, va, &up, &table);

	*done = 0;
	if (st == PTW_OK && !table) { /* 2 MiB or 1 GiB page */
		x->t->pages += (end - va + 4095) >> 12;
		if (!up.user || (x->to_guest && !up.writable))
			return PG_DB_EFAULT;
		gpas[0] = up.gpa;
		*done = end - va;
		*large = true;
		return PG_DB_OK;
	}
	if (st != PTW_OK) {
		x->fault_gva = va;
		return st == PTW_NOT_PRESENT ? PG_DB_RETRY : PG_DB_EFAULT;
	}
	memcpy(leaves, gmem_ptr(m, table, PAGE_SIZE_4K), PAGE_SIZE_4K);
	for (uint64_t p = va; p < end; p = (p & ~4095ull) + 4096) {
		w = up;
		st = pt_walk_leaf(m, leaves[PT_INDEX(p, 1)], p, &w);
		if (st == PTW_NOT_PRESENT) {
			x->fault_gva = p;
			return PG_DB_RETRY;
		}
		if (st != PTW_OK || !w.user || (x->to_guest && !w.writable))
			return PG_DB_EFAULT;
		gpas[(p >> 12) - (va >> 12)] = w.gpa & ~4095ull;
		x->t->pages++;
		*done = ((p & ~4095ull) + 4096 < end ? (p & ~4095ull) + 4096 : end) - va;
	}
	return PG_DB_OK;
}

static int ptcopy_move(struct xfer *x, const struct doorbell *db)
{
	static uint64_t gpas[PT_ENTRIES];

	for (x->moved = x->skip; x->moved < db->bytes;) {
		uint64_t va = db->addr + x->moved, region_end = (va | (PAGE_SIZE_2M - 1)) + 1;
		uint64_t end = region_end < db->addr + db->bytes ? region_end : db->addr + db->bytes;
		uint64_t done, t0 = xfer_now(x), t1;
		bool large = false;
		int status = translate_region(x, va, end, gpas, &done, &large), rc;

		t1 = xfer_now(x);
		x->t->translate += t1 - t0;
		if (large) {
			rc = xfer_copy(x, gpas[0], x->moved, done);
			x->moved += rc == PG_DB_OK ? done : 0;
		} else {
			rc = xfer_copy_pages(x, gpas, va & 4095, done);
		}
		x->t->copy += xfer_now(x) - t1;
		if (rc != PG_DB_OK)
			return rc;
		if (status != PG_DB_OK)
			return status;
	}
	return PG_DB_OK;
}

const struct transport_ops transport_ptcopy = {
	.name = "ptcopy",
	.id = PTCOPY_ID,
	.max_bytes_per_doorbell = PTCOPY_MAX_BYTES,
	.move = ptcopy_move,
};
