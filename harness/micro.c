/*
 * `pagegate micro`: Google Benchmark (through cbench) measurements of every per-page
 * translation method on page tables the real guest built — KVM_TRANSLATE on the live
 * vCPU, a software walk per page, the page-table copy (one walk per 2 MiB region, leaf
 * table copied, lookups in the copy) and a cached walk (a software TLB of upper levels) —
 * for 1 to 262144 pages, 4 KiB and 2 MiB mappings, contiguous and scattered frames; and
 * the other stage costs in isolation: null round trip, injected page-fault round trip,
 * KVM_GET_REGS against the sync-regs area, 4 KiB and 4 MiB copies out of guest memory.
 * And what "ask the VM" costs a second (I/O) thread while the vCPU runs: KVM_TRANSLATE
 * takes the vCPU's mutex, which KVM_RUN holds, so the call waits for the vCPU's next exit
 * (translate/io_thread_while_running), unless the thread kicks the vCPU out first
 * (translate/io_thread_forced_exit, which stalls the guest); against KVM_TRANSLATE on the
 * vCPU thread between runs (translate/vcpu_thread) and the I/O thread's own walk
 * (translate/walk_io_thread, the ring transport's leaf-table copy).
 *
 * The guest runs in micro mode; the whole suite runs inside the SYNC hook of its
 * MICRO_READY call, driving the vCPU further (vcpu_run_once) whenever a benchmark needs a
 * new mapping or a spinning guest.  Results: Google Benchmark's JSON (the source of
 * truth), micro.csv derived from it, and a figure of ns/page against pages per method.
 */
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <x86intrin.h>
#include "../vmm-min/ptwalk.h"
#include "../vmm-min/x86.h"
#include "cbench/cbench.h"
#include "dataset.h"
#include "micro.h"
#include "plot.h"

#define MAX_PAGES (PG_BUF_MAX_BYTES >> PAGE_SHIFT_4K)
/* The one page the "ask the VM" benchmarks translate: in a 4 KiB scattered mapping of
 * XLATE_PAGES touched pages. */
#define XLATE_PAGES 8
#define XLATE_GVA (PG_BUF_VA + 5 * PAGE_SIZE_4K)
/* The guest's busy spin while an I/O thread kicks it or walks (every kick ends it early). */
#define IO_SPIN_US 5000

enum guest_at { GUEST_BUSY, GUEST_AT_REQ, GUEST_AT_SPIN };
enum method { M_KVM, M_WALK, M_LEAFCOPY, M_CACHED, NR_METHODS };
static const char *const method_names[NR_METHODS] = { "kvm", "walk", "leafcopy", "cached" };

struct micro {
	struct vm *vm;
	struct vcpu *v;
	uint32_t pending_what;
	struct pg_micro_req pending;
	bool stop_spin, failed, has_mapping;
	enum guest_at at;
	struct pg_micro_req mapped;
	uint64_t max_pages, fault_va;
	volatile uint64_t *beat; /* the guest's req.beat, found at its first MICRO_REQ */
	uint64_t busy_bad;       /* busy spins that came back with a wrong sum */
	uint64_t *gpas;
	uint8_t *copy_buf;
	struct pt_walk_cache cache;
	int argc, ran;
	char **argv;
	bool own_json; /* JSON goes to the run folder (no --benchmark_out of the caller) */
};

struct translate_bench {
	struct micro *m;
	unsigned shift, policy;
	enum method method;
};

/* Drive the guest until it stops where we want it. */
static void drive_until(struct micro *m, enum guest_at where)
{
	while (!m->failed && m->at != where)
		if (vcpu_run_once(m->v) != EXIT_CONTINUE)
			m->failed = true;
}

static void request(struct micro *m, uint32_t what, const struct pg_micro_req *req)
{
	if (m->at == GUEST_AT_SPIN) {
		m->stop_spin = true;
		m->at = GUEST_BUSY;
	}
	m->pending_what = what;
	if (req)
		m->pending = *req;
	m->at = GUEST_BUSY;
	drive_until(m, what == PG_MICRO_SPIN ? GUEST_AT_SPIN : GUEST_AT_REQ);
}

static void ensure_mapping(struct micro *m, unsigned shift, unsigned policy, uint64_t pages)
{
	struct pg_micro_req req = { .page_shift = shift, .frame_policy = policy, .seed = 1, .pages = pages };

	if (m->has_mapping && !memcmp(&m->mapped, &req, sizeof(req)))
		return;
	request(m, PG_MICRO_MAP, &req);
	m->mapped = req;
	m->has_mapping = !m->failed;
	pt_walk_cache_reset(&m->cache);
}

