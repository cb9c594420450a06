/*
 * `pagegate camera`: the thesis's camera test (chapter 9) on pagegate's transports.  The
 * camera module (devices/camera.c) is loaded once per preset; for each preset x
 * transport one guest runs its camera driver (guest-bench/user/camera.c) for --seconds.
 * Frame k is due at start + k / fps.  When the guest is idle (halted) the host waits for
 * the next due frame, marks it ready in the device, stamps the TSC and raises the "frame
 * ready" interrupt; frames whose time passed while the guest was busy are dropped (the
 * newest due one is sent instead).  Per frame: latency = guest has the frame - ready
 * stamp; a deadline miss is a frame in later than its successor's due time.  Output: a
 * table of which transports sustain which presets (fps and p99 latency), streams.csv
 * with that table, a dataset in the bench format (results.csv: one row per frame with
 * its latency as total_ns and the host's stage times for its doorbells; summary.csv;
 * meta.json), and a latency CDF per preset through plots/camera.gp.  Delivery copy or
 * iov is an axis: with iov the camera writes each frame straight into the guest's pages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "../devices/registry.h"
#include "../transports/transport.h"
#include "camera.h"
#include "dataset.h"
#include "plot.h"
#include "stats.h"

#define MAX_FRAMES 100000
#define MAX_ITEMS 8

/* The run's dataset: one configuration per preset x transport x delivery. */
struct camera_run {
	struct config configs[MAX_ITEMS * MAX_ITEMS * 2];
	size_t nconfigs;
	int reps; /* frames a stream should deliver */
	struct run_info info;
	struct dataset *ds; /* created when the first guest runs (its TSC rate goes to meta.json) */
	char dir[512], cmdline[1024];
};

struct stream {
	struct vcpu *v;
	struct engine *e;
	struct camera_run *run;
	size_t config;
	uint64_t bytes;
	uint32_t op;
	double period_ns, seconds;
	uint64_t start, last_seq, stamps[MAX_FRAMES + 1];
	uint64_t dropped, misses, bad, frames;
	uint64_t unrelated; /* frames whose guest stamp failed the clock check: no latency */
	double latency_ns[MAX_FRAMES];
	bool started, failed;
};

static uint64_t now_tsc(void)
{
	return __rdtsc();
}

static void wait_until(const struct vcpu *v, uint64_t tsc)
{
	while ((int64_t)(tsc - now_tsc()) > 0) {
		double ns = vcpu_tsc_to_ns(v, (double)(tsc - now_tsc()));

		if (ns > 200000) {
			struct timespec t = { 0, (long)(ns - 100000) };

			nanosleep(&t, NULL);
		}
	}
}

static uint8_t *small_reserve(struct pg_device_output *out, uint64_t len)
{
	static uint8_t buf[8];

	(void)out;
	return len <= sizeof(buf) ? buf : NULL;
}

/* The guest is idle: send it the next due frame (dropping any whose successor is due). */
static enum exit_action on_halt(struct vcpu *v, void *ctx)
{
	struct stream *s = ctx;
	uint64_t period = (uint64_t)(s->period_ns * (double)v->tsc_khz / 1e6), seq = s->last_seq + 1, now = now_tsc();
	struct pg_device_output ready = { small_reserve, NULL, NULL };
	struct iovec seq_iov = { &seq, sizeof(seq) };
	struct pg_device_input in = { &seq_iov, 1, sizeof(seq) };

	if (!s->started) {
		s->start = now;
		s->started = true;
	}
	while (s->start + (seq + 1) * period <= now && seq < MAX_FRAMES) {
		seq++;
		s->dropped++;
	}
	if (seq >= MAX_FRAMES || devices_execute(s->op + 1, &in, &ready)) {
		s->failed = true;
		return EXIT_STOP;
	}
	wait_until(v, s->start + seq * period);
	s->stamps[seq] = now_tsc();
	s->last_seq = seq;
	engine_reset_stats(s->e); /* the frame's stage times start here */
	return vcpu_interrupt(v, PG_NOTIFY_VECTOR) ? EXIT_STOP : EXIT_CONTINUE;
}

/* The guest has frame `seq` (R8) in and checked (R9 = 1): its latency and stage times
 * become a row of the dataset. */
