/*
 * `pagegate bench`: transfers of 1-4 MiB (or --sizes) through each transport in one
 * boot, printed in the layout of the thesis's Table 7.1 (rows: transports; columns:
 * sizes; MB/s with MB = 10^6 bytes, median over --reps of the guest-timed transfer)
 * beside the thesis's own numbers, then each row's per-stage medians at the largest
 * size: where the time goes.  Options may stay few here; the harness grows them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../transports/basic/basic.h"
#include "../transports/extended/extended.h"
#include "../transports/ptcopy/ptcopy.h"
#include "../vmm-min/x86.h"
#include "bench.h"
#include "session.h"

#define MAX_ROWS 8
#define MAX_SIZES 16

struct row {
	const char *label;
	unsigned transport;
	unsigned translate;
	bool timing_off;
};

static const struct row all_rows[] = {
	{ "basic", BASIC_ID, XLATE_KVM, false },
	{ "extended(kvm)", EXTENDED_ID, XLATE_KVM, false },
	{ "extended(walk)", EXTENDED_ID, XLATE_WALK, false },
	{ "ptcopy", PTCOPY_ID, XLATE_KVM, false },
};

/* Thesis Table 7.1, MB/s at 1-4 MB. */
static const double thesis[2][4] = { { 78, 83, 85, 80 }, { 121, 126, 132, 134 } };

struct bench_opts {
	struct row rows[MAX_ROWS];
	int nrows;
	uint64_t sizes[MAX_SIZES];
	int nsizes;
	int reps, warmup;
	uint32_t kind, cold, page_shift, frame_policy;
	uint64_t offset;
	bool timing, overhead;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pagegate [global options] bench [options]\n"
		"  --transport LIST   rows: basic,extended(kvm),extended(walk),ptcopy (default: all;\n"
		"                     'extended' means both translation methods)\n"
		"  --sizes LIST       transfer sizes, K/M/G suffixes (default 1M,2M,3M,4M)\n"
		"  --reps N           measured repetitions per cell (default 5)\n"
		"  --warmup N         unmeasured repetitions first (default 1)\n"
		"  --direction D      send | recv (default send)\n"
		"  --fault F          warm | cold (default warm)\n"
		"  --pages P          4k | 2m guest pages (default 4k)\n"
		"  --frames F         contiguous | scattered (default scattered)\n"
		"  --offset N         buffer start within its page, bytes (default 0)\n"
		"  --no-timing        stage timing off\n"
		"  --timing-overhead  every row twice, timing on and off in alternate repetitions;\n"
		"                     prints the throughput ratio off/on\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	if (end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	*out = v;
	return *end || v == 0 ? -1 : 0;
}

static int add_rows(struct bench_opts *o, const char *name)
{
	int added = 0;

	for (size_t i = 0; i < sizeof(all_rows) / sizeof(all_rows[0]); i++)
		if (!strcmp(all_rows[i].label, name) ||
		    (!strncmp(all_rows[i].label, name, strlen(name)) && all_rows[i].label[strlen(name)] == '(')) {
			if (o->nrows == MAX_ROWS)
				return -1;
			o->rows[o->nrows++] = all_rows[i];
			added++;
		}
	return added ? 0 : -1;
}

static int parse_list(char *list, int (*each)(struct bench_opts *, const char *), struct bench_opts *o)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
		if (each(o, tok))
			return -1;
	return 0;
}

static int add_size(struct bench_opts *o, const char *s)
{
	return o->nsizes == MAX_SIZES || parse_size(s, &o->sizes[o->nsizes++]) ? -1 : 0;
}