/* Bring the guest to its request loop (from a null-round-trip spin or a busy one). */
static void settle_at_req(struct micro *m)
{
	if (m->at == GUEST_AT_SPIN)
		m->stop_spin = true;
	if (m->at != GUEST_AT_REQ)
		m->at = GUEST_BUSY;
	drive_until(m, GUEST_AT_REQ);
}

static void ensure_spin(struct micro *m)
{
	if (m->at != GUEST_AT_SPIN)
		request(m, PG_MICRO_SPIN, NULL);
}

static int translate(struct micro *m, enum method method, uint64_t va, uint64_t n, uint64_t *gpas)
{
	const struct guest_mem *mem = &m->vm->mem;
	uint64_t cr3 = vcpu_sregs(m->v)->cr3;
	enum pt_walk_status st;
	struct pt_walk w;

	switch (method) {
	case M_KVM:
		for (uint64_t i = 0; i < n; i++)
			if (vcpu_translate(m->v, va + (i << PAGE_SHIFT_4K), &gpas[i]))
				return -1;
		return 0;
	case M_WALK:
		for (uint64_t i = 0; i < n; i++) {
			if (pt_walk(mem, cr3, va + (i << PAGE_SHIFT_4K), &w) != PTW_OK)
				return -1;
			gpas[i] = w.gpa;
		}
		return 0;
	case M_LEAFCOPY:
		return pt_translate_leafcopy(mem, cr3, va, n, false, gpas, &st) == n ? 0 : -1;
	default:
		for (uint64_t i = 0; i < n; i++) {
			if (pt_walk_cached(&m->cache, mem, cr3, va + (i << PAGE_SHIFT_4K), &w) != PTW_OK)
				return -1;
			gpas[i] = w.gpa;
		}
		return 0;
	}
}

static void bench_translate(cbench_state *st, void *ctx)
{
	struct translate_bench *tb = ctx;
	struct micro *m = tb->m;
	uint64_t n = (uint64_t)cbench_arg_value(st, 0), last;
	struct pt_walk w;

	ensure_mapping(m, tb->shift, tb->policy, m->max_pages);
	if (m->failed || n > m->max_pages) {
		cbench_skip_with_error(st, m->failed ? "the guest stopped" : "more pages than mapped (--max-pages)");
		return;
	}
	while (cbench_keep_running(st))
		if (translate(m, tb->method, PG_BUF_VA, n, m->gpas)) {
			cbench_skip_with_error(st, "translation failed");
			return;
		}
	cbench_set_items_processed(st, cbench_iterations_done(st) * (int64_t)n);
	last = PG_BUF_VA + ((n - 1) << PAGE_SHIFT_4K);
	if (pt_walk(&m->vm->mem, vcpu_sregs(m->v)->cr3, last, &w) != PTW_OK ||
	    (w.gpa & ~4095ull) != (m->gpas[n - 1] & ~4095ull))
		cbench_skip_with_error(st, "the method disagrees with the walker on the last page");
}

static void bench_null_round_trip(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;

	ensure_spin(m);
	while (cbench_keep_running(st))
		if (vcpu_run_once(m->v) != EXIT_CONTINUE)
			m->failed = true;
	if (m->failed)
		cbench_skip_with_error(st, "the guest stopped");
}

/* Each iteration: inject #PF at a fresh page of the unmapped region, resume; the guest
 * kernel maps it and the guest's next spin call exits again. */
static void bench_fault_round_trip(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;

	ensure_mapping(m, PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, 0);
	ensure_spin(m);
	m->fault_va = PG_BUF_VA;
	while (cbench_keep_running(st)) {
		if (m->fault_va == PG_BUF_VA + PG_BUF_MAX_BYTES) {
			cbench_pause_timing(st);
			m->has_mapping = false;
			ensure_mapping(m, PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, 0);
			ensure_spin(m);
			m->fault_va = PG_BUF_VA;
			cbench_resume_timing(st);
		}
		vcpu_inject_page_fault(m->v, m->fault_va, true);
		m->fault_va += PAGE_SIZE_4K;
		if (vcpu_run_once(m->v) != EXIT_CONTINUE)
			m->failed = true;
	}
	m->has_mapping = false; /* the region now holds the faulted pages */
	if (m->failed)
		cbench_skip_with_error(st, "the guest stopped");
}

static void bench_get_regs(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;
	struct kvm_regs regs;

	while (cbench_keep_running(st))
		if (ioctl(m->v->fd, KVM_GET_REGS, &regs)) {
			cbench_skip_with_error(st, "KVM_GET_REGS failed");
			return;
		}
}

static void bench_sync_regs(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;
	volatile uint64_t sink = 0;

	while (cbench_keep_running_batch(st, 1000))
		for (int i = 0; i < 1000; i++)
			sink += vcpu_regs(m->v)->rip + vcpu_sregs(m->v)->cr3;
}

