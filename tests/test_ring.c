/*
 * The ring transport's chain reader (transports/ring/chain.c) on a memory image with page
 * tables built by the guest kernel's own paging.c, no KVM: a well-formed request resolves
 * to exactly the guest's bytes (scattered frames, an unaligned buffer crossing pages and
 * 2 MiB regions, both addressing modes) and counts the pages it walked, and every
 * malformed one gets its status — descriptor index >= Q, a loop, a chain longer than Q,
 * header or status of the wrong size or direction, readable after writable, unknown
 * flags, an op no device serves, an absent page, a page in the boot area, a supervisor
 * page, a read-only page written, a range past 2^64, a registered index or range outside
 * its buffer, more than max_bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../devices/registry.h"
#include "../guest-bench/kernel/paging.h"
#include "../transports/doorbell_abi.h"
#include "../transports/ring/chain.h"
#include "ptwalk.h"
#include "x86.h"

#define RAM (64ull << 20)
#define BOOT_END (1ull << 20)
#define TABLES_END (8ull << 20) /* tables in [1 MiB, 8 MiB), pages above */
#define Q 16
#define IN_VA 0x400000000ull   /* 16 scattered pages, the buffer crosses a 2 MiB line */
#define OUT_VA 0x4001ff000ull
#define HDR_VA 0x500000000ull
#define RO_VA 0x600000000ull   /* read-only user page */
#define SUP_VA 0x700000000ull  /* supervisor page */
#define BOOT_VA 0x800000000ull /* a user page in the boot area */

struct image {
	struct pt_ctx ctx;
	struct guest_mem mem;
	uint64_t next_table, root, next_frame;
	struct ring_mem rm;
	struct ring_space sp;
	struct ring_request req;
};

static void *image_ptr(struct pt_ctx *ctx, uint64_t pa)
{
	struct image *img = ctx->opaque;

	return img->mem.hva + pa;
}

static uint64_t image_table(struct pt_ctx *ctx)
{
	struct image *img = ctx->opaque;

	img->next_table += 4096;
	return img->next_table - 4096;
}

/* Map n pages from va to frames taken in a scattered order (every third, backwards). */
static void map(struct image *img, uint64_t va, uint64_t n, uint64_t flags)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = img->next_frame - 3 * 4096 * i;

		assert_int_equal(pt_map(&img->ctx, img->root, va + i * 4096, pa, PAGE_SHIFT_4K, flags), 0);
	}
	img->next_frame -= 3 * 4096 * n + 4096;
}

static uint8_t *at(struct image *img, uint64_t va)
{
	struct pt_walk w;

	assert_int_equal(pt_walk(&img->mem, img->root, va, &w), PTW_OK);
	return img->mem.hva + w.gpa;
}

static int setup(void **state)
{
	struct image *img = calloc(1, sizeof(*img));
	char err[256];

	img->mem = (struct guest_mem){ calloc(1, RAM), RAM, 46, BOOT_END };
	img->ctx = (struct pt_ctx){ image_ptr, image_table, img };
	img->next_table = BOOT_END;
	img->root = image_table(&img->ctx);
	img->next_frame = RAM - 4096;
	map(img, IN_VA, 16, PTE_W | PTE_U);
	map(img, OUT_VA, 16, PTE_W | PTE_U);
	map(img, HDR_VA, 1, PTE_W | PTE_U);
	map(img, RO_VA, 1, PTE_U);
	map(img, SUP_VA, 1, PTE_W);
	assert_int_equal(pt_map(&img->ctx, img->root, BOOT_VA, 0x10000, PAGE_SHIFT_4K, PTE_W | PTE_U), 0);
	img->rm.q = Q;
	img->rm.page[0] = img->mem.hva + TABLES_END; /* the ring area: one page is enough at Q 16 */
	img->sp = (struct ring_space){ .mem = &img->mem, .cr3 = img->root, .addressing = RING_ADDR_GVA };
	assert_int_equal(ring_request_alloc(&img->req, Q, 1 << 20), 0);
	assert_int_equal(devices_add_builtins(err, sizeof(err)), 0);
	*state = img;
	return 0;
}

static int teardown(void **state)
{
	struct image *img = *state;

	ring_request_free(&img->req);
	for (int i = 0; i < RING_MAX_BUFFERS; i++)
		free(img->sp.buf[i].page);
	free(img->mem.hva);
	free(img);
	return 0;
}

static void desc(struct image *img, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct ring_desc d = { addr, len, flags, next };

	memcpy(ring_mem_at(&img->rm, 16ull * i), &d, sizeof(d));
}

/* header at 0, input (in_va, in_len) at 1, output at 2, status at 3 */
static int request(struct image *img, uint32_t op, uint64_t in_va, uint32_t in_len, uint64_t out_va, uint32_t out_len)
{
	struct ring_req hdr = { op, 0, 0 };

	memcpy(at(img, HDR_VA), &hdr, sizeof(hdr));
	desc(img, 0, img->sp.addressing ? RING_BUF_ADDR(2, 0) : HDR_VA, sizeof(hdr), RING_DESC_F_NEXT, 1);
	desc(img, 1, in_va, in_len, RING_DESC_F_NEXT, 2);
	desc(img, 2, out_va, out_len, RING_DESC_F_NEXT | RING_DESC_F_WRITE, 3);
	desc(img, 3, img->sp.addressing ? RING_BUF_ADDR(2, 64) : HDR_VA + 64, sizeof(struct ring_status),
	     RING_DESC_F_WRITE, 0);
	return ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req);
}

