/*
 * Loader of the guest's static ELF64 image into guest RAM.  Every header field the image
 * supplies is checked before a byte is copied: class, machine, type, program-header table
 * inside the file, each PT_LOAD's file range inside the file, its memory range inside
 * [PG_GUEST_LOAD_MIN, RAM) and not overlapping another, and the entry point inside an
 * executable segment.
 */
#ifndef PG_ELFLOAD_H
#define PG_ELFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include "gmem.h"

/* Load image into m; 0 and *entry on success, -1 with a reason in err otherwise (guest RAM
 * is left untouched on failure). */
int elf_load(struct guest_mem *m, const void *image, size_t size, uint64_t *entry, char *err,
	     size_t errlen);

#endif