static void bench_copy(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;
	uint64_t bytes = (uint64_t)cbench_arg_value(st, 0);
	const uint8_t *src = gmem_ptr(&m->vm->mem, 64ull << 20, bytes);

	while (cbench_keep_running(st))
		memcpy(m->copy_buf, src, bytes);
	cbench_set_bytes_processed(st, cbench_iterations_done(st) * (int64_t)bytes);
}

/* The page of the "ask the VM" benchmarks mapped, the guest at its request loop, and the
 * page's GPA by KVM_TRANSLATE on the vCPU thread in *gpa (the software walk must agree):
 * NULL, or why not. */
static const char *xlate_setup(struct micro *m, uint64_t *gpa)
{
	struct pt_walk w;

	ensure_mapping(m, PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, XLATE_PAGES);
	settle_at_req(m);
	if (m->failed)
		return "the guest stopped";
	if (!m->beat)
		return "the guest's request block is not where the host can watch it";
	if (!m->v->tsc_khz)
		return "the TSC frequency is unknown (KVM_GET_TSC_KHZ)";
	if (vcpu_translate(m->v, XLATE_GVA, gpa) || pt_walk(&m->vm->mem, vcpu_sregs(m->v)->cr3, XLATE_GVA, &w) ||
	    w.gpa != *gpa)
		return "KVM_TRANSLATE and the walker disagree on the page";
	return NULL;
}

static void bench_vcpu_thread(cbench_state *st, void *ctx)
{
	struct micro *m = ctx;
	const char *why;
	uint64_t want, gpa = 0;

	why = xlate_setup(m, &want);
	if (why) {
		cbench_skip_with_error(st, why);
		return;
	}
	cbench_label(st, "KVM_TRANSLATE on the vCPU thread, between runs");
	while (cbench_keep_running(st))
		if (vcpu_translate(m->v, XLATE_GVA, &gpa) || gpa != want) {
			cbench_skip_with_error(st, "KVM_TRANSLATE failed or changed its answer");
			return;
		}
}

/* What the second thread of the translate/io_thread_* and walk_io_thread benchmarks does
 * per iteration, while the vCPU thread keeps the guest in busy spins. */
enum io_op {
	IO_ASK_KVM,      /* KVM_TRANSLATE: waits until the vCPU leaves KVM_RUN */
	IO_KICK_ASK_KVM, /* vcpu_kick, then KVM_TRANSLATE */
	IO_WALK,         /* the ring's leaf-table copy from the CR3 recorded at set-up */
	NR_IO_OPS,
};

struct io_spec {
	struct micro *m;
	enum io_op op;
};

/* One run of such a benchmark.  Handshake: the I/O thread sets `hold` before it asks
 * KVM; the vCPU thread, finding `hold` after a KVM_RUN, publishes that run's bounds and
 * sets `held`, and stays out until `hold` clears — so an ask gets the vCPU's mutex
 * without racing the next KVM_RUN.  Host TSC throughout. */
struct io_bench {
	struct micro *m;
	cbench_state *st;
	enum io_op op;
	uint64_t want_gpa, cr3;
	atomic_bool hold, held, finished, vcpu_gone;
	uint64_t t_ask;                /* I/O: when it kicked or began to ask */
	uint64_t run_enter, run_exit;  /* vCPU: the run it came out of to hold (before `held`) */
	/* I/O thread's tallies: asks made while the vCPU was inside the run it came out of
	 * (`in_run`) or not (`missed`: it had left before the ask began); their ask -> exit
	 * ticks and exit -> answer ticks (signed: the answer can come before the vCPU thread
	 * reads its clock after KVM_RUN); answers that were wrong */
	uint64_t in_run, missed, wrong, to_exit;
	int64_t after_exit;
	/* vCPU thread's: ask -> the vCPU thread resumes, summed over holds */
	uint64_t holds, stall;
	const char *error;
};

/* One round of a wait on another thread: spin a while, then yield the CPU (the thread
 * waited for may be queued behind us on this one: a busy machine, or only two cores). */
static void wait_a_little(unsigned *rounds)
{
	if (++*rounds < 1000)
		_mm_pause();
	else
		sched_yield();
}

/* Wait until the guest's busy loop beats (it ran since the call began); false if the
 * vCPU thread gave up or a second passed without a beat (a guest that stopped beating
 * does not hold the I/O thread forever). */
static bool wait_guest_ran(struct io_bench *io)
{
	volatile uint64_t *beat = io->m->beat;
	uint64_t b0 = *beat, deadline = __rdtsc() + io->m->v->tsc_khz * 1000;
	unsigned rounds = 0;

	while (*beat == b0) {
		if (atomic_load(&io->vcpu_gone) || __rdtsc() > deadline)
			return false;
		wait_a_little(&rounds);
	}
	return true;
}

