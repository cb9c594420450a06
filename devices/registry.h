/*
 * The VM's devices: the built-in sink, echo and pattern, and device modules loaded from
 * `--device NAME=PATH[,key=value...]` or a `--config FILE` (one `device NAME=PATH[,...]`
 * per line, # comments), like the thesis's VM reading its module list from its
 * registry.  Every operation id belongs to at most one device.  EXECUTE finds the device
 * of its operation here.
 */
#ifndef PG_DEVICE_REGISTRY_H
#define PG_DEVICE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include "device_abi.h"

/* Load a module from a spec NAME=PATH[,key=value...]; 0, or -1 with a message naming the
 * module in err (missing file, missing symbol, ABI version, init failure, taken op id). */
int devices_load(const char *spec, char *err, size_t cap);
/* Every `device` line of a configuration file; 0, or -1 with "FILE:LINE: ..." in err. */
int devices_load_config(const char *path, char *err, size_t cap);
/* The built-in devices, once (after the modules, so a module may not take their ids). */
int devices_add_builtins(char *err, size_t cap);

/* Run the device of op on one EXECUTE.  0, -1 if the device failed, -2 if no device
 * serves op. */
int devices_execute(uint32_t op, const struct pg_device_input *in, struct pg_device_output *out);
/* Whether op's device can defer its output (has fill()). */
bool devices_can_fill(uint32_t op);
/* Write bytes [offset, ...) of op's deferred output into the segments; 0, -1, -2 as above. */
int devices_fill(uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n);
bool devices_serve(uint32_t op);
/* "name" of the device serving op, or NULL. */
const char *devices_name(uint32_t op);

#endif
