/*
 * The device registry (see registry.h): a table from operation id to the device that
 * serves it and that device's state.  Modules are opened with dlopen(RTLD_NOW | RTLD_LOCAL)
 * and checked before anything else of theirs runs: the entry symbol, the ABI version, the
 * name, the op ids; then init with the spec's key=value pairs; then their op ids are
 * claimed (a taken one is an error).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

#define MAX_KEYS 16

struct slot {
	const struct pg_device *dev;
	void *state;
	char label[64]; /* NAME given on the command line, or the built-in's name */
};

static struct slot by_op[PG_DEVICE_MAX_OP + 1];
static bool builtins_added;

const struct pg_device *pg_builtin_device_sink(void);
const struct pg_device *pg_builtin_device_echo(void);
const struct pg_device *pg_builtin_device_pattern(void);

static int fail(char *err, size_t cap, const char *label, const char *what)
{
	snprintf(err, cap, "device %s: %s", label, what);
	return -1;
}

/* Check the table, init it, claim its ops. */
static int attach(const struct pg_device *dev, const char *label, const struct pg_device_config *cfg, char *err,
		  size_t cap)
{
	char why[256] = "";
	void *state = NULL;

	if (dev->abi_version != PG_DEVICE_ABI_VERSION) {
		snprintf(why, sizeof(why), "ABI version %u, pagegate speaks %u", dev->abi_version, PG_DEVICE_ABI_VERSION);
		return fail(err, cap, label, why);
	}
	if (!dev->name || !dev->execute || !dev->ops || !dev->nr_ops)
		return fail(err, cap, label, "incomplete callback table (name, ops or execute missing)");
	if (dev->init && dev->init(cfg, &state, why, sizeof(why)))
		return fail(err, cap, label, why[0] ? why : "init failed");
	if (!dev->init && cfg->n)
		return fail(err, cap, label, "takes no configuration");
	for (uint32_t i = 0; i < dev->nr_ops; i++) {
		uint32_t op = dev->ops[i];

		if (op == 0 || op > PG_DEVICE_MAX_OP || by_op[op].dev) {
			snprintf(why, sizeof(why), "operation id %u is %s", op,
				 op == 0 || op > PG_DEVICE_MAX_OP ? "out of range (1..63)" : "taken");
			if (op && op <= PG_DEVICE_MAX_OP && by_op[op].dev)
				snprintf(why + strlen(why), sizeof(why) - strlen(why), " by %s", by_op[op].label);
			for (uint32_t j = 0; j < i; j++)
				by_op[dev->ops[j]].dev = NULL;
			if (dev->teardown)
				dev->teardown(state);
			return fail(err, cap, label, why);
		}
		by_op[op] = (struct slot){ .dev = dev, .state = state };
		snprintf(by_op[op].label, sizeof(by_op[op].label), "%s", label);
	}
	return 0;
}

int devices_load(const char *spec, char *err, size_t cap)
{
	char buf[1024], *keys[MAX_KEYS], *values[MAX_KEYS], *path, *comma, *eq;
	struct pg_device_config cfg = { 0, (const char *const *)keys, (const char *const *)values };
	pg_device_entry_fn entry;
	void *handle;

	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strchr(buf, '=');
	if (!eq || eq == buf || !eq[1])
		return fail(err, cap, spec, "wants NAME=PATH[,key=value...]");
	*eq = 0;
	path = eq + 1;
	for (comma = strchr(path, ','); comma; comma = strchr(comma + 1, ',')) {
		char *kv = comma + 1, *sep = strchr(kv, '=');

		*comma = 0;
		if (!sep || sep == kv || cfg.n == MAX_KEYS)
			return fail(err, cap, buf, "configuration must be key=value pairs");
		*sep = 0;
		keys[cfg.n] = kv;
		values[cfg.n++] = sep + 1;
		comma = sep;
	}
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return fail(err, cap, buf, dlerror());
	*(void **)&entry = dlsym(handle, PG_DEVICE_ENTRY);
	if (!entry) {
		dlclose(handle);
		return fail(err, cap, buf, "no " PG_DEVICE_ENTRY "() in the module");
	}
	if (attach(entry(), buf, &cfg, err, cap)) {
		dlclose(handle);
		return -1;
	}
	return 0; /* the module stays loaded for the life of the process */
}

int devices_load_config(const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[1024], why[1024];
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, cap, "cannot read device configuration %s", path);
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		lineno++;
		p[strcspn(p, "#\r\n")] = 0;
		if (!*p)
			continue;
		if (strncmp(p, "device ", 7)) {
			snprintf(err, cap, "%s:%d: expected 'device NAME=PATH[,key=value...]'", path, lineno);
			rc = -1;
		} else if (devices_load(p + 7 + strspn(p + 7, " \t"), why, sizeof(why))) {
			snprintf(err, cap, "%s:%d: %s", path, lineno, why);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

int devices_add_builtins(char *err, size_t cap)
{
	const struct pg_device *builtins[] = { pg_builtin_device_sink(), pg_builtin_device_echo(),
					       pg_builtin_device_pattern() };
	struct pg_device_config none = { 0, NULL, NULL };

	if (builtins_added)
		return 0;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (attach(builtins[i], builtins[i]->name, &none, err, cap))
			return -1;
	builtins_added = true;
	return 0;
}

bool devices_serve(uint32_t op)
{
	return op <= PG_DEVICE_MAX_OP && by_op[op].dev;
}

const char *devices_name(uint32_t op)
{
	return devices_serve(op) ? by_op[op].label : NULL;
}

/* Devices are called from the vCPU thread (doorbells) and from the ring's I/O thread:
 * one call at a time, so a device needs no locking of its own. */
static pthread_mutex_t device_lock = PTHREAD_MUTEX_INITIALIZER;

int devices_execute(uint32_t op, const struct pg_device_input *in, struct pg_device_output *out)
{
	int rc;

	if (!devices_serve(op))
		return -2;
	pthread_mutex_lock(&device_lock);
	rc = by_op[op].dev->execute(by_op[op].state, op, in, out) ? -1 : 0;
	pthread_mutex_unlock(&device_lock);
	return rc;
}

bool devices_can_fill(uint32_t op)
{
	return devices_serve(op) && by_op[op].dev->fill;
}

int devices_fill(uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n)
{
	int rc;

	if (!devices_can_fill(op))
		return -2;
	pthread_mutex_lock(&device_lock);
	rc = by_op[op].dev->fill(by_op[op].state, op, offset, iov, n) ? -1 : 0;
	pthread_mutex_unlock(&device_lock);
	return rc;
}
