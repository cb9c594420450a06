/*
 * Self-describing result datasets (schema: datasets/README.md): one folder per run with
 * results.csv (one row per measured repetition, appended with one write as each
 * finishes), summary.csv (per configuration statistics) and meta.json (what ran, where,
 * with what), the last two replaced atomically (temporary file + rename), so an
 * interrupted or crashed run keeps every finished row and never a half-written file.
 */
#ifndef PG_DATASET_H
#define PG_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../vmm-min/vm.h"

#define DATASET_SCHEMA_VERSION 5
#define NR_STAGES 6

extern const char *const stage_names[NR_STAGES]; /* exit translate fault copy handler entry */
enum { STAGE_EXIT = 0, STAGE_ENTRY = NR_STAGES - 1 };
#define RING_STAGES 6
extern const char *const ring_stage_names[RING_STAGES]; /* queue translate copy device complete notice */
/* The columns whose values make a facet of a run (a table, a figure): all but the row
 * label and the size. */
#define DATASET_NFACETS 10
extern const char *const dataset_facet_cols[DATASET_NFACETS];

/* One cell of a sweep. */
struct config {
	char label[24];         /* "basic(kvm)", "extended(walk)", "ptcopy" */
	const char *transport;  /* transport name */
	unsigned transport_id;
	const char *translate;  /* "kvm", "walk" or "leafcopy" */
	unsigned translate_id;  /* XLATE_* */
	const char *direction;  /* "send" or "recv" */
	uint32_t kind;          /* PG_CMD_SEND / PG_CMD_RECV */
	bool cold;
	unsigned page_shift;
	unsigned frame_policy;
	uint64_t offset, bytes;
	bool timing_off;
	bool iov;               /* delivery: iov (guest segments) or copy (host buffers) */
	bool through_device;    /* window: the timed part includes the EXECUTE */
	uint64_t max_per_doorbell; /* for the bound; 0: no doorbell per byte (the ring) */
	/* the ring: requests in flight, addressing, notification, completion (RING_COMPLETE_*;
	 * poll for every other transport), spin budget, and requests per repetition (a stream
	 * of sends; 1 for every other transfer) */
	uint32_t qd;
	unsigned ring_addr, ring_notify, ring_complete;
	uint64_t ring_spin_ns, requests;
};

/* One measured repetition. */
struct sample {
	size_t config;
	int rep;
	uint64_t status;
	double total_ns, mbps;
	uint64_t doorbells, pages, faults, copied;
	double stage_ns[NR_STAGES];
	double guest_ns; /* total minus the host stages: guest library and unattributed time */
	bool clock_ok;   /* false: exit, entry and guest_ns are NAN, not measured */
	double bound_ns, pct_of_bound;
	double memcpy_ns, pct_of_memcpy; /* the paired host memcpy; NAN: not paired */
	/* requests of the repetition and their rate; with the ring (else NAN): submit -> seen
	 * latency p50/p99, kicks and requests per serving round of the I/O thread, interrupts
	 * per request (interrupt completion), its busy (serving) and CPU (not asleep) share of
	 * the window, and per-request stage means */
	uint64_t requests;
	double req_per_s, lat_p50_ns, lat_p99_ns, kicks_per_req, reqs_per_round, irqs_per_req, io_busy_pct,
		io_cpu_pct;
	double ring_ns[RING_STAGES];
	/* the paired gather of the transfer's own guest pages (see hostcopy.h), for every
	 * request of the repetition, and the gather's share of the window; NAN: not paired */
	double gather_ns, pct_of_gather;
	/* the ring's streams: the guest's latency histogram (abi.h: pg_lat_bucket), if the
	 * host accepted it (lat_hist_ok; else all 0, not measured) */
	bool lat_hist_ok;
	uint32_t lat_hist[PG_LAT_BUCKETS];
};

struct calibration {
	double doorbell_ns;  /* null-doorbell round trip, guest view, median */
	double memcpy_gbps;  /* host memcpy of 4 MiB, GB/s = 10^9 B/s, median (a reference; the
				bounds use each row's paired memcpy) */
};

/* What meta.json records besides the configs. */
struct run_info {
	const char *command_line;
	struct vm_facts vm; /* platform, fault injection, clock check */
	uint64_t tsc_khz;
	uint64_t guest_ram;
	const char *topology, *pin_map, *hwloc_version;
	struct calibration cal;
	const char *order;   /* "blocked" or "interleaved" (NULL: not a sweep, e.g. camera) */
	uint64_t order_seed;
};

