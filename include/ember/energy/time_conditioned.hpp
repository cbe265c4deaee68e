#pragma once
/// @file
/// @brief Time-conditioned energies E_θ(x, t) (recovery likelihood): the adapters AtTime and
/// TimeIndependent.
///
/// A time-conditioned energy (concept ember::TimeConditionedEnergy) takes one time tᵢ per point after the
/// batch: `energy(x, t, e)`, `energy_and_gradient(x, t, e, g)`, `accumulate_param_gradient(x, t, w, g)`,
/// `accumulate_mixed_gradient(x, t, v, g)`. By convention tᵢ ∈ [0, 1] (0 = data, 1 = the noisiest level).
/// - `AtTime` binds a time vector to one and is an ember::Energy, so samplers run on it unchanged;
/// - `TimeIndependent` wraps an ordinary ember::ParametricEnergy as a time-conditioned one that ignores t.
///
/// @code
/// ember::TimeIndependent model(ember::GaussianEnergy<double>::standard(2));
/// ember::AtTime at_level(model, t);   kernel.run(at_level, x, rng, steps);
/// @endcode

#include <string>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

namespace detail {
/// A per-point time vector must have one finite entry per point.
template <class T>
void require_times(VectorView<T> t, Index n, const char* fn) {
  detail::require(t.size() == n, fn, "t.size()", t.size(),
                  "must equal the number of points " + std::to_string(n));
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
                "energy_and_gradient(x, t, e, g), params(), accumulate_param_gradient(x, t, w, g), "
                "accumulate_mixed_gradient(x, t, v, g)).");

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
    detail::require(t.size() > 0, fn, "t.size()", t.size(), "must be >= 1 (one time per point)");
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
                    "must have one row per bound time (" + std::to_string(t_.size()) + ")");
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
                "accumulate_param_gradient(x, w, g), accumulate_mixed_gradient(x, v, g)).");

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
  /// @brief g += ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩.
  void accumulate_mixed_gradient(BatchView<T> x, VectorView<T> t, BatchView<T> v, VectorRef<T> g) const {
    detail::require_times(t, x.rows(), "ember::TimeIndependent::accumulate_mixed_gradient");
    inner_.accumulate_mixed_gradient(x, v, g);
  }

 private:
  E inner_;
};

}  // namespace ember
