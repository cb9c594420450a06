/*
 * The hostile guest's attacks on the ring transport (part of PG_MODE_HOSTILE, run after
 * the doorbell attacks): set-up and registration doorbells with every register wrong in
 * turn (Q, area, size, mode bits, spin budget, state, index, range), each refused with
 * its status; then requests the I/O thread must refuse through the ring itself —
 * indices >= Q, loops, chains longer than Q, headers and statuses of the wrong size or
 * direction, unknown flags, lengths past 2^32 and max_op_bytes, addresses outside RAM,
 * in the boot area, non-canonical, past 2^64, absent, supervisor or read-only, registered
 * ranges outside their buffer, unknown op ids — each completed with its error in the
 * status, or, when the status itself is unusable, with a used element of length 0 and
 * the guest's sentinel left in place; an available index moved by more than Q; the
 * descriptors and the available ring rewritten while the host serves them; with interrupt
 * completion, halts the host must end — nothing in flight, used_event never reached or
 * garbage — each woken by exactly one interrupt, or (arg[1] = 1: the host holds another
 * halt hook) the set-up refused; a reset with requests in flight; the area unmapped and
 * its frames reused under a running ring.
 * Between the groups the ring must still echo byte-exact, and the one-shot library
 * (guest.c) must work at the end.  The ring
 * is driven by hand through ring_guest.h; the region's page tables are forged with
 * SYS_PTE_POKE for the mapping games.
 */
#include "../../transports/guest_api.h"
#include "../../transports/ring/ring_guest.h"
#include "user.h"

#define HQ 16                         /* the attacked ring's Q: 4 slots of 4 descriptors */
#define SLOTS (HQ / 4)
#define DATA 8192                     /* bytes of each slot's input and output buffer */
#define SENTINEL 0x5e5e5e5eu          /* the guest's status before the host answers */
#define HOSTILE_HEAD (HQ + 3)         /* an available-ring entry naming no descriptor */
#define WAIT_SPINS (1ull << 31)       /* a completion never came: the check fails */
#define WAIT_HALTS 1000               /* the same with interrupt completion */
#define META_BUF (RING_MAX_BUFFERS - 1) /* registered: headers and statuses */
#define IN_BUF 0
#define OUT_BUF 1
#define FORGE (PTE_P | PTE_W | PTE_U)
#define NONCANONICAL 0x0000800000000000ull
#define TOP_PAGE 0xfffffffffffff000ull
#define SUPERVISOR_VA 0x200000ull     /* the guest kernel's, no U bit */
#define SPARE_FRAME 0x10000000ull     /* a frame in RAM the forged entries may name */

/* Region pages (4 KiB, PTE index) of the mapping games. */
enum { PTE_RO = 16, PTE_PAST_RAM = 17, PTE_BOOT = 18, PTE_ABSENT = 19 };

static uint8_t area[3 * 4096] __attribute__((aligned(4096)));
static struct {
	struct ring_req req[SLOTS];
	struct ring_status st[SLOTS];
} meta __attribute__((aligned(4096)));
static uint8_t in[SLOTS][DATA] __attribute__((aligned(4096)));
static uint8_t out[SLOTS][DATA + 64] __attribute__((aligned(4096)));

/* The ring as this file drives it; invariant: avail and used are the guest's copies of
 * the indices it published and reaped; halts counts every halt since the first of the
 * interrupt-completion attacks, whose interrupt count was first_irq. */
static struct {
	struct ring_view v;
	enum ring_addressing addressing;
	enum ring_complete complete;
	uint16_t avail, used;
	uint64_t halts, first_irq;
} hr = { .v = { area, HQ } };

static int failures;

static void expect(const char *what, int got, int want)
{
	failures += !hostile_check_status(what, got, want);
}

static void check(const char *what, int passed, const char *detail)
{
	failures += !pg_check(what, passed, detail);
}

static uint64_t region(uint64_t pte_index)
{
	return PG_BUF_VA + (pte_index << 12);
}

static uint64_t setup_db(uint64_t addr, uint64_t bytes, uint64_t q, uint64_t modes, uint64_t spin_ns)
{
	return ring_doorbell(RING_SETUP, addr, bytes, q, modes, spin_ns);
}

