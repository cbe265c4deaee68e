#pragma once
/// @file
/// @brief ember::NoiseConditionalScoreMatching (Song & Ermon 2019): denoising score matching at every noise scale
/// σ ∈ [σ_min, σ_max] with one time-conditioned energy, and its annealed Langevin sampler.
///
/// Why: score matching at one small σ learns the score where the data are and nothing between separated modes,
/// so the relative weights of modes apart are not identified — a Gaussian mixture's score near each component is
/// the same whatever the weights (Wenliang & Kanagawa 2020). At a σ comparable to the gaps the noised modes
/// overlap and the weights are in the score. Each example draws σ log-uniformly, σ = σ_min (σ_max/σ_min)^u with
/// u ~ U(0, 1), and the energy is evaluated at the time t = u (0: the smallest noise, 1: the largest). The loss is
/// λ(σ) = σ²-weighted so that every scale contributes O(1) (Song & Ermon's choice):
///   L(θ) = mean_i ‖σᵢ∇ₓE(x̃ᵢ, tᵢ) − εᵢ‖²,  x̃ᵢ = xᵢ + σᵢεᵢ,
/// with the θ-gradient one mixed product, ∇θ Σᵢ⟨∇ₓE(x̃ᵢ, tᵢ), vᵢ⟩ with vᵢ = 2σᵢ(σᵢ∇ₓE(x̃ᵢ, tᵢ) − εᵢ)/N.
/// Its samples come from annealed Langevin (`annealed_sampler`): from N(0, σ_max² I), K ULA steps at each of L
/// geometric levels σ_max … σ_min with steps ε (σₗ/σ_min)², so that the weights the large scales learned carry
/// down to the small ones. The energy at t = 0 is the model of the data blurred by σ_min; like single-scale DSM it
/// is not guaranteed the weights of far-apart modes (nothing ties its level to the others' but the shared network).
///
/// @code
/// ember::NoiseConditionalScoreMatching<float> ncsm({.sigma_min = 0.1f, .sigma_max = 3.0f});
/// auto result = ncsm.estimate(model, batch, rng);   // model: a time-conditioned energy (ember::TimeConditionedMlp)
/// auto sampler = ncsm.annealed_sampler(10, 0.005f, {.steps_per_level = 10});
/// ember::Batch<float> draws(64, 2);
/// rng.draw().normal<float>(draws, 0);
/// draws *= ncsm.settings().sigma_max;               // x ~ N(0, σ_max² I)
/// sampler.step(model, draws, rng);                  // levels σ_max … σ_min, 10 ULA steps each
/// @endcode

#include <cmath>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/mcmc/annealed.hpp"

namespace ember {

/// Settings of ember::NoiseConditionalScoreMatching (aggregate; designated initialisers welcome).
template <Scalar T>
struct NcsmSettings {
  T sigma_min = T(0.1);  ///< the smallest noise scale, at time 0 (> 0)
  T sigma_max = T(3);    ///< the largest, at time 1 (≥ sigma_min; of the order of the largest distance in the data)
  /// Noise each point twice, x + σε and x − σε at the same σ and t (as ember::DsmSettings::antithetic): the terms of
  /// the loss odd in ε cancel within a pair, and at small σ they carry most of the gradient's noise.
  bool antithetic = false;
};

/// @brief Denoising score matching over a continuum of noise scales with a time-conditioned energy.
template <Scalar T>
class NoiseConditionalScoreMatching {
 public:
  using scalar_type = T;

  /// @pre 0 < sigma_min ≤ sigma_max, both finite.
  explicit NoiseConditionalScoreMatching(NcsmSettings<T> settings = {}) : settings_(settings) {
    constexpr const char* fn = "ember::NoiseConditionalScoreMatching";
    detail::require_positive(settings.sigma_min, fn, "sigma_min");
    detail::require(std::isfinite(settings.sigma_max) && settings.sigma_max >= settings.sigma_min, fn, "sigma_max",
                    settings.sigma_max, "must be finite and >= sigma_min = ", settings.sigma_min);
  }

  /// The noise scale at time t ∈ [0, 1]: σ_min (σ_max/σ_min)^t.
  [[nodiscard]] T sigma_at(T t) const {
    return settings_.sigma_min * std::pow(settings_.sigma_max / settings_.sigma_min, t);
  }

