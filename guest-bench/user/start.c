/*
 * Entry of the ring-3 process: its stack, its copy of the parameter block, the
 * control-port helpers (asserts, checks, reports, done) and the dispatch on the mode the
 * host asked for.  Only code in guest-bench/user/ and guest-bench/lib/ runs in ring 3.
 */
#include "user.h"

struct pg_params user_params;
static uint8_t user_stack[64 * 1024] __attribute__((aligned(16)));
char *const user_stack_end = (char *)user_stack + sizeof(user_stack);

void pg_abort(const char *file, int line, const char *msg)
{
	static struct pg_abort_info info;

	info.file_gva = (uint64_t)file;
	info.msg_gva = (uint64_t)msg;
	info.line = (uint32_t)line;
	pg_ctl(PG_CTL_ABORT, (uint64_t)&info, 0, 0, 0);
	for (;;)
		pg_ctl(PG_CTL_DONE, 1, 0, 0, 0);
}

int pg_check(const char *name, int passed, const char *detail)
{
	pg_ctl(PG_CTL_CHECK, (uint64_t)name, passed != 0, (uint64_t)detail, 0);
	return passed;
}

void pg_report(const char *name, uint64_t value, const char *unit)
{
	pg_ctl(PG_CTL_REPORT, (uint64_t)name, value, (uint64_t)unit, 0);
}

void pg_done(uint64_t status)
{
	for (;;)
		pg_ctl(PG_CTL_DONE, status, 0, 0, 0);
}

static void touch_pages(uint64_t pages)
{
	uint64_t size = 1ull << user_params.buf_page_shift;
	uint64_t before = pg_fault_count();

	for (uint64_t i = 0; i < pages; i++)
		pg_buf()[i * size] = (uint8_t)i;
	pg_ctl(PG_CTL_SYNC, PG_SYNC_PAGES, PG_BUF_VA, pages,
	       user_params.buf_page_shift | user_params.frame_policy << 8);
	pg_report("faults", pg_fault_count() - before, "");
}

void __attribute__((noreturn)) user_start(void)
{
	pg_ctl(PG_CTL_SYNC, PG_SYNC_USER_UP, rdtsc(), 0, 0);
	switch (user_params.mode) {
	case PG_MODE_SELFTEST:
		selftest_run();
	case PG_MODE_SERVE:
		serve_run();
	case PG_MODE_MICRO:
		micro_run();
	case PG_MODE_HOSTILE:
		hostile_run();
	case PG_MODE_NOTIFY:
		notify_run();
	case PG_MODE_CAMERA:
		camera_run();
	case PG_MODE_ASSERT:
		GUEST_ASSERT(user_params.arg[0] == 0x600d);
		break;
	case PG_MODE_EXCEPTION:
		__asm__ volatile("ud2");
		break;
	case PG_MODE_TOUCH:
		touch_pages(user_params.arg[0]);
		break;
	default:
		pg_abort(__FILE__, __LINE__, "unknown mode in the parameter block");
	}
	pg_done(0);
}
