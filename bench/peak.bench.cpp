// The machine's measured fp32 FMA peak on one core: the yardstick for every GFLOP/s that ember_bench
// reports (run_peers.py prints each workload's fraction of it). The loop is in fma_peak.hpp.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "fma_peak.hpp"

static void fma_peak(benchmark::State& state) {
  constexpr std::int64_t iterations = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(ember_bench::fma_chains<ember_bench::peak_chains>(iterations));
  state.counters["gflops"] = benchmark::Counter(ember_bench::fma_chain_flops(iterations) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(fma_peak)->ArgName("workers")->Arg(1);
