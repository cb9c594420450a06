/*
 * The VMM and the guest together on real KVM: boot and console, a guest assert arriving
 * with file:line, an unexpected ring-3 exception reported with vector and RIP, exact
 * demand-paging fault counts for 4 KiB and 2 MiB pages, and frames that really are
 * scattered (the host re-walks them with the software walker and KVM_TRANSLATE).  Also
 * the command line's clear exit-2 answer when the KVM device is missing, and host -> guest
 * notification interrupts arriving, and the self-test's honesty: the fault injection it
 * names, and clock figures that are times or "not measured", never nonsense.  And "asking
 * the VM" from a second thread: vcpu_kick gets a busy vCPU out of KVM_RUN so that thread's
 * KVM_TRANSLATE answers at once and right, and the guest runs on undisturbed.  Without a
 * usable /dev/kvm the KVM tests are skipped with the reason printed (a failure under CI).
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <cmocka.h>
#include "ptwalk.h"
#include "testlib.h"
#include "vm.h"
#include "x86.h"

static bool kvm_usable;

struct page_checks {
	int calls, failures;
	int expect_policy; /* the policy the hook asks vcpu_check_pages to confirm */
	char detail[256];
};

static uint64_t check_pages_hook(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct kvm_regs *r = vcpu_regs(v);
	struct page_checks *pc = ctx;

	if (tag == PG_SYNC_NULL_RING)
		return PG_CTL_OK;
	if (tag != PG_SYNC_PAGES)
		return PG_CTL_EINVAL;
	pc->calls++;
	if (!vcpu_check_pages(v, r->rsi, r->r8, r->r9 & 0xff,
			      pc->expect_policy >= 0 ? pc->expect_policy : (int)(r->r9 >> 8), pc->detail,
			      sizeof(pc->detail))) {
		pc->failures++;
		return PG_CTL_EINVAL;
	}
	return PG_CTL_OK;
}

static struct vm *boot(uint32_t mode, unsigned shift, unsigned policy, uint64_t arg0, struct page_checks *pc)
{
	struct vm_config cfg = { .mem_bytes = 256ull << 20, .guest_path = test_guest_path(), .quiet = true };
	struct vm *vm;

	if (!kvm_usable)
		skip();
	cfg.params.mode = mode;
	cfg.params.buf_page_shift = shift;
	cfg.params.frame_policy = policy;
	cfg.params.seed = 0x5eed;
	cfg.params.arg[0] = arg0;
	vm = vm_create(&cfg);
	vm->sync_hook = check_pages_hook;
	vm->sync_ctx = pc;
	vm_run(vm);
	return vm;
}

