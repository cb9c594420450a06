/*
 * The hostile-guest driver (see hostile_vm.h): the fake VM, the actions a guest can take
 * between doorbells, and the oracles every doorbell is checked against.  Choices favour
 * the edges — addresses at 0, at the top of the lower half, at the top of the address
 * space, non-canonical; sizes around 4 KiB, 2 MiB, 4 MiB, 64 MiB and 2^64; op ids 0..3,
 * 63, 64 and above 2^32 — and sometimes take a full random 64-bit value.  A failed
 * oracle prints what broke and aborts (a finding for the fuzzer, a failure for the test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../devices/registry.h"
#include "../transports/extended/extended.h"
#include "../vmm-min/ptwalk.h"
#include "../vmm-min/x86.h"
#include "hostile_vm.h"

#define RUN_BYTES 8192

/* The driver's own view of a table: a forged entry may name any address, so one outside
 * RAM reads (and takes writes into) a scratch page. */
static void *hv_phys(struct pt_ctx *ctx, uint64_t pa)
{
	static uint64_t scratch[PT_ENTRIES];
	struct hostile *h = ctx->opaque;

	return pa <= HV_RAM - PAGE_SIZE_4K ? (void *)(h->vm.mem.hva + pa) : (void *)scratch;
}

static uint64_t hv_table(struct pt_ctx *ctx)
{
	struct hostile *h = ctx->opaque;

	if (h->next_table + PAGE_SIZE_4K > HV_TABLES_END)
		return 0;
	memset(h->vm.mem.hva + h->next_table, 0, PAGE_SIZE_4K);
	h->next_table += PAGE_SIZE_4K;
	return h->next_table - PAGE_SIZE_4K;
}

static void load_module_once(const char *module)
{
	static bool tried;
	char spec[512], err[512];

	if (tried || !module)
		return;
	tried = true;
	snprintf(spec, sizeof(spec), "skeleton=%s,op=63", module);
	if (devices_load(spec, err, sizeof(err)))
		fprintf(stderr, "hostile: %s (op 63 stays unserved)\n", err);
}

void hv_init(struct hostile *h, uint64_t max_op_bytes, const char *module)
{
	uint8_t *ram = calloc(1, HV_RAM);

	uint64_t (*next)(void *src) = h->next;
	void *src = h->src;

	load_module_once(module);
	*h = (struct hostile){ .next = next, .src = src, .run = calloc(1, RUN_BYTES) };
	h->vm = (struct vm){ .fd = -1, .mem = { ram, HV_RAM, 40, PG_GUEST_LOAD_MIN }, .quiet = true };
	h->v = (struct vcpu){ .vm = &h->vm, .fd = -1, .run = h->run, .run_size = RUN_BYTES };
	h->vm.vcpus[0] = &h->v;
	h->vm.nr_vcpus = 1;
	h->ctx = (struct pt_ctx){ hv_phys, hv_table, h };
	h->next_table = PG_GUEST_LOAD_MIN;
	h->cr3 = hv_table(&h->ctx);
	engine_init(&h->e, &h->vm);
	h->e.max_op_bytes = max_op_bytes;
	h->e.fresh_byte = HV_CANARY;
	h->e.quiet = true;
	h->e.method = XLATE_WALK;
	h->fixed_copy = true;
	h->last_status = -1;
}

void hv_fini(struct hostile *h)
{
	engine_fini(&h->e);
	free(h->vm.mem.hva);
	free(h->run);
}

static void hv_fail(const struct hostile *h, const char *what, const struct doorbell *db, unsigned transport)
{
	fprintf(stderr,
		"hostile: %s after %llu doorbells: transport %u state %llu addr 0x%llx bytes %llu total %llu "
		"op %llu extra 0x%llx -> status %llu moved %llu total %llu\n",
		what, (unsigned long long)h->doorbells, transport, (unsigned long long)db->state,
		(unsigned long long)db->addr, (unsigned long long)db->bytes, (unsigned long long)db->total,
		(unsigned long long)db->op, (unsigned long long)db->extra, (unsigned long long)h->run->s.regs.regs.rax,
		(unsigned long long)h->run->s.regs.regs.rsi, (unsigned long long)h->run->s.regs.regs.r8);
	abort();
}

static uint64_t u64(struct hostile *h)
{
	return h->done ? 0 : h->next(h->src);
}

static unsigned below(struct hostile *h, unsigned n)
{
	return (unsigned)(u64(h) % n);
}

#define PICK(h, arr) ((arr)[below((h), sizeof(arr) / sizeof((arr)[0]))])

