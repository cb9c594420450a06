/*
 * The ring-3 benchmark process's view of its world: its parameter block (copied in by the
 * kernel), console output, guest asserts and self-check reports that travel to the host
 * over the control port, and the demand-paged buffer region.
 */
#ifndef PG_USER_H
#define PG_USER_H

#include "../lib/guest.h"

extern struct pg_params user_params;

int pg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pg_snprintf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void pg_abort(const char *file, int line, const char *msg) __attribute__((noreturn));
#define GUEST_ASSERT(cond)                                                  \
	do {                                                                \
		if (!(cond))                                                \
			pg_abort(__FILE__, __LINE__, "assert failed: " #cond); \
	} while (0)

/* A named self-check result and a named measurement, shown and counted by the host. */
int pg_check(const char *name, int passed, const char *detail);
void pg_report(const char *name, uint64_t value, const char *unit);
void pg_done(uint64_t status) __attribute__((noreturn));

static inline uint64_t pg_fault_count(void)
{
	return syscall3(SYS_FAULT_COUNT, 0, 0, 0);
}

static inline int pg_buf_config(unsigned page_shift, unsigned policy, uint64_t seed)
{
	return (int)syscall3(SYS_BUF_CONFIG, page_shift, policy, seed);
}

static inline volatile uint8_t *pg_buf(void)
{
	return (volatile uint8_t *)PG_BUF_VA;
}

void selftest_run(void) __attribute__((noreturn));
void serve_run(void) __attribute__((noreturn));
void micro_run(void) __attribute__((noreturn));
void hostile_run(void) __attribute__((noreturn));
/* A CHECK that a status is the one expected (hostile.c): 1 if it is. */
int hostile_check_status(const char *what, int got, int want);
/* The ring transport's attacks (hostile_ring.c): how many were answered wrongly. */
int hostile_ring_run(void);
void notify_run(void) __attribute__((noreturn));
void camera_run(void) __attribute__((noreturn));

#endif
