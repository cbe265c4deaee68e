// ember::mpi::ais: AIS chains split across ranks give ember::ais's result in one process, bit for bit.
#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/hmc.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/mpi/ais.hpp"

using Catch::Matchers::Contains;
using ember::Vector;

namespace {
ember::GaussianEnergy<double> target() {
  Eigen::MatrixXd covariance(2, 2);
  covariance << 1.5, 0.5, 0.5, 0.8;
  Vector<double> mean(2);
  mean << 0.5, -0.3;
  return ember::GaussianEnergy<double>::from_mean_covariance(mean, covariance);
}

template <class T>
void check_same(const ember::AisResult<T>& a, const ember::AisResult<T>& b) {
  CHECK(a.log_weights == b.log_weights);
  CHECK(a.samples == b.samples);
  CHECK(a.log_z == b.log_z);
  CHECK(a.standard_error == b.standard_error);
  CHECK(a.effective_sample_size == b.effective_sample_size);
  CHECK(a.log_z_base == b.log_z_base);
}
}  // namespace

TEST_CASE("mpi::ais: log Z and its standard error over ranks equal one process bit for bit", "[mpi][ais]") {
  ember::mpi::Communicator world;
  const auto energy = target();
  ember::Mala<double> serial_kernel({.step_size = 0.3}), kernel({.step_size = 0.3});
  ember::Philox a(51), b(51);
  const ember::AisSettings<double> settings{.chains = 500, .levels = 60, .base_sigma = 2.0};
  const auto expected = ember::ais(energy, serial_kernel, a, settings);
  const auto result = ember::mpi::ais(world, energy, kernel, b, settings, {.block_rows = 32});
  check_same(result, expected);
  CHECK(b.position() == a.position());
  // And the estimate is right: within 4 standard errors of the exact log Z.
  CHECK(std::abs(result.log_z - energy.log_partition()) < 4 * result.standard_error);
  CHECK_THROWS_WITH(ember::mpi::ais(world, energy, kernel, b, {.chains = 1}), Contains("ember::mpi::ais: settings.chains = 1"));
}

TEMPLATE_TEST_CASE("mpi::ais: an MLP energy with HMC and ULA transitions, float and double", "[mpi][ais]", float,
                   double) {
  using T = TestType;
  ember::mpi::Communicator world;
  const ember::MlpEnergy<T> energy({2, 16, 16}, 7, {.base_scale = T(2)});
  const ember::AisSettings<T> settings{.chains = 300, .levels = 20, .transitions_per_level = 2, .base_sigma = T(2)};
  {
    ember::Hmc<T> k1({.step_size = T(0.2), .leapfrog_steps = 3}), k2 = k1;
    ember::Philox a(3), b(3);
    check_same(ember::mpi::ais(world, energy, k2, b, settings), ember::ais(energy, k1, a, settings));
  }
  {
    ember::Langevin<T> k1({.step_size = T(0.05)}), k2 = k1;
    ember::Philox a(4), b(4);
    check_same(ember::mpi::ais(world, energy, k2, b, settings), ember::ais(energy, k1, a, settings));
  }
}
