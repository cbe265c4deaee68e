#pragma once
/// @file
/// @brief Time-conditioned energies E_θ(x, t) (recovery likelihood): the adapters AtTime and
/// TimeIndependent, and the time-conditioned MLP TimeConditionedMlp.
///
/// A time-conditioned energy (concept ember::TimeConditionedEnergy) takes one time tᵢ per point after the
/// batch: `energy(x, t, e)`, `energy_and_gradient(x, t, e, g)`, `accumulate_param_gradient(x, t, w, g)`
/// (and, optionally, `accumulate_mixed_gradient(x, t, v, g)`). By convention tᵢ ∈ [0, 1] (0 = data, 1 = the noisiest level).
/// - `AtTime` binds a time vector to one and is an ember::Energy, so samplers run on it unchanged;
/// - `TimeIndependent` wraps an ordinary ember::ParametricEnergy as a time-conditioned one that ignores t;
/// - `TimeConditionedMlp` is an ember::MlpEnergy on the input [x, φ(t)] with fixed sinusoidal features φ.
///
/// @code
/// ember::TimeIndependent model(ember::GaussianEnergy<double>::standard(2));
/// ember::AtTime at_level(model, t);   kernel.run(at_level, x, rng, steps);
/// @endcode

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"
#include "ember/energy/mlp.hpp"

namespace ember {

namespace detail {
/// A per-point time vector must have one finite entry per point.
template <class T>
void require_times(VectorView<T> t, Index n, const char* fn) {
  detail::require(t.size() == n, fn, "t.size()", t.size(),
                  "must equal the number of points ", n);
  detail::require_all_finite(t, fn, "t");
}
}  // namespace detail

/// @brief Binds a per-point time vector t to a time-conditioned energy: E_t(xᵢ) = E(xᵢ, tᵢ).
///
/// Keeps a pointer to the base (its parameters change during training) and a copy of t. An ember::Energy,
/// deliberately not parametric: estimators take parameter gradients on the base with the same t.
/// @pre the base outlives the adapter (a temporary base is rejected at compile time).
template <class E>
class AtTime {
  static_assert(TimeConditionedEnergy<E>,
                "ember::AtTime: the base type must model ember::TimeConditionedEnergy (energy(x, t, e), "
                "energy_and_gradient(x, t, e, g), params(), accumulate_param_gradient(x, t, w, g)).");

 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  /// @brief Binds times t (length N, finite): every batch passed in must then have N rows.
  AtTime(const E& base, VectorView<T> t) : base_(&base) { set_times(t); }
  /// An adapter around a temporary would dangle: the base is held by pointer.
  AtTime(const E&&, VectorView<T>) = delete;

  /// @brief Replaces the times; reuses storage (no allocation when N is unchanged). @pre t finite.
  void set_times(VectorView<T> t) {
    constexpr const char* fn = "ember::AtTime::set_times";
    detail::require_at_least_one(t.size(), fn, "t.size()", " (one time per point)");
    detail::require_all_finite(t, fn, "t");
    t_ = t;
  }

  [[nodiscard]] const E& base() const { return *base_; }
  [[nodiscard]] const Vector<T>& times() const { return t_; }
  [[nodiscard]] Index dim() const { return base_->dim(); }

  /// @brief e(i) = E(xᵢ, tᵢ). @pre x has N = times().size() rows.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, "ember::AtTime::energy");
    base_->energy(x, t_, e);
  }
  /// @brief Also g(i, :) = ∇ₓE(xᵢ, tᵢ).
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    check(x, "ember::AtTime::energy_and_gradient");
    base_->energy_and_gradient(x, t_, e, g);
  }

 private:
  void check(BatchView<T> x, const char* fn) const {
    detail::require(x.rows() == t_.size(), fn, "x", detail::shape_of(x.rows(), x.cols()),
                    "must have one row per bound time (", t_.size(), ")");
  }

  const E* base_;
  Vector<T> t_;
};

/// @brief A ParametricEnergy seen as a TimeConditionedEnergy that ignores t: E(x, t) = E(x).
///
/// Owns a copy of the energy; `params()` is the wrapped energy's parameter vector, so optimizers and
/// checkpoints see the same layout. Useful to run recovery likelihood with an unconditioned model, and as
/// the exact Gaussian oracle of the time-conditioned code paths.
template <class E>
class TimeIndependent {
  static_assert(ParametricEnergy<E>,
                "ember::TimeIndependent: the wrapped type must model ember::ParametricEnergy (params(), "
                "accumulate_param_gradient(x, w, g)).");

 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  /// @brief Wraps (a copy of) `energy`.
  explicit TimeIndependent(E energy) : inner_(std::move(energy)) {}

