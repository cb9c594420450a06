/*
 * Dataset writing (see dataset.h).  results.csv is opened O_APPEND and each row goes out
 * in one write(2), so a killed run leaves only whole rows; summary.csv and meta.json are
 * written to a temporary file, flushed and renamed over the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "../transports/ring/ring.h"
#include "../transports/transport.h"
#include "dataset.h"
#include "git.h"
#include "stats.h"

#define PG_VERSION "0.3.0"

const char *const stage_names[NR_STAGES] = { "exit", "translate", "fault", "copy", "handler", "entry" };
const char *const ring_stage_names[RING_STAGES] = { "queue", "translate", "copy", "device", "complete", "notice" };
const char *const dataset_facet_cols[DATASET_NFACETS] = { "direction", "fault",    "page_size", "frames", "offset",
							  "timing",    "delivery", "window",    "qd",     "complete" };

struct dataset {
	char dir[512];
	int results_fd;
	const struct config *configs;
	size_t nconfigs;
	int reps;
	const struct run_info *info;
	struct sample *samples;
	size_t nsamples;
	char started[32];
};

static const char results_header[] =
	"config_id,label,transport,translate,direction,fault,page_size,frames,offset,bytes,timing,delivery,window,qd,"
	"complete,rep,status,total_ns,mbps,doorbells,pages_translated,faults,bytes_copied,exit_ns,translate_ns,"
	"fault_ns,copy_ns,handler_ns,"
	"entry_ns,guest_ns,bound_ns,pct_of_bound,memcpy_ns,pct_of_memcpy,clock,requests,req_per_s,lat_p50_ns,"
	"lat_p99_ns,kicks_per_req,reqs_per_round,interrupts_per_req,io_busy_pct,io_cpu_pct,ring_queue_ns,"
	"ring_translate_ns,ring_copy_ns,"
	"ring_device_ns,ring_complete_ns,ring_notice_ns,gather_ns,pct_of_gather\n";

void sample_add_stages(struct sample *s, const struct stage_times *t, uint64_t tsc_khz)
{
	double ns_per_tick = 1e6 / (double)tsc_khz, stages = 0;
	const uint64_t *ticks = &t->exit; /* exit .. entry, in struct order */

	for (int st = 0; st < NR_STAGES; st++) {
		s->stage_ns[st] = (double)ticks[st] * ns_per_tick;
		stages += s->stage_ns[st];
	}
	s->guest_ns = s->total_ns - stages;
	s->clock_ok = t->clock_outside == 0;
	if (!s->clock_ok) /* legs across the two clocks, and what they leave, not measured */
		s->stage_ns[STAGE_EXIT] = s->stage_ns[STAGE_ENTRY] = s->guest_ns = NAN;
	s->doorbells = t->doorbells;
	s->pages = t->pages;
	s->faults = t->faults;
	s->copied = t->copied;
}

bool sample_lat_hist_valid(const struct pg_result *g, uint64_t asked)
{
	static uint64_t refused;
	uint64_t sum = 0; /* at most PG_LAT_BUCKETS x 2^32: no overflow */

	for (uint32_t b = 0; b < PG_LAT_BUCKETS; b++)
		sum += g->lat_hist[b];
	if (sum == g->requests && g->requests >= 1 && g->requests <= asked)
		return true;
	if (++refused <= 10 || refused % 1000 == 0)
		fprintf(stderr, "pagegate: latency histogram refused (#%llu): its counts add up to %llu, the guest "
				"reports %llu requests, %llu were asked for; latencies of this repetition not measured\n",
			(unsigned long long)refused, (unsigned long long)sum, (unsigned long long)g->requests,
			(unsigned long long)asked);
	return false;
}

