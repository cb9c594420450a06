/*
 * `pagegate micro`: the translation-bottleneck profiler (see micro.c).
 */
#ifndef PG_MICRO_H
#define PG_MICRO_H

#include "../vmm-min/vm.h"

int micro_main(int argc, char **argv, const struct vm_config *cfg);

#endif
