#include "ember/schedule/ddpm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

TEST_CASE("DDPM betas are linspace(1e-4, 0.02, 1000)", "[schedule][ddpm]") {
  const auto betas = ember::ddpm_linear_betas();
  REQUIRE(betas.size() == 1000);
  CHECK(betas.front() == 1e-4);
  CHECK(betas.back() == Approx(0.02).epsilon(1e-15));
  CHECK(betas[500] == Approx(1e-4 + (0.02 - 1e-4) * 500.0 / 999.0).epsilon(1e-15));
}

TEMPLATE_TEST_CASE("DDPM alpha-bar is the product of (1 - beta)", "[schedule][ddpm]", float, double) {
  using T = TestType;
  const auto schedule = ember::ddpm_linear<T>();
  const auto betas = ember::ddpm_linear_betas();
  long double product = 1;
  CHECK(schedule.alpha_bar(0) == T(1));
  for (ember::Index i = 1; i <= 1000; ++i) {
    product *= 1 - static_cast<long double>(betas[static_cast<std::size_t>(i - 1)]);
    INFO("i = " << i);
    // Each log1p(−β) is rounded once (½ε relative), the sum is exact enough in long double, then one or two
    // roundings into T: relative error ≤ ε (2 + |log ᾱ|). The continuous view at t = i/1000 adds the
    // rounding of t·n and of ½ log ᾱ: the same order.
    const long double bound = std::numeric_limits<T>::epsilon() * (2 - std::log(product));
    CHECK(std::abs(schedule.alpha_bar(i) - product) <= bound * product);
    const T t = schedule.time_of(i);
    CHECK(std::abs(schedule.mean_coefficient(t) - std::sqrt(product)) <= bound * std::sqrt(product));
  }
  CHECK(std::abs(schedule.alpha_bar(1000) - 4.0358e-5) < 1e-8);  // the published ᾱ_T ≈ 4.04e-5
}

TEST_CASE("DDPM: bad arguments are rejected", "[schedule][ddpm][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::ddpm_linear_betas(1), Contains("ember::ddpm_linear_betas") && Contains("steps = 1"));
  CHECK_THROWS_WITH(ember::ddpm_linear_betas(10, 0.0), Contains("beta_start = 0"));
  CHECK_THROWS_WITH(ember::ddpm_linear_betas(10, 0.1, 0.05), Contains("beta_end = 0.05"));
  CHECK_THROWS_WITH(ember::ddpm_linear_betas(10, 0.1, 1.0), Contains("beta_end = 1"));
}