static uint64_t on_frame(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct stream *s = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	uint64_t in = 0, seq = r->r8;
	/* a long KVM_RUN (the ring: no exit per frame) widens the check's interval: the
	 * verdict on this VM's clocks so far (its boot stamp first) must hold too */
	bool timed = vcpu_clocks_related(v) && vcpu_stamp_in_run(v, r->rsi, &in);
	uint64_t arrived = timed ? in : v->t_exit; /* for pacing: the frame was in by this exit */
	uint64_t period = (uint64_t)(s->period_ns * (double)v->tsc_khz / 1e6);
	struct sample row = { .config = s->config, .rep = (int)s->frames, .bound_ns = NAN, .pct_of_bound = NAN,
			      .memcpy_ns = NAN, .pct_of_memcpy = NAN, /* no calibration, no pairing */
			      .gather_ns = NAN, .pct_of_gather = NAN };

	if (tag != PG_SYNC_CAMERA_FRAME || seq != s->last_seq || s->frames == MAX_FRAMES)
		return 0;
	row.total_ns = s->latency_ns[s->frames++] =
		timed ? vcpu_tsc_to_ns(v, (double)(int64_t)(in - s->stamps[seq])) : NAN;
	s->unrelated += !timed;
	row.mbps = (double)s->bytes / row.total_ns * 1e3;
	row.status = r->r9 == 1 ? 0 : PG_RESULT_MISMATCH;
	engine_end_window(s->e, v, r->rsi);
	sample_add_stages(&row, &s->e->t, v->tsc_khz);
	if (dataset_add(s->run->ds, &row)) {
		fprintf(stderr, "pagegate camera: cannot write to the dataset in %s\n", s->run->dir);
		s->failed = true;
		return 0;
	}
	s->bad += r->r9 != 1;
	s->misses += arrived > s->start + (seq + 1) * period;
	return vcpu_tsc_to_ns(v, (double)(arrived - s->start)) < s->seconds * 1e9;
}

struct run_args {
	const char *preset, *format, *transport;
	unsigned transport_id;
	uint32_t op;
	double fps, seconds;
	uint64_t frame_bytes;
	bool iov;
	size_t config;
};

static int create_dataset(struct camera_run *run, const struct vcpu *v)
{
	char err[700];

	run->info.tsc_khz = v->tsc_khz;
	run->ds = dataset_create(run->dir, run->configs, run->nconfigs, run->reps, &run->info, err, sizeof(err));
	if (!run->ds)
		fprintf(stderr, "pagegate camera: %s\n", err);
	return run->ds ? 0 : -1;
}

/* One preset x transport x delivery stream; its frames go to the dataset. */
static int run_stream(const struct vm_config *base, const struct run_args *a, struct stream *s,
		      struct camera_run *run)
{
	struct vm_config c = *base;
	char why[1200];
	struct engine e;
	struct vm *vm;
	int rc = 1;

	memset(s, 0, sizeof(*s));
	s->op = a->op;
	s->period_ns = 1e9 / a->fps;
	s->seconds = a->seconds;
	s->bytes = a->frame_bytes;
	s->config = a->config;
	s->run = run;
	s->e = &e;
	c.params.mode = PG_MODE_CAMERA;
	c.params.arg[0] = a->transport_id;
	c.params.arg[1] = a->frame_bytes;
	c.params.arg[2] = a->op;
	c.quiet = true;
	vm = vm_create(&c);
	engine_init(&e, vm);
	e.method = XLATE_KVM;
	e.delivery = a->iov ? DELIVER_IOV : DELIVER_COPY;
	engine_reserve(&e, a->frame_bytes);
	s->v = vm->vcpus[0];
	vm->halt_hook = on_halt;
	vm->halt_ctx = s;
	vm->sync_hook = on_frame;
	vm->sync_ctx = s;
	if (run->ds || create_dataset(run, s->v) == 0) {
		rc = vm_run(vm) == VM_DONE && !s->failed ? 0 : 1;
		rc |= dataset_checkpoint(run->ds) ? 1 : 0;
		if (rc) {
			vm_describe_outcome(vm, why, sizeof(why));
			fprintf(stderr, "pagegate camera: %s %s: %s\n", a->preset, a->transport, why);
		}
	}
	vm_facts_add(&run->info.vm, vm);
	engine_fini(&e);
	vm_destroy(vm);
	return rc;
}

