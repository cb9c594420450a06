/*
 * The guest ELF loader: a good image loads byte for byte with its .bss zeroed; truncated,
 * overlapping, out-of-RAM, below-1-MiB, non-identity and bad-entry images are rejected
 * with a reason and leave guest RAM untouched; the real guest image loads.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "abi.h"
#include "elfload.h"
#include "testlib.h"

#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif
#define RAM (32ull << 20)

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t payload[2][256];
};

static struct guest_mem mem;
static char err[256];

static int setup(void **state)
{
	(void)state;
	mem.hva = malloc(RAM);
	memset(mem.hva, 0xee, RAM);
	mem.size = RAM;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem.hva);
	return 0;
}

/* Two segments: code at 1 MiB (entry inside), data at 2 MiB with 4 KiB of .bss. */
static struct image good_image(void)
{
	struct image img;

	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_entry = 0x100010;
	img.eh.e_phoff = offsetof(struct image, ph);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 2;
	for (int i = 0; i < 2; i++) {
		img.ph[i].p_type = PT_LOAD;
		img.ph[i].p_flags = i ? PF_R | PF_W : PF_R | PF_X;
		img.ph[i].p_offset = offsetof(struct image, payload) + 256 * (size_t)i;
		img.ph[i].p_paddr = img.ph[i].p_vaddr = 0x100000ull * (i + 1);
		img.ph[i].p_filesz = 256;
		img.ph[i].p_memsz = i ? 256 + 4096 : 256;
		memset(img.payload[i], 0x11 * (i + 1), 256);
	}
	return img;
}

static void expect_rejected(const struct image *img, size_t size, const char *reason)
{
	uint64_t entry = 0;

	assert_int_equal(elf_load(&mem, img, size, &entry, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		fail_msg("reason \"%s\" does not mention \"%s\"", err, reason);
	for (uint64_t a = PG_GUEST_LOAD_MIN; a < 0x300000; a += 4096)
		assert_int_equal(mem.hva[a], 0xee); /* nothing was copied */
}

static void test_good_image(void **state)
{
	struct image img = good_image();
	uint64_t entry = 0;

	(void)state;
	assert_int_equal(elf_load(&mem, &img, sizeof(img), &entry, err, sizeof(err)), 0);
	assert_int_equal(entry, 0x100010);
	assert_memory_equal(mem.hva + 0x100000, img.payload[0], 256);
	assert_memory_equal(mem.hva + 0x200000, img.payload[1], 256);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(mem.hva[0x200100 + i], 0);
	assert_int_equal(mem.hva[0x200100 + 4096], 0xee);
}

static void test_truncated(void **state)
{
	struct image img = good_image();

	(void)state;
	expect_rejected(&img, sizeof(img) - 1, "past the end of the file");
	expect_rejected(&img, offsetof(struct image, ph) + 10, "program header table");
	expect_rejected(&img, 20, "not an ELF file");
}

static void test_overlapping(void **state)
{
	struct image img = good_image();

	(void)state;
	img.ph[1].p_paddr = img.ph[1].p_vaddr = 0x100080;
	expect_rejected(&img, sizeof(img), "overlap");
}

static void test_outside_ram(void **state)
{
	struct image img = good_image();

	(void)state;
	img.ph[1].p_paddr = img.ph[1].p_vaddr = RAM - 0x100;
	expect_rejected(&img, sizeof(img), "outside guest RAM");
	img = good_image();
	img.ph[1].p_memsz = ~0ull - 0x10; /* size that wraps around */
	expect_rejected(&img, sizeof(img), "outside guest RAM");
	img = good_image();
	img.ph[0].p_paddr = img.ph[0].p_vaddr = 0x80000; /* the VMM's boot area */
	img.eh.e_entry = 0x80010;
	expect_rejected(&img, sizeof(img), "outside guest RAM");
}

static void test_bad_fields(void **state)
{
	struct image img = good_image();

	(void)state;
	img.eh.e_entry = 0x200010; /* inside the data segment, not code */
	expect_rejected(&img, sizeof(img), "entry point");
	img = good_image();
	img.ph[0].p_vaddr = 0xffffffff80100000ull;
	expect_rejected(&img, sizeof(img), "physical address");
	img = good_image();
	img.ph[0].p_filesz = 512;
	expect_rejected(&img, sizeof(img), "file size exceeds memory size");
	img = good_image();
	img.eh.e_machine = EM_AARCH64;
	expect_rejected(&img, sizeof(img), "x86-64");
}

static void test_real_guest_image(void **state)
{
	const char *path = test_guest_path();
	uint64_t entry = 0;
	long size;
	void *data;
	FILE *f;

	(void)state;
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run the tests with `make test`)", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc((size_t)size);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	assert_int_equal(elf_load(&mem, data, (size_t)size, &entry, err, sizeof(err)), 0);
	assert_in_range(entry, PG_GUEST_LOAD_MIN, PG_USER_IMAGE_VA - 1);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_guest_image, setup, teardown),
	};

	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
