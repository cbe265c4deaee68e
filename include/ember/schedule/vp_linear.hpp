#pragma once
/// @file
/// @brief The variance-preserving schedule with a linear rate (Song et al.'s VP SDE, DDPM's continuum limit).
///
/// β(t) = β_min + t (β_max − β_min); α(t) = exp(−¼ t² (β_max − β_min) − ½ t β_min); σ(t) = √(1 − α²).
/// Everything is computed from the integral I(t) = ¼ t²Δ + ½ tβ_min with exp/expm1, so σ(0) is exactly 0
/// (no cancellation in 1 − α²) and nothing divides by zero at either end, in float as in double.
///
/// @code
/// ember::VpLinear<float> schedule;   // β_min = 0.1, β_max = 20
/// float sigma = schedule.standard_deviation(0.5f);
/// @endcode

#include <cmath>

#include "ember/core/concepts.hpp"
#include "ember/core/config.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/detail/checked_schedule.hpp"
#include "ember/schedule/schedule.hpp"

namespace ember {

/// Settings of ember::VpLinear (aggregate; designated initialisers welcome).
template <Scalar T>
struct VpLinearSettings {
  T beta_min = T(0.1);  ///< β(0) ≥ 0
  T beta_max = T(20);   ///< β(1) > β_min
};

/// @brief VP schedule with linear β(t); models ember::Schedule. Trivially copyable: pass it to device code
/// and call the `*_unchecked` members there (they are EMBER_HOST_DEVICE and never throw).
template <Scalar T>
class VpLinear : public detail::CheckedSchedule<VpLinear<T>, T> {
 public:
  static constexpr const char* name = "ember::VpLinear";

  /// @pre 0 ≤ beta_min < beta_max, both finite. @throws ember::invalid_argument otherwise.
  explicit VpLinear(VpLinearSettings<T> settings = {})
      : beta_min_(settings.beta_min), beta_max_(settings.beta_max) {
    detail::require_non_negative(beta_min_, name, "beta_min");
    detail::require(std::isfinite(beta_max_) && beta_max_ > beta_min_, name, "beta_max", beta_max_,
                    "must be finite and > beta_min = " + detail::describe(beta_min_));
  }

  [[nodiscard]] EMBER_HOST_DEVICE T beta_min() const { return beta_min_; }
  [[nodiscard]] EMBER_HOST_DEVICE T beta_max() const { return beta_max_; }

  /// α(t) = exp(−I(t)). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T mean_coefficient_unchecked(T t) const { return std::exp(-integral(t)); }
  /// σ(t)² = −expm1(−2 I(t)). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T variance_unchecked(T t) const { return -std::expm1(T(-2) * integral(t)); }
  /// β(t) = β_min + t (β_max − β_min). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T beta_unchecked(T t) const { return beta_min_ + t * (beta_max_ - beta_min_); }
  /// a = exp(−(I(t) − I(s))), std = √(−expm1(−2(I(t) − I(s)))), with I(t) − I(s) = (t − s)(¼(t + s)Δ + ½β_min).
  /// @pre 0 ≤ s ≤ t ≤ 1 (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE Transition<T> transition_unchecked(T s, T t) const {
    const T difference = (t - s) * (T(0.25) * (t + s) * (beta_max_ - beta_min_) + T(0.5) * beta_min_);
    return {std::exp(-difference), std::sqrt(-std::expm1(T(-2) * difference))};
  }

 private:
  EMBER_HOST_DEVICE T integral(T t) const {
    return t * (T(0.25) * t * (beta_max_ - beta_min_) + T(0.5) * beta_min_);
  }

  T beta_min_;
  T beta_max_;
};

}  // namespace ember
