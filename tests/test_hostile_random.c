/*
 * The doorbell engine against a hostile guest, without KVM (fuzz/hostile_vm.c's fake VM
 * and oracles).  First one scripted regression per hole of issue 12 — op ids >= 2^32,
 * ranges at the top of the address space, a RETRY followed by another operation, total
 * or transport, a list page in the boot area, a small request for a huge output — each
 * checked for its status and byte for byte.  Then the structure-aware random driver:
 * seeded sequences of 300 actions on fresh engines, until HOSTILE_RANDOM_SECONDS
 * (default 30) or HOSTILE_RANDOM_STEPS (default 5 million) run out; it prints the seed,
 * the steps and doorbells run and the statuses seen, and fails if an oracle breaks or a
 * status never came up (a driver that stopped reaching the engine).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "../devices/device_abi.h"
#include "../fuzz/hostile_vm.h"
#include "../transports/basic/basic.h"
#include "../transports/extended/extended.h"
#include "../transports/ptcopy/ptcopy.h"
#include "x86.h"

#define DATA_GPA 0x300000ull /* a free guest-physical page for scripted data */
#define USER (PTE_W | PTE_U)

static char module[512];

static uint64_t splitmix(void *src)
{
	uint64_t *state = src, z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct hostile *scripted(uint64_t max_op_bytes)
{
	static uint64_t seed = 1;
	struct hostile *h = calloc(1, sizeof(*h));

	h->next = splitmix;
	h->src = &seed;
	hv_init(h, max_op_bytes, module);
	return h;
}

static void done(struct hostile *h)
{
	hv_fini(h);
	free(h);
}

static uint64_t status_of(const struct hostile *h)
{
	return h->run->s.regs.regs.rax;
}

static uint64_t ring(struct hostile *h, unsigned transport, uint64_t state, uint64_t addr, uint64_t bytes,
		     uint64_t total, uint64_t op, uint64_t extra)
{
	struct doorbell db = { state, addr, bytes, total, op, extra, 0, 0 };

	hv_ring(h, transport, &db);
	return status_of(h);
}

static void map(struct hostile *h, uint64_t va, uint64_t gpa, unsigned shift)
{
	assert_int_equal(pt_map(&h->ctx, h->cr3, va, gpa, shift, USER), 0);
}

/* Hole 1: R9 is 64 bits; ids that name a served op in their low 32 bits are refused. */
static void test_op_ids_above_2_32(void **state)
{
	struct hostile *h = scripted(1 << 20);

	(void)state;
	map(h, 0x400000, DATA_GPA, PAGE_SHIFT_4K);
	for (uint64_t op = (1ull << 32); op <= (1ull << 32) + 3; op++)
		for (uint64_t st = PG_DB_SEND; st <= PG_DB_RECEIVE; st++)
			assert_int_equal(ring(h, BASIC_ID, st, 0x400000, 16, 16, op, 0), PG_DB_ENOOP);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400000, 16, 16, ~0ull, 0), PG_DB_ENOOP);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400000, 16, 16, PG_DEVICE_MAX_OP + 1, 0), PG_DB_ENOOP);
	done(h);
}

