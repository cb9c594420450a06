/*
 * The vCPU exit loop: KVM_RUN, then dispatch.  Port I/O and MMIO go through the VM's one
 * handler table (one signature for every trap, as in kvmtool); every other exit reason
 * ends the run with a clear message naming the reason, RIP, CPL and the guest's last
 * console line.  Registers arrive through KVM_CAP_SYNC_REGS, so an exit costs no
 * register ioctl.  vcpu_kick ends a running vCPU's KVM_RUN from another thread.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>
#include "vm.h"

static const char *exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN (triple fault)",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unnamed";
}

static void stop_with_error(struct vcpu *v, const char *what)
{
	struct vm *vm = v->vm;

	vm->outcome = VM_ERROR;
	snprintf(vm->error_text, sizeof(vm->error_text),
		 "%s (exit reason %u %s) at RIP 0x%llx, CPL %u; last console line: \"%s\"", what,
		 v->run->exit_reason, exit_reason_name(v->run->exit_reason),
		 (unsigned long long)vcpu_regs(v)->rip, vcpu_sregs(v)->cs.dpl, vm->last_line);
}

static enum exit_action dispatch_io(struct vcpu *v, struct io_access *a, bool mmio)
{
	struct vm *vm = v->vm;
	char what[96];

	for (int i = 0; i < vm->nr_io; i++) {
		struct io_handler *h = &vm->io[i];

		if (h->mmio == mmio && a->addr >= h->base && a->addr - h->base < h->len)
			return h->fn(v, a, h->ctx);
	}
	snprintf(what, sizeof(what), "guest %s unclaimed %s 0x%llx", a->write ? "wrote" : "read",
		 mmio ? "MMIO address" : "port", (unsigned long long)a->addr);
	stop_with_error(v, what);
	return EXIT_STOP;
}

static enum exit_action handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct io_access a;
	char what[64];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		a = (struct io_access){ run->io.port, run->io.size, run->io.count,
					run->io.direction == KVM_EXIT_IO_OUT,
					(uint8_t *)run + run->io.data_offset };
		return dispatch_io(v, &a, false);
	case KVM_EXIT_MMIO:
		a = (struct io_access){ run->mmio.phys_addr, run->mmio.len, 1, run->mmio.is_write,
					run->mmio.data };
		return dispatch_io(v, &a, true);
	case KVM_EXIT_INTR:
		return EXIT_CONTINUE;
	case KVM_EXIT_HLT:
		if (v->vm->halt_hook)
			return v->vm->halt_hook(v, v->vm->halt_ctx);
		stop_with_error(v, "guest halted");
		return EXIT_STOP;
	case KVM_EXIT_SHUTDOWN:
		stop_with_error(v, "guest shut down (triple fault)");
		return EXIT_STOP;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error, suberror %u", run->internal.suberror);
		stop_with_error(v, what);
		return EXIT_STOP;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed, reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		stop_with_error(v, what);
		return EXIT_STOP;
	default:
		stop_with_error(v, "unexpected exit");
		return EXIT_STOP;
	}
}

volatile sig_atomic_t vm_stop_requested;

enum exit_action vcpu_run_once(struct vcpu *v)
{
	int rc;

	assert(pthread_equal(v->thread, pthread_self())); /* vcpu_kick signals that thread */
	v->t_enter = __rdtsc();
	if (!v->exits)
		v->t_first_enter = v->t_enter;
	rc = ioctl(v->fd, KVM_RUN, 0);
	v->t_exit = __rdtsc();
	/* A kick served by this return (or landing just after it) is spent: cleared after
	 * the run, never before, so a kick between runs ends the next one at once. */
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
	v->run->kvm_dirty_regs = 0;
	v->exits++;
	if (vm_stop_requested) {
		stop_with_error(v, "interrupted by a signal");
		return EXIT_STOP;
	}
	if (rc < 0 && errno != EINTR) {
		char what[96];

		snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
		stop_with_error(v, what);
		return EXIT_STOP;
	}
	return rc == 0 ? handle_exit(v) : EXIT_CONTINUE;
}

static void kick_handler(int sig)
{
	(void)sig; /* delivering the signal is what ends KVM_RUN */
}

static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL)) {
		perror("pagegate: sigaction for vcpu_kick");
		exit(1);
	}
}

void vcpu_kick(struct vcpu *v)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int err;

	pthread_once(&once, install_kick_handler);
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	err = pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	if (err) {
		fprintf(stderr, "pagegate: vcpu_kick: pthread_kill: %s\n", strerror(err));
		exit(1);
	}
}

enum vm_outcome vm_run(struct vm *vm)
{
	vm->outcome = VM_RUNNING;
	while (vcpu_run_once(vm->vcpus[0]) == EXIT_CONTINUE)
		;
	return vm->outcome;
}

void vm_describe_outcome(const struct vm *vm, char *out, size_t cap)
{
	switch (vm->outcome) {
	case VM_DONE:
		snprintf(out, cap, "guest done, status %llu", (unsigned long long)vm->done_status);
		break;
	case VM_ABORT:
		snprintf(out, cap, "guest aborted: %s", vm->abort_text);
		break;
	case VM_ERROR:
		snprintf(out, cap, "VM stopped: %s", vm->error_text);
		break;
	default:
		snprintf(out, cap, "VM still running");
	}
}