static void expect_text(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void test_boot_console_and_selftest(void **state)
{
	struct page_checks pc = { .expect_policy = -1 };
	struct vm *vm = boot(PG_MODE_SELFTEST, PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0, &pc);
	char outcome[1200];

	(void)state;
	vm_describe_outcome(vm, outcome, sizeof(outcome));
	if (vm->outcome != VM_DONE || vm->done_status != 0)
		fail_msg("%s", outcome);
	assert_true(vm_console_contains(vm, "hello from ring 3\n"));
	assert_int_equal(vm->checks_failed, 0);
	assert_true(vm->checks_passed >= 5);
	assert_int_equal(pc.calls, 3);
	assert_int_equal(pc.failures, 0);
	assert_non_null(vm_find_report(vm, "page fault, ring 3 (first touch)"));
	vm_destroy(vm);
}

static void test_guest_assert_reaches_host(void **state)
{
	struct vm *vm = boot(PG_MODE_ASSERT, PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0, NULL);

	(void)state;
	assert_int_equal(vm->outcome, VM_ABORT);
	expect_text(vm->abort_text, "guest-bench/user/start.c:");
	expect_text(vm->abort_text, ": assert failed: user_params.arg[0] == 0x600d");
	vm_destroy(vm);
	vm = boot(PG_MODE_ASSERT, PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0x600d, NULL); /* holds */
	assert_int_equal(vm->outcome, VM_DONE);
	vm_destroy(vm);
}

static void test_unexpected_exception_reported(void **state)
{
	struct vm *vm = boot(PG_MODE_EXCEPTION, PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0, NULL);
	const char *rip;

	(void)state;
	assert_int_equal(vm->outcome, VM_ABORT);
	expect_text(vm->abort_text, "unexpected exception: vector 6,");
	expect_text(vm->abort_text, "(CPL 3)");
	rip = strstr(vm->abort_text, "RIP 0x");
	assert_non_null(rip);
	assert_in_range(strtoull(rip + 4, NULL, 16), PG_USER_IMAGE_VA, PG_USER_IMAGE_END - 1);
	vm_destroy(vm);
}

static void expect_faults(unsigned shift, unsigned policy, uint64_t pages)
{
	struct page_checks pc = { .expect_policy = -1 };
	struct vm *vm = boot(PG_MODE_TOUCH, shift, policy, pages, &pc);
	const struct vm_report *faults = vm_find_report(vm, "faults");
	char outcome[1200];

	vm_describe_outcome(vm, outcome, sizeof(outcome));
	if (vm->outcome != VM_DONE)
		fail_msg("%s", outcome);
	assert_non_null(faults);
	assert_int_equal(faults->value, pages);
	if (pc.failures)
		fail_msg("host walk: %s", pc.detail);
	assert_int_equal(pc.calls, 1);
	vm_destroy(vm);
}

static void test_fault_count_equals_touched_pages(void **state)
{
	(void)state;
	expect_faults(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 1);
	expect_faults(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 300);
	expect_faults(PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, 257);
	expect_faults(PAGE_SHIFT_2M, PG_FRAMES_CONTIGUOUS, 3);
	expect_faults(PAGE_SHIFT_2M, PG_FRAMES_SCATTERED, 5);
}

static void test_scattered_frames_are_not_contiguous(void **state)
{
	struct page_checks pc = { .expect_policy = PG_FRAMES_CONTIGUOUS };
	struct vm *vm = boot(PG_MODE_TOUCH, PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, 128, &pc);

	(void)state;
	assert_int_equal(pc.calls, 1);
	assert_int_equal(pc.failures, 1); /* the contiguous claim is refuted by the walk */
	expect_text(pc.detail, "128 pages agree with KVM_TRANSLATE");
	vm_destroy(vm);
}

static void test_missing_kvm_device(void **state)
{
	char cmd[512], out[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s/pagegate --kvm-dev /nonexistent/kvm selftest", test_build_dir());
	assert_int_equal(test_capture(cmd, out, sizeof(out)), 2);
	expect_text(out, "cannot open /nonexistent/kvm: No such file or directory");
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1); /* exactly one line */
}

/* The KVM here offers KVM_CAP_EXCEPTION_PAYLOAD. */
static bool kvm_has_exception_payload(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool has = fd >= 0 && ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD) > 0;

	if (fd >= 0)
		close(fd);
	return has;
}

/* `pagegate selftest` names the platform and the fault injection it used, and every
 * figure that mixes guest and host clocks is either a non-negative time or "not
 * measured" — on an emulated CPU, where the clocks are unrelated, never a number. */
static void test_selftest_clocks_are_honest(void **state)
{
	static const char *const mixed[] = { "exit leg (guest OUT -> host)", "entry leg (host KVM_RUN -> guest)",
					     "boot: first KVM_RUN -> kernel entry", "boot: kernel set-up (ring 0)" };
	char cmd[512], out[16384];
	struct kvm_platform p;

	(void)state;
	if (!kvm_usable)
		skip();
	kvm_platform_probe(&p);
	snprintf(cmd, sizeof(cmd), "%s/pagegate --quiet selftest", test_build_dir());
	assert_int_equal(test_capture(cmd, out, sizeof(out)), 0);
	expect_text(out, kvm_has_exception_payload() ? "page faults injected by exception-payload"
						     : "page faults injected by sregs-cr2");
	if (p.emulated)
		expect_text(out, "emulated CPU (QEMU TCG): timings are not meaningful");
	for (size_t i = 0; i < sizeof(mixed) / sizeof(mixed[0]); i++) {
		const char *line = strstr(out, mixed[i]);
		double us;

		if (!line)
			fail_msg("no \"%s\" line in:\n%s", mixed[i], out);
		line += strlen(mixed[i]);
		if (strncmp(line + strspn(line, " "), "not measured", 12) == 0)
			continue;
		assert_false(p.emulated); /* a number there is a lie */
		us = strtod(line, NULL);
		if (!(us >= 0))
			fail_msg("%s: %f us", mixed[i], us);
	}
}