/* A guest-virtual address: mostly one recently mapped, else near an edge, else anything. */
static uint64_t pick_va(struct hostile *h)
{
	static const uint64_t edges[] = { 0, 0x400000, 0x7fffffe00000ull, 0xffff800000000000ull,
					  0xffffffffffe00000ull, 0xfffffffffffff000ull, 0x0000800000000000ull };
	uint64_t jitter = u64(h) % 0x3000;

	switch (below(h, 8)) {
	case 0: return u64(h);
	case 1: case 2: return PICK(h, edges) + jitter;
	default: return h->nva ? h->va[below(h, h->nva)] + (u64(h) % 3 ? 0 : jitter) : PICK(h, edges);
	}
}

/* A guest-physical address: RAM, its last page or region, the boot area, past RAM. */
static uint64_t pick_gpa(struct hostile *h)
{
	static const uint64_t edges[] = { HV_RAM - PAGE_SIZE_4K, HV_RAM - PAGE_SIZE_2M, 0x80000, HV_RAM,
					  PG_GUEST_LOAD_MIN, HV_TABLES_END, 4ull << 20 };

	return below(h, 3) ? PICK(h, edges) : HV_TABLES_END + u64(h) % (HV_RAM - HV_TABLES_END);
}

static uint64_t pick_size(struct hostile *h)
{
	static const uint64_t sizes[] = { 0, 1, 8, 16, 4095, 4096, 4097, 8192, (2 << 20) - 1, 2 << 20, 4 << 20,
					  (4 << 20) + 1, 64 << 20, (64 << 20) + 1, 1ull << 30, ~0ull, 1ull << 63 };

	switch (below(h, 4)) {
	case 0: return u64(h);
	case 1: return u64(h) % 20000;
	default: return PICK(h, sizes);
	}
}

static uint64_t pick_op(struct hostile *h)
{
	static const uint64_t served[] = { PG_OP_NULL, PG_OP_SINK, PG_OP_ECHO, PG_OP_PATTERN, 63 };
	static const uint64_t unserved[] = { 64, (1ull << 32) + 1, (1ull << 32) + 2, (1ull << 32) + 3, ~0ull };

	switch (below(h, 8)) {
	case 0: return u64(h);
	case 1: return PICK(h, unserved);
	default: return PICK(h, served);
	}
}

static void remember_va(struct hostile *h, uint64_t va)
{
	h->va[h->nva < HV_MAX_VAS ? h->nva++ : below(h, HV_MAX_VAS)] = va;
}

static void act_map(struct hostile *h)
{
	static const uint64_t flags[] = { PTE_W | PTE_U, PTE_W | PTE_U, PTE_U, PTE_W, PTE_W | PTE_U | PTE_NX };
	unsigned shift = below(h, 4) ? PAGE_SHIFT_4K : PAGE_SHIFT_2M;
	uint64_t mask = (1ull << shift) - 1, va = pick_va(h) & ~mask;

	if (pt_map(&h->ctx, h->cr3, va, pick_gpa(h) & ~mask, shift, PICK(h, flags)) == 0)
		remember_va(h, va);
}

/* Clear the leaf that maps va (4 KiB, else 2 MiB). */
static void unmap(struct hostile *h, uint64_t va)
{
	uint64_t *pt = pt_table(&h->ctx, h->cr3, va, 1, PTE_W | PTE_U), *pd;

	if (pt)
		pt[PT_INDEX(va, 1)] = 0;
	else if ((pd = pt_table(&h->ctx, h->cr3, va, 2, PTE_W | PTE_U)))
		pd[PT_INDEX(va, 2)] = 0;
}

void hv_write(struct hostile *h, uint64_t gpa, const void *src, uint64_t len)
{
	uint8_t *p = h->vm.mem.hva + gpa;

	if (gpa >= HV_RAM)
		return;
	len = len < HV_RAM - gpa ? len : HV_RAM - gpa;
	memmove(p, src, len);
	for (uint64_t i = 0; i < len; i++)
		p[i] = p[i] == HV_CANARY ? HV_CANARY - 1 : p[i];
}

static void write_bytes(struct hostile *h, uint64_t gpa, uint64_t len)
{
	static uint8_t data[0x11000];
	uint64_t seed = u64(h);

	len = len < sizeof(data) ? len : sizeof(data);
	pg_pattern_fill(data, 0, len, seed);
	hv_write(h, gpa, data, len);
}

