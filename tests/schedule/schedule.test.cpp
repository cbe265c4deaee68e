#include "ember/schedule/schedule.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ember/schedule/ddpm.hpp"
#include "ember/schedule/discrete.hpp"
#include "ember/schedule/recovery_levels.hpp"
#include "ember/schedule/ve.hpp"
#include "ember/schedule/vp_cosine.hpp"
#include "ember/schedule/vp_linear.hpp"

using namespace ember;

static_assert(Schedule<VpLinear<float>> && Schedule<VpLinear<double>>);
static_assert(Schedule<VpCosine<float>> && Schedule<VpCosine<double>>);
static_assert(Schedule<VeGeometric<float>> && Schedule<VeGeometric<double>>);
static_assert(Schedule<DiscreteSchedule<float>> && Schedule<DiscreteSchedule<double>>);
static_assert(Schedule<RecoveryLevels<float>> && Schedule<RecoveryLevels<double>>);
static_assert(!Schedule<int>);
static_assert(std::is_trivially_copyable_v<VpLinear<float>> && std::is_trivially_copyable_v<VpCosine<float>> &&
              std::is_trivially_copyable_v<VeGeometric<float>>);

namespace {

// Every quantity of every schedule is finite and in range at t = 0, t = 1 and the smallest/largest
// representable steps next to them: no division by zero, no NaN (the float32 pitfall).
template <class S>
void check_endpoints(const S& schedule) {
  using T = typename S::scalar_type;
  const T one_below = std::nextafter(T(1), T(0));
  const T denormal = std::numeric_limits<T>::denorm_min();
  for (T t : {T(0), denormal, std::numeric_limits<T>::min(), T(1e-7), T(0.5), one_below, T(1)}) {
    INFO("t = " << t);
    const T mean = schedule.mean_coefficient(t), sd = schedule.standard_deviation(t);
    CHECK(std::isfinite(mean));
    CHECK(std::isfinite(sd));
    CHECK(std::isfinite(schedule.beta(t)));
    CHECK(std::isfinite(schedule.snr(t)));
    CHECK(mean >= T(0));
    CHECK(sd >= T(0));
    CHECK(schedule.beta(t) >= T(0));
    CHECK(schedule.snr(t) >= T(0));
    for (T s : {T(0), denormal, T(1e-7), T(0.5), one_below, T(1)}) {
      if (s > t) continue;
      const auto [scale, std] = schedule.transition(s, t);
      INFO("s = " << s);
      CHECK(std::isfinite(scale));
      CHECK(std::isfinite(std));
      CHECK(scale >= T(0));
      CHECK(std >= T(0));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("every schedule is finite at t = 0 and t = 1", "[schedule]", float, double) {
  SECTION("VP linear") { check_endpoints(VpLinear<TestType>()); }
  SECTION("VP cosine") { check_endpoints(VpCosine<TestType>()); }
  SECTION("VP cosine, discrete") { check_endpoints(VpCosine<TestType>().discretize(1000)); }
  SECTION("VE geometric") { check_endpoints(VeGeometric<TestType>()); }
  SECTION("DDPM linear") { check_endpoints(ddpm_linear<TestType>()); }
  SECTION("recovery levels") { check_endpoints(RecoveryLevels<TestType>()); }
}

TEMPLATE_TEST_CASE("every schedule rejects bad times with the function, argument and value", "[schedule][errors]",
                   float, double) {
  using Catch::Matchers::Contains;
  const TestType nan = std::numeric_limits<TestType>::quiet_NaN();
  const VpLinear<TestType> vp;
  CHECK_THROWS_AS(vp.mean_coefficient(TestType(-0.1)), ember::invalid_argument);
  CHECK_THROWS_WITH(vp.standard_deviation(TestType(1.5)),
                    Contains("ember::VpLinear::standard_deviation") && Contains("t = 1.5"));
  CHECK_THROWS_WITH(vp.beta(nan), Contains("t = nan"));
  CHECK_THROWS_WITH(VpCosine<TestType>().snr(TestType(2)), Contains("ember::VpCosine::snr"));
  CHECK_THROWS_WITH(VeGeometric<TestType>().transition(TestType(0.5), TestType(0.25)),
                    Contains("ember::VeGeometric::transition") && Contains("s = 0.5"));
  CHECK_THROWS_WITH(ddpm_linear<TestType>().transition(TestType(0), nan), Contains("t = nan"));
  CHECK_THROWS_WITH(RecoveryLevels<TestType>().mean_coefficient(TestType(-1)), Contains("t = -1"));
}
