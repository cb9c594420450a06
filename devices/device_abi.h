/*
 * The device-module ABI (thesis chapter 3): a paravirtual device's host half is a shared
 * object the VM loads with dlopen, found through one exported function,
 * pg_device_entry(), that returns the device's callback table.  The table carries the ABI
 * version it was built against, the device's name, the operation ids it serves, and
 * init (with key=value configuration), execute (one EXECUTE: the input as segments, and
 * an output writer), the optional fill (write a deferred output straight into the guest's
 * pages) and teardown.  The built-in devices use the same table, compiled in.
 *
 * Delivery.  With `copy` delivery the transport has gathered the guest's bytes into one
 * host buffer: the input is one segment, and the output is reserved in a host buffer the
 * transport scatters into the guest's pages later.  With `iov` delivery (zero host
 * copies) the input segments point into guest memory, page by page as the transport
 * translated them, and a device with fill() may defer its output: the host then calls
 * fill() with the guest's destination pages as the guest receives them.  Guest memory is
 * the guest's: it may change between SEND and EXECUTE, so a device reads each input byte
 * once where that matters and trusts none of it.
 */
#ifndef PG_DEVICE_ABI_H
#define PG_DEVICE_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include "../transports/doorbell_abi.h"

#define PG_DEVICE_ABI_VERSION 2
#define PG_DEVICE_ENTRY "pg_device_entry"
#define PG_DEVICE_MAX_OP 63 /* operation ids 1..63; 0 is the null doorbell */

struct pg_device_config {
	int n;
	const char *const *keys, *const *values;
};

/* The input of one EXECUTE: len bytes laid over n segments, in order. */
struct pg_device_input {
	const struct iovec *iov;
	uint32_t n;
	uint64_t len;
};

/* The output of one EXECUTE: reserve(out, len) returns room for len bytes (the whole
 * output), or NULL if that is more than the host allows.  defer is NULL with copy
 * delivery; with iov delivery a device that has fill() may call defer(out, len) instead
 * (0, or -1 if len is more than allowed): fill() will produce the len bytes later. */
struct pg_device_output {
	uint8_t *(*reserve)(struct pg_device_output *out, uint64_t len);
	int (*defer)(struct pg_device_output *out, uint64_t len);
	void *opaque;
};

struct pg_device {
	uint32_t abi_version; /* PG_DEVICE_ABI_VERSION */
	const char *name;
	uint32_t nr_ops;
	const uint32_t *ops;
	/* 0, or -1 with a reason in err; *state is handed to the other callbacks. */
	int (*init)(const struct pg_device_config *cfg, void **state, char *err, size_t cap);
	/* 0, or -1 if the input is malformed or the output cannot be had. */
	int (*execute)(void *state, uint32_t op, const struct pg_device_input *in, struct pg_device_output *out);
	/* Optional.  Write bytes [offset, offset + the segments' total) of the output op's
	 * last EXECUTE deferred into the n segments; 0 or -1. */
	int (*fill)(void *state, uint32_t op, uint64_t offset, const struct iovec *iov, uint32_t n);
	void (*teardown)(void *state);
};

typedef const struct pg_device *(*pg_device_entry_fn)(void);

/* Copy len bytes of the input from byte `from` on into dst; 0, or -1 if the input — its
 * length or its segments — is shorter (dst may then be partly written). */
static inline int pg_input_read(const struct pg_device_input *in, uint64_t from, void *dst, uint64_t len)
{
	uint8_t *d = (uint8_t *)dst;

	if (from > in->len || len > in->len - from)
		return -1;
	for (uint32_t i = 0; i < in->n && len; i++) {
		uint64_t seg = in->iov[i].iov_len, n;

		if (from >= seg) {
			from -= seg;
			continue;
		}
		n = seg - from < len ? seg - from : len;
		memcpy(d, (const uint8_t *)in->iov[i].iov_base + from, n);
		d += n;
		len -= n;
		from = 0;
	}
	return len ? -1 : 0;
}

/* pg_checksum of the input's bytes as if they were one buffer (words straddling
 * segments included). */
static inline uint64_t pg_input_checksum(const struct pg_device_input *in)
{
	uint64_t h = PG_CHECKSUM_INIT;
	uint8_t carry[8];
	unsigned ncarry = 0;

	for (uint32_t i = 0; i < in->n; i++) {
		const uint8_t *p = (const uint8_t *)in->iov[i].iov_base;
		uint64_t left = in->iov[i].iov_len, whole;

		if (!left) /* an empty segment may have no base at all */
			continue;
		while (ncarry && left) { /* finish the word the last segment began */
			carry[ncarry++] = *p++;
			left--;
			if (ncarry == 8) {
				h = pg_checksum(h, carry, 8);
				ncarry = 0;
			}
		}
		if (ncarry) /* the segment ended inside the word */
			continue;
		whole = left & ~7ull;
		h = pg_checksum(h, p, whole);
		memcpy(carry, p + whole, left - whole);
		ncarry = (unsigned)(left - whole);
	}
	return pg_checksum(h, carry, ncarry);
}

/* Copy bytes [offset, offset + segments' total) of a source made of `nparts` parts
 * (parts[i] of part_len[i] bytes, laid end to end) into the segments; 0, or -1 if the
 * source is shorter.  What fill() of a device that keeps its output in memory does. */
static inline int pg_iov_fill_from(const struct iovec *iov, uint32_t n, uint64_t offset,
				   const uint8_t *const *parts, const uint64_t *part_len, unsigned nparts)
{
	unsigned p = 0;

	while (p < nparts && offset >= part_len[p])
		offset -= part_len[p++];
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *d = (uint8_t *)iov[i].iov_base;
		uint64_t want = iov[i].iov_len;

		while (want) {
			uint64_t k;

			if (p == nparts)
				return -1;
			k = part_len[p] - offset < want ? part_len[p] - offset : want;
			memcpy(d, parts[p] + offset, k);
			d += k;
			want -= k;
			offset += k;
			if (offset == part_len[p])
				p++, offset = 0;
		}
	}
	return 0;
}

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
