#pragma once
/// @file
/// @brief ember::DiffusionContrastiveDivergence (Luo et al. 2023): negatives from a θ-free noise kernel's
/// posterior.
///
/// The data are diffused by q(x̃ | x) = N(a x, s² I) — VE: a = 1, s = σ; VP: s ∈ (0, 1), a = √(1 − s²)
/// (a = √ᾱ, s = √(1 − ᾱ)) — and the negatives are drawn from p_θ(x | x̃) ∝ exp(−E(x) − ‖x̃ − a x‖²/(2s²)) by K
/// kernel steps on an ember::Tether, started at x̃/a (K = 1 with ULA is the one-step estimator) or, with
/// `start = DcdStart::data`, at the datum x itself (ember's variant, not Luo et al.'s). Any kernel
/// works: ULA, MALA, HMC, or ember::GaussianPosterior, the exact sampler for a GaussianEnergy. With an exact
/// posterior sampler the mean gradient is exactly ∇θ[KL(p_d ‖ p_θ) − KL(q∘p_d ‖ q∘p_θ)] (no neglected term).
/// The noise level is fixed (noise_min = noise_max), drawn per example from [noise_min, noise_max] — uniformly, or
/// log-uniformly (uniform in log s: as many examples in [0.2, 0.4] as in [0.4, 0.8], the small levels that resolve
/// thin structure drawn more often) — or given per example (a, s) from any schedule through the second `estimate`
/// overload.
///
/// @code
/// ember::DiffusionContrastiveDivergence dcd(ember::Langevin<float>({.step_size = 0.01f}), {.noise_min = 0.3f, .noise_max = 0.3f, .steps = 5});
/// auto result = dcd.estimate(energy, batch, rng);
/// @endcode

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/energy/tether.hpp"

namespace ember {

/// The θ-free noise kernel q(x̃ | x) of the diffusion estimators.
enum class DiffusionNoise {
  variance_exploding,  ///< x̃ = x + σε: the level is σ > 0
  variance_preserving  ///< x̃ = √(1 − s²) x + s ε: the level is s ∈ (0, 1)
};

/// Where DCD's posterior chains start.
enum class DcdStart {
  noisy,  ///< at x̃/a: the posterior's mode under a flat energy (Luo et al.)
  data    ///< at the datum x that x̃ was drawn from: a draw from the data's own posterior q(x | x̃), so a chain
          ///< that starts in p_θ(x | x̃) whenever p_θ = p_d (as CD's chains start in p_θ when it fits)
};

/// How DCD draws each example's noise level from [noise_min, noise_max].
enum class NoiseLevelDraw {
  uniform,     ///< s = s_min + (s_max − s_min) u
  log_uniform  ///< s = s_min (s_max / s_min)^u: uniform in log s
};

/// Settings of DCD (aggregate; designated initialisers welcome).
template <Scalar T>
struct DcdSettings {
  DiffusionNoise noise = DiffusionNoise::variance_preserving;
  T noise_min = T(0.3);              ///< smallest level (σ for VE, s for VP)
  T noise_max = T(0.3);              ///< largest level; equal to noise_min for a fixed level
  Index steps = 1;                   ///< K ≥ 1 posterior kernel steps
  T energy_regularization = T(0);    ///< α ≥ 0: adds α·mean(E(x⁺)² + E(x⁻)²)
  DcdStart start = DcdStart::noisy;  ///< where the K posterior steps start
  NoiseLevelDraw level_draw = NoiseLevelDraw::uniform;  ///< how levels are drawn when noise_min < noise_max
};

/// @brief Diffusion contrastive divergence over any posterior kernel.
template <Scalar T, class K>
class DiffusionContrastiveDivergence {
 public:
  using scalar_type = T;

  /// @pre 0 < noise_min ≤ noise_max (< 1 for VP), steps ≥ 1.
  explicit DiffusionContrastiveDivergence(K kernel, DcdSettings<T> settings = {})
      : kernel_(std::move(kernel)), settings_(settings) {
    constexpr const char* fn = "ember::DiffusionContrastiveDivergence";
    detail::require_positive(settings.noise_min, fn, "noise_min");
    detail::require(std::isfinite(settings.noise_max) && settings.noise_max >= settings.noise_min, fn, "noise_max",
                    settings.noise_max, "must be finite and >= noise_min");
    if (settings.noise == DiffusionNoise::variance_preserving)
      detail::require(settings.noise_max < T(1), fn, "noise_max", settings.noise_max,
                      "must be < 1 for variance-preserving noise (s = sqrt(1 - alpha_bar))");
    detail::require_at_least_one(settings.steps, fn, "steps");
    detail::require_non_negative(settings.energy_regularization, fn, "energy_regularization");
  }

