/*
 * Creating and tearing down the VM: /dev/kvm and the capabilities vmm-min relies on,
 * guest RAM (populated up front so host page faults never land in a measurement), the
 * guest image, one vCPU with its kvm_run page and sync registers, CPUID, and the TSC
 * facts (frequency, offset) that relate guest and host clocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "boot.h"
#include "elfload.h"
#include "vm.h"
#include "x86.h"

#define SYNC_REGS_NEEDED (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS" },
	{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pagegate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

const char *kvm_device_path = "/dev/kvm";

int kvm_check_environment(void)
{
	int fd = open(kvm_device_path, O_RDWR | O_CLOEXEC);
	char missing[256] = "";

	if (fd < 0) {
		fprintf(stderr,
			"pagegate: cannot open %s: %s (%s)\n", kvm_device_path,
			strerror(errno),
			errno == ENOENT ? "KVM is not available here: load kvm_intel or kvm_amd, or enable nested virtualization"
			: errno == EACCES ? "no permission: run as root or add your user to the 'kvm' group"
					  : "check that KVM is enabled on this host");
		return 2;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "pagegate: %s does not speak KVM API version %d (is it the KVM device?)\n",
			kvm_device_path, KVM_API_VERSION);
		close(fd);
		return 2;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), " %s",
				 required_caps[i].name);
	if ((ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & SYNC_REGS_NEEDED) != SYNC_REGS_NEEDED)
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
			 " KVM_SYNC_X86_REGS|SREGS|EVENTS");
	close(fd);
	if (missing[0]) {
		fprintf(stderr, "pagegate: this KVM (%s) lacks capabilities pagegate relies on:%s\n",
			kvm_backend_module(), missing);
		return 2;
	}
	return 0;
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *data;
	long n;

	if (!f)
		die("cannot open guest image %s: %s (build it with `make`)", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("cannot size guest image %s", path);
	data = malloc(n ? (size_t)n : 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		die("cannot read guest image %s", path);
	fclose(f);
	*size = (size_t)n;
	return data;
}

/* #PF injection: with KVM_CAP_EXCEPTION_PAYLOAD the fault's address travels as the
 * exception's payload and KVM sets CR2 when it delivers the fault, so only the events are
 * written back.  Without it (Linux < 4.20, or when asked for) CR2 can only be set by
 * writing all of sregs back, which makes KVM reset the vCPU's MMU context and, on SVM,
 * rewrites TR as KVM reports it (busy) — seen to break the guest's I/O bitmap under
 * QEMU's emulated SVM. */
static void setup_fault_injection(struct vm *vm, enum fault_injection want)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };

	vm->fault_injection = FAULT_INJECT_SREGS;
	if (want == FAULT_INJECT_SREGS)
		return;
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0)
		vm->fault_injection = FAULT_INJECT_PAYLOAD;
	else if (want == FAULT_INJECT_PAYLOAD)
		die("--fault-injection payload: this KVM (%s) cannot enable KVM_CAP_EXCEPTION_PAYLOAD: %s",
		    vm->platform.backend, strerror(errno));
}

const char *fault_injection_name(enum fault_injection f)
{
	return f == FAULT_INJECT_PAYLOAD ? "exception-payload" : f == FAULT_INJECT_SREGS ? "sregs-cr2" : "auto";
}

/* Back [p, p + bytes) (2 MiB aligned and sized) with transparent huge pages where the
 * host can, then fault it all in: the advice comes first, so the faults take huge pages
 * (populated first, the range would be 4 KiB pages until khugepaged, at its own pace,
 * collapsed some of them — a different share in every run, and with it the TLB cost of
 * every host copy from guest RAM).  MADV_POPULATE_WRITE (Linux 5.14), or a write per
 * page where the kernel lacks it. */
static void populate_huge(uint8_t *p, uint64_t bytes)
{
	madvise(p, bytes, MADV_HUGEPAGE);
	if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0)
		return;
	for (uint64_t off = 0; off < bytes; off += 4096)
		p[off] = 0;
}

