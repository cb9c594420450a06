/*
 * The guest's side of the host microbenchmarks (PG_MODE_MICRO): after MICRO_READY the
 * host drives: it asks for a mapping of the buffer region (page size, frame policy,
 * pages touched, so the host can time translations of real guest page tables), for a
 * spin of null control-port round trips (to time them and injected page faults), or for
 * the end.
 */
#include "user.h"

static struct pg_micro_req req;

static void map_pages(void)
{
	GUEST_ASSERT(pg_buf_config(req.page_shift, req.frame_policy, req.seed) == 0);
	GUEST_ASSERT(req.pages <= (PG_BUF_MAX_BYTES >> PAGE_SHIFT_4K));
	for (uint64_t i = 0; i < req.pages; i++)
		pg_buf()[i << PAGE_SHIFT_4K] = (uint8_t)i;
}

void micro_run(void)
{
	pg_ctl(PG_CTL_SYNC, PG_SYNC_MICRO_READY, 0, 0, 0);
	for (;;) {
		switch (pg_ctl(PG_CTL_SYNC, PG_SYNC_MICRO_REQ, (uint64_t)&req, 0, 0)) {
		case 0:
			break;
		case PG_MICRO_MAP:
			map_pages();
			break;
		case PG_MICRO_SPIN:
			while (pg_ctl(PG_CTL_SYNC, PG_SYNC_MICRO_SPIN, 0, 0, 0) == 1)
				;
			break;
		case PG_MICRO_DONE:
			pg_done(0);
		default:
			pg_abort(__FILE__, __LINE__, "unknown microbenchmark request");
		}
	}
}
