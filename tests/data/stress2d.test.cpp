#include "ember/data/stress2d.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/data/toy2d.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::Stress2d;
using ember::Vector;

namespace {

// ∫ f(x, y, log p) p dx dy over the whole plane for the vector-valued f, by the midpoint rule in u after x = c tan u
// (each axis): nothing is truncated, and the step near the data, c (1 + (x/c)²) π/m ≤ 0.013 on [−3, 3], resolves
// the thinnest feature (σ = 0.04) to h/σ < 0.33, where the midpoint rule's error on a Gaussian is below 1e-30.
Eigen::VectorXd integrate_plane(const Stress2d<double>& data, const std::function<Eigen::VectorXd(double, double, double)>& f,
                                Index m = 1500, double c = 3) {
  const double h = std::numbers::pi / static_cast<double>(m);
  Batch<double> row(m, 2);
  Vector<double> lp(m);
  Eigen::VectorXd total;
  for (Index j = 0; j < m; ++j) {
    const double v = -std::numbers::pi / 2 + (static_cast<double>(j) + 0.5) * h;
    const double y = c * std::tan(v), jy = c / (std::cos(v) * std::cos(v));
    Eigen::ArrayXd jx(m);
    for (Index i = 0; i < m; ++i) {
      const double u = -std::numbers::pi / 2 + (static_cast<double>(i) + 0.5) * h;
      row(i, 0) = c * std::tan(u);
      row(i, 1) = y;
      jx(i) = c / (std::cos(u) * std::cos(u));
    }
    data.log_density(row, lp);
    for (Index i = 0; i < m; ++i) {
      const double w = std::exp(lp(i)) * jx(i) * jy * h * h;
      if (w == 0) continue;
      const Eigen::VectorXd value = w * f(row(i, 0), row(i, 1), lp(i));
      if (total.size() == 0) total = Eigen::VectorXd::Zero(value.size());
      total += value;
    }
  }
  return total;
}

// What the tests below integrate: 1, x, y, x², xy, y² and log p.
Eigen::VectorXd moments(double x, double y, double log_p) {
  return (Eigen::VectorXd(7) << 1, x, y, x * x, x * y, y * y, log_p).finished();
}

// Probabilities of the 64 unit cells of [−4, 4]², by the midpoint rule on a grid whose cells tile them (h = 1/200).
Eigen::ArrayXd cell_probabilities(const Stress2d<double>& data) {
  const Index per_unit = 200, side = 8 * per_unit;
  const double h = 1.0 / static_cast<double>(per_unit);
  Eigen::ArrayXd cells = Eigen::ArrayXd::Zero(64);
  Batch<double> row(side, 2);
  Vector<double> lp(side);
  for (Index j = 0; j < side; ++j) {
    for (Index i = 0; i < side; ++i) {
      row(i, 0) = -4 + (static_cast<double>(i) + 0.5) * h;
      row(i, 1) = -4 + (static_cast<double>(j) + 0.5) * h;
    }
    data.log_density(row, lp);
    for (Index i = 0; i < side; ++i) cells(8 * (j / per_unit) + i / per_unit) += std::exp(lp(i)) * h * h;
  }
  return cells;
}

// Upper 1e-4 quantile of χ²_k (Wilson–Hilferty; z = 3.719).
double chi2_critical(double k) {
  const double a = 2 / (9 * k);
  return k * std::pow(1 - a + 3.719 * std::sqrt(a), 3);
}

}  // namespace

