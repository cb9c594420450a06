/*
 * What the tests share: where the build is (PAGEGATE_BUILD, default "build"), the guest
 * image in it, running the pagegate command and capturing its output, reading a CSV of a
 * run folder, and whether /dev/kvm is usable (with the reason printed once when it is not,
 * so the tests that need it skip with a reason).  Include it after cmocka.h.
 */
#ifndef PG_TESTLIB_H
#define PG_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../harness/csv.h"

static inline const char *test_build_dir(void)
{
	return getenv("PAGEGATE_BUILD") ? getenv("PAGEGATE_BUILD") : "build";
}

/* dir/name read as a CSV table; the test fails if it cannot be. */
static inline struct csv *test_read_csv(const char *dir, const char *name)
{
	char path[600], err[700];
	struct csv *t;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	t = csv_read(path, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	return t;
}

static inline const char *test_guest_path(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/guest-bench.elf", test_build_dir());
	return path;
}

/* Run a shell command with its stderr joined to stdout: the exit status (128 + signal if
 * it was killed, -1 if it could not start) and up to cap - 1 bytes of its output. */
static inline int test_capture(const char *cmd, char *out, size_t cap)
{
	char full[2048];
	FILE *p;
	size_t n;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	out[0] = 0;
	p = popen(full, "r");
	if (!p)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* True if /dev/kvm opens; otherwise prints why the KVM tests of `suite` are skipped —
 * or, under CI=true, exits with status 1: there a KVM test that cannot run is a failure
 * (make test runs them natively or inside the emulated VM, tests/vm/vmrun).  A test that
 * skips must do so before it takes anything: cmocka's skip() leaves the function. */
static inline bool test_kvm_usable(const char *suite)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	const char *ci = getenv("CI");

	if (fd < 0 && ci && !strcmp(ci, "true")) {
		printf("%s: FAILED: CI=true and the KVM tests cannot run: /dev/kvm: %s\n", suite, strerror(errno));
		exit(1);
	}
	if (fd < 0) {
		printf("%s: skipping the KVM tests: /dev/kvm: %s\n", suite, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

#endif