/* The guest-physical page a recently mapped address reaches, if the walk says so. */
static bool mapped_gpa(struct hostile *h, uint64_t *gpa)
{
	struct pt_walk w;

	return h->nva && pt_walk(&h->vm.mem, h->cr3, h->va[below(h, h->nva)], &w) == PTW_OK &&
	       (*gpa = w.gpa & ~(PAGE_SIZE_4K - 1), *gpa + PAGE_SIZE_4K <= HV_RAM);
}

/* A pattern device request (length, seed) at the start or across the end of a page. */
static void act_write_request(struct hostile *h)
{
	uint64_t gpa, req[2] = { pick_size(h), u64(h) };

	if (mapped_gpa(h, &gpa))
		hv_write(h, gpa + (below(h, 2) ? 0 : PAGE_SIZE_4K - 8), req, sizeof(req));
}

/* A list page: page numbers of mapped addresses (and some garbage). */
static void act_write_list(struct hostile *h)
{
	static uint32_t list[EXTENDED_MAX_ENTRIES];
	uint64_t gpa, n = 1 + below(h, EXTENDED_MAX_ENTRIES);

	if (!mapped_gpa(h, &gpa))
		return;
	for (uint64_t i = 0; i < n; i++)
		list[i] = (uint32_t)((below(h, 8) ? (h->nva ? h->va[below(h, h->nva)] : 0) + (i << 12) : u64(h)) >> 12);
	hv_write(h, gpa, list, n * sizeof(list[0]));
}

/* A table entry overwritten with anything: forged tables. */
static void act_forge(struct hostile *h)
{
	uint64_t slot = PG_GUEST_LOAD_MIN + 8 * (u64(h) % ((h->next_table - PG_GUEST_LOAD_MIN) / 8));
	uint64_t entry = below(h, 2) ? pick_gpa(h) | PTE_P | PTE_W | PTE_U | (below(h, 4) ? 0 : PTE_PS) : u64(h);

	hv_write(h, slot, &entry, sizeof(entry));
}

static struct io_handler *port_handler(struct hostile *h, unsigned transport)
{
	for (int i = 0; i < h->vm.nr_io; i++)
		if (h->vm.io[i].base == PG_DB_PORT(transport))
			return &h->vm.io[i];
	abort();
}

