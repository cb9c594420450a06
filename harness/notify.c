/*
 * `pagegate notify`: how fast the host can tell the guest's process something, two ways
 * (guest side: guest-bench/user/notify.c).  Interrupt: the process halts through a system
 * call with interrupts on; at the HLT exit the host stamps its TSC and injects
 * PG_NOTIFY_VECTOR with KVM_INTERRUPT (no in-kernel irqchip needed, so the same on every
 * KVM backend); latency = the process's TSC when it runs again - the host's stamp.
 * Polling: a host thread stamps its TSC and writes a counter the process spins on;
 * latency = the process's TSC when it sees the change - that stamp.  Clocks are related
 * through the vCPU's TSC offset.  Medians and p95 over --rounds each.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "notify.h"
#include "stats.h"

#define MAX_ROUNDS 10000

struct notify {
	struct vcpu *v;
	uint64_t rounds, irq_stamp, delivered;
	volatile uint64_t *poll_word;
	uint64_t poll_stamp[MAX_ROUNDS + 1];
	atomic_uint_fast64_t seen; /* polling rounds the process has reported */
	double irq_ns[MAX_ROUNDS], poll_ns[MAX_ROUNDS];
	size_t nirq, npoll;
	pthread_t writer;
	bool writer_started, failed;
};

static enum exit_action on_halt(struct vcpu *v, void *ctx)
{
	struct notify *n = ctx;

	n->irq_stamp = __rdtsc();
	if (vcpu_interrupt(v, PG_NOTIFY_VECTOR)) {
		fprintf(stderr, "pagegate notify: the vCPU halted but cannot take an interrupt (IF %u, ready %u)\n",
			v->run->if_flag, v->run->ready_for_interrupt_injection);
		n->failed = true;
		return EXIT_STOP;
	}
	n->delivered++;
	return EXIT_CONTINUE;
}

static void *poll_writer(void *ctx)
{
	struct notify *n = ctx;

	for (uint64_t i = 1; i <= n->rounds; i++) {
		struct timespec pause = { 0, 200000 };

		nanosleep(&pause, NULL); /* let the process settle into its spin */
		n->poll_stamp[i] = __rdtsc();
		*n->poll_word = i;
		while (atomic_load(&n->seen) < i)
			;
	}
	return NULL;
}

static uint64_t on_sync(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct notify *n = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	uint64_t host_seen = 0, gpa;
	bool timed = tag == PG_SYNC_NOTIFY_SEEN && vcpu_stamp_in_run(v, r->rsi, &host_seen);

	if (tag == PG_SYNC_POLL_READY) {
		if (vcpu_translate(v, r->rsi, &gpa) || !(n->poll_word = gmem_guest_ptr(&v->vm->mem, gpa, 8)))
			return PG_CTL_EFAULT;
		n->writer_started = pthread_create(&n->writer, NULL, poll_writer, n) == 0;
		return n->writer_started ? PG_CTL_OK : PG_CTL_EINVAL;
	}
	if (tag != PG_SYNC_NOTIFY_SEEN)
		return PG_CTL_EINVAL;
	if (r->r8 == 0 && n->nirq < MAX_ROUNDS && timed)
		n->irq_ns[n->nirq++] = vcpu_tsc_to_ns(v, (double)(int64_t)(host_seen - n->irq_stamp));
	if (r->r8 == 1 && n->npoll < MAX_ROUNDS) {
		uint64_t i = atomic_load(&n->seen) + 1;

		if (timed)
			n->poll_ns[n->npoll] = vcpu_tsc_to_ns(v, (double)(int64_t)(host_seen - n->poll_stamp[i]));
		n->npoll++;
		atomic_store(&n->seen, i);
	}
	return PG_CTL_OK;
}

static void report(const struct vcpu *v, const char *what, const double *ns, size_t k)
{
	char why[160];

	if (!vcpu_clocks_related(v)) {
		vcpu_clocks_why_not(v, why, sizeof(why));
		printf("  %-34s not measured (%s)\n", what, why);
		return;
	}
	if (!k)
		return;
	printf("  %-34s median %8.2f us   p95 %8.2f us   (%zu rounds)\n", what, stats_median(ns, k) / 1e3,
	       stats_percentile(ns, k, 95) / 1e3, k);
}

int notify_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct notify *n = calloc(1, sizeof(*n));
	struct vm_config c = *cfg;
	char why[1200], platform[160];
	struct vm *vm;
	int rc;

	n->rounds = 200;
	if (argc == 3 && !strcmp(argv[1], "--rounds"))
		n->rounds = strtoull(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "pagegate: usage: pagegate notify [--rounds N]\n");
		free(n);
		return 2;
	}
	if (!n->rounds || n->rounds > MAX_ROUNDS) {
		fprintf(stderr, "pagegate notify: --rounds wants 1..%d\n", MAX_ROUNDS);
		free(n);
		return 2;
	}
	rc = kvm_check_environment();
	if (rc) {
		free(n);
		return rc;
	}
	c.params.mode = PG_MODE_NOTIFY;
	c.params.arg[0] = n->rounds;
	vm = vm_create(&c);
	n->v = vm->vcpus[0];
	vm->halt_hook = on_halt;
	vm->halt_ctx = n;
	vm->sync_hook = on_sync;
	vm->sync_ctx = n;
	rc = vm_run(vm) == VM_DONE && !n->failed && n->delivered == n->rounds && n->npoll == n->rounds ? 0 : 1;
	vm_describe_outcome(vm, why, sizeof(why));
	if (n->writer_started)
		pthread_join(n->writer, NULL);
	kvm_platform_describe(&vm->platform, platform, sizeof(platform));
	printf("host -> guest notification latency (host stamp -> the guest process runs; KVM backend %s):\n",
	       platform);
	report(n->v, "interrupt (KVM_INTERRUPT at HLT)", n->irq_ns, n->nirq);
	report(n->v, "polled word written by a host thread", n->poll_ns, n->npoll);
	printf("interrupts delivered: %llu of %llu; %s\n", (unsigned long long)n->delivered,
	       (unsigned long long)n->rounds, why);
	vm_destroy(vm);
	free(n);
	return rc;
}
