/*
 * The guest kernel: a few hundred ring-0 instructions that make a process possible and
 * then get out of the way.  It loads its GDT, a TSS whose I/O permission bitmap opens the
 * console, control and doorbell ports to ring 3, and an IDT; builds its own 4-level page
 * tables (kernel and ring-3 image identity-mapped with 2 MiB pages, a demand-paged buffer
 * region whose leaf tables are one flat array); and drops to the ring-3 process.  After
 * that it only runs the page-fault handler (map a fresh frame from the frame pool, in
 * 4 KiB or 2 MiB pages; leave a ring-3 fault it cannot serve unserved a bounded number of
 * times), three system calls (int3 gate; one forges table entries for the hostile-guest
 * tests), and aborts on every other exception.
 */
#include "../lib/guest.h"
#include "../../vmm-min/x86.h"
#include "frames.h"
#include "paging.h"

#define PT_POOL_TABLES 520 /* 512 buffer leaf tables + the kernel's few upper tables */
#define IO_BITMAP_PORTS 0x800
#define USER_LEAF_FLAGS (PTE_P | PTE_W | PTE_U)
#define UNSERVED_FAULTS_MAX 8

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[IO_BITMAP_PORTS / 8 + 1]; /* a clear bit lets ring 3 use the port */
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init" /* deny all ports, then open ours */
static struct tss64 tss = {
	.iomap_base = __builtin_offsetof(struct tss64, iomap),
	.iomap = {
		[0 ... IO_BITMAP_PORTS / 8] = 0xff,
		[PG_PORT_CONSOLE / 8] = 0x00,   /* 0x3f8-0x3ff */
		[PG_PORT_CONTROL / 8] = 0xfe,   /* 0x500 */
		[PG_PORT_DOORBELL / 8] = 0x00,  /* 0x510-0x517 */
	},
};
#pragma GCC diagnostic pop
static uint64_t gdt[7] = {
	0,
	GDT_DESC_KERNEL_CODE, GDT_DESC_KERNEL_DATA, GDT_DESC_USER_DATA, GDT_DESC_USER_CODE,
};
static struct idt_gate idt[256];
static uint64_t pt_pool[PT_POOL_TABLES][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned pt_pool_used;

static struct {
	uint64_t root_pa;
	uint64_t *pd;   /* the PD covering the region: 2 MiB leaves, or links to pts */
	uint64_t *pts;  /* 512 contiguous PTs = one flat array of 4 KiB leaves */
	uint64_t ram_bytes;
	unsigned shift;
	uint64_t lo, hi; /* leaf indices written since the last reset */
	uint64_t faults;
	struct frame_pool frames;
} buf;

extern char kernel_stack_top[];
extern void exc_stub_0(void), exc_stub_1(void), exc_stub_2(void), exc_stub_3(void),
	exc_stub_4(void), exc_stub_5(void), exc_stub_6(void), exc_stub_7(void), exc_stub_8(void),
	exc_stub_9(void), exc_stub_10(void), exc_stub_11(void), exc_stub_12(void),
	exc_stub_13(void), exc_stub_14(void), exc_stub_15(void), exc_stub_16(void),
	exc_stub_17(void), exc_stub_18(void), exc_stub_19(void), exc_stub_20(void),
	exc_stub_21(void), pf_stub(void), syscall_stub(void);
extern void enter_user(uint64_t rip, uint64_t rsp) __attribute__((noreturn));
extern void notify_stub(void);
uint64_t notify_count; /* interrupts from the host (entry.S) */
/* The ring-3 process (user/start.c). */
extern struct pg_params user_params;
extern char *const user_stack_end;
extern void user_start(void);

static void (*const exc_stubs[22])(void) = {
	exc_stub_0,  exc_stub_1,  exc_stub_2,  exc_stub_3,  exc_stub_4,  exc_stub_5,
	exc_stub_6,  exc_stub_7,  exc_stub_8,  exc_stub_9,  exc_stub_10, exc_stub_11,
	exc_stub_12, exc_stub_13, exc_stub_14, exc_stub_15, exc_stub_16, exc_stub_17,
	exc_stub_18, exc_stub_19, exc_stub_20, exc_stub_21,
};

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static void __attribute__((noreturn)) kernel_abort(const char *msg, const uint64_t *frame)
{
	static struct pg_abort_info info;

	info.file_gva = (uint64_t)__FILE__;
	info.msg_gva = (uint64_t)msg;
	info.line = __LINE__;
	if (frame) {
		info.has_exception = 1;
		info.vector = frame[0];
		info.error_code = frame[1];
		info.rip = frame[2];
		info.cs = frame[3];
		info.cr2 = read_cr2();
	}
	pg_ctl(PG_CTL_ABORT, (uint64_t)&info, 0, 0, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* frame: vector, error code, then the CPU's interrupt frame. */
void __attribute__((noreturn)) kernel_exception(const uint64_t *frame)
{
	kernel_abort(frame[0] == X86_VEC_PF ? "page fault outside the buffer region or out of frames"
					    : "unexpected exception",
		     frame);
}

/* A ring-3 fault the kernel cannot serve is returned from unserved a few times: a fault
 * the VMM injected for a bad address then ends with the VMM giving up on that doorbell;
 * a real access that keeps faulting at the same place aborts. */
static int unserved_fault(uint64_t cr2, uint64_t error_code)
{
	static uint64_t last_cr2, repeats;

	if (!(error_code & PF_ERR_U))
		return -1;
	repeats = cr2 == last_cr2 ? repeats + 1 : 1;
	last_cr2 = cr2;
	return repeats > UNSERVED_FAULTS_MAX ? -1 : 0;
}

int kernel_page_fault(uint64_t error_code)
{
	uint64_t cr2 = read_cr2(), offset = cr2 - PG_BUF_VA;
	uint64_t *leaves = buf.shift == PAGE_SHIFT_4K ? buf.pts : buf.pd;
	uint64_t index, frame;

	if ((error_code & PF_ERR_P) || offset >= PG_BUF_MAX_BYTES)
		return unserved_fault(cr2, error_code);
	frame = frame_pool_alloc(&buf.frames);
	if (!frame)
		return -1;
	index = offset >> buf.shift;
	leaves[index] = frame | USER_LEAF_FLAGS | (buf.shift == PAGE_SHIFT_2M ? PTE_PS : 0);
	if (index < buf.lo)
		buf.lo = index;
	if (index >= buf.hi)
		buf.hi = index + 1;
	buf.faults++;
	return 0;
}

/* Unmap the whole buffer region and restart the frame pool with a new page size and order. */
static int buf_config(uint64_t shift, uint64_t policy, uint64_t seed)
{
	uint64_t pts_pa = (uint64_t)buf.pts;

	if ((shift != PAGE_SHIFT_4K && shift != PAGE_SHIFT_2M) || policy > PG_FRAMES_SCATTERED)
		return -1;
	if (buf.hi > buf.lo)
		memset((buf.shift == PAGE_SHIFT_4K ? buf.pts : buf.pd) + buf.lo, 0,
		       (buf.hi - buf.lo) * sizeof(uint64_t));
	if (shift != buf.shift)
		for (uint64_t i = 0; i < PT_ENTRIES; i++)
			buf.pd[i] = shift == PAGE_SHIFT_4K ? (pts_pa + (i << PAGE_SHIFT_4K)) | USER_LEAF_FLAGS : 0;
	buf.shift = (unsigned)shift;
	buf.lo = ~0ull;
	buf.hi = 0;
	frame_pool_init(&buf.frames, PG_USER_IMAGE_END, buf.ram_bytes, buf.shift,
			policy == PG_FRAMES_SCATTERED, seed);
	write_cr3(buf.root_pa);
	return 0;
}

/* Link (or unlink) PML4 entry 511 and its PDPT entry 511 to the region's PDPT and PD, so
 * the top GiB of the address space, up to 2^64, maps what the region's first GiB maps. */
static uint64_t top_alias(uint64_t on)
{
	uint64_t *pml4 = (uint64_t *)buf.root_pa, link = pml4[PT_INDEX(PG_BUF_VA, 4)];
	uint64_t *pdpt = (uint64_t *)(link & PTE_ADDR_MASK);

	pml4[PT_ENTRIES - 1] = on ? link : 0;
	pdpt[PT_ENTRIES - 1] = on ? pdpt[PT_INDEX(PG_BUF_VA, 3)] : 0;
	write_cr3(buf.root_pa);
	return 0;
}

uint64_t kernel_syscall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t nr)
{
	switch (nr) {
	case SYS_FAULT_COUNT:
		return buf.faults;
	case SYS_BUF_CONFIG:
		return (uint64_t)(int64_t)buf_config(a0, a1, a2);
	case SYS_WAIT_IRQ: /* interrupts on just for the halt: the host injects when it sees HLT */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		return notify_count;
	case SYS_PTE_POKE: /* lets a test process forge the region's tables for the VMM to meet */
		if ((a0 != 1 && a0 != 2) || a1 >= (a0 == 1 ? PT_ENTRIES * PT_ENTRIES : PT_ENTRIES))
			return (uint64_t)-1;
		(a0 == 1 ? buf.pts : buf.pd)[a1] = a2;
		write_cr3(buf.root_pa);
		return 0;
	case SYS_TOP_ALIAS:
		return top_alias(a0);
	default:
		return (uint64_t)-1;
	}
}

static void *identity(struct pt_ctx *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)pa;
}

static uint64_t pool_table(struct pt_ctx *ctx)
{
	(void)ctx;
	return pt_pool_used < PT_POOL_TABLES ? (uint64_t)pt_pool[pt_pool_used++] : 0;
}

static void set_gate(int vec, void (*stub)(void), uint8_t type_attr)
{
	uint64_t addr = (uint64_t)stub;

	idt[vec].offset_lo = (uint16_t)addr;
	idt[vec].selector = GDT_KERNEL_CS;
	idt[vec].type_attr = type_attr;
	idt[vec].offset_mid = (uint16_t)(addr >> 16);
	idt[vec].offset_hi = (uint32_t)(addr >> 32);
}

static void load_descriptors(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt },
				  idtr = { sizeof(idt) - 1, (uint64_t)idt };

	tss.rsp[0] = (uint64_t)kernel_stack_top;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[6] = base >> 32;
	for (int v = 0; v < 22; v++)
		set_gate(v, exc_stubs[v], 0x8e);
	set_gate(X86_VEC_PF, pf_stub, 0x8e);
	set_gate(X86_VEC_BP, syscall_stub, 0xee); /* DPL 3: the system-call gate */
	set_gate(PG_NOTIFY_VECTOR, notify_stub, 0x8e);
	__asm__ volatile("lgdt %0\n\t"
			 "lidt %1\n\t"
			 "ltr %w2\n\t"
			 "pushq %3\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmov %w4, %%ds\n\t"
			 "mov %w4, %%es\n\t"
			 "mov %w4, %%ss"
			 :
			 : "m"(gdtr), "m"(idtr), "r"((uint16_t)GDT_TSS), "i"(GDT_KERNEL_CS),
			   "r"((uint16_t)GDT_KERNEL_DS)
			 : "rax", "memory");
}

