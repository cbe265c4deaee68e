#include "ember/schedule/discrete.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using ember::DiscreteSchedule;

TEMPLATE_TEST_CASE("a discrete schedule interpolates log alpha-bar linearly between its grid points",
                   "[schedule][discrete]", float, double) {
  using T = TestType;
  const auto schedule = DiscreteSchedule<T>::from_betas({0.1, 0.2, 0.3, 0.4});
  const long double eps = std::numeric_limits<T>::epsilon();
  const long double log_abar[5] = {0, std::log(0.9L), std::log(0.9L * 0.8L), std::log(0.9L * 0.8L * 0.7L),
                                   std::log(0.9L * 0.8L * 0.7L * 0.6L)};
  CHECK(schedule.steps() == 4);
  CHECK(schedule.discrete_beta(3) == Approx(0.3).epsilon(4 * eps));
  for (int k = 0; k <= 40; ++k) {
    const T t = T(k) / T(40);
    const long double position = static_cast<long double>(t) * 4;
    const int i = std::min(3, static_cast<int>(std::floor(position)));
    const long double l = log_abar[i] + (position - i) * (log_abar[i + 1] - log_abar[i]);
    INFO("t = " << t);
    CHECK(std::abs(schedule.mean_coefficient(t) - std::exp(l / 2)) <= 8 * eps * std::exp(l / 2));
    if (k > 0) CHECK(std::abs(schedule.variance(t) - (1 - std::exp(l))) <= 8 * eps * (1 - std::exp(l)));
    const int interval = std::max(0, static_cast<int>(std::ceil(position)) - 1);
    const long double rate = -4 * (log_abar[interval + 1] - log_abar[interval]);
    CHECK(std::abs(schedule.beta(t) - rate) <= 8 * eps * rate);
  }
  // the transition between grid points 1 and 3 is the product of the betas in between
  const auto transition = schedule.transition(T(0.25), T(0.75));
  CHECK(transition.scale == Approx(std::sqrt(0.8 * 0.7)).epsilon(8 * eps));
  CHECK(transition.std == Approx(std::sqrt(1 - 0.8 * 0.7)).epsilon(8 * eps));
}

TEST_CASE("from_alpha_bars agrees with from_betas", "[schedule][discrete]") {
  const auto a = DiscreteSchedule<double>::from_betas({0.1, 0.2});
  const auto b = DiscreteSchedule<double>::from_alpha_bars({0.9, 0.72});
  for (ember::Index i = 0; i <= 2; ++i) CHECK(a.alpha_bar(i) == Approx(b.alpha_bar(i)).epsilon(1e-15));
}

TEST_CASE("non-monotone and out-of-range tables are rejected", "[schedule][discrete][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(DiscreteSchedule<double>::from_betas({}), Contains("betas.size() = 0"));
  CHECK_THROWS_WITH(DiscreteSchedule<double>::from_betas({0.1, 0.0}), Contains("betas[1] = 0"));
  CHECK_THROWS_WITH(DiscreteSchedule<double>::from_betas({1.0}), Contains("betas[0] = 1"));
  CHECK_THROWS_WITH(DiscreteSchedule<float>::from_alpha_bars({0.5, 0.75}),
                    Contains("ember::DiscreteSchedule::from_alpha_bars") && Contains("alpha_bars[1] = 0.75") &&
                        Contains("strictly decreasing"));
  CHECK_THROWS_WITH(DiscreteSchedule<float>::from_alpha_bars({1.0}), Contains("alpha_bars[0] = 1"));
  CHECK_THROWS_WITH(DiscreteSchedule<float>::from_alpha_bars({0.5, -0.1}), Contains("alpha_bars[1] = -0.1"));
  const auto schedule = DiscreteSchedule<double>::from_betas({0.1});
  CHECK_THROWS_WITH(schedule.alpha_bar(2), Contains("ember::DiscreteSchedule::alpha_bar") && Contains("i = 2"));
  CHECK_THROWS_WITH(schedule.discrete_beta(0), Contains("i = 0"));
}