void sample_add_requests(struct sample *s, const struct pg_result *g, const struct stage_times *t, uint64_t tsc_khz,
			 bool one_shot, uint64_t asked)
{
	double ns_per_tick = 1e6 / (double)tsc_khz, n = g->requests ? (double)g->requests : 1;
	const uint64_t ring_ticks[RING_STAGES] = { g->queue_ticks,  g->translate_ticks, g->copy_ticks,
						   g->device_ticks, g->complete_ticks,  g->notice_ticks };
	double window = s->total_ns;

	s->requests = g->requests ? g->requests : 1;
	s->req_per_s = n / window * 1e9;
	s->lat_p50_ns = s->lat_p99_ns = s->kicks_per_req = s->reqs_per_round = s->irqs_per_req = s->io_busy_pct =
		s->io_cpu_pct = NAN;
	for (int st = 0; st < RING_STAGES; st++)
		s->ring_ns[st] = NAN;
	s->lat_hist_ok = one_shot && asked && sample_lat_hist_valid(g, asked);
	if (s->lat_hist_ok)
		memcpy(s->lat_hist, g->lat_hist, sizeof(s->lat_hist));
	if (!one_shot)
		return;
	s->lat_p50_ns = (double)g->lat_p50 * ns_per_tick;
	s->lat_p99_ns = (double)g->lat_p99 * ns_per_tick;
	s->kicks_per_req = (double)t->kicks / n;
	s->reqs_per_round = t->rounds ? (double)t->requests / (double)t->rounds : NAN;
	s->irqs_per_req = (double)t->interrupts / n;
	s->io_busy_pct = 100.0 * (double)t->io_busy * ns_per_tick / window;
	s->io_cpu_pct = 100.0 - 100.0 * (double)t->io_sleep * ns_per_tick / window;
	if (s->io_cpu_pct < 0 || s->io_busy_pct > 100) /* the thread's clock and the guest's disagree */
		s->io_busy_pct = s->io_cpu_pct = NAN;
	for (int st = 0; st < RING_STAGES && !g->clock_bad; st++)
		s->ring_ns[st] = (double)ring_ticks[st] * ns_per_tick / n;
	if (!s->clock_ok) /* queue, complete and notice mix the two clocks */
		s->ring_ns[0] = s->ring_ns[4] = s->ring_ns[5] = NAN;
}

void pagegate_command_line(char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t n = f ? fread(out, 1, cap - 1, f) : 0;

	for (size_t i = 0; i + 1 < n; i++)
		out[i] = out[i] ? out[i] : ' ';
	out[n] = 0;
	if (f)
		fclose(f);
}

const char *pagegate_revision(void)
{
	return PG_GIT_DIRTY ? PG_GIT_SHA "-dirty" : PG_GIT_SHA;
}

void pagegate_path(const char *rel, char *out, size_t cap)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(out, cap, "%s/%s", n > 0 && slash ? exe : ".", rel);
}

int pagegate_parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

void pagegate_size_name(double bytes, char *out, size_t cap)
{
	if (bytes >= 1 << 20)
		snprintf(out, cap, "%.6g MiB", bytes / (1 << 20));
	else if (bytes >= 1 << 10)
		snprintf(out, cap, "%.6g KiB", bytes / (1 << 10));
	else
		snprintf(out, cap, "%.0f B", bytes);
}

void dataset_default_dir(char *out, size_t cap, const char *suffix)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, cap, "datasets/runs/%s-%s%s", stamp, pagegate_revision(), suffix);
}

const char *page_size_name(unsigned page_shift)
{
	return page_shift == 21 ? "2m" : "4k";
}

const char *frames_name(unsigned policy)
{
	return policy ? "scattered" : "contiguous";
}

double dataset_bound_ns(const struct config *c, double doorbell_ns, double memcpy_ns)
{
	if (!c->max_per_doorbell) /* no exit per byte: copying every request's bytes once */
		return memcpy_ns;
	return ceil((double)c->bytes / (double)c->max_per_doorbell) * doorbell_ns + memcpy_ns;
}

/* One request's paired time for all the repetition's requests, or NAN if it was not timed
 * (not positive and finite). */
static double per_repetition(double one_request_ns, const struct config *c)
{
	bool paired = isfinite(one_request_ns) && one_request_ns > 0;

	return paired ? one_request_ns * (double)config_requests(c) : NAN;
}

void sample_set_bounds(struct sample *s, const struct config *c, double doorbell_ns, double memcpy_ns)
{
	s->memcpy_ns = per_repetition(memcpy_ns, c);
	s->pct_of_memcpy = 100.0 * s->memcpy_ns / s->total_ns;
	s->bound_ns = dataset_bound_ns(c, doorbell_ns, s->memcpy_ns);
	s->pct_of_bound = 100.0 * s->bound_ns / s->total_ns;
}

