/*
 * `pagegate bench`: a sweep over transports x translation x direction x fault x page
 * size x frame policy x delivery x sizes in one boot, after a calibration (null-doorbell round trip
 * in the guest, memcpy bandwidth on the host).  Repetitions run in rounds over every
 * configuration, each round in a seeded random order (order.h), so slow drifts of the
 * machine hit every configuration alike; each repetition is paired with a host memcpy of
 * its size timed right after it on the same core (session.h).  Each measured repetition
 * goes to the dataset as it finishes; at the end (or on Ctrl-C) the Table 7.1 view of the
 * dataset is printed.  --runs N makes N such sweeps, one dataset each, and reports the
 * run-to-run spread (spread.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../transports/ring/ring.h"
#include "../transports/transport.h"
#include "../vmm-min/x86.h"
#include "bench.h"
#include "dataset.h"
#include "hostcopy.h"
#include "order.h"
#include "pin.h"
#include "session.h"
#include "spread.h"
#include "table.h"

#define MAX_LIST 32
#define MAX_CONFIGS 4096
#define CALIBRATION_RINGS 1000
#define MAX_RUNS 100

struct bench_opts {
	const char *transports[MAX_LIST], *translates[MAX_LIST];
	int ntransports, ntranslates;
	uint64_t sizes[MAX_LIST * 4];
	int nsizes;
	int reps, warmup;
	bool send, recv, warm, cold, pages_4k, pages_2m, contiguous, scattered;
	uint64_t offset, max_op_bytes;
	bool timed, untimed, quiet;
	bool copy, iov;         /* delivery axis */
	int through_device;     /* window: 0 transfer, 1 device, -1 not given */
	const char *pin, *out;
	enum sweep_order order;
	uint64_t order_seed;
	int runs;
	/* the ring's axes */
	uint64_t qds[MAX_LIST];
	int nqds;
	bool addr_gva, addr_registered, notify[3], complete_poll, complete_interrupt;
	uint64_t spin_ns, requests;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pagegate [global options] bench [options]\n"
		"  --transport LIST  basic,extended,ptcopy,ring (default: the three doorbell ones)\n"
		"  --translate LIST  kvm,walk: per-page method of basic and extended (default:\n"
		"                    basic kvm, extended kvm and walk; ptcopy copies leaf tables)\n"
		"  --sizes LIST      sizes with K/M/G suffixes, or a doubling range A..B\n"
		"                    (default 1M,2M,3M,4M; e.g. 4K..64M)\n"
		"  --reps N          measured repetitions per configuration (default 5)\n"
		"  --warmup N        unmeasured repetitions first (default 1)\n"
		"  --direction D     send, recv or both (default send)\n"
		"  --fault LIST      warm,cold (default warm)\n"
		"  --pages LIST      4k,2m guest pages (default 4k)\n"
		"  --frames LIST     contiguous,scattered (default scattered)\n"
		"  --offset N        buffer start within its page, bytes (default 0)\n"
		"  --pin SPEC        auto (last PU), none, or a PU number (default auto)\n"
		"  --max-op-bytes N  host memory cap per operation buffer, K/M/G (default: the\n"
		"                    largest size of the sweep)\n"
		"  --out DIR         dataset folder (default datasets/runs/<UTC time>-<git sha>)\n"
		"  --timing LIST     on,off: host stage timing; both to measure its overhead,\n"
		"                    timed and untimed repetitions taking turns (default on)\n"
		"  --no-timing       the same as --timing off\n"
		"  --delivery LIST   copy,iov: how bytes reach the device — gathered into host\n"
		"                    buffers, or handed over as segments of guest memory (zero host\n"
		"                    copies) (default copy)\n"
		"  --window W        transfer (the SEND or RECEIVE doorbells) or device (with the\n"
		"                    EXECUTE: until the device has consumed or produced the bytes);\n"
		"                    default transfer, device when iov delivery is measured\n"
		"  --order O         interleaved: rounds over every configuration, each in a random\n"
		"                    order; blocked: one size after another, its configurations\n"
		"                    taking turns (the order before schema 3) (default interleaved)\n"
		"  --order-seed N    seed of the interleaved order (default 1; run k of --runs uses\n"
		"                    N + k - 1); recorded in meta.json\n"
		"  --runs N          the same sweep N times, datasets DIR/run-1 .. DIR/run-N, then\n"
		"                    the run-to-run spread per configuration (default 1)\n"
		"  --quiet           no progress line and no table\n"
		"the ring (exitless shared rings served by a host I/O thread): a send repetition is a\n"
		"stream of --requests sends with --qd in flight, a receive one request\n"
		"  --qd LIST         requests in flight, 1..256 (default 1; the ring only)\n"
		"  --ring-addr LIST  gva,registered: descriptors carry guest-virtual addresses, or\n"
		"                    name buffers registered once (default gva)\n"
		"  --notify LIST     poll,kick,adaptive: the I/O thread spins, sleeps until kicked,\n"
		"                    or spins --spin ns first (default poll)\n"
		"  --spin NS         adaptive spin budget, ns (default 50000)\n"
		"  --complete LIST   poll,interrupt: the guest polls the used ring, or halts until\n"
		"                    the host's interrupt when it has nothing to reap (virtio's\n"
		"                    used_event; a facet, column complete) (default poll)\n"
		"  --requests N      requests per ring send repetition, 1..10000 (default 2000);\n"
		"                    --qd x size must fit half the guest's 1 GiB buffer region\n");
}

