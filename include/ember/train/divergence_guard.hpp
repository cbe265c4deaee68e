#pragma once
/// @file
/// @brief ember::DivergenceGuard: stops a blowing-up training run at the first update whose energies or
/// parameter gradient leave a band set by the run's own first update, and says which quantity left it.
///
/// ember::train already stops on NaN/Inf; a run that explodes (the negatives' energy climbing from ~1 to 10¹²
/// in a few hundred updates) stays finite long enough to be reported as a number. The guard is a progress
/// callback (or is called from one): each report's |mean E⁺|, |mean E⁻| and ‖∇θ‖ are compared with
/// `limits.energy × s_E` and `limits.gradient_norm × s_g`, where the scales s_E = max(1, |E⁺₁|, |E⁻₁|) and
/// s_g = max(1, ‖∇θ‖₁) are those of the first report it sees, so that one default fits data of any scale.
/// A quantity beyond its limit throws ember::training_diverged (an ember::numerical_error) naming the
/// iteration, the quantity and its value; `peak_energy()` and `peak_gradient_norm()` (relative to the
/// scales) say how close a completed run came.
///
/// @code
/// ember::DivergenceGuard guard({.energy = 1e4, .gradient_norm = 1e4});
/// ember::train(estimator, energy, adam, data, {.iterations = 2000}, [&](const ember::TrainProgress& p) { guard(p); });
/// @endcode

#include <algorithm>
#include <cmath>
#include <string>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/train/trainer.hpp"

namespace ember {

/// Settings of ember::DivergenceGuard (aggregate). A limit is a multiple of the first report's scale; 0: off.
struct DivergenceLimits {
  double energy = 1e4;         ///< |mean E±| > energy × max(1, |E⁺₁|, |E⁻₁|) stops the run
  double gradient_norm = 1e4;  ///< ‖∇θ‖ > gradient_norm × max(1, ‖∇θ‖₁) stops the run
};

/// @brief A progress callback that throws ember::training_diverged when a run explodes (see the file comment).
class DivergenceGuard {
 public:
  /// @pre each limit finite and ≥ 0
  explicit DivergenceGuard(DivergenceLimits limits = {}) : limits_(limits) {
    constexpr const char* fn = "ember::DivergenceGuard";
    detail::require(std::isfinite(limits.energy) && limits.energy >= 0, fn, "limits.energy", limits.energy,
                    "must be finite and >= 0 (0 disables it)");
    detail::require(std::isfinite(limits.gradient_norm) && limits.gradient_norm >= 0, fn, "limits.gradient_norm",
                    limits.gradient_norm, "must be finite and >= 0 (0 disables it)");
  }

  /// Checks one report; the first report sets the scales (and is checked against them too).
  void operator()(const TrainProgress& p) {
    if (!started_) {
      started_ = true;
      energy_scale_ = std::max({1.0, std::abs(p.positive_energy), std::abs(p.negative_energy)});
      gradient_scale_ = std::max(1.0, std::abs(p.gradient_norm));
    }
    check(p, "E+", "the mean energy of the data", p.positive_energy, limits_.energy, energy_scale_, peak_energy_);
    check(p, "E-", "the mean energy of the negatives", p.negative_energy, limits_.energy, energy_scale_,
          peak_energy_);
    check(p, "|grad|", "the parameter gradient norm", p.gradient_norm, limits_.gradient_norm, gradient_scale_,
          peak_gradient_);
  }

  /// The largest |mean E±| seen, divided by the energy scale (0 before the first report).
  [[nodiscard]] double peak_energy() const { return peak_energy_; }
  /// The largest ‖∇θ‖ seen, divided by the gradient scale (0 before the first report).
  [[nodiscard]] double peak_gradient_norm() const { return peak_gradient_; }
  [[nodiscard]] const DivergenceLimits& limits() const { return limits_; }

 private:
  void check(const TrainProgress& p, const char* name, const char* what, double value, double limit, double scale,
             double& peak) {
    const double relative = std::abs(value) / scale;
    if (!(relative <= peak)) peak = relative;  // NaN too, so that it is never hidden
    if (limit > 0 && !(relative <= limit))
      throw training_diverged(p.iteration, name, value,
                              "ember::DivergenceGuard: iteration " + std::to_string(p.iteration) + ": " + what +
                                  " = " + detail::describe(value) + " exceeds " + detail::describe(limit) +
                                  " x its first-update scale " + detail::describe(scale) + " (the run is diverging)");
  }

  DivergenceLimits limits_;
  bool started_ = false;
  double energy_scale_ = 1, gradient_scale_ = 1;
  double peak_energy_ = 0, peak_gradient_ = 0;
};

}  // namespace ember
