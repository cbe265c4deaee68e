#pragma once
/// @file
/// @brief ember::LearningRateSchedule: the factor by which ember::train scales the optimizer's learning rate
/// at each update — a linear warm-up, then constant, cosine or exponential decay.
///
/// With base rate η₀ (the optimizer's own `learning_rate`), W warm-up updates, T updates in all and update
/// number k = 1, 2, …, T, the rate of update k is η₀ · factor(k, T):
///   warm-up (k ≤ W):      factor = k / W
///   constant:             factor = 1
///   cosine (Loshchilov & Hutter 2017, no restarts), t = (k − W)/(T − W):
///                         factor = f + (1 − f) · ½(1 + cos πt)      (f = final_factor; 1 at t = 0, f at t = 1)
///   exponential:          factor = γ^(k − W)                          (γ = decay_rate)
/// The factor depends only on (k, T), so a resumed run (TrainSettings::start_iteration) continues the schedule
/// exactly where it stopped. ember::train sets the optimizer's rate before each update and puts η₀ back when
/// it returns or throws, so a checkpointed or resumed optimizer always holds the base rate.
///
/// @code
/// ember::train(estimator, energy, adam, data,
///              {.iterations = 5000, .learning_rate_schedule = {.warmup_iterations = 200,
///                                                              .decay = ember::LearningRateDecay::cosine}});
/// @endcode

#include <cmath>
#include <concepts>
#include <limits>
#include <numbers>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// The shape of a schedule after its warm-up.
enum class LearningRateDecay {
  constant,     ///< factor 1
  cosine,       ///< half a cosine from 1 down to final_factor at the last update
  exponential,  ///< γ per update
};

/// Settings of a learning-rate schedule (aggregate; designated initialisers welcome). The default is constant.
struct LearningRateSchedule {
  Index warmup_iterations = 0;                        ///< W ≥ 0: linear warm-up over the first W updates
  LearningRateDecay decay = LearningRateDecay::constant;  ///< what follows the warm-up
  double final_factor = 0;                            ///< cosine: f ∈ [0, 1], the factor at the last update
  double decay_rate = 1;                              ///< exponential: γ ∈ (0, 1], the factor per update

  /// Whether every factor is 1 (the optimizer's rate is then never touched).
  [[nodiscard]] bool is_constant() const {
    return warmup_iterations == 0 &&
           (decay == LearningRateDecay::constant || (decay == LearningRateDecay::exponential && decay_rate == 1));
  }

  /// @brief Checks the settings against the run's length. @throws ember::invalid_argument naming `function`.
  void check(Index iterations, const char* function) const {
    detail::require(warmup_iterations >= 0, function, "learning_rate_schedule.warmup_iterations", warmup_iterations,
                    "must be >= 0");
    detail::require(std::isfinite(final_factor) && final_factor >= 0 && final_factor <= 1, function,
                    "learning_rate_schedule.final_factor", final_factor, "must be in [0, 1]");
    detail::require(std::isfinite(decay_rate) && decay_rate > 0 && decay_rate <= 1, function,
                    "learning_rate_schedule.decay_rate", decay_rate, "must be in (0, 1]");
    if (decay == LearningRateDecay::cosine)
      detail::require(warmup_iterations < iterations || iterations == 0, function,
                      "learning_rate_schedule.warmup_iterations", warmup_iterations,
                      "must be < iterations = ", iterations, " (the cosine needs updates after the warm-up)");
  }

  /// @brief The factor of update k (1-based) of a run of `iterations` updates. @pre 1 ≤ k ≤ iterations.
  [[nodiscard]] double factor(Index k, Index iterations) const {
    if (k <= warmup_iterations) return static_cast<double>(k) / static_cast<double>(warmup_iterations);
    const auto after = static_cast<double>(k - warmup_iterations);
    switch (decay) {
      case LearningRateDecay::cosine: {
        const double t = after / static_cast<double>(iterations - warmup_iterations);
        return final_factor + (1 - final_factor) * 0.5 * (1 + std::cos(std::numbers::pi * t));
      }
      case LearningRateDecay::exponential:
        return std::pow(decay_rate, after);
      case LearningRateDecay::constant:
        break;
    }
    return 1;
  }
};

namespace detail {

/// Applies a schedule to an optimizer during one ember::train call and restores its base rate on exit.
/// An optimizer without `settings().learning_rate` and `set_learning_rate` accepts only a constant schedule.
template <class O>
class ScheduledLearningRate {
 public:
  ScheduledLearningRate(O& optimizer, const LearningRateSchedule& schedule, Index iterations,
                        const char* function)
      : optimizer_(optimizer), schedule_(schedule), iterations_(iterations) {
    schedule.check(iterations, function);
    if (schedule.is_constant()) return;
    if constexpr (adjustable) {
      base_ = static_cast<double>(optimizer.settings().learning_rate);
      active_ = true;
    } else {
      require(false, function, "learning_rate_schedule", "not constant",
              "the optimizer has no settings().learning_rate and set_learning_rate(η) to schedule");
    }
  }
  ScheduledLearningRate(const ScheduledLearningRate&) = delete;
  ScheduledLearningRate& operator=(const ScheduledLearningRate&) = delete;
  ~ScheduledLearningRate() {
    if constexpr (adjustable)
      if (active_) set(base_);
  }

  /// Sets the rate of update k (1-based).
  void apply(Index k) {
    if constexpr (adjustable)
      if (active_) set(base_ * schedule_.factor(k, iterations_));
  }

 private:
  static constexpr bool adjustable = requires(O& o) {
    static_cast<double>(o.settings().learning_rate);
    o.set_learning_rate(o.settings().learning_rate);
  };
  // The factor can reach 0 (warm-up never does; cosine with final_factor 0 does at the last update): the
  // optimizers require η > 0, so the rate is kept at the smallest positive value of its type there.
  void set(double rate) {
    using R = std::remove_cvref_t<decltype(optimizer_.settings().learning_rate)>;
    auto r = static_cast<R>(rate);
    if (!(r > R(0))) r = std::numeric_limits<R>::min();
    optimizer_.set_learning_rate(r);
  }

  O& optimizer_;
  LearningRateSchedule schedule_;
  Index iterations_;
  double base_ = 0;
  bool active_ = false;
};

}  // namespace detail
}  // namespace ember
