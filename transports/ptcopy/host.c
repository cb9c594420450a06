/*
 * Host half of the page-table-copy transport.  The range (RDI, RSI) is cut into 2 MiB
 * regions by range_piece (never an end address, so the top of the address space is
 * safe).  Per region: one walk
 * of the upper three levels, then — for 4 KiB pages — the region's leaf table copied out
 * of guest memory in one memcpy and every page translated from the copy
 * (pt_translate_leafcopy; timed as translation); then the pages are copied (timed as
 * copy).  An absent page ends the batch: the pages before it are copied and the engine
 * injects the fault.
 */
#include <assert.h>
#include "../../vmm-min/ptwalk.h"
#include "../../vmm-min/range.h"
#include "../../vmm-min/x86.h"
#include "../transport.h"
#include "ptcopy.h"

static int ptcopy_move(struct xfer *x, const struct doorbell *db)
{
	static uint64_t gpas[PT_ENTRIES];
	const struct guest_mem *m = &x->v->vm->mem;

	if (!range_fits(db->addr, db->bytes))
		return PG_DB_EINVAL;
	for (x->moved = x->skip; x->moved < db->bytes;) {
		uint64_t va = db->addr + x->moved, in_page = va & (PAGE_SIZE_4K - 1);
		uint64_t piece = range_piece(db->addr, db->bytes, x->moved, PAGE_SHIFT_2M); /* within one region */
		uint64_t pages = (in_page + piece + PAGE_SIZE_4K - 1) >> PAGE_SHIFT_4K, t0 = xfer_now(x), t1, done, bytes;
		enum pt_walk_status st;
		int rc;

		assert(pages <= PT_ENTRIES);
		done = pt_translate_leafcopy(m, vcpu_sregs(x->v)->cr3, va - in_page, pages, x->to_guest, gpas, &st);
		t1 = xfer_now(x);
		x->t->translate += t1 - t0;
		x->t->pages += done;
		bytes = done == pages ? piece : (done << PAGE_SHIFT_4K) - in_page; /* < piece if done < pages */
		rc = done ? xfer_copy_pages(x, gpas, in_page, bytes) : PG_DB_OK;
		x->t->copy += xfer_now(x) - t1;
		if (rc != PG_DB_OK)
			return rc;
		if (done < pages) {
			x->fault_gva = va - in_page + (done << PAGE_SHIFT_4K);
			return st == PTW_NOT_PRESENT ? PG_DB_RETRY : PG_DB_EFAULT;
		}
	}
	return PG_DB_OK;
}

const struct transport_ops transport_ptcopy = {
	.name = "ptcopy",
	.id = PTCOPY_ID,
	.max_bytes_per_doorbell = PTCOPY_MAX_BYTES,
	.move = ptcopy_move,
};
