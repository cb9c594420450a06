/*
 * What this host is, as far as a measurement's meaning goes: which KVM backend serves
 * /dev/kvm (kvm_intel, kvm_amd, kvm_pvm), whether the host is itself a virtual machine
 * (then KVM here is nested: the CPUID hypervisor bit, and the signature of the hypervisor
 * below us) and whether that hypervisor emulates the CPU instead of running it (QEMU's
 * TCG signs "TCGTCGTCGTCG"): under emulation the tests still mean something, the timings
 * do not.  Every timing output names these facts.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "vm.h"

#define CPUID_HYPERVISOR_BIT (1u << 31) /* leaf 1, ECX */
#define CPUID_HYPERVISOR_LEAF 0x40000000u

const char *kvm_backend_module(void)
{
	static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	struct stat st;

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
		if (stat(path, &st) == 0)
			return modules[i];
	}
	return "unknown";
}

void kvm_platform_probe(struct kvm_platform *p)
{
	unsigned a, b, c, d;

	memset(p, 0, sizeof(*p));
	p->backend = kvm_backend_module();
	__cpuid(1, a, b, c, d);
	p->nested = (c & CPUID_HYPERVISOR_BIT) != 0;
	if (!p->nested)
		return;
	__cpuid(CPUID_HYPERVISOR_LEAF, a, b, c, d);
	memcpy(p->hypervisor, &b, 4);
	memcpy(p->hypervisor + 4, &c, 4);
	memcpy(p->hypervisor + 8, &d, 4);
	for (int i = 0; i < 12; i++) /* a signature is printable or it is none */
		if (p->hypervisor[i] && (p->hypervisor[i] < 0x20 || p->hypervisor[i] > 0x7e))
			p->hypervisor[i] = '?';
	p->emulated = !strcmp(p->hypervisor, "TCGTCGTCGTCG");
}

void kvm_platform_describe(const struct kvm_platform *p, char *out, size_t cap)
{
	if (!p->nested)
		snprintf(out, cap, "%s, bare metal", p->backend);
	else if (p->emulated)
		snprintf(out, cap, "%s, nested, emulated CPU (QEMU TCG): timings are not meaningful", p->backend);
	else
		snprintf(out, cap, "%s, nested (host hypervisor \"%s\")", p->backend,
			 p->hypervisor[0] ? p->hypervisor : "unnamed");
}