void sample_set_gather(struct sample *s, const struct config *c, double gather_ns)
{
	s->gather_ns = per_repetition(gather_ns, c);
	s->pct_of_gather = 100.0 * s->gather_ns / s->total_ns;
}

static void utc_now(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int dataset_mkdirs(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(path, 0755) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

/* Open dir/name.tmp for writing; commit_file renames it over dir/name. */
static FILE *open_tmp(const struct dataset *ds, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s.tmp", ds->dir, name);
	return fopen(path, "w");
}

static int commit_file(const struct dataset *ds, const char *name, FILE *f)
{
	char tmp[600], path[600];
	int bad = fflush(f) || fsync(fileno(f));

	bad |= fclose(f);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", ds->dir, name);
	snprintf(path, sizeof(path), "%s/%s", ds->dir, name);
	return bad || rename(tmp, path) ? -1 : 0;
}

const char *complete_name(unsigned complete)
{
	return complete == RING_COMPLETE_INTERRUPT ? "interrupt" : "poll";
}

static void config_fields(char *out, size_t cap, size_t id, const struct config *c)
{
	snprintf(out, cap, "%zu,%s,%s,%s,%s,%s,%s,%s,%llu,%llu,%s,%s,%s,%u,%s", id, c->label, c->transport, c->translate,
		 c->direction, c->cold ? "cold" : "warm", page_size_name(c->page_shift), frames_name(c->frame_policy),
		 (unsigned long long)c->offset, (unsigned long long)c->bytes, c->timing_off ? "off" : "on",
		 c->iov ? "iov" : "copy", c->through_device ? "device" : "transfer", c->qd ? c->qd : 1,
		 complete_name(c->ring_complete));
}

static void json_str(FILE *f, const char *key, const char *value, bool last)
{
	fprintf(f, "  \"%s\": \"", key);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fprintf(f, "\"%s\n", last ? "" : ",");
}

static void cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, cap, "unknown");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(out, cap, "%s", strchr(line, ':') + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
}

/* The installed version of a Debian package, or "not installed". */
static void package_version(const char *package, char *out, size_t cap)
{
	char cmd[160];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "dpkg-query -W -f '${Version}' %s 2>/dev/null", package);
	p = popen(cmd, "r");
	if (p) {
		n = fread(out, 1, cap - 1, p);
		pclose(p);
	}
	out[n] = 0;
	if (!n)
		snprintf(out, cap, "not installed");
}

/* dir/meta.json into text (cap bytes); false if there is none. */
static bool read_meta(const char *dir, char *text, size_t cap)
{
	char path[600];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(text, 1, cap - 1, f);
	text[n] = 0;
	fclose(f);
	return true;
}

bool dataset_timings_meaningful(const char *dir)
{
	char text[8192];

	return !read_meta(dir, text, sizeof(text)) || !strstr(text, "\"timings_meaningful\": false");
}

double dataset_meta_number(const char *dir, const char *key)
{
	char text[8192], quoted[128];
	const char *at;

	snprintf(quoted, sizeof(quoted), "\"%s\": ", key);
	if (!read_meta(dir, text, sizeof(text)) || !(at = strstr(text, quoted)))
		return NAN;
	return strtod(at + strlen(quoted), NULL);
}

void warn_if_emulated(const struct kvm_platform *p)
{
	if (p->emulated)
		fprintf(stderr, "pagegate: this CPU is emulated (QEMU TCG): the run tests the code, its timings are "
				"not meaningful\n");
}

/* The clock check's verdict, as meta.json and the tables say it. */
static const char *clock_verdict(const struct vm_facts *vm, char *out, size_t cap)
{
	if (!vm->has_tsc_offset)
		snprintf(out, cap, "not related: no KVM_VCPU_TSC_OFFSET; exit, entry and guest stage times not measured");
	else if (vm->clock_outside)
		snprintf(out, cap,
			 "not related: %llu of %llu guest stamps fell outside the KVM_RUN that contained them; rows "
			 "with such a stamp have exit, entry and guest stage times not measured",
			 (unsigned long long)vm->clock_outside, (unsigned long long)vm->clock_stamps);
	else
		snprintf(out, cap, "related: all %llu guest stamps fell inside the KVM_RUN that contained them",
			 (unsigned long long)vm->clock_stamps);
	return out;
}

