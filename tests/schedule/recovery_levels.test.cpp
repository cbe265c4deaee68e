#include "ember/schedule/recovery_levels.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using ember::RecoveryLevels;

TEMPLATE_TEST_CASE("recovery levels reproduce Gao et al.'s a_t", "[schedule][recovery_levels]", float, double) {
  using T = TestType;
  const RecoveryLevels<T> levels;
  REQUIRE(levels.top_level() == 6);
  const double published[7] = {.99995, .94617, .85629, .77480, .70092, .63396, .02278};  // rounded to 5 digits
  double cumulative = 1;
  for (ember::Index i = 0; i <= 6; ++i) {
    INFO("level " << i);
    CHECK(std::abs(levels.a(i) - published[i]) <= 0.5e-5 + 4 * std::numeric_limits<T>::epsilon());
    CHECK(std::abs(levels.sigma(i) * levels.sigma(i) + levels.a(i) * levels.a(i) - 1) <= 8 * std::numeric_limits<T>::epsilon());
    cumulative *= static_cast<double>(levels.a(i));
    CHECK(std::abs(levels.a_cumulative(i) - cumulative) <= 16 * std::numeric_limits<T>::epsilon() * cumulative);
    CHECK(levels.sigma_cumulative(i) == Approx(std::sqrt(1 - cumulative * cumulative)).epsilon(1e-4));
    // as a schedule, level i sits at grid index i + 1; its marginal is the cumulative product
    CHECK(levels.alpha_bar(i + 1) == Approx(cumulative * cumulative).epsilon(32 * std::numeric_limits<T>::epsilon()));
  }
}

TEMPLATE_TEST_CASE("recovery-likelihood Langevin step^2 is c_t^2 b^2 sigma_{t+1}^2", "[schedule][recovery_levels]",
                   float, double) {
  using T = TestType;
  const RecoveryLevels<T> levels;
  const T b_square = T(2e-4);
  const auto steps = levels.step_sizes(b_square);
  REQUIRE(steps.size() == 6);
  const auto unscaled = levels.step_sizes(b_square, false);
  for (ember::Index t = 0; t < 6; ++t) {
    INFO("level " << t);
    const double c_square = static_cast<double>(levels.sigma_cumulative(t)) / static_cast<double>(levels.sigma_cumulative(0));
    const double expected = c_square * 2e-4 * static_cast<double>(levels.sigma(t + 1) * levels.sigma(t + 1));
    CHECK(steps(t) * steps(t) == Approx(expected).epsilon(16 * std::numeric_limits<T>::epsilon()));
    CHECK(unscaled(t) == Approx(std::sqrt(2e-4) * static_cast<double>(levels.sigma(t + 1))).epsilon(16 * std::numeric_limits<T>::epsilon()));
  }
  CHECK(steps(0) == Approx(unscaled(0)));  // c_0 = 1
}

TEST_CASE("recovery levels: bad boundaries and tables are rejected", "[schedule][recovery_levels][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(RecoveryLevels<double>(ember::ddpm_linear_betas(), {0, 100, 100}),
                    Contains("ember::RecoveryLevels") && Contains("boundaries[2] = 100") && Contains("strictly increasing"));
  CHECK_THROWS_WITH(RecoveryLevels<double>(ember::ddpm_linear_betas(), {0, 1000}), Contains("boundaries[1] = 1000"));
  CHECK_THROWS_WITH(RecoveryLevels<double>(ember::ddpm_linear_betas(), {5}), Contains("boundaries.size() = 1"));
  CHECK_THROWS_WITH(RecoveryLevels<double>({0.1, 1.5}, {0, 1}), Contains("betas[1] = 1.5"));
  const RecoveryLevels<double> levels;
  CHECK_THROWS_WITH(levels.a(7), Contains("ember::RecoveryLevels::a") && Contains("i = 7"));
  CHECK_THROWS_WITH(levels.step_size_squared(6, 1e-4), Contains("t = 6"));
  CHECK_THROWS_WITH(levels.step_sizes(-1.0), Contains("b_square = -1"));
}