static bool io_translate(struct io_bench *io, uint64_t *gpa)
{
	enum pt_walk_status st;

	if (io->op != IO_WALK)
		return vcpu_translate(io->m->v, XLATE_GVA, gpa) == 0;
	return pt_translate_leafcopy(&io->m->vm->mem, io->cr3, XLATE_GVA, 1, false, gpa, &st) == 1;
}

/* After an ask [t0, t1]: wait until the vCPU thread holds, count the ask against the run
 * it came out of, let the vCPU go on. */
static void release_vcpu(struct io_bench *io, uint64_t t0, uint64_t t1)
{
	unsigned rounds = 0;

	while (!atomic_load(&io->held) && !atomic_load(&io->vcpu_gone))
		wait_a_little(&rounds);
	if (atomic_load(&io->held) && io->run_enter <= t0 && t0 <= io->run_exit) {
		io->in_run++;
		io->to_exit += io->run_exit - t0;
		io->after_exit += (int64_t)(t1 - io->run_exit);
	} else {
		io->missed++;
	}
	atomic_store(&io->held, false);
	atomic_store(&io->hold, false);
}

static void *io_thread(void *ctx)
{
	struct io_bench *io = ctx;
	struct vcpu *v = io->m->v;

	while (cbench_keep_running(io->st)) {
		uint64_t gpa = 0, t0, t1;
		bool ok;

		if (!wait_guest_ran(io)) {
			io->error = "the guest stopped, or its busy loop did not beat";
			break;
		}
		if (io->op != IO_WALK)
			atomic_store(&io->hold, true);
		t0 = io->t_ask = __rdtsc();
		if (io->op == IO_KICK_ASK_KVM)
			vcpu_kick(v);
		ok = io_translate(io, &gpa);
		t1 = __rdtsc();
		if (io->op != IO_WALK)
			release_vcpu(io, t0, t1);
		cbench_set_iteration_time(io->st, vcpu_tsc_to_ns(v, (double)(t1 - t0)) / 1e9);
		io->wrong += !ok || gpa != io->want_gpa;
	}
	atomic_store(&io->finished, true);
	return NULL;
}

/* The vCPU thread's side of a hold: publish the run just ended, stay out until released. */
static void hold_out(struct io_bench *io)
{
	unsigned rounds = 0;

	io->run_enter = io->m->v->t_enter;
	io->run_exit = io->m->v->t_exit;
	atomic_store(&io->held, true);
	while (atomic_load(&io->hold))
		wait_a_little(&rounds);
	io->holds++;
	io->stall += __rdtsc() - io->t_ask;
}

/* The vCPU thread until the I/O thread's loop is over: the guest in back-to-back busy
 * spins of spin_ticks (guest TSC), out of KVM_RUN whenever the I/O thread holds it. */
static void serve_io_thread(struct micro *m, struct io_bench *io, uint64_t spin_ticks)
{
	unsigned rounds = 0;

	while (!atomic_load(&io->finished)) {
		if (!m->failed && m->at == GUEST_AT_REQ) {
			m->pending_what = PG_MICRO_BUSY;
			m->pending = (struct pg_micro_req){ .spin_ticks = spin_ticks };
			m->at = GUEST_BUSY;
		}
		if (!m->failed && vcpu_run_once(m->v) != EXIT_CONTINUE)
			m->failed = true;
		if (m->failed) {
			atomic_store(&io->vcpu_gone, true);
			wait_a_little(&rounds);
		}
		if (atomic_load(&io->hold))
			hold_out(io);
	}
}

static double ticks_us(const struct micro *m, double ticks, uint64_t n)
{
	return n ? vcpu_tsc_to_ns(m->v, ticks / (double)n) / 1e3 : 0;
}

static void report_io(cbench_state *st, const struct micro *m, const struct io_bench *io, uint64_t spin_us)
{
	static const char *const labels[] = {
		[IO_ASK_KVM] = "KVM_TRANSLATE from a 2nd thread while the guest spins: waits for the vCPU's exit",
		[IO_KICK_ASK_KVM] = "vcpu_kick + KVM_TRANSLATE from a 2nd thread: the guest stalls",
		[IO_WALK] = "the ring's leaf-table walk from a 2nd thread while the guest spins",
	};

	cbench_label(st, labels[io->op]);
	if (io->op == IO_ASK_KVM)
		cbench_counter(st, "spin_us", (double)spin_us, CBENCH_COUNTER_DEFAULT);
	if (io->op != IO_WALK) {
		cbench_counter(st, "to_exit_us", ticks_us(m, (double)io->to_exit, io->in_run), CBENCH_COUNTER_DEFAULT);
		cbench_counter(st, "after_exit_us", ticks_us(m, (double)io->after_exit, io->in_run),
			       CBENCH_COUNTER_DEFAULT);
		cbench_counter(st, "missed", (double)io->missed, CBENCH_COUNTER_DEFAULT);
	}
	if (io->op == IO_KICK_ASK_KVM)
		cbench_counter(st, "stall_us", ticks_us(m, (double)io->stall, io->holds), CBENCH_COUNTER_DEFAULT);
}

