/*
 * The hostile guest (PG_MODE_HOSTILE): one attack after another on the VMM through the
 * transports' doorbells — malformed page lists, pages outside the guest's mappings or in
 * the VMM's boot area, forged page tables (entries outside RAM or onto the boot area,
 * reserved bits, a page table in the boot area), a list page in the boot area, ranges at
 * the top of the address space, unknown ids and states (op ids >= 2^32), states out of
 * order, sizes that overflow, a RETRY abandoned for another doorbell, a small request for
 * a huge output, interleaved operations, a doorbell storm, faults that never make progress.
 * Each attack must get its error status (a CHECK to the host); afterwards interleaved and
 * normal transfers must still be byte-exact; the ring transport's attacks follow
 * (hostile_ring.c).  arg[0] is the host's translation method
 * (0 kvm, 1 walk): KVM_TRANSLATE reports no access rights, so two attacks differ by it.
 */
#include "../../transports/basic/basic.h"
#include "../../transports/extended/extended.h"
#include "../../transports/guest_api.h"
#include "../../transports/ptcopy/ptcopy.h"
#include "user.h"

#define PTE_FORGE_FLAGS (PTE_P | PTE_W | PTE_U)

static uint32_t list[EXTENDED_MAX_ENTRIES] __attribute__((aligned(4096)));
static uint8_t small[2][8192] __attribute__((aligned(4096)));
static int failures;

static const struct pg_transport *transport(unsigned id)
{
	return pg_transport_by_id(id);
}

int hostile_check_status(const char *what, int got, int want)
{
	char detail[96];

	pg_snprintf(detail, sizeof(detail), "status %d, expected %d", got, want);
	return pg_check(what, got == want, detail);
}

static void expect(const char *what, int got, int want)
{
	failures += !hostile_check_status(what, got, want);
}

static int ring(unsigned id, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total, uint64_t op, uint64_t extra)
{
	uint64_t moved;

	return pg_ring(transport(id), state, addr, bytes, total, op, extra, &moved);
}

/* SEND one page listed as `page_number` through extended. */
static int send_listed(uint32_t page_number)
{
	list[0] = page_number;
	return ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list, 4096, 4096, PG_OP_SINK, extended_extra(1, 0));
}

static void malformed_lists(void)
{
	list[0] = (uint32_t)((uint64_t)small[0] >> 12);
	expect("extended: 1025 list entries", ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list, 4096, 4096, PG_OP_SINK,
						   extended_extra(1025, 0)), PG_DB_EINVAL);
	expect("extended: 0 list entries", ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list, 4096, 4096, PG_OP_SINK,
						extended_extra(0, 0)), PG_DB_EINVAL);
	expect("extended: list shorter than its bytes", ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list, 8192, 8192,
							     PG_OP_SINK, extended_extra(1, 0)), PG_DB_EINVAL);
	expect("extended: list page not page-aligned", ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list + 8, 4096, 4096,
							     PG_OP_SINK, extended_extra(1, 0)), PG_DB_EINVAL);
	expect("extended: first-page offset of 4096", ring(EXTENDED_ID, PG_DB_SEND, (uint64_t)list, 4096, 8192,
							     PG_OP_SINK, extended_extra(2, 4096)), PG_DB_EINVAL);
}

static void bad_pages(void)
{
	expect("extended: page never mapped (faults without progress)", send_listed(0x7ffff), PG_DB_EAGAIN);
	expect("extended: page past guest RAM (faults without progress)", send_listed(0xfffffff0), PG_DB_EAGAIN);
	expect("extended: page in the VMM's boot area", send_listed(0x80), PG_DB_EFAULT);
	expect("ptcopy: range in the VMM's boot area", ring(PTCOPY_ID, PG_DB_SEND, 0x80000, 4096, 4096, PG_OP_SINK, 0),
	       PG_DB_EFAULT);
	expect("ptcopy: non-canonical range", ring(PTCOPY_ID, PG_DB_SEND, 0x0000800000000000ull, 4096, 4096, PG_OP_SINK, 0),
	       PG_DB_EFAULT);
	expect("ptcopy: range wrapping past 2^64", ring(PTCOPY_ID, PG_DB_SEND, ~0ull - 4095, 8192, 8192, PG_OP_SINK, 0),
	       PG_DB_EINVAL);
	expect("basic: kernel-only page", ring(BASIC_ID, PG_DB_SEND, 0x200000, 64, 64, PG_OP_SINK, 0),
	       user_params.arg[0] ? PG_DB_EFAULT : PG_DB_OK); /* KVM_TRANSLATE cannot see the U bit */
}

