/*
 * What both halves of the guest (ring-0 kernel and ring-3 process) use: the control-port
 * call, the TSC, port output, the system-call numbers and the string helpers of
 * lib/string.c.  Everything here runs in either ring; the ring-3 process reaches the
 * ports through the I/O permission bitmap of the kernel's TSS.
 */
#ifndef PG_GUEST_H
#define PG_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include "../../vmm-min/abi.h"
#include "../../vmm-min/x86.h"

enum pg_syscall {
	SYS_FAULT_COUNT = 1, /* demand-paging faults served so far */
	SYS_BUF_CONFIG = 2,  /* RDI page shift, RSI frame policy, RDX seed: unmap the region, reset */
	SYS_PTE_POKE = 3,    /* RDI level (1: the region's PTs, 2: its PD), RSI index, RDX value (hostile tests) */
	SYS_WAIT_IRQ = 4,    /* halt until the host's notification interrupt; returns interrupts so far */
	SYS_TOP_ALIAS = 5,   /* RDI 1: the last GiB of the address space aliases the region; 0: undo (hostile tests) */
};

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* One control-port call (see abi.h); returns the host's answer from RAX. */
static inline uint64_t pg_ctl(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r8 __asm__("r8") = a2;
	register uint64_t r9 __asm__("r9") = a3;
	uint64_t rax = cmd;

	__asm__ volatile("outb %%al, %%dx"
			 : "+a"(rax)
			 : "d"((uint16_t)PG_PORT_CONTROL), "D"(a0), "S"(a1), "r"(r8), "r"(r9)
			 : "memory");
	return rax;
}

/* Write len bytes to a port with one string OUT (one VM exit for up to a page). */
static inline void outsb(uint16_t port, const void *data, size_t len)
{
	__asm__ volatile("rep outsb" : "+S"(data), "+c"(len) : "d"(port) : "memory");
}

static inline uint64_t syscall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t rax = nr;

	__asm__ volatile("int3"
			 : "+a"(rax), "+D"(a0), "+S"(a1), "+d"(a2)
			 :
			 : "rcx", "r8", "r9", "r10", "r11", "memory");
	return rax;
}

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