TEST_CASE("Stress2d: names round-trip, also through Toy2d::named; unknown names list both suites", "[stress2d]") {
  for (auto name : Stress2d<double>::names) {
    INFO(name);
    CHECK(Stress2d<double>::named(name).name() == name);
    const auto toy = ember::Toy2d<double>::named(name);
    CHECK(toy.name() == name);
    CHECK(toy.kind() == ember::Toy2dKind::stress);
    CHECK(toy.stress_kind() == Stress2d<double>::named(name).kind());
    CHECK(toy.has_log_density() == (name != "thin_spiral"));
  }
  CHECK(Stress2d<double>::names.size() >= 10);
  CHECK_THROWS_WITH(Stress2d<double>::named("needle"), Catch::Matchers::Contains("name = needle") &&
                                                           Catch::Matchers::Contains("needles, ellipses"));
  CHECK_THROWS_WITH(ember::Toy2d<double>::named("needle"),
                    Catch::Matchers::Contains("8gaussians") && Catch::Matchers::Contains("thin_spiral"));
  CHECK_THROWS_WITH(ember::Toy2d<double>(ember::Toy2dKind::stress), Catch::Matchers::Contains("kind = stress"));
  CHECK_THROWS_WITH(ember::Toy2d<double>::named("rings").stress_kind(), Catch::Matchers::Contains("not a stress set"));
  Vector<double> out(1);
  CHECK_THROWS_WITH(Stress2d<double>::named("thin_spiral").log_density(Batch<double>::Zero(1, 2), out),
                    Catch::Matchers::Contains("thin_spiral") && Catch::Matchers::Contains("no analytic log-density"));
  CHECK_THROWS_WITH(Stress2d<double>::named("needles").log_density(Batch<double>::Zero(1, 3), out),
                    Catch::Matchers::Contains("ember::Stress2d::log_density"));
}

TEMPLATE_TEST_CASE("Stress2d: every set is finite, mostly in [-4.5, 4.5]², reproducible, chain-independent, and "
                   "float draws are the double draws rounded", "[stress2d]", float, double) {
  for (auto name : Stress2d<TestType>::names) {
    INFO(name);
    const auto data = Stress2d<TestType>::named(name);
    ember::Philox rng(17), again(17), wide(17);
    const Batch<TestType> x = data.sample(4000, rng);
    const Batch<TestType> y = data.sample(100, again);
    CHECK(x.rows() == 4000);
    CHECK(x.cols() == 2);
    CHECK(x.allFinite());
    CHECK(y == x.topRows(100));  // row i depends on (seed, draw, i) only
    CHECK(Stress2d<double>::named(name).sample(4000, wide).template cast<TestType>() == x);
    const Index outside = (x.array().abs() > TestType(4.5)).rowwise().any().count();
    CHECK(outside < 40);  // < 1%
    const Eigen::ArrayXd sd =
        ((x.rowwise() - x.colwise().mean()).array().square().colwise().mean()).sqrt().template cast<double>();
    CHECK(sd.minCoeff() > 0.5);
  }
}

TEST_CASE("Stress2d: the exact log-densities integrate to 1 over the plane", "[stress2d]") {
  for (auto name : Stress2d<double>::names) {
    const auto data = Stress2d<double>::named(name);
    if (!data.has_log_density()) continue;
    INFO(name);
    CHECK(integrate_plane(data, moments)(0) == Approx(1.0).margin(1e-6));
  }
}