/* A fresh ring in `area`: indices 0, adaptive notification with a short spin budget (so
 * both the poll and the kick paths are crossed), polled completions. */
static int fresh_ring_completing(enum ring_addressing addressing, enum ring_complete complete)
{
	memset(area, 0, sizeof(area));
	hr.addressing = addressing;
	hr.complete = complete;
	hr.avail = hr.used = 0;
	return (int)setup_db((uint64_t)area, ring_area_bytes(HQ), HQ,
			     ring_modes(addressing, RING_NOTIFY_ADAPTIVE, complete), 50000);
}

static int fresh_ring(enum ring_addressing addressing)
{
	return fresh_ring_completing(addressing, RING_COMPLETE_POLL);
}

/* A descriptor address for p, inside registered buffer `index` starting at base. */
static uint64_t addr_of(const void *p, const void *base, uint32_t index)
{
	if (hr.addressing != RING_ADDR_REGISTERED)
		return (uint64_t)p;
	return RING_BUF_ADDR(index, (const uint8_t *)p - (const uint8_t *)base);
}

/* Slot s's well-formed chain at descriptors 4s..4s+3: header, n input bytes, n output
 * bytes, status (set to the sentinel). */
static void good_chain(uint32_t s, uint32_t op, uint64_t n)
{
	uint32_t d = 4 * s;

	meta.req[s] = (struct ring_req){ .op = op };
	meta.st[s] = (struct ring_status){ .status = SENTINEL };
	ring_set_desc(&hr.v, d, addr_of(&meta.req[s], &meta, META_BUF), sizeof(struct ring_req), RING_DESC_F_NEXT,
		      d + 1);
	ring_set_desc(&hr.v, d + 1, addr_of(in[s], in, IN_BUF), n, RING_DESC_F_NEXT, d + 2);
	ring_set_desc(&hr.v, d + 2, addr_of(out[s], out, OUT_BUF), n, RING_DESC_F_NEXT | RING_DESC_F_WRITE, d + 3);
	ring_set_desc(&hr.v, d + 3, addr_of(&meta.st[s], &meta, META_BUF), sizeof(struct ring_status),
		      RING_DESC_F_WRITE, 0);
}

static void publish(uint16_t head)
{
	ring_avail_put(&hr.v, hr.avail, head);
	ring_publish(&hr.v, hr.avail, (uint16_t)(hr.avail + 1));
	hr.avail++;
}

/* The next used element, waited for (bounded: 0 if it never came) by polling, or with
 * interrupt completion by halting. */
static int take(struct ring_used_elem *e)
{
	uint64_t halts_before = hr.halts;

	for (uint64_t spin = 0; spin < WAIT_SPINS && hr.halts - halts_before < WAIT_HALTS; spin++) {
		if (ring_used_take(&hr.v, hr.used, e)) {
			hr.used++;
			return 1;
		}
		if (hr.complete == RING_COMPLETE_INTERRUPT)
			hr.halts += (uint64_t)ring_halt_for_used(&hr.v, hr.used, hr.used);
		else
			__asm__ volatile("pause");
	}
	return 0;
}

/* Publish the chain at descriptor `head` and wait for its completion. */
static int run_chain(uint16_t head, struct ring_used_elem *e)
{
	publish(head);
	return take(e) && e->id == head;
}

/* Slot 0's chain (as the caller left it) is answered with `want` in its status. */
static void answered(const char *what, int want)
{
	struct ring_used_elem e;
	int done = run_chain(0, &e);
	char detail[96];

	pg_snprintf(detail, sizeof(detail), "status %u len %u, expected %d", meta.st[0].status, done ? e.len : ~0u, want);
	check(what, done && e.len == sizeof(struct ring_status) && meta.st[0].status == (uint32_t)want &&
				    meta.st[0].out_len == 0, detail);
}

/* The chain at `head` is completed with length 0, slot 0's sentinel untouched. */
static void unanswered(const char *what, uint16_t head)
{
	struct ring_used_elem e;
	int done;

	meta.st[0].status = SENTINEL;
	done = run_chain(head, &e);

	check(what, done && e.len == 0 && meta.st[0].status == SENTINEL, 0);
}