static void bench_io_thread(cbench_state *st, void *ctx)
{
	const struct io_spec *spec = ctx;
	struct micro *m = spec->m;
	uint64_t spin_us = spec->op == IO_ASK_KVM ? (uint64_t)cbench_arg_value(st, 0) : IO_SPIN_US;
	struct io_bench io = { .m = m, .st = st, .op = spec->op };
	uint64_t busy_bad = m->busy_bad;
	const char *why = xlate_setup(m, &io.want_gpa);
	pthread_t thread;

	io.cr3 = vcpu_sregs(m->v)->cr3;
	if (!why && pthread_create(&thread, NULL, io_thread, &io))
		why = "cannot start the I/O thread";
	if (why) {
		cbench_skip_with_error(st, why);
		return;
	}
	serve_io_thread(m, &io, spin_us * m->v->tsc_khz / 1000);
	pthread_join(thread, NULL);
	settle_at_req(m); /* the last spin's sum is checked too */
	why = io.error ? io.error
	      : io.wrong ? "the I/O thread's translation disagrees with the vCPU thread's"
	      : m->busy_bad != busy_bad ? "the guest's busy loop summed wrong after being kicked" : NULL;
	if (why)
		cbench_skip_with_error(st, why);
	else
		report_io(st, m, &io, spin_us);
}

/* translate/vcpu_thread, translate/io_thread_while_running/spin_us:N,
 * translate/io_thread_forced_exit, translate/walk_io_thread (see the top of the file).
 * Fixed iteration counts keep them to a few seconds together (the I/O thread's time is
 * manual, so a minimum time would count only the timed part of each round trip); more
 * samples: --benchmark_repetitions. */
static void register_ask_the_vm(struct micro *m, struct io_spec *specs)
{
	static const struct {
		const char *name;
		enum io_op op;
		enum cbench_unit unit;
		int64_t iterations;
	} io_benches[NR_IO_OPS] = {
		{ "translate/io_thread_while_running", IO_ASK_KVM, CBENCH_US, 200 },
		{ "translate/io_thread_forced_exit", IO_KICK_ASK_KVM, CBENCH_US, 2000 },
		{ "translate/walk_io_thread", IO_WALK, CBENCH_NS, 100000 },
	};

	cbench_iterations(cbench_register("translate/vcpu_thread", bench_vcpu_thread, m), 20000);
	for (size_t i = 0; i < NR_IO_OPS; i++) {
		cbench_bench *b;

		specs[i] = (struct io_spec){ m, io_benches[i].op };
		b = cbench_register(io_benches[i].name, bench_io_thread, &specs[i]);
		b = cbench_iterations(cbench_unit(cbench_use_manual_time(b), io_benches[i].unit), io_benches[i].iterations);
		if (io_benches[i].op == IO_ASK_KVM)
			cbench_arg(cbench_arg(cbench_arg(cbench_arg_name(b, "spin_us"), 20), 200), 2000);
	}
}

static void register_suite(struct micro *m, struct translate_bench *tbs, struct io_spec *specs)
{
	static const int64_t pages[] = { 1, 8, 64, 512, 1024, 8192, 262144 };
	static const struct {
		unsigned shift, policy;
		const char *name;
	} mappings[] = {
		{ PAGE_SHIFT_4K, PG_FRAMES_CONTIGUOUS, "4k-contiguous" },
		{ PAGE_SHIFT_4K, PG_FRAMES_SCATTERED, "4k-scattered" },
		{ PAGE_SHIFT_2M, PG_FRAMES_CONTIGUOUS, "2m-contiguous" },
		{ PAGE_SHIFT_2M, PG_FRAMES_SCATTERED, "2m-scattered" },
	};
	char name[96];
	int n = 0;

	for (size_t mp = 0; mp < 4; mp++)
		for (int me = 0; me < NR_METHODS; me++) {
			struct translate_bench *tb = &tbs[n++];
			cbench_bench *b;

			*tb = (struct translate_bench){ m, mappings[mp].shift, mappings[mp].policy, (enum method)me };
			snprintf(name, sizeof(name), "translate/%s/%s", mappings[mp].name, method_names[me]);
			b = cbench_arg_name(cbench_unit(cbench_register(name, bench_translate, tb), CBENCH_US), "pages");
			for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
				if ((uint64_t)pages[p] <= m->max_pages)
					cbench_arg(b, pages[p]);
		}
	cbench_unit(cbench_register("stage/null_round_trip", bench_null_round_trip, m), CBENCH_US);
	cbench_unit(cbench_register("stage/fault_round_trip", bench_fault_round_trip, m), CBENCH_US);
	cbench_register("stage/kvm_get_regs_ioctl", bench_get_regs, m);
	cbench_register("stage/sync_regs_read", bench_sync_regs, m);
	cbench_arg(cbench_arg(cbench_arg_name(cbench_register("stage/copy_from_guest", bench_copy, m), "bytes"), 4096),
		   4 << 20);
	register_ask_the_vm(m, specs);
}

