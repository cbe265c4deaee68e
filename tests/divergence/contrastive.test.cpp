#include "ember/divergence/contrastive.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
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
