/*
 * The VMM's software page walker and checked guest-memory reads, against page tables
 * built on a memory image by the guest kernel's own paging.c: random 4 KiB, 2 MiB and
 * 1 GiB mappings translate as mapped, holes are not present, and malformed tables
 * (reserved bits, entries pointing outside RAM, a table pointing back into itself,
 * non-canonical addresses) give their error, never a read outside the image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../guest-bench/kernel/paging.h"
#include "gmem.h"
#include "ptwalk.h"
#include "x86.h"

#define RAM (64ull << 20)
#define TABLE_AREA (8ull << 20) /* tables come from [0, 8 MiB), pages from above */

struct image {
	struct pt_ctx ctx;
	struct guest_mem mem;
	uint64_t next_table;
	uint64_t root;
};

static void *image_ptr(struct pt_ctx *ctx, uint64_t pa)
{
	struct image *img = ctx->opaque;

	assert_true(pa + PAGE_SIZE_4K <= TABLE_AREA);
	return img->mem.hva + pa;
}

static uint64_t image_table(struct pt_ctx *ctx)
{
	struct image *img = ctx->opaque;

	if (img->next_table + PAGE_SIZE_4K > TABLE_AREA)
		return 0;
	img->next_table += PAGE_SIZE_4K;
	return img->next_table - PAGE_SIZE_4K;
}

static int setup(void **state)
{
	struct image *img = calloc(1, sizeof(*img));

	img->mem.hva = calloc(1, RAM);
	img->mem.size = RAM;
	img->mem.phys_bits = 46;
	img->ctx = (struct pt_ctx){ image_ptr, image_table, img };
	img->next_table = PAGE_SIZE_4K; /* keep 0 free: 0 means "no table" */
	img->root = image_table(&img->ctx);
	*state = img;
	return 0;
}

static int teardown(void **state)
{
	struct image *img = *state;

	free(img->mem.hva);
	free(img);
	return 0;
}

static uint64_t *entry_for(struct image *img, uint64_t va, int level)
{
	uint64_t *table = pt_table(&img->ctx, img->root, va, level, PTE_W | PTE_U);

	assert_non_null(table);
	return &table[PT_INDEX(va, level)];
}

static void test_random_4k_mappings(void **state)
{
	struct image *img = *state;
	enum { N = 3000 };
	uint64_t va[N], pa[N];
	struct pt_walk w;

	srand(7);
	for (int i = 0; i < N; i++) {
		va[i] = (uint64_t)(rand() & 0x3f) << 36 | (uint64_t)i << 12; /* 64 blocks over 8 PML4Es */
		pa[i] = TABLE_AREA + ((uint64_t)(rand() % ((RAM - TABLE_AREA) >> 12)) << 12);
		assert_int_equal(pt_map(&img->ctx, img->root, va[i], pa[i], PAGE_SHIFT_4K, PTE_W | PTE_U), 0);
	}
	for (int i = 0; i < N; i++) {
		uint64_t off = (uint64_t)rand() & 0xfff;

		assert_int_equal(pt_walk(&img->mem, img->root, va[i] + off, &w), PTW_OK);
		assert_int_equal(w.gpa, pa[i] + off);
		assert_int_equal(w.page_shift, PAGE_SHIFT_4K);
		assert_true(w.user && w.writable);
		/* the page after each mapping's neighbour range is a hole (indices are distinct per i) */
		assert_int_equal(pt_walk(&img->mem, img->root, va[i] + ((uint64_t)N << 12), &w), PTW_NOT_PRESENT);
	}
}

static void test_large_pages(void **state)
{
	struct image *img = *state;
	struct pt_walk w;

	assert_int_equal(pt_map(&img->ctx, img->root, 0x40000000, 0x1000000, PAGE_SHIFT_2M, PTE_W), 0);
	assert_int_equal(pt_walk(&img->mem, img->root, 0x40012345, &w), PTW_OK);
	assert_int_equal(w.gpa, 0x1012345);
	assert_int_equal(w.page_shift, PAGE_SHIFT_2M);
	assert_false(w.user);
	/* a 1 GiB leaf; only its first 64 MiB is RAM */
	assert_int_equal(pt_map(&img->ctx, img->root, 0x8000000000, 0, PAGE_SHIFT_1G, PTE_W | PTE_U), 0);
	assert_int_equal(pt_walk(&img->mem, img->root, 0x8000000000 + 0x2345678, &w), PTW_OK);
	assert_int_equal(w.gpa, 0x2345678);
	assert_int_equal(w.page_shift, PAGE_SHIFT_1G);
	assert_int_equal(pt_walk(&img->mem, img->root, 0x8000000000 + RAM, &w), PTW_OUTSIDE_RAM);
	/* misaligned requests are refused, not silently rounded */
	assert_int_equal(pt_map(&img->ctx, img->root, 0x40201000, 0x1000000, PAGE_SHIFT_2M, 0), -1);
}

