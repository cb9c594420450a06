/*
 * The contract between vmm-min and any guest it runs, in one header included by both
 * sides: the guest-physical memory map the VMM sets up, the parameter block it hands the
 * guest, the I/O ports, and the control-port protocol (SYNC / DONE / ABORT / CHECK /
 * REPORT, in the spirit of the KVM selftests' ucall).  A control call is an OUT to
 * PG_PORT_CONTROL with the command in RAX and arguments in RDI, RSI, R8, R9; the VMM
 * reads them through KVM_CAP_SYNC_REGS and answers in RAX.  Guest pointers passed here
 * are guest-virtual and are translated and bounds-checked by the VMM.
 */
#ifndef PG_ABI_H
#define PG_ABI_H

#include <stdint.h>

#define PG_ABI_VERSION 1
#define PG_PARAMS_MAGIC 0x70616765676174ull /* "pagegat" */

/* Guest-physical memory map.  [0, PG_GUEST_LOAD_MIN) belongs to the VMM. */
#define PG_BOOT_GDT_GPA 0x1000ull
#define PG_BOOT_PML4_GPA 0x2000ull
#define PG_BOOT_PDPT_GPA 0x3000ull
#define PG_BOOT_PD_GPA 0x4000ull /* one PD per GiB of RAM, 2 MiB pages */
#define PG_BOOT_MAX_GIB 64
#define PG_PARAMS_GPA 0x80000ull
#define PG_GUEST_LOAD_MIN 0x100000ull /* ELF segments must load at or above 1 MiB */

/* Guest-virtual layout owned by the guest kernel (recorded here so the host can check it). */
#define PG_USER_IMAGE_VA 0x600000ull       /* ring-3 image: [6 MiB, 8 MiB), identity */
#define PG_USER_IMAGE_END 0x800000ull
#define PG_BUF_VA 0x0000070000000000ull    /* demand-paged buffer region, below 2^44 */
#define PG_BUF_MAX_BYTES (1ull << 30)

#define PG_NOTIFY_VECTOR 0x40 /* the host's notification interrupt (KVM_INTERRUPT) */
#define PG_PORT_CONSOLE 0x3f8 /* COM1 transmit register */
#define PG_PORT_CONTROL 0x500
#define PG_PORT_DOORBELL 0x510

enum pg_mode {
	PG_MODE_SELFTEST = 1,   /* run every self-check and the calibration */
	PG_MODE_ASSERT = 2,     /* fail a guest assert on purpose (tests) */
	PG_MODE_EXCEPTION = 3,  /* raise #UD in ring 3 on purpose (tests) */
	PG_MODE_TOUCH = 4,      /* touch arg[0] buffer pages, SYNC their range (tests) */
	PG_MODE_SERVE = 5,      /* run transfers the host hands out (SYNC NEXT / RESULT) */
	PG_MODE_MICRO = 6,      /* map, spin or stop as the host's microbenchmarks ask (SYNC MICRO_*) */
	PG_MODE_HOSTILE = 7,    /* attack the VMM through every transport, CHECK each answer (tests) */
	PG_MODE_NOTIFY = 8,     /* arg[0] rounds of host -> guest notification: interrupt, then polling */
	PG_MODE_CAMERA = 9,     /* frames on interrupt: transport arg[0], at most arg[1] bytes, device op arg[2] */
};

enum pg_frame_policy {
	PG_FRAMES_CONTIGUOUS = 0,
	PG_FRAMES_SCATTERED = 1, /* seeded permutation of the frame pool */
};

/* Written by the VMM at PG_PARAMS_GPA before the first KVM_RUN. */
struct pg_params {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t mode;
	uint64_t ram_bytes;
	uint32_t buf_page_shift; /* PAGE_SHIFT_4K or PAGE_SHIFT_2M */
	uint32_t frame_policy;
	uint64_t seed;
	uint64_t arg[6];
};

enum pg_ctl_cmd {
	PG_CTL_SYNC = 1,   /* RDI tag, RSI/R8/R9 values; RAX back from the host's hook */
	PG_CTL_DONE = 2,   /* RDI status (0 = success) */
	PG_CTL_ABORT = 3,  /* RDI = GVA of struct pg_abort_info */
	PG_CTL_CHECK = 4,  /* RDI = GVA of a name, RSI = passed (0/1), R8 = GVA of detail or 0 */
	PG_CTL_REPORT = 5, /* RDI = GVA of a metric name, RSI = value, R8 = GVA of unit ("tsc": ticks) */
};

