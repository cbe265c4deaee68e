#pragma once
/// @file
/// @brief ember::DenoisingScoreMatching (Vincent 2011): match ∇ₓE to the noise kernel's score.
///
/// Sign convention: ember energies have ∇ₓE = −∇ₓ log p (the score is −∇ₓE). With x̃ = x + σε, the score of
/// q(x̃ | x) is −(x̃ − x)/σ², so the loss is
///   L(θ) = mean_i ‖∇ₓE(x̃ᵢ) − (x̃ᵢ − xᵢ)/σ²‖²
/// and its gradient is one mixed product: ∇θL = ∇θ Σᵢ⟨∇ₓE(x̃ᵢ), vᵢ⟩ with vᵢ = 2(∇ₓE(x̃ᵢ) − (x̃ᵢ − xᵢ)/σ²)/N.
/// No negatives: `negative_energy` reports mean E(x̃) (the noised points) and `positive_energy` mean E(x).
/// At one small σ the loss sees the score only near the data: the relative weights of modes separated by low
/// density are not identified (Wenliang & Kanagawa 2020). ember::NoiseConditionalScoreMatching trains every scale
/// up to one where the modes overlap, and samples by annealed Langevin.
///
/// Weighting: `weighting = DsmWeighting::sigma_squared` multiplies the loss by λ(σ) = σ² (Song & Ermon 2019;
/// Ho et al. 2020's ε-prediction loss), L = mean_i ‖σ∇ₓE(x̃ᵢ) − εᵢ‖², so the target and the gradient stay O(1)
/// as σ → 0 instead of growing as 1/σ²; `none` (the default) is Vincent's unweighted loss above.
///
/// Antithetic noise: `antithetic = true` noises every point twice, x + σε and x − σε, and averages the loss over
/// both. The estimate's mean is unchanged (−ε has ε's law), but every term of the loss that is odd in ε cancels
/// within a pair. At small σ those terms carry the estimate's noise: with ∇ₓE(x̃) ≈ ∇ₓE(x) + σ∇²ₓE(x)ε, the cross
/// term −2⟨∇ₓE(x), ε⟩/σ has variance O(1/σ²) against a signal of O(1); a pair removes it exactly for a quadratic
/// energy and to O(σ) otherwise. It costs two energy evaluations per point and draws the same ε as without.
///
/// @code
/// ember::DenoisingScoreMatching<double> dsm({.noise_scale = 0.1, .weighting = ember::DsmWeighting::sigma_squared});
/// auto result = dsm.estimate(energy, batch, rng);   // result.loss is the DSM loss
/// @endcode

#include <cmath>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"

namespace ember {

/// The weight λ(σ) of DSM's loss.
enum class DsmWeighting {
  none,          ///< λ = 1: ‖∇ₓE(x̃) − (x̃ − x)/σ²‖² (Vincent 2011)
  sigma_squared  ///< λ = σ²: ‖σ∇ₓE(x̃) − ε‖², of order 1 whatever σ
};

/// Settings of DSM.
template <Scalar T>
struct DsmSettings {
  T noise_scale = T(0.1);                     ///< σ > 0
  DsmWeighting weighting = DsmWeighting::none;  ///< λ(σ)
  bool antithetic = false;                    ///< noise each point with ε and with −ε (see above)
};

/// @brief Denoising score matching with Gaussian noise of scale σ.
template <Scalar T>
class DenoisingScoreMatching {
 public:
  using scalar_type = T;

  /// @pre noise_scale > 0.
  explicit DenoisingScoreMatching(DsmSettings<T> settings = {}) : settings_(settings) {
    detail::require_positive(settings.noise_scale, "ember::DenoisingScoreMatching", "noise_scale");
  }

  /// @brief One estimate (one noise draw per point, or an antithetic pair). `data` is not modified.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(MixedGradientEnergy<E>, "ember::DenoisingScoreMatching::estimate: the energy must model "
                                          "ember::MixedGradientEnergy: score matching's loss contains ∇ₓE, so its "
                                          "gradient needs accumulate_mixed_gradient(x, v, g) (CD, PCD and DCD do not).");
    static_assert(HasScalarType<E, T>, "ember::DenoisingScoreMatching::estimate: the "
                                       "energy's scalar_type must match the estimator's.");
    constexpr const char* fn = "ember::DenoisingScoreMatching::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    const Index n = data.rows(), d = data.cols();
    const T sigma = settings_.noise_scale;
    const Index rows = settings_.antithetic ? 2 * n : n;  // the noised points: x + σε (then x − σε)
    noise_.resize(rows, d);
    rng.draw().template normal<T>(BatchRef<T>(noise_.topRows(n)), 0);  // Philox: by (row, column), any stride
    if (settings_.antithetic) noise_.bottomRows(n) = -noise_.topRows(n);
    noisy_.resize(rows, d);
    noisy_.topRows(n) = data + sigma * noise_.topRows(n);
    if (settings_.antithetic) noisy_.bottomRows(n) = data + sigma * noise_.bottomRows(n);
    energy_.resize(rows);
    score_.resize(rows, d);
    energy.energy_and_gradient(noisy_, energy_, score_);
    detail::check_numerics(score_, fn, "the x-gradient of the energy");
    detail::check_numerics(energy_, fn, "the energy of the noised data");
    residual_ = score_ - noise_ / sigma;  // (x̃ − x)/σ² = ε/σ
    const T weight = settings_.weighting == DsmWeighting::sigma_squared ? sigma * sigma : T(1);
    EstimatorResult<T> result;
    result.gradient = Vector<T>::Zero(energy.params().size());
    result.loss = weight * residual_.squaredNorm() / static_cast<T>(rows);
    result.negative_energy = energy_.mean();
    positive_.resize(n);
    energy.energy(data, positive_);
    result.positive_energy = positive_.mean();
    residual_ *= T(2) * weight / static_cast<T>(rows);
    energy.accumulate_mixed_gradient(noisy_, residual_, result.gradient);
    return result;
  }

  [[nodiscard]] const DsmSettings<T>& settings() const { return settings_; }
  /// The noised data x̃ of the last estimate (2N rows with antithetic noise: x + σε, then x − σε).
  [[nodiscard]] const Batch<T>& noisy() const { return noisy_; }

 private:
  DsmSettings<T> settings_;
  Batch<T> noise_;  // the noise of each noised point: ε (then −ε)
  Batch<T> noisy_;
  Batch<T> score_;
  Batch<T> residual_;
  Vector<T> energy_;    // E(x̃)
  Vector<T> positive_;  // E(x)
};

}  // namespace ember
