/*
 * libFuzzer target: the doorbell engine as a hostile guest drives it, through the
 * structure-aware driver of fuzz/hostile_vm.c.  The input is the stream of choices: its
 * first byte picks max_op_bytes (1 MiB .. 1 GiB), the rest one action after another —
 * page-table and memory changes between doorbells, doorbells with full 64-bit registers
 * on every transport with both deliveries and both translation methods, RETRYs rung
 * again or abandoned — until the input is used up.  The driver's oracles (known status,
 * unknown op ids refused, exact byte counts, no canary from fresh host memory in guest
 * RAM, bounded device work per doorbell) and ASan + UBSan are the checks.
 */
#include <stdint.h>
#include <string.h>
#include "hostile_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
	const uint8_t *p;
	size_t left;
	struct hostile *h;
};

static uint64_t from_input(void *src)
{
	struct cursor *c = src;
	uint64_t v = 0;
	size_t n = c->left < 8 ? c->left : 8;

	memcpy(&v, c->p, n);
	c->p += n;
	c->left -= n;
	c->h->done = c->left == 0;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t limits[] = { 1ull << 20, 16ull << 20, 64ull << 20, 1ull << 30 };
	static struct hostile h;
	struct cursor c = { data + 1, size ? size - 1 : 0, &h };

	if (size < 2)
		return 0;
	h.next = from_input;
	h.src = &c;
	hv_init(&h, limits[data[0] % 4], "build/devices/skeleton.so");
	while (!h.done)
		hv_step(&h);
	hv_fini(&h);
	return 0;
}