static void test_reserved_bits(void **state)
{
	struct image *img = *state;
	struct pt_walk w;

	assert_int_equal(pt_map(&img->ctx, img->root, 0x10000, 0x900000, PAGE_SHIFT_4K, PTE_W), 0);
	*entry_for(img, 0x10000, 1) |= 1ull << 50; /* above MAXPHYADDR 46 */
	assert_int_equal(pt_walk(&img->mem, img->root, 0x10000, &w), PTW_RESERVED_BIT);
	assert_int_equal(pt_map(&img->ctx, img->root, 0x600000, 0xa00000, PAGE_SHIFT_2M, PTE_W), 0);
	*entry_for(img, 0x600000, 2) |= 1ull << 13; /* bits 20:13 of a 2 MiB leaf */
	assert_int_equal(pt_walk(&img->mem, img->root, 0x600000, &w), PTW_RESERVED_BIT);
	((uint64_t *)(img->mem.hva + img->root))[5] = 0x100000 | PTE_P | PTE_PS; /* PS in a PML4E */
	assert_int_equal(pt_walk(&img->mem, img->root, 5ull << 39, &w), PTW_RESERVED_BIT);
}

static void test_tables_outside_ram(void **state)
{
	struct image *img = *state;
	struct pt_walk w;

	assert_int_equal(pt_map(&img->ctx, img->root, 0x20000, 0x900000, PAGE_SHIFT_4K, PTE_W), 0);
	*entry_for(img, 0x20000, 2) = (RAM + 0x1000) | PTE_P | PTE_W; /* PT beyond RAM */
	assert_int_equal(pt_walk(&img->mem, img->root, 0x20000, &w), PTW_OUTSIDE_RAM);
	assert_int_equal(w.level, 1);
	*entry_for(img, 0x20000, 2) = (RAM - 0x1000) | PTE_P | PTE_W; /* last page: fine, empty */
	assert_int_equal(pt_walk(&img->mem, img->root, 0x20000, &w), PTW_NOT_PRESENT);
	assert_int_equal(pt_walk(&img->mem, RAM + 0x1000, 0x20000, &w), PTW_OUTSIDE_RAM); /* CR3 */
	assert_int_equal(pt_walk(&img->mem, ~0xfffull & 0x000ffffffffff000ull, 0, &w), PTW_OUTSIDE_RAM);
}

static void test_self_referencing_table(void **state)
{
	struct image *img = *state;
	uint64_t *pml4 = (uint64_t *)(img->mem.hva + img->root);
	uint64_t va = 9ull << 39 | 9ull << 30 | 9ull << 21 | 9ull << 12;
	struct pt_walk w;

	pml4[9] = img->root | PTE_P | PTE_W | PTE_U; /* recursive slot: every level is the PML4 */
	assert_int_equal(pt_walk(&img->mem, img->root, va, &w), PTW_OK);
	assert_int_equal(w.gpa, img->root); /* four steps, then the PML4 itself as the page */
	assert_int_equal(w.page_shift, PAGE_SHIFT_4K);
}

static void test_noncanonical(void **state)
{
	struct image *img = *state;
	struct pt_walk w;

	assert_int_equal(pt_walk(&img->mem, img->root, 0x0000800000000000ull, &w), PTW_NONCANONICAL);
	assert_int_equal(pt_walk(&img->mem, img->root, 0xffff7fffffffffffull, &w), PTW_NONCANONICAL);
}