  [[nodiscard]] const E& inner() const { return inner_; }
  [[nodiscard]] E& inner() { return inner_; }
  [[nodiscard]] Index dim() const { return inner_.dim(); }
  Vector<T>& params() { return inner_.params(); }
  const Vector<T>& params() const { return inner_.params(); }

  /// @brief e(i) = E(xᵢ). @pre t has one finite entry per row of x.
  void energy(BatchView<T> x, VectorView<T> t, VectorRef<T> e) const {
    detail::require_times(t, x.rows(), "ember::TimeIndependent::energy");
    inner_.energy(x, e);
  }
  /// @brief Also g(i, :) = ∇ₓE(xᵢ).
  void energy_and_gradient(BatchView<T> x, VectorView<T> t, VectorRef<T> e, BatchRef<T> g) const {
    detail::require_times(t, x.rows(), "ember::TimeIndependent::energy_and_gradient");
    inner_.energy_and_gradient(x, e, g);
  }
  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ).
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> t, VectorView<T> w, VectorRef<T> g) const {
    detail::require_times(t, x.rows(), "ember::TimeIndependent::accumulate_param_gradient");
    inner_.accumulate_param_gradient(x, w, g);
  }
  /// @brief g += ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩ (when the wrapped energy offers the mixed product).
  void accumulate_mixed_gradient(BatchView<T> x, VectorView<T> t, BatchView<T> v, VectorRef<T> g) const
    requires MixedGradientEnergy<E>
  {
    detail::require_times(t, x.rows(), "ember::TimeIndependent::accumulate_mixed_gradient");
    inner_.accumulate_mixed_gradient(x, v, g);
  }

 private:
  E inner_;
};

/// @brief A time-conditioned MLP energy: E_θ(x, t) = MLP_θ([x, φ(t)]) (+ ‖x‖²/(2s²)).
///
/// φ(t) = (t, sin πt, cos πt, sin 2πt, cos 2πt, sin 4πt, cos 4πt): `time_features` = 7 fixed features
/// that separate times in [0, 1] at three scales (the plain t keeps the map one-to-one). The network is
/// an ember::MlpEnergy with widths {d + 7, h₁, …, h_k}, so params() has exactly MlpEnergy's documented
/// layout with the first layer's input columns ordered x₀ … x_{d−1}, then φ₀ … φ₆; `network()` exposes it.
/// The quadratic base (settings.base_scale = s > 0) acts on x only. Gradients are the MLP's: ∇ₓ is the
/// first d columns of its input gradient, and the mixed product uses the direction [v, 0] (t is fixed).
template <Scalar T, class Activation = Silu>
class TimeConditionedMlp {
 public:
  using scalar_type = T;
  using activation_type = Activation;
  /// The number of time features φ(t).
  static constexpr Index time_features = 7;

  /// @brief widths = {d, h₁, …, h_k}: the data dimension, then the hidden widths.
  /// @pre as ember::MlpEnergy: every width ≥ 1; settings.base_scale, settings.init_gain finite and ≥ 0.
  TimeConditionedMlp(std::vector<Index> widths, std::uint64_t seed, MlpSettings<T> settings = {})
      : widths_(validated(std::move(widths))),
        base_scale_(settings.base_scale),
        network_(network_widths(widths_), seed, MlpSettings<T>{.base_scale = T(0), .init_gain = settings.init_gain}) {
    detail::require_non_negative(settings.base_scale, "ember::TimeConditionedMlp::TimeConditionedMlp",
                                 "settings.base_scale", " (0 = no base term)");
  }

  /// @brief The features φ(t) of each time, one row per point: out is N × time_features.
  static void time_embedding(VectorView<T> t, BatchRef<T> out) {
    detail::require_shape(out, t.size(), time_features, "ember::TimeConditionedMlp::time_embedding", "out");
    const T pi = std::numbers::pi_v<T>;
    out.col(0) = t;
    for (Index f = 0; f < 3; ++f) {
      const T frequency = pi * static_cast<T>(Index{1} << f);
      out.col(1 + 2 * f).array() = (frequency * t.array()).sin();
      out.col(2 + 2 * f).array() = (frequency * t.array()).cos();
    }
  }

