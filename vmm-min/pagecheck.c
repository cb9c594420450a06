/*
 * Checking the guest's mappings from outside (see vcpu_check_pages in vm.h): the software
 * walker and KVM_TRANSLATE must agree on every page, and the frames must come in the
 * order the guest's frame policy promises.  Used by the self-test and the KVM tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include "ptwalk.h"
#include "vm.h"

#define CHECK_PAGES_MAX 4096

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool frames_distinct(uint64_t *gpas, uint64_t count)
{
	qsort(gpas, count, sizeof(*gpas), cmp_u64);
	for (uint64_t i = 1; i < count; i++)
		if (gpas[i] == gpas[i - 1])
			return false;
	return true;
}

bool vcpu_check_pages(struct vcpu *v, uint64_t gva, uint64_t count, unsigned shift, int policy,
		      char *detail, size_t cap)
{
	uint64_t size = 1ull << shift, adjacent = 0, *gpas;
	bool ok;

	if (count == 0 || count > CHECK_PAGES_MAX || (shift != 12 && shift != 21)) {
		snprintf(detail, cap, "bad request: %llu pages of 2^%u bytes", (unsigned long long)count, shift);
		return false;
	}
	gpas = calloc(count, sizeof(*gpas));
	for (uint64_t i = 0; i < count; i++) {
		uint64_t va = gva + i * size, by_kvm;
		struct pt_walk w;
		enum pt_walk_status st = pt_walk(&v->vm->mem, vcpu_sregs(v)->cr3, va, &w);

		if (st != PTW_OK || w.page_shift != shift || vcpu_translate(v, va, &by_kvm) ||
		    by_kvm != w.gpa) {
			snprintf(detail, cap, "page %llu (GVA 0x%llx): walker %s, page 2^%u, GPA 0x%llx; KVM_TRANSLATE 0x%llx",
				 (unsigned long long)i, (unsigned long long)va, pt_walk_status_name(st),
				 w.page_shift, (unsigned long long)w.gpa, (unsigned long long)by_kvm);
			free(gpas);
			return false;
		}
		gpas[i] = w.gpa;
		adjacent += i && gpas[i] == gpas[i - 1] + size;
	}
	if (policy == PG_FRAMES_CONTIGUOUS)
		ok = adjacent == count - 1;
	else
		ok = adjacent * 4 < count; /* a random order leaves almost no neighbours */
	ok = frames_distinct(gpas, count) && ok;
	snprintf(detail, cap, "%llu pages agree with KVM_TRANSLATE, %llu of %llu next frames adjacent (%s)",
		 (unsigned long long)count, (unsigned long long)adjacent, (unsigned long long)count - 1,
		 policy == PG_FRAMES_CONTIGUOUS ? "contiguous" : "scattered");
	free(gpas);
	return ok;
}
