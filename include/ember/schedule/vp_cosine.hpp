#pragma once
/// @file
/// @brief The cosine variance-preserving schedule of Nichol & Dhariwal (2021), continuous and discrete.
///
/// ᾱ(t) = cos²(((t + s)/(1 + s))·π/2) / cos²((s/(1 + s))·π/2), s = 0.008. Written with
/// v(t) = ((1 − t)/(1 + s))·π/2 as ᾱ(t) = sin²v / sin²v₀, so α(1) is exactly 0 (cos(π/2) is not 0 in
/// floating point), and 1 − ᾱ = sin(v₀ − v) sin(v₀ + v) / sin²v₀ is evaluated with both angles written
/// without cancellation (v₀ − v = (t/(1 + s))·π/2, π − v₀ − v = ((2s + t)/(1 + s))·π/2).
/// The continuous rate β(t) = −d log ᾱ/dt = (π/(1 + s)) cot v(t) diverges like 2/(1 − t) at t = 1; it is
/// capped at `beta_cap` (mean, deviation and transitions use the exact ᾱ and are not affected).
/// The discrete form (`discretize`) takes βᵢ = min(1 − ᾱ(i/n)/ᾱ((i−1)/n), 0.999), as in the paper.
///
/// @code
/// ember::VpCosine<float> schedule;                      // s = 0.008
/// auto table = schedule.discretize(1000);               // ember::DiscreteSchedule<float>, βᵢ ≤ 0.999
/// @endcode

#include <cmath>
#include <numbers>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/config.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/detail/checked_schedule.hpp"
#include "ember/schedule/discrete.hpp"
#include "ember/schedule/schedule.hpp"

namespace ember {

/// Settings of ember::VpCosine (aggregate; designated initialisers welcome).
template <Scalar T>
struct VpCosineSettings {
  T offset = T(0.008);   ///< s > 0: keeps β small near t = 0
  T beta_cap = T(1000);  ///< the largest β(t) returned (the rate diverges at t = 1)
};

/// @brief Cosine VP schedule; models ember::Schedule. Trivially copyable; the `*_unchecked` members are
/// EMBER_HOST_DEVICE and never throw.
template <Scalar T>
class VpCosine : public detail::CheckedSchedule<VpCosine<T>, T> {
 public:
  static constexpr const char* name = "ember::VpCosine";

  /// @pre offset > 0 and beta_cap > 0, both finite. @throws ember::invalid_argument otherwise.
  explicit VpCosine(VpCosineSettings<T> settings = {}) : offset_(settings.offset), beta_cap_(settings.beta_cap) {
    detail::require_positive(offset_, name, "offset");
    detail::require_positive(beta_cap_, name, "beta_cap");
    sin_v0_ = std::sin(angle(T(0)));
  }

  [[nodiscard]] EMBER_HOST_DEVICE T offset() const { return offset_; }

  /// α(t) = sin v(t) / sin v₀. @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T mean_coefficient_unchecked(T t) const { return std::sin(angle(t)) / sin_v0_; }
  /// σ(t)² = sin(v₀ − v) sin(v₀ + v) / sin²v₀. @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T variance_unchecked(T t) const {
    const T half_pi = std::numbers::pi_v<T> / T(2);
    const T one_plus = T(1) + offset_;
    return std::sin(t / one_plus * half_pi) * std::sin((T(2) * offset_ + t) / one_plus * half_pi) / (sin_v0_ * sin_v0_);
  }
  /// β(t) = min((π/(1 + s)) cot v(t), beta_cap). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE T beta_unchecked(T t) const {
    // cos v = sin(π/2 − v) = sin(((t + s)/(1 + s))·π/2): no cancellation near t = 0, where v ≈ π/2
    const T one_plus = T(1) + offset_;
    const T numerator = std::numbers::pi_v<T> / one_plus * std::sin((t + offset_) / one_plus * (std::numbers::pi_v<T> / T(2)));
    const T sin_v = std::sin(angle(t));
    return numerator < beta_cap_ * sin_v ? numerator / sin_v : beta_cap_;
  }
  /// scale = sin v_t / sin v_s, std² = sin(v_s − v_t) sin(v_s + v_t) / sin²v_s. @pre 0 ≤ s ≤ t ≤ 1 (unchecked).
  [[nodiscard]] EMBER_HOST_DEVICE Transition<T> transition_unchecked(T s, T t) const {
    if (!(s < t)) return {T(1), T(0)};
    const T half_pi = std::numbers::pi_v<T> / T(2);
    const T one_plus = T(1) + offset_;
    const T sin_vs = std::sin(angle(s));  // > 0: s < t ≤ 1
    // v_s − v_t = ((t − s)/(1 + s))·π/2 and π − v_s − v_t = ((2·offset + s + t)/(1 + offset))·π/2: no cancellation
    const T variance = std::sin((t - s) / one_plus * half_pi) *
                       std::sin((T(2) * offset_ + s + t) / one_plus * half_pi) / (sin_vs * sin_vs);
    return {std::sin(angle(t)) / sin_vs, std::sqrt(variance)};
  }

  /// @brief The discrete form with `steps` steps: βᵢ = min(1 − ᾱ(i/n)/ᾱ((i−1)/n), max_beta), in double.
  /// @pre steps ≥ 1, 0 < max_beta < 1. @throws ember::invalid_argument.
  [[nodiscard]] DiscreteSchedule<T> discretize(Index steps = 1000, double max_beta = 0.999) const {
    constexpr const char* fn = "ember::VpCosine::discretize";
    detail::require_at_least_one(steps, fn, "steps");
    detail::require(std::isfinite(max_beta) && max_beta > 0.0 && max_beta < 1.0, fn, "max_beta", max_beta,
                    "must lie in (0, 1)");
    const VpCosine<double> exact({.offset = static_cast<double>(offset_), .beta_cap = 1.0});
    std::vector<double> betas(static_cast<std::size_t>(steps));
    for (Index i = 1; i <= steps; ++i) {
      // 1 − ᾱ(tᵢ)/ᾱ(tᵢ₋₁) is the transition variance, evaluated without cancellation
      const double std = exact.transition_unchecked(static_cast<double>(i - 1) / static_cast<double>(steps),
                                                    static_cast<double>(i) / static_cast<double>(steps)).std;
      betas[static_cast<std::size_t>(i - 1)] = std * std < max_beta ? std * std : max_beta;
    }
    return DiscreteSchedule<T>::from_betas(betas);
  }

 private:
  EMBER_HOST_DEVICE T angle(T t) const { return (T(1) - t) / (T(1) + offset_) * (std::numbers::pi_v<T> / T(2)); }

  T offset_;
  T beta_cap_;
  T sin_v0_ = T(1);
};

}  // namespace ember