/* Forge the first PTEs of the region and let the VMM meet them. */
static void forged_tables(void)
{
	uint32_t first = (uint32_t)(PG_BUF_VA >> 12);
	uint64_t frame;

	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	pg_buf()[0] = 1; /* a real frame, to forge around */
	syscall3(SYS_PTE_POKE, 1, 0, (user_params.ram_bytes + 0x1000) | PTE_FORGE_FLAGS);
	expect("forged PTE: frame past guest RAM (extended)", send_listed(first), PG_DB_EFAULT);
	expect("forged PTE: frame past guest RAM (ptcopy)", ring(PTCOPY_ID, PG_DB_SEND, PG_BUF_VA, 4096, 4096, PG_OP_SINK, 0),
	       PG_DB_EFAULT);
	syscall3(SYS_PTE_POKE, 1, 0, 0x80000 | PTE_FORGE_FLAGS);
	expect("forged PTE: user page onto the VMM's boot area", send_listed(first), PG_DB_EFAULT);
	expect("extended: list page in the VMM's boot area",
	       ring(EXTENDED_ID, PG_DB_SEND, PG_BUF_VA, 4096, 4096, PG_OP_SINK, extended_extra(1, 0)), PG_DB_EFAULT);
	frame = 0x10000000;
	syscall3(SYS_PTE_POKE, 1, 0, frame | (1ull << 51) | PTE_FORGE_FLAGS);
	expect("forged PTE: reserved bit 51 (ptcopy walks itself)",
	       ring(PTCOPY_ID, PG_DB_SEND, PG_BUF_VA, 4096, 4096, PG_OP_SINK, 0), PG_DB_EFAULT);
	/* PD entry 1 names guest-physical page 0, in the boot area, as its page table: the
	 * walker reads no table there */
	syscall3(SYS_PTE_POKE, 2, 1, (uint64_t)0 | PTE_FORGE_FLAGS);
	expect("forged PDE: page table at guest-physical 0, in the boot area",
	       ring(PTCOPY_ID, PG_DB_SEND, PG_BUF_VA + PAGE_SIZE_2M, 4096, 4096, PG_OP_SINK, 0), PG_DB_EFAULT);
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0); /* restore sane tables */
}

static void bad_ids_states_sizes(void)
{
	expect("unknown operation id", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 16, 16, 99, 0), PG_DB_ENOOP);
	expect("unknown state", ring(BASIC_ID, 7, (uint64_t)small[0], 16, 16, PG_OP_ECHO, 0), PG_DB_EINVAL);
	expect("basic: piece over 4 KiB", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 4097, 8192, PG_OP_ECHO, 0),
	       PG_DB_EINVAL);
	expect("piece larger than the total", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 64, 32, PG_OP_ECHO, 0),
	       PG_DB_EINVAL);
	expect("total of 2^64 - 1 bytes", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 64, ~0ull, PG_OP_ECHO, 0),
	       PG_DB_ENOMEM);
	expect("RECEIVE before EXECUTE", ring(BASIC_ID, PG_DB_RECEIVE, (uint64_t)small[0], 64, 64, PG_OP_PATTERN, 0),
	       PG_DB_ESTATE);
	expect("EXECUTE before SEND", ring(BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_ECHO, 0), PG_DB_ESTATE);
	expect("SEND of half the input", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 64, 128, PG_OP_ECHO, 0), PG_DB_OK);
	expect("EXECUTE with input missing", ring(BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_ECHO, 0), PG_DB_ESTATE);
	expect("pattern request of 8 bytes (handler refuses)",
	       ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 8, 8, PG_OP_PATTERN, 0), PG_DB_OK);
	expect("EXECUTE of the bad pattern request", ring(BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_PATTERN, 0),
	       PG_DB_EHANDLER);
}

