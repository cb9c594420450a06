/*
 * Software walk of the guest's 4-level page tables, as the CPU does it, reading tables
 * from guest memory through gmem_guest_ptr (RAM bounds, boot area refused): 4 KiB, 2 MiB
 * and 1 GiB leaves, reserved-bit checks, non-canonical addresses, tables outside guest
 * RAM or in the boot area and page addresses outside guest RAM are errors,
 * never reads outside it.  At most four table reads, so a table that points back into
 * itself cannot loop.
 */
#ifndef PG_PTWALK_H
#define PG_PTWALK_H

#include <stdbool.h>
#include <stdint.h>
#include "gmem.h"

enum pt_walk_status {
	PTW_OK = 0,
	PTW_NOT_PRESENT,
	PTW_RESERVED_BIT,
	PTW_OUTSIDE_RAM,   /* a table outside RAM or in the boot area, or a page outside RAM */
	PTW_NONCANONICAL,
	PTW_NO_ACCESS, /* mapped, but without the rights the caller needs */
};

struct pt_walk {
	uint64_t gpa;        /* translation of the address */
	uint64_t leaf;       /* the leaf entry */
	unsigned page_shift; /* 12, 21 or 30 */
	int level;           /* level of the leaf, or of the entry that stopped the walk */
	bool writable, user, nx;
};

enum pt_walk_status pt_walk(const struct guest_mem *m, uint64_t cr3, uint64_t gva, struct pt_walk *out);

/* The upper three levels only: PTW_OK with either a 1 GiB / 2 MiB translation in out
 * (out->page_shift 30 or 21), or out->page_shift 0 and *table_gpa = the 4 KiB page table
 * (wholly in RAM) that maps gva, with out's rights accumulated so far. */
enum pt_walk_status pt_walk_upper(const struct guest_mem *m, uint64_t cr3, uint64_t gva, struct pt_walk *out,
				  uint64_t *table_gpa);

/* Finish a walk begun by pt_walk_upper with a PT entry (e.g. from a copy of the table). */
enum pt_walk_status pt_walk_leaf(const struct guest_mem *m, uint64_t entry, uint64_t gva, struct pt_walk *out);
/* The page-table-copy translation of n 4 KiB pages from va (page aligned): one upper
 * walk per 2 MiB region, that region's leaf table copied in one read, every page looked
 * up in the copy.  gpas[i] = page base of va + i * 4 KiB.  Pages must be user pages, and
 * writable if `write` (else PTW_NO_ACCESS).  Returns the pages translated before the
 * first failure (n if none); *st says why it stopped.  A range running past 2^64 is
 * refused whole (0, PTW_NONCANONICAL).  gpas has room for n entries. */
uint64_t pt_translate_leafcopy(const struct guest_mem *m, uint64_t cr3, uint64_t va, uint64_t n, bool write,
			       uint64_t *gpas, enum pt_walk_status *st);

/* A software TLB of upper-level walks, keyed by 2 MiB region: a hit reads only the leaf
 * entry.  Valid only while the guest does not change its upper levels (the caller
 * resets it when it cannot know that). */
#define PT_WALK_CACHE_SLOTS 64
struct pt_walk_cache_slot {
	uint64_t region; /* va >> 21, plus 1 (0 = empty) */
	uint64_t table;  /* PT address, unless upper.page_shift says a 2 MiB / 1 GiB leaf */
	struct pt_walk upper;
};
struct pt_walk_cache {
	struct pt_walk_cache_slot slot[PT_WALK_CACHE_SLOTS];
};
void pt_walk_cache_reset(struct pt_walk_cache *c);
enum pt_walk_status pt_walk_cached(struct pt_walk_cache *c, const struct guest_mem *m, uint64_t cr3, uint64_t gva,
				   struct pt_walk *out);

const char *pt_walk_status_name(enum pt_walk_status s);

#endif