/* Latency CDF data: one block per stream, sorted latencies (ms) and cumulative share;
 * nothing (false) for a stream whose latencies were not measured. */
static bool write_cdf(FILE *f, const char *name, struct stream *s)
{
	double *v;

	if (s->unrelated || !s->frames)
		return false;
	v = malloc((s->frames + 1) * sizeof(*v));
	for (uint64_t i = 0; i < s->frames; i++)
		v[i] = s->latency_ns[i] / 1e6;
	stats_sort(v, s->frames);
	fprintf(f, "\"%s\"\n", name);
	for (uint64_t i = 0; i < s->frames; i++)
		fprintf(f, "%.4f %.5f\n", v[i], (double)(i + 1) / (double)s->frames);
	fprintf(f, "\n\n");
	free(v);
	return true;
}

static int split(char *list, const char **out)
{
	int n = 0;

	for (char *tok = strtok(list, ","); tok && n < MAX_ITEMS; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

static int usage(void)
{
	fprintf(stderr, "usage: pagegate [global options] camera [--transport LIST] [--preset LIST] [--format yuyv|nv12]\n"
			"       [--fps 30|60] [--seconds S] [--delivery copy,iov] [--out DIR]   (defaults: all\n"
			"       transports, 720p,1080p, yuyv, 60, 3 s, copy, datasets/runs/<UTC time>-<git sha>-camera;\n"
			"       --transport ring: frames requested through the ring, gva addressing, polled)\n");
	return 2;
}

static uint64_t frame_bytes(const char *preset, const char *format)
{
	uint64_t pixels = !strcmp(preset, "720p") ? 1280 * 720 : !strcmp(preset, "2160p") ? 3840 * 2160 : 1920 * 1080;

	return 32 + pixels * (!strcmp(format, "nv12") ? 3 : 4) / 2;
}

/* A stream's configuration in the dataset: its frames are "camera" transfers of a whole
 * frame, timed from "frame ready" to "in the guest", so through the device. */
static void add_config(struct camera_run *run, const char *transport, uint64_t bytes, bool iov,
			 const struct vm_config *cfg)
{
	const struct transport_ops *t = transport_by_name(transport);
	struct config *c = &run->configs[run->nconfigs];
	bool ptcopy = !strcmp(transport, "ptcopy"), ring = !strcmp(transport, "ring");

	*c = (struct config){ .transport = t->name, .transport_id = t->id,
			      .translate = ptcopy ? "leafcopy" : ring ? "gva" : "kvm",
			      .translate_id = XLATE_KVM, .direction = "camera", .page_shift = cfg->params.buf_page_shift,
			      .frame_policy = cfg->params.frame_policy, .bytes = bytes, .iov = iov,
			      .through_device = true, .max_per_doorbell = t->max_bytes_per_doorbell };
	if (ring) /* the guest driver sets the ring up with gva addressing, polled */
		snprintf(c->label, sizeof(c->label), "ring(gva/poll)");
	else if (ptcopy)
		snprintf(c->label, sizeof(c->label), "%s", t->name);
	else
		snprintf(c->label, sizeof(c->label), "%s(kvm)", t->name);
	run->nconfigs++;
}

/* The stream's line of the sustained table, on stdout and in streams.csv. */
static void report_stream(const struct run_args *a, const struct stream *s, FILE *streams)
{
	bool sustained = !s->dropped && !s->misses && !s->bad && s->frames > 0;
	bool timed = s->frames && !s->unrelated; /* NAN below: not measured */
	double med = timed ? stats_median(s->latency_ns, s->frames) / 1e6 : NAN;
	double p95 = timed ? stats_percentile(s->latency_ns, s->frames, 95) / 1e6 : NAN;
	double p99 = timed ? stats_percentile(s->latency_ns, s->frames, 99) / 1e6 : NAN;
	const char *delivery = a->iov ? "iov" : "copy";

	char cells[3][2][24]; /* median, p95, p99: as printed and as a CSV cell ("n/m" / empty) */
	const double ms[3] = { med, p95, p99 };

	for (int i = 0; i < 3; i++) {
		snprintf(cells[i][0], sizeof(cells[i][0]), isnan(ms[i]) ? "n/m" : "%.2f", ms[i]);
		snprintf(cells[i][1], sizeof(cells[i][1]), isnan(ms[i]) ? "" : "%.3f", ms[i]);
	}
	printf("%-8s %-10s %-8s %9.1f %10s %10s %10s %8llu %8llu %6llu %s\n", a->preset, a->transport, delivery,
	       (double)s->frames / a->seconds, cells[0][0], cells[1][0], cells[2][0], (unsigned long long)s->misses,
	       (unsigned long long)s->dropped, (unsigned long long)s->bad, sustained ? "yes" : "no");
	fprintf(streams, "%s,%s,%.0f,%s,%s,%llu,%.2f,%s,%s,%s,%llu,%llu,%llu,%s\n", a->preset, a->format, a->fps,
		a->transport, delivery, (unsigned long long)s->frames, (double)s->frames / a->seconds, cells[0][1],
		cells[1][1], cells[2][1],
		(unsigned long long)s->misses, (unsigned long long)s->dropped, (unsigned long long)s->bad,
		sustained ? "yes" : "no");
}

/* The camera module for a preset at op; 0, or 2 after a message. */
static int load_camera(const char *preset, const char *format, uint32_t op)
{
	char spec[900], err[1024], modpath[600];

	pagegate_path("devices/camera.so", modpath, sizeof(modpath));
	snprintf(spec, sizeof(spec), "camera-%s=%s,preset=%s,format=%s,op=%u", preset, modpath, preset, format, op);
	if (!devices_serve(op) && devices_load(spec, err, sizeof(err))) {
		fprintf(stderr, "pagegate camera: %s\n", err);
		return 2;
	}
	return 0;
}

struct camera_opts {
	char transports_arg[128], presets_arg[128], deliveries_arg[32], dir[512];
	const char *transports[MAX_ITEMS], *presets[MAX_ITEMS], *deliveries[MAX_ITEMS], *format;
	int nt, np, nd;
	double fps, seconds;
};

/* 0, or 2 after the usage line. */
static int parse_opts(int argc, char **argv, struct camera_opts *o)
{
	*o = (struct camera_opts){ .transports_arg = "basic,extended,ptcopy", .presets_arg = "720p,1080p",
				   .deliveries_arg = "copy", .format = "yuyv", .fps = 60, .seconds = 3 };
	dataset_default_dir(o->dir, sizeof(o->dir), "-camera");
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage();
		if (!strcmp(k, "--transport"))
			snprintf(o->transports_arg, sizeof(o->transports_arg), "%s", v);
		else if (!strcmp(k, "--preset"))
			snprintf(o->presets_arg, sizeof(o->presets_arg), "%s", v);
		else if (!strcmp(k, "--format") && (!strcmp(v, "yuyv") || !strcmp(v, "nv12")))
			o->format = v;
		else if (!strcmp(k, "--fps") && (atof(v) == 30 || atof(v) == 60))
			o->fps = atof(v);
		else if (!strcmp(k, "--seconds") && atof(v) > 0 && atof(v) <= 600)
			o->seconds = atof(v);
		else if (!strcmp(k, "--delivery"))
			snprintf(o->deliveries_arg, sizeof(o->deliveries_arg), "%s", v);
		else if (!strcmp(k, "--out"))
			snprintf(o->dir, sizeof(o->dir), "%s", v);
		else
			return usage();
	}
	o->nt = split(o->transports_arg, o->transports);
	o->np = split(o->presets_arg, o->presets);
	o->nd = split(o->deliveries_arg, o->deliveries);
	for (int t = 0; t < o->nt; t++)
		if (strcmp(o->transports[t], "basic") && strcmp(o->transports[t], "extended") &&
		    strcmp(o->transports[t], "ptcopy") && strcmp(o->transports[t], "ring"))
			return usage();
	for (int d = 0; d < o->nd; d++)
		if (strcmp(o->deliveries[d], "copy") && strcmp(o->deliveries[d], "iov"))
			return usage();
	return 0;
}

/* Every transport x delivery stream of preset p (configurations were added in this
 * order), then its latency CDF; 0, 1 (a stream failed) or 2 (no camera module). */
static int run_preset(const struct vm_config *cfg, const struct camera_opts *o, int p, struct camera_run *run,
		      struct stream *s, FILE *streams)
{
	char cdf[700], out[700], title[128];
	uint32_t op = 40 + 2 * (uint32_t)p;
	FILE *data;
	int rc = load_camera(o->presets[p], o->format, op);
	bool drawn = false;

	if (rc)
		return rc;
	snprintf(out, sizeof(out), "%s/figures", run->dir);
	dataset_mkdirs(out);
	snprintf(cdf, sizeof(cdf), "%s/figures/camera-%s.dat", run->dir, o->presets[p]);
	data = fopen(cdf, "w");
	if (!data)
		return 1;
	for (int t = 0; t < o->nt; t++)
		for (int d = 0; d < o->nd; d++) {
			struct run_args a = { o->presets[p], o->format, o->transports[t],
					      transport_by_name(o->transports[t])->id, op, o->fps, o->seconds,
					      frame_bytes(o->presets[p], o->format), !strcmp(o->deliveries[d], "iov"),
					      (size_t)((p * o->nt + t) * o->nd + d) };
			char name[64];

			rc |= run_stream(cfg, &a, s, run);
			report_stream(&a, s, streams);
			rc |= s->bad ? 1 : 0;
			snprintf(name, sizeof(name), "%s (%s)", o->transports[t], o->deliveries[d]);
			drawn |= write_cdf(data, name, s);
		}
	fclose(data);
	if (!drawn) {
		printf("camera %s: no latency CDF: latencies not measured (guest and host clocks unrelated)\n",
		       o->presets[p]);
		return rc;
	}
	snprintf(out, sizeof(out), "%s/figures/camera-%s", run->dir, o->presets[p]);
	snprintf(title, sizeof(title), "title='camera %s %s %.0f fps: frame ready -> in the guest'", o->presets[p],
		 o->format, o->fps);
	return rc | plot_render("camera", cdf, title, out);
}

int camera_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct camera_opts o;
	char path[700];
	struct stream *s;
	struct camera_run *run;
	int rc = parse_opts(argc, argv, &o);
	FILE *streams;

	if (rc || (rc = kvm_check_environment()))
		return rc;
	if (dataset_mkdirs(o.dir))
		return 2;
	run = calloc(1, sizeof(*run));
	snprintf(run->dir, sizeof(run->dir), "%s", o.dir);
	pagegate_command_line(run->cmdline, sizeof(run->cmdline));
	run->info = (struct run_info){ .command_line = run->cmdline, .guest_ram = cfg->mem_bytes };
	kvm_platform_probe(&run->info.vm.platform);
	warn_if_emulated(&run->info.vm.platform);
	run->reps = (int)(o.fps * o.seconds);
	for (int p = 0; p < o.np; p++)
		for (int t = 0; t < o.nt; t++)
			for (int d = 0; d < o.nd; d++)
				add_config(run, o.transports[t], frame_bytes(o.presets[p], o.format),
					   !strcmp(o.deliveries[d], "iov"), cfg);
	snprintf(path, sizeof(path), "%s/streams.csv", run->dir);
	streams = fopen(path, "w");
	if (!streams) {
		free(run);
		return 2;
	}
	fprintf(streams, "preset,format,fps,transport,delivery,frames,fps_achieved,median_ms,p95_ms,p99_ms,misses,"
			 "dropped,bad,sustained\n");
	printf("camera, %s %.0f fps, %.0f s per stream; sustained = every due frame delivered before the next\n", o.format,
	       o.fps, o.seconds);
	printf("%-8s %-10s %-8s %9s %10s %10s %10s %8s %8s %6s %s\n", "preset", "transport", "delivery", "fps",
	       "median ms", "p95 ms", "p99 ms", "misses", "dropped", "bad", "sustained");
	s = calloc(1, sizeof(*s));
	for (int p = 0; p < o.np && !(rc & 2); p++)
		rc |= run_preset(cfg, &o, p, run, s, streams);
	fclose(streams);
	if (run->ds && dataset_close(run->ds, rc ? "interrupted" : "complete"))
		rc |= 1;
	printf("dataset: %s (streams.csv, results.csv, summary.csv, meta.json, figures/)\n", run->dir);
	free(s);
	free(run);
	return rc;
}