struct agreement {
	int checked, mapped, mismatches;
	char first[200];
};

/* At the guest's SYNC PAGES: random addresses — the touched pages, the untouched rest of
 * the region, the kernel and ring-3 images, anywhere below 2^47 — translated by every
 * method; all must agree with KVM_TRANSLATE on mapped / not mapped and on the address. */
static uint64_t agreement_hook(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct agreement *ag = ctx;
	const struct guest_mem *m = &v->vm->mem;
	uint64_t cr3 = vcpu_sregs(v)->cr3, pages = vcpu_regs(v)->r8, shift = vcpu_regs(v)->r9 & 0xff;
	struct pt_walk_cache cache;

	if (tag != PG_SYNC_PAGES)
		return PG_CTL_OK;
	pt_walk_cache_reset(&cache);
	srand(5);
	for (int i = 0; i < 4000; i++) {
		uint64_t r = (uint64_t)rand() << 31 ^ (uint64_t)rand(), va, by_kvm = 0, gpa;
		struct pt_walk w, wc;
		enum pt_walk_status st, lst;
		int kvm_ok;

		switch (i % 4) {
		case 0: va = PG_BUF_VA + r % (pages << shift); break;           /* touched */
		case 1: va = PG_BUF_VA + r % (4 * (pages << shift)); break;     /* mostly untouched */
		case 2: va = r % PG_USER_IMAGE_END; break;                      /* kernel and user images */
		default: va = r & ((1ull << 47) - 1); break;                    /* anywhere */
		}
		kvm_ok = vcpu_translate(v, va, &by_kvm) == 0;
		st = pt_walk(m, cr3, va, &w);
		lst = pt_walk_cached(&cache, m, cr3, va, &wc) == st && (st != PTW_OK || wc.gpa == w.gpa) ? st : PTW_NO_ACCESS;
		ag->checked++;
		ag->mapped += kvm_ok;
		if ((st == PTW_OK) != kvm_ok || lst != st || (kvm_ok && w.gpa != by_kvm) ||
		    (kvm_ok && w.user && (pt_translate_leafcopy(m, cr3, va & ~4095ull, 1, false, &gpa, &lst) != 1 ||
					  gpa != (by_kvm & ~4095ull)))) {
			if (!ag->mismatches++)
				snprintf(ag->first, sizeof(ag->first), "GVA 0x%llx: KVM_TRANSLATE %s 0x%llx, walk %s 0x%llx",
					 (unsigned long long)va, kvm_ok ? "ok" : "unmapped", (unsigned long long)by_kvm,
					 pt_walk_status_name(st), (unsigned long long)w.gpa);
		}
	}
	return PG_CTL_OK;
}

static void check_agreement(unsigned shift, unsigned policy, uint64_t pages)
{
	struct vm_config cfg = { .mem_bytes = 256ull << 20, .guest_path = test_guest_path(), .quiet = true };
	struct agreement ag = { 0 };
	struct vm *vm;

	if (!kvm_usable)
		skip();
	cfg.params = (struct pg_params){ .mode = PG_MODE_TOUCH, .buf_page_shift = shift, .frame_policy = policy,
					 .seed = 9, .arg = { pages } };
	vm = vm_create(&cfg);
	vm->sync_hook = agreement_hook;
	vm->sync_ctx = &ag;
	assert_int_equal(vm_run(vm), VM_DONE);
	vm_destroy(vm);
	assert_int_equal(ag.checked, 4000);
	if (ag.mismatches)
		fail_msg("%d of %d addresses disagree; first: %s", ag.mismatches, ag.checked, ag.first);
	assert_true(ag.mapped > 1000 && ag.mapped < 3500); /* both kinds really were checked */
}

static void test_translators_agree_with_kvm_translate(void **state)
{
	(void)state;
	check_agreement(PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, 500);
	check_agreement(PAGE_SHIFT_2M, PG_FRAMES_SCATTERED, 8);
}

