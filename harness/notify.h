/*
 * `pagegate notify`: host -> guest notification latency, interrupt against polling.
 */
#ifndef PG_NOTIFY_H
#define PG_NOTIFY_H

#include "../vmm-min/vm.h"

int notify_main(int argc, char **argv, const struct vm_config *cfg);

#endif
