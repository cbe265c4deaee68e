#include "ember/divergence/contrastive.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/mala.hpp"
#include "mcmc/counting_energy.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Vector;
using namespace ember::test;

// The skeleton's gradient is ∇θ of its loss for fixed batches: compare with finite differences of the loss.
TEST_CASE("Contrastive: the gradient is the theta-derivative of the surrogate loss (with the energy^2 term)",
          "[contrastive][gradient]") {
  const auto energy = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::LinSpaced(3, -0.5, 0.5),
                                                                         random_spd(3, 4));
  ember::test::Uniform uniform(7);
  const Batch<double> pos = uniform.next<Batch<double>>(9, 3), neg = 2.0 * uniform.next<Batch<double>>(5, 3);
  for (double alpha : {0.0, 0.3}) {
    INFO("alpha " << alpha);
    ember::Contrastive<double> skeleton;
    ember::EstimatorResult<double> result;
    skeleton.accumulate(energy, pos, neg, result, alpha);
    auto loss = [&](const ember::GaussianEnergy<double>& e) {
      Vector<double> ep(9), en(5);
      e.energy(pos, ep);
      e.energy(neg, en);
      return ep.mean() - en.mean() + alpha * (ep.squaredNorm() / 9 + en.squaredNorm() / 5);
    };
    CHECK(relative_error(result.gradient, fd_gradient(energy, loss)) < fd_tolerance);
    CHECK(result.loss == Approx(loss(energy)).epsilon(1e-12));
    CHECK(result.positive_energy == Approx(skeleton.positive_energies().mean()));
    CHECK(result.negative_energy == Approx(skeleton.negative_energies().mean()));
    CHECK_FALSE(result.acceptance.has_value());
  }
}

TEST_CASE("Contrastive: accumulates into an existing gradient and rejects bad batches", "[contrastive][errors]") {
  using Catch::Matchers::Contains;
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  const Batch<double> pos = Batch<double>::Ones(4, 2);
  ember::Contrastive<double> skeleton;
  ember::EstimatorResult<double> result;
  result.gradient = Vector<double>::Ones(energy.params().size());
  skeleton.accumulate(energy, pos, pos, result);  // identical batches: the skeleton adds exactly zero
  CHECK(result.gradient.isApprox(Vector<double>::Ones(energy.params().size())));
  CHECK_THROWS_WITH(skeleton.accumulate(energy, pos, Batch<double>(0, 2), result), Contains("negatives"));
  CHECK_THROWS_WITH(skeleton.accumulate(energy, pos, pos, result, -1.0), Contains("energy_regularization = -1"));
}

// The estimators run their kernels through detail::run_kernel. A Metropolis kernel goes through its run(): the
// current states are evaluated once and each accepted proposal's energy and gradient reused, so K transitions
// cost 1 + K evaluations of the batch instead of 2K, with the same chains and acceptance as K calls of step().
TEST_CASE("run_kernel: a Metropolis kernel evaluates the batch 1 + K times, with the bits of K step() calls",
          "[contrastive][kernel]") {
  const auto target = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::LinSpaced(3, -0.5, 0.5),
                                                                         random_spd(3, 4));
  const CountingEnergy counted(target);
  const Batch<double> start = normal_batch<double>(17, 3, 11);
  constexpr ember::Index steps = 6;
  ember::Mala<double> by_run({.step_size = 0.3}), by_step({.step_size = 0.3});
  Batch<double> x_run = start, x_step = start;
  ember::Philox rng_run(5), rng_step(5);
  const auto acceptance = ember::detail::run_kernel<double>(by_run, counted, x_run, rng_run, steps);
  CHECK(counted.rows == (1 + steps) * start.rows());
  double total = 0;
  for (ember::Index s = 0; s < steps; ++s) {
    by_step.step(target, x_step, rng_step);
    total += by_step.last_mean_acceptance();
  }
  CHECK(x_run == x_step);
  REQUIRE(acceptance.has_value());
  CHECK(*acceptance == Approx(total / steps).epsilon(1e-12));
  CHECK(*acceptance > 0.1);
  CHECK(*acceptance < 0.99);  // some proposals rejected: the reuse of accepted rows only is exercised
  CHECK(rng_run.position() == rng_step.position());
}