  /// @brief One estimate with levels from the settings (one draw for the levels when they vary, one for the
  /// diffusion noise, then the kernel's draws). `data` is not modified.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    const Index n = data.rows();
    detail::require(n > 0, "ember::DiffusionContrastiveDivergence::estimate", "data",
                    detail::shape_of(data.rows(), data.cols()), "the batch is empty");
    level_.resize(n);
    if (settings_.noise_max > settings_.noise_min) {
      rng.draw().template uniform<T>(level_, 0);
      if (settings_.level_draw == NoiseLevelDraw::log_uniform)
        level_ = settings_.noise_min * (std::log(settings_.noise_max / settings_.noise_min) * level_.array()).exp();
      else
        level_ = settings_.noise_min + (settings_.noise_max - settings_.noise_min) * level_.array();
    } else {
      level_.setConstant(settings_.noise_min);
    }
    a_.resize(n);
    if (settings_.noise == DiffusionNoise::variance_exploding) {
      a_.setOnes();
    } else {
      a_ = (T(1) - level_.array().square()).sqrt();
    }
    return estimate(energy, data, a_, level_, rng);
  }

  /// @brief One estimate with per-example coefficients: x̃ᵢ = aᵢ xᵢ + sᵢ εᵢ (a from any schedule).
  /// @pre a, s of length N, finite and > 0.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, VectorView<T> a, VectorView<T> s, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(ParametricEnergy<E>, "ember::DiffusionContrastiveDivergence::estimate: the energy must model "
                                       "ember::ParametricEnergy.");
    static_assert(HasScalarType<E, T>, "ember::DiffusionContrastiveDivergence::estimate: "
                                       "the energy's scalar_type must match the estimator's.");
    static_assert(Kernel<K, Tether<E>, G>, "ember::DiffusionContrastiveDivergence::estimate: the kernel must model "
                                           "ember::Kernel for the tethered posterior ember::Tether<E>.");
    constexpr const char* fn = "ember::DiffusionContrastiveDivergence::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    detail::require_shape(a, data.rows(), 1, fn, "a");
    detail::require_shape(s, data.rows(), 1, fn, "s");
    noisy_.resize(data.rows(), data.cols());
    rng.draw().template normal<T>(noisy_, 0);
    noisy_ = (noisy_.array().colwise() * s.array()).matrix();
    noisy_ += (data.array().colwise() * a.array()).matrix();
    const Tether<E> posterior(energy, noisy_, a, s);  // checks a, s > 0
    if (settings_.start == DcdStart::data)
      negatives_ = data;
    else
      negatives_ = noisy_.array().colwise() / a.array();
    EstimatorResult<T> result;
    result.acceptance = detail::run_kernel<T>(kernel_, posterior, BatchRef<T>(negatives_), rng, settings_.steps);
    skeleton_.accumulate(energy, data, negatives_, result, settings_.energy_regularization,
                         pool_of(kernel_));
    return result;
  }

  [[nodiscard]] K& kernel() { return kernel_; }
  [[nodiscard]] const DcdSettings<T>& settings() const { return settings_; }
  /// The diffused data x̃ and the negatives of the last estimate.
  [[nodiscard]] const Batch<T>& noisy() const { return noisy_; }
  [[nodiscard]] const Batch<T>& negatives() const { return negatives_; }

 private:
  K kernel_;
  DcdSettings<T> settings_;
  Contrastive<T> skeleton_;
  Vector<T> level_;
  Vector<T> a_;
  Batch<T> noisy_;
  Batch<T> negatives_;
};

template <class K>
DiffusionContrastiveDivergence(K) -> DiffusionContrastiveDivergence<typename K::scalar_type, K>;
template <class K>
DiffusionContrastiveDivergence(K, DcdSettings<typename K::scalar_type>)
    -> DiffusionContrastiveDivergence<typename K::scalar_type, K>;

}  // namespace ember
