/*
 * vmm-min's public interface, named after the KVM selftests' library: vm_* acts on the VM
 * (its fd, guest RAM, port/MMIO handler table, console and control-port state), vcpu_*
 * on one vCPU (its fd and shared kvm_run page with KVM_CAP_SYNC_REGS).  Raw __vm_/__vcpu_
 * calls return an error; the plain ones print what failed and exit.
 */
#ifndef PG_VM_H
#define PG_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "gmem.h"

#define VM_MAX_VCPUS 4
#define VM_MAX_IO_HANDLERS 16
#define VM_MAX_REPORTS 32
#define VM_CONSOLE_LOG_BYTES (64 * 1024)
#define VM_LINE_MAX 256

struct vcpu;
struct vm;

/* What serves /dev/kvm and what the host itself runs on (vmm-min/platform.c). */
struct kvm_platform {
	const char *backend; /* kvm_intel, kvm_amd, kvm_pvm, unknown */
	char hypervisor[13]; /* CPUID signature of the hypervisor below this host, "" if none */
	bool nested;         /* this host is a VM: KVM here is nested */
	bool emulated;       /* that VM's CPU is emulated (QEMU TCG): timings mean nothing */
};
void kvm_platform_probe(struct kvm_platform *p);
/* One phrase: "kvm_pvm, nested (host hypervisor "KVMKVMKVM")" and the like. */
void kvm_platform_describe(const struct kvm_platform *p, char *out, size_t cap);

/* How a #PF reaches the guest: the exception payload (KVM_CAP_EXCEPTION_PAYLOAD: only the
 * events are written) or CR2 written through all of sregs (the fallback). */
enum fault_injection { FAULT_INJECT_AUTO, FAULT_INJECT_PAYLOAD, FAULT_INJECT_SREGS };
const char *fault_injection_name(enum fault_injection f);

/* One port-I/O or MMIO access, as KVM reports it. */
struct io_access {
	uint64_t addr;  /* port number or guest-physical address */
	uint32_t size;  /* bytes per element */
	uint32_t count; /* elements (string I/O) */
	bool write;
	void *data;     /* size * count bytes inside kvm_run */
};

enum exit_action { EXIT_CONTINUE, EXIT_STOP };

/* The one handler signature for every I/O trap. */
typedef enum exit_action (*io_handler_fn)(struct vcpu *v, struct io_access *a, void *ctx);

struct io_handler {
	bool mmio;
	uint64_t base, len;
	io_handler_fn fn;
	void *ctx;
	const char *name;
};

enum vm_outcome {
	VM_RUNNING = 0,
	VM_DONE,  /* guest said DONE; see done_status */
	VM_ABORT, /* guest assert or unexpected guest exception; see abort_text */
	VM_ERROR, /* the VM stopped for a reason of its own (halt, shutdown, internal error...) */
};

struct vm_report {
	char name[64];
	char unit[16];
	uint64_t value;
};

/* SYNC tags vm-min does not handle itself go to this hook; its return goes to the guest. */
typedef uint64_t (*sync_hook_fn)(struct vcpu *v, uint64_t tag, void *ctx);

struct vm {
	int kvm_fd, fd;
	struct guest_mem mem;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	int nr_vcpus;
	struct io_handler io[VM_MAX_IO_HANDLERS];
	int nr_io;
	struct kvm_platform platform; /* backend, nested, emulated */
	enum fault_injection fault_injection; /* how #PF is injected (never AUTO here) */
	bool quiet;          /* do not echo the guest console */

	/* console: the current partial line, the last full line, everything (capped) */
	char line[VM_LINE_MAX];
	size_t line_len;
	char last_line[VM_LINE_MAX];
	char *console_log;
	size_t console_len;

