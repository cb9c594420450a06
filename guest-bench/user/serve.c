/*
 * The guest's transfer server (PG_MODE_SERVE): ask the host for the next command, make
 * the transfer through the chosen transport (timed: the SEND doorbells of a send, the
 * RECEIVE doorbells of a receive — each with its EXECUTE if the command says "through
 * the device" — everything of a call), check the data byte for byte (a checksum
 * compared with the host's for SEND, every byte against the pattern for RECV, the echo
 * against the input for CALL) and report the guest-side time and fault count.  Buffers
 * live in the demand-paged region: the input in the first half, the output in the
 * second; a cold command unmaps the region first so the transfer takes every fault.
 */
#include "../../transports/guest_api.h"
#include "user.h"

#define HALF (PG_BUF_MAX_BYTES / 2)

static struct pg_cmd cmd;
static struct pg_result res;
static uint64_t pattern_request[2];
static uint64_t host_checksum;

static struct {
	int valid;
	uint32_t shift, policy;
	uint64_t seed;
} mapped;

/* The command's operation, or the built-in one of its kind. */
static uint32_t op_or(uint32_t builtin)
{
	return cmd.op ? cmd.op : builtin;
}

static int prepare_region(void)
{
	if (!cmd.cold && mapped.valid && mapped.shift == cmd.page_shift && mapped.policy == cmd.frame_policy &&
	    mapped.seed == cmd.frame_seed)
		return 0;
	if (pg_buf_config(cmd.page_shift, cmd.frame_policy, cmd.frame_seed))
		return -1;
	mapped.valid = 1;
	mapped.shift = cmd.page_shift;
	mapped.policy = cmd.frame_policy;
	mapped.seed = cmd.frame_seed;
	return 0;
}

static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return ~0ull;
}

/* Bracket the timed part so the host's stage times cover exactly it. */
static uint64_t window_begin(void)
{
	pg_ctl(PG_CTL_SYNC, PG_SYNC_WINDOW_BEGIN, 0, 0, 0);
	return rdtsc();
}

static uint64_t window_end(void)
{
	uint64_t t1 = rdtsc();

	pg_ctl(PG_CTL_SYNC, PG_SYNC_WINDOW_END, t1, 0, 0);
	return t1;
}

static void finish(int status, uint64_t t0, uint64_t t1, uint64_t faults0)
{
	res.status = (uint64_t)status;
	res.guest_ticks = t1 - t0;
	res.faults = pg_fault_count() - faults0;
}

/* Timed: the SEND doorbells, and the EXECUTE too if cmd.through_device. */
static void run_send(const struct pg_transport *t, uint8_t *in)
{
	uint64_t faults0, t0, t1, len;
	int status;

	if (!cmd.cold)
		pg_pattern_fill(in, 0, cmd.bytes, cmd.data_seed);
	faults0 = pg_fault_count();
	t0 = window_begin();
	status = pg_send(t, op_or(PG_OP_SINK), in, cmd.bytes);
	if (status == PG_DB_OK && cmd.through_device)
		status = pg_execute(t, op_or(PG_OP_SINK), &len);
	t1 = window_end();
	finish(status, t0, t1, faults0);
	if (status == PG_DB_OK && !cmd.through_device)
		status = pg_execute(t, op_or(PG_OP_SINK), &len);
	if (status == PG_DB_OK)
		status = pg_receive(t, op_or(PG_OP_SINK), &host_checksum, sizeof(host_checksum), &len);
	res.checksum = pg_checksum(PG_CHECKSUM_INIT, in, cmd.bytes);
	if (status == PG_DB_OK && (len != sizeof(host_checksum) || host_checksum != res.checksum))
		status = PG_RESULT_MISMATCH;
	res.status = (uint64_t)status;
}

