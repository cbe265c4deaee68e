#include "ember/mcmc/acceptance.hpp"

#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/mala.hpp"

using ember::Index;

TEST_CASE("AcceptanceStatistics: rates, mean rate and divergences from the counts", "[acceptance]") {
  ember::AcceptanceStatistics<double> stats;
  CHECK(stats.mean_rate() == 0.0);  // nothing proposed yet
  stats.accepted = (ember::AcceptanceStatistics<double>::Counts(3) << 2, 5, 0).finished();
  stats.divergent = (ember::AcceptanceStatistics<double>::Counts(3) << 0, 1, 4).finished();
  stats.proposed = 8;
  CHECK(stats.rates()(0) == 0.25);
  CHECK(stats.rates()(1) == 0.625);
  CHECK(stats.rates()(2) == 0.0);
  CHECK(stats.mean_rate() == Approx(7.0 / 24.0).epsilon(1e-15));
  CHECK(stats.total_divergences() == 5);
}

TEMPLATE_TEST_CASE("AcceptanceStatistics: a kernel's statistics() agree with its counters and reset", "[acceptance]",
                   float, double) {
  using T = TestType;
  const auto energy = ember::GaussianEnergy<T>::standard(3);
  ember::Philox rng(3);
  ember::Batch<T> x(50, 3);
  rng.normal(x);
  ember::Mala<T> kernel({.step_size = T(1.5)});
  kernel.run(energy, x, rng, 40);
  const ember::AcceptanceStatistics<T> stats = kernel.statistics();
  CHECK(stats.proposed == 40);
  CHECK(stats.accepted == kernel.accepted());
  CHECK(stats.divergent == kernel.divergences());
  CHECK(stats.rates() == kernel.acceptance_rate());
  CHECK(stats.mean_rate() == Approx(kernel.acceptance_rate().template cast<double>().mean()).epsilon(1e-6));
  CHECK(stats.mean_rate() > T(0.05));  // ε = 1.5 in 3 dimensions: far from 0 and from 1
  CHECK(stats.mean_rate() < T(0.95));
  kernel.reset_statistics();
  CHECK(kernel.statistics().proposed == 0);
  CHECK(kernel.statistics().accepted.sum() == 0);
}
