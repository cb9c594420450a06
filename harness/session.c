/*
 * Sessions (see session.h): the SYNC hook hands the guest one command at a time (NEXT)
 * and sets the engine's translation method, timing and delivery for it; the guest brackets the timed part of
 * the transfer (WINDOW_BEGIN / WINDOW_END), so the host's stage times cover exactly what
 * the guest timed; RESULT files the guest's result next to them.  A paired memcpy, and a
 * gather of the guest pages the guest names (its transfer's data), are timed at WINDOW_END: the guest has taken its end stamp, so the copy is outside the transfer's
 * time, and it is the nearest moment to it on the same thread and core.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "session.h"

struct session {
	struct engine engine;
	const struct pg_cmd *cmds;
	struct transfer_result *results;
	size_t n, next;
	struct stage_times window; /* stage times of the last timed part */
	double pair_ns;            /* the paired memcpy of the current command, or NAN */
	double gather_ns;          /* the paired gather of its guest pages, or NAN */
	struct iovec *segs;        /* room for the gather's segments: pair->cap / 4 KiB + 2 */
	size_t nsegs;
	bool timing;               /* the session's default */
	const struct session_options *opt;
};

/* The paired gather of guest-virtual [gva, gva + len) — full-width guest registers, taken
 * as a range and checked — or NAN if the range is empty, larger than the pair's buffers, or
 * not all mapped guest RAM (say, a cold buffer after the window). */
static double paired_gather_ns(struct session *s, struct vcpu *v, uint64_t gva, uint64_t len)
{
	int n;

	if (len == 0 || len > s->opt->pair->cap)
		return NAN;
	n = gmem_gva_segments(&v->vm->mem, vcpu_sregs(v)->cr3, gva, len, s->segs, s->nsegs);
	return n > 0 ? hostcopy_gather_ns(s->opt->pair, s->segs, (size_t)n) : NAN;
}

static uint64_t session_sync(struct vcpu *v, uint64_t tag, void *ctx)
{
	struct session *s = ctx;
	struct kvm_regs *r = vcpu_regs(v);
	uint64_t cr3 = vcpu_sregs(v)->cr3;
	struct transfer_result *res;

	switch (tag) {
	case PG_SYNC_NEXT:
		if (s->next == s->n)
			return 0;
		if (gmem_write_gva(&v->vm->mem, cr3, r->rsi, &s->cmds[s->next], sizeof(struct pg_cmd)))
			return PG_CTL_EFAULT;
		s->engine.method = s->cmds[s->next].translate == XLATE_WALK ? XLATE_WALK : XLATE_KVM;
		s->engine.timing = s->timing && !s->cmds[s->next].timing_off;
		s->engine.delivery = s->cmds[s->next].delivery == DELIVER_IOV ? DELIVER_IOV : DELIVER_COPY;
		memset(&s->window, 0, sizeof(s->window));
		s->pair_ns = s->gather_ns = NAN;
		s->next++;
		return 1;
	case PG_SYNC_WINDOW_BEGIN:
		engine_reset_stats(&s->engine);
		return PG_CTL_OK;
	case PG_SYNC_WINDOW_END:
		engine_end_window(&s->engine, v, r->rsi);
		s->window = s->engine.t;
		if (s->next && s->opt && s->opt->pair && s->cmds[s->next - 1].bytes &&
		    s->cmds[s->next - 1].bytes <= s->opt->pair->cap)
			s->pair_ns = hostcopy_ns(s->opt->pair, s->cmds[s->next - 1].bytes);
		if (s->next && s->segs)
			s->gather_ns = paired_gather_ns(s, v, r->r8, r->r9);
		return PG_CTL_OK;
	case PG_SYNC_RESULT:
		if (s->next == 0)
			return PG_CTL_EINVAL;
		res = &s->results[s->next - 1];
		if (gmem_read_gva(&v->vm->mem, cr3, r->rsi, &res->guest, sizeof(res->guest)))
			return PG_CTL_EFAULT;
		res->cmd = s->cmds[s->next - 1];
		res->t = s->window;
		res->host_checksum = s->engine.checksum;
		res->tsc_khz = v->tsc_khz;
		res->memcpy_ns = s->pair_ns;
		res->gather_ns = s->gather_ns;
		res->done = true;
		if (s->opt && s->opt->on_result)
			s->opt->on_result(res, s->next - 1, s->opt->ctx);
		return PG_CTL_OK;
	default:
		return PG_CTL_EINVAL;
	}
}

enum vm_outcome session_run(const struct vm_config *cfg, const struct session_options *opt,
			    const struct pg_cmd *cmds, size_t n, struct transfer_result *results, char *why,
			    size_t why_cap, struct vm_facts *facts)
{
	struct vm_config c = *cfg;
	struct session s = { .cmds = cmds, .results = results, .n = n, .opt = opt };
	enum vm_outcome outcome;
	uint64_t largest = 0;
	struct vm *vm;

	c.params.mode = PG_MODE_SERVE;
	vm = vm_create(&c);
	engine_init(&s.engine, vm);
	s.timing = !opt || opt->timing;
	if (opt && opt->max_op_bytes)
		s.engine.max_op_bytes = opt->max_op_bytes;
	memset(results, 0, n * sizeof(*results));
	for (size_t i = 0; i < n; i++)
		largest = cmds[i].bytes > largest ? cmds[i].bytes : largest;
	engine_reserve(&s.engine, largest);
	if (opt && opt->pair) {
		s.nsegs = opt->pair->cap / 4096 + 2;
		s.segs = malloc(s.nsegs * sizeof(*s.segs)); /* NULL: no gathers paired */
	}
	vm->sync_hook = session_sync;
	vm->sync_ctx = &s;
	outcome = vm_run(vm);
	vm_describe_outcome(vm, why, why_cap);
	if (facts)
		vm_facts_add(facts, vm);
	engine_fini(&s.engine);
	vm_destroy(vm);
	free(s.segs);
	return outcome;
}
