#include "ember/data/toy2d.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::Toy2d;

TEST_CASE("Toy2d: names round-trip; an unknown name lists the known ones", "[toy2d]") {
  for (auto name : Toy2d<double>::names) CHECK(Toy2d<double>::named(name).name() == name);
  CHECK_THROWS_WITH(Toy2d<double>::named("spiral"),
                    Catch::Matchers::Contains("name = spiral") && Catch::Matchers::Contains("8gaussians, 25gaussians"));
  ember::Vector<double> out(1);
  CHECK_THROWS_WITH(Toy2d<double>::named("moons").log_density(Batch<double>::Zero(1, 2), out),
                    Catch::Matchers::Contains("no analytic log-density"));
}

TEST_CASE("log_bessel_i0e matches std::cyl_bessel_i in both of its regimes", "[toy2d]") {
  for (double z : {0.0, 1e-3, 0.5, 3.0, 12.0, 29.9, 30.1, 45.0, 120.0, 600.0}) {
    INFO("z = " << z);
    const double expected = std::log(std::cyl_bessel_i(0.0, z)) - z;
    CHECK(ember::detail::log_bessel_i0e(z) == Approx(expected).margin(1e-13));
  }
}

TEMPLATE_TEST_CASE("Toy2d: every data set is finite, in [-4.5, 4.5]², reproducible and chain-independent", "[toy2d]",
                   float, double) {
  for (auto name : Toy2d<TestType>::names) {
    INFO(name);
    const auto data = Toy2d<TestType>::named(name);
    ember::Philox rng(17), again(17);
    const Batch<TestType> x = data.sample(4000, rng);
    const Batch<TestType> y = data.sample(100, again);
    CHECK(x.allFinite());
    CHECK(y == x.topRows(100));  // chain i's point depends on (seed, draw, i) only
    const Index outside = (x.array().abs() > TestType(4.5)).rowwise().any().count();
    CHECK(outside < 40);  // < 1%
    // Not degenerate: both coordinates spread out.
    const Eigen::ArrayXd sd = ((x.rowwise() - x.colwise().mean()).array().square().colwise().mean()).sqrt().template cast<double>();
    CHECK(sd.minCoeff() > 0.5);
  }
}

TEST_CASE("Toy2d: exact log-densities integrate to 1 and agree with the samplers", "[toy2d]") {
  // Quadrature: midpoint rule on [-6, 6]² with h = 0.025 (cell edges on the checkerboard's lattice).
  const Index cells = 480;
  const double half = 6, h = 2 * half / cells;
  Batch<double> grid(cells * cells, 2);
  for (Index k = 0; k < cells * cells; ++k) {
    grid(k, 0) = -half + (static_cast<double>(k % cells) + 0.5) * h;
    grid(k, 1) = -half + (static_cast<double>(k / cells) + 0.5) * h;
  }
  const Eigen::ArrayXd r2 = grid.rowwise().squaredNorm().array();
  for (auto name : Toy2d<double>::names) {
    const auto data = Toy2d<double>::named(name);
    if (!data.has_log_density()) continue;
    INFO(name);
    ember::Vector<double> lp(grid.rows());
    data.log_density(grid, lp);
    const Eigen::ArrayXd p = lp.array().exp();
    const Eigen::ArrayXd plogp = lp.array().isFinite().select(p * lp.array(), 0.0);  // 0 log 0 = 0
    CHECK(p.sum() * h * h == Approx(1.0).margin(1e-6));
    const double mean_r2 = (p * r2).sum() * h * h;
    const double mean_lp = plogp.sum() * h * h;
    // Monte Carlo: E‖x‖² and E log p(X) from exact samples, bounds from their standard errors.
    ember::Philox rng(23);
    const Batch<double> x = data.sample(40000, rng);
    ember::Vector<double> lx(x.rows());
    data.log_density(x, lx);
    REQUIRE(lx.allFinite());  // every sample lies on the support (the checkerboard's black squares)
    const auto check_mean = [](const Eigen::ArrayXd& values, double exact) {
      const double n = static_cast<double>(values.size());
      const double mean = values.mean();
      const double se = std::sqrt((values - mean).square().sum() / (n - 1) / n);
      CHECK(std::abs(mean - exact) < ember::test::z_bound * se + 1e-12);
    };
    check_mean(x.rowwise().squaredNorm().array(), mean_r2);
    check_mean(lx.array(), mean_lp);
  }
}

TEST_CASE("Toy2d: the checkerboard's density is 1/32 on black squares and 0 elsewhere", "[toy2d]") {
  const auto data = Toy2d<double>::named("checkerboard");
  Batch<double> x(4, 2);
  x << 0.5, 0.5,  // square (0, 0): black
      2.5, 0.5,   // (1, 0): white
      -3.5, -3.5,  // (-2, -2): black
      4.5, 0.5;    // outside
  ember::Vector<double> lp(4);
  data.log_density(x, lp);
  CHECK(lp(0) == Approx(-std::log(32.0)));
  CHECK(std::isinf(lp(1)));
  CHECK(lp(2) == Approx(-std::log(32.0)));
  CHECK(std::isinf(lp(3)));
}