TEST_CASE("Stress2d: draws match the exact density: mean, covariance, cell masses and E log p", "[stress2d]") {
  const Index n = 40000;
  for (auto name : Stress2d<double>::names) {
    const auto data = Stress2d<double>::named(name);
    if (!data.has_log_density()) continue;
    INFO(name);
    ember::Philox rng(23);
    const Batch<double> x = data.sample(n, rng);
    // Exact moments by quadrature; Monte Carlo bounds from the draws' own standard errors. t₃ has no fourth
    // moment (the sample covariance has no standard error), so its spread is left to the cells and the KS test.
    const bool heavy = name == "student" || name == "t_mixture";
    const Eigen::VectorXd exact = integrate_plane(data, moments);
    const double mx = exact(1), my = exact(2);
    const auto check_mean = [&](const Eigen::ArrayXd& values, double truth, const char* what) {
      const double mean = values.mean();
      const double se = std::sqrt((values - mean).square().sum() / static_cast<double>(n - 1) / static_cast<double>(n));
      INFO(what << ": sample " << mean << " +- " << se << ", exact " << truth);
      CHECK(std::abs(mean - truth) <= ember::test::z_bound * se);
    };
    const Eigen::ArrayXd dx = x.col(0).array() - mx, dy = x.col(1).array() - my;
    check_mean(x.col(0).array(), mx, "E x");
    check_mean(x.col(1).array(), my, "E y");
    if (!heavy) {
      check_mean(dx.square(), exact(3) - mx * mx, "Var x");
      check_mean(dx * dy, exact(4) - mx * my, "Cov xy");
      check_mean(dy.square(), exact(5) - my * my, "Var y");
    }
    // E log p(X): the draws land where the density is, as much as it says.
    Vector<double> lx(n);
    data.log_density(x, lx);
    REQUIRE(lx.allFinite());
    check_mean(lx.array(), exact(6), "E log p");
    // Mode weights and shapes: χ² of the counts in the 64 unit cells of [−4, 4]² and outside; cells expecting
    // fewer than 5 draws are pooled into the outside bin.
    const Eigen::ArrayXd p = cell_probabilities(data);
    Eigen::ArrayXd counts = Eigen::ArrayXd::Zero(65);
    for (Index i = 0; i < n; ++i) {
      const double a = x(i, 0), b = x(i, 1);
      const bool inside = a >= -4 && a < 4 && b >= -4 && b < 4;
      counts(inside ? 8 * static_cast<Index>(std::floor(b + 4)) + static_cast<Index>(std::floor(a + 4)) : 64) += 1;
    }
    double pooled_p = 1 - p.sum(), pooled_count = counts(64), statistic = 0;
    Index bins = 0;
    for (Index k = 0; k < 64; ++k) {
      if (p(k) * n < 5) {
        pooled_p += p(k);
        pooled_count += counts(k);
        continue;
      }
      statistic += (counts(k) - n * p(k)) * (counts(k) - n * p(k)) / (n * p(k));
      ++bins;
    }
    if (pooled_p * n >= 5) {
      statistic += (pooled_count - n * pooled_p) * (pooled_count - n * pooled_p) / (n * pooled_p);
      ++bins;
    } else {
      CHECK(pooled_count <= 5 + 10 * pooled_p * n);
    }
    INFO("chi2 = " << statistic << " over " << bins << " bins");
    CHECK(statistic < chi2_critical(static_cast<double>(bins - 1)));
  }
}

TEST_CASE("Stress2d: student's radius follows the t₃ law P(|x| > r) = (1 + r²/(3 s²))^(-3/2)", "[stress2d]") {
  ember::Philox rng(29);
  const Batch<double> x = Stress2d<double>::named("student").sample(20000, rng);
  std::vector<double> r(static_cast<std::size_t>(x.rows()));
  for (Index i = 0; i < x.rows(); ++i) r[static_cast<std::size_t>(i)] = x.row(i).norm();
  const double s = 0.5;
  const auto cdf = [&](double v) { return 1 - std::pow(1 + v * v / (3 * s * s), -1.5); };
  CHECK(ember::test::ks_statistic(r, cdf) < ember::test::ks_critical(r.size()));
}

TEST_CASE("Stress2d: thin_spiral's points lie on the spiral, uniformly along its parameter", "[stress2d]") {
  ember::Philox rng(31);
  const Batch<double> x = Stress2d<double>::named("thin_spiral").sample(20000, rng);
  // t̂ = (|x| − 0.3)/3.2 is the parameter up to the N(0, 0.03²) blur (sd 0.01 in t̂). The distance to the curve is
  // taken at the point's own angle θ: the curve meets that ray at t = (θ + 2πk)/(5π), whose arms are 1.28 apart.
  const auto curve = [](double v) {
    const double radius = 0.3 + 3.2 * v, angle = 5 * std::numbers::pi * v;
    return Eigen::RowVector2d(radius * std::cos(angle), radius * std::sin(angle));
  };
  std::vector<double> t(static_cast<std::size_t>(x.rows()));
  Index off_curve = 0;
  for (Index i = 0; i < x.rows(); ++i) {
    t[static_cast<std::size_t>(i)] = (x.row(i).norm() - 0.3) / 3.2;
    const double theta = std::atan2(x(i, 1), x(i, 0));
    double distance = std::numeric_limits<double>::infinity();
    for (int k = -1; k <= 3; ++k)
      distance = std::min(distance, (x.row(i) - curve(std::clamp((theta + 2 * std::numbers::pi * k) /
                                                                     (5 * std::numbers::pi), 0.0, 1.0))).norm());
    off_curve += distance > 0.25 ? 1 : 0;  // > 8σ of the blur
  }
  CHECK(off_curve == 0);
  const auto uniform = [](double v) { return std::clamp(v, 0.0, 1.0); };
  CHECK(ember::test::ks_statistic(t, uniform) < ember::test::ks_critical(t.size()) + 0.005);  // + the blur
}