static void op_ids_above_2_32(void)
{
	static const unsigned ids[] = { BASIC_ID, EXTENDED_ID, PTCOPY_ID };
	int wrong = 0;

	for (uint64_t op = 1ull << 32; op <= (1ull << 32) + PG_OP_PATTERN; op++)
		for (int i = 0; i < 3; i++)
			for (uint64_t state = PG_DB_SEND; state <= PG_DB_RECEIVE; state++)
				wrong += ring(ids[i], state, (uint64_t)small[0], 16, 16, op, extended_extra(1, 0)) !=
					 PG_DB_ENOOP;
	failures += !pg_check("op ids 2^32 + 0..3 (a served id in the low half): refused, every transport and state",
			      wrong == 0, 0);
}

/* pg_call of echo must give back exactly in's n bytes in out. */
static void echo_exact(const char *what, unsigned id, const void *in, void *out, uint64_t n)
{
	uint64_t len;
	int st = pg_call(transport(id), PG_OP_ECHO, in, n, out, n, &len);

	failures += !pg_check(what, st == PG_DB_OK && len == n && !memcmp(in, out, n), 0);
}

#define TOP_GIB 0xffffffffc0000000ull /* aliases the region's first GiB (SYS_TOP_ALIAS) */
#define TOP_PAGE 0xfffffffffffff000ull
#define TOP_REGION 0xffffffffffe00000ull

/* Ranges in the last page and the last 2 MiB below 2^64 move exactly their bytes (to and
 * from), a range past 2^64 is refused; a 2 MiB page at the top while VA 0 is mapped too. */
static void top_of_address_space(void)
{
	static const unsigned ids[] = { BASIC_ID, PTCOPY_ID };
	uint8_t *page = (uint8_t *)(PG_BUF_VA + (TOP_PAGE - TOP_GIB)), *region;
	uint64_t sum, len;

	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	syscall3(SYS_TOP_ALIAS, 1, 0, 0);
	for (int i = 0; i < 2; i++) {
		pg_pattern_fill(page, 0, 4096, 70 + (uint64_t)i);
		echo_exact(i ? "top of the address space: ptcopy echo of its last 16 bytes"
			     : "top of the address space: basic echo of its last 16 bytes",
			   ids[i], (const void *)TOP_PAGE, small[1], 16);
		memset(page + 16, 0x77, 64);
		pg_pattern_fill(small[0], 0, 16, 80 + (uint64_t)i);
		echo_exact(i ? "top of the address space: ptcopy echo into its last page"
			     : "top of the address space: basic echo into its last page",
			   ids[i], small[0], (void *)TOP_PAGE, 16);
		failures += !pg_check("top of the address space: not a byte past the 16 received",
				      page[16] == 0x77 && page[79] == 0x77, 0);
		echo_exact(i ? "top of the address space: ptcopy echo of the page ending at 2^64"
			     : "top of the address space: basic echo of the page ending at 2^64",
			   ids[i], (const void *)TOP_PAGE, small[1], 4096);
		expect("top of the address space: a range past 2^64",
		       ring(ids[i], PG_DB_SEND, TOP_PAGE, 4097, 4097, PG_OP_SINK, 0), PG_DB_EINVAL);
	}
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_2M, PG_FRAMES_CONTIGUOUS, 0) == 0);
	region = (uint8_t *)(PG_BUF_VA + (TOP_REGION - TOP_GIB));
	pg_pattern_fill(region, 0, PAGE_SIZE_2M, 90);
	expect("top of the address space: ptcopy sink of the 2 MiB page ending at 2^64 (VA 0 mapped)",
	       pg_call(transport(PTCOPY_ID), PG_OP_SINK, (const void *)TOP_REGION, PAGE_SIZE_2M, &sum, sizeof(sum), &len),
	       PG_DB_OK);
	failures += !pg_check("top of the address space: its checksum",
			      sum == pg_checksum(PG_CHECKSUM_INIT, region, PAGE_SIZE_2M), 0);
	syscall3(SYS_TOP_ALIAS, 0, 0, 0);
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
}