static void setup_memory(struct vm *vm, uint64_t bytes)
{
	struct kvm_userspace_memory_region region = { 0 };

	if (bytes < 16 << 20 || bytes > (uint64_t)PG_BOOT_MAX_GIB << 30 || bytes % (2 << 20))
		die("guest RAM must be a multiple of 2 MiB between 16 MiB and %d GiB", PG_BOOT_MAX_GIB);
	vm->mem.hva = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem.hva == MAP_FAILED)
		die("cannot map %llu bytes of guest RAM: %s", (unsigned long long)bytes, strerror(errno));
	populate_huge(vm->mem.hva, bytes);
	vm->mem.size = bytes;
	vm->mem.boot_end = PG_GUEST_LOAD_MIN;
	region.memory_size = bytes;
	region.userspace_addr = (uint64_t)vm->mem.hva;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
}

static void setup_cpuid(struct vm *vm, struct vcpu *v)
{
	int n = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));

	cpuid->nent = n;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	vm->mem.phys_bits = 36;
	for (unsigned i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0x80000008)
			vm->mem.phys_bits = cpuid->entries[i].eax & 0xff;
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	free(cpuid);
}

static void setup_tsc(struct vcpu *v)
{
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)&v->tsc_offset,
	};
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

	v->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	v->has_tsc_offset = ioctl(v->fd, KVM_HAS_DEVICE_ATTR, &attr) == 0 &&
			    ioctl(v->fd, KVM_GET_DEVICE_ATTR, &attr) == 0;
	if (!v->has_tsc_offset)
		v->tsc_offset = 0;
}

static struct vcpu *vcpu_create(struct vm *vm)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->vm = vm;
	v->id = vm->nr_vcpus;
	v->thread = pthread_self();
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, v->id);
	if (v->fd < 0 || mmap_size <= 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	v->run_size = (size_t)mmap_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap of kvm_run: %s", strerror(errno));
	v->run->kvm_valid_regs = SYNC_REGS_NEEDED;
	setup_cpuid(vm, v);
	setup_tsc(v);
	vm->vcpus[vm->nr_vcpus++] = v;
	return v;
}

static void load_guest(struct vm *vm, const char *path, uint64_t *entry)
{
	size_t size;
	void *image = read_file(path, &size);
	char err[256];

	if (elf_load(&vm->mem, image, size, entry, err, sizeof(err)))
		die("guest image %s rejected: %s", path, err);
	free(image);
}

void vm_register_io(struct vm *vm, bool mmio, uint64_t base, uint64_t len, io_handler_fn fn,
		    void *ctx, const char *name)
{
	if (vm->nr_io == VM_MAX_IO_HANDLERS)
		die("too many I/O handlers (adding %s)", name);
	vm->io[vm->nr_io++] = (struct io_handler){ mmio, base, len, fn, ctx, name };
}

struct vm *vm_create(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct pg_params params = cfg->params;
	uint64_t entry;
	struct vcpu *v;

	vm->kvm_fd = open(kvm_device_path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("cannot open %s: %s", kvm_device_path, strerror(errno));
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	kvm_platform_probe(&vm->platform);
	setup_fault_injection(vm, cfg->fault_injection);
	vm->quiet = cfg->quiet;
	vm->console_log = calloc(1, VM_CONSOLE_LOG_BYTES);
	setup_memory(vm, cfg->mem_bytes);
	v = vcpu_create(vm);
	load_guest(vm, cfg->guest_path, &entry);
	params.magic = PG_PARAMS_MAGIC;
	params.abi_version = PG_ABI_VERSION;
	params.ram_bytes = vm->mem.size;
	boot_setup(vm, v, entry, &params);
	vm_register_io(vm, false, PG_PORT_CONSOLE, 8, console_io, NULL, "COM1");
	vm_register_io(vm, false, PG_PORT_CONTROL, 1, control_io, NULL, "control");
	return vm;
}

void vm_destroy(struct vm *vm)
{
	for (int i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i]->run, vm->vcpus[i]->run_size);
		close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	munmap(vm->mem.hva, vm->mem.size);
	close(vm->fd);
	close(vm->kvm_fd);
	free(vm->console_log);
	free(vm);
}