/* Echo `len` bytes from `from` back to `to` through one transport; checks every byte. */
static void echo_through(struct hostile *h, unsigned transport, uint64_t from, uint64_t to, uint64_t len,
			 uint64_t data_gpa, uint64_t out_gpa)
{
	static uint8_t data[PAGE_SIZE_4K];

	pg_pattern_fill(data, 0, len, 77);
	hv_write(h, data_gpa, data, len);
	memcpy(data, h->vm.mem.hva + data_gpa, len); /* as written: hv_write changes canary bytes */
	assert_int_equal(ring(h, transport, PG_DB_SEND, from, len, len, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(h->run->s.regs.regs.rsi, len);
	assert_int_equal(ring(h, transport, PG_DB_EXECUTE, 0, 0, 0, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(ring(h, transport, PG_DB_RECEIVE, to, len, len, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(h->run->s.regs.regs.rsi, len);
	assert_memory_equal(h->vm.mem.hva + out_gpa, data, len);
}

/* Hole 2: a range in the last page and the last 2 MiB of the address space moves exactly
 * its bytes; a range past 2^64 is refused; a 2 MiB leaf at the top with VA 0 mapped too. */
static void test_top_of_address_space(void **state)
{
	struct hostile *h = scripted(64 << 20);
	uint64_t top = 0xfffffffffffff000ull, out_gpa = DATA_GPA + PAGE_SIZE_4K, copied;
	uint8_t after[64];

	(void)state;
	map(h, top, DATA_GPA, PAGE_SHIFT_4K);
	map(h, 0x400000, out_gpa, PAGE_SHIFT_4K);
	memset(after, 0x11, sizeof(after));
	for (unsigned t = 0; transports[t]; t++) {
		/* extended's RDI is a list page, not a range; the ring has no doorbell transfers */
		if (transports[t]->id == EXTENDED_ID || !transports[t]->move)
			continue;
		echo_through(h, transports[t]->id, top, 0x400000, 16, DATA_GPA, out_gpa);
		hv_write(h, DATA_GPA + 16, after, sizeof(after));
		echo_through(h, transports[t]->id, 0x400000, top, 16, out_gpa, DATA_GPA);
		assert_memory_equal(h->vm.mem.hva + DATA_GPA + 16, after, sizeof(after)); /* not a byte more */
		echo_through(h, transports[t]->id, top, 0x400000, 4096, DATA_GPA, out_gpa); /* ends at 2^64 */
		assert_int_equal(ring(h, transports[t]->id, PG_DB_SEND, top, 4097, 4097, PG_OP_SINK, 0), PG_DB_EINVAL);
	}
	map(h, 0xffffffffffe00000ull, 4ull << 20, PAGE_SHIFT_2M);
	map(h, 0, 4ull << 20, PAGE_SHIFT_2M);
	copied = h->e.t.copied;
	assert_int_equal(ring(h, PTCOPY_ID, PG_DB_SEND, 0xffffffffffe00000ull, 2 << 20, 2 << 20, PG_OP_SINK, 0),
			 PG_DB_OK);
	assert_int_equal(h->e.t.copied - copied, 2 << 20);
	assert_int_equal(ring(h, PTCOPY_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_SINK, 0), PG_DB_OK);
	assert_int_equal(h->e.checksum, pg_checksum(PG_CHECKSUM_INIT, h->vm.mem.hva + (4 << 20), 2 << 20));
	done(h);
}

/* A basic SEND of 16 bytes from the last 8 of a mapped page: RETRY after 8 (the next page
 * is absent); then the next page is mapped and holds the rest of data[]. */
static struct hostile *retried_send(uint64_t *data, uint64_t words)
{
	struct hostile *h = scripted(1 << 20);

	map(h, 0x400000, DATA_GPA, PAGE_SHIFT_4K);
	hv_write(h, DATA_GPA + PAGE_SIZE_4K - 8, data, 8);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400ff8, 16, 16, PG_OP_ECHO, 0), PG_DB_RETRY);
	map(h, 0x401000, DATA_GPA + PAGE_SIZE_4K, PAGE_SHIFT_4K);
	hv_write(h, DATA_GPA + PAGE_SIZE_4K, data + 1, 8 * (words - 1));
	return h;
}

/* EXECUTE and RECEIVE `len` echo bytes; they must be data's. */
static void echo_back(struct hostile *h, const uint64_t *data, uint64_t len)
{
	map(h, 0x500000, DATA_GPA + 2 * PAGE_SIZE_4K, PAGE_SHIFT_4K);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_RECEIVE, 0x500000, len, len, PG_OP_ECHO, 0), PG_DB_OK);
	assert_memory_equal(h->vm.mem.hva + DATA_GPA + 2 * PAGE_SIZE_4K, data, len);
}

/* Hole 3: after a RETRY, a doorbell that differs in total, op or transport starts afresh:
 * nothing counts as already moved, and the echo gives back exactly what was sent. */
static void test_retry_then_another_doorbell(void **state)
{
	static const struct { uint64_t total, op; unsigned transport; } then[] = {
		{ 32, PG_OP_ECHO, BASIC_ID }, { 16, PG_OP_ECHO, PTCOPY_ID }, { 16, PG_OP_SINK, BASIC_ID },
	};

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t data[4] = { 1, 2, 3, 4 };
		struct hostile *h = retried_send(data, 4);

		assert_int_equal(ring(h, then[i].transport, PG_DB_SEND, 0x400ff8, 16, then[i].total, then[i].op, 0),
				 PG_DB_OK);
		assert_int_equal(h->chain_copied, 16); /* moved whole, not resumed */
		if (then[i].total == 32) {
			assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x401008, 16, 32, PG_OP_ECHO, 0), PG_DB_OK);
			echo_back(h, data, 32);
		} else if (then[i].op == PG_OP_ECHO) {
			echo_back(h, data, 16);
		}
		done(h);
	}
}

/* Hole 3, deliveries: after a RETRY under copy delivery and a switch to iov, the identical
 * doorbell resumes its operation (still copy: delivery is fixed at the start), and a
 * doorbell with another total starts a new iov operation from nothing.  Echoes exact. */
static void test_retry_then_other_delivery(void **state)
{
	uint64_t data[4] = { 5, 6, 7, 8 };
	struct hostile *h = retried_send(data, 2);

	(void)state;
	h->e.delivery = DELIVER_IOV;
	h->fixed_copy = false;
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400ff8, 16, 16, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(h->chain_copied, 16); /* 8 before the RETRY, 8 after: a copy operation */
	echo_back(h, data, 16);
	done(h);
	h = retried_send(data, 4);
	h->e.delivery = DELIVER_IOV;
	h->fixed_copy = false;
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400ff8, 16, 32, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x401008, 16, 32, PG_OP_ECHO, 0), PG_DB_OK);
	assert_int_equal(h->chain_copied, 0); /* iov: the device reads the guest's pages */
	echo_back(h, data, 32);
	done(h);
}

