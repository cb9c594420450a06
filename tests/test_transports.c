/*
 * Every transport moves data byte for byte, on real KVM: sizes 1, 4095, 4096, 4097,
 * 1 MiB, 4 MiB, 4 MiB + 1 and 9 MiB (page-aligned and not), for send, receive and call,
 * both translation methods, cold and warm buffers, 4 KiB and 2 MiB pages, contiguous and
 * scattered frames.  The guest checks every byte (pattern, echo) or compares checksums
 * with the host's sink; the test checks fault counts against the pages that were absent
 * and that the host's stage times add up to no more than the guest's total.  Malformed
 * doorbells get their error status and the VMM keeps serving.  Skipped without KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../harness/session.h"
#include "../transports/basic/basic.h"
#include "../transports/extended/extended.h"
#include "../transports/ptcopy/ptcopy.h"
#include "testlib.h"
#include "x86.h"

static const uint64_t sizes[] = { 1, 4095, 4096, 4097, 1 << 20, 4 << 20, (4 << 20) + 1, 9 << 20 };
static const unsigned transport_ids[] = { BASIC_ID, EXTENDED_ID, PTCOPY_ID };
static const uint32_t kinds[] = { PG_CMD_SEND, PG_CMD_RECV, PG_CMD_CALL };
static bool kvm_usable;

static struct vm_config config(void)
{
	struct vm_config cfg = { .mem_bytes = 512ull << 20, .guest_path = test_guest_path(), .quiet = true };

	cfg.params.buf_page_shift = PAGE_SHIFT_4K;
	cfg.params.seed = 1;
	return cfg;
}

static uint64_t spanned_pages(const struct pg_cmd *c)
{
	uint64_t first = c->offset >> c->page_shift, last = (c->offset + c->bytes - 1) >> c->page_shift;

	return (last - first + 1) * (c->kind == PG_CMD_CALL ? 2 : 1);
}

static void describe(const struct pg_cmd *c, char *out, size_t cap)
{
	static const char *const kind_names[] = { "?", "send", "recv", "call", "raw" };

	snprintf(out, cap, "transport %u %s %llu bytes at offset %llu, %s, %s pages, %s frames, translate %s",
		 c->transport, kind_names[c->kind], (unsigned long long)c->bytes, (unsigned long long)c->offset,
		 c->cold ? "cold" : "warm", c->page_shift == PAGE_SHIFT_4K ? "4 KiB" : "2 MiB",
		 c->frame_policy ? "scattered" : "contiguous", c->translate ? "walk" : "kvm");
}

static size_t build_matrix(struct pg_cmd *cmds, unsigned shift, unsigned policy)
{
	size_t n = 0;

	for (size_t t = 0; t < 3; t++)
		for (unsigned xl = 0; xl < (transport_ids[t] == PTCOPY_ID ? 1u : 2u); xl++)
			for (size_t k = 0; k < 3; k++)
				for (unsigned cold = 0; cold < 2; cold++)
					for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
						cmds[n++] = (struct pg_cmd){
							.kind = kinds[k], .transport = transport_ids[t],
							.bytes = sizes[s], .offset = s % 2 ? 0 : 0x7b,
							.cold = cold, .page_shift = shift, .frame_policy = policy,
							.translate = xl, .frame_seed = 3 + s, .data_seed = n,
						};
	return n;
}

static void check_result(const struct transfer_result *r)
{
	const struct pg_cmd *c = &r->cmd;
	uint64_t expect_faults = c->cold ? spanned_pages(c) : 0;
	const struct stage_times *t = &r->t;
	uint64_t stages = t->exit + t->translate + t->fault + t->copy + t->handler + t->entry;
	char what[256];

	describe(c, what, sizeof(what));
	if (!r->done)
		fail_msg("%s: no result", what);
	if (r->guest.status != PG_DB_OK)
		fail_msg("%s: status %llu (%s), first bad byte %lld", what, (unsigned long long)r->guest.status,
			 r->guest.status == PG_RESULT_MISMATCH ? "data mismatch" : db_status_name((int)r->guest.status),
			 (long long)r->guest.bad_offset);
	if (c->kind == PG_CMD_SEND && r->host_checksum != r->guest.checksum)
		fail_msg("%s: host checksum %llx != guest %llx", what, (unsigned long long)r->host_checksum,
			 (unsigned long long)r->guest.checksum);
	if (r->guest.faults != expect_faults || t->faults != expect_faults)
		fail_msg("%s: %llu guest faults, %llu injected, %llu pages were absent", what,
			 (unsigned long long)r->guest.faults, (unsigned long long)t->faults,
			 (unsigned long long)expect_faults);
	if (stages > r->guest.guest_ticks)
		fail_msg("%s: stages sum to %llu ticks, more than the guest's total %llu", what,
			 (unsigned long long)stages, (unsigned long long)r->guest.guest_ticks);
}

static void run_matrix(unsigned shift, unsigned policy)
{
	struct pg_cmd *cmds = calloc(512, sizeof(*cmds));
	struct transfer_result *res = calloc(512, sizeof(*res));
	struct vm_config cfg = config();
	size_t n = build_matrix(cmds, shift, policy);
	char why[1200];

	if (!kvm_usable)
		skip();
	if (session_run(&cfg, NULL, cmds, n, res, why, sizeof(why), NULL, NULL) != VM_DONE)
		fail_msg("session: %s", why);
	for (size_t i = 0; i < n; i++)
		check_result(&res[i]);
	free(cmds);
	free(res);
}

static void test_4k_contiguous(void **state)
{
	(void)state;
	run_matrix(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS);
}

static void test_4k_scattered(void **state)
{
	(void)state;
	run_matrix(PAGE_SHIFT_4K, PG_FRAMES_SCATTERED);
}

static void test_2m_contiguous(void **state)
{
	(void)state;
	run_matrix(PAGE_SHIFT_2M, PG_FRAMES_CONTIGUOUS);
}

static void test_2m_scattered(void **state)
{
	(void)state;
	run_matrix(PAGE_SHIFT_2M, PG_FRAMES_SCATTERED);
}

static struct pg_cmd raw(unsigned transport, uint64_t state, uint64_t addr, uint64_t bytes, uint64_t total,
			 uint64_t op, uint64_t extra, uint32_t fill, uint32_t step, uint32_t translate)
{
	return (struct pg_cmd){ .kind = PG_CMD_RAW, .transport = transport, .translate = translate,
				.raw = { state, addr, bytes, total, op, extra, fill, step } };
}

static void test_malformed_requests_rejected(void **state)
{
	const uint32_t buf_page = (uint32_t)(PG_BUF_VA >> 12), kernel_page = 0x100;
	const struct {
		struct pg_cmd cmd;
		uint64_t expect;
	} cases[] = {
		/* list count > 1024, and 0 */
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 4096, 4096, PG_OP_SINK, extended_extra(1025, 0), buf_page, 1, 0), PG_DB_EINVAL },
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 4096, 4096, PG_OP_SINK, extended_extra(0, 0), buf_page, 1, 0), PG_DB_EINVAL },
		/* list shorter than the bytes it claims */
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 8192, 8192, PG_OP_SINK, extended_extra(1, 0), buf_page, 1, 0), PG_DB_EINVAL },
		/* page numbers outside the guest's mappings: faults never served, the host gives up */
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 4096, 4096, PG_OP_SINK, extended_extra(1, 0), 0x7ffff, 0, 1), PG_DB_EAGAIN },
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 4096, 4096, PG_OP_SINK, extended_extra(1, 0), 0x7ffff, 0, 0), PG_DB_EAGAIN },
		/* a supervisor (kernel) page, with the walk that can see the U bit */
		{ raw(EXTENDED_ID, PG_DB_SEND, 0, 4096, 4096, PG_OP_SINK, extended_extra(1, 0), kernel_page, 0, 1), PG_DB_EFAULT },
		{ raw(PTCOPY_ID, PG_DB_SEND, 0x100000, 4096, 4096, PG_OP_SINK, 0, 0, 0, 0), PG_DB_EFAULT },
		/* a non-canonical range */
		{ raw(PTCOPY_ID, PG_DB_SEND, 0x0000800000000000ull, 4096, 4096, PG_OP_SINK, 0, 0, 0, 0), PG_DB_EFAULT },
		/* unknown op and state */
		{ raw(BASIC_ID, PG_DB_SEND, 0, 16, 16, 99, 0, 0, 0, 0), PG_DB_ENOOP },
		{ raw(BASIC_ID, 7, 0, 16, 16, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_EINVAL },
		/* more than a piece, more than the total, a total past the limit */
		{ raw(BASIC_ID, PG_DB_SEND, 0, 4097, 8192, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_EINVAL },
		{ raw(BASIC_ID, PG_DB_SEND, 0, 64, 32, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_EINVAL },
		{ raw(BASIC_ID, PG_DB_SEND, 0, 64, ~0ull, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_ENOMEM },
		/* wrong state order: RECEIVE before EXECUTE, EXECUTE with input missing */
		{ raw(BASIC_ID, PG_DB_RECEIVE, 0, 64, 64, PG_OP_PATTERN, 0, 0, 0, 0), PG_DB_ESTATE },
		{ raw(BASIC_ID, PG_DB_SEND, 0, 64, 128, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_OK },
		{ raw(BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_ECHO, 0, 0, 0, 0), PG_DB_ESTATE },
		/* a pattern request that is not 16 bytes: the handler refuses */
		{ raw(BASIC_ID, PG_DB_SEND, 0, 8, 8, PG_OP_PATTERN, 0, 0, 0, 0), PG_DB_OK },
		{ raw(BASIC_ID, PG_DB_EXECUTE, 0, 0, 0, PG_OP_PATTERN, 0, 0, 0, 0), PG_DB_EHANDLER },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct pg_cmd cmds[N + 2];
	struct transfer_result res[N + 2];
	struct vm_config cfg = config();
	char why[1200], what[256];

	(void)state;
	if (!kvm_usable)
		skip();
	for (int i = 0; i < N; i++)
		cmds[i] = cases[i].cmd;
	/* afterwards, normal transfers still succeed byte for byte */
	cmds[N] = (struct pg_cmd){ .kind = PG_CMD_CALL, .transport = EXTENDED_ID, .bytes = 100000, .offset = 5,
				   .page_shift = PAGE_SHIFT_4K, .frame_policy = 1, .data_seed = 9 };
	cmds[N + 1] = cmds[N];
	cmds[N + 1].transport = BASIC_ID;
	cmds[N + 1].kind = PG_CMD_SEND;
	if (session_run(&cfg, NULL, cmds, N + 2, res, why, sizeof(why), NULL, NULL) != VM_DONE)
		fail_msg("session: %s", why);
	for (int i = 0; i < N; i++)
		if (!res[i].done || res[i].guest.status != cases[i].expect)
			fail_msg("case %d: status %s, expected %s", i, db_status_name((int)res[i].guest.status),
				 db_status_name((int)cases[i].expect));
	for (int i = N; i < N + 2; i++) {
		describe(&cmds[i], what, sizeof(what));
		check_result(&res[i]);
	}
}

static void test_timing_can_be_switched_off(void **state)
{
	struct pg_cmd cmd = { .kind = PG_CMD_SEND, .transport = EXTENDED_ID, .bytes = 1 << 20,
			      .page_shift = PAGE_SHIFT_4K, .data_seed = 4 };
	struct session_options opt = { .timing = false };
	struct transfer_result res;
	struct vm_config cfg = config();
	char why[1200];

	(void)state;
	if (!kvm_usable)
		skip();
	if (session_run(&cfg, &opt, &cmd, 1, &res, why, sizeof(why), NULL, NULL) != VM_DONE)
		fail_msg("session: %s", why);
	check_result(&res);
	assert_int_equal(res.t.exit + res.t.translate + res.t.copy + res.t.entry, 0);
	assert_int_equal(res.t.doorbells, 1);
	assert_int_equal(res.t.pages, 256);
}

static int probe_kvm(void **state)
{
	(void)state;
	kvm_usable = test_kvm_usable("test_transports");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_requests_rejected),
		cmocka_unit_test(test_timing_can_be_switched_off),
		cmocka_unit_test(test_4k_contiguous),
		cmocka_unit_test(test_4k_scattered),
		cmocka_unit_test(test_2m_contiguous),
		cmocka_unit_test(test_2m_scattered),
	};
	return cmocka_run_group_tests_name("transports", tests, probe_kvm, NULL);
}
