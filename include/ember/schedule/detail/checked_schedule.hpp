#pragma once
/// @file
/// @brief Internal: the checked, host-side members every schedule shares, written once over the
/// unchecked primitives of the schedule (which are EMBER_HOST_DEVICE where the schedule is a few scalars).

#include <cmath>
#include <limits>
#include <string>

#include "ember/core/config.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/schedule.hpp"

namespace ember::detail {

/// Throws ember::invalid_argument "Name::member: argument = t: must lie in [0, 1]" unless 0 ≤ t ≤ 1
/// (NaN fails). The message is only built on failure.
template <class T>
void require_time(T t, const char* name, const char* member, const char* argument) {
  if (t >= T(0) && t <= T(1)) return;
  require(false, std::string(name) + "::" + member, argument, t, "must lie in [0, 1] (and not be NaN)");
}

/// α² / σ² with σ² floored at the smallest normal number: finite at the data end (σ = 0).
template <class T>
EMBER_HOST_DEVICE T snr_from(T mean, T variance) {
  const T floor = std::numeric_limits<T>::min();
  return mean * mean / (variance > floor ? variance : floor);
}

/// @brief CRTP base: checked `mean_coefficient`, `standard_deviation`, `beta`, `snr`, `transition` over
/// the derived schedule's `mean_coefficient_unchecked`, `variance_unchecked`, `beta_unchecked` and
/// `transition_unchecked` (whose precondition is 0 ≤ s ≤ t ≤ 1).
template <class Derived, class T>
class CheckedSchedule {
 public:
  using scalar_type = T;

  /// α(t). @pre t ∈ [0, 1]; @throws ember::invalid_argument otherwise.
  [[nodiscard]] T mean_coefficient(T t) const {
    require_time(t, Derived::name, "mean_coefficient", "t");
    return derived().mean_coefficient_unchecked(t);
  }
  /// σ(t). @pre t ∈ [0, 1].
  [[nodiscard]] T standard_deviation(T t) const {
    require_time(t, Derived::name, "standard_deviation", "t");
    return std::sqrt(derived().variance_unchecked(t));
  }
  /// σ(t)². @pre t ∈ [0, 1].
  [[nodiscard]] T variance(T t) const {
    require_time(t, Derived::name, "variance", "t");
    return derived().variance_unchecked(t);
  }
  /// β(t). @pre t ∈ [0, 1].
  [[nodiscard]] T beta(T t) const {
    require_time(t, Derived::name, "beta", "t");
    return derived().beta_unchecked(t);
  }
  /// α(t)² / σ(t)², finite at t = 0. @pre t ∈ [0, 1].
  [[nodiscard]] T snr(T t) const {
    require_time(t, Derived::name, "snr", "t");
    return snr_from(derived().mean_coefficient_unchecked(t), derived().variance_unchecked(t));
  }
  /// x_t = scale · x_s + std · ε. @pre 0 ≤ s ≤ t ≤ 1.
  [[nodiscard]] Transition<T> transition(T s, T t) const {
    require_time(s, Derived::name, "transition", "s");
    require_time(t, Derived::name, "transition", "t");
    if (!(s <= t))
      require(false, std::string(Derived::name) + "::transition", "s", s,
              "must be <= t = " + describe(t) + " (transitions go forward in noise)");
    return derived().transition_unchecked(s, t);
  }

  /// σ(t) without checks (device code). @pre t ∈ [0, 1].
  [[nodiscard]] EMBER_HOST_DEVICE T standard_deviation_unchecked(T t) const {
    return std::sqrt(derived().variance_unchecked(t));
  }
  /// α(t)² / σ(t)² without checks (device code). @pre t ∈ [0, 1].
  [[nodiscard]] EMBER_HOST_DEVICE T snr_unchecked(T t) const {
    return snr_from(derived().mean_coefficient_unchecked(t), derived().variance_unchecked(t));
  }

 private:
  EMBER_HOST_DEVICE const Derived& derived() const { return static_cast<const Derived&>(*this); }
};

}  // namespace ember::detail
