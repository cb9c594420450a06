/*
 * libFuzzer target: the ring transport's chain reader (transports/ring/chain.c) on a
 * fuzzed image of guest RAM holding the descriptor table, the page tables and the
 * buffers, unclamped: the head is any 64-bit value, CR3, the area's pages, the addressing
 * mode, the registered buffers' (gva, bytes) and max_bytes come from the input as they
 * are.  Oracles beyond ASan: an OK request has its header, a status of exactly
 * sizeof(struct ring_status) and at most max_bytes each way, and every segment lies in
 * guest RAM outside the boot area; an error never leaves a status segment of another size.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../devices/registry.h"
#include "../transports/doorbell_abi.h"
#include "../transports/ring/chain.h"

#define PARAMS 96

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static void check_segs(const struct guest_mem *m, const struct ring_segs *s, uint64_t max_bytes)
{
	uint64_t sum = 0;

	assert(s->n <= s->cap && s->bytes <= max_bytes);
	for (uint32_t i = 0; i < s->n; i++) {
		const uint8_t *b = s->v[i].iov_base;

		assert(b >= m->hva + m->boot_end && s->v[i].iov_len <= (uint64_t)(m->hva + m->size - b));
		sum += s->v[i].iov_len;
	}
	assert(sum == s->bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ring_request req;
	static bool ready;
	struct guest_mem m;
	struct ring_mem rm;
	struct ring_space sp;
	uint64_t pages, max_bytes;
	char err[256];
	int status;

	if (size < PARAMS + 2 * 4096)
		return 0;
	if (!ready) {
		assert(devices_add_builtins(err, sizeof(err)) == 0);
		assert(ring_request_alloc(&req, RING_QUEUE_MAX, 1 << 20) == 0);
		ready = true;
	}
	pages = (size - PARAMS) >> 12;
	m = (struct guest_mem){ malloc(pages << 12), pages << 12, 40, data[0] & 1 ? 4096 : 0 };
	memcpy(m.hva, data + PARAMS, pages << 12);
	rm.q = 1u << (data[1] % 10 + 1); /* set-up admits powers of two 2..1024 only */
	for (int i = 0; i < RING_AREA_MAX_PAGES; i++)
		rm.page[i] = m.hva + ((data[2 + i] % pages) << 12);
	sp = (struct ring_space){ .mem = &m, .cr3 = word(data + 16), .addressing = data[10] & 1 };
	max_bytes = word(data + 24) % ((1 << 20) + 1);
	for (int b = 0; b < 2; b++)
		ring_register(&sp, word(data + 32 + 16 * b), word(data + 40 + 16 * b), data[11] >> b & 1, 1 << 20,
			      &sp.buf[b]);
	status = ring_read_chain(&sp, &rm, word(data + 64), max_bytes, &req);
	if (status == PG_DB_OK) {
		check_segs(&m, &req.in, max_bytes);
		check_segs(&m, &req.out, max_bytes);
	}
	if (req.status.n) {
		check_segs(&m, &req.status, sizeof(struct ring_status));
		assert(req.status.bytes == sizeof(struct ring_status));
	}
	for (int b = 0; b < 2; b++)
		free(sp.buf[b].page);
	free(m.hva);
	return 0;
}
