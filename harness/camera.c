/*
 * `pagegate camera`: the thesis's camera test (chapter 9) on pagegate's transports.  The
 * camera module (devices/camera.c) is loaded once per preset; for each preset x
 * transport one guest runs its camera driver (guest-bench/user/camera.c) for --seconds.
 * Frame k is due at start + k / fps.  When the guest is idle (halted) the host waits for
 * the next due frame, marks it ready in the device, stamps the TSC and raises the "frame
 * ready" interrupt; frames whose time passed while the guest was busy are dropped (the
 * newest due one is sent instead).  Per frame: latency = guest has the frame - ready
 * stamp; a deadline miss is a frame in later than its successor's due time.  Output: a
 * table of which transports sustain which presets (fps and p99 latency), frames.csv in
 * the run folder, and a latency CDF per preset through plots/camera.gp.
 */
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

struct stream {
	struct vcpu *v;
	uint32_t op;
	double period_ns, seconds;
	uint64_t start, last_seq, stamps[MAX_FRAMES + 1];
	uint64_t dropped, misses, bad, frames;
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
	struct pg_device_output ready = { small_reserve, NULL };

	if (!s->started) {
		s->start = now;
		s->started = true;
	}
	while (s->start + (seq + 1) * period <= now && seq < MAX_FRAMES) {
		seq++;
		s->dropped++;
	}
	if (seq >= MAX_FRAMES || devices_execute(s->op + 1, (const uint8_t *)&seq, sizeof(seq), &ready)) {
		s->failed = true;
		return EXIT_STOP;
	}
	wait_until(v, s->start + seq * period);
	s->stamps[seq] = now_tsc();
	s->last_seq = seq;
	return vcpu_interrupt(v, PG_NOTIFY_VECTOR) ? EXIT_STOP : EXIT_CONTINUE;
}

static uint64_t on_frame(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct stream *s = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	uint64_t in = r->rsi - (uint64_t)v->tsc_offset, seq = r->r8;
	uint64_t period = (uint64_t)(s->period_ns * (double)v->tsc_khz / 1e6);

	if (tag != PG_SYNC_CAMERA_FRAME || seq != s->last_seq || s->frames == MAX_FRAMES)
		return 0;
	s->latency_ns[s->frames++] = vcpu_tsc_to_ns(v, (double)(int64_t)(in - s->stamps[seq]));
	s->bad += r->r9 != 1;
	s->misses += in > s->start + (seq + 1) * period;
	return vcpu_tsc_to_ns(v, (double)(in - s->start)) < s->seconds * 1e9;
}

struct run_args {
	const char *preset, *format, *transport;
	unsigned transport_id;
	uint32_t op;
	double fps, seconds;
	uint64_t frame_bytes;
};

/* One preset x transport stream; its frames appended to csv. */
static int run_stream(const struct vm_config *base, const struct run_args *a, struct stream *s, FILE *csv)
{
	struct vm_config c = *base;
	char why[1200];
	struct engine e;
	struct vm *vm;
	int rc;

	memset(s, 0, sizeof(*s));
	s->op = a->op;
	s->period_ns = 1e9 / a->fps;
	s->seconds = a->seconds;
	c.params.mode = PG_MODE_CAMERA;
	c.params.arg[0] = a->transport_id;
	c.params.arg[1] = a->frame_bytes;
	c.params.arg[2] = a->op;
	c.quiet = true;
	vm = vm_create(&c);
	engine_init(&e, vm);
	e.method = XLATE_KVM;
	engine_reserve(&e, a->frame_bytes);
	s->v = vm->vcpus[0];
	vm->halt_hook = on_halt;
	vm->halt_ctx = s;
	vm->sync_hook = on_frame;
	vm->sync_ctx = s;
	rc = vm_run(vm) == VM_DONE && !s->failed ? 0 : 1;
	if (rc) {
		vm_describe_outcome(vm, why, sizeof(why));
		fprintf(stderr, "pagegate camera: %s %s: %s\n", a->preset, a->transport, why);
	}
	for (uint64_t i = 0; i < s->frames; i++)
		fprintf(csv, "%s,%s,%.0f,%s,%llu,%.1f\n", a->preset, a->format, a->fps, a->transport,
			(unsigned long long)i, s->latency_ns[i] / 1e3);
	engine_fini(&e);
	vm_destroy(vm);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Latency CDF data: one block per transport, sorted latencies (ms) and cumulative share. */
static void write_cdf(FILE *f, const char *transport, struct stream *s)
{
	double *v = malloc((s->frames + 1) * sizeof(*v));

	for (uint64_t i = 0; i < s->frames; i++)
		v[i] = s->latency_ns[i] / 1e6;
	qsort(v, s->frames, sizeof(*v), cmp_double);
	fprintf(f, "\"%s\"\n", transport);
	for (uint64_t i = 0; i < s->frames; i++)
		fprintf(f, "%.4f %.5f\n", v[i], (double)(i + 1) / (double)s->frames);
	fprintf(f, "\n\n");
	free(v);
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
			"       [--fps 30|60] [--seconds S] [--out DIR]   (defaults: all transports, 720p,1080p,\n"
			"       yuyv, 60, 3 s, datasets/runs/<UTC time>-<git sha>-camera)\n");
	return 2;
}