/* Slot s echoes n pattern bytes exactly, and not a byte more. */
static int echo_exact(uint32_t s, uint64_t n, uint64_t seed)
{
	struct ring_used_elem e;

	pg_pattern_fill(in[s], 0, n, seed);
	memset(out[s], 0x77, sizeof(out[s]));
	good_chain(s, PG_OP_ECHO, n);
	return run_chain((uint16_t)(4 * s), &e) && e.len == n + sizeof(struct ring_status) &&
	       meta.st[s].status == PG_DB_OK && meta.st[s].out_len == n && !memcmp(in[s], out[s], n) &&
	       out[s][n] == 0x77;
}

/* Every slot echoes a few pages exactly. */
static int serves(void)
{
	int ok = 1;

	for (uint32_t s = 0; s < SLOTS; s++)
		ok &= echo_exact(s, 4097 + 1000 * s, 300 + s);
	return ok;
}

static void still_serves(const char *what)
{
	check(what, serves(), 0);
}

/* The region afresh (4 KiB pages), its pages 0 and 1 (a ring area of Q 16) given these
 * entries (0: absent), and the attack pages forged: read-only, past RAM, boot area. */
static void forge_region(uint64_t pte0, uint64_t pte1)
{
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	syscall3(SYS_PTE_POKE, 1, 0, pte0);
	syscall3(SYS_PTE_POKE, 1, 1, pte1);
	syscall3(SYS_PTE_POKE, 1, PTE_RO, SPARE_FRAME | PTE_P | PTE_U);
	syscall3(SYS_PTE_POKE, 1, PTE_PAST_RAM, (user_params.ram_bytes + 0x1000) | FORGE);
	syscall3(SYS_PTE_POKE, 1, PTE_BOOT, 0x80000 | FORGE);
}

/* The forged entries cleared (the kernel clears only what it mapped itself). */
static void unforge_region(void)
{
	syscall3(SYS_PTE_POKE, 1, PTE_RO, 0);
	syscall3(SYS_PTE_POKE, 1, PTE_PAST_RAM, 0);
	syscall3(SYS_PTE_POKE, 1, PTE_BOOT, 0);
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
}

