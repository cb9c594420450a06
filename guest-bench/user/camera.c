/*
 * The guest's camera driver (PG_MODE_CAMERA): wait (halted) for the host's "frame
 * ready" interrupt, pull the frame through the transport arg[0] from device op arg[2]
 * (at most arg[1] bytes), check its header and payload checksum, report the TSC when the
 * frame was in (before the check) and whether it was right, and go on until the host says
 * stop.  A one-shot transport (the ring) is set up first and each frame is one request;
 * its request word then lives in the buffer region too (registered buffers and the
 * library's fault-in need it there).
 */
#include "../../transports/guest_api.h"
#include "user.h"

struct frame_header {
	uint64_t seq, checksum;
	uint32_t width, height, format, reserved;
};

void camera_run(void)
{
	const struct pg_transport *t = pg_transport_by_id((unsigned)user_params.arg[0]);
	uint64_t cap = user_params.arg[1], op = user_params.arg[2], len;
	uint8_t *frame = (uint8_t *)PG_BUF_VA;
	uint64_t *req = (uint64_t *)(PG_BUF_VA + PG_BUF_MAX_BYTES / 2);
	struct pg_cmd setup = { .kind = PG_CMD_CALL, .transport = t ? t->id : 0, .bytes = cap };
	int more = 1;

	GUEST_ASSERT(t && cap > sizeof(struct frame_header) && cap <= PG_BUF_MAX_BYTES / 2);
	memset(frame, 0, cap); /* map the frame buffer once: the stream runs warm */
	*req = 0;
	GUEST_ASSERT(!t->prepare || t->prepare(&setup, req, frame) == PG_DB_OK);
	while (more) {
		const struct frame_header *h = (const struct frame_header *)frame;
		uint64_t in;
		int status, ok;

		syscall3(SYS_WAIT_IRQ, 0, 0, 0);
		status = t->call ? t->call((uint32_t)op, req, sizeof(*req), frame, cap, &len)
				 : pg_call(t, (uint32_t)op, req, sizeof(*req), frame, cap, &len);
		in = rdtsc(); /* the frame is in; checking it is the driver's own time */
		ok = status == PG_DB_OK && len > sizeof(*h) &&
		     pg_checksum(PG_CHECKSUM_INIT, frame + sizeof(*h), len - sizeof(*h)) == h->checksum;
		more = (int)pg_ctl(PG_CTL_SYNC, PG_SYNC_CAMERA_FRAME, in, h->seq, (uint64_t)ok);
	}
	pg_done(0);
}
