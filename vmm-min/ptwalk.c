/*
 * The software page walker (see ptwalk.h).  One step checks one entry (present,
 * reserved bits, rights) and either ends the walk at a leaf or names the next table;
 * the full walk, the upper-levels-only walk used by the page-table-copy transport, and
 * the check of an entry read from a copied leaf table are all made of that step.  Every
 * table read goes through gmem_guest_ptr (RAM bounds, boot area refused); a leaf's
 * translation is checked against RAM by one function, on a walk and on a cache hit.
 * Accessed/dirty bits are not set: the VMM walks to read the guest's mappings, not to
 * emulate the guest's own accesses.
 */
#include <assert.h>
#include <string.h>
#include "ptwalk.h"
#include "range.h"
#include "x86.h"

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Bits that must be zero in an entry of this level (leaf if PS is set). */
static uint64_t reserved_bits(const struct guest_mem *m, int level, bool leaf)
{
	uint64_t rsvd = PTE_ADDR_MASK & ~((1ull << m->phys_bits) - 1);

	if (leaf && level == 2)
		rsvd |= 0x1fe000ull; /* bits 20:13 of a 2 MiB leaf */
	if (leaf && level == 3)
		rsvd |= 0x3fffe000ull; /* bits 29:13 of a 1 GiB leaf */
	if (level == 4)
		rsvd |= PTE_PS;
	return rsvd;
}

/* out->leaf's translation of gva at out->page_shift: PTW_OK if it lies in guest RAM. */
static enum pt_walk_status leaf_translation(const struct guest_mem *m, uint64_t gva, struct pt_walk *out)
{
	uint64_t mask = (1ull << out->page_shift) - 1;

	out->gpa = (out->leaf & PTE_ADDR_MASK & ~mask) | (gva & mask);
	return gmem_ptr(m, out->gpa, 1) ? PTW_OK : PTW_OUTSIDE_RAM;
}

/* Check `entry` at `level`; at a leaf fill out's translation (out->page_shift != 0) and
 * return PTW_OK, else return PTW_OK with *next = the next table's address (which may be
 * 0: a guest may keep a table at guest-physical 0). */
static enum pt_walk_status step(const struct guest_mem *m, uint64_t entry, int level, uint64_t gva,
				struct pt_walk *out, uint64_t *next)
{
	bool leaf = level == 1 || (level <= 3 && (entry & PTE_PS));

	out->level = level;
	if (!(entry & PTE_P))
		return PTW_NOT_PRESENT;
	if (entry & reserved_bits(m, level, leaf))
		return PTW_RESERVED_BIT;
	out->writable &= !!(entry & PTE_W);
	out->user &= !!(entry & PTE_U);
	out->nx |= !!(entry & PTE_NX);
	if (leaf) {
		out->leaf = entry;
		out->page_shift = PAGE_SHIFT_4K + 9 * (unsigned)(level - 1);
		return leaf_translation(m, gva, out);
	}
	*next = entry & PTE_ADDR_MASK;
	return PTW_OK;
}

/* Walk from the PML4 down to `last_level`, stopping early at a leaf. */
static enum pt_walk_status walk_down(const struct guest_mem *m, uint64_t cr3, uint64_t gva, int last_level,
				     struct pt_walk *out, uint64_t *table)
{
	*table = cr3 & PTE_ADDR_MASK;
	out->writable = out->user = true;
	out->nx = false;
	out->page_shift = 0;
	if (!canonical(gva))
		return PTW_NONCANONICAL;
	for (int level = 4; level >= last_level; level--) {
		const uint64_t *slot = gmem_guest_ptr(m, *table + 8 * PT_INDEX(gva, level), 8);
		enum pt_walk_status st;

		out->level = level;
		if (!slot)
			return PTW_OUTSIDE_RAM;
		st = step(m, *slot, level, gva, out, table);
		if (st != PTW_OK || out->page_shift)
			return st;
	}
	return PTW_OK;
}

enum pt_walk_status pt_walk(const struct guest_mem *m, uint64_t cr3, uint64_t gva, struct pt_walk *out)
{
	uint64_t table;

	return walk_down(m, cr3, gva, 1, out, &table);
}

enum pt_walk_status pt_walk_upper(const struct guest_mem *m, uint64_t cr3, uint64_t gva, struct pt_walk *out,
				  uint64_t *table_gpa)
{
	enum pt_walk_status st = walk_down(m, cr3, gva, 2, out, table_gpa);

	if (st == PTW_OK && !out->page_shift && !gmem_guest_ptr(m, *table_gpa, PAGE_SIZE_4K))
		return PTW_OUTSIDE_RAM;
	return st;
}