static void write_platform(FILE *f, const struct vm_facts *vm)
{
	char text[256];

	json_str(f, "kvm_backend", vm->platform.backend ? vm->platform.backend : "unknown", false);
	fprintf(f, "  \"kvm_nested\": %s,\n", vm->platform.nested ? "true" : "false");
	json_str(f, "host_hypervisor", vm->platform.hypervisor, false);
	fprintf(f, "  \"cpu_emulated\": %s,\n", vm->platform.emulated ? "true" : "false");
	fprintf(f, "  \"timings_meaningful\": %s,\n", vm->platform.emulated ? "false" : "true");
	json_str(f, "fault_injection", fault_injection_name(vm->fault_injection), false);
	json_str(f, "guest_host_clocks", clock_verdict(vm, text, sizeof(text)), false);
}

static int write_meta(const struct dataset *ds, const char *status)
{
	const struct run_info *in = ds->info;
	FILE *f = open_tmp(ds, "meta.json");
	char host[128] = "", cpu[160], ended[32], num[160];
	struct utsname u;

	if (!f)
		return -1;
	gethostname(host, sizeof(host) - 1);
	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	utc_now(ended, sizeof(ended));
	fprintf(f, "{\n  \"schema_version\": %d,\n", DATASET_SCHEMA_VERSION);
	json_str(f, "status", status, false);
	json_str(f, "pagegate_version", PG_VERSION, false);
	json_str(f, "git_sha", PG_GIT_SHA, false);
	fprintf(f, "  \"git_dirty\": %s,\n", PG_GIT_DIRTY ? "true" : "false");
	json_str(f, "command_line", in->command_line, false);
	json_str(f, "started_utc", ds->started, false);
	json_str(f, "updated_utc", ended, false);
	json_str(f, "host_name", host, false);
	snprintf(num, sizeof(num), "%s %s", u.release, u.machine);
	json_str(f, "kernel", num, false);
	json_str(f, "cpu_model", cpu, false);
	fprintf(f, "  \"tsc_khz\": %llu,\n", (unsigned long long)in->tsc_khz);
	write_platform(f, &in->vm);
	fprintf(f, "  \"kvm_api_version\": %d,\n", KVM_API_VERSION);
	json_str(f, "kvm_capabilities_used",
		 "KVM_CAP_USER_MEMORY KVM_CAP_EXT_CPUID KVM_CAP_SYNC_REGS(REGS|SREGS|EVENTS) KVM_CAP_VCPU_EVENTS "
		 "KVM_CAP_EXCEPTION_PAYLOAD(if present) "
		 "KVM_CAP_GET_TSC_KHZ KVM_VCPU_TSC_OFFSET(attribute, if present) KVM_TRANSLATE",
		 false);
	json_str(f, "hwloc_topology", in->topology, false);
	json_str(f, "pinning", in->pin_map, false);
	json_str(f, "hwloc_api_version", in->hwloc_version, false);
	package_version("liburing2", num, sizeof(num));
	json_str(f, "liburing_version", num, false); /* the file devices' io_uring */
	package_version("libbenchmark1debian", num, sizeof(num));
	json_str(f, "google_benchmark_version", num, false);
	json_str(f, "compiler", __VERSION__, false);
	fprintf(f, "  \"guest_ram_bytes\": %llu,\n", (unsigned long long)in->guest_ram);
	if (in->vm.ram_huge_bytes != UINT64_MAX && in->vm.ram_bytes) /* the last VM's, at its end */
		fprintf(f, "  \"guest_ram_huge_pct\": %.1f,\n", 100.0 * (double)in->vm.ram_huge_bytes / (double)in->vm.ram_bytes);
	fprintf(f, "  \"repetitions\": %d,\n  \"configurations\": %zu,\n", ds->reps, ds->nconfigs);
	json_str(f, "mb_definition", "MB = 10^6 bytes; throughput columns are MB/s", false);
	if (in->order) {
		json_str(f, "order", in->order, false);
		fprintf(f, "  \"order_seed\": %llu,\n", (unsigned long long)in->order_seed);
	}
	fprintf(f, "  \"calibration\": { \"doorbell_round_trip_ns\": %.1f, \"memcpy_gb_per_s\": %.3f }\n}\n",
		in->cal.doorbell_ns, in->cal.memcpy_gbps);
	return commit_file(ds, "meta.json", f);
}