/* Host -> guest notification: every interrupt injected at the guest's halt arrives (the
 * guest asserts its kernel counted each), and every polled write is seen; the latencies
 * are measured for all 25 rounds — or, on an emulated CPU, "not measured". */
static void test_notification_interrupts_arrive(void **state)
{
	char cmd[512], out[2048];
	struct kvm_platform p;

	(void)state;
	if (!kvm_usable)
		skip();
	kvm_platform_probe(&p);
	snprintf(cmd, sizeof(cmd), "%s/pagegate --quiet --mem 64M notify --rounds 25", test_build_dir());
	if (test_capture(cmd, out, sizeof(out)) != 0 || !strstr(out, "interrupts delivered: 25 of 25; guest done, status 0") ||
	    !strstr(out, p.emulated ? "not measured" : "(25 rounds)") || (p.emulated && strstr(out, "rounds)")))
		fail_msg("%s", out);
}

/* "Ask the VM" from a second thread while the vCPU runs (the guest in micro mode, spinning
 * in ring 3 with no exit): a kicker thread waits for the guest's loop to beat, holds the
 * vCPU thread out of KVM_RUN, vcpu_kick()s it and asks KVM_TRANSLATE, one page after the
 * other.  Each answer must equal the vCPU thread's own KVM_TRANSLATE and the software
 * walk; kicks must have ended runs with KVM_EXIT_INTR; and the guest's loop, kicked out
 * and resumed again and again, must come back with the right sum. */
#define KICK_PAGES 8
#define KICK_SPIN_MS 50

struct kick_test {
	struct vcpu *v;
	int reqs; /* the guest's MICRO_REQs so far */
	uint64_t by_kvm[KICK_PAGES], by_walk[KICK_PAGES], by_kicker[KICK_PAGES];
	volatile uint64_t *beat;
	atomic_bool hold, gone;
	atomic_int kicked; /* pages the kicker has translated */
	pthread_t kicker;
	bool kicker_started;
	int busy_results, bad_sums, intr_exits;
};

static uint64_t sum_of_squares_up_to(uint64_t n)
{
	uint64_t s = 0;

	for (uint64_t i = 1; i <= n; i++)
		s += i * i;
	return s;
}

static void *kicker(void *ctx)
{
	struct kick_test *kt = ctx;

	for (int i = 0; i < KICK_PAGES; i++) {
		uint64_t b0 = *kt->beat;

		while (*kt->beat == b0) /* the guest runs: the vCPU is inside KVM_RUN */
			if (atomic_load(&kt->gone))
				return NULL;
		atomic_store(&kt->hold, true);
		vcpu_kick(kt->v);
		if (vcpu_translate(kt->v, PG_BUF_VA + ((uint64_t)i << PAGE_SHIFT_4K), &kt->by_kicker[i]))
			kt->by_kicker[i] = ~0ull;
		atomic_store(&kt->hold, false);
		atomic_fetch_add(&kt->kicked, 1);
	}
	return NULL;
}

/* Between runs, on the vCPU thread: the reference translations, the guest's beat word,
 * and the kicker started. */
static bool start_kicker(struct kick_test *kt, uint64_t req_gva)
{
	const struct guest_mem *m = &kt->v->vm->mem;
	uint64_t gpa;

	for (int i = 0; i < KICK_PAGES; i++) {
		uint64_t va = PG_BUF_VA + ((uint64_t)i << PAGE_SHIFT_4K);
		struct pt_walk w;

		if (vcpu_translate(kt->v, va, &kt->by_kvm[i]) || pt_walk(m, vcpu_sregs(kt->v)->cr3, va, &w) != PTW_OK)
			return false;
		kt->by_walk[i] = w.gpa;
	}
	if (vcpu_translate(kt->v, req_gva + offsetof(struct pg_micro_req, beat), &gpa) ||
	    !(kt->beat = gmem_guest_ptr(m, gpa, 8)))
		return false;
	kt->kicker_started = pthread_create(&kt->kicker, NULL, kicker, kt) == 0;
	return kt->kicker_started;
}

