#pragma once
/// @file
/// @brief The variance-exploding geometric schedule σ(t) = σ_min (σ_max/σ_min)^t (Song et al.'s VE SDE).
///
/// x_t = x_0 + σ(t) ε: the mean coefficient is 1; β(t) = dσ²/dt = 2 σ(t)² log(σ_max/σ_min); the transition
/// from s to t adds variance σ_t² − σ_s² = σ_t² · (−expm1(−2 (t − s) log(σ_max/σ_min))) (no cancellation).
///
/// @code
/// ember::VeGeometric<double> schedule({.sigma_min = 0.01, .sigma_max = 50});
/// double sigma = schedule.standard_deviation(1.0);   // 50
/// @endcode

#include <cmath>

#include "ember/core/concepts.hpp"
#include "ember/core/config.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/detail/checked_schedule.hpp"
#include "ember/schedule/schedule.hpp"

namespace ember {

/// Settings of ember::VeGeometric (aggregate; designated initialisers welcome).
template <Scalar T>
struct VeGeometricSettings {
  T sigma_min = T(0.01);  ///< σ(0) > 0
  T sigma_max = T(50);    ///< σ(1) > σ_min
};

/// @brief VE schedule with geometric σ(t); models ember::Schedule. Trivially copyable; the `*_unchecked`
/// members are EMBER_HOST_DEVICE and never throw.
template <Scalar T>
class VeGeometric : public detail::CheckedSchedule<VeGeometric<T>, T> {
 public:
  static constexpr const char* name = "ember::VeGeometric";

  /// @pre 0 < sigma_min < sigma_max, both finite. @throws ember::invalid_argument otherwise.
  explicit VeGeometric(VeGeometricSettings<T> settings = {})
      : sigma_min_(settings.sigma_min), sigma_max_(settings.sigma_max) {
    detail::require_positive(sigma_min_, name, "sigma_min");
    detail::require(std::isfinite(sigma_max_) && sigma_max_ > sigma_min_, name, "sigma_max", sigma_max_,
                    "must be finite and > sigma_min = " + detail::describe(sigma_min_));
    log_ratio_ = std::log(sigma_max_ / sigma_min_);
  }

  [[nodiscard]] EMBER_HOST_DEVICE T sigma_min() const { return sigma_min_; }
  [[nodiscard]] EMBER_HOST_DEVICE T sigma_max() const { return sigma_max_; }

  /// α(t) = 1. @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T mean_coefficient_unchecked(T) const { return T(1); }
  /// σ(t)² = σ_min² (σ_max/σ_min)^{2t}. @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T variance_unchecked(T t) const {
    const T sigma = sigma_at(t);
    return sigma * sigma;
  }
  /// β(t) = dσ²/dt = 2 σ(t)² log(σ_max/σ_min). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T beta_unchecked(T t) const { return T(2) * variance_unchecked(t) * log_ratio_; }
  /// scale 1, std √(σ_t² − σ_s²). @pre 0 ≤ s ≤ t ≤ 1 (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE Transition<T> transition_unchecked(T s, T t) const {
    return {T(1), sigma_at(t) * std::sqrt(-std::expm1(T(-2) * (t - s) * log_ratio_))};
  }

 private:
  EMBER_HOST_DEVICE T sigma_at(T t) const { return sigma_min_ * std::exp(t * log_ratio_); }

  T sigma_min_;
  T sigma_max_;
  T log_ratio_ = T(0);
};

}  // namespace ember
