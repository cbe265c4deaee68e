#include "ember/schedule/vp_linear.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using ember::VpLinear;

// Closed forms in long double; the schedule in T may differ by rounding in exp/expm1 of arguments up to
// |I(1)| ≈ 5: a relative error of a few ε·(1 + |argument|), bounded here by 16 ε (1 + 2|I|).
TEMPLATE_TEST_CASE("VP linear matches its closed form at many t", "[schedule][vp_linear]", float, double) {
  using T = TestType;
  const VpLinear<T> schedule;
  const long double bmin = 0.1L, bmax = 20.0L;
  const long double eps = std::numeric_limits<T>::epsilon();
  auto integral = [&](long double t) { return 0.25L * t * t * (bmax - bmin) + 0.5L * t * bmin; };
  for (int k = 0; k <= 200; ++k) {
    const T t = T(k) / T(200);
    const long double tl = t;
    INFO("t = " << t);
    const long double tolerance = 16 * eps * (1 + 2 * integral(tl));
    const long double alpha = std::exp(-integral(tl));
    const long double sigma = std::sqrt(1 - alpha * alpha);
    CHECK(std::abs(schedule.mean_coefficient(t) - alpha) <= tolerance * alpha);
    CHECK(std::abs(schedule.standard_deviation(t) - sigma) <= tolerance * sigma);
    CHECK(std::abs(schedule.beta(t) - (bmin + tl * (bmax - bmin))) <= tolerance * (bmin + tl * (bmax - bmin)));
    if (k > 0) CHECK(std::abs(schedule.snr(t) - alpha * alpha / (sigma * sigma)) <= 4 * tolerance * alpha * alpha / (sigma * sigma));
    // transition from s to t: scale α_t/α_s, variance σ_t² − scale² σ_s² (the marginals compose)
    for (int j = 0; j <= k; j += 20) {
      const T s = T(j) / T(200);
      const long double alpha_s = std::exp(-integral(s));
      const long double scale = alpha / alpha_s;
      const long double std = std::sqrt(1 - scale * scale);
      const auto transition = schedule.transition(s, t);
      INFO("s = " << s);
      CHECK(std::abs(transition.scale - scale) <= tolerance * scale);
      CHECK(std::abs(transition.std - std) <= tolerance * std);
    }
  }
  CHECK(schedule.standard_deviation(T(0)) == T(0));
  CHECK(schedule.mean_coefficient(T(0)) == T(1));
}

TEST_CASE("VP linear: bad settings are rejected", "[schedule][vp_linear][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(VpLinear<double>({.beta_min = -1.0}), Contains("ember::VpLinear") && Contains("beta_min = -1"));
  CHECK_THROWS_WITH(VpLinear<double>({.beta_min = 1.0, .beta_max = 0.5}), Contains("beta_max = 0.5"));
  CHECK_THROWS_WITH(VpLinear<float>({.beta_max = std::numeric_limits<float>::infinity()}), Contains("beta_max = inf"));
}
