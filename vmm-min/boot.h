/*
 * Putting a vCPU straight into 64-bit long mode: boot GDT and identity page tables in
 * the VMM's boot area, the parameter block, and the vCPU's segment, control and general
 * registers pointing at the guest's entry.
 */
#ifndef PG_BOOT_H
#define PG_BOOT_H

#include "vm.h"

void boot_setup(struct vm *vm, struct vcpu *v, uint64_t entry, const struct pg_params *params);

#endif
