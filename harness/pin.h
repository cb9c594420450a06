/*
 * Pinning with hwloc: the VMM's one thread runs the vCPU (KVM_RUN) and the exit
 * handlers, so it is that thread that is bound.  The topology is recorded as hwloc's
 * synthetic description for the dataset's metadata.
 */
#ifndef PG_PIN_H
#define PG_PIN_H

#include <stddef.h>

struct pin_info {
	char topology[256]; /* hwloc synthetic topology */
	char map[128];      /* what ran where, e.g. "vcpu0+main: PU#1" or "unpinned" */
	char hwloc_version[16];
};

/* spec: "auto" (the last PU, leaving PU#0 to the rest of the system), "none", or a PU
 * number.  0, or -1 with a message in err. */
int pin_current_thread(const char *spec, struct pin_info *out, char *err, size_t cap);

#endif
