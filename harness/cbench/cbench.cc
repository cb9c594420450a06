// cbench: the C API over Google Benchmark (see cbench.h).  A cbench_state is a
// benchmark::State, a cbench_bench a benchmark::internal::Benchmark; the registered C
// function runs inside a lambda that carries its context pointer.
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstring>

#include "cbench.h"

namespace {

benchmark::State &S(cbench_state *st)
{
	return *reinterpret_cast<benchmark::State *>(st);
}

benchmark::internal::Benchmark *B(cbench_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

cbench_bench *C(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<cbench_bench *>(b);
}

} // namespace

extern "C" {

cbench_bench *cbench_register(const char *name, cbench_fn fn, void *ctx)
{
	return C(benchmark::RegisterBenchmark(name, [fn, ctx](benchmark::State &st) {
		fn(reinterpret_cast<cbench_state *>(&st), ctx);
	}));
}

cbench_bench *cbench_arg(cbench_bench *b, int64_t value)
{
	return C(B(b)->Arg(value));
}

cbench_bench *cbench_range(cbench_bench *b, int64_t lo, int64_t hi, int multiplier)
{
	return C(B(b)->RangeMultiplier(multiplier)->Range(lo, hi));
}

cbench_bench *cbench_arg_name(cbench_bench *b, const char *name)
{
	return C(B(b)->ArgName(name));
}

cbench_bench *cbench_unit(cbench_bench *b, enum cbench_unit unit)
{
	static const benchmark::TimeUnit units[] = { benchmark::kNanosecond, benchmark::kMicrosecond,
						     benchmark::kMillisecond, benchmark::kSecond };
	return C(B(b)->Unit(units[unit]));
}

cbench_bench *cbench_iterations(cbench_bench *b, int64_t n)
{
	return C(B(b)->Iterations(n));
}

cbench_bench *cbench_min_time(cbench_bench *b, double seconds)
{
	return C(B(b)->MinTime(seconds));
}

cbench_bench *cbench_repetitions(cbench_bench *b, int n)
{
	return C(B(b)->Repetitions(n));
}

cbench_bench *cbench_use_manual_time(cbench_bench *b)
{
	return C(B(b)->UseManualTime());
}

bool cbench_keep_running(cbench_state *st)
{
	return S(st).KeepRunning();
}

bool cbench_keep_running_batch(cbench_state *st, int64_t batch)
{
	return S(st).KeepRunningBatch(batch);
}

int64_t cbench_arg_value(cbench_state *st, int index)
{
	return S(st).range(static_cast<std::size_t>(index));
}

int64_t cbench_iterations_done(cbench_state *st)
{
	return static_cast<int64_t>(S(st).iterations());
}

void cbench_set_bytes_processed(cbench_state *st, int64_t bytes)
{
	S(st).SetBytesProcessed(bytes);
}

void cbench_set_items_processed(cbench_state *st, int64_t items)
{
	S(st).SetItemsProcessed(items);
}

void cbench_counter(cbench_state *st, const char *name, double value, int flags)
{
	int f = benchmark::Counter::kDefaults;

	if (flags & CBENCH_COUNTER_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & CBENCH_COUNTER_AVG_ITERATIONS)
		f |= benchmark::Counter::kAvgIterations;
	if (flags & CBENCH_COUNTER_INVERT)
		f |= benchmark::Counter::kInvert;
	S(st).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void cbench_label(cbench_state *st, const char *label)
{
	S(st).SetLabel(label);
}

void cbench_skip_with_error(cbench_state *st, const char *message)
{
	S(st).SkipWithError(message);
}

void cbench_set_iteration_time(cbench_state *st, double seconds)
{
	S(st).SetIterationTime(seconds);
}

void cbench_pause_timing(cbench_state *st)
{
	S(st).PauseTiming();
}

void cbench_resume_timing(cbench_state *st)
{
	S(st).ResumeTiming();
}

void cbench_add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

int cbench_run(int *argc, char **argv)
{
	std::size_t ran;

	benchmark::Initialize(argc, argv);
	if (*argc > 1) {
		std::fprintf(stderr, "cbench: unrecognized argument '%s'\n", argv[1]);
		return -1;
	}
	ran = benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return static_cast<int>(ran);
}

} // extern "C"