static bool same_regs(const struct doorbell *a, const struct doorbell *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The oracles, after every doorbell:
 *  - the status is a known one; an op id no device serves (any 64-bit value) is ENOOP;
 *  - OK on SEND moved exactly the bytes asked; OK on RECEIVE at most the room, at most
 *    the output; with copy delivery the host copied exactly those bytes over the chain of
 *    RETRYs that ended in OK (no byte twice, none skipped);
 *  - no run of 8 canary bytes (fresh host memory) in guest RAM after a RECEIVE;
 *  - bounded work: a doorbell had devices produce at most ENGINE_EXECUTE_OUTPUT_MIN plus
 *    what the guest has sent (EXECUTE) plus its own room (RECEIVE). */
static void hv_check_doorbell(struct hostile *h, unsigned transport, const struct doorbell *db, uint64_t copied)
{
	const struct kvm_regs *r = &h->run->s.regs.regs;
	static const uint8_t canary[8] = { HV_CANARY, HV_CANARY, HV_CANARY, HV_CANARY,
					   HV_CANARY, HV_CANARY, HV_CANARY, HV_CANARY };
	bool chained = h->last_status == PG_DB_RETRY && h->last_transport == transport && same_regs(&h->last, db);
	bool known_op = db->op == PG_OP_NULL || (db->op <= PG_DEVICE_MAX_OP && devices_serve((uint32_t)db->op));

	h->chain_copied = (chained ? h->chain_copied : 0) + copied;
	if (r->rax > PG_DB_EHANDLER)
		hv_fail(h, "unknown status", db, transport);
	if (!known_op && r->rax != PG_DB_ENOOP)
		hv_fail(h, "op id no device serves, not refused", db, transport);
	if (r->rax == PG_DB_OK && known_op && db->op && db->state == PG_DB_SEND && r->rsi != db->bytes)
		hv_fail(h, "SEND answered OK without moving the bytes asked", db, transport);
	if (r->rax == PG_DB_OK && db->state == PG_DB_RECEIVE && (r->rsi > db->bytes || r->rsi > r->r8))
		hv_fail(h, "RECEIVE answered OK moving more than asked", db, transport);
	if (r->rax == PG_DB_OK && h->fixed_copy && known_op && db->op &&
	    (db->state == PG_DB_SEND || db->state == PG_DB_RECEIVE) && h->chain_copied != r->rsi)
		hv_fail(h, "copy delivery: the host copied other than the bytes moved", db, transport);
	if (db->state == PG_DB_RECEIVE && (r->rax == PG_DB_OK || r->rax == PG_DB_RETRY) &&
	    memmem(h->vm.mem.hva, HV_RAM, canary, sizeof(canary)))
		hv_fail(h, "fresh host memory (the canary) reached guest RAM", db, transport);
	if (h->e.doorbell_produced > ENGINE_EXECUTE_OUTPUT_MIN + h->sent + (db->state == PG_DB_RECEIVE ? db->bytes : 0))
		hv_fail(h, "a device produced more than the per-doorbell bound", db, transport);
	if (r->rax == PG_DB_OK && db->state == PG_DB_SEND && known_op && db->op)
		h->sent += r->rsi;
}

void hv_ring(struct hostile *h, unsigned transport, const struct doorbell *db)
{
	struct kvm_regs *r = &h->run->s.regs.regs;
	struct io_handler *port = port_handler(h, transport);
	uint8_t byte = 0;
	struct io_access a = { port->base, 1, 1, true, &byte };
	uint64_t copied = h->e.t.copied;

	*r = (struct kvm_regs){ .rax = db->state, .rdi = db->addr, .rsi = db->bytes, .r8 = db->total,
				.r9 = db->op, .rcx = db->extra, .r10 = db->guest_tsc, .r11 = db->guest_prev_tsc };
	h->run->s.regs.sregs.cr3 = h->cr3;
	if (port->fn(&h->v, &a, port->ctx) != EXIT_CONTINUE)
		hv_fail(h, "the VMM stopped", db, transport);
	h->doorbells++;
	hv_check_doorbell(h, transport, db, h->e.t.copied - copied);
	h->statuses[r->rax <= PG_DB_EHANDLER ? r->rax : 0]++;
	h->last = *db;
	h->last_transport = transport;
	h->last_status = (int)r->rax;
}

static uint64_t pick_extra(struct hostile *h)
{
	static const uint64_t entries[] = { 0, 1, 2, 16, 1023, 1024, 1025, 0xffffffff };
	static const uint64_t offsets[] = { 0, 8, 4095, 4096 };

	return below(h, 5) ? PICK(h, entries) | PICK(h, offsets) << 32 : u64(h);
}

static void act_doorbell(struct hostile *h)
{
	static const uint64_t states[] = { PG_DB_SEND, PG_DB_SEND, PG_DB_EXECUTE, PG_DB_RECEIVE, PG_DB_RECEIVE, 0, 4 };
	unsigned transport = transports[below(h, 3)]->id;
	struct doorbell db = { .state = below(h, 10) ? PICK(h, states) : u64(h), .addr = pick_va(h) };

	db.bytes = pick_size(h);
	db.total = below(h, 2) ? db.bytes : pick_size(h);
	db.op = pick_op(h);
	db.extra = pick_extra(h);
	hv_ring(h, transport, &db);
}

/* Ring the last doorbell again while it answers RETRY (up to 8 times), as the guest
 * library does — each time having mapped the faulting page (the kernel's answer),
 * unmapped it again, or changed nothing. */
static void act_again(struct hostile *h)
{
	for (int i = 0; i < 8 && h->last_status >= 0 && (i == 0 || h->last_status == PG_DB_RETRY); i++) {
		uint64_t cr2 = h->run->s.regs.sregs.cr2 & ~(PAGE_SIZE_4K - 1);

		switch (below(h, 4)) {
		case 0:
			if (pt_map(&h->ctx, h->cr3, cr2, pick_gpa(h) & ~(PAGE_SIZE_4K - 1), PAGE_SHIFT_4K, PTE_W | PTE_U) == 0)
				remember_va(h, cr2);
			break;
		case 1: unmap(h, cr2); break;
		default: break;
		}
		hv_ring(h, h->last_transport, &h->last);
	}
}

void hv_step(struct hostile *h)
{
	switch (below(h, 16)) {
	case 0: case 1: act_map(h); break;
	case 2: if (h->nva) unmap(h, h->va[below(h, h->nva)]); break;
	case 3: write_bytes(h, pick_gpa(h), u64(h) % 0x11000); break;
	case 4: act_write_request(h); break;
	case 5: act_write_list(h); break;
	case 6: act_forge(h); break;
	case 7:
		h->e.delivery = below(h, 2) ? DELIVER_IOV : DELIVER_COPY;
		h->fixed_copy &= h->e.delivery == DELIVER_COPY;
		break;
	case 8: h->e.method = below(h, 8) ? XLATE_WALK : XLATE_KVM; break;
	case 9: case 10: case 11: act_again(h); break;
	default: act_doorbell(h); break;
	}
}
