/*
 * ABI of the ring transport, shared by the guest and the host: a virtio 1.x split
 * virtqueue in guest memory (descriptor table, available ring, used ring; Q a power of
 * two, indices free-running 16-bit), served by a host I/O thread instead of a VM exit
 * per request.  A request is one descriptor chain: a device-readable header (struct
 * ring_req), the device-readable input buffers, the device-writable output buffers, and
 * a device-writable status (struct ring_status) last.  The guest sets the ring up, and
 * registers buffers, with doorbells on the ring's port (registers below); afterwards it
 * rings that port only to kick a sleeping I/O thread (AL = RING_KICK, which an ioeventfd
 * takes without leaving KVM), and only when avail_event asks for it (EVENT_IDX).
 * Completions are reaped from the used ring by polling it (RING_COMPLETE_POLL), or, with
 * RING_COMPLETE_INTERRUPT, the guest may halt for one the way virtio's EVENT_IDX asks for
 * an interrupt: it writes used_event = the used index it has seen (the host is to
 * interrupt when the used index moves past it), a full fence, looks at the used index
 * again, and only if it has not moved, halts (kernel SYS_WAIT_IRQ).  The host's I/O thread
 * signals after publishing the used index when ring_need_event(used_event, new, old); the
 * halted vCPU gets PG_NOTIFY_VECTOR then — or at once when nothing is in flight, or after
 * a bounded wait whatever used_event says: a wake-up may be spurious, the guest looks again.
 *
 * Set-up doorbells (OUT %al to PG_DB_PORT(RING_ID)), status back in RAX:
 *   RING_SETUP     RDI ring area (guest-virtual, 4 KiB aligned), RSI its bytes,
 *                  R8 queue size Q, R9 ring_modes(RING_ADDR_*, RING_NOTIFY_*,
 *                  RING_COMPLETE_*) (every other bit 0), RCX the I/O thread's spin
 *                  budget in ns (RING_NOTIFY_ADAPTIVE)
 *   RING_REGISTER  RDI buffer (guest-virtual), RSI bytes, R8 its index (< RING_MAX_BUFFERS)
 *   RING_RESET     stop serving; requests in flight complete or are dropped
 * With RING_ADDR_REGISTERED a descriptor's addr is RING_BUF_ADDR(index, offset).
 */
#ifndef PG_RING_H
#define PG_RING_H

#include <stdint.h>

#define RING_ID 4
#define RING_QUEUE_MIN 2
#define RING_QUEUE_MAX 1024
#define RING_QUEUE_DEFAULT 256
#define RING_MAX_BUFFERS 64
#define RING_KICK 0x4b /* AL of a kick; set-up commands are small numbers */

enum ring_cmd { RING_SETUP = 1, RING_REGISTER = 2, RING_RESET = 3 };
enum ring_addressing { RING_ADDR_GVA = 0, RING_ADDR_REGISTERED = 1 };
enum ring_notify { RING_NOTIFY_POLL = 0, RING_NOTIFY_KICK = 1, RING_NOTIFY_ADAPTIVE = 2 };
enum ring_complete { RING_COMPLETE_POLL = 0, RING_COMPLETE_INTERRUPT = 1 };

/* RING_SETUP's R9: addressing in bits 0..3, notification 4..7, completion 8..11. */
static inline uint64_t ring_modes(uint64_t addressing, uint64_t notify, uint64_t complete)
{
	return addressing | notify << 4 | complete << 8;
}

#define RING_BUF_SHIFT 48
#define RING_BUF_ADDR(index, offset) (((uint64_t)(index) << RING_BUF_SHIFT) | (uint64_t)(offset))

#define RING_DESC_F_NEXT 1
#define RING_DESC_F_WRITE 2

struct ring_desc {
	uint64_t addr; /* guest-virtual, or RING_BUF_ADDR with registered buffers */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct ring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [Q], then uint16_t used_event */
};

struct ring_used_elem {
	uint32_t id;  /* head of the chain */
	uint32_t len; /* bytes written into its device-writable buffers */
};

struct ring_used {
	uint16_t flags;
	uint16_t idx;
	struct ring_used_elem ring[]; /* [Q], then uint16_t avail_event */
};

/* First descriptor of a request. */
struct ring_req {
	uint32_t op;         /* the device operation (device ABI op id) */
	uint32_t reserved;   /* 0 */
	uint64_t submit_tsc; /* guest TSC when the request was made available */
};

/* Last descriptor of a request: the host's answer and its stage times.  Times are in the
 * guest's TSC (host TSC + the vCPU's TSC offset), 0 where not measured. */
struct ring_status {
	uint32_t status; /* PG_DB_* */
	uint32_t reserved;
	uint64_t out_len;     /* output bytes written */
	uint64_t picked_tsc;  /* the I/O thread took the request */
	uint64_t done_tsc;    /* the request was completed (just before the used index moved) */
	uint64_t translate_ticks, copy_ticks, device_ticks;
};

/* Byte offsets of the three parts in a ring area of queue size q (virtio alignment:
 * descriptors 16, available ring 2, used ring 4 — here the used ring starts a new page). */
static inline uint64_t ring_avail_offset(uint32_t q)
{
	return 16ull * q;
}

static inline uint64_t ring_used_offset(uint32_t q)
{
	return (ring_avail_offset(q) + 6 + 2ull * q + 4095) & ~4095ull;
}

static inline uint64_t ring_area_bytes(uint32_t q)
{
	return (ring_used_offset(q) + 6 + 8ull * q + 4095) & ~4095ull;
}

/* The two EVENT_IDX words: used_event after the available ring (the guest's, read by the
 * host), avail_event after the used ring (the host's, read by the guest). */
static inline uint64_t ring_used_event_offset(uint32_t q)
{
	return ring_avail_offset(q) + 4 + 2ull * q;
}

static inline uint64_t ring_avail_event_offset(uint32_t q)
{
	return ring_used_offset(q) + 4 + 8ull * q;
}

/* virtio's vring_need_event: whether moving the index from old to new_idx passes
 * event_idx, i.e. the other side asked to be notified at this point. */
static inline int ring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

#endif
