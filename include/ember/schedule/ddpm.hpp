#pragma once
/// @file
/// @brief DDPM's discrete linear betas (Ho et al. 2020): β = linspace(1e-4, 0.02, 1000), ᾱ = ∏(1 − β).
///
/// @code
/// auto schedule = ember::ddpm_linear<float>();        // 1000 steps, an ember::DiscreteSchedule
/// float abar = schedule.alpha_bar(1000);               // ≈ 4.04e-5
/// @endcode

#include <cmath>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/schedule/discrete.hpp"

namespace ember {

/// @brief The table linspace(beta_start, beta_end, steps) (both ends included), in double.
/// @pre steps ≥ 2, 0 < beta_start < beta_end < 1. @throws ember::invalid_argument.
inline std::vector<double> ddpm_linear_betas(Index steps = 1000, double beta_start = 1e-4, double beta_end = 0.02) {
  constexpr const char* fn = "ember::ddpm_linear_betas";
  detail::require(steps >= 2, fn, "steps", steps, "must be >= 2");
  detail::require(std::isfinite(beta_start) && beta_start > 0.0, fn, "beta_start", beta_start, "must be finite and > 0");
  detail::require(std::isfinite(beta_end) && beta_end > beta_start && beta_end < 1.0, fn, "beta_end", beta_end,
                  "must lie in (beta_start, 1) with beta_start = " + detail::describe(beta_start));
  std::vector<double> betas(static_cast<std::size_t>(steps));
  for (Index k = 0; k < steps; ++k)
    betas[static_cast<std::size_t>(k)] =
        beta_start + (beta_end - beta_start) * static_cast<double>(k) / static_cast<double>(steps - 1);
  return betas;
}

/// @brief DDPM's linear schedule as an ember::DiscreteSchedule (grid index i at t = i / steps).
template <Scalar T>
DiscreteSchedule<T> ddpm_linear(Index steps = 1000, double beta_start = 1e-4, double beta_end = 0.02) {
  return DiscreteSchedule<T>::from_betas(ddpm_linear_betas(steps, beta_start, beta_end));
}

}  // namespace ember