/* Hole 4: a list page that maps onto the boot area is refused like a data page there. */
static void test_list_page_in_boot_area(void **state)
{
	struct hostile *h = scripted(1 << 20);

	(void)state;
	map(h, 0x400000, 0x80000, PAGE_SHIFT_4K);
	assert_int_equal(ring(h, EXTENDED_ID, PG_DB_SEND, 0x400000, 4096, 4096, PG_OP_SINK, extended_extra(1, 0)),
			 PG_DB_EFAULT);
	done(h);
}

/* Hole 5: a 16-byte request for 1 GiB of pattern costs the host nothing at EXECUTE; each
 * RECEIVE has the device produce exactly its own bytes (copy and iov delivery). */
static void test_amplification(void **state)
{
	(void)state;
	for (int d = DELIVER_COPY; d <= DELIVER_IOV; d++) {
		struct hostile *h = scripted(1ull << 30);
		uint64_t req[2] = { 1ull << 30, 9 };
		static uint8_t want[4096];

		h->e.delivery = (enum delivery)d;
		h->fixed_copy = d == DELIVER_COPY;
		map(h, 0x400000, DATA_GPA, PAGE_SHIFT_4K);
		hv_write(h, DATA_GPA, req, sizeof(req));
		assert_int_equal(ring(h, BASIC_ID, PG_DB_SEND, 0x400000, 16, 16, PG_OP_PATTERN, 0), PG_DB_OK);
		assert_int_equal(ring(h, BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_PATTERN, 0), PG_DB_OK);
		assert_int_equal(h->run->s.regs.regs.r8, 1ull << 30);
		assert_int_equal(h->e.doorbell_produced, 0);
		assert_int_equal(ring(h, BASIC_ID, PG_DB_RECEIVE, 0x400000, 4096, 1ull << 30, PG_OP_PATTERN, 0), PG_DB_OK);
		assert_int_equal(h->e.doorbell_produced, 4096);
		assert_int_equal(h->e.peak_produced, 4096);
		pg_pattern_fill(want, 0, sizeof(want), 9);
		assert_memory_equal(h->vm.mem.hva + DATA_GPA, want, sizeof(want));
		done(h);
	}
}

static uint64_t env_or(const char *name, uint64_t fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : fallback;
}

/* The random driver: sequences of 300 actions on fresh engines, bounded by time and steps. */
static void test_random_sequences(void **state)
{
	static const uint64_t limits[] = { 1ull << 20, 16ull << 20, 64ull << 20, 1ull << 30 };
	uint64_t seed = env_or("HOSTILE_SEED", 12), rng = seed, seconds = env_or("HOSTILE_RANDOM_SECONDS", 30);
	uint64_t max_steps = env_or("HOSTILE_RANDOM_STEPS", 5000000), steps = 0, doorbells = 0, seqs = 0;
	uint64_t statuses[PG_DB_EHANDLER + 1] = { 0 };
	time_t end = time(NULL) + (time_t)seconds;
	struct hostile *h = calloc(1, sizeof(*h));

	(void)state;
	h->next = splitmix;
	h->src = &rng;
	while (steps < max_steps && time(NULL) < end) {
		hv_init(h, limits[seqs % 4], module);
		for (int i = 0; i < 300; i++)
			hv_step(h);
		steps += 300;
		doorbells += h->doorbells;
		for (int s = 0; s <= PG_DB_EHANDLER; s++)
			statuses[s] += h->statuses[s];
		hv_fini(h);
		seqs++;
	}
	free(h);
	printf("hostile random: seed %llu, %llu sequences, %llu steps, %llu doorbells; statuses:",
	       (unsigned long long)seed, (unsigned long long)seqs, (unsigned long long)steps,
	       (unsigned long long)doorbells);
	for (int s = 0; s <= PG_DB_EHANDLER; s++)
		printf(" %s %llu", db_status_name(s), (unsigned long long)statuses[s]);
	printf("\n");
	for (int s = 0; s <= PG_DB_EHANDLER; s++)
		if (!statuses[s])
			fail_msg("status %s never came up: the driver no longer reaches that part of the engine",
				 db_status_name(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_ids_above_2_32),
		cmocka_unit_test(test_top_of_address_space),
		cmocka_unit_test(test_retry_then_another_doorbell),
		cmocka_unit_test(test_retry_then_other_delivery),
		cmocka_unit_test(test_list_page_in_boot_area),
		cmocka_unit_test(test_amplification),
		cmocka_unit_test(test_random_sequences),
	};
	const char *build = getenv("PAGEGATE_BUILD");

	snprintf(module, sizeof(module), "%s/devices/skeleton.so", build && *build ? build : "build");
	return cmocka_run_group_tests_name("hostile_random", tests, NULL, NULL);
}
