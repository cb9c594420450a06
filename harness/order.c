/*
 * Sweep orders (see order.h).  Rounds of the interleaved order are Fisher-Yates shuffles
 * of the identity, one after another from a single splitmix64 stream seeded once, so a
 * seed fixes the whole order and rounds differ from each other.
 */
#include "order.h"
#include "stats.h"

const char *order_name(enum sweep_order mode)
{
	return mode == ORDER_BLOCKED ? "blocked" : "interleaved";
}

/* Per size: warm-up and measured rounds, the size's configurations in order in each. */
static void build_blocked(const uint64_t *bytes, size_t nconfigs, int warmup, int reps, struct order_step *out)
{
	size_t n = 0, first = 0;

	while (first < nconfigs) {
		size_t last = first;

		while (last < nconfigs && bytes[last] == bytes[first])
			last++;
		for (int r = -warmup; r < reps; r++)
			for (size_t c = first; c < last; c++)
				out[n++] = (struct order_step){ .config = c, .rep = r,
								.checkpoint = r == reps - 1 && c == last - 1 };
		first = last;
	}
}

/* Every round over all configurations, each round a fresh permutation. */
static void build_interleaved(uint64_t seed, size_t nconfigs, int warmup, int reps, struct order_step *out)
{
	uint64_t state = seed;
	size_t n = 0;

	for (int r = -warmup; r < reps; r++) {
		struct order_step *round = &out[n];

		for (size_t c = 0; c < nconfigs; c++)
			round[c] = (struct order_step){ .config = c, .rep = r };
		for (size_t i = nconfigs; i > 1; i--) {
			size_t j = (size_t)(stats_random(&state) % i);
			struct order_step t = round[i - 1];

			round[i - 1] = round[j];
			round[j] = t;
		}
		round[nconfigs - 1].checkpoint = r >= 0;
		n += nconfigs;
	}
}

void order_build(enum sweep_order mode, uint64_t seed, const uint64_t *bytes, size_t nconfigs, int warmup,
		 int reps, struct order_step *out)
{
	if (mode == ORDER_BLOCKED)
		build_blocked(bytes, nconfigs, warmup, reps, out);
	else
		build_interleaved(seed, nconfigs, warmup, reps, out);
}