  [[nodiscard]] Index dim() const { return widths_.front(); }
  /// {d, h₁, …, h_k} as given (the network's own widths start with d + time_features).
  [[nodiscard]] const std::vector<Index>& widths() const { return widths_; }
  [[nodiscard]] Index num_params() const { return network_.num_params(); }
  [[nodiscard]] T base_scale() const { return base_scale_; }
  /// The MLP on [x, φ(t)] (without the base term).
  [[nodiscard]] const MlpEnergy<T, Activation>& network() const { return network_; }
  [[nodiscard]] MlpEnergy<T, Activation>& network() { return network_; }
  Vector<T>& params() { return network_.params(); }
  const Vector<T>& params() const { return network_.params(); }

  /// @brief e(i) = E(xᵢ, tᵢ). @pre x is N × d (finite), t and e have length N, t finite.
  void energy(BatchView<T> x, VectorView<T> t, VectorRef<T> e) const {
    const Batch<T> input = assemble(x, t, "ember::TimeConditionedMlp::energy");
    network_.energy(input, e);
    add_base_energy(x, e);
  }
  /// @brief Also g(i, :) = ∇ₓE(xᵢ, tᵢ). @pre g is N × d.
  void energy_and_gradient(BatchView<T> x, VectorView<T> t, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::TimeConditionedMlp::energy_and_gradient";
    const Batch<T> input = assemble(x, t, fn);
    detail::require_shape(g, x.rows(), dim(), fn, "g");
    Batch<T> g_input(x.rows(), input.cols());
    network_.energy_and_gradient(input, e, g_input);
    g = g_input.leftCols(dim());
    add_base_energy(x, e);
    if (base_scale_ > T(0)) g.noalias() += (T(1) / (base_scale_ * base_scale_)) * x;
  }
  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ, tᵢ).
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> t, VectorView<T> w, VectorRef<T> g) const {
    const Batch<T> input = assemble(x, t, "ember::TimeConditionedMlp::accumulate_param_gradient");
    network_.accumulate_param_gradient(input, w, g);
  }
  /// @brief g += ∇θ Σᵢ ⟨∇ₓE(xᵢ, tᵢ), vᵢ⟩. @pre v is N × d.
  void accumulate_mixed_gradient(BatchView<T> x, VectorView<T> t, BatchView<T> v, VectorRef<T> g) const {
    constexpr const char* fn = "ember::TimeConditionedMlp::accumulate_mixed_gradient";
    const Batch<T> input = assemble(x, t, fn);
    detail::require_shape(v, x.rows(), dim(), fn, "v");
    Batch<T> direction = Batch<T>::Zero(x.rows(), input.cols());
    direction.leftCols(dim()) = v;
    network_.accumulate_mixed_gradient(input, direction, g);
  }

 private:
  static std::vector<Index> validated(std::vector<Index> widths) {
    constexpr const char* fn = "ember::TimeConditionedMlp::TimeConditionedMlp";
    detail::require_at_least_one(widths.size(), fn, "widths.size()", " (the input dimension, then the hidden widths)");
    for (std::size_t l = 0; l < widths.size(); ++l)
      detail::require_at_least_one(widths[l], fn, "widths[" + std::to_string(l) + "]");
    // d + time_features must not overflow; the network's own sizes are checked by ember::MlpEnergy.
    (void)detail::checked_sum(widths.front(), time_features, fn, "widths[0]", widths.front(), "the network's inputs");
    return widths;
  }
  static std::vector<Index> network_widths(std::vector<Index> widths) {
    widths.front() += time_features;
    return widths;
  }
  [[nodiscard]] Batch<T> assemble(BatchView<T> x, VectorView<T> t, const char* fn) const {
    detail::require_batch(x, dim(), fn, "x");
    detail::require_times(t, x.rows(), fn);
    Batch<T> input(x.rows(), dim() + time_features);
    input.leftCols(dim()) = x;
    auto features = input.rightCols(time_features);
    time_embedding(t, features);
    return input;
  }
  void add_base_energy(BatchView<T> x, VectorRef<T> e) const {
    if (base_scale_ > T(0)) e.noalias() += (T(0.5) / (base_scale_ * base_scale_)) * x.rowwise().squaredNorm();
  }

  std::vector<Index> widths_;
  T base_scale_;
  MlpEnergy<T, Activation> network_;
};

}  // namespace ember
