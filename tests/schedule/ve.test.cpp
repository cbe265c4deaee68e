#include "ember/schedule/ve.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using ember::VeGeometric;

// σ(t) = σ_min exp(t log r) with t log r ≤ log 5000 ≈ 8.5: rounding of the exponent gives ≈ 8.5 ε relative.
TEMPLATE_TEST_CASE("VE geometric matches its closed form at many t", "[schedule][ve]", float, double) {
  using T = TestType;
  const VeGeometric<T> schedule({.sigma_min = T(0.01), .sigma_max = T(50)});
  const long double tolerance = 32 * std::numeric_limits<T>::epsilon();
  const long double lo = static_cast<T>(0.01), hi = static_cast<T>(50);  // the values as stored in T
  for (int k = 0; k <= 200; ++k) {
    const T t = T(k) / T(200);
    INFO("t = " << t);
    const long double sigma = lo * std::pow(hi / lo, static_cast<long double>(t));
    CHECK(schedule.mean_coefficient(t) == T(1));
    CHECK(std::abs(schedule.standard_deviation(t) - sigma) <= tolerance * sigma);
    const long double beta = 2 * sigma * sigma * std::log(hi / lo);
    CHECK(std::abs(schedule.beta(t) - beta) <= tolerance * beta);
    CHECK(std::abs(schedule.snr(t) - 1 / (sigma * sigma)) <= 2 * tolerance / (sigma * sigma));
    for (int j = 0; j < k; j += 20) {
      const T s = T(j) / T(200);
      const long double sigma_s = lo * std::pow(hi / lo, static_cast<long double>(s));
      const long double std = std::sqrt(sigma * sigma - sigma_s * sigma_s);
      const auto transition = schedule.transition(s, t);
      CHECK(transition.scale == T(1));
      CHECK(std::abs(transition.std - std) <= tolerance * std * (1 + 1 / (static_cast<long double>(t - s) + 1e-3L)));
    }
  }
  CHECK(schedule.transition(T(0.3), T(0.3)).std == T(0));
}

TEST_CASE("VE geometric: sigma <= 0 and sigma_min >= sigma_max are rejected", "[schedule][ve][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(VeGeometric<double>({.sigma_min = 0.0}), Contains("ember::VeGeometric") && Contains("sigma_min = 0"));
  CHECK_THROWS_WITH(VeGeometric<double>({.sigma_min = -1.0}), Contains("sigma_min = -1"));
  CHECK_THROWS_WITH(VeGeometric<float>({.sigma_min = 2.0f, .sigma_max = 2.0f}), Contains("sigma_max = 2"));
  CHECK_THROWS_WITH(VeGeometric<float>({.sigma_min = 2.0f, .sigma_max = 1.0f}), Contains("sigma_max = 1"));
}
