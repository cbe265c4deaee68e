#pragma once
/// @file
/// @brief A discrete variance-preserving schedule given by a table of betas, readable at grid indices and
/// at any continuous time t ∈ [0, 1].
///
/// Table: β_1, …, β_n ∈ (0, 1); ᾱ_0 = 1 (the data), ᾱ_i = ∏_{k ≤ i} (1 − β_k), x_i = √ᾱ_i x_0 + √(1 − ᾱ_i) ε.
/// Grid index i sits at time t_i = i / n. Between grid points log ᾱ is interpolated linearly in t, which is
/// the schedule whose rate β(t) = −d log ᾱ/dt = −n log(1 − β_i) is constant on ((i−1)/n, i/n]; at the grid
/// points every quantity equals the table. The products are accumulated as log(1 − β) sums in long double
/// and stored in double, whatever the scalar type.
///
/// @code
/// auto schedule = ember::DiscreteSchedule<float>::from_betas({1e-4, 2e-4, 3e-4});
/// float abar = schedule.alpha_bar(3);   // (1 − 1e-4)(1 − 2e-4)(1 − 3e-4)
/// @endcode

#include <cmath>
#include <string>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/detail/checked_schedule.hpp"
#include "ember/schedule/schedule.hpp"

namespace ember {

/// @brief A table of betas as an ember::Schedule (host only: it owns its table).
template <Scalar T>
class DiscreteSchedule : public detail::CheckedSchedule<DiscreteSchedule<T>, T> {
 public:
  static constexpr const char* name = "ember::DiscreteSchedule";

  /// @brief From β_1..β_n. @pre n ≥ 1, every β ∈ (0, 1) and finite. @throws ember::invalid_argument.
  static DiscreteSchedule from_betas(const std::vector<double>& betas) {
    constexpr const char* fn = "ember::DiscreteSchedule::from_betas";
    detail::require_at_least_one(betas.size(), fn, "betas.size()");
    std::vector<double> log_one_minus(betas.size());
    for (std::size_t k = 0; k < betas.size(); ++k) {
      detail::require(std::isfinite(betas[k]) && betas[k] > 0.0 && betas[k] < 1.0, fn,
                      "betas[" + std::to_string(k) + "]", betas[k], "must lie in (0, 1)");
      log_one_minus[k] = std::log1p(-betas[k]);
    }
    return DiscreteSchedule(log_one_minus);
  }

  /// @brief From ᾱ_1..ᾱ_n (ᾱ_0 = 1 is implied). @pre strictly decreasing, in (0, 1).
  static DiscreteSchedule from_alpha_bars(const std::vector<double>& alpha_bars) {
    constexpr const char* fn = "ember::DiscreteSchedule::from_alpha_bars";
    detail::require_at_least_one(alpha_bars.size(), fn, "alpha_bars.size()");
    std::vector<double> log_one_minus(alpha_bars.size());
    double previous = 1.0;
    for (std::size_t k = 0; k < alpha_bars.size(); ++k) {
      const std::string argument = "alpha_bars[" + std::to_string(k) + "]";
      detail::require(std::isfinite(alpha_bars[k]) && alpha_bars[k] > 0.0, fn, argument, alpha_bars[k],
                      "must be finite and > 0");
      detail::require(alpha_bars[k] < previous, fn, argument, alpha_bars[k],
                      "the table must be strictly decreasing (and below 1): the previous entry is " +
                          detail::describe(previous));
      log_one_minus[k] = std::log(alpha_bars[k]) - std::log(previous);
      previous = alpha_bars[k];
    }
    return DiscreteSchedule(log_one_minus);
  }