/* SYNC tags the host understands. */
enum pg_sync_tag {
	PG_SYNC_KERNEL_UP = 1, /* RSI = guest TSC at kernel entry */
	PG_SYNC_USER_UP = 2,   /* RSI = guest TSC at ring-3 entry */
	PG_SYNC_ECHO = 3,      /* host answers RSI + 1 */
	PG_SYNC_PAGES = 4,     /* RSI = first GVA, R8 = page count, R9 = shift | policy << 8: host checks */
	PG_SYNC_NULL_RING = 5, /* RSI = guest TSC at the OUT, R8 = guest TSC after the previous ring */
	PG_SYNC_NEXT = 6,      /* RSI = GVA of a struct pg_cmd for the host to fill; RAX 1 = filled, 0 = stop */
	PG_SYNC_RESULT = 7,    /* RSI = GVA of the struct pg_result of the last command */
	PG_SYNC_WINDOW_BEGIN = 8, /* the timed part of a transfer starts: host stage times restart */
	PG_SYNC_WINDOW_END = 9,   /* ... and ends; RSI = guest TSC when the last doorbell returned,
				   * R8, R9 = one request's data (address, bytes) for the paired gather */
	PG_SYNC_MICRO_READY = 10, /* micro mode is up: the host runs its benchmarks from here */
	PG_SYNC_MICRO_REQ = 11,   /* RSI = GVA of a struct pg_micro_req, R8/R9 = the last BUSY's beats and
				   * sum of their squares (0/0 if none); RAX = what to do (0: ask again) */
	PG_SYNC_MICRO_SPIN = 12,  /* a null round trip; RAX 1 = spin on, 0 = stop */
	PG_SYNC_NOTIFY_SEEN = 13, /* RSI = guest TSC when the process saw a notification, R8 = method (0 irq, 1 poll) */
	PG_SYNC_POLL_READY = 14,  /* RSI = GVA of the polled word: the host may start writing it */
	PG_SYNC_CAMERA_FRAME = 15, /* RSI = guest TSC with the frame in, R8 = its sequence, R9 = checksum ok; RAX 1 = go on */
};

enum pg_micro_what {
	PG_MICRO_MAP = 1,  /* buffer region: page size, frame policy, seed; touch `pages` 4 KiB pages */
	PG_MICRO_SPIN = 2, /* SYNC MICRO_SPIN until answered 0 */
	PG_MICRO_DONE = 3,
	PG_MICRO_BUSY = 4, /* ring 3, no exit: beat 1, 2, ... n until spin_ticks of guest TSC passed */
};

/* The host writes the fields before `beat` (offsetof(struct pg_micro_req, beat) bytes);
 * `beat` is the guest's alone: during a BUSY it holds the beats so far, so a host thread
 * that sees it change knows the guest is running. */
struct pg_micro_req {
	uint32_t page_shift, frame_policy;
	uint64_t seed, pages;
	uint64_t spin_ticks;
	uint64_t beat;
};

/* One transfer the host asks the serving guest to make (PG_MODE_SERVE). */
/* Each kind uses a built-in device, or cmd.op's device if set, which must answer alike. */
enum pg_cmd_kind {
	PG_CMD_SEND = 1, /* buffer -> sink (SEND timed); the device answers its input's checksum */
	PG_CMD_RECV = 2, /* request (u64 length, u64 data_seed) -> pattern -> buffer (RECEIVE timed), checked */
	PG_CMD_CALL = 3, /* buffer -> echo -> second buffer (all timed), compared byte for byte */
	PG_CMD_NULL_RINGS = 5, /* `bytes` null doorbells (op PG_OP_NULL); guest_ticks = median round trip */
	PG_CMD_STREAM = 6, /* one-shot transports: `requests` sends of `bytes` to the sink, `qd` in flight */
};


