/*
 * Long-mode boot (see boot.h).  The boot tables identity-map all of guest RAM with 2 MiB
 * pages; the guest kernel replaces them with its own at once.  The boot GDT has the same
 * selectors as the guest kernel's, so nothing changes when the kernel reloads them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "boot.h"
#include "x86.h"

static uint64_t *boot_page(struct vm *vm, uint64_t gpa)
{
	return gmem_ptr(&vm->mem, gpa, PAGE_SIZE_4K);
}

static void write_boot_tables(struct vm *vm)
{
	uint64_t gib = (vm->mem.size + PAGE_SIZE_1G - 1) >> PAGE_SHIFT_1G;
	uint64_t *pml4 = boot_page(vm, PG_BOOT_PML4_GPA), *pdpt = boot_page(vm, PG_BOOT_PDPT_GPA);
	uint64_t *gdt = gmem_ptr(&vm->mem, PG_BOOT_GDT_GPA, 5 * sizeof(uint64_t));

	pml4[0] = PG_BOOT_PDPT_GPA | PTE_P | PTE_W;
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t pd_gpa = PG_BOOT_PD_GPA + g * PAGE_SIZE_4K;
		uint64_t *pd = boot_page(vm, pd_gpa);

		pdpt[g] = pd_gpa | PTE_P | PTE_W;
		for (uint64_t i = 0; i < PT_ENTRIES; i++)
			pd[i] = ((g << PAGE_SHIFT_1G) + (i << PAGE_SHIFT_2M)) | PTE_P | PTE_W | PTE_PS;
	}
	gdt[0] = 0;
	gdt[1] = GDT_DESC_KERNEL_CODE;
	gdt[2] = GDT_DESC_KERNEL_DATA;
	gdt[3] = GDT_DESC_USER_DATA;
	gdt[4] = GDT_DESC_USER_CODE;
}

static struct kvm_segment segment(uint16_t selector, bool code)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = code ? 11 : 3, /* execute/read, accessed : read/write, accessed */
		.present = 1,
		.dpl = 0,
		.db = 0,
		.s = 1,
		.l = code,
		.g = 1,
	};
}

static void set_long_mode(struct vcpu *v)
{
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs)) {
		fprintf(stderr, "pagegate: KVM_GET_SREGS: %s\n", strerror(errno));
		exit(1);
	}
	sregs.cs = segment(GDT_KERNEL_CS, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(GDT_KERNEL_DS, false);
	sregs.gdt.base = PG_BOOT_GDT_GPA;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = PG_BOOT_PML4_GPA;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs)) {
		fprintf(stderr, "pagegate: KVM_SET_SREGS (long mode): %s\n", strerror(errno));
		exit(1);
	}
}

void boot_setup(struct vm *vm, struct vcpu *v, uint64_t entry, const struct pg_params *params)
{
	struct kvm_regs regs = { .rip = entry, .rdi = PG_PARAMS_GPA, .rflags = X86_RFLAGS_FIXED };

	write_boot_tables(vm);
	memcpy(gmem_ptr(&vm->mem, PG_PARAMS_GPA, sizeof(*params)), params, sizeof(*params));
	set_long_mode(v);
	if (ioctl(v->fd, KVM_SET_REGS, &regs)) {
		fprintf(stderr, "pagegate: KVM_SET_REGS: %s\n", strerror(errno));
		exit(1);
	}
}