static int bad(const char *opt, const char *value)
{
	fprintf(stderr, "pagegate bench: bad value '%s' for %s (see pagegate bench --help)\n", value, opt);
	return 2;
}

/* A transfer size: 1 byte to 512 MiB (half the buffer region). */
static int parse_size(const char *s, uint64_t *out)
{
	return pagegate_parse_size(s, out) || *out == 0 || *out > (512ull << 20) ? -1 : 0;
}

static int parse_sizes(struct bench_opts *o, char *list)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		char *dots = strstr(tok, "..");
		uint64_t a, b;

		if (!dots) {
			if (o->nsizes == MAX_LIST * 4 || parse_size(tok, &o->sizes[o->nsizes++]))
				return -1;
			continue;
		}
		*dots = 0;
		if (parse_size(tok, &a) || parse_size(dots + 2, &b) || a > b)
			return -1;
		for (uint64_t v = a; v <= b; v *= 2)
			if (o->nsizes == MAX_LIST * 4)
				return -1;
			else
				o->sizes[o->nsizes++] = v;
	}
	return 0;
}

/* Split a list into words each of which must be one of `allowed`. */
static int parse_words(char *list, const char *const *allowed, const char **out, int *n)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		int ok = 0;

		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(tok, allowed[i]);
		if (!ok || *n == MAX_LIST)
			return -1;
		out[(*n)++] = tok;
	}
	return *n ? 0 : -1;
}

static bool has(const char *const *list, int n, const char *word)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], word))
			return true;
	return false;
}

