/*
 * libFuzzer target: the doorbell decoder and the transport engine, as a hostile guest
 * drives them.  The input gives up to four doorbells' registers (state, address, bytes,
 * total, op id, extra word, transport, translation method and delivery), the guest's CR3 and a 4 MiB
 * guest-memory image; each doorbell goes through the very handler KVM exits reach.  The
 * answer must be a known status and nothing may be touched outside guest RAM (ASan).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../transports/transport.h"

#define RAM (4u << 20)
#define REGS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm *fake_vm(void)
{
	static struct vm vm;
	static struct vcpu v;
	static uint8_t *ram;
	static struct kvm_run *run;

	if (!ram) {
		ram = malloc(RAM);
		run = calloc(1, 8192);
		v = (struct vcpu){ .vm = &vm, .fd = -1, .run = run, .run_size = 8192 }; /* KVM_TRANSLATE fails */
		vm = (struct vm){ .fd = -1, .mem = { ram, RAM, 40 }, .quiet = true };
		vm.vcpus[0] = &v;
		vm.nr_vcpus = 1;
	}
	vm.nr_io = 0;
	memset(run, 0, 8192);
	return &vm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm *vm = fake_vm();
	struct vcpu *v = vm->vcpus[0];
	static size_t dirty = RAM; /* bytes of guest RAM the last input may have changed */
	struct engine e;
	uint64_t regs[4][REGS], cr3;
	size_t header = sizeof(regs) + sizeof(cr3), image;
	uint8_t out = 0;

	if (size < header)
		return 0;
	memcpy(regs, data, sizeof(regs));
	memcpy(&cr3, data + sizeof(regs), sizeof(cr3));
	image = size - header < RAM ? size - header : RAM;
	memset(vm->mem.hva, 0, dirty);
	memcpy(vm->mem.hva, data + header, image);
	dirty = image;
	engine_init(&e, vm);
	e.max_op_bytes = 1 << 20;
	for (int d = 0; d < 4; d++) {
		struct kvm_regs *r = vcpu_regs(v);
		struct io_handler *h = &vm->io[regs[d][6] % (uint64_t)vm->nr_io];
		struct io_access a = { h->base, 1, 1, true, &out };

		*r = (struct kvm_regs){ .rax = regs[d][0] % 5, .rdi = regs[d][1], .rsi = regs[d][2] % (3u << 20),
					.r8 = regs[d][3], .r9 = regs[d][4] % 6, .rcx = regs[d][5] };
		vcpu_sregs(v)->cr3 = cr3 & 0xff000;
		e.method = regs[d][7] & 1 ? XLATE_WALK : XLATE_KVM;
		e.delivery = regs[d][7] & 2 ? DELIVER_IOV : DELIVER_COPY;
		assert(h->fn(v, &a, h->ctx) == EXIT_CONTINUE);
		assert(r->rax <= PG_DB_EHANDLER);
		if (regs[d][0] % 5 == PG_DB_RECEIVE)
			dirty = RAM; /* the host wrote guest pages: clear everything next time */
	}
	engine_fini(&e);
	return 0;
}
