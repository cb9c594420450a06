/*
 * The guest kernel's frame allocator, built natively: contiguous order is ascending,
 * scattered order is a true permutation of the pool (every frame once, none outside),
 * leaves almost no physically adjacent neighbours, and depends on the seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "../guest-bench/kernel/frames.h"

static void test_contiguous(void **state)
{
	struct frame_pool pool;

	(void)state;
	frame_pool_init(&pool, 0x801000, 0x810000, 12, 0, 0);
	assert_int_equal(pool.count, 15);
	for (uint64_t i = 0; i < 15; i++)
		assert_int_equal(frame_pool_alloc(&pool), 0x801000 + (i << 12));
	assert_int_equal(frame_pool_alloc(&pool), 0); /* exhausted */
	frame_pool_init(&pool, 0x800001, 0x1000000, 21, 0, 0); /* aligned up to 2 MiB */
	assert_int_equal(pool.base, 0xa00000);
	assert_int_equal(pool.count, 3);
}

static void check_permutation(uint64_t count, uint64_t seed)
{
	struct frame_pool pool;
	uint8_t *seen = calloc(count, 1);
	uint64_t adjacent = 0, prev = 0;

	frame_pool_init(&pool, 0, count << 12, 12, 1, seed);
	assert_int_equal(pool.count, count);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t f = frame_pool_alloc(&pool) >> 12;

		assert_true(f < count);
		assert_false(seen[f]);
		seen[f] = 1;
		adjacent += i && f == prev + 1;
		prev = f;
	}
	assert_int_equal(frame_pool_alloc(&pool), 0);
	if (count >= 64)
		assert_true(adjacent * 16 < count);
	free(seen);
}

static void test_scattered_is_permutation(void **state)
{
	static const uint64_t counts[] = { 1, 2, 3, 5, 64, 1000, 4096, 100003, 261888 };

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		for (uint64_t seed = 1; seed < 4; seed++)
			check_permutation(counts[i], seed * 0x1234567);
}

static void test_seed_changes_order(void **state)
{
	struct frame_pool a, b;
	int differ = 0;

	(void)state;
	frame_pool_init(&a, 0, 4096ull << 12, 12, 1, 1);
	frame_pool_init(&b, 0, 4096ull << 12, 12, 1, 2);
	for (int i = 0; i < 64; i++)
		differ += frame_pool_alloc(&a) != frame_pool_alloc(&b);
	assert_true(differ > 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contiguous),
		cmocka_unit_test(test_scattered_is_permutation),
		cmocka_unit_test(test_seed_changes_order),
	};

	return cmocka_run_group_tests_name("frames", tests, NULL, NULL);
}