/* The guest's requests: map the pages, then busy spins until the kicker is through. */
static uint64_t kick_hook(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct kick_test *kt = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	struct pg_micro_req req = { .page_shift = PAGE_SHIFT_4K, .frame_policy = PG_FRAMES_SCATTERED, .seed = 3,
				    .pages = KICK_PAGES };
	uint64_t what = PG_MICRO_MAP;

	if (tag == PG_SYNC_MICRO_READY)
		return 0;
	if (tag != PG_SYNC_MICRO_REQ)
		return PG_CTL_EINVAL;
	if (r->r8) {
		kt->busy_results++;
		kt->bad_sums += r->r8 >= 1ull << 32 || r->r9 != sum_of_squares_up_to(r->r8);
	}
	if (kt->reqs++ > 0) {
		if (kt->reqs == 2 && !start_kicker(kt, r->rsi))
			return PG_MICRO_DONE;
		if (atomic_load(&kt->kicked) == KICK_PAGES || kt->reqs > 100)
			return PG_MICRO_DONE;
		req = (struct pg_micro_req){ .spin_ticks = v->tsc_khz * KICK_SPIN_MS };
		what = PG_MICRO_BUSY;
	}
	if (gmem_write_gva(&v->vm->mem, vcpu_sregs(v)->cr3, r->rsi, &req, offsetof(struct pg_micro_req, beat)))
		return PG_MICRO_DONE;
	return what;
}

static void test_kicked_vcpu_translates_and_runs_on(void **state)
{
	struct vm_config cfg = { .mem_bytes = 256ull << 20, .guest_path = test_guest_path(), .quiet = true };
	struct kick_test kt = { 0 };
	char outcome[1200];
	struct vm *vm;

	(void)state;
	if (!kvm_usable)
		skip();
	cfg.params = (struct pg_params){ .mode = PG_MODE_MICRO, .buf_page_shift = PAGE_SHIFT_4K };
	vm = vm_create(&cfg);
	kt.v = vm->vcpus[0];
	assert_true(kt.v->tsc_khz > 0);
	vm->sync_hook = kick_hook;
	vm->sync_ctx = &kt;
	for (int runs = 0; runs < 100000 && vcpu_run_once(kt.v) == EXIT_CONTINUE; runs++) {
		kt.intr_exits += kt.v->run->exit_reason == KVM_EXIT_INTR;
		while (atomic_load(&kt.hold)) /* the kicker asks KVM: stay out */
			;
	}
	atomic_store(&kt.gone, true);
	if (kt.kicker_started)
		pthread_join(kt.kicker, NULL);
	vm_describe_outcome(vm, outcome, sizeof(outcome));
	if (vm->outcome != VM_DONE || vm->done_status != 0)
		fail_msg("%s", outcome);
	vm_destroy(vm);
	assert_true(kt.kicker_started);
	assert_int_equal(atomic_load(&kt.kicked), KICK_PAGES);
	for (int i = 0; i < KICK_PAGES; i++) {
		assert_int_equal(kt.by_kicker[i], kt.by_kvm[i]);
		assert_int_equal(kt.by_walk[i], kt.by_kvm[i]);
	}
	assert_true(kt.intr_exits >= 1); /* the kicks, not the spins' ends, let the asks in */
	assert_true(kt.busy_results >= 1);
	assert_int_equal(kt.bad_sums, 0);
}

static int probe_kvm(void **state)
{
	(void)state;
	kvm_usable = test_kvm_usable("test_kvm");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_kvm_device),
		cmocka_unit_test(test_boot_console_and_selftest),
		cmocka_unit_test(test_selftest_clocks_are_honest),
		cmocka_unit_test(test_guest_assert_reaches_host),
		cmocka_unit_test(test_unexpected_exception_reported),
		cmocka_unit_test(test_fault_count_equals_touched_pages),
		cmocka_unit_test(test_scattered_frames_are_not_contiguous),
		cmocka_unit_test(test_translators_agree_with_kvm_translate),
		cmocka_unit_test(test_notification_interrupts_arrive),
		cmocka_unit_test(test_kicked_vcpu_translates_and_runs_on),
	};

	return cmocka_run_group_tests_name("kvm", tests, probe_kvm, NULL);
}