int camera_main(int argc, char **argv, const struct vm_config *cfg)
{
	static const char *const names[] = { "basic", "extended", "ptcopy" };
	char transports_arg[128] = "basic,extended,ptcopy", presets_arg[128] = "720p,1080p", dir[512], path[700];
	const char *transports[MAX_ITEMS], *presets[MAX_ITEMS], *format = "yuyv";
	double fps = 60, seconds = 3;
	struct stream *s = calloc(1, sizeof(*s));
	int nt, np, rc = 0;
	FILE *csv;

	dataset_default_dir(dir, sizeof(dir), "-camera");
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage();
		if (!strcmp(argv[i], "--transport"))
			snprintf(transports_arg, sizeof(transports_arg), "%s", v);
		else if (!strcmp(argv[i], "--preset"))
			snprintf(presets_arg, sizeof(presets_arg), "%s", v);
		else if (!strcmp(argv[i], "--format") && (!strcmp(v, "yuyv") || !strcmp(v, "nv12")))
			format = v;
		else if (!strcmp(argv[i], "--fps") && (atof(v) == 30 || atof(v) == 60))
			fps = atof(v);
		else if (!strcmp(argv[i], "--seconds") && atof(v) > 0 && atof(v) <= 600)
			seconds = atof(v);
		else if (!strcmp(argv[i], "--out"))
			snprintf(dir, sizeof(dir), "%s", v);
		else
			return usage();
		i++;
	}
	nt = split(transports_arg, transports);
	np = split(presets_arg, presets);
	for (int t = 0; t < nt; t++)
		if (!transport_by_name(transports[t]) || (strcmp(transports[t], names[0]) && strcmp(transports[t], names[1]) &&
							   strcmp(transports[t], names[2])))
			return usage();
	rc = kvm_check_environment();
	if (rc || dataset_mkdirs(dir)) {
		free(s);
		return rc ? rc : 2;
	}
	snprintf(path, sizeof(path), "%s/frames.csv", dir);
	csv = fopen(path, "w");
	fprintf(csv, "preset,format,fps,transport,frame,latency_us\n");
	printf("camera, %s %.0f fps, %.0f s per stream; sustained = every due frame delivered before the next\n", format,
	       fps, seconds);
	printf("%-8s %-10s %9s %10s %10s %10s %8s %8s %6s %s\n", "preset", "transport", "fps", "median ms", "p95 ms",
	       "p99 ms", "misses", "dropped", "bad", "sustained");
	for (int p = 0; p < np; p++) {
		char spec[900], err[1024], modpath[600], cdf[700], out[700], title[128];
		uint32_t op = 40 + 2 * (uint32_t)p;
		uint64_t pixels = !strcmp(presets[p], "720p") ? 1280 * 720 : !strcmp(presets[p], "2160p") ? 3840 * 2160
													     : 1920 * 1080;
		FILE *data;

		pagegate_path("devices/camera.so", modpath, sizeof(modpath));
		snprintf(spec, sizeof(spec), "camera-%s=%s,preset=%s,format=%s,op=%u", presets[p], modpath, presets[p], format,
			 op);
		if (!devices_serve(op) && devices_load(spec, err, sizeof(err))) {
			fprintf(stderr, "pagegate camera: %s\n", err);
			rc = 2;
			break;
		}
		snprintf(cdf, sizeof(cdf), "%s/figures/camera-%s.dat", dir, presets[p]);
		snprintf(out, sizeof(out), "%s/figures", dir);
		dataset_mkdirs(out);
		data = fopen(cdf, "w");
		for (int t = 0; t < nt; t++) {
			struct run_args a = { presets[p], format, transports[t], transport_by_name(transports[t])->id, op, fps,
					      seconds, 32 + pixels * (!strcmp(format, "nv12") ? 3 : 4) / 2 };
			bool sustained;

			rc |= run_stream(cfg, &a, s, csv);
			sustained = !s->dropped && !s->misses && !s->bad && s->frames > 0;
			printf("%-8s %-10s %9.1f %10.2f %10.2f %10.2f %8llu %8llu %6llu %s\n", presets[p], transports[t],
			       (double)s->frames / seconds, s->frames ? stats_median(s->latency_ns, s->frames) / 1e6 : 0,
			       s->frames ? stats_percentile(s->latency_ns, s->frames, 95) / 1e6 : 0,
			       s->frames ? stats_percentile(s->latency_ns, s->frames, 99) / 1e6 : 0,
			       (unsigned long long)s->misses, (unsigned long long)s->dropped, (unsigned long long)s->bad,
			       sustained ? "yes" : "no");
			rc |= s->bad ? 1 : 0;
			write_cdf(data, transports[t], s);
		}
		fclose(data);
		snprintf(out, sizeof(out), "%s/figures/camera-%s", dir, presets[p]);
		snprintf(title, sizeof(title), "title='camera %s %s %.0f fps: frame ready -> in the guest'", presets[p], format,
			 fps);
		rc |= plot_render("camera", cdf, title, out);
	}
	fclose(csv);
	printf("frames: %s/frames.csv, figures: %s/figures\n", dir, dir);
	free(s);
	return rc;
}
