/*
 * `pagegate bench`: a sweep over transports x translation x direction x fault x page
 * size x frame policy x delivery x sizes in one boot, after a calibration (null-doorbell round trip
 * in the guest, memcpy bandwidth on the host).  Repetitions of all configurations of a
 * size take turns, so slow drifts of the machine hit every configuration alike.  Each
 * measured repetition goes to the dataset as it finishes; at the end (or on Ctrl-C) the
 * Table 7.1 view of the dataset is printed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../transports/transport.h"
#include "../vmm-min/x86.h"
#include "bench.h"
#include "dataset.h"
#include "pin.h"
#include "session.h"
#include "stats.h"
#include "table.h"

#define MAX_LIST 32
#define MAX_CONFIGS 4096
#define CALIBRATION_RINGS 1000

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
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pagegate [global options] bench [options]\n"
		"  --transport LIST  basic,extended,ptcopy (default: all)\n"
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
		"  --quiet           no progress line and no table\n");
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
		{ "window", required_argument, 0, 'W' },
		{ "help", no_argument, 0, 'h' },            { "max-op-bytes", required_argument, 0, 'M' },
		{ 0, 0, 0, 0 },
	};
	static const char *const transport_names[] = { "basic", "extended", "ptcopy", NULL };
	static const char *const translate_names[] = { "kvm", "walk", NULL };
	char *end;
	int c;

	*o = (struct bench_opts){ .reps = 5, .warmup = 1, .send = true, .warm = true, .pages_4k = true,
				  .scattered = true, .timed = true, .copy = true, .through_device = -1, .pin = "auto" };
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
	return n;
}

/* Configurations ordered size-major, so one size's repetitions can take turns. */
static size_t build_configs(const struct bench_opts *o, struct config *configs)
{
	struct config row[8];
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
				n++;
			}
	return n;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Host memcpy bandwidth (GB/s) for copies of len bytes (at most 64 MiB), median of 7
 * trials of at least 1 ms each, so small copies are timed in cache as transfers are. */
static double host_memcpy_gbps(size_t len)
{
	char *a, *b;
	double trial[7];
	size_t reps;

	len = len < (64u << 20) ? len : (64u << 20);
	reps = (1u << 22) / len + 1;
	a = malloc(len);
	b = malloc(len);
	memset(a, 1, len);
	memset(b, 2, len);
	for (int i = 0; i < 7; i++) {
		double t0 = now_s();

		for (size_t r = 0; r < reps; r++) {
			memcpy(r % 2 ? a : b, r % 2 ? b : a, len);
			__asm__ volatile("" : : "r"(a), "r"(b) : "memory");
		}
		trial[i] = (double)(len * reps) / ((now_s() - t0) * 1e9);
	}
	free(a);
	free(b);
	return stats_median(trial, 7);
}

struct sweep {
	const struct bench_opts *o;
	struct config *configs;
	size_t nconfigs;
	struct pg_cmd *cmds;
	size_t *cmd_config; /* per command: its configuration */
	int *cmd_rep;       /* per command: repetition, -1 for warm-up and calibration */
	size_t ncmds;
	struct dataset *ds;
	struct run_info info;
	struct pin_info pin;
	char dir[512], cmdline[1024], err[640];
	double started;
	int failures;
};

static void progress(const struct sweep *sw, size_t done)
{
	double elapsed = now_s() - sw->started, eta = elapsed / (double)done * (double)(sw->ncmds - done);

	fprintf(stderr, "\r  transfer %zu of %zu, configuration %zu of %zu, elapsed %.0f s, ETA %.0f s   ", done,
		sw->ncmds, sw->cmd_config[done - 1] + 1, sw->nconfigs, elapsed, eta);
	if (done == sw->ncmds)
		fputc('\n', stderr);
}

static struct sample to_sample(const struct sweep *sw, const struct transfer_result *r, size_t i)
{
	struct sample s = { .config = sw->cmd_config[i], .rep = sw->cmd_rep[i], .status = r->guest.status };
	const struct config *c = &sw->configs[s.config];

	s.total_ns = (double)r->guest.guest_ticks * 1e6 / (double)r->tsc_khz;
	s.mbps = (double)c->bytes / s.total_ns * 1e3;
	sample_add_stages(&s, &r->t, r->tsc_khz);
	s.bound_ns = dataset_bound_ns(c, &sw->info.cal);
	s.pct_of_bound = 100.0 * s.bound_ns / s.total_ns;
	return s;
}

static void on_result(const struct transfer_result *r, size_t i, void *ctx)
{
	struct sweep *sw = ctx;
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
	if (sw->cmd_rep[i] < 0 || !sw->ds)
		return;
	s = to_sample(sw, r, i);
	sw->failures += s.status != PG_DB_OK;
	if (dataset_add(sw->ds, &s)) {
		snprintf(sw->err, sizeof(sw->err), "cannot write to the dataset in %s", sw->dir);
		vm_stop_requested = 1;
	}
}

/* Calibration first, then per size: warm-up and measured repetitions, every
 * configuration of the size taking its turn in each. */
