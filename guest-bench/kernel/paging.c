/*
 * 4-level page-table construction (see paging.h): find or create the table of a given
 * level for a virtual address, and map single pages of any of the three sizes.  Used by
 * the guest kernel at boot and by the host tests on a memory image.
 */
#include "paging.h"
#include "../../vmm-min/x86.h"

uint64_t *pt_table(struct pt_ctx *ctx, uint64_t root_pa, uint64_t va, int level, uint64_t table_flags)
{
	uint64_t table_pa = root_pa;

	for (int l = 4; l > level; l--) {
		uint64_t *entry = (uint64_t *)ctx->phys_to_ptr(ctx, table_pa) + PT_INDEX(va, l);

		if (!(*entry & PTE_P)) {
			uint64_t fresh = ctx->alloc_table(ctx);

			if (!fresh)
				return 0;
			*entry = fresh | table_flags | PTE_P;
		} else if (*entry & PTE_PS) {
			return 0;
		}
		table_pa = *entry & PTE_ADDR_MASK;
	}
	return ctx->phys_to_ptr(ctx, table_pa);
}

int pt_map(struct pt_ctx *ctx, uint64_t root_pa, uint64_t va, uint64_t pa, unsigned page_shift,
	   uint64_t flags)
{
	int level = 1 + (int)(page_shift - PAGE_SHIFT_4K) / 9;
	uint64_t mask = (1ull << page_shift) - 1;
	uint64_t *table;

	if ((va | pa) & mask || (page_shift != PAGE_SHIFT_4K && page_shift != PAGE_SHIFT_2M &&
				 page_shift != PAGE_SHIFT_1G))
		return -1;
	table = pt_table(ctx, root_pa, va, level, PTE_W | PTE_U);
	if (!table)
		return -1;
	table[PT_INDEX(va, level)] = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
	return 0;
}
