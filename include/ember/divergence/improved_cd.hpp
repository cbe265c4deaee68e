#pragma once
/// @file
/// @brief ember::ImprovedContrastiveDivergence (Du et al. 2021): CD/PCD plus the KL and entropy terms.
///
/// Negatives come from K decoupled Langevin steps x_k = x_{k−1} − λ∇ₓE_θ(x_{k−1}) + σξ, started from the replay
/// buffer (or the data when `persistent` is false). Only the last step is differentiated, so the first K − 1 may
/// be any kernel (the three-argument constructor: MALA, HMC, …); by default they are the same Langevin steps.
/// Which buffer rows, as for PCD (pcd.hpp): `PcdChains::sampled` (Du et al.'s replay buffer: N rows drawn with
/// replacement, each re-initialised with the buffer's probability, the moved samples pushed back as new entries)
/// or `PcdChains::in_order` (Tieleman's persistent chains: the next N slots, written back in place, so that with
/// capacity N every chain moves at every update; needs ρ = 0). On top of the contrastive skeleton (contrastive.hpp):
/// - the KL term L_KL = mean_i E_θ̄(x_K,i), θ̄ a frozen copy of θ, whose gradient flows through the last step
///   only, with the noise held fixed: ∇θL_KL = −(λ/N) ∇θ Σᵢ⟨∇ₓE_θ(x_{K−1,i}), ∇ₓE_θ̄(x_K,i)⟩;
/// - the entropy term L_ent = −mean_i log min_j ‖x_K,i − b_j‖ against buffer samples b_j, whose gradient
///   through x_K is the same mixed product with −(λ/N)·(−(x_K,i − b*)/‖x_K,i − b*‖²);
/// - the optional energy² regulariser α·mean(E(x⁺)² + E(x⁻)²).
/// Both extra terms cost one `accumulate_mixed_gradient` call at x_{K−1} (`accumulate_improved_cd_terms`).
/// The loss reported is the CD surrogate + w_KL·L_KL + w_ent·L_ent (+ the regulariser). With gradient
/// clipping in the sampler, the last-step derivative ignores the clipping (clip 0 makes it exact).
///
/// @code
/// ember::ImprovedContrastiveDivergence icd(ember::ReplayBuffer(2, ember::UniformInit<float>{}), {.steps = 40});
/// auto result = icd.estimate(energy, batch, rng);
/// @endcode

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/replay_buffer.hpp"