/* A basic SEND of 16 echo bytes, rung once, from the last 8 bytes of region page `page`
 * and the first 8 of the next, absent one: the host moves 8 and answers RETRY (the kernel
 * maps the next page).  Then the 32 bytes from there hold a pattern. */
static uint8_t *abandoned_retry(uint64_t page)
{
	uint8_t *at = (uint8_t *)PG_BUF_VA + (page + 1) * 4096 - 8;

	pg_pattern_fill(at, 0, 8, 50 + page); /* maps this page only */
	expect("RETRY: 8 bytes moved, the next page absent",
	       pg_ring_once(transport(BASIC_ID), PG_DB_SEND, (uint64_t)at, 16, 16, PG_OP_ECHO, 0), PG_DB_RETRY);
	pg_pattern_fill(at, 0, 32, 50 + page);
	return at;
}

/* After a RETRY the guest rings something else: another total, transport or operation
 * starts from nothing (no byte counts as moved), and the answers are exact. */
static void retry_then_another_doorbell(void)
{
	uint8_t *at;
	uint64_t sum, len;

	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	at = abandoned_retry(0);
	expect("RETRY, then another total: first half", ring(BASIC_ID, PG_DB_SEND, (uint64_t)at, 16, 32, PG_OP_ECHO, 0),
	       PG_DB_OK);
	expect("RETRY, then another total: second half",
	       ring(BASIC_ID, PG_DB_SEND, (uint64_t)at + 16, 16, 32, PG_OP_ECHO, 0), PG_DB_OK);
	expect("RETRY, then another total: execute", pg_execute(transport(BASIC_ID), PG_OP_ECHO, &len), PG_DB_OK);
	expect("RETRY, then another total: receive", pg_receive(transport(BASIC_ID), PG_OP_ECHO, small[1], 32, &len),
	       PG_DB_OK);
	failures += !pg_check("RETRY, then another total: echo exact", len == 32 && !memcmp(small[1], at, 32), 0);
	at = abandoned_retry(2);
	expect("RETRY, then another transport", ring(PTCOPY_ID, PG_DB_SEND, (uint64_t)at, 16, 16, PG_OP_ECHO, 0),
	       PG_DB_OK);
	expect("RETRY, then another transport: execute", pg_execute(transport(PTCOPY_ID), PG_OP_ECHO, &len), PG_DB_OK);
	expect("RETRY, then another transport: receive",
	       pg_receive(transport(PTCOPY_ID), PG_OP_ECHO, small[1], 16, &len), PG_DB_OK);
	failures += !pg_check("RETRY, then another transport: echo exact", len == 16 && !memcmp(small[1], at, 16), 0);
	at = abandoned_retry(4);
	expect("RETRY, then another operation", pg_call(transport(BASIC_ID), PG_OP_SINK, at, 16, &sum, sizeof(sum), &len),
	       PG_DB_OK);
	failures += !pg_check("RETRY, then another operation: checksum exact",
			      sum == pg_checksum(PG_CHECKSUM_INIT, at, 16), 0);
}

/* 16 bytes asking for 1 GiB of pattern: EXECUTE answers OK without producing it (the host
 * test checks how much any doorbell had a device produce), a RECEIVE gets its 4 KiB. */
static void amplification(void)
{
	uint64_t req[2] = { 1ull << 30, 60 }, len;

	expect("amplification: a 16-byte request for 1 GiB of pattern",
	       ring(BASIC_ID, PG_DB_SEND, (uint64_t)req, sizeof(req), sizeof(req), PG_OP_PATTERN, 0), PG_DB_OK);
	expect("amplification: its EXECUTE", pg_execute(transport(BASIC_ID), PG_OP_PATTERN, &len), PG_DB_OK);
	failures += !pg_check("amplification: output announced as 1 GiB", len == 1ull << 30, 0);
	expect("amplification: one 4 KiB RECEIVE",
	       ring(BASIC_ID, PG_DB_RECEIVE, (uint64_t)small[1], 4096, 1ull << 30, PG_OP_PATTERN, 0), PG_DB_OK);
	failures += !pg_check("amplification: its 4 KiB exact", pg_pattern_check(small[1], 0, 4096, 60) == 4096, 0);
}