struct dataset;

/* Create dir (and parents), results.csv with its header and meta.json ("running"). */
struct dataset *dataset_create(const char *dir, const struct config *configs, size_t nconfigs,
			       int reps, const struct run_info *info, char *err, size_t cap);
/* Append one sample to results.csv. */
int dataset_add(struct dataset *ds, const struct sample *s);
/* Rewrite summary.csv from the samples so far (bench: after each measured round; camera:
 * after each stream), so a killed run keeps a summary of its finished rounds. */
int dataset_checkpoint(struct dataset *ds);
/* Final summary.csv and meta.json with status "complete" or "interrupted". */
int dataset_close(struct dataset *ds, const char *status);

struct stage_times;
/* The host's stage times and counts of a sample (ticks at tsc_khz), and guest_ns =
 * total_ns (set before) minus the stages. */
void sample_add_stages(struct sample *s, const struct stage_times *t, uint64_t tsc_khz);
/* The request figures of a sample (total_ns set before): its requests and their rate,
 * and for the ring (one_shot) the guest's latency percentiles and histogram, the host's
 * per-request stage means (not measured if any request's stamps were out of order) and
 * its I/O thread's counters; NAN where they do not apply.  g is the host's one copy of
 * the guest's result; `asked` the requests of the stream the host asked for (0: not a
 * stream, no histogram). */
void sample_add_requests(struct sample *s, const struct pg_result *g, const struct stage_times *t, uint64_t tsc_khz,
			 bool one_shot, uint64_t asked);
/* Whether a guest's latency histogram is one: its counts add up to g->requests, which is
 * at least 1 and at most `asked`.  Otherwise a rate-limited line on stderr says why. */
bool sample_lat_hist_valid(const struct pg_result *g, uint64_t asked);
/* False when dir/meta.json says the run's CPU was emulated: its timings mean nothing. */
bool dataset_timings_meaningful(const char *dir);
/* The number after "key": in dir/meta.json (e.g. "memcpy_gb_per_s"), or NAN. */
double dataset_meta_number(const char *dir, const char *key);
/* One line on stderr when the CPU is emulated: the timings of such a run mean nothing. */
void warn_if_emulated(const struct kvm_platform *p);
/* This process's command line, arguments separated by spaces. */
void pagegate_command_line(char *out, size_t cap);

/* Requests in one repetition of c (a doorbell transfer is one). */
static inline uint64_t config_requests(const struct config *c)
{
	return c->requests ? c->requests : 1;
}

/* The fastest a repetition could be with these costs: one null round trip (doorbell_ns) per
 * doorbell the transport needs at least, plus one host memcpy of every byte of the
 * repetition (memcpy_ns, all its requests'); a transport with no exit per byte (the ring)
 * is bound by the memcpy alone. */
double dataset_bound_ns(const struct config *c, double doorbell_ns, double memcpy_ns);
/* A sample's bound and percentages from its paired memcpy (NAN: not paired, then the
 * bound is not measured either). */
void sample_set_bounds(struct sample *s, const struct config *c, double doorbell_ns, double memcpy_ns);
/* gather_ns / pct_of_gather from one request's paired gather (NAN: not paired). */
void sample_set_gather(struct sample *s, const struct config *c, double gather_ns);
const char *page_size_name(unsigned page_shift);
/* rel resolved against the folder of the running pagegate binary (build/ or build-san/),
 * e.g. "guest-bench.elf", "devices/camera.so", "../plots/common.gp". */
void pagegate_path(const char *rel, char *out, size_t cap);
/* A new run's default folder: datasets/runs/<UTC time>-<git revision><suffix>. */
void dataset_default_dir(char *out, size_t cap, const char *suffix);
/* A number with an optional K, M or G (binary) suffix, as every command takes sizes;
 * 0, or -1 if s is not one. */
int pagegate_parse_size(const char *s, uint64_t *out);
/* A size as the tables print it: "64 B", "64 KiB", "1.5 MiB". */
void pagegate_size_name(double bytes, char *out, size_t cap);
/* mkdir -p; 0 or -1. */
int dataset_mkdirs(const char *dir);
/* The git revision pagegate was built from: short sha, "-dirty" if the tree had changes. */
const char *pagegate_revision(void);
const char *frames_name(unsigned policy);
/* A ring completion mode (RING_COMPLETE_*) as the `complete` column says it. */
const char *complete_name(unsigned complete);

#endif