/* Σ i² for i = 1..n, mod 2^64, as the guest's busy loop sums it: n(n+1)(2n+1)/6 with each
 * division done exactly on the factor it divides (n < 2^62, so 2n + 1 does not wrap). */
static uint64_t sum_of_squares(uint64_t n)
{
	uint64_t a = n, b = n + 1, c = 2 * n + 1;

	assert(n < 1ull << 62);
	if (a % 2)
		b /= 2;
	else
		a /= 2;
	if (n % 3 == 0)
		a /= 3;
	else if (n % 3 == 2)
		b /= 3;
	else
		c /= 3;
	return a * b * c;
}

/* The guest's answer to its last BUSY (beats, sum of their squares; 0 beats: none): a
 * loop kicked out of KVM_RUN and resumed must still sum right. */
static void check_busy_result(struct micro *m, uint64_t beats, uint64_t sum)
{
	if (beats && (beats >= 1ull << 40 || sum_of_squares(beats) != sum))
		m->busy_bad++;
}

/* Host view of the guest's req.beat (req at req_gva, from its MICRO_REQ): NULL unless
 * that is one aligned word of guest RAM in a user page. */
static volatile uint64_t *guest_beat(struct vcpu *v, uint64_t req_gva)
{
	uint64_t gva = req_gva + offsetof(struct pg_micro_req, beat);
	struct pt_walk w;

	if (gva < req_gva || gva % 8 || pt_walk(&v->vm->mem, vcpu_sregs(v)->cr3, gva, &w) != PTW_OK || !w.user)
		return NULL;
	return gmem_guest_ptr(&v->vm->mem, w.gpa, 8);
}

static uint64_t micro_sync(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct micro *m = ctx;
	struct translate_bench tbs[4 * NR_METHODS];
	struct io_spec specs[NR_IO_OPS];

	switch (tag) {
	case PG_SYNC_MICRO_READY:
		register_suite(m, tbs, specs);
		m->ran = cbench_run(&m->argc, m->argv);
		m->pending_what = PG_MICRO_DONE;
		return m->at == GUEST_AT_SPIN ? 0 : PG_MICRO_DONE;
	case PG_SYNC_MICRO_REQ:
		check_busy_result(m, vcpu_regs(v)->r8, vcpu_regs(v)->r9);
		if (!m->beat)
			m->beat = guest_beat(v, vcpu_regs(v)->rsi);
		if (!m->pending_what) {
			m->at = GUEST_AT_REQ;
			return 0;
		}
		if ((m->pending_what == PG_MICRO_MAP || m->pending_what == PG_MICRO_BUSY) &&
		    gmem_write_gva(&v->vm->mem, vcpu_sregs(v)->cr3, vcpu_regs(v)->rsi, &m->pending,
				   offsetof(struct pg_micro_req, beat)))
			return PG_CTL_EFAULT;
		m->at = GUEST_BUSY;
		tag = m->pending_what;
		m->pending_what = 0;
		return tag;
	case PG_SYNC_MICRO_SPIN:
		if (m->stop_spin) {
			m->stop_spin = false;
			return 0;
		}
		m->at = GUEST_AT_SPIN;
		return 1;
	default:
		return PG_CTL_EINVAL;
	}
}

/* One benchmark of Google Benchmark's JSON (it writes one key per line). */
struct gb_row {
	char name[128], error[128];
	double real_time, items_per_second, bytes_per_second, iterations;
	char unit[8];
	bool failed;
};

static double unit_ns(const char *unit)
{
	return !strcmp(unit, "us") ? 1e3 : !strcmp(unit, "ms") ? 1e6 : !strcmp(unit, "s") ? 1e9 : 1;
}

static bool json_field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"')
		p++;
	while (p[n] && p[n] != '"' && p[n] != ',' && p[n] != '\n' && n + 1 < cap)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

