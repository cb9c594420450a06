/*
 * Host half of the skeleton transport.  move() receives the decoded doorbell and an xfer
 * whose host buffer takes (SEND) or gives (RECEIVE) db->bytes bytes; it must validate
 * every field the guest supplied, translate with xfer_translate (which injects nothing
 * itself: return PG_DB_RETRY with x->fault_gva set and the engine faults the page in),
 * copy with xfer_copy, keep x->moved up to date, and add its time to x->t->translate and
 * x->t->copy.  This template describes its bytes like basic does: a virtual range.
 */
#include "../transport.h"
#include "skeleton.h"

static int skeleton_move(struct xfer *x, const struct doorbell *db)
{
	return xfer_range(x, db->addr, db->bytes);
}

const struct transport_ops transport_skeleton = {
	.name = "skeleton",
	.id = SKELETON_ID,
	.max_bytes_per_doorbell = SKELETON_MAX_BYTES,
	.move = skeleton_move,
};
