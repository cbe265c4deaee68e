// Samples per second of one CD-1 training step of a 784-visible × 500-hidden Bernoulli RBM, batch 100: the
// shared ember::ContrastiveDivergence estimator with the ember::BlockGibbs kernel, then an ember::Sgd update
// (momentum 0.5) — the MNIST-sized workload of scikit-learn's BernoulliRBM, whose peer is
// bench/peers/sklearn_rbm.py (same shapes, one core). workers:2 is left to the threading work.
#include <benchmark/benchmark.h>

#include <ember/core/random.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/energy/rbm.hpp>
#include <ember/mcmc/gibbs.hpp>
#include <ember/train/sgd.hpp>

template <class T>
static void rbm_cd1(benchmark::State& state) {
  constexpr ember::Index visible = 784, hidden = 500, batch = 100;
  ember::Philox rng(1);
  auto rbm = ember::BernoulliRbm<T>::random(visible, hidden, rng, T(0.01));
  ember::Batch<T> data(batch, visible);
  ember::BernoulliInit<T>{}(data, rng);  // random binary data, as the peer
  ember::ContrastiveDivergence cd(ember::BlockGibbs<T>{}, ember::CdSettings<T>{.steps = 1});
  ember::Sgd<T> sgd({.learning_rate = T(0.01), .momentum = T(0.5)});
  for (auto _ : state) {
    auto result = cd.estimate(rbm, data, rng);
    sgd.step(rbm.params(), result.gradient);
    benchmark::DoNotOptimize(rbm.params().data());
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_TEMPLATE(rbm_cd1, float)->Name("rbm_cd1/visible:784/hidden:500/batch:100/workers:1")->MinTime(0.5);
BENCHMARK_TEMPLATE(rbm_cd1, double)->Name("rbm_cd1_f64/visible:784/hidden:500/batch:100/workers:1")->MinTime(0.5);
