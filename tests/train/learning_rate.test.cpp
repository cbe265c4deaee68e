#include "ember/train/learning_rate.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

using ember::LearningRateDecay;
using ember::LearningRateSchedule;

TEST_CASE("LearningRateSchedule: warm-up, cosine and exponential factors against their formulas", "[schedule][lr]") {
  const double pi = std::numbers::pi;
  const LearningRateSchedule constant{};
  CHECK(constant.is_constant());
  CHECK(constant.factor(1, 100) == 1.0);
  CHECK(constant.factor(100, 100) == 1.0);

  const LearningRateSchedule warm{.warmup_iterations = 10};
  CHECK_FALSE(warm.is_constant());
  CHECK(warm.factor(1, 100) == 0.1);
  CHECK(warm.factor(5, 100) == 0.5);
  CHECK(warm.factor(10, 100) == 1.0);
  CHECK(warm.factor(11, 100) == 1.0);

  // Cosine after a 20-update warm-up over T = 120: t = (k − 20)/100, factor = f + (1 − f)(1 + cos πt)/2.
  const LearningRateSchedule cosine{.warmup_iterations = 20, .decay = LearningRateDecay::cosine, .final_factor = 0.1};
  CHECK(cosine.factor(20, 120) == 1.0);
  CHECK(cosine.factor(21, 120) == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(pi * 0.01))).epsilon(1e-15));
  CHECK(cosine.factor(70, 120) == Approx(0.55).epsilon(1e-15));  // t = ½: halfway between 1 and f
  CHECK(cosine.factor(95, 120) == Approx(0.1 + 0.45 * (1 + std::cos(pi * 0.75))).epsilon(1e-15));
  CHECK(cosine.factor(120, 120) == Approx(0.1).epsilon(1e-15));  // f at the last update

  const LearningRateSchedule exponential{.warmup_iterations = 3, .decay = LearningRateDecay::exponential,
                                         .decay_rate = 0.9};
  CHECK(exponential.factor(2, 50) == Approx(2.0 / 3.0).epsilon(1e-15));
  CHECK(exponential.factor(3, 50) == 1.0);
  CHECK(exponential.factor(4, 50) == Approx(0.9).epsilon(1e-15));
  CHECK(exponential.factor(13, 50) == Approx(std::pow(0.9, 10)).epsilon(1e-15));
  CHECK((LearningRateSchedule{.decay = LearningRateDecay::exponential, .decay_rate = 1}).is_constant());
}

TEST_CASE("LearningRateSchedule: bad settings name the field and value", "[schedule][lr]") {
  using Catch::Matchers::Contains;
  const auto check = [](const LearningRateSchedule& s, ember::Index iterations) { s.check(iterations, "ember::train"); };
  CHECK_THROWS_WITH(check({.warmup_iterations = -1}, 10),
                    Contains("ember::train") && Contains("learning_rate_schedule.warmup_iterations = -1"));
  CHECK_THROWS_WITH(check({.decay = LearningRateDecay::cosine, .final_factor = 1.5}, 10),
                    Contains("learning_rate_schedule.final_factor = 1.5"));
  CHECK_THROWS_WITH(check({.decay = LearningRateDecay::exponential, .decay_rate = 0}, 10),
                    Contains("learning_rate_schedule.decay_rate = 0"));
  CHECK_THROWS_WITH(check({.warmup_iterations = 10, .decay = LearningRateDecay::cosine}, 10),
                    Contains("warmup_iterations = 10") && Contains("iterations = 10"));
  CHECK_NOTHROW(check({.warmup_iterations = 10, .decay = LearningRateDecay::cosine}, 11));
}
