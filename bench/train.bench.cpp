// The whole training loop, as ember-toy2d runs it (examples/toy2d: 8gaussians, an MLP 2 → 128 → 128 → 1 with
// SiLU and the base ‖x‖²/(2·4²), Adam with η = 10⁻², batch 256, K = 10 ULA steps of ε = 0.01): minibatch,
// estimator (sampler, energies, ∇θ at the data and the negatives), checks, Adam, progress — ember::train
// itself, 20 updates per benchmark iteration. Beside the PyTorch and libtorch peers of the same loop
// (bench/peers/torch_train.py, bench/peers/libtorch/train.cpp; run bench/run_peers.py).
//
// FLOPs per update, multiply-adds × 2 of the matrix products only (activations, noise, Adam are extra work):
//   sampler  K · B · (4·(d·h + h·h) + 2·h)             (the Langevin chain-step of mlp.bench.cpp)
//   ∇θ       2B · (2·(d·h + h·h + h) + 4·h·h + 2·h·d + 2·h)   (forward; ∂W₂, G₁ = Δ₂W₂, ∂W₁, ∂w at B data and
//                                                       B negatives)
// 222.2 MFLOP for d = 2, h = 128, B = 256, K = 10. Counters: updates_per_s (wall clock), updates_per_cpu_s
// (the main thread's CPU time: fairer for one worker on a loaded machine), gflops, and of_peak, gflops over
// `workers` × this process's measured fma_peak (fma_peak.hpp).
#include <benchmark/benchmark.h>

#include <chrono>

#include <ember/simd/random.hpp>
#include <ember/data/toy2d.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/divergence/dcd.hpp>
#include <ember/divergence/pcd.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/replay_buffer.hpp>
#include <ember/train/adam.hpp>
#include <ember/train/trainer.hpp>

#include "fma_peak.hpp"

namespace {
using T = float;
constexpr ember::Index updates_per_iteration = 20;

double update_flops(double d, double h, double batch, double steps) {
  const double chain_step = 4 * (d * h + h * h) + 2 * h;
  const double parameter_gradient = 2 * (d * h + h * h + h) + 4 * h * h + 2 * h * d + 2 * h;
  return steps * batch * chain_step + 2 * batch * parameter_gradient;
}

// Runs ember::train on `estimator` for the benchmark's iterations, 20 updates each, continuing one Philox
// stream (as a resumed run does), and sets the counters.
template <class Estimator>
void train_loop(benchmark::State& state, Estimator& estimator) {
  const auto dim = state.range(0), hidden = state.range(1), batch = state.range(2), steps = state.range(3);
  const int workers = static_cast<int>(state.range(4));
  ember::Philox data_rng(1);
  const auto data = ember::Toy2d<T>::named("8gaussians").sample(20000, data_rng);
  ember::MlpEnergy<T> model({dim, hidden, hidden}, 1, {.base_scale = T(4)});
  ember::Adam<T> adam({.learning_rate = T(1e-2)});
  ember::TrainSettings settings{.iterations = updates_per_iteration, .batch_size = batch, .seed = 2};
  const auto run = [&] {
    const auto summary = ember::train(estimator, model, adam, data, settings, ember::SilentProgress{});
    settings.generator_position = summary.generator_position;
  };
  run();  // warm-up: workspaces, thread-local scratch, the thread pool
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(model.params().data());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double updates = static_cast<double>(updates_per_iteration) * static_cast<double>(state.iterations());
  const double gflops = updates * update_flops(static_cast<double>(dim), static_cast<double>(hidden),
                                               static_cast<double>(batch), static_cast<double>(steps)) * 1e-9 / seconds;
  state.counters["updates_per_s"] = updates / seconds;
  state.counters["updates_per_cpu_s"] = benchmark::Counter(static_cast<double>(updates_per_iteration),
                                                           benchmark::Counter::kIsIterationInvariantRate);
  state.counters["gflops"] = gflops;
  state.counters["of_peak"] = gflops / (workers * ember_bench::measured_fma_peak_gflops());
}

ember::Langevin<T> ula(int workers) { return ember::Langevin<T>({.step_size = T(0.01), .workers = workers}); }
}  // namespace

static void train_dcd(benchmark::State& state) {
  ember::DiffusionContrastiveDivergence estimator(
      ula(static_cast<int>(state.range(4))),
      ember::DcdSettings<T>{.noise = ember::DiffusionNoise::variance_preserving, .noise_min = T(0.2),
                            .noise_max = T(0.2), .steps = state.range(3)});
  train_loop(state, estimator);
}

static void train_cd(benchmark::State& state) {
  ember::ContrastiveDivergence estimator(ula(static_cast<int>(state.range(4))),
                                         ember::CdSettings<T>{.steps = state.range(3)});
  train_loop(state, estimator);
}

static void train_pcd(benchmark::State& state) {
  ember::PersistentContrastiveDivergence estimator(
      ula(static_cast<int>(state.range(4))),
      ember::ReplayBuffer(state.range(0), ember::UniformInit<T>{T(-4), T(4)},
                          {.capacity = 10000, .reinit_probability = T(0.05)}),
      ember::PcdSettings<T>{.steps = state.range(3)});
  train_loop(state, estimator);
}

// The 2D demo shape on one and two workers.
static void demo_shape(benchmark::internal::Benchmark* b) {
  b->ArgNames({"dim", "hidden", "batch", "steps", "workers"})->ArgsProduct({{2}, {128}, {256}, {10}, {1, 2}});
}
BENCHMARK(train_dcd)->Apply(demo_shape);
BENCHMARK(train_cd)->Apply(demo_shape);
BENCHMARK(train_pcd)->Apply(demo_shape);