namespace ember {

/// Settings of Improved CD (aggregate; designated initialisers welcome). Defaults follow Du et al.'s 2D runs.
template <Scalar T>
struct ImprovedCdSettings {
  Index steps = 40;                 ///< K ≥ 1 Langevin steps
  T gradient_step = T(0.01);        ///< λ > 0
  T noise_scale = T(0.005);         ///< σ ≥ 0
  T gradient_clip = T(0);           ///< c ≥ 0: clamp ∇E entries in the sampler (0: off)
  T kl_weight = T(1);               ///< w_KL ≥ 0
  T entropy_weight = T(0.3);        ///< w_ent ≥ 0 (needs a non-empty buffer)
  Index entropy_neighbours = 1000;  ///< number of buffer samples b_j drawn for the nearest-neighbour term, ≥ 1
  T energy_regularization = T(0);   ///< α ≥ 0
  bool persistent = true;           ///< start chains from the buffer (true) or at the data (false)
  PcdChains chains = PcdChains::sampled;  ///< with `persistent`: which buffer rows (see the file comment)
};

/// The values of the two extra terms (before weighting).
template <Scalar T>
struct ImprovedCdTerms {
  T kl = T(0);       ///< L_KL = mean E_θ̄(x_K)
  T entropy = T(0);  ///< L_ent = −mean log min_j ‖x_K,i − b_j‖ (0 without neighbours)
};

/// @brief Adds w_KL ∇θL_KL + w_ent ∇θL_ent through the last Langevin step x_K = x_{K−1} − λ∇ₓE_θ(x_{K−1}) + σξ
/// to g (one mixed-gradient call), the noise held fixed and θ̄ = θ frozen.
/// @param previous   x_{K−1} (N × d)
/// @param last       x_K (N × d)
/// @param neighbours buffer samples b_j (M × d; M = 0 disables the entropy term)
/// @param gradient_step λ
/// @return the unweighted values of both terms
template <class E, Scalar T = typename E::scalar_type>
ImprovedCdTerms<T> accumulate_improved_cd_terms(const E& energy, BatchView<T> previous, BatchView<T> last,
                                                BatchView<T> neighbours, T gradient_step, T kl_weight,
                                                T entropy_weight, VectorRef<T> g) {
  static_assert(MixedGradientEnergy<E>, "ember::accumulate_improved_cd_terms: the energy must model "
                                        "ember::MixedGradientEnergy: the terms differentiate through a Langevin step, "
                                        "so they need accumulate_mixed_gradient(x, v, g) (CD, PCD and DCD do not).");
  constexpr const char* fn = "ember::accumulate_improved_cd_terms";
  const Index n = previous.rows(), d = previous.cols();
  detail::require(n > 0, fn, "previous", detail::shape_of(n, d), "the batch is empty");
  detail::require_shape(last, n, d, fn, "last");
  detail::require_positive(gradient_step, fn, "gradient_step");
  ImprovedCdTerms<T> terms;
  Vector<T> e(n);
  Batch<T> v(n, d);
  energy.energy_and_gradient(last, e, v);  // ∇ₓE_θ̄(x_K): θ̄ = θ in value
  detail::check_numerics(v, fn, "the x-gradient of the energy at the last step");
  terms.kl = e.mean();
  v *= kl_weight;
  if (neighbours.rows() > 0 && entropy_weight != T(0)) {
    detail::require_shape(neighbours, neighbours.rows(), d, fn, "neighbours");
    const T tiny = std::numeric_limits<T>::min() / std::numeric_limits<T>::epsilon();
    T sum_log = 0;
    for (Index i = 0; i < n; ++i) {
      Index best = 0;
      const T best_d2 = (neighbours.rowwise() - last.row(i)).rowwise().squaredNorm().minCoeff(&best);
      const T d2 = std::max(best_d2, tiny);
      sum_log += T(0.5) * std::log(d2);
      // ∂L_ent/∂x_K,i = −(x_K,i − b*)/(N d²); times N (the common 1/N factor is applied below)
      v.row(i) -= entropy_weight * (last.row(i) - neighbours.row(best)) / d2;
    }
    terms.entropy = -sum_log / static_cast<T>(n);
  }
  v *= -gradient_step / static_cast<T>(n);  // ∂x_K/∂θ = −λ ∂θ∇ₓE_θ(x_{K−1})
  energy.accumulate_mixed_gradient(previous, v, g);
  return terms;
}

/// The result of Improved CD: the common fields plus the two extra terms.
template <Scalar T>
struct ImprovedCdResult : EstimatorResult<T> {
  ImprovedCdTerms<T> terms;
};

/// @brief Improved contrastive divergence with a replay buffer; a kernel of type K runs every step but the last.
template <Scalar T, class Init, class K = Langevin<T>>
class ImprovedContrastiveDivergence {
 public:
  using scalar_type = T;

  /// Du et al.'s estimator: all K steps are the decoupled Langevin steps of `settings`.
  ImprovedContrastiveDivergence(ReplayBuffer<T, Init> buffer, ImprovedCdSettings<T> settings = {})
    requires std::same_as<K, Langevin<T>>
      : ImprovedContrastiveDivergence(Langevin<T>::decoupled(settings.gradient_step, settings.noise_scale,
                                                             settings.gradient_clip),
                                      std::move(buffer), settings) {}

  /// The first K − 1 steps with `kernel` (they are not differentiated: a Metropolis-corrected kernel may take
  /// steps that ULA could not), the last with the Langevin step of `settings`.
  ImprovedContrastiveDivergence(K kernel, ReplayBuffer<T, Init> buffer, ImprovedCdSettings<T> settings = {})
      : kernel_(std::move(kernel)),
        buffer_(std::move(buffer)),
        settings_(settings),
        langevin_(Langevin<T>::decoupled(settings.gradient_step, settings.noise_scale, settings.gradient_clip)) {
    constexpr const char* fn = "ember::ImprovedContrastiveDivergence";
    detail::require_at_least_one(settings.steps, fn, "steps");
    detail::require_at_least_one(settings.entropy_neighbours, fn, "entropy_neighbours");
    for (const auto& [name, value] : {std::pair{"kl_weight", settings.kl_weight},
                                      std::pair{"entropy_weight", settings.entropy_weight},
                                      std::pair{"energy_regularization", settings.energy_regularization}})
      detail::require_non_negative(value, fn, name);
    if (settings.chains == PcdChains::in_order)
      detail::require(buffer_.settings().reinit_probability == T(0), fn, "buffer.settings().reinit_probability",
                      buffer_.settings().reinit_probability,
                      "must be 0 with PcdChains::in_order (Tieleman's chains are never re-initialised)");
  }