/* Kernel [1 MiB, 6 MiB) and the ring-3 image [6 MiB, 8 MiB), identity, 2 MiB pages;
 * the buffer region's PD with 512 contiguous leaf tables behind it. */
static int build_page_tables(struct pt_ctx *ctx)
{
	buf.root_pa = pool_table(ctx);
	for (uint64_t pa = 0; pa < PG_USER_IMAGE_VA; pa += PAGE_SIZE_2M)
		if (pt_map(ctx, buf.root_pa, pa, pa, PAGE_SHIFT_2M, PTE_W))
			return -1;
	if (pt_map(ctx, buf.root_pa, PG_USER_IMAGE_VA, PG_USER_IMAGE_VA, PAGE_SHIFT_2M, PTE_W | PTE_U))
		return -1;
	buf.pd = pt_table(ctx, buf.root_pa, PG_BUF_VA, 2, PTE_W | PTE_U);
	buf.pts = (uint64_t *)pool_table(ctx);
	for (int i = 1; i < PT_ENTRIES; i++)
		pool_table(ctx);
	return buf.pd && pt_pool_used <= PT_POOL_TABLES ? 0 : -1;
}

void __attribute__((noreturn)) kernel_main(const struct pg_params *params)
{
	uint64_t t_entry = rdtsc();
	struct pt_ctx ctx = { identity, pool_table, 0 };

	load_descriptors();
	if (params->magic != PG_PARAMS_MAGIC || params->abi_version != PG_ABI_VERSION)
		kernel_abort("bad parameter block (magic or ABI version)", 0);
	if (build_page_tables(&ctx))
		kernel_abort("out of page-table pool", 0);
	buf.ram_bytes = params->ram_bytes;
	buf.shift = PAGE_SHIFT_2M; /* all PD entries are zero: the first config links the PTs */
	if (buf_config(params->buf_page_shift, params->frame_policy, params->seed))
		kernel_abort("bad buffer page size or frame policy", 0);
	user_params = *params;
	pg_ctl(PG_CTL_SYNC, PG_SYNC_KERNEL_UP, t_entry, 0, 0);
	enter_user((uint64_t)user_start, (uint64_t)user_stack_end);
}
