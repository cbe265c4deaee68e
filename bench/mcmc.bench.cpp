// Chain-steps per second of MALA and HMC (ULA is in langevin.bench.cpp) on a Gaussian energy and on the MLP
// energy 2→128→128→1, and effective samples per second on an ill-conditioned 100-dimensional Gaussian.
// Reference: ULA on the same energy is the plainest correct loop; MALA costs one energy-and-gradient per
// step like ULA (cached across steps) plus the MH bookkeeping; HMC costs L of them.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>

#include <ember/simd/random.hpp>
#include <ember/energy/gaussian.hpp>
#include <ember/energy/mlp.hpp>
#include <ember/mcmc/hmc.hpp>
#include <ember/mcmc/langevin.hpp>
#include <ember/mcmc/mala.hpp>
#include <ember/metrics/ess.hpp>

namespace {

constexpr ember::Index hmc_leapfrog = 5;

template <class Kernel, class Energy>
void chain_steps(benchmark::State& state, Kernel kernel, const Energy& energy, ember::Index dim, ember::Index batch,
                 double evaluations_per_step) {
  ember::Philox rng(1);
  ember::Batch<float> x = ember::Batch<float>::Zero(batch, dim);
  kernel.run(energy, x, rng, 1);  // size the workspace
  for (auto _ : state) {
    kernel.run(energy, x, rng, 1);
    benchmark::DoNotOptimize(x.data());
  }
  state.counters["chain_steps_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["gradient_evals_per_step"] = evaluations_per_step;
}

void mala_gaussian(benchmark::State& state) {
  const auto dim = state.range(0), batch = state.range(1);
  chain_steps(state, ember::Mala<float>({.step_size = 0.5f}), ember::GaussianEnergy<float>::standard(dim), dim, batch, 1);
}
void hmc_gaussian(benchmark::State& state) {
  const auto dim = state.range(0), batch = state.range(1);
  chain_steps(state, ember::Hmc<float>({.step_size = 0.2f, .leapfrog_steps = hmc_leapfrog}),
              ember::GaussianEnergy<float>::standard(dim), dim, batch, hmc_leapfrog);
}

ember::MlpEnergy<float> mlp() { return ember::MlpEnergy<float>({2, 128, 128}, 7); }

void ula_mlp(benchmark::State& state) {
  chain_steps(state, ember::Langevin<float>({.step_size = 0.01f}), mlp(), 2, state.range(0), 1);
}
void mala_mlp(benchmark::State& state) {
  chain_steps(state, ember::Mala<float>({.step_size = 0.01f}), mlp(), 2, state.range(0), 1);
}
void hmc_mlp(benchmark::State& state) {
  chain_steps(state, ember::Hmc<float>({.step_size = 0.05f, .leapfrog_steps = hmc_leapfrog}), mlp(), 2,
              state.range(0), hmc_leapfrog);
}

// N(0, Σ) in 100 dimensions, Σ diagonal with variances log-spaced in [0.01, 1] (condition number 100).
ember::GaussianEnergy<double> ill_conditioned() {
  const ember::Index d = 100;
  ember::Vector<double> precision(d);
  for (ember::Index k = 0; k < d; ++k) precision(k) = std::pow(100.0, static_cast<double>(k) / (d - 1));
  return ember::GaussianEnergy<double>::from_mean_precision(ember::Vector<double>::Zero(d), precision.asDiagonal().toDenseMatrix());
}

// Effective samples per second of the slowest coordinate (variance 1, the widest), from 64 chains after a
// tuned warm-up: ESS by the initial monotone sequence estimator (metrics/ess.hpp).
template <class Kernel>
void ess_rate(benchmark::State& state, Kernel kernel) {
  const auto energy = ill_conditioned();
  const ember::Index chains = 64, steps = 400;
  ember::Philox rng(3);
  ember::Batch<double> x(chains, 100);
  rng.normal(x);
  x.array().rowwise() /= energy.precision().diagonal().cwiseSqrt().transpose().array();  // start at the target
  kernel.run(energy, x, rng, 300);  // warm-up (adapts the step size)
  ember::Batch<double> trace(chains, steps);
  double total_ess = 0, total_seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (ember::Index s = 0; s < steps; ++s) {
      kernel.run(energy, x, rng, 1);
      trace.col(s) = x.col(0);
    }
    total_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    total_ess += ember::effective_sample_size<double>(trace);
  }
  state.counters["ess_per_s"] = total_ess / total_seconds;
  state.counters["ess_per_step"] = total_ess / static_cast<double>(state.iterations() * steps * chains);
}

void mala_ess(benchmark::State& state) {
  ess_rate(state, ember::Mala<double>({.step_size = 0.01, .adapt_steps = 300}));
}
void hmc_ess(benchmark::State& state) {
  ess_rate(state, ember::Hmc<double>({.step_size = 0.05, .leapfrog_steps = 10, .adapt_steps = 300}));
}

}  // namespace

BENCHMARK(mala_gaussian)->ArgNames({"dim", "batch"})->ArgsProduct({{2, 100, 1000}, {64, 1024, 8192}})->MinTime(0.05);
BENCHMARK(hmc_gaussian)->ArgNames({"dim", "batch"})->ArgsProduct({{2, 100, 1000}, {64, 1024, 8192}})->MinTime(0.05);
BENCHMARK(ula_mlp)->ArgName("batch")->Arg(64)->Arg(1024)->Arg(8192)->MinTime(0.05);
BENCHMARK(mala_mlp)->ArgName("batch")->Arg(64)->Arg(1024)->Arg(8192)->MinTime(0.05);
BENCHMARK(hmc_mlp)->ArgName("batch")->Arg(64)->Arg(1024)->Arg(8192)->MinTime(0.05);
BENCHMARK(mala_ess)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(hmc_ess)->Iterations(2)->Unit(benchmark::kMillisecond);