static void setup_registers(void)
{
	uint64_t a = (uint64_t)area, b = ring_area_bytes(HQ), modes = RING_NOTIFY_POLL << 4;

	ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
	expect("ring set-up: Q 3 (not a power of two)", (int)setup_db(a, ring_area_bytes(3), 3, modes, 0),
		       PG_DB_EINVAL);
	expect("ring set-up: Q 0", (int)setup_db(a, ring_area_bytes(0), 0, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: Q 1", (int)setup_db(a, ring_area_bytes(1), 1, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: Q 2048", (int)setup_db(a, ring_area_bytes(2048), 2048, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: Q 2^32 + 256 (full-width register)",
		       (int)setup_db(a, ring_area_bytes(256), (1ull << 32) + 256, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: area not page-aligned", (int)setup_db(a + 8, b, HQ, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: area one page too large", (int)setup_db(a, b + 4096, HQ, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: area size + 2^32", (int)setup_db(a, b + (1ull << 32), HQ, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: area wrapping 2^64", (int)setup_db(TOP_PAGE, b, HQ, modes, 0), PG_DB_EINVAL);
	expect("ring set-up: mode bits above 12", (int)setup_db(a, b, HQ, modes | 1ull << 12, 0), PG_DB_EINVAL);
	expect("ring set-up: completion 2", (int)setup_db(a, b, HQ, modes | 2ull << 8, 0), PG_DB_EINVAL);
	expect("ring set-up: completion 15", (int)setup_db(a, b, HQ, modes | 15ull << 8, 0), PG_DB_EINVAL);
	expect("ring set-up: mode bit 63", (int)setup_db(a, b, HQ, modes | 1ull << 63, 0), PG_DB_EINVAL);
	expect("ring set-up: addressing 2", (int)setup_db(a, b, HQ, modes | 2, 0), PG_DB_EINVAL);
	expect("ring set-up: notification 3", (int)setup_db(a, b, HQ, 3 << 4, 0), PG_DB_EINVAL);
	expect("ring set-up: spin budget over 1 s",
		       (int)setup_db(a, b, HQ, (uint64_t)RING_NOTIFY_ADAPTIVE << 4, 1000000001), PG_DB_EINVAL);
	expect("ring set-up: spin budget 2^63",
		       (int)setup_db(a, b, HQ, (uint64_t)RING_NOTIFY_ADAPTIVE << 4, 1ull << 63), PG_DB_EINVAL);
}

/* The area where the host cannot keep it: absent, read-only, supervisor, in the boot
 * area, half absent. */
static void setup_mappings(void)
{
	uint64_t a = PG_BUF_VA, b = ring_area_bytes(HQ), modes = RING_NOTIFY_POLL << 4;

	forge_region(0, 0);
	expect("ring set-up: area never mapped", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
	forge_region(SPARE_FRAME | PTE_P | PTE_U, (SPARE_FRAME + 4096) | PTE_P | PTE_U);
	expect("ring set-up: area read-only", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
	forge_region(SPARE_FRAME | PTE_P | PTE_W, (SPARE_FRAME + 4096) | PTE_P | PTE_W);
	expect("ring set-up: area supervisor-only", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
	forge_region(0x80000 | FORGE, 0x81000 | FORGE);
	expect("ring set-up: area in the VMM's boot area", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
	forge_region(SPARE_FRAME | FORGE, 0);
	expect("ring set-up: area's second page absent", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
	forge_region(SPARE_FRAME | FORGE, user_params.ram_bytes | FORGE);
	expect("ring set-up: area's second page just past RAM", (int)setup_db(a, b, HQ, modes, 0), PG_DB_EFAULT);
}

static void registrations(void)
{
	uint64_t buf = (uint64_t)in;

	expect("ring register: index 64", (int)ring_doorbell(RING_REGISTER, buf, 4096, 64, 0, 0), PG_DB_EINVAL);
	expect("ring register: index 2^32 + 1", (int)ring_doorbell(RING_REGISTER, buf, 4096, (1ull << 32) + 1, 0, 0),
		       PG_DB_EINVAL);
	expect("ring register: 0 bytes", (int)ring_doorbell(RING_REGISTER, buf, 0, 0, 0, 0), PG_DB_EINVAL);
	expect("ring register: more than 1 GiB",
		       (int)ring_doorbell(RING_REGISTER, PG_BUF_VA, (1ull << 30) + 1, 0, 0, 0), PG_DB_ENOMEM);
	expect("ring register: a range wrapping 2^64", (int)ring_doorbell(RING_REGISTER, TOP_PAGE, 8192, 0, 0, 0),
		       PG_DB_EINVAL);
	expect("ring register: a buffer never mapped",
		       (int)ring_doorbell(RING_REGISTER, region(PTE_ABSENT), 4096, 0, 0, 0), PG_DB_EFAULT);
	expect("ring register: a read-only buffer", (int)ring_doorbell(RING_REGISTER, region(PTE_RO), 4096, 0, 0, 0),
		       PG_DB_EFAULT);
	expect("ring register: a buffer in the VMM's boot area",
		       (int)ring_doorbell(RING_REGISTER, region(PTE_BOOT), 4096, 0, 0, 0), PG_DB_EFAULT);
}

/* Doorbells that only a running ring refuses. */
static void while_running(void)
{
	expect("ring set-up", fresh_ring(RING_ADDR_GVA), PG_DB_OK);
	expect("ring set-up a second time while running", fresh_ring(RING_ADDR_GVA), PG_DB_ESTATE);
	expect("ring register while running", (int)ring_doorbell(RING_REGISTER, (uint64_t)in, 4096, 0, 0, 0),
		       PG_DB_ESTATE);
	expect("ring port: unknown command 99", (int)ring_doorbell(99, 0, 0, 0, 0, 0), PG_DB_EINVAL);
	expect("ring port: RING_SETUP + 2^32 (full-width command)",
		       (int)ring_doorbell((1ull << 32) + RING_SETUP, (uint64_t)area, ring_area_bytes(HQ), HQ, 0, 0),
		       PG_DB_EINVAL);
	still_serves("ring: byte-exact after the set-up attacks");
}

/* Chains the host cannot follow: no status to answer in. */
static void broken_chains(void)
{
	unanswered("ring request: head index Q", HQ);
	unanswered("ring request: head index 65535", 0xffff);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 1)->next = HQ;
	unanswered("ring request: next index Q", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 2)->next = 1;
	unanswered("ring request: a chain loop (input <-> output)", 0);
	good_chain(0, PG_OP_ECHO, 64);
	for (uint32_t i = 0; i < HQ; i++) /* through all Q descriptors and on: longer than Q */
		ring_set_desc(&hr.v, i, (uint64_t)in[0], 64, RING_DESC_F_NEXT, (i + 1) % HQ);
	unanswered("ring request: a chain longer than Q", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 1)->flags = RING_DESC_F_NEXT | 4;
	unanswered("ring request: unknown descriptor flag 4", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 0)->flags = RING_DESC_F_NEXT | 0x8000;
	unanswered("ring request: unknown descriptor flag 0x8000 on the header", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 3)->flags = 0;
	unanswered("ring request: status not writable", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 3)->len = sizeof(struct ring_status) - 1;
	unanswered("ring request: status of the wrong size", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 3)->addr = region(PTE_RO);
	unanswered("ring request: status on a read-only page", 0);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 3)->addr = region(PTE_BOOT);
	unanswered("ring request: status in the VMM's boot area", 0);
}

/* Slot 0's chain with its input buffer at addr (len bytes): answered with want. */
static void input_at(const char *what, uint64_t addr, uint32_t len, int want)
{
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 1)->addr = addr;
	ring_desc_at(&hr.v, 1)->len = len;
	answered(what, want);
}

/* Malformed requests whose status is usable: the error is written there. */
static void refused_requests(void)
{
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 0)->len = 8;
	answered("ring request: header of 8 bytes", PG_DB_EINVAL);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 0)->flags |= RING_DESC_F_WRITE;
	answered("ring request: header writable", PG_DB_EINVAL);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 1)->flags |= RING_DESC_F_WRITE;
	ring_desc_at(&hr.v, 2)->flags = RING_DESC_F_NEXT;
	answered("ring request: readable after writable", PG_DB_EINVAL);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 1)->len = 0x80000000u;
	ring_desc_at(&hr.v, 2)->flags = RING_DESC_F_NEXT; /* a second input */
	ring_desc_at(&hr.v, 2)->len = 0x80000001u;
	answered("ring request: input lengths summing past 2^32", PG_DB_ENOMEM);
	input_at("ring request: input past max_op_bytes", (uint64_t)in[0], (1u << 30) + 1, PG_DB_ENOMEM);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 2)->len = 0xffffffffu;
	answered("ring request: output of 2^32 - 1 bytes", PG_DB_ENOMEM);
	input_at("ring request: input on a frame past RAM", region(PTE_PAST_RAM), 64, PG_DB_EFAULT);
	input_at("ring request: input in the VMM's boot area", region(PTE_BOOT), 64, PG_DB_EFAULT);
	input_at("ring request: input non-canonical", NONCANONICAL, 64, PG_DB_EINVAL);
	input_at("ring request: input past 2^64", TOP_PAGE, 8192, PG_DB_EINVAL);
	input_at("ring request: input never mapped", region(PTE_ABSENT), 64, PG_DB_EFAULT);
	input_at("ring request: input on a supervisor page", SUPERVISOR_VA, 64, PG_DB_EFAULT);
	good_chain(0, PG_OP_ECHO, 64);
	ring_desc_at(&hr.v, 2)->addr = region(PTE_RO);
	answered("ring request: output on a read-only page", PG_DB_EFAULT);
	good_chain(0, 64, 64);
	answered("ring request: op id 64", PG_DB_ENOOP);
	good_chain(0, 1u << 31, 64);
	answered("ring request: op id 2^31", PG_DB_ENOOP);
	still_serves("ring: byte-exact after the malformed requests");
}

/* With registered addressing: indices and ranges outside what was registered. */
static void registered_requests(void)
{
	ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
	expect("ring register: headers and statuses",
		       (int)ring_doorbell(RING_REGISTER, (uint64_t)&meta, sizeof(meta), META_BUF, 0, 0), PG_DB_OK);
	expect("ring register: inputs", (int)ring_doorbell(RING_REGISTER, (uint64_t)in, sizeof(in), IN_BUF, 0, 0),
		       PG_DB_OK);
	expect("ring register: outputs",
		       (int)ring_doorbell(RING_REGISTER, (uint64_t)out, sizeof(out), OUT_BUF, 0, 0), PG_DB_OK);
	expect("ring set-up, registered addressing", fresh_ring(RING_ADDR_REGISTERED), PG_DB_OK);
	input_at("ring request: registered index never registered", RING_BUF_ADDR(5, 0), 64, PG_DB_EINVAL);
	input_at("ring request: registered index 65535", RING_BUF_ADDR(0xffff, 0), 64, PG_DB_EINVAL);
	input_at("ring request: registered offset + length past the buffer", RING_BUF_ADDR(IN_BUF, sizeof(in) - 10), 20,
		 PG_DB_EINVAL);
	input_at("ring request: registered offset 2^48 - 1", RING_BUF_ADDR(IN_BUF, (1ull << 48) - 1), 2, PG_DB_EINVAL);
	still_serves("ring: byte-exact with registered buffers after their attacks");
	ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
	expect("ring set-up again, by guest-virtual address", fresh_ring(RING_ADDR_GVA), PG_DB_OK);
}

/* Move the available index by `by` with nothing written there, and wait until the host
 * has taken the move (dropped, being more than Q): it then asks for a kick at the new
 * index, after its spin budget.  Without the wait, the requests published next would
 * join the jump and be dropped with it. */
static int jump(uint16_t by)
{
	uint16_t old = hr.avail;

	hr.avail = (uint16_t)(old + by);
	ring_publish(&hr.v, old, hr.avail);
	for (uint64_t spin = 0; spin < WAIT_SPINS; spin++) {
		if (ring_avail_event(&hr.v) == hr.avail)
			return 1;
		__asm__ volatile("pause");
	}
	return 0;
}

/* The available index moved by more than Q: the host drops the entries and serves what
 * comes next; then a reset and a fresh set-up. */
static void index_jump(void)
{
	check("ring: available index moved by Q + 1, then byte-exact requests", jump(HQ + 1) && serves(), 0);
	check("ring: available index moved by 2^15, then byte-exact requests", jump(0x8000) && serves(), 0);
	expect("ring reset after the jumps", (int)ring_doorbell(RING_RESET, 0, 0, 0, 0, 0), PG_DB_OK);
	expect("ring set-up after the jumps", fresh_ring(RING_ADDR_GVA), PG_DB_OK);
	still_serves("ring: byte-exact after a fresh set-up");
}

/* A halt for nothing in particular (SYS_WAIT_IRQ): 1 if exactly one more interrupt than
 * halts since the first came. */
static int halt_took_one_interrupt(void)
{
	uint64_t irqs = syscall3(SYS_WAIT_IRQ, 0, 0, 0);

	return irqs - hr.first_irq == hr.halts++;
}

/* Halt with used_event = event while the used index is still hr.used: 1 if it halted
 * (counted) and came back. */
static int halt_with_used_event(uint16_t event)
{
	int halted = ring_halt_for_used(&hr.v, event, hr.used);

	hr.halts += (uint64_t)halted;
	return halted;
}

/* With interrupt completion the ring holds the VM's halt hook, which must end every halt:
 * with nothing in flight at once; with an entry made available that will never complete
 * (the index moved by Q + 1: dropped), after its bounded wait whether used_event is the
 * one the guest waits for or garbage; and the ring still serves byte-exact, halting for
 * its completions.  Every halt is woken by exactly one interrupt. */
static void halts_ended(void)
{
	expect("ring set-up with interrupt completion", fresh_ring_completing(RING_ADDR_GVA, RING_COMPLETE_INTERRUPT),
	       PG_DB_OK);
	hr.first_irq = syscall3(SYS_WAIT_IRQ, 0, 0, 0);
	hr.halts = 1;
	check("ring interrupt completion: a halt with nothing in flight ends with an interrupt", hr.first_irq > 0, 0);
	still_serves("ring interrupt completion: byte-exact, halting for the completions");
	check("ring interrupt completion: entries that never complete (index moved by Q + 1)", jump(HQ + 1), 0);
	check("ring interrupt completion: a halt for a completion that never comes ends (bounded)",
	      halt_with_used_event(hr.used), 0);
	check("ring interrupt completion: a halt with used_event behind the used index ends",
	      halt_with_used_event((uint16_t)(hr.used - 1)), 0);
	check("ring interrupt completion: a halt with used_event 2^15 ahead ends",
	      halt_with_used_event((uint16_t)(hr.used + 0x8000)), 0);
	check("ring interrupt completion: every halt woken by exactly one interrupt", halt_took_one_interrupt(), 0);
	expect("ring reset with interrupt completion", (int)ring_doorbell(RING_RESET, 0, 0, 0, 0, 0), PG_DB_OK);
}

/* Where the host holds another halt hook (arg[1] = 1): the set-up is refused and a halt
 * is that hook's to end; elsewhere the ring's hook ends every halt (halts_ended).  Then a
 * polled ring again. */
static void interrupt_completion(void)
{
	ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
	if (user_params.arg[1] == 1) {
		expect("ring set-up with interrupt completion while another halt hook is installed",
		       fresh_ring_completing(RING_ADDR_GVA, RING_COMPLETE_INTERRUPT), PG_DB_ESTATE);
		/* the VM's first interrupt: nothing injects one in hostile mode but a halt hook */
		check("a halt then is ended by the other hook's interrupt", syscall3(SYS_WAIT_IRQ, 0, 0, 0) == 1, 0);
	} else {
		halts_ended();
	}
	expect("ring set-up after interrupt completion", fresh_ring(RING_ADDR_GVA), PG_DB_OK);
	still_serves("ring: byte-exact, polled again");
}

/* One completion of the race: slot s's echo of its n bytes exactly, or an error status
 * with nothing written; a hostile head, length 0. */
static int race_completion_ok(const struct ring_used_elem *e, const uint64_t *n, uint32_t *ok)
{
	uint32_t s = e->id / 4, status;

	if (e->id == HOSTILE_HEAD)
		return e->len == 0;
	if (e->id % 4 || s >= SLOTS)
		return 0;
	status = meta.st[s].status;
	if (status == PG_DB_OK) {
		++*ok;
		return e->len == n[s] + sizeof(struct ring_status) && meta.st[s].out_len == n[s] &&
		       !memcmp(in[s], out[s], n[s]) && out[s][n[s]] == 0x77;
	}
	return e->len == sizeof(struct ring_status) && meta.st[s].out_len == 0 &&
	       (status == PG_DB_EINVAL || status == PG_DB_EFAULT || status == PG_DB_ENOMEM);
}

/* Rewrite what the host is reading, every slot at every step k: its input flipped
 * between valid and hostile (address in the boot area or non-canonical, length past
 * max_op_bytes), and now and then its available-ring entry between its head and a head
 * >= Q. */
static void flip(uint64_t k, const uint64_t *n, uint16_t first)
{
	for (uint32_t s = 0; s < SLOTS; s++) {
		uint64_t c = 5 * k + 3 * s;
		volatile struct ring_desc *d = ring_desc_at(&hr.v, 4 * s + 1);

		d->addr = c & 1 ? (c & 4 ? NONCANONICAL : region(PTE_BOOT)) : (uint64_t)in[s];
		d->len = c & 2 ? 0xfffffff0u : (uint32_t)n[s];
		if (c % 7 == 0)
			ring_avail_put(&hr.v, (uint16_t)(first + s), (uint16_t)(c & 8 ? HOSTILE_HEAD : 4 * s));
	}
}

static void race(void)
{
	uint32_t wrong = 0, ok = 0, done = 0, missing = 0;
	uint64_t n[SLOTS];
	char detail[96];

	for (uint32_t round = 0; round < 64; round++) {
		uint16_t first = hr.avail;
		uint64_t k = round;

		for (uint32_t s = 0; s < SLOTS; s++) {
			n[s] = 4096 + 1 + 999 * s;
			pg_pattern_fill(in[s], 0, n[s], round * SLOTS + s);
			memset(out[s], 0x77, sizeof(out[s]));
			good_chain(s, PG_OP_ECHO, n[s]);
			publish((uint16_t)(4 * s));
		}
		for (uint32_t got = 0; got < SLOTS; k++) {
			struct ring_used_elem e;

			flip(k, n, first);
			if (ring_used_take(&hr.v, hr.used, &e)) {
				hr.used++;
				got++;
				wrong += !race_completion_ok(&e, n, &ok);
			} else if (k - round > WAIT_SPINS) {
				missing += SLOTS - got;
				break;
			}
		}
		done += SLOTS;
	}
	pg_snprintf(detail, sizeof(detail), "%u of %u completed OK and exact, %u wrong, %u missing", ok, done, wrong,
		    missing);
	check("ring race: descriptors and available entries rewritten while served", !wrong && !missing, detail);
	still_serves("ring: byte-exact after the race");
}

/* RING_RESET with requests in flight: what completed is right, the rest is dropped;
 * then a fresh set-up serves. */
static void reset_in_flight(void)
{
	uint64_t n[SLOTS];
	uint32_t wrong = 0, ok = 0;
	struct ring_used_elem e;

	for (uint32_t s = 0; s < SLOTS; s++) {
		n[s] = DATA;
		pg_pattern_fill(in[s], 0, DATA, 500 + s);
		memset(out[s], 0x77, sizeof(out[s]));
		good_chain(s, PG_OP_ECHO, DATA);
		publish((uint16_t)(4 * s));
	}
	expect("ring reset with requests in flight", (int)ring_doorbell(RING_RESET, 0, 0, 0, 0, 0), PG_DB_OK);
	while (ring_used_take(&hr.v, hr.used, &e)) {
		hr.used++;
		wrong += !race_completion_ok(&e, n, &ok);
	}
	check("ring reset with requests in flight: every completion before it exact", !wrong, 0);
	expect("ring set-up after a reset with requests in flight", fresh_ring(RING_ADDR_GVA), PG_DB_OK);
	still_serves("ring: byte-exact after the reset");
}

/* The ring area unmapped (its frames returned to the kernel) while the host serves it:
 * the host keeps host pointers to guest RAM; a reset stops it. */
static void area_unmapped_while_running(void)
{
	uint64_t b = ring_area_bytes(HQ);

	ring_doorbell(RING_RESET, 0, 0, 0, 0, 0);
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	ring_fault_in((void *)PG_BUF_VA, b, 1);
	expect("ring set-up in the region",
		       (int)setup_db(PG_BUF_VA, b, HQ, (uint64_t)RING_NOTIFY_POLL << 4, 0), PG_DB_OK);
	GUEST_ASSERT(pg_buf_config(PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, 0) == 0);
	pg_pattern_fill((uint8_t *)PG_BUF_VA, 0, 4 * b, 7); /* the frames reused under the running ring */
	expect("ring reset after its area was unmapped and reused", (int)ring_doorbell(RING_RESET, 0, 0, 0, 0, 0),
		       PG_DB_OK);
}

/* The one-shot library still works on the same port, both addressings. */
static void library_still_works(void)
{
	const struct pg_transport *t = pg_transport_by_id(RING_ID);

	for (uint32_t addressing = RING_ADDR_GVA; addressing <= RING_ADDR_REGISTERED; addressing++) {
		struct pg_cmd cmd = { .kind = PG_CMD_CALL, .bytes = DATA, .qd = 1, .ring_addressing = addressing };
		uint64_t len = 0;
		int st;

		pg_pattern_fill(in[0], 0, DATA, 600 + addressing);
		memset(out[0], 0, DATA);
		st = t->prepare(&cmd, in[0], out[0]);
		if (st == PG_DB_OK)
			st = t->call(PG_OP_ECHO, in[0], DATA, out[0], DATA, &len);
		check(addressing ? "afterwards: ring library echo byte-exact (registered)"
					 : "afterwards: ring library echo byte-exact (gva)",
			      st == PG_DB_OK && len == DATA && !memcmp(in[0], out[0], DATA), 0);
	}
}

int hostile_ring_run(void)
{
	GUEST_ASSERT(ring_area_bytes(HQ) <= sizeof(area));
	setup_registers();
	setup_mappings();
	forge_region(0, 0);
	registrations();
	while_running();
	broken_chains();
	refused_requests();
	registered_requests();
	index_jump();
	interrupt_completion();
	race();
	reset_in_flight();
	area_unmapped_while_running();
	library_still_works();
	unforge_region();
	return failures;
}
