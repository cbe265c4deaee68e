#pragma once
/// @file
/// @brief ember::ContrastiveDivergence: CD-k (Hinton 2002), negatives from k kernel steps started at the data.
///
/// Gradient: mean ∇θE(data) − mean ∇θE(x_k), x_k = K^k(data) with any ember::Kernel K (ULA, MALA, HMC,
/// block Gibbs for RBMs). The loss reported is the surrogate mean E(data) − mean E(x_k). CD-k is biased: it
/// drops the term that comes from the kernel's dependence on θ (Improved CD estimates it), and with an
/// unadjusted kernel it fits the energy whose *chain*, not whose density, matches the data
/// (tests/divergence/cd.test.cpp measures that bias on a Gaussian). Chains started at the data never cross between
/// modes farther apart than a few steps, so CD cannot learn such modes' weights; ember::WithJumps
/// (mcmc/difference_jump.hpp) adds a Metropolis–Hastings jump by the difference of two data points that can.
///
/// @code
/// ember::ContrastiveDivergence cd(ember::Langevin<double>({.step_size = 0.1}), {.steps = 1});
/// auto result = cd.estimate(energy, batch, rng);   // result.gradient, result.loss, result.negative_energy
/// @endcode

#include <cmath>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"

namespace ember {

/// Settings of CD-k (aggregate; designated initialisers welcome).
template <Scalar T>
struct CdSettings {
  Index steps = 1;                 ///< k ≥ 1 kernel transitions from the data
  T energy_regularization = T(0);  ///< α ≥ 0: adds α·mean(E(x⁺)² + E(x⁻)²)
};

/// @brief CD-k over any kernel.
/// @tparam T the scalar type
/// @tparam K the kernel (modelling ember::Kernel for the energies it is used with)
template <Scalar T, class K>
class ContrastiveDivergence {
 public:
  using scalar_type = T;
  using kernel_type = K;

  /// @pre settings.steps ≥ 1, settings.energy_regularization ≥ 0.
  explicit ContrastiveDivergence(K kernel, CdSettings<T> settings = {})
      : kernel_(std::move(kernel)), settings_(settings) {
    detail::require_at_least_one(settings.steps, "ember::ContrastiveDivergence", "steps");
    detail::require_non_negative(settings.energy_regularization, "ember::ContrastiveDivergence",
                                 "energy_regularization");
  }

  /// @brief One estimate on a minibatch. `data` is not modified; the negatives are kept (`negatives()`).
  /// @throws ember::invalid_argument for an empty batch, a wrong width or NaN/Inf data;
  ///         ember::numerical_error when an energy or the kernel blows up.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(ParametricEnergy<E>, "ember::ContrastiveDivergence::estimate: the energy must model "
                                       "ember::ParametricEnergy.");
    static_assert(HasScalarType<E, T>, "ember::ContrastiveDivergence::estimate: the energy's "
                                       "scalar_type must match the estimator's.");
    static_assert(Kernel<K, E, G>, "ember::ContrastiveDivergence::estimate: the kernel must model ember::Kernel "
                                   "for this energy and generator (kernel.step(energy, x, rng)).");
    detail::require_batch(data, static_cast<Index>(energy.dim()), "ember::ContrastiveDivergence::estimate", "data");
    negatives_ = data;
    EstimatorResult<T> result;
    result.acceptance = detail::run_kernel<T>(kernel_, energy, BatchRef<T>(negatives_), rng, settings_.steps);
    skeleton_.accumulate(energy, data, negatives_, result, settings_.energy_regularization,
                         pool_of(kernel_));
    return result;
  }

  [[nodiscard]] K& kernel() { return kernel_; }
  [[nodiscard]] const CdSettings<T>& settings() const { return settings_; }
  /// The negatives of the last estimate (N × d).
  [[nodiscard]] const Batch<T>& negatives() const { return negatives_; }

 private:
  K kernel_;
  CdSettings<T> settings_;
  Contrastive<T> skeleton_;
  Batch<T> negatives_;
};

template <class K>
ContrastiveDivergence(K) -> ContrastiveDivergence<typename K::scalar_type, K>;
template <class K>
ContrastiveDivergence(K, CdSettings<typename K::scalar_type>) -> ContrastiveDivergence<typename K::scalar_type, K>;

}  // namespace ember
