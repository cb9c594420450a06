/*
 * Host half of the page-table-copy transport.  Per 2 MiB region of the range: one walk
 * of the upper three levels, then — for 4 KiB pages — the region's leaf table copied out
 * of guest memory in one memcpy and every page translated from the copy
 * (pt_translate_leafcopy; timed as translation); then the pages are copied (timed as
 * copy).  An absent page ends the batch: the pages before it are copied and the engine
 * injects the fault.
 */
#include "../../vmm-min/ptwalk.h"
#include "../../vmm-min/x86.h"
#include "../transport.h"
#include "ptcopy.h"

static int ptcopy_move(struct xfer *x, const struct doorbell *db)
{
	static uint64_t gpas[PT_ENTRIES];
	const struct guest_mem *m = &x->v->vm->mem;

	for (x->moved = x->skip; x->moved < db->bytes;) {
		uint64_t va = db->addr + x->moved, region_end = (va | (PAGE_SIZE_2M - 1)) + 1;
		uint64_t end = region_end < db->addr + db->bytes ? region_end : db->addr + db->bytes;
		uint64_t first = va & ~4095ull, pages = ((end + 4095) >> 12) - (first >> 12);
		uint64_t t0 = xfer_now(x), t1, done, bytes;
		enum pt_walk_status st;
		int rc;

		done = pt_translate_leafcopy(m, vcpu_sregs(x->v)->cr3, first, pages, x->to_guest, gpas, &st);
		t1 = xfer_now(x);
		x->t->translate += t1 - t0;
		x->t->pages += done;
		bytes = done == pages ? end - va : (done << 12) - (va & 4095);
		rc = done ? xfer_copy_pages(x, gpas, va & 4095, bytes) : PG_DB_OK;
		x->t->copy += xfer_now(x) - t1;
		if (rc != PG_DB_OK)
			return rc;
		if (done < pages) {
			x->fault_gva = first + (done << 12);
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