  /// @brief One estimate: chains from the buffer (or data), K − 1 kernel steps and one Langevin step, the three
  /// terms, then the final samples go back to the buffer (pushed, or written back in place with in-order chains).
  /// `data` is not modified.
  template <class E, class G>
  ImprovedCdResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(MixedGradientEnergy<E>, "ember::ImprovedContrastiveDivergence::estimate: the energy must model "
                                          "ember::MixedGradientEnergy: improved CD differentiates through a Langevin "
                                          "step, so it needs accumulate_mixed_gradient(x, v, g) (CD, PCD and DCD do not).");
    static_assert(HasScalarType<E, T>, "ember::ImprovedContrastiveDivergence::estimate: "
                                       "the energy's scalar_type must match the estimator's.");
    static_assert(Kernel<K, E, G>, "ember::ImprovedContrastiveDivergence::estimate: the kernel must model "
                                   "ember::Kernel for this energy and generator.");
    constexpr const char* fn = "ember::ImprovedContrastiveDivergence::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    detail::require(buffer_.dim() == static_cast<Index>(energy.dim()), fn, "buffer.dim()", buffer_.dim(),
                    "must equal the energy's dimension ", energy.dim());
    const Index n = data.rows();
    const bool in_order = settings_.persistent && settings_.chains == PcdChains::in_order;
    if (in_order) {
      detail::require(n <= buffer_.capacity(), fn, "data.rows()", n, "must be <= the buffer's capacity ",
                      buffer_.capacity(), " with PcdChains::in_order (each chain moves at most once per update)");
      buffer_.fill(rng);
      negatives_.resize(n, data.cols());
      buffer_.sample_in_order(BatchRef<T>(negatives_));
    } else if (settings_.persistent) {
      negatives_.resize(n, data.cols());
      buffer_.sample(BatchRef<T>(negatives_), rng);
    } else {
      negatives_ = data;
    }
    ImprovedCdResult<T> result;
    result.acceptance = detail::run_kernel<T>(kernel_, energy, BatchRef<T>(negatives_), rng, settings_.steps - 1);
    previous_ = negatives_;
    langevin_.step(energy, BatchRef<T>(negatives_), rng);
    const Index m = std::min(settings_.entropy_neighbours, buffer_.fill_count());
    neighbours_.resize(m, data.cols());
    if (m > 0) {
      const auto choice = rng.draw();
      for (Index j = 0; j < m; ++j)
        neighbours_.row(j) = buffer_.stored().row(
            static_cast<Index>(choice.index(static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(buffer_.fill_count()))));
    }
    skeleton_.accumulate(energy, data, negatives_, result, settings_.energy_regularization,
                         pool_of(langevin_));
    result.terms = accumulate_improved_cd_terms(energy, BatchView<T>(previous_), BatchView<T>(negatives_),
                                                BatchView<T>(neighbours_), settings_.gradient_step,
                                                settings_.kl_weight, settings_.entropy_weight,
                                                VectorRef<T>(result.gradient));
    result.loss += settings_.kl_weight * result.terms.kl + settings_.entropy_weight * result.terms.entropy;
    if (in_order) {
      buffer_.write_back(negatives_);  // after the neighbours were drawn, so x_K is never compared with itself
    } else {
      buffer_.push(negatives_, rng);
    }
    return result;
  }

  [[nodiscard]] K& kernel() { return kernel_; }
  [[nodiscard]] ReplayBuffer<T, Init>& buffer() { return buffer_; }
  [[nodiscard]] const ImprovedCdSettings<T>& settings() const { return settings_; }
  [[nodiscard]] const Batch<T>& negatives() const { return negatives_; }

 private:
  K kernel_;
  ReplayBuffer<T, Init> buffer_;
  ImprovedCdSettings<T> settings_;
  Langevin<T> langevin_;  // the last, differentiated step
  Contrastive<T> skeleton_;
  Batch<T> negatives_;
  Batch<T> previous_;
  Batch<T> neighbours_;
};

template <Scalar T, class Init>
ImprovedContrastiveDivergence(ReplayBuffer<T, Init>) -> ImprovedContrastiveDivergence<T, Init>;
template <Scalar T, class Init>
ImprovedContrastiveDivergence(ReplayBuffer<T, Init>, ImprovedCdSettings<T>) -> ImprovedContrastiveDivergence<T, Init>;
template <class K, Scalar T, class Init>
ImprovedContrastiveDivergence(K, ReplayBuffer<T, Init>) -> ImprovedContrastiveDivergence<T, Init, K>;
template <class K, Scalar T, class Init>
ImprovedContrastiveDivergence(K, ReplayBuffer<T, Init>, ImprovedCdSettings<T>)
    -> ImprovedContrastiveDivergence<T, Init, K>;

}  // namespace ember
