#include "ember/schedule/vp_cosine.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

using ember::VpCosine;

namespace {
// Nichol & Dhariwal's definition, literally, in long double.
long double alpha_bar(long double t, long double s = 0.008L) {
  const long double half_pi = std::numbers::pi_v<long double> / 2;
  const long double f = std::cos((t + s) / (1 + s) * half_pi), f0 = std::cos(s / (1 + s) * half_pi);
  return f * f / (f0 * f0);
}
}  // namespace

// Tolerance: sin/cos of an argument rounded in T give relative errors of a few ε in sin v; near t = 1,
// sin v ≈ v and 1 − t is exact, so the relative error stays a few ε. 16 ε covers it with room.
TEMPLATE_TEST_CASE("VP cosine matches Nichol & Dhariwal's closed form at many t", "[schedule][vp_cosine]", float, double) {
  using T = TestType;
  const VpCosine<T> schedule;
  const long double tolerance = 16 * std::numeric_limits<T>::epsilon();
  for (int k = 0; k < 200; ++k) {  // t = 1 is checked separately (ᾱ = 0 there)
    const T t = T(k) / T(200);
    INFO("t = " << t);
    const long double abar = alpha_bar(t);
    CHECK(std::abs(schedule.mean_coefficient(t) - std::sqrt(abar)) <= tolerance * std::sqrt(abar));
    if (k > 0) {
      const long double sigma = std::sqrt(1 - abar);
      CHECK(std::abs(schedule.standard_deviation(t) - sigma) <= tolerance * sigma);
    }
    // β(t) = −d log ᾱ/dt = (π/(1 + s)) tan(((t + s)/(1 + s))·π/2), the derivative of the literal definition.
    // Near t = 1, tan's argument is π/2 − O(1 − t), so a rounding of t of ε·t moves β by ε·t·β/(1 − t)·…:
    // the bound grows as 1/(1 − t).
    const long double x = (static_cast<long double>(t) + 0.008L) / 1.008L * std::numbers::pi_v<long double> / 2;
    const long double rate = std::numbers::pi_v<long double> / 1.008L * std::tan(x);
    CHECK(std::abs(schedule.beta(t) - rate) <= tolerance * rate / (1 - static_cast<long double>(t)));
    for (int j = 0; j < k; j += 25) {
      const T s = T(j) / T(200);
      const long double scale = std::sqrt(abar / alpha_bar(s));
      const auto transition = schedule.transition(s, t);
      INFO("s = " << s);
      CHECK(std::abs(transition.scale - scale) <= tolerance * scale);
      CHECK(std::abs(transition.std - std::sqrt(1 - scale * scale)) <= tolerance * std::sqrt(1 - scale * scale));
    }
  }
  CHECK(schedule.mean_coefficient(T(1)) == T(0));
  CHECK(schedule.standard_deviation(T(1)) == T(1));
  CHECK(schedule.snr(T(1)) == T(0));
  CHECK(schedule.standard_deviation(T(0)) == T(0));
  CHECK(schedule.beta(T(1)) == T(1000));  // the cap
}

TEMPLATE_TEST_CASE("VP cosine's discrete form caps beta at 0.999 and matches the continuous alpha-bar",
                   "[schedule][vp_cosine]", float, double) {
  using T = TestType;
  const auto table = VpCosine<T>().discretize(1000);
  REQUIRE(table.steps() == 1000);
  CHECK(table.discrete_beta(1000) == Approx(0.999).epsilon(1e-6));
  for (ember::Index i = 1; i < 1000; ++i) CHECK(table.discrete_beta(i) < T(0.999));
  for (ember::Index i = 0; i < 990; i += 10) {
    INFO("i = " << i);
    const long double abar = alpha_bar(static_cast<long double>(i) / 1000);
    // each βₖ carries a few ε relative error; log(1 − βₖ) then βₖ/(1 − βₖ)·few ε absolute, summing to
    // ≈ few ε·|log ᾱ|: a relative bound 8 ε (1 + |log ᾱ|)
    CHECK(std::abs(table.alpha_bar(i) - abar) <= 8 * std::numeric_limits<T>::epsilon() * (1 - std::log(abar)) * abar);
  }
}

TEST_CASE("VP cosine: bad settings are rejected", "[schedule][vp_cosine][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(VpCosine<double>({.offset = 0.0}), Contains("ember::VpCosine") && Contains("offset = 0"));
  CHECK_THROWS_WITH(VpCosine<double>({.beta_cap = -3.0}), Contains("beta_cap = -3"));
  CHECK_THROWS_WITH(VpCosine<double>().discretize(0), Contains("steps = 0"));
  CHECK_THROWS_WITH(VpCosine<double>().discretize(10, 1.0), Contains("max_beta = 1"));
}