struct dataset *dataset_create(const char *dir, const struct config *configs, size_t nconfigs, int reps,
			       const struct run_info *info, char *err, size_t cap)
{
	struct dataset *ds = calloc(1, sizeof(*ds));
	char path[600];

	snprintf(ds->dir, sizeof(ds->dir), "%s", dir);
	ds->configs = configs;
	ds->nconfigs = nconfigs;
	ds->reps = reps;
	ds->info = info;
	utc_now(ds->started, sizeof(ds->started));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (dataset_mkdirs(dir) || (ds->results_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644)) < 0 ||
	    write(ds->results_fd, results_header, sizeof(results_header) - 1) != sizeof(results_header) - 1 ||
	    write_meta(ds, "running")) {
		snprintf(err, cap, "cannot create the dataset in %s: %s", dir, strerror(errno));
		free(ds);
		return NULL;
	}
	return ds;
}

enum metric {
	M_MBPS, M_TOTAL, M_STAGE0, M_GUEST = M_STAGE0 + NR_STAGES, M_DOORBELLS, M_PAGES, M_FAULTS, M_COPIED,
	M_BOUND, M_PCT, M_MEMCPY, M_PCT_MEMCPY, M_REQ_PER_S, M_LAT_P50, M_LAT_P99, M_KICKS, M_PER_ROUND, M_IRQS, M_BUSY,
	M_CPU,
	M_RING0, M_RING_LAST = M_RING0 + RING_STAGES - 1, M_GATHER, M_PCT_GATHER, M_REQUESTS
};

static double metric(const struct sample *s, int m)
{
	switch (m) {
	case M_MBPS:
		return s->mbps;
	case M_TOTAL:
		return s->total_ns;
	case M_GUEST:
		return s->guest_ns;
	case M_DOORBELLS:
		return (double)s->doorbells;
	case M_PAGES:
		return (double)s->pages;
	case M_FAULTS:
		return (double)s->faults;
	case M_COPIED:
		return (double)s->copied;
	case M_BOUND:
		return s->bound_ns;
	case M_PCT:
		return s->pct_of_bound;
	case M_MEMCPY:
		return s->memcpy_ns;
	case M_PCT_MEMCPY:
		return s->pct_of_memcpy;
	case M_REQ_PER_S:
		return s->req_per_s;
	case M_LAT_P50:
		return s->lat_p50_ns;
	case M_LAT_P99:
		return s->lat_p99_ns;
	case M_KICKS:
		return s->kicks_per_req;
	case M_PER_ROUND:
		return s->reqs_per_round;
	case M_IRQS:
		return s->irqs_per_req;
	case M_BUSY:
		return s->io_busy_pct;
	case M_GATHER:
		return s->gather_ns;
	case M_PCT_GATHER:
		return s->pct_of_gather;
	case M_REQUESTS:
		return (double)s->requests;
	case M_CPU:
		return s->io_cpu_pct;
	default:
		if (m >= M_RING0)
			return s->ring_ns[m - M_RING0];
		return s->stage_ns[m - M_STAGE0];
	}
}

/* A number as a CSV cell with `decimals` digits after the point: empty when not measured
 * (NAN). */
static void num_cell(char cell[32], double v, int decimals)
{
	if (isnan(v))
		cell[0] = 0;
	else
		snprintf(cell, 32, "%.*f", decimals, v);
}

static void ns_cell(char cell[32], double ns)
{
	num_cell(cell, ns, 0);
}

/* The measured values (not NAN) of metric m over ok[0..n) into v; how many there are. */
static size_t column(double *v, const struct sample *const *ok, size_t n, int m)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(metric(ok[i], m)))
			v[k++] = metric(ok[i], m);
	return k;
}

/* ",median" of metric m, or "," alone when no sample measured it. */
static void put_median(FILE *f, double *v, const struct sample *const *ok, size_t n, int m, int decimals)
{
	char cell[32];
	size_t k = column(v, ok, n, m);

	num_cell(cell, k ? stats_median(v, k) : NAN, decimals);
	fprintf(f, ",%s", cell);
}

