#pragma once
/// @file
/// @brief C++20 concepts: what an energy, a parametric energy (with or without the mixed product), a generator
/// and a kernel must offer.
///
/// All batch arguments follow core/batch.hpp: N × d, one row per point. "Accumulate" functions add into
/// their output (so sums of energies and the two halves of an estimator write into one vector).

#include <concepts>
#include <type_traits>

#include "ember/core/batch.hpp"

namespace ember {

/// float or double: the scalar types every ember template is instantiated and tested for.
template <class T>
concept Scalar = std::same_as<T, float> || std::same_as<T, double>;

/// @brief An energy E: ℝᵈ → ℝ evaluated on a batch.
///
/// - `dim()`: the dimension d;
/// - `energy(x, e)`: e(i) = E(x_i) for the N × d batch x;
/// - `energy_and_gradient(x, e, g)`: also g(i, :) = ∇ₓE(x_i) (samplers need both; they share a forward pass).
template <class E>
concept Energy = requires(const E& energy, BatchView<typename E::scalar_type> x,
                          VectorRef<typename E::scalar_type> e, BatchRef<typename E::scalar_type> g) {
  requires Scalar<typename E::scalar_type>;
  { energy.dim() } -> std::convertible_to<Index>;
  energy.energy(x, e);
  energy.energy_and_gradient(x, e, g);
};

/// @brief An energy E_θ with a flat, contiguous parameter vector θ, so that optimizers, EMA and
/// checkpoints treat every model alike. This is all that CD, PCD, DCD, the samplers and ember::train need.
///
/// - `params()`: θ, a contiguous Vector (mutable and const);
/// - `accumulate_param_gradient(x, w, g)`: g += ∇θ Σᵢ wᵢ E_θ(xᵢ).
///
/// ember::check_gradients (energy/check_gradients.hpp) checks a hand-written ∇ₓ and ∇θ against finite differences.
template <class E>
concept ParametricEnergy =
    Energy<E> && requires(E& mutable_energy, const E& energy, BatchView<typename E::scalar_type> x,
                          VectorView<typename E::scalar_type> w, VectorRef<typename E::scalar_type> g) {
      { mutable_energy.params() } -> std::same_as<Vector<typename E::scalar_type>&>;
      { energy.params() } -> std::same_as<const Vector<typename E::scalar_type>&>;
      energy.accumulate_param_gradient(x, w, g);
    };

/// @brief A ParametricEnergy that also offers the mixed second-derivative product, which only improved CD and
/// denoising score matching use (their losses contain ∇ₓE_θ, so their θ-gradients contain ∇θ∇ₓE_θ).
///
/// - `accumulate_mixed_gradient(x, v, g)`: g += ∇θ Σᵢ ⟨∇ₓE_θ(xᵢ), vᵢ⟩.
template <class E>
concept MixedGradientEnergy =
    ParametricEnergy<E> && requires(const E& energy, BatchView<typename E::scalar_type> x,
                                    VectorRef<typename E::scalar_type> g) {
      energy.accumulate_mixed_gradient(x, x, g);
    };

/// @brief Optional fast path of a ParametricEnergy: e(i) = E_θ(xᵢ) and g += ∇θ Σᵢ (a + b·e(i)) E_θ(xᵢ) in one
/// call, so that an energy can share its forward pass between E and ∇θE (an RBM's V W product).
///
/// `energy_and_accumulate_param_gradient(x, e, a, b, g)`: the weights a + b·eᵢ cover every contrastive
/// estimator (a = ±1/N; b = 2α/N for the energy² regulariser). ember::Contrastive uses it when present and
/// falls back to `energy` + `accumulate_param_gradient` otherwise; both paths must agree to rounding.
template <class E>
concept FusedParametricEnergy =
    ParametricEnergy<E> && requires(const E& energy, BatchView<typename E::scalar_type> x,
                                    VectorRef<typename E::scalar_type> e, typename E::scalar_type a) {
      energy.energy_and_accumulate_param_gradient(x, e, a, a, e);
    };

namespace detail {
struct NoParameterHold {};
}  // namespace detail

/// @brief A promise, for as long as the returned guard lives, that nothing changes `energy`'s parameters.
///
/// An energy that caches work derived from its parameters between calls (ember::Rbm keeps W transposed and
/// its last product) otherwise re-validates the cache on every call, bit for bit; under a hold it does so on the
/// first call only. The estimators hold their energy for one `estimate` (sampling and gradient), during which
/// they only read it. Energies without `hold_parameters()` get a guard that does nothing.
/// @code
/// { const auto hold = ember::hold_parameters(rbm);  /* only const calls on rbm here */ }
/// @endcode
template <class E>
[[nodiscard]] auto hold_parameters(const E& energy) {
  if constexpr (requires { energy.hold_parameters(); }) {
    return energy.hold_parameters();
  } else {
    return detail::NoParameterHold{};
  }
}

/// @brief A time-conditioned energy E_θ(x, t) with one time tᵢ ∈ [0, 1] per point (recovery likelihood).
///
/// The same operations as ParametricEnergy with a per-point time vector t (length N) after x; recovery
/// likelihood needs no mixed product. (ember::TimeConditionedMlp and ember::TimeIndependent also offer
/// `accumulate_mixed_gradient(x, t, v, g)`: g += ∇θ Σᵢ ⟨∇ₓE(xᵢ, tᵢ), vᵢ⟩.)
/// `ember::AtTime` (energy/time_conditioned.hpp) binds t and turns it into an ember::Energy for samplers.
template <class E>
concept TimeConditionedEnergy =
    requires(E& mutable_energy, const E& energy, BatchView<typename E::scalar_type> x,
             VectorView<typename E::scalar_type> t, VectorRef<typename E::scalar_type> e,
             BatchRef<typename E::scalar_type> g, VectorRef<typename E::scalar_type> pg) {
      requires Scalar<typename E::scalar_type>;
      { energy.dim() } -> std::convertible_to<Index>;
      energy.energy(x, t, e);
      energy.energy_and_gradient(x, t, e, g);
      { mutable_energy.params() } -> std::same_as<Vector<typename E::scalar_type>&>;
      { energy.params() } -> std::same_as<const Vector<typename E::scalar_type>&>;
      energy.accumulate_param_gradient(x, t, t, pg);  // pg += ∇θ Σᵢ wᵢ E(xᵢ, tᵢ)
    };

/// @brief One draw of a counter-based generator: fills row blocks of chains from their first chain index.
template <class D>
concept RandomDraw = requires(const D& draw, BatchRef<float> f, BatchRef<double> d, Index first_chain) {
  draw.template normal<float>(f, first_chain);
  draw.template normal<double>(d, first_chain);
  draw.template uniform<float>(f, first_chain);
  draw.template uniform<double>(d, first_chain);
};

/// @brief A seeded generator that hands out draws (ember::Philox, or a user's counter-based generator).
template <class G>
concept Generator = requires(G& generator) {
  { generator.draw() } -> RandomDraw;
};

/// @brief A Markov kernel for energy E: `step` moves every chain (row of x) one transition, in place.
template <class K, class E, class G>
concept Kernel = Energy<E> && Generator<G> &&
                 requires(K& kernel, const E& energy, BatchRef<typename E::scalar_type> x, G& generator) {
                   kernel.step(energy, x, generator);
                 };

}  // namespace ember
