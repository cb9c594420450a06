/*
 * libFuzzer target: the software page walkers on a fuzzed guest-memory image.  The input
 * is the guest RAM itself (whole pages of it, so ASan sees any read outside it); its first
 * 25 bytes also pick CR3, the address, the page count (up to 16384: 64 MiB) and where the
 * range lies — as given, in the last 64 MiB below 2^64, or at the guest-physical end of
 * RAM (identity-mapped images) — and whether the first page is a boot area.  Every walker
 * must end, agree with the plain walk, and only ever produce addresses inside RAM; the
 * leaf-table copy must refuse a range past 2^64 whole.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "../vmm-min/gmem.h"
#include "../vmm-min/ptwalk.h"
#include "../vmm-min/range.h"

#define MAX_PAGES 16384 /* 64 MiB: ptcopy's largest doorbell */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t place(uint64_t gva, uint8_t where, uint64_t ram)
{
	switch (where % 3) {
	case 1: return ~0ull - gva % (MAX_PAGES << 12);          /* near 2^64 */
	case 2: return ram - 1 - gva % (MAX_PAGES << 12 < ram ? MAX_PAGES << 12 : ram); /* near RAM's end */
	default: return gva;
	}
}

/* The leaf-table copy of n pages from page-aligned va: inside RAM, agreeing with the walk. */
static void check_leafcopy(const struct guest_mem *m, uint64_t cr3, uint64_t va, uint64_t n, bool write)
{
	static uint64_t gpas[MAX_PAGES];
	enum pt_walk_status st;
	uint64_t done = pt_translate_leafcopy(m, cr3, va, n, write, gpas, &st);

	assert(done <= n);
	assert(range_fits(va, n << 12) || (done == 0 && st == PTW_NONCANONICAL));
	for (uint64_t i = 0; i < done; i++) {
		struct pt_walk w;

		assert(gpas[i] + 4096 <= m->size);
		if (i < 64 || i == done - 1) { /* spot checks against the plain walk */
			assert(pt_walk(m, cr3, va + (i << 12), &w) == PTW_OK);
			assert((w.gpa & ~4095ull) == gpas[i]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m = { (uint8_t *)data, size & ~4095ul, 40, 0 }; /* guest RAM is whole pages */
	uint64_t cr3, gva, n, table;
	struct pt_walk w, wc, up;
	struct pt_walk_cache cache;
	enum pt_walk_status st, st2;
	char str[64];

	if (size < 4096)
		return 0;
	memcpy(&cr3, data, 8);
	memcpy(&gva, data + 8, 8);
	memcpy(&n, data + 16, 8);
	cr3 &= 0xffff000; /* mostly inside small images, sometimes not */
	n = n % MAX_PAGES + 1;
	gva = place(gva, data[24], m.size);
	m.boot_end = data[24] & 0x80 ? 4096 : 0;
	st = pt_walk(&m, cr3, gva, &w);
	if (st == PTW_OK)
		assert(w.gpa < m.size);
	pt_walk_cache_reset(&cache);
	for (int i = 0; i < 2; i++) { /* miss, then hit */
		st2 = pt_walk_cached(&cache, &m, cr3, gva, &wc);
		assert(st2 == st);
		assert(st != PTW_OK || wc.gpa == w.gpa);
	}
	gva ^= (n << 12) & ((1ull << 21) - 1); /* another address of the same 2 MiB region: a hit */
	st = pt_walk(&m, cr3, gva, &w);
	assert(pt_walk_cached(&cache, &m, cr3, gva, &wc) == st && (st != PTW_OK || wc.gpa == w.gpa));
	st2 = pt_walk_upper(&m, cr3, gva, &up, &table);
	assert(st2 != PTW_OK || up.page_shift || table + 4096 <= m.size);
	check_leafcopy(&m, cr3, gva & ~4095ull, n, (n & 1) != 0);
	gmem_read_str(&m, cr3, gva, str, sizeof(str));
	return 0;
}