/* The segments hold exactly the guest's bytes [va, va + len). */
static void expect_bytes(struct image *img, const struct ring_segs *s, uint64_t va, uint64_t len)
{
	uint64_t done = 0;

	assert_int_equal(s->bytes, len);
	for (uint32_t i = 0; i < s->n; i++)
		for (uint64_t k = 0; k < s->v[i].iov_len; k++, done++)
			assert_ptr_equal((uint8_t *)s->v[i].iov_base + k, at(img, va + done));
	assert_int_equal(done, len);
}

static void test_wellformed_request_resolves_to_the_guest_bytes(void **state)
{
	struct image *img = *state;
	uint64_t in = IN_VA + 4000, out = OUT_VA + 123; /* unaligned, crossing pages and a 2 MiB line */

	assert_int_equal(request(img, PG_OP_ECHO, in, 40000, out, 50000), PG_DB_OK);
	assert_int_equal(img->req.hdr.op, PG_OP_ECHO);
	expect_bytes(img, &img->req.in, in, 40000);
	expect_bytes(img, &img->req.out, out, 50000);
	expect_bytes(img, &img->req.status, HDR_VA + 64, sizeof(struct ring_status));
	assert_true(img->req.in.n > 5); /* scattered frames: several segments */
	/* pages walked: 11 of the input, 13 of the output, the header's and the status's */
	assert_int_equal(img->req.pages_translated, 11 + 13 + 1 + 1);
}

static void test_registered_buffers(void **state)
{
	struct image *img = *state;

	assert_int_equal(ring_register(&img->sp, IN_VA + 5, 60000, false, 1 << 20, &img->sp.buf[0]), PG_DB_OK);
	assert_int_equal(ring_register(&img->sp, OUT_VA, 65536, true, 1 << 20, &img->sp.buf[1]), PG_DB_OK);
	assert_int_equal(ring_register(&img->sp, HDR_VA, 4096, true, 1 << 20, &img->sp.buf[2]), PG_DB_OK);
	assert_int_equal(ring_register(&img->sp, SUP_VA, 4096, false, 1 << 20, &img->sp.buf[3]), PG_DB_EFAULT);
	assert_int_equal(ring_register(&img->sp, RO_VA, 4096, true, 1 << 20, &img->sp.buf[3]), PG_DB_EFAULT);
	assert_int_equal(ring_register(&img->sp, BOOT_VA, 4096, false, 1 << 20, &img->sp.buf[3]), PG_DB_EFAULT);
	assert_int_equal(ring_register(&img->sp, ~0ull - 10, 100, false, 1 << 20, &img->sp.buf[3]), PG_DB_EINVAL);
	assert_int_equal(ring_register(&img->sp, IN_VA, 1ull << 40, false, 1 << 20, &img->sp.buf[3]), PG_DB_ENOMEM);
	img->sp.addressing = RING_ADDR_REGISTERED;
	assert_int_equal(request(img, PG_OP_ECHO, RING_BUF_ADDR(0, 100), 30000, RING_BUF_ADDR(1, 7), 20000), PG_DB_OK);
	expect_bytes(img, &img->req.in, IN_VA + 5 + 100, 30000);
	expect_bytes(img, &img->req.out, OUT_VA + 7, 20000);
	assert_int_equal(img->req.pages_translated, 0); /* translated when registered */
	/* past the buffer's end, an index never registered, a write into a read-only buffer */
	assert_int_equal(request(img, PG_OP_ECHO, RING_BUF_ADDR(0, 59999), 2, RING_BUF_ADDR(1, 0), 8), PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, RING_BUF_ADDR(0, ~0ull >> 16), 2, RING_BUF_ADDR(1, 0), 8),
			 PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, RING_BUF_ADDR(9, 0), 8, RING_BUF_ADDR(1, 0), 8), PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, ~0ull, 8, RING_BUF_ADDR(1, 0), 8), PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, RING_BUF_ADDR(1, 0), 8, RING_BUF_ADDR(0, 0), 8), PG_DB_EFAULT);
	img->sp.addressing = RING_ADDR_GVA;
}

