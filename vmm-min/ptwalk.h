/*
 * Software walk of the guest's 4-level page tables, as the CPU does it, reading tables
 * from guest memory through gmem_ptr: 4 KiB, 2 MiB and 1 GiB leaves, reserved-bit checks,
 * non-canonical addresses, and table or page addresses outside guest RAM are errors,
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
	PTW_OUTSIDE_RAM,
	PTW_NONCANONICAL,
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
 * (*table_gpa = 0), or *table_gpa = the 4 KiB page table (wholly in RAM) that maps gva,
 * with out's rights accumulated so far. */
enum pt_walk_status pt_walk_upper(const struct guest_mem *m, uint64_t cr3, uint64_t gva, struct pt_walk *out,
				  uint64_t *table_gpa);

/* Finish a walk begun by pt_walk_upper with a PT entry (e.g. from a copy of the table). */
enum pt_walk_status pt_walk_leaf(const struct guest_mem *m, uint64_t entry, uint64_t gva, struct pt_walk *out);
const char *pt_walk_status_name(enum pt_walk_status s);

#endif
