#pragma once
/// @file
/// @brief ember::Temperature: the tempered energy E(x)/τ (τ > 1 flattens, τ < 1 sharpens), for
/// annealing, tempering and sampling a model at a chosen temperature.
///
/// An ember::Energy, and an ember::ParametricEnergy when the wrapped energy is (same params(); the
/// parameter and mixed gradients are the wrapped ones divided by τ).
///
/// @code
/// ember::Temperature hot(ember::DoubleWellEnergy<double>(2, 4.0), /*tau=*/2.0);
/// kernel.run(hot, x, rng, steps);
/// @endcode

#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief E/τ, owning a copy of E.
template <class E>
class Temperature {
  static_assert(Energy<E>, "ember::Temperature: the wrapped type must model ember::Energy "
                           "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");

 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  /// @pre tau finite and > 0.
  Temperature(E energy, T tau) : inner_(std::move(energy)) { set_temperature(tau); }

  /// @brief Changes τ. @pre tau finite and > 0.
  void set_temperature(T tau) {
    detail::require_positive(tau, "ember::Temperature::set_temperature", "tau");
    tau_ = tau;
  }
  [[nodiscard]] T temperature() const { return tau_; }
  [[nodiscard]] const E& inner() const { return inner_; }
  [[nodiscard]] E& inner() { return inner_; }
  [[nodiscard]] Index dim() const { return inner_.dim(); }

  /// @brief e(i) = E(xᵢ)/τ.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    inner_.energy(x, e);
    e /= tau_;
  }
  /// @brief Also g(i, :) = ∇E(xᵢ)/τ.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    inner_.energy_and_gradient(x, e, g);
    e /= tau_;
    g /= tau_;
  }

  Vector<T>& params()
    requires ParametricEnergy<E>
  {
    return inner_.params();
  }
  const Vector<T>& params() const
    requires ParametricEnergy<E>
  {
    return inner_.params();
  }
  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ)/τ (the wrapped gradient with weights w/τ).
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const
    requires ParametricEnergy<E>
  {
    const Vector<T> scaled = w / tau_;
    inner_.accumulate_param_gradient(x, scaled, g);
  }
  /// @brief g += ∇θ Σᵢ ⟨∇ₓE(xᵢ)/τ, vᵢ⟩ (the wrapped product with directions v/τ).
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const
    requires MixedGradientEnergy<E>
  {
    const Batch<T> scaled = v / tau_;
    inner_.accumulate_mixed_gradient(x, scaled, g);
  }

 private:
  E inner_;
  T tau_ = T(1);
};

}  // namespace ember
