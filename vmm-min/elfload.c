/*
 * Guest ELF loader (see elf.h).  Validation runs over all program headers first; copying
 * starts only once the whole image is known to be good.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "abi.h"
#include "elfload.h"

#define MAX_SEGMENTS 16

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return fail(err, errlen, "not an ELF file (too short or bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return fail(err, errlen, "not a little-endian x86-64 ELF executable");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_SEGMENTS * 4)
		return fail(err, errlen, "bad program header table (entry size %u, count %u)",
			    eh->e_phentsize, eh->e_phnum);
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return fail(err, errlen, "program header table lies past the end of the file");
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, size_t size, const struct guest_mem *m, char *err,
			 size_t errlen)
{
	if (ph->p_vaddr != ph->p_paddr)
		return fail(err, errlen, "segment at 0x%llx is not linked at its physical address (the VMM boots identity-mapped)",
			    (unsigned long long)ph->p_paddr);
	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen, "segment at 0x%llx: file size exceeds memory size",
			    (unsigned long long)ph->p_paddr);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return fail(err, errlen, "segment at 0x%llx: file range lies past the end of the file (truncated image?)",
			    (unsigned long long)ph->p_paddr);
	if (ph->p_paddr < PG_GUEST_LOAD_MIN || !gmem_ptr(m, ph->p_paddr, ph->p_memsz))
		return fail(err, errlen, "segment [0x%llx, +0x%llx) lies outside guest RAM [0x%llx, 0x%llx)",
			    (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			    (unsigned long long)PG_GUEST_LOAD_MIN, (unsigned long long)m->size);
	return 0;
}

static int overlaps(const Elf64_Phdr *a, const Elf64_Phdr *b)
{
	return a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz;
}

int elf_load(struct guest_mem *m, const void *image, size_t size, uint64_t *entry, char *err,
	     size_t errlen)
{
	const Elf64_Ehdr *eh = image;
	const Elf64_Phdr *load[MAX_SEGMENTS];
	int nload = 0, entry_ok = 0;

	if (check_header(eh, size, err, errlen))
		return -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)((const uint8_t *)image + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (nload == MAX_SEGMENTS)
			return fail(err, errlen, "more than %d loadable segments", MAX_SEGMENTS);
		if (check_segment(ph, size, m, err, errlen))
			return -1;
		for (int j = 0; j < nload; j++)
			if (overlaps(ph, load[j]))
				return fail(err, errlen, "segments at 0x%llx and 0x%llx overlap",
					    (unsigned long long)load[j]->p_paddr,
					    (unsigned long long)ph->p_paddr);
		entry_ok |= (ph->p_flags & PF_X) && eh->e_entry >= ph->p_paddr &&
			    eh->e_entry - ph->p_paddr < ph->p_memsz;
		load[nload++] = ph;
	}
	if (!nload)
		return fail(err, errlen, "no loadable segment");
	if (!entry_ok)
		return fail(err, errlen, "entry point 0x%llx is not inside an executable segment",
			    (unsigned long long)eh->e_entry);
	for (int j = 0; j < nload; j++) {
		uint8_t *dst = gmem_ptr(m, load[j]->p_paddr, load[j]->p_memsz);

		memcpy(dst, (const uint8_t *)image + load[j]->p_offset, load[j]->p_filesz);
		memset(dst + load[j]->p_filesz, 0, load[j]->p_memsz - load[j]->p_filesz);
	}
	*entry = eh->e_entry;
	return 0;
}
