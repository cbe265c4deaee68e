// Langevin on an MLP energy d → h → h → 1 (SiLU, float): chain-steps per second and GFLOP/s, beside the
// PyTorch peer bench/peers/torch_langevin.py that runs exactly the same workloads (run bench/run_peers.py).
//
// FLOPs per chain-step, counted as multiply-adds × 2 of the matrix products only (activations, noise and
// the update are extra work, not counted):
//   forward  2·(d·h + h·h + h)   (Z₁ = X W₁ᵀ, Z₂ = H₁ W₂ᵀ, e = H₂ w)
//   backward 2·(h·h + h·d)       (G₁ = Δ₂ W₂, G₀ = Δ₁ W₁)
// so 4·(d·h + h·h) + 2·h: 66 816 for d = 2, h = 128.
#include <benchmark/benchmark.h>

#include <chrono>

#include <ember/simd/random.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/mcmc/langevin.hpp>

namespace {
double mlp_langevin_flops(double d, double h) { return 4 * (d * h + h * h) + 2 * h; }
}  // namespace

static void langevin_mlp(benchmark::State& state) {
  const auto dim = state.range(0), hidden = state.range(1), batch = state.range(2);
  const int workers = static_cast<int>(state.range(3));
  const ember::MlpEnergy<float> energy({dim, hidden, hidden}, 1);
  ember::Philox rng(2);
  ember::Batch<float> x(batch, dim);
  rng.normal(x);
  ember::Langevin<float> kernel({.step_size = 0.01f, .workers = workers});
  kernel.step(energy, x, rng);  // warm-up: workspace, scratch, thread pool
  // chain_steps_per_s and gflops use wall-clock time (with several workers the main thread's CPU time
  // would mislead); chain_steps_per_cpu_s uses the main thread's CPU time (Google Benchmark's own clock),
  // the fairer figure for one worker on a loaded machine.
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    kernel.step(energy, x, rng);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double steps = static_cast<double>(batch) * static_cast<double>(state.iterations());
  state.counters["chain_steps_per_s"] = steps / seconds;
  state.counters["chain_steps_per_cpu_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["gflops"] =
      steps * mlp_langevin_flops(static_cast<double>(dim), static_cast<double>(hidden)) * 1e-9 / seconds;
}
BENCHMARK(langevin_mlp)
    ->ArgNames({"dim", "hidden", "batch", "workers"})
    ->ArgsProduct({{2}, {128}, {64, 1024, 8192}, {1, 2}})
    ->Args({32, 256, 1024, 1});
