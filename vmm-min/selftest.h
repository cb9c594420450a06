/*
 * The self-test command (see selftest.c).
 */
#ifndef PG_SELFTEST_H
#define PG_SELFTEST_H

#include "vm.h"

/* Boot, check, calibrate; 0 if every check passed, 1 otherwise. */
int selftest_main(const struct vm_config *cfg);

#endif
