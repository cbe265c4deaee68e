#include "ember/mcmc/ais.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/hmc.hpp"
#include "ember/mcmc/mala.hpp"

using ember::Batch;
using ember::Vector;

namespace {
ember::GaussianEnergy<double> target() {
  Eigen::MatrixXd covariance(2, 2);
  covariance << 1.5, 0.5, 0.5, 0.8;
  Vector<double> mean(2);
  mean << 0.5, -0.3;
  return ember::GaussianEnergy<double>::from_mean_covariance(mean, covariance);
}
}  // namespace

// GaussianEnergy::log_partition is exact; AIS must land within 3 of its own standard errors.
TEST_CASE("AIS with MALA transitions estimates log Z of a Gaussian within 3 standard errors", "[ais]") {
  const auto energy = target();
  ember::Philox rng(51);
  ember::Mala<double> kernel({.step_size = 0.3});
  const auto result = ember::ais(energy, kernel, rng, {.chains = 500, .levels = 100, .base_sigma = 2.0});
  INFO("log Z estimate " << result.log_z << " +- " << result.standard_error << ", exact " << energy.log_partition());
  CHECK(result.log_weights.size() == 500);
  CHECK(result.standard_error > 0);
  CHECK(result.standard_error < 0.1);  // the estimate is informative
  CHECK(std::abs(result.log_z - energy.log_partition()) < 3 * result.standard_error);
  CHECK(result.log_z_base == Approx(std::log(2 * 3.141592653589793 * 4.0)));
}

TEST_CASE("AIS with HMC transitions and a custom beta path", "[ais]") {
  const auto energy = target();
  ember::Philox rng(52);
  ember::Hmc<double> kernel({.step_size = 0.3, .leapfrog_steps = 3});
  Vector<double> betas(50);
  for (int m = 0; m < 50; ++m) betas(m) = std::pow((m + 1) / 50.0, 2.0);  // denser near the base
  const auto result = ember::ais(energy, kernel, rng, {.chains = 500, .base_sigma = 2.0, .betas = betas});
  INFO("log Z estimate " << result.log_z << " +- " << result.standard_error << ", exact " << energy.log_partition());
  CHECK(std::abs(result.log_z - energy.log_partition()) < 3 * result.standard_error);
  CHECK(result.effective_sample_size > 100);
}

TEST_CASE("AIS: bad settings are rejected", "[ais][errors]") {
  using Catch::Matchers::Contains;
  const auto energy = target();
  ember::Philox rng(1);
  ember::Mala<double> kernel;
  CHECK_THROWS_WITH(ember::ais(energy, kernel, rng, {.chains = 1}), Contains("ember::ais") && Contains("settings.chains = 1"));
  CHECK_THROWS_WITH(ember::ais(energy, kernel, rng, {.levels = 0}), Contains("settings.levels = 0"));
  CHECK_THROWS_WITH(ember::ais(energy, kernel, rng, {.base_sigma = 0.0}), Contains("settings.base_sigma = 0"));
  CHECK_THROWS_WITH(ember::ais(energy, kernel, rng, {.betas = (Vector<double>(2) << 0.5, 0.4).finished()}),
                    Contains("settings.betas(1) = 0.4"));
  CHECK_THROWS_WITH(ember::ais(energy, kernel, rng, {.betas = (Vector<double>(2) << 0.5, 0.9).finished()}),
                    Contains("must be 1"));
}

TEST_CASE("AIS: zero or one chain is a clear error (the weights' mean and variance need two)", "[ais][errors][bad input]") {
  using Catch::Matchers::Message;
  const auto energy = target();
  ember::Mala<double> kernel({.step_size = 0.2});
  ember::Philox rng(4);
  for (ember::Index chains : {0, 1, -3})
    CHECK_THROWS_MATCHES(ember::ais(energy, kernel, rng, {.chains = chains, .levels = 5}), ember::invalid_argument,
                         Message("ember::ais: settings.chains = " + std::to_string(chains) + ": must be >= 2"));
}