enum pt_walk_status pt_walk_leaf(const struct guest_mem *m, uint64_t entry, uint64_t gva, struct pt_walk *out)
{
	uint64_t next;

	return step(m, entry, 1, gva, out, &next);
}

static bool allowed(const struct pt_walk *w, bool write)
{
	return w->user && (!write || w->writable);
}

/* pt_translate_leafcopy within one 2 MiB region: n pages from va (n <= what is left of
 * the region), `leaves` a buffer for its leaf table.  Returns the pages translated. */
static uint64_t translate_region(const struct guest_mem *m, uint64_t cr3, uint64_t va, uint64_t n, bool write,
				 uint64_t *gpas, enum pt_walk_status *st, uint64_t *leaves)
{
	struct pt_walk up, w;
	uint64_t table;

	assert(n >= 1 && n <= PT_ENTRIES - PT_INDEX(va, 1));
	*st = pt_walk_upper(m, cr3, va, &up, &table);
	if (*st == PTW_OK && up.page_shift && !allowed(&up, write))
		*st = PTW_NO_ACCESS;
	if (*st != PTW_OK)
		return 0;
	if (!up.page_shift) /* copied once, then validated entry by entry */
		memcpy(leaves, gmem_guest_ptr(m, table, PAGE_SIZE_4K), PAGE_SIZE_4K);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t p = va + (k << PAGE_SHIFT_4K);

		w = up;
		*st = up.page_shift ? leaf_translation(m, p, &w) : pt_walk_leaf(m, leaves[PT_INDEX(p, 1)], p, &w);
		if (*st == PTW_OK && !allowed(&w, write))
			*st = PTW_NO_ACCESS;
		if (*st != PTW_OK)
			return k;
		gpas[k] = w.gpa & ~(PAGE_SIZE_4K - 1);
	}
	return n;
}

uint64_t pt_translate_leafcopy(const struct guest_mem *m, uint64_t cr3, uint64_t va, uint64_t n, bool write,
			       uint64_t *gpas, enum pt_walk_status *st)
{
	uint64_t leaves[PT_ENTRIES], i = 0, bytes = n << PAGE_SHIFT_4K;

	assert(!(va & (PAGE_SIZE_4K - 1)));
	*st = PTW_OK;
	if (n > UINT64_MAX >> PAGE_SHIFT_4K || !range_fits(va, bytes)) {
		*st = PTW_NONCANONICAL; /* the range runs past the top of the address space */
		return 0;
	}
	while (i < n) {
		uint64_t pages = range_piece(va, bytes, i << PAGE_SHIFT_4K, PAGE_SHIFT_2M) >> PAGE_SHIFT_4K;
		uint64_t done = translate_region(m, cr3, va + (i << PAGE_SHIFT_4K), pages, write, gpas + i, st, leaves);

		i += done;
		if (done < pages)
			break;
	}
	return i;
}

void pt_walk_cache_reset(struct pt_walk_cache *c)
{
	memset(c, 0, sizeof(*c));
}

enum pt_walk_status pt_walk_cached(struct pt_walk_cache *c, const struct guest_mem *m, uint64_t cr3, uint64_t gva,
				   struct pt_walk *out)
{
	uint64_t region = (gva >> PAGE_SHIFT_2M) + 1;
	struct pt_walk_cache_slot *s = &c->slot[region % PT_WALK_CACHE_SLOTS];
	enum pt_walk_status st;
	const uint64_t *slot;

	if (s->region != region) {
		st = pt_walk_upper(m, cr3, gva, &s->upper, &s->table);
		if (st != PTW_OK) {
			s->region = 0;
			return st;
		}
		s->region = region;
	}
	*out = s->upper;
	if (s->upper.page_shift) /* large page: this address's own translation, checked against RAM */
		return leaf_translation(m, gva, out);
	slot = gmem_guest_ptr(m, s->table + 8 * PT_INDEX(gva, 1), 8); /* in RAM: pt_walk_upper checked it */
	return pt_walk_leaf(m, *slot, gva, out);
}

const char *pt_walk_status_name(enum pt_walk_status s)
{
	switch (s) {
	case PTW_OK:
		return "ok";
	case PTW_NOT_PRESENT:
		return "not present";
	case PTW_RESERVED_BIT:
		return "reserved bit set";
	case PTW_OUTSIDE_RAM:
		return "outside guest RAM or in the VMM's boot area";
	case PTW_NONCANONICAL:
		return "non-canonical address";
	case PTW_NO_ACCESS:
		return "access not permitted";
	}
	return "?";
}
