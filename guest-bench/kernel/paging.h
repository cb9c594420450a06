/*
 * 4-level page-table construction, shared by the guest kernel (which builds its real
 * tables with it) and the host unit tests (which build the same tables on a memory image
 * and check the VMM's software walker against them).  It is freestanding: physical
 * memory is reached through the context's phys_to_ptr and tables come from alloc_table.
 */
#ifndef PG_PAGING_H
#define PG_PAGING_H

#include <stdint.h>

struct pt_ctx {
	void *(*phys_to_ptr)(struct pt_ctx *ctx, uint64_t pa);
	uint64_t (*alloc_table)(struct pt_ctx *ctx); /* zeroed, 4 KiB aligned; 0 when exhausted */
	void *opaque;
};

/* The table of `level` (1 = PT ... 3 = PDPT) covering va, created on the way if absent;
 * 0 if a table could not be allocated or a larger page already maps va. */
uint64_t *pt_table(struct pt_ctx *ctx, uint64_t root_pa, uint64_t va, int level, uint64_t table_flags);

/* Map one page of 4 KiB, 2 MiB or 1 GiB (page_shift 12, 21, 30). 0 on success, -1 if not. */
int pt_map(struct pt_ctx *ctx, uint64_t root_pa, uint64_t va, uint64_t pa, unsigned page_shift,
	   uint64_t flags);

#endif
