#include "ember/mcmc/langevin.hpp"

#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Langevin;

// ULA on E = ‖x‖²/2 is the linear-Gaussian recursion x' = (1 − ε/2)x + √ε ξ, whose stationary variance
// is ε / (1 − (1 − ε/2)²) = 1/(1 − ε/4): the discretisation bias is exact and known.
TEMPLATE_TEST_CASE("ULA's stationary variance on a standard Gaussian is 1/(1 - eps/4)", "[langevin]", float, double) {
  const auto energy = ember::GaussianEnergy<TestType>::standard(3);
  for (TestType eps : {TestType(0.1), TestType(0.5), TestType(1.0)}) {
    INFO("step size " << eps);
    ember::Philox rng(31);
    Batch<TestType> x = Batch<TestType>::Zero(20000, 3);
    Langevin<TestType> kernel({.step_size = eps});
    kernel.run(energy, x, rng, 200);  // contraction (1 − ε/2)^200 ≤ 0.95^200 ≈ 4e-5: converged
    const double expected = 1.0 / (1.0 - static_cast<double>(eps) / 4.0);
    const auto n = static_cast<std::size_t>(x.size());
    const double variance = x.template cast<double>().squaredNorm() / static_cast<double>(n);
    CHECK(std::abs(variance - expected) < ember::test::z_bound * ember::test::variance_standard_error(expected, n));
    CHECK(std::abs(x.template cast<double>().mean()) < ember::test::z_bound * std::sqrt(expected / static_cast<double>(n)));
  }
}

TEST_CASE("decoupled Langevin with sigma = 0 is gradient descent", "[langevin]") {
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Constant(4, 2, 1.0);
  auto kernel = Langevin<double>::decoupled(0.25, 0.0);
  kernel.run(energy, x, rng, 3);
  CHECK(x.maxCoeff() == Approx(0.75 * 0.75 * 0.75).epsilon(1e-15));
}

TEST_CASE("gradient clipping clamps each entry of the gradient", "[langevin]") {
  const auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Constant(2, 1, 100.0);
  auto kernel = Langevin<double>::decoupled(1.0, 0.0, 0.5);
  kernel.step(energy, x, rng);
  CHECK(x(0, 0) == 99.5);
}

TEST_CASE("Langevin: bad settings and diverged chains are reported", "[langevin][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(Langevin<double>({.step_size = -1.0}), Contains("ember::Langevin") && Contains("step_size = -1"));
  CHECK_THROWS_WITH(Langevin<double>({.step_size = std::nan("")}), Contains("step_size = nan"));
  CHECK_THROWS_WITH(Langevin<double>::decoupled(0.1, -1.0), Contains("noise_scale = -1"));
  CHECK_THROWS_WITH(Langevin<double>::decoupled(0.1, 0.1, -2.0), Contains("gradient_clip = -2"));
  const auto energy = ember::GaussianEnergy<double>::standard(1);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Constant(2, 1, 1e300);
  Langevin<double> kernel({.step_size = 0.1});
  // x² overflows: the kernel must stop with a numerical error, not return Inf silently.
  x(0, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(kernel.step(energy, x, rng), ember::numerical_error);
}

TEST_CASE("Langevin: an empty batch or a wrong column count is a clear error, serial or threaded (no SIGFPE)",
          "[langevin][errors][bad input]") {
  using Catch::Matchers::Message;
  const auto energy = ember::GaussianEnergy<float>::standard(2);
  ember::Philox rng(3);
  for (int workers : {1, 4}) {
    INFO("workers " << workers);
    Langevin<float> kernel({.step_size = 0.01f, .workers = workers});
    Batch<float> empty(0, 2);
    CHECK_THROWS_MATCHES(kernel.run(energy, empty, rng, 5), ember::invalid_argument,
                         Message("ember::Langevin::run: x = 0 x 2: the batch is empty"));
    CHECK_THROWS_MATCHES(kernel.step(energy, empty, rng), ember::invalid_argument,
                         Message("ember::Langevin::step: x = 0 x 2: the batch is empty"));
    Batch<float> no_columns(3, 0);
    CHECK_THROWS_MATCHES(kernel.run(energy, no_columns, rng, 1), ember::invalid_argument,
                         Message("ember::Langevin::run: x = 3 x 0: expected 2 columns (the energy's dimension)"));
  }
  // Nothing was drawn or moved: the kernel still works on a good batch.
  Batch<float> x = Batch<float>::Zero(4, 2);
  CHECK_NOTHROW(Langevin<float>({.step_size = 0.01f}).run(energy, x, rng, 2));
  CHECK(x.allFinite());
}