	/* control port */
	enum vm_outcome outcome;
	uint64_t done_status;
	char abort_text[4 * VM_LINE_MAX];
	char error_text[2 * VM_LINE_MAX];
	int checks_passed, checks_failed;
	struct vm_report reports[VM_MAX_REPORTS];
	int nr_reports;
	uint64_t tsc_kernel_up, tsc_user_up; /* host TSC at those SYNCs */
	uint64_t guest_tsc_kernel_entry;      /* guest TSC at the kernel's first instruction */
	/* ... as host TSC, if that stamp passed the clock check against [first KVM_RUN,
	 * KERNEL_UP] — every VM's first check of its clocks, before any long KVM_RUN */
	bool kernel_entry_checked;
	uint64_t host_tsc_kernel_entry;
	sync_hook_fn sync_hook;
	void *sync_ctx;
	/* HLT exits go here if set (e.g. to deliver an interrupt); else they end the run */
	enum exit_action (*halt_hook)(struct vcpu *v, void *ctx);
	void *halt_ctx;
};

struct vcpu {
	struct vm *vm;
	int id, fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread; /* the one that created it and runs it (vcpu_kick signals it) */
	bool has_tsc_offset;
	int64_t tsc_offset; /* guest TSC = host TSC + offset */
	uint64_t tsc_khz;
	uint64_t t_enter, t_exit; /* host TSC around the last KVM_RUN */
	uint64_t t_first_enter;   /* host TSC when the first KVM_RUN began */
	uint64_t exits;
	/* Guest TSC stamps converted to host time, and those that fell outside the KVM_RUN
	 * they were taken in: any such stamp means the clocks are not related as assumed. */
	uint64_t clock_stamps, clock_outside;
};

struct vm_config {
	uint64_t mem_bytes;
	enum fault_injection fault_injection; /* AUTO: the payload where KVM has it */
	const char *guest_path;
	struct pg_params params; /* mode, page size, frame policy, seed, args */
	bool quiet;
};

/* What a run's metadata says of the machine and its clocks: the platform, how faults
 * were injected, and the clock check's counts (summed over the VMs of a run). */
struct vm_facts {
	struct kvm_platform platform;
	enum fault_injection fault_injection;
	bool has_tsc_offset;
	uint64_t clock_stamps, clock_outside;
	/* guest RAM the host backs with transparent huge pages (AnonHugePages of its mapping
	 * in /proc/self/smaps) and in all, when the facts were taken; huge_bytes is
	 * UINT64_MAX when smaps could not be read */
	uint64_t ram_huge_bytes, ram_bytes;
};
/* Set f's platform, injection and guest-RAM backing from vm and add its vCPU's clock
 * counts to f's. */
void vm_facts_add(struct vm_facts *f, const struct vm *vm);

/* The KVM device (default /dev/kvm). */
extern const char *kvm_device_path;

/* Environment check: 0, or 2 after printing one line that says what, why and how to fix. */
int kvm_check_environment(void);
const char *kvm_backend_module(void);

/* Create the VM with guest RAM, load the guest, set up one vCPU in long mode. */
struct vm *vm_create(const struct vm_config *cfg);
void vm_destroy(struct vm *vm);
void vm_register_io(struct vm *vm, bool mmio, uint64_t base, uint64_t len, io_handler_fn fn,
		    void *ctx, const char *name);

/* Set from a signal handler to make vm_run stop after the current exit (KVM_RUN returns
 * EINTR when the thread takes a signal). */
extern volatile sig_atomic_t vm_stop_requested;

/* Run vCPU 0 until the guest says DONE or ABORT or the VM stops; returns the outcome. */
enum vm_outcome vm_run(struct vm *vm);
/* One KVM_RUN and the handling of its exit (what vm_run loops on); usable from a SYNC
 * hook to drive the guest further while the hook runs. */