  /// Number of steps n of the table (grid indices 0..n).
  [[nodiscard]] Index steps() const { return static_cast<Index>(log_one_minus_beta_.size()); }
  /// β_i for i ∈ [1, n].
  [[nodiscard]] T discrete_beta(Index i) const {
    require_index(i, 1, "discrete_beta");
    return static_cast<T>(-std::expm1(log_one_minus_beta_[static_cast<std::size_t>(i - 1)]));
  }
  /// ᾱ_i for i ∈ [0, n] (ᾱ_0 = 1).
  [[nodiscard]] T alpha_bar(Index i) const {
    require_index(i, 0, "alpha_bar");
    return static_cast<T>(alpha_bar_[static_cast<std::size_t>(i)]);
  }
  /// The time t_i = i / n of grid index i ∈ [0, n].
  [[nodiscard]] T time_of(Index i) const {
    require_index(i, 0, "time_of");
    return static_cast<T>(static_cast<double>(i) / static_cast<double>(steps()));
  }

  /// α(t) = √ᾱ(t). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] T mean_coefficient_unchecked(T t) const { return static_cast<T>(std::exp(0.5 * log_alpha_bar_at(t))); }
  /// σ(t)² = 1 − ᾱ(t) (via expm1). @pre t ∈ [0, 1] (unchecked).
  [[nodiscard]] T variance_unchecked(T t) const { return static_cast<T>(-std::expm1(log_alpha_bar_at(t))); }
  /// The piecewise-constant rate −n log(1 − β_i) of the interval holding t (the first interval at t = 0).
  [[nodiscard]] T beta_unchecked(T t) const {
    return static_cast<T>(-static_cast<double>(steps()) * log_one_minus_beta_[interval(t)]);
  }
  /// @pre 0 ≤ s ≤ t ≤ 1 (unchecked).
  [[nodiscard]] Transition<T> transition_unchecked(T s, T t) const {
    const double difference = log_alpha_bar_at(t) - log_alpha_bar_at(s);  // ≤ 0
    return {static_cast<T>(std::exp(0.5 * difference)), static_cast<T>(std::sqrt(-std::expm1(difference)))};
  }

 private:
  explicit DiscreteSchedule(const std::vector<double>& log_one_minus_beta)
      : log_one_minus_beta_(log_one_minus_beta),
        log_alpha_bar_(log_one_minus_beta.size() + 1, 0.0),
        alpha_bar_(log_one_minus_beta.size() + 1, 1.0) {
    long double sum = 0;  // extended precision: ᾱ_n carries one rounding, not n
    for (std::size_t k = 0; k < log_one_minus_beta_.size(); ++k) {
      sum += static_cast<long double>(log_one_minus_beta_[k]);
      log_alpha_bar_[k + 1] = static_cast<double>(sum);
      alpha_bar_[k + 1] = static_cast<double>(std::exp(sum));
    }
  }

  void require_index(Index i, Index first, const char* member) const {
    if (i >= first && i <= steps()) return;
    detail::require(false, std::string(name) + "::" + member, "i", i,
                    "must lie in [", first, ", ", steps(), "]");
  }
  // Index of the interval ((k)/n, (k+1)/n] holding t, in [0, n − 1].
  [[nodiscard]] std::size_t interval(T t) const {
    const double position = static_cast<double>(t) * static_cast<double>(steps());
    const double k = std::ceil(position) - 1.0;
    return static_cast<std::size_t>(k < 0.0 ? 0.0 : (k > static_cast<double>(steps() - 1) ? static_cast<double>(steps() - 1) : k));
  }
  [[nodiscard]] double log_alpha_bar_at(T t) const {
    const double position = static_cast<double>(t) * static_cast<double>(steps());
    const std::size_t k = interval(t);
    const double fraction = position - static_cast<double>(k);  // in [0, 1]
    return log_alpha_bar_[k] + fraction * log_one_minus_beta_[k];
  }

  std::vector<double> log_one_minus_beta_;  // log(1 − β_k), k = 1..n (stored 0-based)
  std::vector<double> log_alpha_bar_;       // log ᾱ_i, i = 0..n
  std::vector<double> alpha_bar_;           // ᾱ_i, i = 0..n
};

}  // namespace ember
