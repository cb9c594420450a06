/*
 * Architectural x86-64 constants shared by the host VMM and the freestanding guest:
 * control-register and EFER bits, page-table entry bits, page-fault error-code bits,
 * segment selectors of the guest's GDT and exception vector numbers.  Nothing here is
 * pagegate policy; it is what the Intel SDM and AMD APM define.
 */
#ifndef PG_X86_H
#define PG_X86_H

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_PGE (1ull << 7)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define X86_RFLAGS_FIXED (1ull << 1)
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_IF (1ull << 9)

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
/* Physical-address bits of an entry (MAXPHYADDR 52). */
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PF_ERR_P (1u << 0)
#define PF_ERR_W (1u << 1)
#define PF_ERR_U (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I (1u << 4)

#define PAGE_SHIFT_4K 12
#define PAGE_SHIFT_2M 21
#define PAGE_SHIFT_1G 30
#define PAGE_SIZE_4K (1ull << PAGE_SHIFT_4K)
#define PAGE_SIZE_2M (1ull << PAGE_SHIFT_2M)
#define PAGE_SIZE_1G (1ull << PAGE_SHIFT_1G)
#define PT_ENTRIES 512

/* Index of a virtual address in the table of the given level (4 = PML4 ... 1 = PT). */
#define PT_INDEX(va, level) (((va) >> (PAGE_SHIFT_4K + 9 * ((level) - 1))) & 511)

/* Selectors of the guest kernel's GDT (and of the VMM's boot GDT, which matches it). */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS 0x18
#define GDT_USER_CS 0x20
#define GDT_TSS 0x28

/* Flat 64-bit descriptors for those selectors. */
#define GDT_DESC_KERNEL_CODE 0x00209a0000000000ull
#define GDT_DESC_KERNEL_DATA 0x0000920000000000ull
#define GDT_DESC_USER_DATA 0x0000f20000000000ull
#define GDT_DESC_USER_CODE 0x0020fa0000000000ull

#define X86_VEC_DE 0
#define X86_VEC_BP 3
#define X86_VEC_UD 6
#define X86_VEC_DF 8
#define X86_VEC_GP 13
#define X86_VEC_PF 14

#endif
