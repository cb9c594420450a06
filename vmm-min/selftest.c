/*
 * `pagegate selftest`: boot the guest in self-test mode, let it run its checks (ring-3
 * entry, console, control port, demand paging with both frame policies and both page
 * sizes, each re-walked by the host), add the host's own checks, and print this
 * machine's calibration: ring-3 doorbell round trip split into its exit leg (guest TSC
 * at the OUT -> KVM_RUN returns) and entry leg (KVM_RUN called -> guest resumes), the
 * guest page-fault cost and the boot time.  Exit status 0 only if every check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "selftest.h"

#define MAX_RINGS 2048

struct calibration {
	uint64_t exit_legs[MAX_RINGS], entry_legs[MAX_RINGS];
	size_t nr_exit, nr_entry;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ticks(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)(int64_t)v[n / 2];
}

static uint64_t selftest_sync(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct calibration *cal = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	char detail[192];
	uint64_t host;
	bool ok;

	switch (tag) {
	case PG_SYNC_NULL_RING:
		if (cal->nr_exit < MAX_RINGS && vcpu_stamp_in_run(v, r->rsi, &host))
			cal->exit_legs[cal->nr_exit++] = v->t_exit - host;
		/* the previous ring's resume, stamped in this run */
		if (r->r8 && cal->nr_entry < MAX_RINGS && vcpu_stamp_in_run(v, r->r8, &host))
			cal->entry_legs[cal->nr_entry++] = host - v->t_enter;
		return PG_CTL_OK;
	case PG_SYNC_PAGES:
		ok = vcpu_check_pages(v, r->rsi, r->r8, r->r9 & 0xff, (int)(r->r9 >> 8), detail, sizeof(detail));
		vm_record_check(v->vm, "host walk of the touched pages", ok, detail);
		return ok ? PG_CTL_OK : PG_CTL_EINVAL;
	default:
		return PG_CTL_EINVAL;
	}
}

static void print_ns(const struct vcpu *v, const char *what, double ticks)
{
	printf("  %-40s %10.3f us\n", what, vcpu_tsc_to_ns(v, ticks) / 1000.0);
}

static void print_not_measured(const struct vcpu *v, const char *what)
{
	char why[160];

	vcpu_clocks_why_not(v, why, sizeof(why));
	printf("  %-40s not measured (%s)\n", what, why);
}

/* Boot phases split at the kernel's first instruction, stamped by the guest's clock
 * somewhere between the first KVM_RUN and the KERNEL_UP exit. */
static void print_boot(struct vm *vm)
{
	struct vcpu *v = vm->vcpus[0];
	uint64_t t_start = v->t_first_enter, entry = vm->host_tsc_kernel_entry;

	if (vm->kernel_entry_checked && vcpu_clocks_related(v)) {
		print_ns(v, "boot: first KVM_RUN -> kernel entry", (double)(entry - t_start));
		print_ns(v, "boot: kernel set-up (ring 0)", (double)(vm->tsc_kernel_up - entry));
	} else {
		print_not_measured(v, "boot: first KVM_RUN -> kernel entry");
		print_not_measured(v, "boot: kernel set-up (ring 0)");
	}
	print_ns(v, "boot: first KVM_RUN -> ring-3 entry", (double)(vm->tsc_user_up - t_start));
}

static void print_calibration(struct vm *vm, struct calibration *cal)
{
	struct vcpu *v = vm->vcpus[0];
	const char *names[] = { "doorbell round trip (guest view)", "page fault, ring 3 (first touch)",
				"touch of a mapped page" };
	char platform[160];

	kvm_platform_describe(&vm->platform, platform, sizeof(platform));
	printf("calibration (medians; KVM backend %s; TSC %llu kHz):\n", platform, (unsigned long long)v->tsc_khz);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct vm_report *rep = vm_find_report(vm, names[i]);

		if (rep)
			print_ns(v, names[i], (double)rep->value);
	}
	if (vcpu_clocks_related(v) && cal->nr_exit && cal->nr_entry) {
		print_ns(v, "  exit leg (guest OUT -> host)", median_ticks(cal->exit_legs, cal->nr_exit));
		print_ns(v, "  entry leg (host KVM_RUN -> guest)", median_ticks(cal->entry_legs, cal->nr_entry));
	} else {
		print_not_measured(v, "  exit leg (guest OUT -> host)");
		print_not_measured(v, "  entry leg (host KVM_RUN -> guest)");
	}
	print_boot(vm);
}

int selftest_main(const struct vm_config *base)
{
	struct vm_config cfg = *base;
	struct calibration *cal = calloc(1, sizeof(*cal));
	char outcome[1200], platform[160];
	struct vm *vm;
	int failed;

	cfg.params.mode = PG_MODE_SELFTEST;
	vm = vm_create(&cfg);
	vm->sync_hook = selftest_sync;
	vm->sync_ctx = cal;
	kvm_platform_describe(&vm->platform, platform, sizeof(platform));
	printf("pagegate selftest: %llu MiB guest RAM, KVM backend %s, page faults injected by %s\n",
	       (unsigned long long)(vm->mem.size >> 20), platform, fault_injection_name(vm->fault_injection));
	vm_run(vm);
	vm_describe_outcome(vm, outcome, sizeof(outcome));
	vm_record_check(vm, "console line from ring 3", vm_console_contains(vm, "hello from ring 3\n"), "");
	vm_record_check(vm, "guest finished with status 0", vm->outcome == VM_DONE && vm->done_status == 0,
			outcome);
	if (vm->outcome == VM_DONE)
		print_calibration(vm, cal);
	failed = vm->checks_failed;
	printf("selftest: %d passed, %d failed\n", vm->checks_passed, vm->checks_failed);
	vm_destroy(vm);
	free(cal);
	return failed ? 1 : 0;
}