/* Timed: the RECEIVE doorbells, and the EXECUTE before them too if cmd.through_device. */
static void run_recv(const struct pg_transport *t, uint8_t *out)
{
	uint64_t faults0, t0, t1, len = 0, produced;
	int status;

	pattern_request[0] = cmd.bytes;
	pattern_request[1] = cmd.data_seed;
	if (!cmd.cold)
		memset(out, 0, cmd.bytes);
	status = pg_send(t, op_or(PG_OP_PATTERN), pattern_request, sizeof(pattern_request));
	if (status == PG_DB_OK && !cmd.through_device)
		status = pg_execute(t, op_or(PG_OP_PATTERN), &produced);
	faults0 = pg_fault_count();
	t0 = window_begin();
	if (status == PG_DB_OK && cmd.through_device)
		status = pg_execute(t, op_or(PG_OP_PATTERN), &produced);
	if (status == PG_DB_OK)
		status = pg_receive(t, op_or(PG_OP_PATTERN), out, cmd.bytes, &len);
	t1 = window_end();
	finish(status, t0, t1, faults0);
	if (status == PG_DB_OK) {
		uint64_t good = pg_pattern_check(out, 0, cmd.bytes, cmd.data_seed);

		res.bad_offset = good == cmd.bytes ? ~0ull : good;
		if (len != cmd.bytes || good != cmd.bytes)
			res.status = PG_RESULT_MISMATCH;
	}
	res.checksum = pg_checksum(PG_CHECKSUM_INIT, out, cmd.bytes);
}

static void run_call(const struct pg_transport *t, uint8_t *in, uint8_t *out)
{
	uint64_t faults0, t0, t1, len = 0;
	int status;

	if (!cmd.cold) {
		pg_pattern_fill(in, 0, cmd.bytes, cmd.data_seed);
		memset(out, 0, cmd.bytes);
	}
	faults0 = pg_fault_count();
	t0 = window_begin();
	status = pg_call(t, op_or(PG_OP_ECHO), in, cmd.bytes, out, cmd.bytes, &len);
	t1 = window_end();
	finish(status, t0, t1, faults0);
	if (status == PG_DB_OK) {
		res.bad_offset = len == cmd.bytes ? first_difference(in, out, cmd.bytes) : 0;
		if (res.bad_offset != ~0ull)
			res.status = PG_RESULT_MISMATCH;
	}
	res.checksum = pg_checksum(PG_CHECKSUM_INIT, out, cmd.bytes);
}

static void run_null_rings(const struct pg_transport *t)
{
	static uint64_t rt[1024];
	uint64_t n = cmd.bytes < 1024 ? cmd.bytes : 1024, moved;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();

		res.status = (uint64_t)pg_ring(t, PG_DB_EXECUTE, 0, 0, 0, PG_OP_NULL, 0, &moved);
		rt[i] = rdtsc() - t0;
	}
	for (uint64_t i = 1; i < n; i++) /* insertion sort: n is small and this is ring 3 */
		for (uint64_t j = i; j > 0 && rt[j - 1] > rt[j]; j--) {
			uint64_t tmp = rt[j];

			rt[j] = rt[j - 1];
			rt[j - 1] = tmp;
		}
	res.guest_ticks = rt[n / 2];
}

static void run_command(void)
{
	const struct pg_transport *t = pg_transport_by_id(cmd.transport);
	uint8_t *in = (uint8_t *)PG_BUF_VA + cmd.offset, *out = in + HALF;

	res = (struct pg_result){ .status = PG_RESULT_BADCMD, .bad_offset = ~0ull };
	if (t && cmd.kind == PG_CMD_NULL_RINGS && cmd.bytes) {
		run_null_rings(t);
		return;
	}
	if (!t || cmd.bytes == 0 || cmd.offset >= PAGE_SIZE_2M || cmd.bytes > HALF - cmd.offset ||
	    prepare_region())
		return;
	if (cmd.kind == PG_CMD_SEND)
		run_send(t, in);
	else if (cmd.kind == PG_CMD_RECV)
		run_recv(t, out);
	else if (cmd.kind == PG_CMD_CALL)
		run_call(t, in, out);
}

void serve_run(void)
{
	while (pg_ctl(PG_CTL_SYNC, PG_SYNC_NEXT, (uint64_t)&cmd, 0, 0) == 1) {
		run_command();
		pg_ctl(PG_CTL_SYNC, PG_SYNC_RESULT, (uint64_t)&res, 0, 0);
	}
	pg_done(0);
}
