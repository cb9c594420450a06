/*
 * What the KVM tests share: where the build is (PAGEGATE_BUILD, default "build"), the
 * guest image in it, and whether /dev/kvm is usable (with the reason printed once when
 * it is not, so the tests that need it skip with a reason).
 */
#ifndef PG_TESTLIB_H
#define PG_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *test_build_dir(void)
{
	return getenv("PAGEGATE_BUILD") ? getenv("PAGEGATE_BUILD") : "build";
}

static inline const char *test_guest_path(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/guest-bench.elf", test_build_dir());
	return path;
}

/* True if /dev/kvm opens; otherwise prints why the KVM tests of `suite` are skipped. */
static inline bool test_kvm_usable(const char *suite)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("%s: skipping the KVM tests: /dev/kvm: %s\n", suite, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

#endif