/* A two-value axis given as a list: sets *a and/or *b. */
static int parse_pair(char *list, const char *a_name, const char *b_name, bool *a, bool *b)
{
	const char *allowed[] = { a_name, b_name, NULL }, *words[MAX_LIST];
	int n = 0;

	if (parse_words(list, allowed, words, &n))
		return -1;
	*a = has(words, n, a_name);
	*b = has(words, n, b_name);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_unique(uint64_t *v, int *n)
{
	int out = 0;

	qsort(v, (size_t)*n, sizeof(*v), cmp_u64);
	for (int i = 0; i < *n; i++)
		if (!out || v[out - 1] != v[i])
			v[out++] = v[i];
	*n = out;
}

/* --qd: a list of 1..256, or a doubling range A..B. */
static int parse_qds(struct bench_opts *o, char *list)
{
	struct bench_opts tmp = { .nsizes = 0 };

	if (parse_sizes(&tmp, list))
		return -1;
	for (int i = 0; i < tmp.nsizes; i++) {
		if (tmp.sizes[i] > 256 || o->nqds == MAX_LIST)
			return -1;
		o->qds[o->nqds++] = tmp.sizes[i];
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "transport", required_argument, 0, 't' }, { "translate", required_argument, 0, 'x' },
		{ "sizes", required_argument, 0, 's' },     { "reps", required_argument, 0, 'r' },
		{ "warmup", required_argument, 0, 'w' },    { "direction", required_argument, 0, 'd' },
		{ "fault", required_argument, 0, 'f' },     { "pages", required_argument, 0, 'p' },
		{ "frames", required_argument, 0, 'F' },    { "offset", required_argument, 0, 'o' },
		{ "pin", required_argument, 0, 'P' },       { "out", required_argument, 0, 'O' },
		{ "no-timing", no_argument, 0, 'n' },       { "quiet", no_argument, 0, 'q' },
		{ "timing", required_argument, 0, 'T' },     { "delivery", required_argument, 0, 'D' },
		{ "window", required_argument, 0, 'W' },      { "order", required_argument, 0, 'R' },
		{ "order-seed", required_argument, 0, 'S' }, { "runs", required_argument, 0, 'N' },
		{ "help", no_argument, 0, 'h' },            { "max-op-bytes", required_argument, 0, 'M' },
		{ "qd", required_argument, 0, 'Q' },        { "ring-addr", required_argument, 0, 'A' },
		{ "notify", required_argument, 0, 'I' },    { "spin", required_argument, 0, 'L' },
		{ "requests", required_argument, 0, 'E' },  { "complete", required_argument, 0, 'C' },
		{ 0, 0, 0, 0 },
	};
	static const char *const transport_names[] = { "basic", "extended", "ptcopy", "ring", NULL };
	static const char *const notify_names[] = { "poll", "kick", "adaptive", NULL };
	const char *words[MAX_LIST];
	int nwords;
	static const char *const translate_names[] = { "kvm", "walk", NULL };
	char *end;
	int c;

	*o = (struct bench_opts){ .reps = 5, .warmup = 1, .send = true, .warm = true, .pages_4k = true,
				  .scattered = true, .timed = true, .copy = true, .through_device = -1, .pin = "auto",
				  .order = ORDER_INTERLEAVED, .order_seed = ORDER_DEFAULT_SEED, .runs = 1,
				  .addr_gva = true, .notify = { true }, .complete_poll = true, .spin_ns = 50000,
				  .requests = 2000 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_words(optarg, transport_names, o->transports, &o->ntransports))
				return bad("--transport", optarg);
			break;
		case 'x':
			if (parse_words(optarg, translate_names, o->translates, &o->ntranslates))
				return bad("--translate", optarg);
			break;
		case 's':
			if (parse_sizes(o, optarg))
				return bad("--sizes", optarg);
			break;
		case 'r':
			o->reps = (int)strtol(optarg, &end, 10);
			if (*end || o->reps < 1 || o->reps > 1000)
				return bad("--reps", optarg);
			break;
		case 'w':
			o->warmup = (int)strtol(optarg, &end, 10);
			if (*end || o->warmup < 0 || o->warmup > 100)
				return bad("--warmup", optarg);
			break;
		case 'd':
			if (!strcmp(optarg, "both"))
				o->send = o->recv = true;
			else if (parse_pair(optarg, "send", "recv", &o->send, &o->recv))
				return bad("--direction", optarg);
			break;
		case 'f':
			if (parse_pair(optarg, "warm", "cold", &o->warm, &o->cold))
				return bad("--fault", optarg);
			break;
		case 'p':
			if (parse_pair(optarg, "4k", "2m", &o->pages_4k, &o->pages_2m))
				return bad("--pages", optarg);
			break;
		case 'F':
			if (parse_pair(optarg, "contiguous", "scattered", &o->contiguous, &o->scattered))
				return bad("--frames", optarg);
			break;
		case 'o':
			o->offset = strtoull(optarg, &end, 10);
			if (*end || end == optarg || o->offset >= 4096)
				return bad("--offset", optarg);
			break;
		case 'P':
			o->pin = optarg;
			break;
		case 'M':
			if (parse_size(optarg, &o->max_op_bytes))
				return bad("--max-op-bytes", optarg);
			break;
		case 'O':
			o->out = optarg;
			break;
		case 'n':
			o->timed = false;
			o->untimed = true;
			break;
		case 'T':
			if (!strcmp(optarg, "both"))
				o->timed = o->untimed = true;
			else if (parse_pair(optarg, "on", "off", &o->timed, &o->untimed))
				return bad("--timing", optarg);
			break;
		case 'D':
			if (parse_pair(optarg, "copy", "iov", &o->copy, &o->iov))
				return bad("--delivery", optarg);
			break;
		case 'W':
			if (strcmp(optarg, "transfer") && strcmp(optarg, "device"))
				return bad("--window", optarg);
			o->through_device = !strcmp(optarg, "device");
			break;
		case 'R':
			if (strcmp(optarg, "blocked") && strcmp(optarg, "interleaved"))
				return bad("--order", optarg);
			o->order = strcmp(optarg, "blocked") ? ORDER_INTERLEAVED : ORDER_BLOCKED;
			break;
		case 'S':
			o->order_seed = strtoull(optarg, &end, 10);
			if (*end || end == optarg || *optarg == '-')
				return bad("--order-seed", optarg);
			break;
		case 'N':
			o->runs = (int)strtol(optarg, &end, 10);
			if (*end || o->runs < 1 || o->runs > MAX_RUNS)
				return bad("--runs", optarg);
			break;
		case 'Q':
			if (parse_qds(o, optarg))
				return bad("--qd", optarg);
			break;
		case 'A':
			if (parse_pair(optarg, "gva", "registered", &o->addr_gva, &o->addr_registered))
				return bad("--ring-addr", optarg);
			break;
		case 'I':
			nwords = 0;
			if (parse_words(optarg, notify_names, words, &nwords))
				return bad("--notify", optarg);
			for (int i = 0; i < 3; i++)
				o->notify[i] = has(words, nwords, notify_names[i]);
			break;
		case 'C':
			if (parse_pair(optarg, "poll", "interrupt", &o->complete_poll, &o->complete_interrupt))
				return bad("--complete", optarg);
			break;
		case 'L':
			o->spin_ns = strtoull(optarg, &end, 10);
			if (*end || end == optarg || o->spin_ns > 1000000000ull)
				return bad("--spin", optarg);
			break;
		case 'E':
			o->requests = strtoull(optarg, &end, 10);
			if (*end || o->requests < 1 || o->requests > 10000)
				return bad("--requests", optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("arguments", argv[optind]);
	if (o->through_device < 0) /* an iov send moves no byte before its EXECUTE */
		o->through_device = o->iov;
	if (!o->nqds)
		o->qds[o->nqds++] = 1;
	if (!o->nsizes)
		for (int i = 1; i <= 4; i++)
			o->sizes[o->nsizes++] = (uint64_t)i << 20;
	sort_unique(o->sizes, &o->nsizes);
	if (!o->max_op_bytes)
		o->max_op_bytes = o->sizes[o->nsizes - 1];
	if (o->max_op_bytes < o->sizes[o->nsizes - 1])
		return bad("--max-op-bytes", "(smaller than the largest size)");
	return 0;
}

/* The ring's rows: completion (a facet) x addressing x notification (the label). */
static int ring_rows(const struct bench_opts *o, struct config *out)
{
	static const char *const notify_names[] = { "poll", "kick", "adaptive" };
	const struct transport_ops *t = transport_by_name("ring");
	int n = 0;

	if (!has(o->transports, o->ntransports, "ring"))
		return 0;
	for (unsigned c = RING_COMPLETE_POLL; c <= RING_COMPLETE_INTERRUPT; c++)
		for (unsigned a = RING_ADDR_GVA; a <= RING_ADDR_REGISTERED; a++)
			for (unsigned m = RING_NOTIFY_POLL; m <= RING_NOTIFY_ADAPTIVE; m++) {
				if (!(c == RING_COMPLETE_POLL ? o->complete_poll : o->complete_interrupt) ||
				    !(a == RING_ADDR_GVA ? o->addr_gva : o->addr_registered) || !o->notify[m])
					continue;
				out[n] = (struct config){ .transport = t->name, .transport_id = t->id,
							  .translate = a == RING_ADDR_GVA ? "gva" : "registered",
							  .ring_addr = a, .ring_notify = m, .ring_complete = c,
							  .ring_spin_ns = o->spin_ns };
				snprintf(out[n].label, sizeof(out[n].label), "ring(%s/%s)",
					 a == RING_ADDR_GVA ? "gva" : "reg", notify_names[m]);
				n++;
			}
	return n;
}

/* The transport x translation rows, in table order. */
static int rows(const struct bench_opts *o, struct config *out)
{
	static const struct {
		const char *transport, *translate;
		unsigned xl;
		bool by_default;
	} all[] = {
		{ "basic", "kvm", XLATE_KVM, true },       { "basic", "walk", XLATE_WALK, false },
		{ "extended", "kvm", XLATE_KVM, true },    { "extended", "walk", XLATE_WALK, true },
		{ "ptcopy", "leafcopy", XLATE_KVM, true },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		bool per_page = strcmp(all[i].transport, "ptcopy");
		const struct transport_ops *t = transport_by_name(all[i].transport);

		if (o->ntransports && !has(o->transports, o->ntransports, all[i].transport))
			continue;
		if (per_page && (o->ntranslates ? !has(o->translates, o->ntranslates, all[i].translate)
						: !all[i].by_default))
			continue;
		out[n] = (struct config){ .transport = t->name, .transport_id = t->id, .translate = all[i].translate,
					  .translate_id = all[i].xl, .max_per_doorbell = t->max_bytes_per_doorbell };
		if (per_page)
			snprintf(out[n].label, sizeof(out[n].label), "%s(%s)", t->name, all[i].translate);
		else
			snprintf(out[n].label, sizeof(out[n].label), "%s", t->name);
		n++;
	}
	return n + ring_rows(o, out + n);
}

/* A ring row's configuration at queue depth qd: a send is a stream of o->requests, a
 * receive one request (qd 1 only); cold buffers do not apply (the ring's library faults
 * its buffers in before the request).  False if the combination is not measured. */
static bool ring_config(const struct bench_opts *o, struct config *c, uint64_t qd)
{
	if (c->transport_id != RING_ID)
		return qd == o->qds[0];
	if (c->cold || (c->kind == PG_CMD_RECV && qd != 1))
		return false;
	c->qd = (uint32_t)qd;
	c->kind = c->kind == PG_CMD_SEND ? PG_CMD_STREAM : c->kind;
	c->requests = c->kind == PG_CMD_STREAM ? o->requests : 1;
	return true;
}

/* Configurations ordered size-major, so the blocked order can run one size after another. */
static size_t build_configs(const struct bench_opts *o, struct config *configs)
{
	struct config row[24], base; /* 5 doorbell rows, 2 x 2 x 3 ring rows */
	int nrows = rows(o, row);
	size_t n = 0;

	for (int s = 0; s < o->nsizes; s++)
		for (unsigned axes = 0; axes < 64; axes++) /* bits: recv, cold, 2m, scattered, untimed, iov */
			for (int r = 0; r < nrows; r++) {
				bool d = axes & 1, f = axes & 2, p = axes & 4, fr = axes & 8, off = axes & 16, iov = axes & 32;
				struct config *c = &configs[n];

				if (!(d ? o->recv : o->send) || !(f ? o->cold : o->warm) || !(p ? o->pages_2m : o->pages_4k) ||
				    !(fr ? o->scattered : o->contiguous) || !(off ? o->untimed : o->timed) ||
				    !(iov ? o->iov : o->copy) || n == MAX_CONFIGS)
					continue;
				*c = row[r];
				c->direction = d ? "recv" : "send";
				c->kind = d ? PG_CMD_RECV : PG_CMD_SEND;
				c->cold = f;
				c->page_shift = p ? PAGE_SHIFT_2M : PAGE_SHIFT_4K;
				c->frame_policy = fr ? PG_FRAMES_SCATTERED : PG_FRAMES_CONTIGUOUS;
				c->offset = o->offset;
				c->bytes = o->sizes[s];
				c->timing_off = off;
				c->iov = iov;
				c->through_device = o->through_device;
				base = *c;
				for (int q = 0; q < o->nqds && n < MAX_CONFIGS; q++) {
					configs[n] = base;
					n += ring_config(o, &configs[n], o->qds[q]);
				}
			}
	return n;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

struct sweep {
	const struct bench_opts *o;
	const struct config *configs;
	size_t nconfigs;
	struct pg_cmd *cmds;  /* the calibration, then one per step */
	struct order_step *steps; /* steps[i] is cmds[i + 1] */
	size_t ncmds;
	struct hostcopy copy; /* the calibration's and the pairs' memcpy buffers */
	struct dataset *ds;
	struct run_info info;
	char dir[512], err[640];
	double started;
	int failures;
};

static void progress(const struct sweep *sw, size_t done)
{
	double elapsed = now_s() - sw->started, eta = elapsed / (double)done * (double)(sw->ncmds - done);

	fprintf(stderr, "\r  transfer %zu of %zu, elapsed %.0f s, ETA %.0f s   ", done, sw->ncmds, elapsed, eta);
	if (done == sw->ncmds)
		fputc('\n', stderr);
}

static struct sample to_sample(const struct sweep *sw, const struct transfer_result *r, const struct order_step *st)
{
	struct sample s = { .config = st->config, .rep = st->rep, .status = r->guest.status };
	const struct config *c = &sw->configs[s.config];

	s.total_ns = (double)r->guest.guest_ticks * 1e6 / (double)r->tsc_khz;
	s.mbps = (double)c->bytes * (double)config_requests(c) / s.total_ns * 1e3;
	sample_add_stages(&s, &r->t, r->tsc_khz);
	sample_add_requests(&s, &r->guest, &r->t, r->tsc_khz, c->transport_id == RING_ID,
			    c->kind == PG_CMD_STREAM ? c->requests : 0);
	sample_set_bounds(&s, c, sw->info.cal.doorbell_ns, r->memcpy_ns);
	sample_set_gather(&s, c, r->gather_ns);
	return s;
}

static void on_result(const struct transfer_result *r, size_t i, void *ctx)
{
	struct sweep *sw = ctx;
	const struct order_step *st = &sw->steps[i - (i > 0)];
	struct sample s;

	if (i == 0) { /* the calibration */
		sw->info.cal.doorbell_ns = (double)r->guest.guest_ticks * 1e6 / (double)r->tsc_khz;
		sw->info.tsc_khz = r->tsc_khz;
		sw->ds = dataset_create(sw->dir, sw->configs, sw->nconfigs, sw->o->reps, &sw->info, sw->err,
					sizeof(sw->err));
		if (!sw->ds)
			vm_stop_requested = 1;
		return;
	}
	if (!sw->o->quiet && isatty(2))
		progress(sw, i + 1);
	if (st->rep < 0 || !sw->ds)
		return;
	s = to_sample(sw, r, st);
	sw->failures += s.status != PG_DB_OK;
	if (dataset_add(sw->ds, &s) || (st->checkpoint && dataset_checkpoint(sw->ds))) {
		snprintf(sw->err, sizeof(sw->err), "cannot write to the dataset in %s", sw->dir);
		vm_stop_requested = 1;
	}
}

/* The calibration, then a command per step of the sweep's order. */
static void build_commands(struct sweep *sw)
{
	const struct bench_opts *o = sw->o;
	size_t nsteps = sw->nconfigs * (size_t)(o->warmup + o->reps);
	uint64_t *bytes = malloc(sw->nconfigs * sizeof(*bytes));

	for (size_t c = 0; c < sw->nconfigs; c++)
		bytes[c] = sw->configs[c].bytes;
	order_build(o->order, sw->info.order_seed, bytes, sw->nconfigs, o->warmup, o->reps, sw->steps);
	free(bytes);
	sw->cmds[0] = (struct pg_cmd){ .kind = PG_CMD_NULL_RINGS, .transport = transport_by_name("basic")->id,
				       .bytes = CALIBRATION_RINGS };
	for (size_t n = 1; n <= nsteps; n++) {
		const struct config *cf = &sw->configs[sw->steps[n - 1].config];

		sw->cmds[n] = (struct pg_cmd){
			.kind = cf->kind, .transport = cf->transport_id, .bytes = cf->bytes, .offset = cf->offset,
			.cold = cf->cold, .page_shift = cf->page_shift, .frame_policy = cf->frame_policy,
			.translate = cf->translate_id, .timing_off = cf->timing_off,
			.delivery = cf->iov ? DELIVER_IOV : DELIVER_COPY, .through_device = cf->through_device,
			.frame_seed = 1, .data_seed = n, .ring_addressing = cf->ring_addr, .ring_notify = cf->ring_notify,
			.qd = cf->qd, .ring_spin_ns = cf->ring_spin_ns, .requests = cf->requests,
			.ring_complete = cf->ring_complete,
		};
	}
	sw->ncmds = nsteps + 1;
}

static void stop_on_signal(int sig)
{
	(void)sig;
	vm_stop_requested = 1;
}

/* What every run of a bench command shares. */
struct plan {
	const struct bench_opts *o;
	const struct vm_config *cfg;
	const struct pin_info *pin;
	const char *cmdline;
	const struct config *configs;
	size_t nconfigs;
};

/* One sweep into dir: boot, calibrate, measure every step; its exit status. */
static int run_sweep(const struct plan *p, const char *dir, uint64_t seed)
{
	const struct bench_opts *o = p->o;
	size_t nsteps = p->nconfigs * (size_t)(o->reps + o->warmup);
	struct sweep sw = { .o = o, .configs = p->configs, .nconfigs = p->nconfigs };
	struct session_options sopt = { .timing = true, .max_op_bytes = o->max_op_bytes, .pair = &sw.copy,
					.on_result = on_result, .ctx = &sw };
	struct transfer_result *res;
	char why[1200];
	enum vm_outcome outcome;
	int rc;

	if (hostcopy_init(&sw.copy, o->max_op_bytes > (4u << 20) ? o->max_op_bytes : (4u << 20))) {
		fprintf(stderr, "pagegate bench: no memory for the memcpy buffers\n");
		return 1;
	}
	snprintf(sw.dir, sizeof(sw.dir), "%s", dir);
	sw.info = (struct run_info){ .command_line = p->cmdline, .guest_ram = p->cfg->mem_bytes,
				     .topology = p->pin->topology, .pin_map = p->pin->map,
				     .hwloc_version = p->pin->hwloc_version,
				     .order = order_name(o->order), .order_seed = seed };
	sw.cmds = calloc(1 + nsteps, sizeof(*sw.cmds));
	sw.steps = calloc(nsteps, sizeof(*sw.steps));
	build_commands(&sw);
	res = calloc(sw.ncmds, sizeof(*res));
	sw.info.cal.memcpy_gbps = (double)(4u << 20) / hostcopy_ns(&sw.copy, 4u << 20);
	kvm_platform_probe(&sw.info.vm.platform);
	warn_if_emulated(&sw.info.vm.platform);
	signal(SIGINT, stop_on_signal);
	signal(SIGTERM, stop_on_signal);
	sw.started = now_s();
	outcome = session_run(p->cfg, &sopt, sw.cmds, sw.ncmds, res, why, sizeof(why), &sw.info.vm);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	rc = outcome == VM_DONE ? (sw.failures ? 1 : 0) : vm_stop_requested && !sw.err[0] ? 130 : 1;
	if (outcome != VM_DONE)
		fprintf(stderr, "pagegate bench: %s\n", sw.err[0] ? sw.err : why);
	if (sw.ds) {
		if (dataset_close(sw.ds, outcome == VM_DONE ? "complete" : "interrupted"))
			rc = 1;
		if (!o->quiet)
			table_print(sw.dir, stdout);
		printf("dataset: %s\n", sw.dir);
	}
	if (sw.failures)
		fprintf(stderr, "pagegate bench: %d transfers failed (status column of results.csv)\n", sw.failures);
	free(res);
	free(sw.cmds);
	free(sw.steps);
	hostcopy_fini(&sw.copy);
	return rc;
}

/* --runs N: sweeps into base/run-1 .. base/run-N, seeds seed .. seed + N - 1, then the
 * spread report; stops at the first run that does not complete. */
static int run_many(const struct plan *p, const char *base)
{
	const struct bench_opts *o = p->o;
	char dirs[MAX_RUNS][600];
	const char *names[MAX_RUNS];
	int rc = 0;

	for (int k = 0; k < o->runs; k++) {
		int run_rc;

		snprintf(dirs[k], sizeof(dirs[k]), "%s/run-%d", base, k + 1);
		names[k] = dirs[k];
		printf("run %d of %d\n", k + 1, o->runs);
		fflush(stdout);
		run_rc = run_sweep(p, dirs[k], o->order_seed + (uint64_t)k);
		if (run_rc != 0 && run_rc != 1)
			return run_rc; /* interrupted, or it could not run: no report */
		rc |= run_rc;
	}
	return spread_report(names, o->runs, base, stdout) ? 1 : rc;
}

int bench_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct bench_opts o;
	struct plan plan;
	struct pin_info pin;
	struct config *configs;
	size_t nconfigs;
	char dir[512], err[640], cmdline[1024];
	int rc;

	pagegate_command_line(cmdline, sizeof(cmdline)); /* before parsing splits the lists in place */
	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (pin_current_thread(o.pin, &pin, err, sizeof(err))) {
		fprintf(stderr, "pagegate bench: %s\n", err);
		return 2;
	}
	rc = kvm_check_environment();
	if (rc)
		return rc;
	configs = calloc(MAX_CONFIGS, sizeof(*configs));
	nconfigs = build_configs(&o, configs);
	if (!nconfigs) {
		free(configs);
		return bad("--transport/--translate", "(no configuration left)");
	}
	if (o.out)
		snprintf(dir, sizeof(dir), "%s", o.out);
	else
		dataset_default_dir(dir, sizeof(dir), "");
	plan = (struct plan){ &o, cfg, &pin, cmdline, configs, nconfigs };
	rc = o.runs > 1 ? run_many(&plan, dir) : run_sweep(&plan, dir, o.order_seed);
	free(configs);
	return rc;
}
