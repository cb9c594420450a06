/*
 * Checked access to guest memory (see gmem.h).
 */
#include <stdio.h>
#include <string.h>
#include "gmem.h"
#include "ptwalk.h"

/* Copy between host memory and guest-virtual [gva, gva + len), page by page. */
static int copy_gva(const struct guest_mem *m, uint64_t cr3, uint64_t gva, uint8_t *host, size_t len,
		    int to_guest)
{
	while (len) {
		struct pt_walk w;
		uint64_t room;
		size_t n;
		void *guest;

		if (pt_walk(m, cr3, gva, &w) != PTW_OK || (to_guest && !(w.user && w.writable)))
			return -1;
		room = (1ull << w.page_shift) - (gva & ((1ull << w.page_shift) - 1));
		n = len < room ? len : (size_t)room;
		guest = gmem_guest_ptr(m, w.gpa, n);
		if (!guest)
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
