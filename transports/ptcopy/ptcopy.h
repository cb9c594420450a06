/*
 * ABI of the page-table-copy transport (the thesis's proposal, chapter 9): the guest
 * sends only a range, RDI = start address and RSI = bytes (up to PTCOPY_MAX_BYTES per
 * doorbell); RCX is unused.  The host walks the upper levels once per 2 MiB region,
 * copies that region's 512-entry leaf table in one read and translates from the copy.
 */
#ifndef PG_PTCOPY_H
#define PG_PTCOPY_H

#define PTCOPY_ID 3
#define PTCOPY_MAX_BYTES (64ull << 20)

#endif
