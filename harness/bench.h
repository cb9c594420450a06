/*
 * `pagegate bench`: Table 7.1 of the thesis measured here (see bench.c).
 */
#ifndef PG_BENCH_H
#define PG_BENCH_H

#include "../vmm-min/vm.h"

int bench_main(int argc, char **argv, const struct vm_config *cfg);

#endif
