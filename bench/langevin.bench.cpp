// Chain-steps per second of unadjusted Langevin on a standard Gaussian energy.
#include <benchmark/benchmark.h>

#include <ember/simd/random.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/mcmc/langevin.hpp>

static void langevin_gaussian(benchmark::State& state) {
  const auto dim = state.range(0), batch = state.range(1);
  const auto energy = ember::GaussianEnergy<float>::standard(dim);
  ember::Philox rng(1);
  ember::Batch<float> x = ember::Batch<float>::Zero(batch, dim);
  ember::Langevin<float> kernel({.step_size = 0.01f});
  for (auto _ : state) {
    kernel.step(energy, x, rng);
    benchmark::DoNotOptimize(x.data());
  }
  state.counters["chain_steps_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(langevin_gaussian)->ArgNames({"dim", "batch"})->ArgsProduct({{2, 100, 1000}, {64, 1024, 8192}})->MinTime(0.05);
