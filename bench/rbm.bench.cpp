// Samples per second of one CD-1 training step of a 784-visible × 500-hidden Bernoulli RBM, batch 100: the
// shared ember::ContrastiveDivergence estimator with the ember::BlockGibbs kernel, then an ember::Sgd update
// (momentum 0.5) — the MNIST-sized workload of scikit-learn's BernoulliRBM, whose peer is
// bench/peers/sklearn_rbm.py (same shapes, same random binary data of density 0.5).
// A CD-1 step needs 5 products of 100 × 784 × 500: V₀W and H₀Wᵀ for Gibbs, V₁W for the negative phase (V₀W is
// shared with the positive phase through the RBM's block cache), and V₀ᵀS₀, V₁ᵀS₁ for the weight gradient.
// Their left factors are binary, so ember computes all five by table lookup (simd/binary_product.hpp).
// `gflops` counts the 5 products as dense GEMMs (5 × 78.4 MFLOP per step): the arithmetic a GEMM-based
// implementation such as scikit-learn's must do. Table lookup does about a quarter of those operations, so
// this dense-equivalent rate may exceed the machine's fma_peak.
// workers:2 threads the RBM's products, each column block of W on the same core at every step, and the update by
// the same owners (Rbm::set_workers, Rbm::pool; bit-identical results); it is rated by wall time.
#include <benchmark/benchmark.h>

#include <ember/simd/random.hpp>
#include <ember/divergence/cd.hpp>
#include <ember/energy/rbm.hpp>
#include <ember/mcmc/gibbs.hpp>
#include <ember/train/sgd.hpp>

template <class T>
static void rbm_cd1(benchmark::State& state) {
  constexpr ember::Index visible = 784, hidden = 500, batch = 100;
  constexpr double gemm_flops = 2.0 * batch * visible * hidden, gemms_per_step = 5;
  ember::Philox rng(1);
  auto rbm = ember::BernoulliRbm<T>::random(visible, hidden, rng, T(0.01));
  rbm.set_workers(static_cast<int>(state.range(0)));
  ember::Batch<T> data(batch, visible);
  ember::BernoulliInit<T>{}(data, rng);  // random binary data, as the peer
  ember::ContrastiveDivergence cd(ember::BlockGibbs<T>{}, ember::CdSettings<T>{.steps = 1});
  ember::Sgd<T> sgd({.learning_rate = T(0.01), .momentum = T(0.5)});
  for (auto _ : state) {
    auto result = cd.estimate(rbm, data, rng);
    sgd.step(rbm.params(), result.gradient, rbm.pool());
    benchmark::DoNotOptimize(rbm.params().data());
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["gflops"] = benchmark::Counter(gemms_per_step * gemm_flops * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}
// One worker: rates by CPU time (fair on a loaded machine, as the peer's). Two workers: wall time.
BENCHMARK_TEMPLATE(rbm_cd1, float)->Name("rbm_cd1/visible:784/hidden:500/batch:100")->ArgName("workers")->Arg(1)->MinTime(0.5);
BENCHMARK_TEMPLATE(rbm_cd1, double)->Name("rbm_cd1_f64/visible:784/hidden:500/batch:100")->ArgName("workers")->Arg(1)->MinTime(0.5);
BENCHMARK_TEMPLATE(rbm_cd1, float)
    ->Name("rbm_cd1/visible:784/hidden:500/batch:100")->ArgName("workers")->Arg(2)->MinTime(0.5)->UseRealTime();
BENCHMARK_TEMPLATE(rbm_cd1, double)
    ->Name("rbm_cd1_f64/visible:784/hidden:500/batch:100")->ArgName("workers")->Arg(2)->MinTime(0.5)->UseRealTime();