static void build_commands(struct sweep *sw)
{
	const struct bench_opts *o = sw->o;
	size_t n = 1, first = 0;

	sw->cmds[0] = (struct pg_cmd){ .kind = PG_CMD_NULL_RINGS, .transport = sw->configs[0].transport_id,
				       .bytes = CALIBRATION_RINGS };
	sw->cmd_rep[0] = -1;
	while (first < sw->nconfigs) {
		size_t last = first;

		while (last < sw->nconfigs && sw->configs[last].bytes == sw->configs[first].bytes)
			last++;
		for (int r = -o->warmup; r < o->reps; r++)
			for (size_t c = first; c < last; c++) {
				const struct config *cf = &sw->configs[c];

				sw->cmds[n] = (struct pg_cmd){
					.kind = cf->kind, .transport = cf->transport_id, .bytes = cf->bytes,
					.offset = cf->offset, .cold = cf->cold, .page_shift = cf->page_shift,
					.frame_policy = cf->frame_policy, .translate = cf->translate_id,
					.timing_off = cf->timing_off, .delivery = cf->iov ? DELIVER_IOV : DELIVER_COPY,
					.through_device = cf->through_device, .frame_seed = 1, .data_seed = n,
				};
				sw->cmd_config[n] = c;
				sw->cmd_rep[n++] = r;
			}
		first = last;
	}
	sw->ncmds = n;
}

static void stop_on_signal(int sig)
{
	(void)sig;
	vm_stop_requested = 1;
}

int bench_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct bench_opts o;
	struct sweep sw = { .o = &o };
	int rc = parse_opts(argc, argv, &o);
	struct session_options sopt = { .timing = true, .on_result = on_result, .ctx = &sw };
	struct transfer_result *res;
	char why[1200];
	enum vm_outcome outcome;

	if (rc)
		return rc == 1 ? 0 : rc;
	sopt.max_op_bytes = o.max_op_bytes;
	if (pin_current_thread(o.pin, &sw.pin, sw.err, sizeof(sw.err))) {
		fprintf(stderr, "pagegate bench: %s\n", sw.err);
		return 2;
	}
	rc = kvm_check_environment();
	if (rc)
		return rc;
	sw.configs = calloc(MAX_CONFIGS, sizeof(*sw.configs));
	sw.nconfigs = build_configs(&o, sw.configs);
	if (!sw.nconfigs) {
		free(sw.configs);
		return bad("--transport/--translate", "(no configuration left)");
	}
	sw.cmds = calloc(1 + sw.nconfigs * (size_t)(o.reps + o.warmup), sizeof(*sw.cmds));
	sw.cmd_config = calloc(1 + sw.nconfigs * (size_t)(o.reps + o.warmup), sizeof(*sw.cmd_config));
	sw.cmd_rep = calloc(1 + sw.nconfigs * (size_t)(o.reps + o.warmup), sizeof(*sw.cmd_rep));
	build_commands(&sw);
	res = calloc(sw.ncmds, sizeof(*res));
	if (o.out)
		snprintf(sw.dir, sizeof(sw.dir), "%s", o.out);
	else
		dataset_default_dir(sw.dir, sizeof(sw.dir), "");
	pagegate_command_line(sw.cmdline, sizeof(sw.cmdline));
	sw.info = (struct run_info){ .command_line = sw.cmdline, .guest_ram = cfg->mem_bytes, .topology = sw.pin.topology,
				     .pin_map = sw.pin.map, .hwloc_version = sw.pin.hwloc_version };
	sw.info.cal.memcpy_gbps = host_memcpy_gbps(4 << 20);
	for (int i = 0; i < o.nsizes && i < CAL_MAX_SIZES; i++) {
		sw.info.cal.sizes[i] = o.sizes[i];
		sw.info.cal.memcpy_gbps_at[i] = host_memcpy_gbps(o.sizes[i]);
		sw.info.cal.nsizes = i + 1;
	}
	kvm_platform_probe(&sw.info.vm.platform);
	warn_if_emulated(&sw.info.vm.platform);
	signal(SIGINT, stop_on_signal);
	signal(SIGTERM, stop_on_signal);
	sw.started = now_s();
	outcome = session_run(cfg, &sopt, sw.cmds, sw.ncmds, res, why, sizeof(why), &sw.info.vm);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	rc = outcome == VM_DONE ? (sw.failures ? 1 : 0) : vm_stop_requested && !sw.err[0] ? 130 : 1;
	if (outcome != VM_DONE)
		fprintf(stderr, "pagegate bench: %s\n", sw.err[0] ? sw.err : why);
	if (sw.ds) {
		if (dataset_close(sw.ds, outcome == VM_DONE ? "complete" : "interrupted"))
			rc = 1;
		if (!o.quiet)
			table_print(sw.dir, stdout);
		printf("dataset: %s\n", sw.dir);
	}
	if (sw.failures)
		fprintf(stderr, "pagegate bench: %d transfers failed (status column of results.csv)\n", sw.failures);
	free(res);
	free(sw.cmds);
	free(sw.cmd_config);
	free(sw.cmd_rep);
	free(sw.configs);
	return rc;
}
