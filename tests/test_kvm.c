/*
 * The VMM and the guest together on real KVM: boot and console, a guest assert arriving
 * with file:line, an unexpected ring-3 exception reported with vector and RIP, exact
 * demand-paging fault counts for 4 KiB and 2 MiB pages, and frames that really are
 * scattered (the host re-walks them with the software walker and KVM_TRANSLATE).  Also
 * the command line's clear exit-2 answer when the KVM device is missing, and host -> guest
 * notification interrupts arriving, and the self-test's honesty: the fault injection it
 * names, and clock figures that are times or "not measured", never nonsense.  Without a
 * usable /dev/kvm the KVM tests are skipped with the reason printed (a failure under CI).
 */
#include <fcntl.h>
#include <setjmp.h>
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
	};

	return cmocka_run_group_tests_name("kvm", tests, probe_kvm, NULL);
}
