#pragma once
/// @file
/// @brief The noise levels of diffusion recovery likelihood (Gao et al. 2021) and their Langevin step sizes.
///
/// The DDPM betas β_0..β_{n−1} (linspace(1e-4, 0.02, 1000)) are grouped at boundaries b_0 < … < b_L
/// (default [0, 100, 200, 300, 400, 500, 999]): a_0 = ∏_{k ≤ b_0} √(1 − β_k), a_i = ∏_{b_{i−1} < k ≤ b_i} √(1 − β_k),
/// σ_i = √(1 − a_i²). The defaults give a = .99995, .94617, .85629, .77480, .70092, .63396, .02278.
/// The original code appends β = 1 after the table; with boundaries below n it never enters a group, and a
/// boundary of n (which would make the top level pure noise, a = 0) is rejected here.
///
/// Levels i = 0..L: x_i = a_i x_{i−1} + σ_i ε (x_{−1} is the data); cumulatively x_i = ā_i x_data + σ̄_i ε
/// with ā_i = ∏_{k ≤ i} a_k. Sampling runs from x_L ~ N(0, I) down to level 0, drawing x_t from the
/// posterior at level t given x_{t+1}, t = L−1..0, with Langevin step² = c_t² b² σ²_{t+1}, where
/// c_t² = σ̄_t / σ̄_0 (the original code's scaling; switchable off). As an ember::Schedule (inherited from
/// ember::DiscreteSchedule with n = L + 1 steps of β = 1 − a_i²), level i sits at grid index i + 1, time
/// (i + 1)/(L + 1); time 0 is the data.
///
/// @code
/// ember::RecoveryLevels<float> levels;                  // Gao et al.'s six levels
/// ember::Vector<float> steps = levels.step_sizes(2e-4f); // per-level Langevin step sizes for b² = 2e-4
/// @endcode

#include <cmath>
#include <string>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/ddpm.hpp"
#include "ember/schedule/discrete.hpp"

namespace ember {

/// @brief Grouped DDPM noise levels; an ember::DiscreteSchedule (hence an ember::Schedule) plus
/// level-indexed accessors and the recovery-likelihood step-size rule.
template <Scalar T>
class RecoveryLevels : public DiscreteSchedule<T> {
 public:
  /// @param betas      the fine table β_0..β_{n−1}, each in (0, 1) (default: DDPM's linear 1000 betas)
  /// @param boundaries strictly increasing indices into the table, in [0, n − 1], at least two
  /// @throws ember::invalid_argument on a bad table or bad boundaries.
  explicit RecoveryLevels(const std::vector<double>& betas = ddpm_linear_betas(),
                          const std::vector<Index>& boundaries = {0, 100, 200, 300, 400, 500, 999})
      : RecoveryLevels(Grouped{level_betas(betas, boundaries)}) {}

  /// L: the index of the top level; sampling levels are t = 0..L−1 (there are L + 1 levels 0..L).
  [[nodiscard]] Index top_level() const { return this->steps() - 1; }
  /// a_i, i ∈ [0, L].
  [[nodiscard]] T a(Index i) const { return a_(check(i, "a")); }
  /// σ_i = √(1 − a_i²), i ∈ [0, L].
  [[nodiscard]] T sigma(Index i) const { return sigma_(check(i, "sigma")); }
  /// ā_i = ∏_{k ≤ i} a_k, i ∈ [0, L].
  [[nodiscard]] T a_cumulative(Index i) const { return a_cumulative_(check(i, "a_cumulative")); }
  /// σ̄_i = √(1 − ā_i²), i ∈ [0, L].
  [[nodiscard]] T sigma_cumulative(Index i) const { return sigma_cumulative_(check(i, "sigma_cumulative")); }
  /// All a_i and all σ_i (length L + 1 each).
  [[nodiscard]] const Vector<T>& as() const { return a_; }
  [[nodiscard]] const Vector<T>& sigmas() const { return sigma_; }