struct pg_cmd {
	uint32_t kind;
	uint32_t transport;    /* transport id */
	uint64_t bytes;
	uint64_t offset;       /* of the buffer from the start of its 2 MiB-aligned slot */
	uint32_t cold;         /* 1: unmap the region first, so the transfer takes every fault */
	uint32_t page_shift;   /* buffer pages: PAGE_SHIFT_4K or PAGE_SHIFT_2M */
	uint32_t frame_policy;
	uint32_t translate;    /* host only: translation method */
	uint32_t timing_off;   /* host only: no stage timing for this transfer */
	uint32_t op;           /* the operation (0: the kind's built-in one) */
	uint32_t delivery;     /* host only: DELIVER_COPY or DELIVER_IOV (transports/transport.h) */
	uint32_t through_device; /* 1: the timed part of a send or receive includes its EXECUTE */
	uint64_t frame_seed;
	uint64_t data_seed;
	/* the ring transport (transports/ring/ring.h): queue size (0: default), addressing,
	 * notification mode, the I/O thread's spin budget; a stream's depth and length; how
	 * the guest learns of completions (RING_COMPLETE_*) */
	uint32_t ring_q, ring_addressing, ring_notify, qd;
	uint64_t ring_spin_ns, requests;
	uint32_t ring_complete, reserved;
};

#define PG_LAT_BUCKETS 128 /* of struct pg_result's latency histogram */
#define PG_RESULT_MISMATCH 100 /* transfer said OK but the data differ */
#define PG_RESULT_BADCMD 101   /* the guest could not run the command */

struct pg_result {
	uint64_t status;      /* PG_DB_* of the transfer, or PG_RESULT_* */
	uint64_t guest_ticks; /* guest TSC over the timed part */
	uint64_t faults;      /* demand-paging faults during the timed part */
	uint64_t bad_offset;  /* first byte that differs, or ~0 */
	uint64_t checksum;    /* the guest's checksum of the data it sent or received */
	/* one-shot transports: requests completed, their submit -> seen latency (guest
	 * ticks) at p50 and p99, and the host's stage stamps summed over them (queue:
	 * submit -> picked up, translate, copy, device, complete: the rest until done,
	 * notice: done -> seen by the guest); clock_bad counts requests whose stamps were not
	 * in order submit <= picked <= done <= seen (then the stamps are not used) */
	uint64_t requests, lat_p50, lat_p99;
	uint64_t queue_ticks, translate_ticks, copy_ticks, device_ticks, complete_ticks, notice_ticks;
	uint64_t clock_bad;
	uint64_t halts; /* one-shot transports: times the guest halted for a completion */
	/* one-shot streams: how many requests' latencies fell in each bucket (pg_lat_bucket);
	 * the host uses them only if they add up to `requests` and that is at most what it
	 * asked for */
	uint32_t lat_hist[PG_LAT_BUCKETS];
};

/* The latency histogram's buckets, in guest TSC ticks: 0-3 one tick each, then four per
 * octave (bucket 4 * (e - 1) + m holds [(4 + m) << (e - 2), (5 + m) << (e - 2)) for
 * e = floor(log2(ticks)) >= 2), so a bucket is at most 25 % wide; the last one also holds
 * everything longer (2^33 ticks and more: seconds).  Integer-only, for the guest. */
static inline uint32_t pg_lat_bucket(uint64_t ticks)
{
	uint32_t e, b;

	if (ticks < 4)
		return (uint32_t)ticks;
	e = 63u - (uint32_t)__builtin_clzll(ticks);
	b = 4 * (e - 1) + (uint32_t)((ticks >> (e - 2)) & 3);
	return b < PG_LAT_BUCKETS ? b : PG_LAT_BUCKETS - 1;
}

/* The first tick count of bucket b (b < PG_LAT_BUCKETS); bucket b ends where b + 1 starts. */
static inline uint64_t pg_lat_bucket_start(uint32_t b)
{
	return b < 4 ? b : (4ull + b % 4) << (b / 4 - 1);
}

/* Answers in RAX. */
#define PG_CTL_OK 0
#define PG_CTL_EINVAL 1
#define PG_CTL_EFAULT 2

#define PG_ABORT_MSG_MAX 256

struct pg_abort_info {
	uint64_t file_gva;
	uint64_t msg_gva;
	uint32_t line;
	uint32_t has_exception;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cr2;
	uint64_t cs;
};

#endif
