/*
 * COM1 console: bytes the guest writes to the transmit register (one at a time or with
 * a string OUT) are gathered into lines; each full line goes to stdout with a "[guest]"
 * prefix (unless the VM is quiet), is kept as the last line for error messages, and is
 * appended to a capped console log that tests search.  Reads of the UART's registers
 * answer "transmitter empty" so a polling driver never waits.
 */
#include <stdio.h>
#include <string.h>
#include "vm.h"

#define UART_LSR 5
#define UART_LSR_THRE_TEMT 0x60

static void end_line(struct vm *vm)
{
	vm->line[vm->line_len] = 0;
	memcpy(vm->last_line, vm->line, vm->line_len + 1);
	if (vm->console_len + vm->line_len + 1 < VM_CONSOLE_LOG_BYTES) {
		memcpy(vm->console_log + vm->console_len, vm->line, vm->line_len);
		vm->console_len += vm->line_len;
		vm->console_log[vm->console_len++] = '\n';
	}
	if (!vm->quiet) {
		printf("[guest] %s\n", vm->line);
		fflush(stdout);
	}
	vm->line_len = 0;
}

static void put_byte(struct vm *vm, char c)
{
	if (c == '\n') {
		end_line(vm);
		return;
	}
	if (c == '\r')
		return;
	vm->line[vm->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
	if (vm->line_len == VM_LINE_MAX - 1)
		end_line(vm);
}

enum exit_action console_io(struct vcpu *v, struct io_access *a, void *ctx)
{
	const char *bytes = a->data;

	(void)ctx;
	if (!a->write) {
		memset(a->data, a->addr - PG_PORT_CONSOLE == UART_LSR ? UART_LSR_THRE_TEMT : 0,
		       (size_t)a->size * a->count);
		return EXIT_CONTINUE;
	}
	if (a->addr != PG_PORT_CONSOLE)
		return EXIT_CONTINUE; /* UART configuration writes: nothing to emulate */
	for (uint32_t i = 0; i < a->count; i++)
		put_byte(v->vm, bytes[(size_t)i * a->size]);
	return EXIT_CONTINUE;
}

bool vm_console_contains(const struct vm *vm, const char *text)
{
	return memmem(vm->console_log, vm->console_len, text, strlen(text)) != NULL;
}