static void receive_past_output(void)
{
	uint64_t len;

	memset(small[0], 0x5a, 16);
	expect("echo of 16 bytes", pg_call(transport(BASIC_ID), PG_OP_ECHO, small[0], 16, small[1], 16, &len), PG_DB_OK);
	expect("RECEIVE past the output", ring(BASIC_ID, PG_DB_RECEIVE, (uint64_t)small[1], 64, 64, PG_OP_ECHO, 0),
	       PG_DB_ESTATE);
}

/* Two operations' SENDs interleaved, through two transports: both complete intact. */
static void interleaved(void)
{
	uint64_t len, sum;

	pg_pattern_fill(small[0], 0, sizeof(small[0]), 21);
	pg_pattern_fill(small[1], 0, 4096, 22);
	expect("interleaved: echo part 1", ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0], 4096, 8192, PG_OP_ECHO, 0),
	       PG_DB_OK);
	expect("interleaved: whole sink", ring(PTCOPY_ID, PG_DB_SEND, (uint64_t)small[1], 4096, 4096, PG_OP_SINK, 0),
	       PG_DB_OK);
	expect("interleaved: echo part 2",
	       ring(BASIC_ID, PG_DB_SEND, (uint64_t)small[0] + 4096, 4096, 8192, PG_OP_ECHO, 0), PG_DB_OK);
	expect("interleaved: sink executes", pg_execute(transport(PTCOPY_ID), PG_OP_SINK, &len), PG_DB_OK);
	expect("interleaved: sink answers", pg_receive(transport(BASIC_ID), PG_OP_SINK, &sum, sizeof(sum), &len), PG_DB_OK);
	failures += !pg_check("interleaved: sink checksum", sum == pg_checksum(PG_CHECKSUM_INIT, small[1], 4096), 0);
	expect("interleaved: echo executes", pg_execute(transport(EXTENDED_ID), PG_OP_ECHO, &len), PG_DB_OK);
	expect("interleaved: echo answers",
	       pg_receive(transport(EXTENDED_ID), PG_OP_ECHO, (uint8_t *)PG_BUF_VA, 8192, &len), PG_DB_OK);
	failures += !pg_check("interleaved: echo byte-exact",
			      len == 8192 && !memcmp((const void *)PG_BUF_VA, small[0], 8192), 0);
}

static void storm(void)
{
	int wrong = 0;

	for (int i = 0; i < 20000; i++)
		wrong += ring((unsigned)(1 + i % 3), PG_DB_SEND, (uint64_t)small[0], 16, 16, 200 + (uint64_t)i, 0) !=
			 PG_DB_ENOOP;
	failures += !pg_check("doorbell storm: 20000 bad doorbells, each refused", wrong == 0, 0);
}

/* After all that, every transport still moves 1 MiB + 1 byte intact. */
static void still_sound(void)
{
	static const unsigned ids[] = { BASIC_ID, EXTENDED_ID, PTCOPY_ID };
	uint8_t *in = (uint8_t *)PG_BUF_VA, *out = in + (4 << 20);
	uint64_t n = (1 << 20) + 1, len;

	for (int i = 0; i < 3; i++) {
		int st;

		pg_pattern_fill(in, 0, n, 40 + (uint64_t)i);
		memset(out, 0, n);
		st = pg_call(transport(ids[i]), PG_OP_ECHO, in, n, out, n, &len);
		failures += !pg_check(i == 0 ? "afterwards: basic echo byte-exact"
					     : i == 1 ? "afterwards: extended echo byte-exact"
						      : "afterwards: ptcopy echo byte-exact",
				      st == PG_DB_OK && len == n && !memcmp(in, out, n), 0);
	}
}

void hostile_run(void)
{
	malformed_lists();
	bad_pages();
	forged_tables();
	bad_ids_states_sizes();
	op_ids_above_2_32();
	top_of_address_space();
	retry_then_another_doorbell();
	amplification();
	receive_past_output();
	interleaved();
	storm();
	failures += hostile_ring_run();
	still_sound();
	pg_done((uint64_t)failures);
}
