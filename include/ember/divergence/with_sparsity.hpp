#pragma once
/// @file
/// @brief ember::WithSparsity: any estimator plus the RBM sparsity regulariser (Hinton 2010, §11), which pushes
/// every hidden unit's mean activation on the data batch toward a target ρ.
///
/// The gradient itself is the energy's `accumulate_sparsity_gradient(v, target, strength, g)`
/// (ember::Rbm, energy/rbm.hpp); this wrapper adds it to the wrapped estimator's result.
///
/// @code
/// ember::WithSparsity cd_sparse(cd, ember::SparsitySettings<float>{.target = 0.1f, .strength = 0.5f});
/// @endcode

#include <cmath>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of the sparsity regulariser (aggregate): target mean activation ρ and strength λ.
template <Scalar T>
struct SparsitySettings {
  T target = T(0.05);  ///< ρ ∈ (0, 1): the desired mean activation of every hidden unit
  T strength = T(0);   ///< λ ≥ 0: 0 disables the regulariser
};

/// @brief Any estimator plus the RBM sparsity regulariser: `estimate` calls the wrapped estimator, then adds
/// Rbm::accumulate_sparsity_gradient on the data batch to the result's gradient (the loss is unchanged).
/// Works with every ember::Estimator (CD-k, PCD, ...) of an energy that offers `accumulate_sparsity_gradient`
/// (ember::Rbm), and is itself one, for ember::train.
/// @tparam Inner the wrapped estimator's type
template <class Inner, Scalar T>
class WithSparsity {
 public:
  using scalar_type = T;

  /// @pre 0 < settings.target < 1, settings.strength ≥ 0.
  WithSparsity(Inner estimator, SparsitySettings<T> settings)
      : estimator_(std::move(estimator)), settings_(settings) {
    detail::require(std::isfinite(settings.target) && settings.target > T(0) && settings.target < T(1),
                    "ember::WithSparsity", "target", settings.target, "must lie in (0, 1)");
    detail::require_non_negative(settings.strength, "ember::WithSparsity", "strength");
  }

  /// @brief The wrapped estimate plus the sparsity gradient of `data`.
  template <class E, class G>
    requires Estimator<Inner, E, G> && requires(const E& rbm, BatchView<T> v, T x, VectorRef<T> g) {
      rbm.accumulate_sparsity_gradient(v, x, x, g);
    }
  auto estimate(const E& rbm, BatchView<T> data, G& rng) {
    auto result = estimator_.estimate(rbm, data, rng);
    if (settings_.strength > T(0))
      rbm.accumulate_sparsity_gradient(data, settings_.target, settings_.strength, result.gradient);
    return result;
  }

  [[nodiscard]] Inner& estimator() { return estimator_; }
  [[nodiscard]] const SparsitySettings<T>& settings() const { return settings_; }

 private:
  Inner estimator_;
  SparsitySettings<T> settings_;
};

template <class Inner, Scalar T>
WithSparsity(Inner, SparsitySettings<T>) -> WithSparsity<Inner, T>;

}  // namespace ember
