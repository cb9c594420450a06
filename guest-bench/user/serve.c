/*
 * The guest's transfer server (PG_MODE_SERVE): ask the host for the next command, make
 * the transfer through the chosen transport (timed: the SEND doorbells of a send, the
 * RECEIVE doorbells of a receive — each with its EXECUTE if the command says "through
 * the device" — everything of a call; with a one-shot transport such as the ring, whose
 * transfer is one request, the whole request, and a stream keeps `qd` requests in
 * flight), check the data byte for byte (a checksum
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

/* End the timed part; `data` and `bytes` name one request's data (the bytes the transfer
 * moved), which the host pairs with a gather of the same pages. */
static uint64_t window_end(const void *data, uint64_t bytes)
{
	uint64_t t1 = rdtsc();

	pg_ctl(PG_CTL_SYNC, PG_SYNC_WINDOW_END, t1, (uint64_t)data, bytes);
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
	t1 = window_end(in, cmd.bytes);
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
	t1 = window_end(out, cmd.bytes);
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
	t1 = window_end(in, cmd.bytes);
	finish(status, t0, t1, faults0);
	if (status == PG_DB_OK) {
		res.bad_offset = len == cmd.bytes ? first_difference(in, out, cmd.bytes) : 0;
		if (res.bad_offset != ~0ull)
			res.status = PG_RESULT_MISMATCH;
	}
	res.checksum = pg_checksum(PG_CHECKSUM_INIT, out, cmd.bytes);
}

/* One-shot transports: the transfer is one request to the kind's device, timed whole.
 * Input and output stay inside the command's two buffers (registered addressing needs
 * that): a receive's pattern request sits at the start of the input buffer, a send's
 * checksum comes back at the start of the output buffer. */
static void run_oneshot(const struct pg_transport *t, uint8_t *in, uint8_t *out)
{
	uint64_t faults0, t0, t1, len = 0, want = cmd.kind == PG_CMD_SEND ? 8 : cmd.bytes;
	int status;

	if (cmd.kind == PG_CMD_RECV) {
		memcpy(in, (uint64_t[2]){ cmd.bytes, cmd.data_seed }, 16);
		memset(out, 0, cmd.bytes);
	} else {
		pg_pattern_fill(in, 0, cmd.bytes, cmd.data_seed);
		memset(out, 0, want);
	}
	faults0 = pg_fault_count();
	t0 = window_begin();
	status = t->call(op_or(cmd.kind == PG_CMD_SEND ? PG_OP_SINK : cmd.kind == PG_CMD_RECV ? PG_OP_PATTERN : PG_OP_ECHO),
			 in, cmd.kind == PG_CMD_RECV ? 16 : cmd.bytes, out, want, &len);
	t1 = window_end(cmd.kind == PG_CMD_RECV ? out : in, cmd.bytes);
	finish(status, t0, t1, faults0);
	res.requests = 1;
	if (cmd.kind == PG_CMD_SEND) {
		res.checksum = pg_checksum(PG_CHECKSUM_INIT, in, cmd.bytes);
		memcpy(&host_checksum, out, 8);
		res.bad_offset = host_checksum == res.checksum ? ~0ull : 0;
	} else {
		uint64_t good = cmd.kind == PG_CMD_RECV ? pg_pattern_check(out, 0, cmd.bytes, cmd.data_seed)
							: first_difference(in, out, cmd.bytes);

		res.bad_offset = good == cmd.bytes || good == ~0ull ? ~0ull : good;
		res.checksum = pg_checksum(PG_CHECKSUM_INIT, out, cmd.bytes);
	}
	if (status == PG_DB_OK && (len != want || res.bad_offset != ~0ull))
		res.status = PG_RESULT_MISMATCH;
}

#define STREAM_MAX_REQUESTS 65536
static uint64_t latency[STREAM_MAX_REQUESTS];

static uint64_t percentile(uint64_t *v, uint64_t n, unsigned pct)
{
	for (uint64_t i = 1; i < n; i++) /* insertion sort: a stream keeps its latencies small in number */
		for (uint64_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t tmp = v[j];

			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	return n ? v[(n - 1) * pct / 100] : 0;
}

/* `requests` sends of `bytes` each to the sink with `qd` in flight: slot s sends input
 * slice s and gets its checksum back in output word s; every checksum is checked. */
static void run_stream(const struct pg_transport *t, uint8_t *in, uint8_t *out)
{
	uint64_t sums[256], submitted = 0, done = 0, t0, t1, faults0;
	struct pg_completion c;
	int status = PG_DB_OK;

	if (!t->submit || !cmd.qd || cmd.qd > 256 || cmd.requests > STREAM_MAX_REQUESTS || cmd.qd * cmd.bytes > HALF)
		return;
	for (uint32_t s = 0; s < cmd.qd; s++) {
		pg_pattern_fill(in + s * cmd.bytes, 0, cmd.bytes, cmd.data_seed + s);
		sums[s] = pg_checksum(PG_CHECKSUM_INIT, in + s * cmd.bytes, cmd.bytes);
	}
	faults0 = pg_fault_count();
	t0 = window_begin();
	for (; submitted < cmd.qd && submitted < cmd.requests && status == PG_DB_OK; submitted++)
		status = t->submit((uint32_t)submitted, op_or(PG_OP_SINK), in + submitted * cmd.bytes, cmd.bytes,
				   out + 8 * submitted, 8);
	t->flush();
	while (done < submitted && status == PG_DB_OK) { /* reap what is there, resubmit it as one batch */
		uint64_t reaped = done;

		while (status == PG_DB_OK && t->reap(&c, &res)) {
			res.lat_hist[pg_lat_bucket(c.latency_ticks)]++;
			latency[done++] = c.latency_ticks;
			if (c.status != PG_DB_OK || c.slot >= cmd.qd || c.out_len != 8 ||
			    ((uint64_t *)out)[c.slot] != sums[c.slot]) {
				status = c.status != PG_DB_OK ? c.status : PG_RESULT_MISMATCH;
			} else if (submitted < cmd.requests) {
				status = t->submit(c.slot, op_or(PG_OP_SINK), in + c.slot * cmd.bytes, cmd.bytes,
						   out + 8 * c.slot, 8);
				submitted++;
			}
		}
		t->flush();
		if (done == reaped && t->wait)
			t->wait(&res);
	}
	t1 = window_end(in, cmd.bytes);
	finish(status, t0, t1, faults0);
	res.requests = done;
	res.lat_p50 = percentile(latency, done, 50);
	res.lat_p99 = percentile(latency, done, 99);
	if (status == PG_RESULT_MISMATCH)
		res.status = PG_RESULT_MISMATCH;
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
	if (t && !t->call && cmd.kind == PG_CMD_NULL_RINGS && cmd.bytes) {
		run_null_rings(t);
		return;
	}
	if (!t || cmd.bytes == 0 || cmd.offset >= PAGE_SIZE_2M || cmd.bytes > HALF - cmd.offset ||
	    prepare_region())
		return;
	if (t->call) {
		int status = t->prepare(&cmd, in, out);

		if (status != PG_DB_OK)
			res.status = (uint64_t)status;
		else if (cmd.kind == PG_CMD_STREAM)
			run_stream(t, in, out);
		else if (cmd.kind == PG_CMD_SEND || cmd.kind == PG_CMD_RECV || cmd.kind == PG_CMD_CALL)
			run_oneshot(t, in, out);
		return;
	}
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
