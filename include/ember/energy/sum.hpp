#pragma once
/// @file
/// @brief ember::Sum: the energy E_A(x) + E_B(x) of two energies on the same space (a learned model plus a
/// fixed base or prior, a target plus a tether-like penalty).
///
/// A Sum is an ember::Energy, and an ember::ParametricEnergy when one of its parts is. At most one part may
/// be parametric: ParametricEnergy promises one flat contiguous params() vector, and each part owns its
/// own; a Sum that concatenated them would have to copy parameters in and out around every call (and
/// optimizers, EMA and checkpoints would write to a vector the parts never read). Two learned models are
/// better written as one energy with one parameter vector. The parametric part's params() is the Sum's.
///
/// @code
/// ember::Sum model(ember::MlpEnergy<float>({2, 64, 64}, 1), ember::GaussianMixtureEnergy<float>::eight_gaussians());
/// model.energy_and_gradient(x, e, g);   // model.params() is the MLP's
/// @endcode

#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief E_A + E_B, owning copies of both parts.
template <class A, class B>
class Sum {
  static_assert(Energy<A> && Energy<B>, "ember::Sum: both parts must model ember::Energy "
                                        "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
  static_assert(HasScalarType<A, typename B::scalar_type>,
                "ember::Sum: both parts must have the same scalar_type (float or double).");
  static_assert(!(ParametricEnergy<A> && ParametricEnergy<B>),
                "ember::Sum: at most one part may be a ParametricEnergy, because params() must be one flat "
                "contiguous vector and each part owns its own; write the two models as one energy.");

  static constexpr bool first_is_parametric = ParametricEnergy<A>;
  static constexpr bool parametric = ParametricEnergy<A> || ParametricEnergy<B>;
  static constexpr bool mixed = MixedGradientEnergy<A> || MixedGradientEnergy<B>;

 public:
  using scalar_type = typename A::scalar_type;
  using T = scalar_type;

  /// @pre both parts have the same dim().
  Sum(A first, B second) : first_(std::move(first)), second_(std::move(second)) {
    detail::require(first_.dim() == second_.dim(), "ember::Sum::Sum", "second.dim()", second_.dim(),
                    "must equal first.dim() = ", first_.dim());
  }

  [[nodiscard]] const A& first() const { return first_; }
  [[nodiscard]] A& first() { return first_; }
  [[nodiscard]] const B& second() const { return second_; }
  [[nodiscard]] B& second() { return second_; }
  [[nodiscard]] Index dim() const { return first_.dim(); }

  /// @brief e(i) = E_A(xᵢ) + E_B(xᵢ).
  void energy(BatchView<T> x, VectorRef<T> e) const {
    first_.energy(x, e);
    Vector<T> other(e.size());
    second_.energy(x, other);
    e += other;
  }
  /// @brief Also g(i, :) = ∇E_A(xᵢ) + ∇E_B(xᵢ).
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    first_.energy_and_gradient(x, e, g);
    Vector<T> other(e.size());
    Batch<T> other_g(g.rows(), g.cols());
    second_.energy_and_gradient(x, other, other_g);
    e += other;
    g += other_g;
  }

  /// The parametric part's parameters (only when one part is a ParametricEnergy).
  Vector<T>& params()
    requires parametric
  {
    return parametric_part().params();
  }
  const Vector<T>& params() const
    requires parametric
  {
    return parametric_part().params();
  }
  /// @brief g += ∇θ Σᵢ wᵢ (E_A + E_B)(xᵢ): only the parametric part depends on θ.
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const
    requires parametric
  {
    parametric_part().accumulate_param_gradient(x, w, g);
  }
  /// @brief g += ∇θ Σᵢ ⟨∇ₓ(E_A + E_B)(xᵢ), vᵢ⟩: only the parametric part depends on θ.
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const
    requires mixed
  {
    parametric_part().accumulate_mixed_gradient(x, v, g);
  }

 private:
  decltype(auto) parametric_part() const {
    if constexpr (first_is_parametric) {
      return (first_);
    } else {
      return (second_);
    }
  }
  decltype(auto) parametric_part() {
    if constexpr (first_is_parametric) {
      return (first_);
    } else {
      return (second_);
    }
  }

  A first_;
  B second_;
};

}  // namespace ember
