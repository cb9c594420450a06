/*
 * libFuzzer target: the software page walkers on a fuzzed guest-memory image.  The input
 * is the guest RAM itself (whole pages of it, so ASan sees any read outside it), its first
 * 24 bytes also pick CR3, the address and the page count.  Every walker must end, agree with the plain
 * walk, and only ever produce addresses inside RAM.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "../vmm-min/gmem.h"
#include "../vmm-min/ptwalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m = { (uint8_t *)data, size & ~4095ul, 40 }; /* guest RAM is whole pages */
	uint64_t cr3, gva, n, gpas[16];
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
	n = n % 16 + 1;
	st = pt_walk(&m, cr3, gva, &w);
	if (st == PTW_OK)
		assert(w.gpa < m.size);
	pt_walk_cache_reset(&cache);
	for (int i = 0; i < 2; i++) { /* miss, then hit */
		st2 = pt_walk_cached(&cache, &m, cr3, gva, &wc);
		assert(st2 == st);
		assert(st != PTW_OK || wc.gpa == w.gpa);
	}
	st2 = pt_walk_upper(&m, cr3, gva, &up, &cr3);
	(void)st2;
	n = pt_translate_leafcopy(&m, cr3, gva & ~4095ull, n, (n & 1) != 0, gpas, &st);
	for (uint64_t i = 0; i < n; i++)
		assert(gpas[i] + 4096 <= m.size);
	gmem_read_str(&m, cr3, gva, str, sizeof(str));
	return 0;
}
