/*
 * The doorbell every transport shares, guest and host: the thesis's "Open ToolsGate"
 * arguments in registers, one port per transport (PG_PORT_DOORBELL + transport id), the
 * operation states, the status codes, the operation ids of the built-in handlers and
 * the deterministic data pattern and checksum both sides use to check transfers byte
 * for byte.  A transport's own header adds only what its doorbell carries beyond this.
 *
 * Registers at the doorbell (OUT %al to the transport's port):
 *   RAX  state: PG_DB_SEND / PG_DB_EXECUTE / PG_DB_RECEIVE        -> status back
 *   RDI  guest-virtual address (a piece, a page list or a range, per transport)
 *   RSI  bytes described by this doorbell                          -> bytes moved
 *   R8   total bytes of the operation (SEND: input; RECEIVE: room)  -> output bytes
 *   R9   operation id
 *   RCX  transport-specific extra word (0 if unused)
 *   R10  guest TSC at the doorbell
 *   R11  guest TSC when the previous doorbell returned (0 if none)
 */
#ifndef PG_DOORBELL_ABI_H
#define PG_DOORBELL_ABI_H

#include <stdint.h>

#define PG_DB_PORT(transport_id) (0x510 + (transport_id))
#define PG_MAX_TRANSPORTS 8

enum pg_db_state {
	PG_DB_SEND = 1,    /* append guest data to the operation's input */
	PG_DB_EXECUTE = 2, /* input complete: run the operation's handler */
	PG_DB_RECEIVE = 3, /* hand the guest the next part of the handler's output */
};

enum pg_db_status {
	PG_DB_OK = 0,
	PG_DB_RETRY = 1,      /* a page fault was injected; ring again with the same arguments */
	PG_DB_EINVAL = 2,     /* malformed request: bad state, size, count or address */
	PG_DB_EFAULT = 3,     /* a guest page is not usable (outside RAM, reserved bits, wrong rights) */
	PG_DB_ENOOP = 4,      /* unknown operation id */
	PG_DB_ESTATE = 5,     /* state out of order (EXECUTE before all input, RECEIVE before EXECUTE) */
	PG_DB_ENOMEM = 6,     /* operation larger than the host allows */
	PG_DB_EAGAIN = 7,     /* a page stayed absent after repeated faults */
	PG_DB_EHANDLER = 8,   /* the operation's device failed */
};

/* Operation ids of the built-in devices (devices/); modules serve others, up to 63. */
enum pg_op_id {
	PG_OP_NULL = 0,    /* answered OK at once: the null doorbell of the calibration */
	PG_OP_SINK = 1,    /* consume the input; output: its 8-byte checksum */
	PG_OP_ECHO = 2,    /* output = input */
	PG_OP_PATTERN = 3, /* input: u64 length, u64 seed; output: that many pattern bytes */
};

/* Byte i of the pattern with this seed (words of splitmix64, little-endian). */
static inline uint64_t pg_pattern_word(uint64_t seed, uint64_t word_index)
{
	uint64_t z = seed + (word_index + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint8_t pg_pattern_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(pg_pattern_word(seed, i >> 3) >> (8 * (i & 7)));
}

/* Fill / check bytes [from, from + n) of the pattern, a whole word at a time where
 * aligned (x86 is little-endian, as the pattern); check returns the first bad index
 * relative to buf, or n if all match. */
static inline void pg_pattern_fill(uint8_t *buf, uint64_t from, uint64_t n, uint64_t seed)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t w = pg_pattern_word(seed, (from + i) >> 3);

		if (!((from + i) & 7) && n - i >= 8) {
			__builtin_memcpy(buf + i, &w, 8);
			i += 8;
			continue;
		}
		for (unsigned b = (from + i) & 7; b < 8 && i < n; b++, i++)
			buf[i] = (uint8_t)(w >> (8 * b));
	}
}

static inline uint64_t pg_pattern_check(const uint8_t *buf, uint64_t from, uint64_t n, uint64_t seed)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t w = pg_pattern_word(seed, (from + i) >> 3), got;

		if (!((from + i) & 7) && n - i >= 8) {
			__builtin_memcpy(&got, buf + i, 8);
			if (got == w) {
				i += 8;
				continue;
			}
		}
		for (unsigned b = (from + i) & 7; b < 8 && i < n; b++, i++)
			if (buf[i] != (uint8_t)(w >> (8 * b)))
				return i;
	}
	return n;
}

/* FNV-1a-style checksum over 8-byte words (then the tail bytes), continued from `h`
 * (start with PG_CHECKSUM_INIT); about 8x faster than byte-wise FNV-1a. */
#define PG_CHECKSUM_INIT 0xcbf29ce484222325ull
static inline uint64_t pg_checksum(uint64_t h, const uint8_t *buf, uint64_t n)
{
	uint64_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		__builtin_memcpy(&w, buf + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

#endif
