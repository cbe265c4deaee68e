#pragma once
/// @file
/// @brief Annealed importance sampling (Neal 2001): log Z of an energy from a Gaussian base N(0, σ²I) along
/// the geometric path, with any MCMC kernel (MALA, HMC, ULA) as the transitions.
///
/// Path: E_β(x) = (1 − β) ‖x‖²/(2σ²) + β E(x), β₀ = 0 < β₁ < … < β_M = 1 (linear by default, or given).
/// Each chain starts from the base, exactly; at level m its log weight gains (β_m − β_{m−1})(E₀(x) − E(x))
/// at the current state, then `transitions_per_level` kernel steps target E_{β_m}. The estimate is
/// log Z = log Z₀ + log mean_i exp(log wᵢ), with log Z₀ = (d/2) log(2πσ²).
/// Standard error (delta method): with normalised weights w̃ᵢ = exp(log wᵢ − max), the standard error of
/// log Ẑ is sd(w̃)/(√n · mean(w̃)) (n chains). It is reliable when the weights are not heavy-tailed (use
/// more levels when the effective sample size n·mean(w̃)²/mean(w̃²) is far below n). Kernels without an MH
/// correction (ULA) bias the estimate by their discretisation error; MALA/HMC keep it unbiased in Z.
/// Kernel warm-up adaptation should be off (it would change the kernel between levels).
///
/// @code
/// ember::Mala<double> kernel({.step_size = 0.2});
/// auto result = ember::ais(energy, kernel, rng, {.chains = 1000, .levels = 200, .base_sigma = 2.0});
/// @endcode

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of ember::ais (aggregate; designated initialisers welcome).
template <Scalar T>
struct AisSettings {
  Index chains = 256;              ///< n ≥ 2: independent AIS chains (rows)
  Index levels = 100;              ///< M ≥ 1: intermediate distributions β₁..β_M (linear β_m = m/M)
  Index transitions_per_level = 1; ///< ≥ 1: kernel steps at each level
  T base_sigma = T(1);             ///< σ > 0 of the base N(0, σ²I)
  Vector<T> betas = {};            ///< optional increasing β₁ < … < β_M = 1 in (0, 1] (overrides `levels`)
};

/// Result of ember::ais.
template <Scalar T>
struct AisResult {
  T log_z;                ///< the estimate of log Z = log ∫ exp(−E)
  T standard_error;       ///< its delta-method standard error
  T log_z_base;           ///< log Z₀ of the base
  T effective_sample_size;///< n·mean(w̃)²/mean(w̃²) of the final weights
  Vector<T> log_weights;  ///< per-chain log wᵢ (log Z = log Z₀ + logmeanexp)
  Batch<T> samples;       ///< the final states (approximate samples of exp(−E))
};

namespace detail {

/// The geometric path E_β = (1 − β)‖x‖²/(2σ²) + β E as an ember::Energy (workspace is reused).
template <class E>
class GeometricPath {
 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;
  GeometricPath(const E& target, T sigma) : target_(&target), inverse_variance_(T(1) / (sigma * sigma)) {}
  void set_beta(T beta) { beta_ = beta; }
  [[nodiscard]] Index dim() const { return target_->dim(); }
  void energy(BatchView<T> x, VectorRef<T> e) const {
    e_.resize(x.rows());
    target_->energy(x, e_);
    e = (T(1) - beta_) * T(0.5) * inverse_variance_ * x.rowwise().squaredNorm() + beta_ * e_;
  }
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    e_.resize(x.rows());
    target_->energy_and_gradient(x, e_, g);
    e = (T(1) - beta_) * T(0.5) * inverse_variance_ * x.rowwise().squaredNorm() + beta_ * e_;
    g = beta_ * g + ((T(1) - beta_) * inverse_variance_) * x;
  }

 private:
  const E* target_;
  T inverse_variance_;
  T beta_ = T(0);
  mutable Vector<T> e_;
};

}  // namespace detail

