/*
 * The guest's side of the host microbenchmarks (PG_MODE_MICRO): after MICRO_READY the
 * host drives: it asks for a mapping of the buffer region (page size, frame policy,
 * pages touched, so the host can time translations of real guest page tables), for a
 * spin of null control-port round trips (to time them and injected page faults), for a
 * busy spin in ring 3 with no exit at all (so a host thread can ask KVM about the vCPU
 * while it runs, or kick it out), or for the end.
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

/* Beat 1, 2, ... n into req.beat until req.spin_ticks of TSC have passed (at least one
 * beat); *sum = the sum of the beats' squares, kept in registers across whatever
 * interrupts the loop, so the host can check that the loop ran on undisturbed. */
static void busy(uint64_t *beats, uint64_t *sum)
{
	volatile uint64_t *beat = &req.beat;
	uint64_t start = rdtsc(), n = 0, s = 0;

	do {
		n++;
		s += n * n;
		*beat = n;
	} while (rdtsc() - start < req.spin_ticks);
	*beats = n;
	*sum = s;
}

void micro_run(void)
{
	uint64_t beats = 0, sum = 0;

	pg_ctl(PG_CTL_SYNC, PG_SYNC_MICRO_READY, 0, 0, 0);
	for (;;) {
		uint64_t what = pg_ctl(PG_CTL_SYNC, PG_SYNC_MICRO_REQ, (uint64_t)&req, beats, sum);

		beats = sum = 0;
		switch (what) {
		case 0:
			break;
		case PG_MICRO_BUSY:
			busy(&beats, &sum);
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