  /// @brief Langevin step² at sampling level t ∈ [0, L − 1]: c_t² b² σ²_{t+1}, c_t² = σ̄_t / σ̄_0 when
  /// `scale_by_level` (the original rule), else 1. @pre b_square > 0.
  [[nodiscard]] T step_size_squared(Index t, T b_square, bool scale_by_level = true) const {
    constexpr const char* fn = "ember::RecoveryLevels::step_size_squared";
    detail::require(t >= 0 && t < top_level(), fn, "t", t,
                    "must lie in [0, ", top_level() - 1, "] (a sampling level)");
    detail::require_positive(b_square, fn, "b_square");
    const T c_square = scale_by_level ? sigma_cumulative_(t) / sigma_cumulative_(0) : T(1);
    return c_square * b_square * sigma_(t + 1) * sigma_(t + 1);
  }

  /// @brief The per-level Langevin step sizes √(step²) for t = 0..L−1 (length L), for ember::AnnealedLangevin.
  [[nodiscard]] Vector<T> step_sizes(T b_square, bool scale_by_level = true) const {
    detail::require_positive(b_square, "ember::RecoveryLevels::step_sizes", "b_square");
    Vector<T> result(top_level());
    for (Index t = 0; t < top_level(); ++t) result(t) = std::sqrt(step_size_squared(t, b_square, scale_by_level));
    return result;
  }

 private:
  struct Grouped {
    std::vector<double> betas;  // the level betas 1 − a_i², in double
  };

  explicit RecoveryLevels(const Grouped& grouped) : DiscreteSchedule<T>(DiscreteSchedule<T>::from_betas(grouped.betas)) {
    const Index levels = this->steps();
    a_.resize(levels);
    sigma_.resize(levels);
    a_cumulative_.resize(levels);
    sigma_cumulative_.resize(levels);
    double log_a_cumulative = 0.0;
    for (Index i = 0; i < levels; ++i) {
      const double beta = grouped.betas[static_cast<std::size_t>(i)];
      log_a_cumulative += 0.5 * std::log1p(-beta);
      a_(i) = static_cast<T>(std::sqrt(1.0 - beta));
      sigma_(i) = static_cast<T>(std::sqrt(beta));
      a_cumulative_(i) = static_cast<T>(std::exp(log_a_cumulative));
      sigma_cumulative_(i) = static_cast<T>(std::sqrt(-std::expm1(2.0 * log_a_cumulative)));
    }
  }

  Index check(Index i, const char* member) const {
    if (i < 0 || i > top_level())
      detail::require(false, std::string("ember::RecoveryLevels::") + member, "i", i,
                      "must lie in [0, ", top_level(), "]");
    return i;
  }

  static std::vector<double> level_betas(const std::vector<double>& betas, const std::vector<Index>& boundaries) {
    constexpr const char* fn = "ember::RecoveryLevels";
    const auto n = static_cast<Index>(betas.size());
    detail::require_at_least_one(n, fn, "betas.size()");
    detail::require(boundaries.size() >= 2, fn, "boundaries.size()", boundaries.size(), "must be >= 2");
    std::vector<double> result;
    Index previous = -1;
    for (std::size_t i = 0; i < boundaries.size(); ++i) {
      const std::string argument = "boundaries[" + std::to_string(i) + "]";
      detail::require(boundaries[i] > previous, fn, argument, boundaries[i],
                      "must be > the previous boundary ", previous, " (strictly increasing, >= 0)");
      detail::require(boundaries[i] < n, fn, argument, boundaries[i],
                      "must be <= ", n - 1, " (an index into betas)");
      double log_a = 0.0;  // log a_i = ½ Σ log(1 − β_k) over the group
      for (Index k = previous + 1; k <= boundaries[i]; ++k) {
        const double beta = betas[static_cast<std::size_t>(k)];
        detail::require(std::isfinite(beta) && beta > 0.0 && beta < 1.0, fn, "betas[" + std::to_string(k) + "]",
                        beta, "must lie in (0, 1)");
        log_a += 0.5 * std::log1p(-beta);
      }
      result.push_back(-std::expm1(2.0 * log_a));  // the level's β = 1 − a_i²
      previous = boundaries[i];
    }
    return result;
  }

  Vector<T> a_;
  Vector<T> sigma_;
  Vector<T> a_cumulative_;
  Vector<T> sigma_cumulative_;
};

}  // namespace ember