namespace detail {

/// The checked β path of `settings`: the given increasing β₁ < … < β_M = 1, or β_m = m/M.
template <Scalar T>
Vector<T> ais_betas(const AisSettings<T>& settings, const char* fn) {
  detail::require(settings.chains >= 2, fn, "settings.chains", settings.chains, "must be >= 2");
  detail::require_at_least_one(settings.transitions_per_level, fn, "settings.transitions_per_level");
  detail::require_positive(settings.base_sigma, fn, "settings.base_sigma");
  Vector<T> betas = settings.betas;
  if (betas.size() == 0) {
    detail::require_at_least_one(settings.levels, fn, "settings.levels");
    betas.resize(settings.levels);
    for (Index m = 0; m < settings.levels; ++m)
      betas(m) = static_cast<T>(static_cast<double>(m + 1) / static_cast<double>(settings.levels));
  } else {
    T previous = T(0);
    for (Index m = 0; m < betas.size(); ++m) {
      detail::require(betas(m) > previous && betas(m) <= T(1), fn, "settings.betas(" + std::to_string(m) + ")",
                      betas(m), "must be increasing in (0, 1], the previous being " + detail::describe(previous));
      previous = betas(m);
    }
    detail::require(betas(betas.size() - 1) == T(1), fn, "settings.betas(last)", betas(betas.size() - 1),
                    "must be 1 (the path ends at the target)");
  }
  return betas;
}

/// Runs the AIS chains that are the rows of `samples` (any number of them) along `betas`: draws their start
/// from the base N(0, σ²I), then accumulates their log weights level by level. Each chain depends only on its
/// own row and random numbers, so a block of the rows run alone gives those rows' bits (mpi/ais.hpp).
template <class E, class K, class G, class T = typename E::scalar_type>
void ais_chains(const E& energy, K& kernel, G& rng, const Vector<T>& betas, T sigma, Index transitions_per_level,
                Batch<T>& samples, Vector<T>& log_weights, const char* fn) {
  const Index n = samples.rows();
  rng.draw().template normal<T>(samples, 0);
  samples *= sigma;
  log_weights = Vector<T>::Zero(n);
  Vector<T> target_energy(n);
  GeometricPath<E> path(energy, sigma);
  T previous = T(0);
  for (Index m = 0; m < betas.size(); ++m) {
    energy.energy(samples, target_energy);
    detail::check_numerics(target_energy, fn, "the energy at a chain's state");
    const T base_energy_scale = T(0.5) / (sigma * sigma);
    log_weights += (betas(m) - previous) * (base_energy_scale * samples.rowwise().squaredNorm() - target_energy);
    previous = betas(m);
    path.set_beta(betas(m));
    for (Index k = 0; k < transitions_per_level; ++k) kernel.step(path, samples, rng);
  }
}

/// Sets log Z, its standard error and the effective sample size from `result.log_weights` (all n chains, in
/// chain order) and the base's log Z₀ for dimension d.
template <Scalar T>
void ais_estimate(AisResult<T>& result, Index d, T sigma) {
  const Index n = result.log_weights.size();
  result.log_z_base = T(0.5) * static_cast<T>(d) * std::log(T(2) * std::numbers::pi_v<T> * sigma * sigma);
  const T shift = result.log_weights.maxCoeff();
  const Vector<T> w = (result.log_weights.array() - shift).exp().matrix();
  const T mean = w.mean();
  const T mean_square = w.squaredNorm() / static_cast<T>(n);
  const T variance = (mean_square - mean * mean) * static_cast<T>(n) / static_cast<T>(n - 1);
  result.log_z = result.log_z_base + shift + std::log(mean);
  result.standard_error = std::sqrt(std::max(variance, T(0)) / static_cast<T>(n)) / mean;
  result.effective_sample_size = static_cast<T>(n) * mean * mean / mean_square;
}

}  // namespace detail

/// @brief Estimates log ∫ exp(−E(x)) dx by AIS from N(0, σ²I), with `kernel` as the MCMC transitions.
/// @tparam K a kernel for the path energy (ember::Mala, ember::Hmc, ember::Langevin, a composition)
/// @pre settings valid (see AisSettings). @throws ember::invalid_argument; ember::numerical_error when an
/// energy is NaN/Inf at a chain's state.
template <class E, class K, class G>
AisResult<typename E::scalar_type> ais(const E& energy, K& kernel, G& rng,
                                       const AisSettings<typename E::scalar_type>& settings = {}) {
  static_assert(Energy<E>, "ember::ais: the energy type must model ember::Energy.");
  static_assert(Generator<G>, "ember::ais: the generator must model ember::Generator (for example ember::Philox).");
  using T = typename E::scalar_type;
  static_assert(Kernel<K, detail::GeometricPath<E>, G>,
                "ember::ais: the kernel must model ember::Kernel for the path energy (step(energy, x, rng)).");
  constexpr const char* fn = "ember::ais";
  const Vector<T> betas = detail::ais_betas(settings, fn);
  const Index d = static_cast<Index>(energy.dim());
  AisResult<T> result;
  result.samples.resize(settings.chains, d);
  detail::ais_chains(energy, kernel, rng, betas, settings.base_sigma, settings.transitions_per_level, result.samples,
                     result.log_weights, fn);
  detail::ais_estimate(result, d, settings.base_sigma);
  return result;
}

}  // namespace ember
