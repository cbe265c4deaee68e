#include "ember/metrics/grid_nll.hpp"

#include <catch2/catch.hpp>

#include "ember/data/gaussian_data.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/metrics/gaussian_kl.hpp"

using ember::Batch;
using ember::GaussianData;
using ember::GaussianEnergy;
using ember::Index;

TEMPLATE_TEST_CASE("grid_density: log Z of a GaussianEnergy equals its exact log_partition", "[grid_nll]", float,
                   double) {
  ember::Vector<TestType> mean(2);
  mean << TestType(0.5), TestType(-0.3);
  Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic> cov(2, 2);
  cov << TestType(1.2), TestType(0.4), TestType(0.4), TestType(0.6);
  const auto energy = GaussianEnergy<TestType>::from_mean_covariance(mean, cov);
  const auto grid = ember::grid_density(energy);
  // In float the energies carry a relative error of a few ε per cell; averaged, log Z keeps ~1e-6.
  const double tolerance = std::is_same_v<TestType, float> ? 1e-5 : 1e-6;
  CHECK(std::abs(grid.log_z - static_cast<double>(energy.log_partition())) < tolerance);
  CHECK(grid.refinement_difference < 1e-5);
  // The outer band |x| > 5.4 or |y| > 5.4 holds at most the two marginal tails' mass.
  const auto tail = [](double m, double v) {
    return 0.5 * std::erfc((5.4 - m) / std::sqrt(2 * v)) + 0.5 * std::erfc((5.4 + m) / std::sqrt(2 * v));
  };
  CHECK(grid.edge_mass > 0);
  CHECK(grid.edge_mass < tail(0.5, 1.2) + tail(-0.3, 0.6));
  // Held-out NLL = mean E + log Z, exactly −mean log N(x; μ, Σ).
  const auto data = GaussianData<TestType>::from_mean_covariance(mean, cov);
  ember::Philox rng(5);
  const Batch<TestType> x = data.sample(500, rng);
  ember::Vector<TestType> lp(500);
  data.log_density(x, lp);
  CHECK(ember::grid_nll(energy, x, grid) == Approx(-lp.template cast<double>().mean()).margin(tolerance));
}

TEST_CASE("grid_kl: the KL between two Gaussians by quadrature equals the closed form", "[grid_nll]") {
  const auto p = GaussianData<double>::random(2, 3);
  Eigen::VectorXd mean_q(2);
  mean_q << 0.3, 0.1;
  Eigen::MatrixXd cov_q(2, 2);
  cov_q << 1.5, -0.2, -0.2, 0.8;
  const auto q = GaussianEnergy<double>::from_mean_covariance(mean_q, cov_q);
  const double kl = ember::grid_kl([&](ember::BatchView<double> x, ember::VectorRef<double> out) { p.log_density(x, out); },
                                   q);
  CHECK(kl == Approx(ember::gaussian_kl(p, q)).margin(1e-8));
}

TEST_CASE("grid_kl: a uniform square (constant on lattice-aligned cells) is integrated exactly", "[grid_nll]") {
  // p_d uniform on [0, 2]², model N(0, I): KL = −log 4 + log 2π + ½ E‖x‖² = −log 4 + log 2π + 4/3.
  const auto q = GaussianEnergy<double>::standard(2);
  const auto uniform = [](ember::BatchView<double> x, ember::VectorRef<double> out) {
    for (Index i = 0; i < x.rows(); ++i)
      out(i) = (x(i, 0) > 0 && x(i, 0) < 2 && x(i, 1) > 0 && x(i, 1) < 2) ? -std::log(4.0)
                                                                            : -std::numeric_limits<double>::infinity();
  };
  const auto grid = ember::grid_density(q);
  // The midpoint rule integrates x² over a cell of side h centred at c as h·c², short of the exact
  // h·(c² + h²/12): ½ E‖x‖² comes out exactly h²/12 low; everything else is exact.
  const double h = grid.cell_size();
  CHECK(ember::grid_kl(uniform, grid) ==
        Approx(-std::log(4.0) + std::log(2 * M_PI) + 4.0 / 3.0 - h * h / 12).margin(1e-9));
}

TEST_CASE("grid_density: bad settings, a non-2D energy and NaN energies are reported", "[grid_nll][errors]") {
  using Catch::Matchers::Contains;
  const auto energy = GaussianEnergy<double>::standard(2);
  CHECK_THROWS_WITH(ember::grid_density(energy, {.half_width = 6, .cells = 7}), Contains("settings.cells = 7"));
  CHECK_THROWS_WITH(ember::grid_density(energy, {.half_width = -1, .cells = 8}), Contains("half_width"));
  CHECK_THROWS_WITH(ember::grid_density(GaussianEnergy<double>::standard(3)), Contains("energy.dim() = 3"));
  auto broken = GaussianEnergy<double>::standard(2);
  broken.params()(0) = std::nan("");
  CHECK_THROWS_AS(ember::grid_density(broken, {.half_width = 2, .cells = 8}), ember::numerical_error);
}
