/*
 * Host half of the extended transport: copy the list page out of guest memory once
 * (through gmem_guest_ptr, like every data page: never the boot area), check it,
 * translate every
 * listed page from where the last RETRY stopped (one batch, timed as translation), then
 * copy the translated pages (timed as copy).  An absent page ends the batch: the pages
 * before it are copied and the engine injects the fault.
 */
#include <string.h>
#include "../transport.h"
#include "extended.h"

static int read_list(struct xfer *x, const struct doorbell *db, uint32_t *list, uint64_t entries)
{
	uint64_t gpa;
	const uint32_t *guest;
	int status = xfer_translate(x, db->addr, &gpa);

	if (status != PG_DB_OK)
		return status;
	x->t->pages--; /* the list page is overhead, not payload */
	guest = gmem_guest_ptr(&x->v->vm->mem, gpa, entries * sizeof(*list));
	if (!guest)
		return PG_DB_EFAULT;
	memcpy(list, guest, entries * sizeof(*list));
	return PG_DB_OK;
}

static int extended_move(struct xfer *x, const struct doorbell *db)
{
	static uint32_t list[EXTENDED_MAX_ENTRIES];
	static uint64_t gpas[EXTENDED_MAX_ENTRIES];
	uint64_t entries = db->extra & 0xffffffff, offset = db->extra >> 32;
	uint64_t first = (x->skip + offset) >> 12, last = (db->bytes + offset + 4095) >> 12, page;
	uint64_t t0 = xfer_now(x), t1, end;
	int status;

	if ((db->addr & 4095) || entries == 0 || entries > EXTENDED_MAX_ENTRIES || offset >= 4096 ||
	    last > entries)
		return PG_DB_EINVAL;
	status = read_list(x, db, list, entries);
	if (status != PG_DB_OK)
		return status;
	for (page = first; page < last && status == PG_DB_OK; page++)
		status = xfer_translate(x, (uint64_t)list[page] << 12, &gpas[page]);
	if (status != PG_DB_OK)
		page--;
	t1 = xfer_now(x);
	x->t->translate += t1 - t0;
	x->moved = x->skip;
	end = (page << 12) > offset ? (page << 12) - offset : 0; /* bytes the translated pages cover */
	end = end < db->bytes ? end : db->bytes;
	if (end > x->skip) {
		int rc = xfer_copy_pages(x, &gpas[first], (x->skip + offset) & 4095, end - x->skip);

		if (rc != PG_DB_OK)
			return rc;
	}
	x->t->copy += xfer_now(x) - t1;
	return status;
}

const struct transport_ops transport_extended = {
	.name = "extended",
	.id = EXTENDED_ID,
	.max_bytes_per_doorbell = EXTENDED_MAX_BYTES,
	.move = extended_move,
};
