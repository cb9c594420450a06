/*
 * Guest memory as the VMM sees it: one host mapping of guest-physical [0, size), and the
 * checked helpers every guest-supplied address goes through.  gmem_guest_ptr is the only
 * way from a guest-physical range the guest names (transfer data, list pages, page-table
 * entries, control-port strings) to a host pointer: it enforces RAM bounds and refuses
 * the VMM's boot area [0, boot_end).  gmem_ptr, RAM bounds only, is for the VMM's own
 * use of its boot area and for loading the image.  Reads by guest-virtual address walk
 * the guest's page tables with the software walker, page by page, and fail cleanly on
 * any unmapped page or address outside RAM.
 */
#ifndef PG_GMEM_H
#define PG_GMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_mem {
	uint8_t *hva;
	uint64_t size;
	unsigned phys_bits; /* the guest's MAXPHYADDR, for reserved-bit checks */
	uint64_t boot_end;  /* [0, boot_end) is the VMM's boot area, never the guest's to name */
};

/* Host pointer to [gpa, gpa + len) if that range lies wholly in guest RAM, else NULL.
 * (Inline: the page walkers call it on every level.) */
static inline void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa >= m->size || len > m->size - gpa)
		return (void *)0;
	return m->hva + gpa;
}

/* The one accessor for guest-physical memory the guest names: a host pointer to
 * [gpa, gpa + len) if it lies wholly in guest RAM and outside the boot area, else NULL. */
static inline void *gmem_guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return gpa < m->boot_end ? (void *)0 : gmem_ptr(m, gpa, len);
}

/* Copy len bytes from guest-virtual gva (page tables at cr3). 0, or -1 if any byte is
 * unreachable. */
int gmem_read_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, void *dst, size_t len);

/* Copy len bytes to guest-virtual gva, which must be user-writable (the host only writes
 * where the guest's process could); 0, or -1 (a prefix may have been written). */
int gmem_write_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, const void *src, size_t len);

/* Copy a NUL-terminated guest string of at most cap - 1 bytes; a longer one is cut and
 * ends in "...".  Returns 0, or -1 (dst = "<unreadable>") if its first byte is unreachable. */
int gmem_read_str(const struct guest_mem *m, uint64_t cr3, uint64_t gva, char *dst, size_t cap);

/* Host segments of guest-virtual [gva, gva + len), read access: the pages must be mapped,
 * in RAM and outside the boot area (the same checks as gmem_read_gva); pieces adjacent on
 * the host are merged.  Returns how many of out[0..cap) it filled (0 for len 0), or -1:
 * a page unreachable, the range past 2^64, or more than cap segments.  The pointers stay
 * valid as long as guest RAM does; what they name is only what the tables said then. */
int gmem_gva_segments(const struct guest_mem *m, uint64_t cr3, uint64_t gva, uint64_t len, struct iovec *out,
		      size_t cap);

#endif
