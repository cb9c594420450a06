/*
 * The control port (see abi.h): the guest's SYNC, DONE, ABORT, CHECK and REPORT calls.
 * Arguments come from the sync registers; strings and the abort record are read by
 * guest-virtual address through the checked helpers, so a bad pointer yields
 * "<unreadable>" and PG_CTL_EFAULT, never a host fault.  CHECK and REPORT lines are
 * printed and kept; ABORT stops the run with the guest's file:line and message.
 */
#include <stdio.h>
#include <string.h>
#include "vm.h"

static uint64_t guest_cr3(struct vcpu *v)
{
	return vcpu_sregs(v)->cr3;
}

static int read_str(struct vcpu *v, uint64_t gva, char *dst, size_t cap)
{
	return gmem_read_str(&v->vm->mem, guest_cr3(v), gva, dst, cap);
}

static void record_abort(struct vcpu *v, uint64_t info_gva)
{
	struct vm *vm = v->vm;
	struct pg_abort_info info;
	char file[128], msg[PG_ABORT_MSG_MAX];
	size_t n;

	vm->outcome = VM_ABORT;
	if (gmem_read_gva(&vm->mem, guest_cr3(v), info_gva, &info, sizeof(info))) {
		snprintf(vm->abort_text, sizeof(vm->abort_text),
			 "abort record at GVA 0x%llx is unreadable (RIP 0x%llx)",
			 (unsigned long long)info_gva, (unsigned long long)vcpu_regs(v)->rip);
		return;
	}
	read_str(v, info.file_gva, file, sizeof(file));
	read_str(v, info.msg_gva, msg, sizeof(msg));
	n = (size_t)snprintf(vm->abort_text, sizeof(vm->abort_text), "%s:%u: %s", file, info.line, msg);
	if (info.has_exception && n < sizeof(vm->abort_text))
		snprintf(vm->abort_text + n, sizeof(vm->abort_text) - n,
			 ": vector %llu, error code 0x%llx, RIP 0x%llx, CS 0x%llx (CPL %llu), CR2 0x%llx",
			 (unsigned long long)info.vector, (unsigned long long)info.error_code,
			 (unsigned long long)info.rip, (unsigned long long)info.cs,
			 (unsigned long long)(info.cs & 3), (unsigned long long)info.cr2);
}

static uint64_t record_check(struct vcpu *v, const struct kvm_regs *r)
{
	char name[96], detail[160] = "";
	int bad = read_str(v, r->rdi, name, sizeof(name));

	if (r->r8)
		bad |= read_str(v, r->r8, detail, sizeof(detail));
	vm_record_check(v->vm, name, r->rsi == 1 && !bad, detail);
	return bad ? PG_CTL_EFAULT : PG_CTL_OK;
}

void vm_record_check(struct vm *vm, const char *name, bool passed, const char *detail)
{
	if (passed)
		vm->checks_passed++;
	else
		vm->checks_failed++;
	if (!vm->quiet)
		printf("  %-4s %s%s%s\n", passed ? "ok" : "FAIL", name, detail[0] ? ": " : "", detail);
}

static uint64_t record_report(struct vcpu *v, const struct kvm_regs *r)
{
	struct vm *vm = v->vm;
	struct vm_report *rep;

	if (vm->nr_reports == VM_MAX_REPORTS)
		return PG_CTL_EINVAL;
	rep = &vm->reports[vm->nr_reports];
	if (read_str(v, r->rdi, rep->name, sizeof(rep->name)) ||
	    read_str(v, r->r8, rep->unit, sizeof(rep->unit)))
		return PG_CTL_EFAULT;
	rep->value = r->rsi;
	vm->nr_reports++;
	return PG_CTL_OK;
}

static uint64_t control_sync(struct vcpu *v, const struct kvm_regs *r)
{
	struct vm *vm = v->vm;

	switch (r->rdi) {
	case PG_SYNC_KERNEL_UP:
		vm->tsc_kernel_up = v->t_exit;
		vm->guest_tsc_kernel_entry = r->rsi;
		vm->kernel_entry_checked =
			vcpu_stamp_within(v, r->rsi, v->t_first_enter, v->t_exit, &vm->host_tsc_kernel_entry);
		return PG_CTL_OK;
	case PG_SYNC_USER_UP:
		vm->tsc_user_up = v->t_exit;
		return PG_CTL_OK;
	case PG_SYNC_ECHO:
		return r->rsi + 1;
	default:
		return vm->sync_hook ? vm->sync_hook(v, r->rdi, vm->sync_ctx) : PG_CTL_EINVAL;
	}
}

enum exit_action control_io(struct vcpu *v, struct io_access *a, void *ctx)
{
	struct kvm_regs *r = vcpu_regs(v);
	struct vm *vm = v->vm;
	uint64_t answer = PG_CTL_OK;

	(void)ctx;
	if (!a->write)
		return EXIT_CONTINUE;
	switch (r->rax) {
	case PG_CTL_SYNC:
		answer = control_sync(v, r);
		break;
	case PG_CTL_DONE:
		vm->outcome = VM_DONE;
		vm->done_status = r->rdi;
		return EXIT_STOP;
	case PG_CTL_ABORT:
		record_abort(v, r->rdi);
		return EXIT_STOP;
	case PG_CTL_CHECK:
		answer = record_check(v, r);
		break;
	case PG_CTL_REPORT:
		answer = record_report(v, r);
		break;
	default:
		fprintf(stderr, "pagegate: guest used unknown control command %llu (ignored)\n",
			(unsigned long long)r->rax);
		answer = PG_CTL_EINVAL;
	}
	r->rax = answer;
	vcpu_regs_dirty(v);
	return EXIT_CONTINUE;
}

const struct vm_report *vm_find_report(const struct vm *vm, const char *name)
{
	for (int i = 0; i < vm->nr_reports; i++)
		if (!strcmp(vm->reports[i].name, name))
			return &vm->reports[i];
	return NULL;
}