struct kvm_regs *vcpu_regs(struct vcpu *v)
{
	return &v->run->s.regs.regs;
}

struct kvm_sregs *vcpu_sregs(struct vcpu *v)
{
	return &v->run->s.regs.sregs;
}

void vcpu_regs_dirty(struct vcpu *v)
{
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

int vcpu_translate(struct vcpu *v, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };

	if (ioctl(v->fd, KVM_TRANSLATE, &t) || !t.valid)
		return -1;
	*gpa = t.physical_address;
	return 0;
}

int vcpu_interrupt(struct vcpu *v, unsigned vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	if (!v->run->ready_for_interrupt_injection || !v->run->if_flag)
		return -1;
	return ioctl(v->fd, KVM_INTERRUPT, &irq) ? -1 : 0;
}

void vcpu_inject_page_fault(struct vcpu *v, uint64_t gva, bool write)
{
	struct kvm_vcpu_events *ev = &v->run->s.regs.events;

	ev->exception.nr = X86_VEC_PF;
	ev->exception.has_error_code = 1;
	ev->exception.error_code = PF_ERR_U | (write ? PF_ERR_W : 0);
	if (v->vm->fault_injection == FAULT_INJECT_PAYLOAD) {
		ev->exception.pending = 1;
		ev->exception.injected = 0;
		ev->exception_has_payload = 1;
		ev->exception_payload = gva;
		ev->flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS;
		return;
	}
	ev->exception.injected = 1;
	vcpu_sregs(v)->cr2 = gva;
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
}

bool vcpu_stamp_within(struct vcpu *v, uint64_t guest_tsc, uint64_t lo, uint64_t hi, uint64_t *host_tsc)
{
	uint64_t host = guest_tsc - (uint64_t)v->tsc_offset;

	if (!v->has_tsc_offset)
		return false;
	v->clock_stamps++;
	if (host < lo || host > hi) {
		v->clock_outside++;
		return false;
	}
	*host_tsc = host;
	return true;
}

bool vcpu_stamp_in_run(struct vcpu *v, uint64_t guest_tsc, uint64_t *host_tsc)
{
	return vcpu_stamp_within(v, guest_tsc, v->t_enter, v->t_exit, host_tsc);
}

bool vcpu_clocks_related(const struct vcpu *v)
{
	return v->has_tsc_offset && v->clock_outside == 0;
}

void vcpu_clocks_why_not(const struct vcpu *v, char *out, size_t cap)
{
	if (!v->has_tsc_offset)
		snprintf(out, cap, "no KVM_VCPU_TSC_OFFSET: guest and host clocks cannot be related");
	else
		snprintf(out, cap,
			 "guest and host clocks unrelated here: %llu of %llu guest stamps fell outside the KVM_RUN "
			 "that contained them",
			 (unsigned long long)v->clock_outside, (unsigned long long)v->clock_stamps);
}

/* AnonHugePages of the mapping that starts at p, in bytes, or UINT64_MAX. */
static uint64_t huge_bytes_of_mapping(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256], perms[8];
	unsigned long long start, end, kib;
	bool in = false;
	uint64_t huge = UINT64_MAX;

	while (f && huge == UINT64_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) == 3) /* a mapping's first line */
			in = start == (uintptr_t)p;
		else if (in && sscanf(line, "AnonHugePages: %llu kB", &kib) == 1)
			huge = kib << 10;
	}
	if (f)
		fclose(f);
	return huge;
}

void vm_facts_add(struct vm_facts *f, const struct vm *vm)
{
	const struct vcpu *v = vm->vcpus[0];

	f->ram_huge_bytes = huge_bytes_of_mapping(vm->mem.hva);
	f->ram_bytes = vm->mem.size;
	f->platform = vm->platform;
	f->fault_injection = vm->fault_injection;
	f->has_tsc_offset = v->has_tsc_offset;
	f->clock_stamps += v->clock_stamps;
	f->clock_outside += v->clock_outside;
}

double vcpu_tsc_to_ns(const struct vcpu *v, double ticks)
{
	return v->tsc_khz ? ticks * 1e6 / (double)v->tsc_khz : 0;
}