static int write_summary(const struct dataset *ds)
{
	FILE *f = open_tmp(ds, "summary.csv");
	double *v = malloc((ds->nsamples + 1) * sizeof(*v));
	const struct sample **ok = malloc((ds->nsamples + 1) * sizeof(*ok));

	if (!f) {
		free(v);
		free(ok);
		return -1;
	}
	fprintf(f, "config_id,label,transport,translate,direction,fault,page_size,frames,offset,bytes,timing,delivery,"
		   "window,qd,complete,n,median_mbps,p5_mbps,p95_mbps,min_mbps,max_mbps,cv,median_total_ns,median_exit_ns,"
		   "median_translate_ns,median_fault_ns,median_copy_ns,median_handler_ns,median_entry_ns,"
		   "median_guest_ns,median_doorbells,median_pages_translated,median_faults,median_bytes_copied,"
		   "bound_ns,median_pct_of_bound,median_memcpy_ns,median_pct_of_memcpy,median_req_per_s,"
		   "median_lat_p50_ns,median_lat_p99_ns,median_kicks_per_req,median_reqs_per_round,"
		   "median_interrupts_per_req,median_io_busy_pct,"
		   "median_io_cpu_pct,median_ring_queue_ns,median_ring_translate_ns,median_ring_copy_ns,"
		   "median_ring_device_ns,median_ring_complete_ns,median_ring_notice_ns,median_gather_ns,"
		   "median_pct_of_gather,median_requests\n");
	for (size_t c = 0; c < ds->nconfigs; c++) {
		size_t n = 0;
		char fields[256];

		for (size_t i = 0; i < ds->nsamples; i++)
			if (ds->samples[i].config == c && ds->samples[i].status == 0)
				ok[n++] = &ds->samples[i];
		if (!n)
			continue;
		config_fields(fields, sizeof(fields), c, &ds->configs[c]);
		column(v, ok, n, M_MBPS);
		fprintf(f, "%s,%zu,%.3f,%.3f,%.3f,%.3f,%.3f", fields, n, stats_median(v, n), stats_percentile(v, n, 5),
			stats_percentile(v, n, 95), stats_min(v, n), stats_max(v, n));
		column(v, ok, n, M_TOTAL);
		fprintf(f, ",%.5f,%.0f", stats_cv(v, n), stats_median(v, n));
		for (int m = M_STAGE0; m <= M_BOUND; m++)
			put_median(f, v, ok, n, m, 0);
		put_median(f, v, ok, n, M_PCT, 2);
		put_median(f, v, ok, n, M_MEMCPY, 0);
		put_median(f, v, ok, n, M_PCT_MEMCPY, 2);
		put_median(f, v, ok, n, M_REQ_PER_S, 0);
		for (int m = M_LAT_P50; m <= M_RING_LAST; m++)
			put_median(f, v, ok, n, m,
				   m == M_KICKS || m == M_PER_ROUND || m == M_IRQS ? 3 : m == M_BUSY || m == M_CPU ? 1 : 0);
		put_median(f, v, ok, n, M_GATHER, 0);
		put_median(f, v, ok, n, M_PCT_GATHER, 2);
		put_median(f, v, ok, n, M_REQUESTS, 0);
		fputc('\n', f);
	}
	free(v);
	free(ok);
	return commit_file(ds, "summary.csv", f);
}

/* latency.csv (see write_latency) for configuration c, if a repetition has a histogram. */
static void write_latency_rows(FILE *f, const struct dataset *ds, size_t c)
{
	uint64_t sum[PG_LAT_BUCKETS] = { 0 };
	double ns_per_tick = 1e6 / (double)ds->info->tsc_khz;
	size_t reps = 0;

	for (size_t i = 0; i < ds->nsamples; i++) {
		const struct sample *s = &ds->samples[i];

		if (s->config != c || s->status != 0 || !s->lat_hist_ok)
			continue;
		reps++;
		for (uint32_t b = 0; b < PG_LAT_BUCKETS; b++)
			sum[b] += s->lat_hist[b];
	}
	for (uint32_t b = 0; reps && b < PG_LAT_BUCKETS; b++) {
		char end_ticks[32] = "", end_ns[32] = "";
		uint64_t start = pg_lat_bucket_start(b);

		if (!sum[b])
			continue;
		if (b + 1 < PG_LAT_BUCKETS) { /* the last bucket has no end */
			snprintf(end_ticks, sizeof(end_ticks), "%llu", (unsigned long long)pg_lat_bucket_start(b + 1));
			snprintf(end_ns, sizeof(end_ns), "%.1f", (double)pg_lat_bucket_start(b + 1) * ns_per_tick);
		}
		fprintf(f, "%zu,%zu,%u,%llu,%s,%.1f,%s,%llu\n", c, reps, b, (unsigned long long)start, end_ticks,
			(double)start * ns_per_tick, end_ns, (unsigned long long)sum[b]);
	}
}

