#include "ember/energy/banana.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

#include "ember/simd/random.hpp"
#include "support/finite_difference.hpp"
#include "support/statistics.hpp"
#include "support/random_batch.hpp"

using ember::BananaEnergy;
using ember::Batch;
using ember::Index;
using ember::Vector;

TEST_CASE("BananaEnergy: value as documented", "[banana]") {
  const BananaEnergy<double> target(3, 2.0, 0.5);
  Batch<double> x(1, 3);
  x << 1.0, -0.5, 2.0;
  Vector<double> e(1);
  target.energy(x, e);
  const double r = -0.5 - 0.5 * (1.0 - 4.0);
  CHECK(e(0) == Approx(1.0 / 8 + 0.5 * r * r + 2.0).epsilon(1e-15));
}

TEST_CASE("BananaEnergy: the x-gradient matches central finite differences", "[banana][gradient]") {
  ember::test::Uniform uniform(41);
  ember::test::check_x_gradient(BananaEnergy<double>(2, 1.0, 1.0), 2.0 * uniform.next<Batch<double>>(8, 2).eval());
  ember::test::check_x_gradient(BananaEnergy<double>(4, 1.7, -0.3), 2.0 * uniform.next<Batch<double>>(8, 4).eval());
}

TEST_CASE("BananaEnergy: log_partition agrees with a fine 2D quadrature", "[banana]") {
  // Midpoint rule, h = 0.01, over x₀ ∈ ±9s and x₁ within ±9 of the ridge b(x₀² − s²) (the conditional of
  // x₁ is N(ridge, 1)): discretisation error ~exp(−2π²/h²) and truncation below e^{−40}.
  for (auto [s, b] : {std::pair{1.0, 1.0}, std::pair{0.7, 2.0}}) {
    INFO("s = " << s << ", b = " << b);
    const BananaEnergy<double> target(2, s, b);
    const double h = 0.01;
    const auto n0 = static_cast<Index>(std::round(18 * s / h)), n1 = static_cast<Index>(std::round(18 / h));
    Batch<double> x(n1, 2);
    Vector<double> e(n1);
    double mass = 0;
    for (Index i = 0; i < n0; ++i) {
      const double x0 = -9 * s + h * (static_cast<double>(i) + 0.5);
      const double ridge = b * (x0 * x0 - s * s);
      for (Index j = 0; j < n1; ++j) {
        x(j, 0) = x0;
        x(j, 1) = ridge - 9 + h * (static_cast<double>(j) + 0.5);
      }
      target.energy(x, e);
      mass += (-e.array()).exp().sum();
    }
    CHECK(target.log_partition() == Approx(std::log(mass * h * h)).epsilon(1e-10).margin(1e-10));
  }
}

TEMPLATE_TEST_CASE("BananaEnergy: exact samples match the moments", "[banana]", float, double) {
  using T = TestType;
  const BananaEnergy<T> target(3, T(1.2), T(0.8));
  const Index n = 200000;
  Batch<T> x(n, 3);
  ember::Philox rng(5);
  target.sample(x, rng);
  const Batch<double> xd = x.template cast<double>();
  const double s = 1.2, b = 0.8, nd = static_cast<double>(n);
  const double var[3] = {s * s, 1 + 2 * b * b * s * s * s * s, 1.0};
  for (Index j = 0; j < 3; ++j) {
    INFO("coordinate " << j);
    CHECK(std::abs(xd.col(j).mean()) < ember::test::z_bound * std::sqrt(var[j] / nd));
    const Vector<double> sq = xd.col(j).array().square();
    const double se = std::sqrt((sq.array() - sq.mean()).square().mean() / nd);
    CHECK(std::abs(sq.mean() - var[j]) < ember::test::z_bound * se);
  }
  // The conditional x₁ − b(x₀² − s²) is exactly N(0, 1): KS on it.
  std::vector<double> residual(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) residual[static_cast<std::size_t>(i)] = xd(i, 1) - b * (xd(i, 0) * xd(i, 0) - s * s);
  CHECK(ember::test::ks_statistic(residual, ember::test::normal_cdf) < ember::test::ks_critical(residual.size()));
}

TEST_CASE("BananaEnergy: float agrees with double within epsilon-derived bounds", "[banana]") {
  ember::test::Uniform uniform(42);
  const Batch<double> x = 2.0 * uniform.next<Batch<double>>(40, 3);
  Vector<double> e(40);
  Batch<double> g(40, 3);
  Vector<float> e_f(40);
  Batch<float> g_f(40, 3);
  BananaEnergy<double>(3, 1.0, 1.0).energy_and_gradient(x, e, g);
  BananaEnergy<float>(3, 1.0f, 1.0f).energy_and_gradient(x.cast<float>(), e_f, g_f);
  // The residual r = x₁ − b(x₀² − s²) cancels terms of size ≤ 5: 8 ulps of the largest term per entry.
  const double eps = std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < 8 * 5 * eps);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < 8 * 5 * eps);
}

TEST_CASE("BananaEnergy: bad arguments name the function, the argument and the value", "[banana][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(BananaEnergy<double>(1), Contains("ember::BananaEnergy::BananaEnergy") && Contains("dim = 1"));
  CHECK_THROWS_WITH(BananaEnergy<double>(2, 0.0), Contains("scale = 0"));
  CHECK_THROWS_WITH(BananaEnergy<double>(2, 1.0, std::numeric_limits<double>::infinity()), Contains("curvature = inf"));
  const BananaEnergy<double> target;
  Batch<double> out(4, 3);
  ember::Philox rng(1);
  CHECK_THROWS_WITH(target.sample(out, rng), Contains("ember::BananaEnergy::sample") && Contains("out = 4 x 3"));
}