static void test_bad_addresses(void **state)
{
	struct image *img = *state;

	assert_int_equal(request(img, PG_OP_ECHO, 0x900000000ull, 8, OUT_VA, 8), PG_DB_EFAULT);   /* absent */
	assert_int_equal(request(img, PG_OP_ECHO, BOOT_VA, 8, OUT_VA, 8), PG_DB_EFAULT);          /* boot area */
	assert_int_equal(request(img, PG_OP_ECHO, SUP_VA, 8, OUT_VA, 8), PG_DB_EFAULT);           /* supervisor */
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, RO_VA, 8), PG_DB_EFAULT);             /* read-only */
	assert_int_equal(request(img, PG_OP_ECHO, ~0ull - 4, 8, OUT_VA, 8), PG_DB_EINVAL);        /* past 2^64 */
	assert_int_equal(request(img, PG_OP_ECHO, 0x800000000000ull, 8, OUT_VA, 8), PG_DB_EINVAL); /* non-canonical */
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 0xffffffffu), PG_DB_ENOMEM);  /* > max_bytes */
	assert_int_equal(request(img, 4000, IN_VA, 8, OUT_VA, 8), PG_DB_ENOOP);
	assert_int_equal(request(img, 0x80000001u, IN_VA, 8, OUT_VA, 8), PG_DB_ENOOP);
}

static void test_bad_chains(void **state)
{
	struct image *img = *state;

	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 8), PG_DB_OK);
	desc(img, 1, IN_VA, 8, RING_DESC_F_NEXT, Q); /* next index >= Q */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	desc(img, 1, IN_VA, 8, RING_DESC_F_NEXT, 0); /* a loop back to the header */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, Q, 1 << 20, &img->req), PG_DB_EINVAL);
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 1ull << 32, 1 << 20, &img->req), PG_DB_EINVAL);
	for (uint16_t i = 0; i < Q; i++) /* Q readable descriptors in a row, the last without NEXT: too long */
		desc(img, i, IN_VA, 8, i + 1 < Q ? RING_DESC_F_NEXT : RING_DESC_F_WRITE, (uint16_t)(i + 1));
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 8), PG_DB_OK);
	desc(img, 1, IN_VA, 8, RING_DESC_F_NEXT | 0x40, 2); /* unknown flag */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	desc(img, 1, IN_VA, 8, RING_DESC_F_NEXT, 2);
	desc(img, 2, OUT_VA, 8, RING_DESC_F_NEXT, 3); /* output not writable: fine, it is input now */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_OK);
	desc(img, 1, IN_VA, 8, RING_DESC_F_NEXT | RING_DESC_F_WRITE, 2); /* writable before readable */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	desc(img, 0, HDR_VA, 8, RING_DESC_F_NEXT, 1); /* header of the wrong size */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 8), PG_DB_OK);
	desc(img, 3, HDR_VA + 64, sizeof(struct ring_status), 0, 0); /* status not writable */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	desc(img, 3, RO_VA, sizeof(struct ring_status), RING_DESC_F_WRITE, 0); /* status on a read-only page */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EFAULT);
	assert_int_equal(img->req.status.n, 0); /* nowhere to answer */
}

/* Refusals the status can carry: with the status descriptor usable, a malformed header
 * or order is answered in it; lengths are summed over the chain before any address is
 * resolved (two inputs passing 2^32 at an absent address: ENOMEM, not EFAULT). */
static void test_refusals_are_answered(void **state)
{
	struct image *img = *state;

	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 8), PG_DB_OK);
	desc(img, 0, HDR_VA, 8, RING_DESC_F_NEXT, 1); /* header of the wrong size */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	expect_bytes(img, &img->req.status, HDR_VA + 64, sizeof(struct ring_status));
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA, 8), PG_DB_OK);
	desc(img, 1, OUT_VA, 8, RING_DESC_F_NEXT | RING_DESC_F_WRITE, 2); /* writable, then readable */
	desc(img, 2, IN_VA, 8, RING_DESC_F_NEXT, 3);
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_EINVAL);
	expect_bytes(img, &img->req.status, HDR_VA + 64, sizeof(struct ring_status));
	desc(img, 1, 0x900000000ull, 0x80000000u, RING_DESC_F_NEXT, 2);
	desc(img, 2, 0x900000000ull, 0x80000001u, RING_DESC_F_NEXT, 3);
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1 << 20, &img->req), PG_DB_ENOMEM); /* not 1 */
	assert_int_equal(img->req.in.n, 0); /* nothing resolved */
	assert_int_equal(ring_read_chain(&img->sp, &img->rm, 0, 1ull << 33, &img->req), PG_DB_EFAULT);
}

static void test_segs_write_is_bounded(void **state)
{
	struct image *img = *state;
	uint8_t src[100];

	memset(src, 0xab, sizeof(src));
	assert_int_equal(request(img, PG_OP_ECHO, IN_VA, 8, OUT_VA + 4090, 10), PG_DB_OK);
	assert_int_equal(img->req.out.n, 2); /* two pages */
	assert_int_equal(ring_segs_write(&img->req.out, 0, src, sizeof(src)), 10);
	assert_int_equal(ring_segs_write(&img->req.out, 7, src, sizeof(src)), 3);
	assert_int_equal(at(img, OUT_VA + 4099)[0], 0xab);
	assert_int_equal(at(img, OUT_VA + 4100)[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wellformed_request_resolves_to_the_guest_bytes),
		cmocka_unit_test(test_registered_buffers),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_chains),
		cmocka_unit_test(test_refusals_are_answered),
		cmocka_unit_test(test_segs_write_is_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