static int bad(const char *opt, const char *value)
{
	fprintf(stderr, "pagegate bench: bad value '%s' for %s (see pagegate bench --help)\n", value, opt);
	return 2;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "transport", required_argument, 0, 't' }, { "sizes", required_argument, 0, 's' },
		{ "reps", required_argument, 0, 'r' },      { "warmup", required_argument, 0, 'w' },
		{ "direction", required_argument, 0, 'd' }, { "fault", required_argument, 0, 'f' },
		{ "pages", required_argument, 0, 'p' },     { "frames", required_argument, 0, 'F' },
		{ "no-timing", no_argument, 0, 'n' },       { "offset", required_argument, 0, 'o' },
		{ "timing-overhead", no_argument, 0, 'O' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	*o = (struct bench_opts){ .reps = 5, .warmup = 1, .kind = PG_CMD_SEND, .page_shift = PAGE_SHIFT_4K,
				  .frame_policy = PG_FRAMES_SCATTERED, .timing = true };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_list(optarg, add_rows, o))
				return bad("--transport", optarg);
			break;
		case 's':
			if (parse_list(optarg, add_size, o))
				return bad("--sizes", optarg);
			break;
		case 'r':
			o->reps = atoi(optarg);
			if (o->reps < 1 || o->reps > 1000)
				return bad("--reps", optarg);
			break;
		case 'w':
			o->warmup = atoi(optarg);
			if (o->warmup < 0 || o->warmup > 100)
				return bad("--warmup", optarg);
			break;
		case 'd':
			if (strcmp(optarg, "send") && strcmp(optarg, "recv"))
				return bad("--direction", optarg);
			o->kind = strcmp(optarg, "send") ? PG_CMD_RECV : PG_CMD_SEND;
			break;
		case 'f':
			if (strcmp(optarg, "warm") && strcmp(optarg, "cold"))
				return bad("--fault", optarg);
			o->cold = !strcmp(optarg, "cold");
			break;
		case 'p':
			if (strcmp(optarg, "4k") && strcmp(optarg, "2m"))
				return bad("--pages", optarg);
			o->page_shift = strcmp(optarg, "4k") ? PAGE_SHIFT_2M : PAGE_SHIFT_4K;
			break;
		case 'F':
			if (strcmp(optarg, "contiguous") && strcmp(optarg, "scattered"))
				return bad("--frames", optarg);
			o->frame_policy = strcmp(optarg, "contiguous") ? PG_FRAMES_SCATTERED : PG_FRAMES_CONTIGUOUS;
			break;
		case 'n':
			o->timing = false;
			break;
		case 'O':
			o->overhead = true;
			break;
		case 'o':
			if (parse_size(optarg, &o->offset) || o->offset >= 4096)
				return bad("--offset", optarg);
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
	if (!o->nrows)
		for (size_t i = 0; i < sizeof(all_rows) / sizeof(all_rows[0]); i++)
			o->rows[o->nrows++] = all_rows[i];
	if (!o->nsizes)
		for (int i = 1; i <= 4; i++)
			o->sizes[o->nsizes++] = (uint64_t)i << 20;
	if (o->overhead) {
		if (2 * o->nrows > MAX_ROWS)
			return bad("--timing-overhead", "(too many rows)");
		for (int r = 0, n = o->nrows; r < n; r++) {
			o->rows[o->nrows] = o->rows[r];
			o->rows[o->nrows++].timing_off = true;
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Result index of (row, size, rep) with warm-up repetitions first. */
static size_t cell(const struct bench_opts *o, int row, int size, int rep)
{
	return ((size_t)row * (size_t)o->nsizes + (size_t)size) * (size_t)(o->warmup + o->reps) +
	       (size_t)(o->warmup + rep);
}

static double ticks_to_ns(uint64_t tsc_khz, double ticks)
{
	return ticks * 1e6 / (double)tsc_khz;
}

static double stage_median(const struct bench_opts *o, const struct transfer_result *res, int row, int size,
			   size_t field, uint64_t tsc_khz)
{
	double v[1000];

	for (int r = 0; r < o->reps; r++)
		v[r] = ticks_to_ns(tsc_khz, (double)((const uint64_t *)&res[cell(o, row, size, r)].t)[field]);
	return median(v, o->reps);
}

static double median_mbs(const struct bench_opts *o, const struct transfer_result *res, int row, int s,
			 uint64_t tsc_khz)
{
	double mbs[1000];

	for (int r = 0; r < o->reps; r++)
		mbs[r] = (double)o->sizes[s] /
			 ticks_to_ns(tsc_khz, (double)res[cell(o, row, s, r)].guest.guest_ticks) * 1e3;
	return median(mbs, o->reps);
}

static void print_table(const struct bench_opts *o, const struct transfer_result *res, uint64_t tsc_khz)
{
	printf("\nThroughput, MB/s (MB = 10^6 bytes; median of %d; %s, %s, %s pages, %s frames)\n", o->reps,
	       o->kind == PG_CMD_SEND ? "send" : "recv", o->cold ? "cold" : "warm",
	       o->page_shift == PAGE_SHIFT_4K ? "4 KiB" : "2 MiB",
	       o->frame_policy == PG_FRAMES_SCATTERED ? "scattered" : "contiguous");
	printf("%-22s", "transport");
	for (int s = 0; s < o->nsizes; s++)
		printf(" %9.6g MiB", (double)o->sizes[s] / (1 << 20));
	printf("\n");
	for (int row = 0; row < o->nrows; row++) {
		printf("%-15s%-7s", o->rows[row].label, o->rows[row].timing_off ? " untimed" : "");
		for (int s = 0; s < o->nsizes; s++) {
			bool ok = true;

			for (int r = 0; r < o->reps; r++) {
				const struct transfer_result *t = &res[cell(o, row, s, r)];

				ok &= t->done && t->guest.status == PG_DB_OK;
			}
			if (ok)
				printf(" %13.1f", median_mbs(o, res, row, s, tsc_khz));
			else
				printf(" %13s", "FAILED");
		}
		printf("\n");
	}
	printf("%-22s %13.0f %13.0f %13.0f %13.0f   (Table 7.1, 1-4 MB)\n", "thesis basic", thesis[0][0],
	       thesis[0][1], thesis[0][2], thesis[0][3]);
	printf("%-22s %13.0f %13.0f %13.0f %13.0f\n", "thesis extended", thesis[1][0], thesis[1][1], thesis[1][2],
	       thesis[1][3]);
}

/* With --timing-overhead: throughput untimed / timed, per row and size. */
static void print_overhead(const struct bench_opts *o, const struct transfer_result *res, uint64_t tsc_khz)
{
	int half = o->nrows / 2;

	printf("\nStage-timing overhead: throughput with timing off / on (1.03 = timing costs 3%%)\n");
	for (int row = 0; row < half; row++) {
		printf("%-22s", o->rows[row].label);
		for (int s = 0; s < o->nsizes; s++)
			printf(" %13.3f", median_mbs(o, res, row + half, s, tsc_khz) / median_mbs(o, res, row, s, tsc_khz));
		printf("\n");
	}
}

static void print_stages(const struct bench_opts *o, const struct transfer_result *res, uint64_t tsc_khz,
			 const char *backend)
{
	static const char *const names[] = { "exit", "translate", "fault", "copy", "handler", "entry" };
	int s = o->nsizes - 1;

	printf("\nStages at %.6g MiB, median us per transfer (host TSC; exit/entry need KVM_VCPU_TSC_OFFSET, %s)\n",
	       (double)o->sizes[s] / (1 << 20), backend);
	printf("%-22s %10s", "transport", "total");
	for (size_t f = 0; f < 6; f++)
		printf(" %10s", names[f]);
	printf(" %9s %8s %7s\n", "doorbells", "pages", "faults");
	for (int row = 0; row < o->nrows; row++) {
		double total[1000];
		const struct transfer_result *first = &res[cell(o, row, s, 0)];

		for (int r = 0; r < o->reps; r++)
			total[r] = ticks_to_ns(tsc_khz, (double)res[cell(o, row, s, r)].guest.guest_ticks);
		printf("%-15s%-7s %10.1f", o->rows[row].label, o->rows[row].timing_off ? " untimed" : "",
		       median(total, o->reps) / 1e3);
		for (size_t f = 0; f < 6; f++)
			printf(" %10.1f", stage_median(o, res, row, s, f, tsc_khz) / 1e3);
		printf(" %9llu %8llu %7llu\n", (unsigned long long)first->t.doorbells,
		       (unsigned long long)first->t.pages, (unsigned long long)first->t.faults);
	}
}

int bench_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct bench_opts o;
	int rc = parse_opts(argc, argv, &o);
	size_t n, i = 0;
	struct pg_cmd *cmds;
	struct transfer_result *res, *in_order;
	struct session_options sopt;
	size_t *order;
	uint64_t tsc_khz = 0;
	const char *backend = "";
	char why[1200];

	if (rc)
		return rc == 1 ? 0 : rc;
	n = (size_t)o.nrows * (size_t)o.nsizes * (size_t)(o.warmup + o.reps);
	cmds = calloc(n, sizeof(*cmds));
	res = calloc(n, sizeof(*res));
	in_order = calloc(n, sizeof(*in_order));
	order = calloc(n, sizeof(*order));
	/* rows take turns within each repetition, so slow drifts of the machine hit all alike */
	for (int s = 0; s < o.nsizes; s++)
		for (int r = 0; r < o.warmup + o.reps; r++)
			for (int row = 0; row < o.nrows; row++) {
				order[i] = cell(&o, row, s, r - o.warmup);
				cmds[i] = (struct pg_cmd){ .kind = o.kind, .transport = o.rows[row].transport,
							   .bytes = o.sizes[s], .offset = o.offset, .cold = o.cold,
							   .page_shift = o.page_shift, .frame_policy = o.frame_policy,
							   .translate = o.rows[row].translate,
							   .timing_off = o.rows[row].timing_off, .frame_seed = 1,
							   .data_seed = i };
				i++;
			}
	sopt = (struct session_options){ .timing = o.timing };
	if (session_run(cfg, &sopt, cmds, n, in_order, why, sizeof(why), &tsc_khz, &backend) != VM_DONE) {
		fprintf(stderr, "pagegate bench: %s\n", why);
		rc = 1;
	} else {
		for (i = 0; i < n; i++) {
			res[order[i]] = in_order[i];
			rc |= in_order[i].guest.status != PG_DB_OK;
		}
		print_table(&o, res, tsc_khz);
		print_stages(&o, res, tsc_khz, backend);
		if (o.overhead)
			print_overhead(&o, res, tsc_khz);
	}
	free(cmds);
	free(res);
	free(in_order);
	free(order);
	return rc;
}