/* latency.csv: per configuration, its requests' latency histogram summed over its
 * status-0 repetitions that have one; only the buckets with requests.  Rows name their
 * configuration by config_id (its columns are in summary.csv). */
static int write_latency(const struct dataset *ds)
{
	FILE *f = open_tmp(ds, "latency.csv");

	if (!f)
		return -1;
	fprintf(f, "config_id,reps,bucket,start_ticks,end_ticks,start_ns,end_ns,count\n");
	for (size_t c = 0; c < ds->nconfigs; c++)
		write_latency_rows(f, ds, c);
	return commit_file(ds, "latency.csv", f);
}

int dataset_add(struct dataset *ds, const struct sample *s)
{
	char row[1280], fields[256], cells[NR_STAGES + 5][32], ring[RING_STAGES + 9][32], gather[2][32];
	int n;

	config_fields(fields, sizeof(fields), s->config, &ds->configs[s->config]);
	for (int st = 0; st < NR_STAGES; st++)
		ns_cell(cells[st], s->stage_ns[st]);
	ns_cell(cells[NR_STAGES], s->guest_ns);
	ns_cell(cells[NR_STAGES + 1], s->bound_ns);
	num_cell(cells[NR_STAGES + 2], s->pct_of_bound, 2);
	ns_cell(cells[NR_STAGES + 3], s->memcpy_ns);
	num_cell(cells[NR_STAGES + 4], s->pct_of_memcpy, 2);
	n = snprintf(row, sizeof(row), "%s,%d,%llu,%.0f,%.3f,%llu,%llu,%llu,%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
		     fields, s->rep, (unsigned long long)s->status, s->total_ns, s->mbps,
		     (unsigned long long)s->doorbells, (unsigned long long)s->pages, (unsigned long long)s->faults,
		     (unsigned long long)s->copied, cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6],
		     cells[7], cells[8], cells[9], cells[10], s->clock_ok ? "ok" : "unrelated");
	num_cell(ring[0], s->req_per_s, 0);
	ns_cell(ring[1], s->lat_p50_ns);
	ns_cell(ring[2], s->lat_p99_ns);
	num_cell(ring[3], s->kicks_per_req, 3);
	num_cell(ring[4], s->reqs_per_round, 3);
	num_cell(ring[5], s->irqs_per_req, 3);
	num_cell(ring[6], s->io_busy_pct, 1);
	num_cell(ring[7], s->io_cpu_pct, 1);
	for (int st = 0; st < RING_STAGES; st++)
		ns_cell(ring[8 + st], s->ring_ns[st]);
	n--; /* the ring's columns follow the clock verdict */
	ns_cell(gather[0], s->gather_ns);
	num_cell(gather[1], s->pct_of_gather, 2);
	n += snprintf(row + n, sizeof(row) - (size_t)n, ",%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
		      (unsigned long long)s->requests, ring[0], ring[1], ring[2], ring[3], ring[4], ring[5], ring[6],
		      ring[7], ring[8], ring[9], ring[10], ring[11], ring[12], ring[13], gather[0], gather[1]);
	if (write(ds->results_fd, row, (size_t)n) != n)
		return -1;
	ds->samples = realloc(ds->samples, (ds->nsamples + 1) * sizeof(*ds->samples));
	ds->samples[ds->nsamples++] = *s;
	return 0;
}

int dataset_checkpoint(struct dataset *ds)
{
	return write_summary(ds) | write_latency(ds);
}

int dataset_close(struct dataset *ds, const char *status)
{
	int rc = dataset_checkpoint(ds) | write_meta(ds, status) | fsync(ds->results_fd) | close(ds->results_fd);

	free(ds->samples);
	free(ds);
	return rc ? -1 : 0;
}
