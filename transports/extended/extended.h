/*
 * ABI of the extended transport (thesis model 2): the guest writes a 4 KiB list page of
 * 32-bit entries, each a guest-virtual page number (address >> 12, so 44-bit addresses),
 * and rings with RDI = the list page's address, RSI = bytes, RCX = entries | first-page
 * offset << 32.  One doorbell covers at most 1024 pages (4 MiB); larger buffers go in
 * segments.  The host translates every entry (KVM_TRANSLATE or a software walk).
 */
#ifndef PG_EXTENDED_H
#define PG_EXTENDED_H

#include <stdint.h>

#define EXTENDED_ID 2
#define EXTENDED_MAX_ENTRIES 1024
#define EXTENDED_MAX_BYTES ((uint64_t)EXTENDED_MAX_ENTRIES * 4096)

static inline uint64_t extended_extra(uint64_t entries, uint64_t first_offset)
{
	return entries | first_offset << 32;
}

#endif
