/*
 * Guest half of the ring transport, raw: the primitives the one-shot library (guest.c)
 * is made of, exported so that a test can drive the ring by hand (the hostile guest
 * writes malformed descriptors, moves the available index by any amount, races the I/O
 * thread).  A ring is seen through a `struct ring_view`: its area (page-aligned, the
 * layout of ring.h) and its queue size Q (a power of two; the view is only as good as
 * the values the guest gave at set-up).  Invariants kept by the callers, not checked
 * here: descriptor indices < Q; the available index is moved with ring_publish only.
 */
#ifndef PG_RING_GUEST_H
#define PG_RING_GUEST_H

#include <stdint.h>
#include "ring.h"

struct ring_view {
	uint8_t *area;
	uint32_t q;
};

/* A doorbell on the ring's port: AL = cmd (RING_SETUP / RING_REGISTER / RING_RESET, or
 * anything), all registers full-width; the status comes back. */
uint64_t ring_doorbell(uint64_t cmd, uint64_t rdi, uint64_t rsi, uint64_t r8, uint64_t r9, uint64_t rcx);

/* Touch every page of [p, p + n): written if `write` (the content is kept). */
void ring_fault_in(void *p, uint64_t n, int write);

/* Descriptor i of the table (the guest may rewrite it at any moment). */
volatile struct ring_desc *ring_desc_at(const struct ring_view *v, uint32_t i);
void ring_set_desc(const struct ring_view *v, uint32_t i, uint64_t addr, uint64_t len, uint16_t flags, uint32_t next);

/* Entry `at` (taken mod Q) of the available ring: the head of a chain. */
void ring_avail_put(const struct ring_view *v, uint16_t at, uint16_t head);

/* Move the available index from old to new_idx (release ordering), and kick the I/O
 * thread if avail_event asks for it (EVENT_IDX). */
void ring_publish(const struct ring_view *v, uint16_t old, uint16_t new_idx);

/* avail_event as the host last wrote it: the available index at which it asks for a kick
 * (it writes it before it sleeps). */
uint16_t ring_avail_event(const struct ring_view *v);

/* The used element at index `seen`, if the host has moved its used index past `seen`
 * (acquire ordering): 1 and *e, or 0. */
int ring_used_take(const struct ring_view *v, uint16_t seen, struct ring_used_elem *e);

/* Interrupt completion: write used_event = `event` (the used index past which the host is
 * to interrupt), a full fence, and halt (SYS_WAIT_IRQ, ring 0) unless the used index has
 * moved past `seen` meanwhile.  1 if it halted (until the host's interrupt, which may be
 * spurious), else 0.  The ring must run with RING_COMPLETE_INTERRUPT: otherwise nothing on
 * the host answers the halt.  The library passes event = seen; a test may pass anything. */
int ring_halt_for_used(const struct ring_view *v, uint16_t event, uint16_t seen);

#endif