static size_t read_gb_json(const char *path, struct gb_row *rows, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[512], v[128];
	size_t n = 0;
	struct gb_row *r = NULL;

	while (f && fgets(line, sizeof(line), f)) {
		if (json_field(line, "name", v, sizeof(v)) && strstr(line, "      \"name\"") && n < cap) {
			r = &rows[n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->name, sizeof(r->name), "%s", v);
		} else if (!r) {
			continue;
		} else if (json_field(line, "real_time", v, sizeof(v))) {
			r->real_time = strtod(v, NULL);
		} else if (json_field(line, "iterations", v, sizeof(v))) {
			r->iterations = strtod(v, NULL);
		} else if (json_field(line, "time_unit", v, sizeof(v))) {
			snprintf(r->unit, sizeof(r->unit), "%.7s", v);
		} else if (json_field(line, "items_per_second", v, sizeof(v))) {
			r->items_per_second = strtod(v, NULL);
		} else if (json_field(line, "bytes_per_second", v, sizeof(v))) {
			r->bytes_per_second = strtod(v, NULL);
		} else if (json_field(line, "error_message", v, sizeof(v))) {
			r->failed = true;
			snprintf(r->error, sizeof(r->error), "%s", v);
		}
	}
	if (f)
		fclose(f);
	return n;
}

/* The mappings of the per-method translate/ benchmarks, one figure each. */
#define NR_FIGURES 4
static const char *const figure_mappings[NR_FIGURES] = { "4k-contiguous", "4k-scattered", "2m-contiguous",
							  "2m-scattered" };

/* micro.csv from the JSON, and one figure data file per mapping (blocks per method);
 * has_points[i]: figure i has data (a filtered run may leave some empty). */
static int derive_outputs(const char *dir, const char *json, bool has_points[NR_FIGURES])
{
	static struct gb_row rows[512];
	size_t n = read_gb_json(json, rows, 512);
	char path[700];
	FILE *csv;

	snprintf(path, sizeof(path), "%s/micro.csv", dir);
	csv = fopen(path, "w");
	if (!csv)
		return -1;
	fprintf(csv, "name,group,mapping,method,pages,iterations,real_time_ns,ns_per_page,bytes_per_second,error\n");
	for (size_t i = 0; i < n; i++) {
		struct gb_row *r = &rows[i];
		char group[32] = "", mapping[32] = "", method[32] = "";
		long pages = 0;

		if (sscanf(r->name, "%31[^/]/%31[^/]/%31[^/]/pages:%ld", group, mapping, method, &pages) != 4 ||
		    strcmp(group, "translate"))
			mapping[0] = method[0] = 0, pages = 0;
		fprintf(csv, "%s,%s,%s,%s,%ld,%.0f,%.1f,%.3f,%.0f,%s\n", r->name, group, mapping, method, pages,
			r->iterations, r->real_time * unit_ns(r->unit),
			r->items_per_second > 0 ? 1e9 / r->items_per_second : 0, r->bytes_per_second, r->error);
	}
	fclose(csv);
	for (size_t f = 0; f < NR_FIGURES; f++) {
		FILE *dat;

		has_points[f] = false;
		snprintf(path, sizeof(path), "%s/figures/micro-%s.dat", dir, figure_mappings[f]);
		dat = fopen(path, "w");
		if (!dat)
			return -1;
		for (int me = 0; me < NR_METHODS; me++) {
			fprintf(dat, "\"%s\"\n", method_names[me]);
			for (size_t i = 0; i < n; i++) {
				char prefix[96];
				long pages;

				snprintf(prefix, sizeof(prefix), "translate/%s/%s/pages:", figure_mappings[f],
					 method_names[me]);
				if (!strncmp(rows[i].name, prefix, strlen(prefix)) && !rows[i].failed &&
				    rows[i].items_per_second > 0 && sscanf(rows[i].name + strlen(prefix), "%ld", &pages) == 1) {
					fprintf(dat, "%ld %.3f\n", pages, 1e9 / rows[i].items_per_second);
					has_points[f] = true;
				}
			}
			fprintf(dat, "\n\n");
		}
		fclose(dat);
	}
	return 0;
}

static int plot_micro(const char *dir, const bool has_points[NR_FIGURES])
{
	char data[700], out[700], title[96];
	int rc = 0;

	for (size_t i = 0; i < NR_FIGURES; i++) {
		if (!has_points[i])
			continue;
		snprintf(data, sizeof(data), "%s/figures/micro-%s.dat", dir, figure_mappings[i]);
		snprintf(out, sizeof(out), "%s/figures/micro-%s", dir, figure_mappings[i]);
		snprintf(title, sizeof(title), "title='translation cost, %s guest mappings'", figure_mappings[i]);
		rc |= plot_render("micro", data, title, out);
	}
	return rc;
}

