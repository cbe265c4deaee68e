#include "ember/data/standard_scores.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

#include "ember/simd/random.hpp"

using ember::Batch;
using ember::Index;
using ember::StandardScores;

TEST_CASE("StandardScores: mean and sample standard deviation of each column, exactly", "[standard_scores]") {
  Batch<double> x(4, 2);
  x << 1, -10, 2, -20, 3, -30, 4, -40;
  const auto s = StandardScores::fit<double>(x);
  REQUIRE(s.columns() == 2);
  CHECK(s.mean()(0) == 2.5);
  CHECK(s.mean()(1) == -25.0);
  CHECK(s.scale()(0) == Approx(std::sqrt(5.0 / 3.0)).epsilon(1e-15));  // divisor n − 1
  CHECK(s.scale()(1) == Approx(10 * std::sqrt(5.0 / 3.0)).epsilon(1e-15));
  CHECK(s.log_det() == Approx(std::log(5.0 / 3.0) + std::log(10.0)).epsilon(1e-15));
}

TEMPLATE_TEST_CASE("StandardScores: the scores have mean 0 and standard deviation 1, and map back", "[standard_scores]",
                   float, double) {
  using T = TestType;
  ember::Philox rng(17);
  Batch<T> x(500, 3);
  rng.normal(x);
  x.col(0) = x.col(0) * T(40) + Batch<T>::Constant(500, 1, T(1000));  // other units, far from the origin
  x.col(2) *= T(0.01);
  const StandardScores s = StandardScores::fit<T>(x);
  const Batch<T> z = s.to_scores<T>(x);
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (Index k = 0; k < 3; ++k) {
    const Eigen::ArrayXd c = z.col(k).template cast<double>().array();
    CHECK(std::abs(c.mean()) < tolerance);
    CHECK(std::sqrt((c - c.mean()).square().sum() / 499.0) == Approx(1.0).epsilon(tolerance));
  }
  const Batch<T> back = s.from_scores<T>(z);
  CHECK(((back - x).cwiseAbs().array().colwise().maxCoeff() / x.cwiseAbs().array().colwise().maxCoeff()).maxCoeff() <
        10 * std::numeric_limits<T>::epsilon());
}

TEST_CASE("StandardScores: data in other units has the same scores (affine equivariance)", "[standard_scores]") {
  ember::Philox rng(3);
  Batch<double> x(300, 2);
  rng.normal(x);
  Batch<double> y(300, 2);
  y.col(0) = 250.0 * x.col(0).array() - 7.0;
  y.col(1) = 0.125 * x.col(1).array() + 3e4;
  const Batch<double> zx = StandardScores::fit<double>(x).to_scores<double>(x);
  const Batch<double> zy = StandardScores::fit<double>(y).to_scores<double>(y);
  CHECK((zx - zy).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("StandardScores: log_det carries a density over (Jacobian of the map)", "[standard_scores]") {
  // x ~ N(m, diag(s²)) in the data's units is N(0, I) in scores: log p_x(x) = log p_z(z) − Σ log s_k.
  Batch<double> x(3, 2);
  x << 1000.0, 0.5, 1010.0, 0.25, 990.0, 0.75;
  const auto s = StandardScores::fit<double>(x);
  const Batch<double> z = s.to_scores<double>(x);
  const double log_2pi = std::log(2 * std::numbers::pi);
  for (Index i = 0; i < 3; ++i) {
    double log_px = 0;
    for (Index k = 0; k < 2; ++k) {
      const double u = (x(i, k) - s.mean()(k)) / s.scale()(k);
      log_px += -0.5 * u * u - 0.5 * log_2pi - std::log(s.scale()(k));
    }
    const double log_pz = -0.5 * z.row(i).squaredNorm() - log_2pi;
    CHECK(log_pz - s.log_det() == Approx(log_px).epsilon(1e-13));
  }
}

TEST_CASE("StandardScores: identity leaves points as given", "[standard_scores]") {
  Batch<float> x(2, 2);
  x << 1.5f, -2.25f, 3.0f, 0.125f;
  const auto s = StandardScores::identity(2);
  CHECK(s.to_scores<float>(x) == x);
  CHECK(s.from_scores<float>(x) == x);
  CHECK(s.log_det() == 0.0);
}

TEST_CASE("StandardScores: bad input is refused, naming the function and the value", "[standard_scores]") {
  Batch<double> one(1, 2);
  one << 1, 2;
  CHECK_THROWS_WITH(StandardScores::fit<double>(one),
                    Catch::Matchers::Contains("ember::StandardScores::fit: train = 1 x 2: needs at least 2 rows"));
  Batch<double> flat(3, 2);
  flat << 1, 5, 2, 5, 3, 5;
  CHECK_THROWS_WITH(StandardScores::fit<double>(flat),
                    Catch::Matchers::Contains("ember::StandardScores::fit: column = 2: has standard deviation 0"));
  Batch<double> nan = Batch<double>::Ones(3, 2);
  nan(1, 0) = std::nan("");
  CHECK_THROWS_AS(StandardScores::fit<double>(nan), ember::invalid_argument);
  Batch<double> huge(2, 1);
  huge << -1e308, 1e308;
  CHECK_THROWS_WITH(StandardScores::fit<double>(huge), Catch::Matchers::Contains("is not finite"));
  const auto s = StandardScores::fit<double>(flat.leftCols(1));
  CHECK_THROWS_WITH(s.to_scores<double>(Batch<double>::Zero(4, 3)),
                    Catch::Matchers::Contains("ember::StandardScores::to_scores: the points' columns = 3: must equal "
                                              "the fitted columns 1"));
  CHECK_THROWS_AS(StandardScores::identity(0), ember::invalid_argument);
}
