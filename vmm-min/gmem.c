/*
 * Checked access to guest memory (see gmem.h).
 */
#include <stdio.h>
#include <string.h>
#include "gmem.h"
#include "ptwalk.h"
#include "range.h"

/* The first piece of guest-virtual [gva, gva + len) (len > 0): a host pointer to it and
 * its length (up to the end of its page), or 0 if the page is unmapped, outside RAM, in
 * the boot area, or — when `write` — not user-writable. */
static uint64_t gva_piece(const struct guest_mem *m, uint64_t cr3, uint64_t gva, uint64_t len, int write,
			  uint8_t **host)
{
	struct pt_walk w;
	uint64_t room, n;

	if (pt_walk(m, cr3, gva, &w) != PTW_OK || (write && !(w.user && w.writable)))
		return 0;
	room = (1ull << w.page_shift) - (gva & ((1ull << w.page_shift) - 1));
	n = len < room ? len : room;
	*host = gmem_guest_ptr(m, w.gpa, n);
	return *host ? n : 0;
}

/* Copy between host memory and guest-virtual [gva, gva + len), page by page. */
static int copy_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, uint8_t *host, size_t len,
		    int to_guest)
{
	while (len) {
		uint8_t *guest;
		uint64_t n = gva_piece(m, cr3, gva, len, to_guest, &guest);

		if (!n)
			return -1;
		memcpy(to_guest ? guest : host, to_guest ? host : guest, n);
		host += n;
		gva += n;
		len -= n;
	}
	return 0;
}

int gmem_read_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	return copy_gva(m, cr3, gva, dst, len, 0);
}

int gmem_write_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, const void *src, size_t len)
{
	return copy_gva(m, cr3, gva, (uint8_t *)src, len, 1);
}

int gmem_read_str(const struct guest_mem *m, uint64_t cr3, uint64_t gva, char *dst, size_t cap)
{
	size_t i;

	for (i = 0; i + 1 < cap; i++) {
		if (gmem_read_gva(m, cr3, gva + i, &dst[i], 1)) {
			if (i == 0) {
				snprintf(dst, cap, "<unreadable>");
				return -1;
			}
			break;
		}
		if (!dst[i])
			return 0;
	}
	dst[i] = 0;
	if (i + 1 >= cap && cap > 4)
		memcpy(dst + cap - 4, "...", 4);
	return 0;
}

int gmem_gva_segments(const struct guest_mem *m, uint64_t cr3, uint64_t gva, uint64_t len, struct iovec *out,
		      size_t cap)
{
	size_t n = 0;

	if (!range_fits(gva, len))
		return -1;
	while (len) {
		uint8_t *p;
		uint64_t piece = gva_piece(m, cr3, gva, len, 0, &p);

		if (!piece)
			return -1;
		if (n && (uint8_t *)out[n - 1].iov_base + out[n - 1].iov_len == p) {
			out[n - 1].iov_len += piece;
		} else {
			if (n == cap)
				return -1;
			out[n++] = (struct iovec){ p, piece };
		}
		gva += piece;
		len -= piece;
	}
	return (int)n;
}
