// Threads over blocks of chains never change a result: the same seed gives the same bits for any number
// of workers (each chain's noise is its own Philox stream; the fused MLP kernels keep a chain in its lane).
#include <catch2/catch.hpp>

#include <tuple>
#include <utility>

#include "ember/simd/random.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/hmc.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"

using ember::Batch;
using ember::Index;

namespace {
template <class T>
Batch<T> run_langevin(int workers, Index n, Index steps, T clip) {
  const ember::MlpEnergy<T> energy({3, 64, 32}, 21, {.base_scale = T(2)});
  ember::Philox rng(22);
  Batch<T> x(n, 3);
  rng.normal(x);
  ember::Langevin<T> kernel({.step_size = T(0.05), .gradient_clip = clip, .workers = workers});
  kernel.run(energy, x, rng, steps);
  return x;
}
}  // namespace

TEMPLATE_TEST_CASE("Langevin: workers 1, 2 and 3 give bit-identical chains", "[threads][langevin]", float, double) {
  using T = TestType;
  for (Index n : {Index{1}, Index{100}, Index{1031}}) {
    INFO("n = " << n);
    const Batch<T> one = run_langevin<T>(1, n, 20, T(0));
    CHECK(one.allFinite());
    CHECK(run_langevin<T>(2, n, 20, T(0)) == one);
    CHECK(run_langevin<T>(3, n, 20, T(0)) == one);
    const Batch<T> clipped = run_langevin<T>(1, n, 20, T(0.3));
    CHECK(run_langevin<T>(3, n, 20, T(0.3)) == clipped);
  }
}

TEST_CASE("Langevin: the decoupled form with workers matches the serial one", "[threads][langevin]") {
  const ember::MlpEnergy<float> energy({2, 32, 32}, 5);
  Batch<float> a = Batch<float>::Zero(500, 2), b = a;
  auto serial = ember::Langevin<float>::decoupled(0.01f, 0.1f);
  auto threaded = ember::Langevin<float>::decoupled(0.01f, 0.1f, 0.f, 2);
  CHECK(threaded.workers() == 2);
  ember::Philox ra(9), rb(9);
  serial.run(energy, a, ra, 10);
  threaded.run(energy, b, rb, 10);
  CHECK(a == b);
  CHECK(a.cwiseAbs().maxCoeff() > 0.f);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(threaded.set_workers(0), Contains("ember::Langevin::set_workers") && Contains("workers = 0"));
  CHECK_THROWS_WITH(ember::Langevin<float>({.workers = -1}), Contains("workers = -1"));
}

TEMPLATE_TEST_CASE("MALA: workers 1, 2 and 3 give bit-identical chains and acceptance", "[threads][mala]", float,
                   double) {
  using T = TestType;
  const ember::MlpEnergy<T> energy({2, 48, 48}, 31, {.base_scale = T(2)});
  auto run = [&](int workers) {
    ember::Philox rng(32);
    Batch<T> x(777, 2);
    rng.normal(x);
    ember::Mala<T> kernel({.step_size = T(0.1), .adapt_steps = 5, .workers = workers});
    kernel.run(energy, x, rng, 15);
    return std::make_pair(x, kernel.step_size());
  };
  const auto one = run(1);
  CHECK(one.first.allFinite());
  for (int workers : {2, 3}) {
    const auto many = run(workers);
    CHECK(many.first == one.first);
    CHECK(many.second == one.second);  // the adapted step size saw the same acceptance probabilities
  }
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::Mala<T>({.workers = 0}), Contains("ember::Mala") && Contains("workers = 0"));
}

TEMPLATE_TEST_CASE("HMC: workers 1, 2 and 3 give bit-identical chains, statistics and step size", "[threads][hmc]",
                   float, double) {
  using T = TestType;
  const ember::MlpEnergy<T> energy({2, 48, 48}, 41, {.base_scale = T(2)});
  auto run = [&](int workers) {
    ember::Philox rng(42);
    Batch<T> x(777, 2);
    rng.normal(x);
    ember::Hmc<T> kernel({.step_size = T(0.05), .leapfrog_steps = 3, .adapt_steps = 4, .workers = workers});
    kernel.run(energy, x, rng, 8);
    return std::make_tuple(x, kernel.step_size(), kernel.statistics().accepted);
  };
  const auto one = run(1);
  CHECK(std::get<0>(one).allFinite());
  CHECK(std::get<2>(one).sum() > 0);
  for (int workers : {2, 3}) {
    INFO("workers = " << workers);
    const auto many = run(workers);
    CHECK(std::get<0>(many) == std::get<0>(one));
    CHECK(std::get<1>(many) == std::get<1>(one));
    CHECK(std::get<2>(many) == std::get<2>(one));
  }
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::Hmc<T>({.workers = 0}), Contains("ember::Hmc") && Contains("workers = 0"));
}
