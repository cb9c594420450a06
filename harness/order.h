/*
 * The order in which a sweep measures its repetitions.  `blocked` is the order pagegate
 * always had: the sizes one after another, and within a size, round after round, every
 * configuration of that size once per round in configuration order.  `interleaved` runs
 * round after round over every configuration of the sweep, each round a fresh random
 * permutation drawn from one seeded generator, so a drift of the machine (the host's
 * memcpy bandwidth on a shared machine, say) lands on every configuration alike, as Google
 * Benchmark's --benchmark_enable_random_interleaving does.  Warm-up rounds come first in
 * both orders (blocked: before each size's measured rounds).
 */
#ifndef PG_ORDER_H
#define PG_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sweep_order { ORDER_BLOCKED, ORDER_INTERLEAVED };
#define ORDER_DEFAULT_SEED 1

/* One measurement to make: configuration `config`, repetition `rep` (< 0: warm-up). */
struct order_step {
	size_t config;
	int rep;
	bool checkpoint; /* the last step of a measured round (blocked: of a size's last round) */
};

/* The steps of a sweep over nconfigs configurations whose sizes are bytes[] (configs of one
 * size adjacent, as bench builds them), warmup + reps rounds each; out holds nconfigs *
 * (warmup + reps) steps, all of which are written.  Invariant: every configuration appears
 * exactly once per round, and a configuration's repetitions come in increasing order. */
void order_build(enum sweep_order mode, uint64_t seed, const uint64_t *bytes, size_t nconfigs, int warmup,
		 int reps, struct order_step *out);
const char *order_name(enum sweep_order mode);

#endif
