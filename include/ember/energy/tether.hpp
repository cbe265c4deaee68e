#pragma once
/// @file
/// @brief ember::Tether: the posterior energy of the diffusion estimators (DCD, recovery likelihood).
///
/// For a base energy E, per-point targets yᵢ (the noisy data x̃ᵢ), and per-point coefficients aᵢ, sᵢ > 0
/// of the noising kernel q(x̃ | x) = N(a x, s² I), the posterior p(x | x̃) ∝ exp(−E(x) − ‖x̃ − a x‖²/(2s²))
/// has energy
///
///     E_tether(xᵢ) = E(xᵢ) + ‖yᵢ − aᵢ xᵢ‖² / (2 sᵢ²),   ∇ₓE_tether(xᵢ) = ∇E(xᵢ) − (aᵢ / sᵢ²)(yᵢ − aᵢ xᵢ).
///
/// The tether keeps a pointer to the base (not a copy: the base's parameters change during training, and
/// the tether must see them) and copies y, a, s. It is an ember::Energy, deliberately not parametric:
/// estimators take parameter gradients on the base energy itself.
///
/// @code
/// ember::Tether tethered(energy, x_noisy, a, s);   // energy must outlive `tethered`
/// kernel.run(tethered, x, rng, steps);             // K tethered MCMC steps from the posterior
/// @endcode

#include <string>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief E(x) + ‖y − a x‖²/(2s²) row by row, for a base energy E held by pointer.
/// @pre the base energy outlives the tether (a temporary base is rejected at compile time).
template <class E>
class Tether {
  static_assert(Energy<E>, "ember::Tether: the base type must model ember::Energy "
                           "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");

 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  /// @brief Tethers `base` to targets y (N × d) with per-point a (length N) and s (length N).
  /// @pre y finite with base.dim() columns; a and s finite and > 0, each of length N = y.rows() ≥ 1.
  Tether(const E& base, BatchView<T> y, VectorView<T> a, VectorView<T> s) : base_(&base) {
    assign(y, a, s, "ember::Tether::Tether");
  }
  /// A tether to a temporary would dangle: the base is held by pointer.
  Tether(const E&&, BatchView<T>, VectorView<T>, VectorView<T>) = delete;

  /// @brief Replaces the targets and coefficients; reuses storage (no allocation when N is unchanged).
  /// @pre as for the constructor.
  void set_target(BatchView<T> y, VectorView<T> a, VectorView<T> s) { assign(y, a, s, "ember::Tether::set_target"); }

  [[nodiscard]] const E& base() const { return *base_; }
  [[nodiscard]] Index dim() const { return base_->dim(); }
  /// The number of tethered points N (every batch passed in must have N rows).
  [[nodiscard]] Index size() const { return y_.rows(); }
  [[nodiscard]] const Batch<T>& target() const { return y_; }
  [[nodiscard]] const Vector<T>& a() const { return a_; }
  [[nodiscard]] const Vector<T>& s() const { return s_; }

  /// @brief e(i) = E(xᵢ) + ‖yᵢ − aᵢ xᵢ‖²/(2sᵢ²). @pre x is N × d, e has length N.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, "ember::Tether::energy");
    base_->energy(x, e);
    for (Index j = 0; j < x.cols(); ++j)
      e.array() += (y_.col(j).array() - a_.array() * x.col(j).array()).square() * half_inv_s2_.array();
  }

  /// @brief Also g(i, :) = ∇E(xᵢ) − (aᵢ/sᵢ²)(yᵢ − aᵢ xᵢ). @pre x, g are N × d, e has length N.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    check(x, "ember::Tether::energy_and_gradient");
    base_->energy_and_gradient(x, e, g);
    for (Index j = 0; j < x.cols(); ++j) {
      const auto residual = y_.col(j).array() - a_.array() * x.col(j).array();
      e.array() += residual.square() * half_inv_s2_.array();
      g.col(j).array() -= residual * a_over_s2_.array();
    }
  }

 private:
  void assign(BatchView<T> y, VectorView<T> a, VectorView<T> s, const char* fn) {
    detail::require_batch(y, base_->dim(), fn, "y");
    detail::require_shape(a, y.rows(), 1, fn, "a");
    detail::require_shape(s, y.rows(), 1, fn, "s");
    for (Index i = 0; i < y.rows(); ++i) {
      detail::require_positive(a(i), fn, "a(" + std::to_string(i) + ")");
      detail::require_positive(s(i), fn, "s(" + std::to_string(i) + ")");
    }
    y_ = y;  // Eigen reuses the allocation when the size is unchanged
    a_ = a;
    s_ = s;
    half_inv_s2_ = T(0.5) / s_.array().square();
    a_over_s2_ = a_.array() / s_.array().square();
  }
  void check(BatchView<T> x, const char* fn) const {
    detail::require(x.rows() == y_.rows(), fn, "x", detail::shape_of(x.rows(), x.cols()),
                    "must have one row per tethered point (", y_.rows(), ")");
  }

  const E* base_;
  Batch<T> y_;
  Vector<T> a_;
  Vector<T> s_;
  Vector<T> half_inv_s2_;  // 1/(2sᵢ²)
  Vector<T> a_over_s2_;    // aᵢ/sᵢ²
};

}  // namespace ember