static void test_gmem_reads(void **state)
{
	struct image *img = *state;
	uint64_t va = 0x7000000000;
	char buf[64];

	assert_null(gmem_ptr(&img->mem, RAM - 4, 8));
	assert_null(gmem_ptr(&img->mem, ~0ull - 2, 8)); /* wraps around */
	assert_non_null(gmem_ptr(&img->mem, RAM - 8, 8));
	/* a string across a page boundary onto two scattered frames, then an unmapped page */
	assert_int_equal(pt_map(&img->ctx, img->root, va, 0x2000000, PAGE_SHIFT_4K, 0), 0);
	assert_int_equal(pt_map(&img->ctx, img->root, va + 0x1000, 0x1000000, PAGE_SHIFT_4K, 0), 0);
	memcpy(img->mem.hva + 0x2000000 + 0xffc, "page", 4);
	memcpy(img->mem.hva + 0x1000000, "-crossing\0", 10);
	assert_int_equal(gmem_read_str(&img->mem, img->root, va + 0xffc, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "page-crossing");
	assert_int_equal(gmem_read_gva(&img->mem, img->root, va + 0x1ffc, buf, 8), -1);
	assert_int_equal(gmem_read_str(&img->mem, img->root, va + 0x3000, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "<unreadable>");
	memset(img->mem.hva + 0x1000000, 'x', 0x1000); /* unterminated, then a hole: cut cleanly */
	assert_int_equal(gmem_read_str(&img->mem, img->root, va + 0x1000, buf, 8), 0);
	assert_string_equal(buf, "xxxx...");
}

/* Host segments of a guest-virtual range: adjacent frames merge, scattered ones do not,
 * an unaligned start and end are cut right, a 2 MiB page is one piece; and every way the
 * range can be bad (a hole, a frame in the boot area, too few slots, past 2^64) is -1. */
static void test_gva_segments(void **state)
{
	struct image *img = *state;
	uint64_t va = 0x7000000000;
	struct iovec seg[4];

	assert_int_equal(pt_map(&img->ctx, img->root, va, 0x2000000, PAGE_SHIFT_4K, 0), 0);
	assert_int_equal(pt_map(&img->ctx, img->root, va + 0x1000, 0x2001000, PAGE_SHIFT_4K, 0), 0);
	assert_int_equal(pt_map(&img->ctx, img->root, va + 0x2000, 0x1000000, PAGE_SHIFT_4K, 0), 0);
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va + 0x10, 0x2000 + 0x20, seg, 4), 2);
	assert_ptr_equal(seg[0].iov_base, img->mem.hva + 0x2000010);
	assert_int_equal(seg[0].iov_len, 0x2000 - 0x10); /* two adjacent frames, one piece */
	assert_ptr_equal(seg[1].iov_base, img->mem.hva + 0x1000000);
	assert_int_equal(seg[1].iov_len, 0x30);
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va, 0, seg, 4), 0);
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va, 0x3000, seg, 1), -1); /* needs 2 */
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va, 0x3001, seg, 4), -1); /* a hole */
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, ~0ull - 0xfff, 0x2000, seg, 4), -1);
	img->mem.boot_end = 0x1001000; /* the third frame now lies in the boot area */
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va, 0x3000, seg, 4), -1);
	img->mem.boot_end = 0;
	assert_int_equal(pt_map(&img->ctx, img->root, va + (2ull << 20), 0x2200000, PAGE_SHIFT_2M, 0), 0);
	assert_int_equal(gmem_gva_segments(&img->mem, img->root, va + (2ull << 20), 2ull << 20, seg, 1), 1);
	assert_int_equal(seg[0].iov_len, 2ull << 20);
}

/* The leaf-table copy and the cached walk give what the plain walk gives, on random
 * 4 KiB mappings, 2 MiB and 1 GiB leaves and holes; and fail where it fails. */
static void test_leafcopy_and_cache_agree_with_walk(void **state)
{
	struct image *img = *state;
	struct pt_walk_cache cache;
	enum { N = 2000 };
	uint64_t base = 0x7000000000, gpas[N];
	enum pt_walk_status st;

	pt_walk_cache_reset(&cache);
	srand(11);
	for (int i = 0; i < N; i++)
		if (rand() % 4) /* a quarter are holes */
			assert_int_equal(pt_map(&img->ctx, img->root, base + ((uint64_t)i << 12),
						TABLE_AREA + ((uint64_t)(rand() % 10000) << 12), PAGE_SHIFT_4K, PTE_W | PTE_U), 0);
	assert_int_equal(pt_map(&img->ctx, img->root, 0x40000000, 0x1000000, PAGE_SHIFT_2M, PTE_W | PTE_U), 0);
	assert_int_equal(pt_map(&img->ctx, img->root, 0x8000000000, 0, PAGE_SHIFT_1G, PTE_W | PTE_U), 0);
	for (int i = 0; i < 3 * N; i++) {
		uint64_t va = i < N ? base + ((uint64_t)i << 12) : i < 2 * N ? 0x40000000 + ((uint64_t)(i - N) << 10)
										: 0x8000000000 + ((uint64_t)rand() << 6);
		struct pt_walk w, wc;
		enum pt_walk_status plain = pt_walk(&img->mem, img->root, va, &w);
		uint64_t done = pt_translate_leafcopy(&img->mem, img->root, va & ~4095ull, 1, true, gpas, &st);

		assert_int_equal(pt_walk_cached(&cache, &img->mem, img->root, va, &wc), plain);
		assert_int_equal(done, plain == PTW_OK ? 1 : 0);
		if (plain == PTW_OK) {
			assert_int_equal(wc.gpa, w.gpa);
			assert_int_equal(gpas[0], w.gpa & ~4095ull);
		} else {
			assert_int_equal(st, plain);
		}
	}
	/* one call over the whole range stops at the first hole, having translated the rest */
	for (int i = 0; i < N; i++) {
		struct pt_walk w;

		if (pt_walk(&img->mem, img->root, base + ((uint64_t)i << 12), &w) != PTW_OK) {
			assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, base, N, false, gpas, &st), i);
			assert_int_equal(st, PTW_NOT_PRESENT);
			break;
		}
	}
}