/* Our options out of argv; Google Benchmark's stay, plus JSON output into the run folder
 * unless the caller chose another. */
static int split_args(int argc, char **argv, char *dir, size_t cap, struct micro *m, char **gb_argv, char *out_flag,
		      size_t out_cap)
{
	bool has_out = false;
	uint64_t *max_pages = &m->max_pages;
	int *gb_argc = &m->argc;

	*gb_argc = 0;
	gb_argv[(*gb_argc)++] = "pagegate-micro";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			snprintf(dir, cap, "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--max-pages") && i + 1 < argc) {
			char *end;

			*max_pages = strtoull(argv[++i], &end, 10);
			if (*end || !*max_pages || *max_pages > MAX_PAGES) {
				fprintf(stderr, "pagegate micro: --max-pages wants 1..%llu, not '%s'\n",
					(unsigned long long)MAX_PAGES, argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: pagegate [global options] micro [--out DIR] [--max-pages N] [Google Benchmark flags]\n"
			       "  --out DIR        results folder (default datasets/runs/<UTC time>-<git sha>-micro)\n"
			       "  --max-pages N    pages the guest maps per mapping, at most %llu (default: all)\n"
			       "  --benchmark_filter=REGEX, --benchmark_min_time=S, --benchmark_repetitions=N, ...\n"
			       "                   are Google Benchmark's; its JSON goes to DIR/micro.json\n",
			       (unsigned long long)MAX_PAGES);
			return 1;
		} else {
			has_out |= !strncmp(argv[i], "--benchmark_out=", 16);
			gb_argv[(*gb_argc)++] = argv[i];
		}
	}
	m->own_json = !has_out;
	if (!has_out) {
		snprintf(out_flag, out_cap, "--benchmark_out=%s/micro.json", dir);
		gb_argv[(*gb_argc)++] = out_flag;
		gb_argv[(*gb_argc)++] = "--benchmark_out_format=json";
	}
	gb_argv[*gb_argc] = NULL;
	return 0;
}

int micro_main(int argc, char **argv, const struct vm_config *cfg)
{
	struct micro m = { .max_pages = MAX_PAGES };
	struct vm_config c = *cfg;
	char dir[512], figdir[600], out_flag[600], json[600], why[1200], platform[160];
	char *gb_argv[argc + 4];
	int rc;

	dataset_default_dir(dir, sizeof(dir), "-micro");
	rc = split_args(argc, argv, dir, sizeof(dir), &m, gb_argv, out_flag, sizeof(out_flag));
	if (rc)
		return rc == 1 ? 0 : rc;
	rc = kvm_check_environment();
	if (rc)
		return rc;
	snprintf(figdir, sizeof(figdir), "%s/figures", dir);
	snprintf(json, sizeof(json), "%s/micro.json", dir);
	if (dataset_mkdirs(figdir)) {
		fprintf(stderr, "pagegate micro: cannot create %s\n", figdir);
		return 2;
	}
	if (c.mem_bytes < PG_BUF_MAX_BYTES + (256ull << 20))
		c.mem_bytes = 2ull << 30; /* frames for a fully mapped 1 GiB region */
	c.params.mode = PG_MODE_MICRO;
	m.argv = gb_argv;
	m.gpas = calloc(MAX_PAGES, sizeof(*m.gpas));
	m.copy_buf = malloc(4 << 20);
	memset(m.copy_buf, 0, 4 << 20);
	m.vm = vm_create(&c);
	m.v = m.vm->vcpus[0];
	m.vm->sync_hook = micro_sync;
	m.vm->sync_ctx = &m;
	cbench_add_context("pagegate_revision", pagegate_revision());
	kvm_platform_describe(&m.vm->platform, platform, sizeof(platform));
	cbench_add_context("kvm_backend", platform);
	cbench_add_context("fault_injection", fault_injection_name(m.vm->fault_injection));
	cbench_add_context("mb_definition", "bytes_per_second is bytes / s; ns_per_page = 1e9 / items_per_second");
	rc = vm_run(m.vm) == VM_DONE && m.ran > 0 && !m.failed ? 0 : 1;
	vm_describe_outcome(m.vm, why, sizeof(why));
	if (rc)
		fprintf(stderr, "pagegate micro: %s\n", m.ran < 0 ? "bad arguments" : why);
	vm_destroy(m.vm);
	free(m.gpas);
	free(m.copy_buf);
	if (!rc && m.own_json) {
		bool has_points[NR_FIGURES];

		rc = derive_outputs(dir, json, has_points) ? 1 : plot_micro(dir, has_points);
		printf("results: %s (Google Benchmark JSON), %s/micro.csv, figures in %s\n", json, dir, figdir);
	}
	return rc;
}
