/*
 * A hostile guest without KVM, shared by the libFuzzer target (fuzz/fuzz_doorbell.c) and
 * the seeded random test (tests/test_hostile_random.c): a fake VM — 6 MiB of guest RAM
 * with the boot area [0, 1 MiB), page tables the driver builds in [1 MiB, 2 MiB), one
 * vCPU without a KVM file descriptor (KVM_TRANSLATE fails, so the kvm method only ever
 * faults) — with the doorbell engine on it, driven by a stream of choices: a PRNG or the
 * fuzzer's input.  Each step is one action (map, unmap or remap a 4 KiB or 2 MiB page
 * anywhere up to the top of the address space onto RAM, its end, the boot area or past
 * it; write data, a pattern request or a list page; forge a table entry; ring a doorbell
 * with full 64-bit registers on any transport; ring the last one again, after mapping
 * the page it faulted on or not; switch translation or delivery), and every doorbell is
 * checked against the oracles listed at hv_check_doorbell in hostile_vm.c.
 */
#ifndef PG_HOSTILE_VM_H
#define PG_HOSTILE_VM_H

#include <stdbool.h>
#include <stdint.h>
#include "../transports/transport.h"
#include "../guest-bench/kernel/paging.h"

#define HV_RAM (6ull << 20)
#define HV_TABLES_END (2ull << 20) /* page tables: [boot end, HV_TABLES_END) */
#define HV_CANARY 0xc5             /* the engine fills new host buffers with it */
#define HV_MAX_VAS 16

struct hostile {
	struct vm vm;
	struct vcpu v;
	struct kvm_run *run;
	struct engine e;
	struct pt_ctx ctx;
	uint64_t cr3, next_table;
	uint64_t va[HV_MAX_VAS]; /* recently mapped addresses, to aim at */
	unsigned nva;
	/* the choices: next() gives 64 bits; `done` once a fuzzer input is used up */
	uint64_t (*next)(void *src);
	void *src;
	bool done;
	/* oracle state */
	bool fixed_copy;          /* delivery stayed copy: copies are counted exactly */
	unsigned last_transport;
	struct doorbell last;
	int last_status;
	uint64_t chain_copied;    /* host copies since the doorbell chain (RETRY ... answer) began */
	uint64_t sent;            /* bytes of OK SENDs on this engine */
	uint64_t doorbells, statuses[PG_DB_EHANDLER + 1];
};

/* Fresh VM, tables and engine (max_op_bytes as given); the skeleton module at op 63 is
 * loaded once per process if `module` names it. */
void hv_init(struct hostile *h, uint64_t max_op_bytes, const char *module);
void hv_fini(struct hostile *h);
/* One action chosen from the stream. */
void hv_step(struct hostile *h);
/* Scripted use (the regression tests): ring one doorbell (every oracle checked); write
 * guest-physical memory (canary bytes are changed, so any canary in RAM is a leak). */
void hv_ring(struct hostile *h, unsigned transport, const struct doorbell *db);
void hv_write(struct hostile *h, uint64_t gpa, const void *src, uint64_t len);

#endif