  /// @brief One estimate: one draw for the scales, one for the noise. `data` is not modified.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(TimeConditionedEnergy<E>, "ember::NoiseConditionalScoreMatching::estimate: the energy must model "
                                            "ember::TimeConditionedEnergy (one network for every noise scale).");
    static_assert(requires(const E& e, BatchView<T> x, VectorView<T> t, VectorRef<T> g) {
      e.accumulate_mixed_gradient(x, t, x, g);
    }, "ember::NoiseConditionalScoreMatching::estimate: the loss contains the x-gradient of the energy, so its "
       "gradient needs accumulate_mixed_gradient(x, t, v, g) (ember::TimeConditionedMlp has it).");
    static_assert(HasScalarType<E, T>, "ember::NoiseConditionalScoreMatching::estimate: the energy's scalar_type "
                                       "must match the estimator's.");
    constexpr const char* fn = "ember::NoiseConditionalScoreMatching::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    const Index n = data.rows(), d = data.cols();
    const Index rows = settings_.antithetic ? 2 * n : n;  // the noised points: x + σε (then x − σε)
    times_.resize(rows);
    rng.draw().template uniform<T>(BatchRef<T>(times_.head(n)), 0);
    if (settings_.antithetic) times_.tail(n) = times_.head(n);
    sigma_ = (std::log(settings_.sigma_max / settings_.sigma_min) * times_.array()).exp() * settings_.sigma_min;
    noise_.resize(rows, d);
    rng.draw().template normal<T>(BatchRef<T>(noise_.topRows(n)), 0);  // Philox: by (row, column), any stride
    if (settings_.antithetic) noise_.bottomRows(n) = -noise_.topRows(n);
    noisy_.resize(rows, d);
    noisy_.topRows(n) = data;
    if (settings_.antithetic) noisy_.bottomRows(n) = data;
    noisy_ += (noise_.array().colwise() * sigma_.array()).matrix();
    energy_.resize(rows);
    score_.resize(rows, d);
    energy.energy_and_gradient(noisy_, times_, energy_, score_);
    detail::check_numerics(score_, fn, "the x-gradient of the energy");
    detail::check_numerics(energy_, fn, "the energy of the noised data");
    residual_ = (score_.array().colwise() * sigma_.array()).matrix() - noise_;  // σ∇ₓE − ε
    EstimatorResult<T> result;
    result.gradient = Vector<T>::Zero(energy.params().size());
    result.loss = residual_.squaredNorm() / static_cast<T>(rows);
    result.negative_energy = energy_.mean();
    positive_.resize(n);
    energy.energy(data, times_.head(n), positive_);
    result.positive_energy = positive_.mean();
    residual_ = (residual_.array().colwise() * (T(2) / static_cast<T>(rows) * sigma_.array())).matrix();
    energy.accumulate_mixed_gradient(noisy_, times_, residual_, result.gradient);
    return result;
  }

  /// @brief Song & Ermon's sampler for this model: L geometric levels σₗ = σ_min (σ_max/σ_min)^(l/(L−1)) at times
  /// l/(L−1), ULA steps εₗ = step (σₗ/σ_min)² (the smallest level's step is `step`), run from level L−1 down to 0.
  /// @pre levels ≥ 1 (one level: σ_min alone), step > 0.
  [[nodiscard]] AnnealedLangevin<T> annealed_sampler(Index levels, T step,
                                                     AnnealedLangevinSettings<T> settings = {}) const {
    constexpr const char* fn = "ember::NoiseConditionalScoreMatching::annealed_sampler";
    detail::require_at_least_one(levels, fn, "levels");
    detail::require_positive(step, fn, "step");
    Vector<T> times(levels), steps(levels);
    for (Index l = 0; l < levels; ++l) {
      times(l) = levels == 1 ? T(0) : static_cast<T>(l) / static_cast<T>(levels - 1);
      const T ratio = sigma_at(times(l)) / settings_.sigma_min;
      steps(l) = step * ratio * ratio;
    }
    return AnnealedLangevin<T>(std::move(times), std::move(steps), settings);
  }

  [[nodiscard]] const NcsmSettings<T>& settings() const { return settings_; }
  /// The noised data x̃, their times and scales of the last estimate (2N rows with antithetic noise: x + σε, then
  /// x − σε).
  [[nodiscard]] const Batch<T>& noisy() const { return noisy_; }
  [[nodiscard]] const Vector<T>& times() const { return times_; }
  [[nodiscard]] const Vector<T>& sigmas() const { return sigma_; }

 private:
  NcsmSettings<T> settings_;
  Vector<T> times_;  // u, the time of each example
  Vector<T> sigma_;  // σ = σ_min (σ_max/σ_min)^u
  Batch<T> noise_;   // ε
  Batch<T> noisy_;   // x + σε
  Batch<T> score_;   // ∇ₓE(x̃, t)
  Batch<T> residual_;
  Vector<T> energy_;    // E(x̃, t)
  Vector<T> positive_;  // E(x, t)
};

}  // namespace ember