enum exit_action vcpu_run_once(struct vcpu *v);
/* Kick the vCPU out of KVM_RUN from another thread: sets kvm_run->immediate_exit and
 * sends VCPU_KICK_SIGNAL (a handler that does nothing, SA_RESTART, installed at the first
 * kick) to the vCPU's thread, as QEMU does.  Afterwards the vCPU has been outside KVM_RUN
 * at some moment since the call began: its current run returns (KVM_EXIT_INTR, EINTR:
 * vcpu_run_once continues), or its next one returns at once, or it was out already.  To
 * keep it out (for KVM_TRANSLATE or any vCPU ioctl, which wait for KVM_RUN to return), the
 * caller needs its own handshake with the vCPU thread.  Relies on: the vCPU thread does
 * not block VCPU_KICK_SIGNAL, and nothing else in the process uses it. */
#define VCPU_KICK_SIGNAL SIGUSR1
void vcpu_kick(struct vcpu *v);
/* One line saying how the run ended (for DONE with status 0: "guest done"). */
void vm_describe_outcome(const struct vm *vm, char *out, size_t cap);
/* Count and print a named check (the guest's CHECK calls and the host's own checks). */
void vm_record_check(struct vm *vm, const char *name, bool passed, const char *detail);
/* Walk `count` pages of 1 << shift bytes from gva with the software walker and with
 * KVM_TRANSLATE; true if both agree on every page, the page size is right and the frame
 * order matches the policy (contiguous: consecutive; scattered: distinct and not in
 * runs).  detail says what was seen. */
bool vcpu_check_pages(struct vcpu *v, uint64_t gva, uint64_t count, unsigned shift, int policy,
		      char *detail, size_t cap);
const struct vm_report *vm_find_report(const struct vm *vm, const char *name);
bool vm_console_contains(const struct vm *vm, const char *text);

/* Register access through the sync-regs area of kvm_run (no ioctl). */
struct kvm_regs *vcpu_regs(struct vcpu *v);
struct kvm_sregs *vcpu_sregs(struct vcpu *v);
void vcpu_regs_dirty(struct vcpu *v);
/* Guest-virtual -> guest-physical with KVM_TRANSLATE (an ioctl). 0, or -1 if not mapped. */
int vcpu_translate(struct vcpu *v, uint64_t gva, uint64_t *gpa);
/* Queue an external interrupt (KVM_INTERRUPT, no in-kernel irqchip); 0, or -1 if the
 * vCPU cannot take one now (interrupts off or blocked). */
int vcpu_interrupt(struct vcpu *v, unsigned vector);
/* Inject a user-mode #PF at gva (a write fault if write) on the next entry, through the
 * sync registers (no ioctl): the events alone with the payload, else events and sregs. */
void vcpu_inject_page_fault(struct vcpu *v, uint64_t gva, bool write);
/* A guest TSC stamp taken during the last KVM_RUN, as host TSC: true if it converts
 * (KVM_VCPU_TSC_OFFSET known) and lands inside [t_enter, t_exit] of that run; false
 * otherwise, counting the stamp as outside.  Every figure that mixes guest and host
 * clocks is derived through this check, or reported as not measured. */
bool vcpu_stamp_in_run(struct vcpu *v, uint64_t guest_tsc, uint64_t *host_tsc);
/* The same check against a host interval [lo, hi] known to contain the stamp. */
bool vcpu_stamp_within(struct vcpu *v, uint64_t guest_tsc, uint64_t lo, uint64_t hi, uint64_t *host_tsc);
/* True while no stamp has failed that check. */
bool vcpu_clocks_related(const struct vcpu *v);
/* Why figures mixing the two clocks are not measured here (when not related). */
void vcpu_clocks_why_not(const struct vcpu *v, char *out, size_t cap);
/* Convert guest TSC ticks to nanoseconds. */
double vcpu_tsc_to_ns(const struct vcpu *v, double ticks);

/* Handlers vm_create installs: COM1 console and the control port. */
enum exit_action console_io(struct vcpu *v, struct io_access *a, void *ctx);
enum exit_action control_io(struct vcpu *v, struct io_access *a, void *ctx);

#endif
