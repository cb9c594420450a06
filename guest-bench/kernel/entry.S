/*
 * Guest kernel entry points, in assembly because they touch the stack or run on
 * interrupt frames: the boot entry from the VMM, the exception stubs (every vector
 * without a handler aborts through the control port), the page-fault fast path that
 * calls the demand-paging handler, the system-call gate, and the iretq into
 * ring 3.  Ring-0 instructions are emulated on some KVM backends (kvm_pvm: ~2 us each),
 * so the hot stubs save only the registers the C code may clobber.
 */
#include "../../vmm-min/x86.h"

	.section .text.entry, "ax"
	.global _start
_start:				/* RDI = guest-physical address of struct pg_params */
	lea	kernel_stack_top(%rip), %rsp
	call	kernel_main
1:	hlt
	jmp	1b

	.text
/* Unexpected exceptions: build {vector, error code} and fall into the common path. */
.macro EXC_NOERR vec
	.global exc_stub_\vec
exc_stub_\vec:
	pushq	$0
	pushq	$\vec
	jmp	exc_common
.endm
.macro EXC_ERR vec
	.global exc_stub_\vec
exc_stub_\vec:
	pushq	$\vec
	jmp	exc_common
.endm

EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR 8
EXC_NOERR 9
EXC_ERR 10
EXC_ERR 11
EXC_ERR 12
EXC_ERR 13
EXC_ERR 14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR 17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR 21

exc_common:			/* stack: vector, error code, RIP, CS, RFLAGS, RSP, SS */
	mov	%rsp, %rdi
	and	$-16, %rsp
	call	kernel_exception	/* does not return */
2:	hlt
	jmp	2b

/* #PF: try demand paging; anything it cannot map is an unexpected exception. */
	.global pf_stub
pf_stub:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	mov	72(%rsp), %rdi		/* error code */
	call	kernel_page_fault
	test	%eax, %eax
	jnz	3f
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$8, %rsp		/* error code */
	iretq
3:	add	$72, %rsp
	pushq	$14
	jmp	exc_common

/* System call from ring 3 via int3 (#BP through a DPL-3 gate): RAX number, RDI/RSI/RDX
 * arguments, result in RAX.  Neither SYSCALL nor int 0x80 reaches a non-PVM guest kernel
 * on the kvm_pvm backend (SYSCALL stays in ring 3, int 0x80 arrives as #UD); int3 does,
 * on every backend. */
	.global syscall_stub
syscall_stub:
	mov	%rax, %rcx
	sub	$8, %rsp
	call	kernel_syscall
	add	$8, %rsp
	iretq

/* The host's notification interrupt: count it, nothing else (interrupts are off in
 * ring 3, so it only arrives in the halt of SYS_WAIT_IRQ). */
	.global notify_stub
notify_stub:
	incq	notify_count(%rip)
	iretq

/* enter_user(rip, rsp): drop to ring 3 with interrupts off and IOPL 0. */
	.global enter_user
enter_user:
	pushq	$(GDT_USER_DS | 3)
	pushq	%rsi
	pushq	$0x2			/* RFLAGS: reserved bit 1 only */
	pushq	$(GDT_USER_CS | 3)
	pushq	%rdi
	iretq

	.bss
	.balign 16
kernel_stack:
	.space	16384
	.global kernel_stack_top
kernel_stack_top:
