#pragma once
/// @file
/// @brief Every C++20 concept of ember: what an energy (parametric, with the mixed product, time-conditioned, an RBM),
/// a generator, a kernel, an observer, a noise schedule, an estimator and an optimizer must offer, with the small
/// vocabulary types they name (VisibleUnits, StepRecord, Transition).
///
/// (The CUDA backend's ember::cuda::DeviceEnergy stays in cuda/energy.cuh: it names device buffers, which need the
/// CUDA headers.)
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

/// @brief E's `scalar_type` is T: what a kernel or an estimator for T accepts (checked with a readable message where
/// the energy comes in).
template <class E, class T>
concept HasScalarType = std::same_as<typename E::scalar_type, T>;

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

/// @brief What an observer sees after one transition (views valid only during the call).
template <Scalar T>
struct StepRecord {
  Index step = 0;          ///< 0-based index of the transition within this `run` call
  BatchView<T> states;     ///< N × d: every chain after the transition
  VectorView<T> energy;    ///< E(states), length N, where the kernel holds it (Metropolis-adjusted); else empty
  VectorView<T> accepted;  ///< 1 where the chain accepted its proposal, else 0 (Metropolis-adjusted); else empty
};

/// @brief Anything callable as `observer(const StepRecord<T>&)` (its result is ignored; mcmc/observer.hpp).
template <class O, class T>
concept StepObserver = Scalar<T> && std::invocable<O&, const StepRecord<T>&>;

/// The kind of an RBM's visible units (its hidden units are always Bernoulli).
enum class VisibleUnits {
  bernoulli,  ///< v ∈ {0, 1}ᵈ, p(v | h) = σ(b + W h)
  gaussian    ///< v ∈ ℝᵈ, p(v | h) = N(b + W h, I) (unit variance)
};

/// @brief What block Gibbs and the RBM metrics need: a parametric free energy with both conditionals
/// (ember::Rbm, energy/rbm.hpp).
///
/// - `E::visible_units`: the kind of visible units; `n_visible()`, `n_hidden()`;
/// - `hidden_input(v, a)`: a = V W + 1cᵀ; `visible_input(h, a)`: a = H Wᵀ + 1bᵀ;
/// - `weights()`, `visible_bias()`, `hidden_bias()`: views of W (d × h), b and c.
template <class E>
concept RbmEnergy = ParametricEnergy<E> &&
                    requires(const E& rbm, BatchView<typename E::scalar_type> x, BatchRef<typename E::scalar_type> a) {
                      { E::visible_units } -> std::convertible_to<VisibleUnits>;
                      { rbm.n_visible() } -> std::convertible_to<Index>;
                      { rbm.n_hidden() } -> std::convertible_to<Index>;
                      rbm.hidden_input(x, a);
                      rbm.visible_input(x, a);
                      rbm.weights();
                      rbm.visible_bias();
                      rbm.hidden_bias();
                    };

/// @brief The Gaussian transition x_t = scale · x_s + std · ε between two times s ≤ t of a schedule.
template <Scalar T>
struct Transition {
  T scale;  ///< a_{t|s}: the mean coefficient of x_t given x_s (1 for variance-exploding schedules)
  T std;    ///< s_{t|s}: the standard deviation of x_t given x_s (0 when s = t)
};

/// @brief A noise schedule over t ∈ [0, 1] (schedule/schedule.hpp states the conventions).
///
/// - `mean_coefficient(t)`: α(t), x_t = α(t) x_0 + σ(t) ε;
/// - `standard_deviation(t)`: σ(t);
/// - `beta(t)`: the rate of the forward SDE (VP: dx = −½β x dt + √β dW; VE: β = dσ²/dt);
/// - `snr(t)`: α(t)² / σ(t)², finite everywhere (σ² is floored at the smallest normal number);
/// - `transition(s, t)`: ember::Transition from time s to time t ≥ s.
template <class S>
concept Schedule = requires(const S& schedule, typename S::scalar_type t) {
  requires Scalar<typename S::scalar_type>;
  { schedule.mean_coefficient(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.standard_deviation(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.beta(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.snr(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.transition(t, t) } -> std::same_as<Transition<typename S::scalar_type>>;
};

/// @brief What an estimate holds for ember::train (ember::EstimatorResult, or a type derived from it): `loss`,
/// `positive_energy`, `negative_energy` (convertible to T) and `gradient`, the flat ∇θ as a Vector<T>.
template <class R, class T>
concept EstimateOf = requires(R& result) {
  { result.loss } -> std::convertible_to<T>;
  { result.positive_energy } -> std::convertible_to<T>;
  { result.negative_energy } -> std::convertible_to<T>;
  requires std::same_as<std::remove_cvref_t<decltype(result.gradient)>, Vector<T>>;
};

/// @brief An estimator of the training gradient for energy E: `estimate(energy, data, rng)` on an N × d data batch
/// returns an EstimateOf<E::scalar_type> (every divergence/ estimator; ember::WithSparsity around one).
template <class S, class E, class G>
concept Estimator = Generator<G> && requires(S& estimator, const E& energy, BatchView<typename E::scalar_type> data,
                                             G& generator) {
  { estimator.estimate(energy, data, generator) } -> EstimateOf<typename E::scalar_type>;
};

/// @brief An optimizer of a parameter vector over T: `step(params, gradient)` updates params in place (ember::Sgd,
/// ember::Adam). A learning-rate schedule additionally needs `settings().learning_rate` and `set_learning_rate`.
template <class O, class T>
concept Optimizer = Scalar<T> && requires(O& optimizer, Vector<T>& params, const Vector<T>& gradient) {
  optimizer.step(params, gradient);
};

/// @brief A per-chain analytic energy for the CUDA backend's ember::cuda::PointEnergy: E = f(x, g, stride) for one
/// chain (g may be null: energy only). Trivially copyable, so that it can be passed to a kernel by value.
template <class F, class T>
concept PointFunctor = std::is_trivially_copyable_v<F> && requires(const F& f, const T* x, T* g, Index stride) {
  { f(x, g, stride) } -> std::convertible_to<T>;
};

}  // namespace ember