static void test_leafcopy_rights_and_bad_tables(void **state)
{
	struct image *img = *state;
	uint64_t gpas[4];
	enum pt_walk_status st;

	assert_int_equal(pt_map(&img->ctx, img->root, 0x30000, 0x900000, PAGE_SHIFT_4K, PTE_W), 0); /* no U */
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0x30000, 1, false, gpas, &st), 0);
	assert_int_equal(st, PTW_NO_ACCESS);
	assert_int_equal(pt_map(&img->ctx, img->root, 0x31000, 0x901000, PAGE_SHIFT_4K, PTE_U), 0); /* read-only */
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0x31000, 1, false, gpas, &st), 1);
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0x31000, 1, true, gpas, &st), 0);
	assert_int_equal(st, PTW_NO_ACCESS);
	*entry_for(img, 0x30000, 2) = RAM | PTE_P | PTE_W | PTE_U; /* PT just past the end of RAM */
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0x30000, 1, false, gpas, &st), 0);
	assert_int_equal(st, PTW_OUTSIDE_RAM);
	/* recursive slot: the PML4 serves as every level; its entry 0 (a table) reads as a page,
	 * entry 1 is empty: two steps, bounded, nothing outside RAM */
	((uint64_t *)(img->mem.hva + img->root))[9] = img->root | PTE_P | PTE_W | PTE_U;
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 9ull << 39 | 9ull << 30 | 9ull << 21, 4, false,
					       gpas, &st), 1);
	assert_int_equal(st, PTW_NOT_PRESENT);
	assert_true(gpas[0] < RAM);
}

/* Issue 12, hole 6: RAM of whole 4 KiB pages but not whole 2 MiB regions, a 2 MiB page
 * over its end: a cache hit on the part past RAM is refused as the plain walk refuses it. */
static void test_cached_large_page_past_ram(void **state)
{
	struct image *img = *state;
	struct pt_walk_cache cache;
	struct pt_walk w;
	uint64_t last = 0x40000000 + PAGE_SIZE_2M - 1;

	pt_walk_cache_reset(&cache);
	assert_int_equal(pt_map(&img->ctx, img->root, 0x40000000, RAM - PAGE_SIZE_2M, PAGE_SHIFT_2M, PTE_W | PTE_U), 0);
	img->mem.size = RAM - PAGE_SIZE_4K;
	assert_int_equal(pt_walk_cached(&cache, &img->mem, img->root, 0x40000000, &w), PTW_OK); /* miss, in RAM */
	assert_int_equal(pt_walk(&img->mem, img->root, last, &w), PTW_OUTSIDE_RAM);
	assert_int_equal(pt_walk_cached(&cache, &img->mem, img->root, last, &w), PTW_OUTSIDE_RAM); /* hit */
	img->mem.size = RAM;
}

/* Page-table reads and leaf-table copies never touch the boot area; ranges past 2^64 are
 * refused whole. */
static void test_boot_area_and_top_of_address_space(void **state)
{
	struct image *img = *state;
	uint64_t gpas[2];
	enum pt_walk_status st;
	struct pt_walk w;

	assert_int_equal(pt_map(&img->ctx, img->root, 0x50000, 0x900000, PAGE_SHIFT_4K, PTE_W | PTE_U), 0);
	assert_int_equal(pt_walk(&img->mem, img->root, 0x50000, &w), PTW_OK);
	img->mem.boot_end = img->root + PAGE_SIZE_4K; /* the PML4 now lies in the boot area */
	assert_int_equal(pt_walk(&img->mem, img->root, 0x50000, &w), PTW_OUTSIDE_RAM);
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0x50000, 1, false, gpas, &st), 0);
	assert_int_equal(st, PTW_OUTSIDE_RAM);
	img->mem.boot_end = 0;
	assert_int_equal(pt_translate_leafcopy(&img->mem, img->root, 0xfffffffffffff000ull, 2, false, gpas, &st), 0);
	assert_int_equal(st, PTW_NONCANONICAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_4k_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_referencing_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noncanonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gmem_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gva_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leafcopy_and_cache_agree_with_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leafcopy_rights_and_bad_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_large_page_past_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_area_and_top_of_address_space, setup, teardown),
	};

	return cmocka_run_group_tests_name("ptwalk", tests, NULL, NULL);
}
