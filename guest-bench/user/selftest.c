/*
 * The guest's self-checks and calibration, run by `pagegate selftest`: ring-3 entry,
 * control-port round trip, demand paging in 4 KiB and 2 MiB pages with contiguous and
 * scattered frames (the host re-walks the touched pages from outside), then the ring-3
 * doorbell round trip and the page-fault cost, measured with the TSC.
 */
#include "user.h"

#define CALIBRATION_RINGS 1000
#define CALIBRATION_FAULTS 256
#define CHECK_PAGES 64

static uint64_t samples[CALIBRATION_RINGS];
static int failures;

static void check(const char *name, int passed, const char *detail)
{
	failures += !pg_check(name, passed, detail);
}

static uint64_t median(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Touch `pages` fresh pages of the region; check fault count and contents; let the host
 * walk them. */
static void check_demand_paging(const char *name, unsigned shift, unsigned policy, uint64_t pages)
{
	uint64_t size = 1ull << shift, before, faults, bad = 0;
	char detail[96];

	GUEST_ASSERT(pg_buf_config(shift, policy, user_params.seed) == 0);
	before = pg_fault_count();
	for (uint64_t i = 0; i < pages; i++)
		pg_buf()[i * size + (i % size)] = (uint8_t)(i * 7 + 1);
	for (uint64_t i = 0; i < pages; i++)
		bad += pg_buf()[i * size + (i % size)] != (uint8_t)(i * 7 + 1);
	faults = pg_fault_count() - before;
	pg_snprintf(detail, sizeof(detail), "%lu pages touched, %lu faults, %lu bad bytes",
		    (unsigned long)pages, (unsigned long)faults, (unsigned long)bad);
	check(name, faults == pages && bad == 0, detail);
	if (pg_ctl(PG_CTL_SYNC, PG_SYNC_PAGES, PG_BUF_VA, pages, shift | policy << 8) != PG_CTL_OK)
		failures++;
}

static void calibrate_doorbell(void)
{
	uint64_t after = 0;

	for (int i = 0; i < CALIBRATION_RINGS; i++) {
		uint64_t start = rdtsc();

		pg_ctl(PG_CTL_SYNC, PG_SYNC_NULL_RING, start, after, 0);
		after = rdtsc();
		samples[i] = after - start;
	}
	pg_ctl(PG_CTL_SYNC, PG_SYNC_NULL_RING, rdtsc(), after, 0);
	pg_report("doorbell round trip (guest view)", median(samples, CALIBRATION_RINGS), "tsc");
}

static void calibrate_faults(void)
{
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	for (int i = 0; i < CALIBRATION_FAULTS; i++) {
		uint64_t start = rdtsc();

		pg_buf()[(uint64_t)i << PAGE_SHIFT_4K] = 1;
		samples[i] = rdtsc() - start;
	}
	pg_report("page fault, ring 3 (first touch)", median(samples, CALIBRATION_FAULTS), "tsc");
	for (int i = 0; i < CALIBRATION_FAULTS; i++) {
		uint64_t start = rdtsc();

		pg_buf()[((uint64_t)i << PAGE_SHIFT_4K) + 64] = 2;
		samples[i] = rdtsc() - start;
	}
	pg_report("touch of a mapped page", median(samples, CALIBRATION_FAULTS), "tsc");
}

void selftest_run(void)
{
	uint16_t cs;
	char detail[64];

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	pg_snprintf(detail, sizeof(detail), "CS = 0x%x", cs);
	check("ring-3 entry", (cs & 3) == 3, detail);
	pg_printf("hello from ring 3\n");
	check("control port echo", pg_ctl(PG_CTL_SYNC, PG_SYNC_ECHO, 41, 0, 0) == 42, 0);
	check_demand_paging("demand paging, 4 KiB, contiguous", PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS,
			    CHECK_PAGES);
	check_demand_paging("demand paging, 4 KiB, scattered", PAGE_SHIFT_4K, PG_FRAMES_SCATTERED,
			    CHECK_PAGES);
	check_demand_paging("demand paging, 2 MiB, scattered", PAGE_SHIFT_2M, PG_FRAMES_SCATTERED, 4);
	calibrate_doorbell();
	calibrate_faults();
	pg_done((uint64_t)failures);
}
