/*
 * The device-module ABI (thesis chapter 3): a paravirtual device's host half is a shared
 * object the VM loads with dlopen, found through one exported function,
 * pg_device_entry(), that returns the device's callback table.  The table carries the ABI
 * version it was built against, the device's name, the operation ids it serves, and
 * init (with key=value configuration), execute (one EXECUTE: the whole input, and an
 * output writer) and teardown.  The built-in devices use the same table, compiled in.
 */
#ifndef PG_DEVICE_ABI_H
#define PG_DEVICE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define PG_DEVICE_ABI_VERSION 1
#define PG_DEVICE_ENTRY "pg_device_entry"
#define PG_DEVICE_MAX_OP 63 /* operation ids 1..63; 0 is the null doorbell */

struct pg_device_config {
	int n;
	const char *const *keys, *const *values;
};

/* The output of one EXECUTE: reserve(out, len) returns room for len bytes (the whole
 * output), or NULL if that is more than the host allows. */
struct pg_device_output {
	uint8_t *(*reserve)(struct pg_device_output *out, uint64_t len);
	void *opaque;
};

struct pg_device {
	uint32_t abi_version; /* PG_DEVICE_ABI_VERSION */
	const char *name;
	uint32_t nr_ops;
	const uint32_t *ops;
	/* 0, or -1 with a reason in err; *state is handed to execute and teardown. */
	int (*init)(const struct pg_device_config *cfg, void **state, char *err, size_t cap);
	/* 0, or -1 if the input is malformed or the output cannot be had. */
	int (*execute)(void *state, uint32_t op, const uint8_t *in, uint64_t len, struct pg_device_output *out);
	void (*teardown)(void *state);
};

typedef const struct pg_device *(*pg_device_entry_fn)(void);

/* In a device's source: PG_DEVICE_EXPORT(table, name) makes pg_device_entry() for a
 * module (-DPG_DEVICE_MODULE) or pg_builtin_device_<name>() when compiled into pagegate. */
#ifdef PG_DEVICE_MODULE
#define PG_DEVICE_EXPORT(table, name)                                     \
	const struct pg_device *pg_device_entry(void);                    \
	const struct pg_device *pg_device_entry(void) { return &(table); }
#else
#define PG_DEVICE_EXPORT(table, name)                                          \
	const struct pg_device *pg_builtin_device_##name(void);                \
	const struct pg_device *pg_builtin_device_##name(void) { return &(table); }
#endif

#endif
