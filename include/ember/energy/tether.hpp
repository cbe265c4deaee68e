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
/// estimators take parameter gradients on the base energy itself. A sampler that splits its chains into row
/// blocks over threads evaluates block [first, first + count) through `rows(first, count)`, the tether of
/// those points alone (ember::energy_rows picks it), so the bits do not depend on the worker count.
///
/// @code
/// ember::Tether tethered(energy, x_noisy, a, s);   // energy must outlive `tethered`
/// kernel.run(tethered, x, rng, steps);             // K tethered MCMC steps from the posterior
/// @endcode

#include <string>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {
namespace detail {

/// e(i) = E(xᵢ) + ‖yᵢ − aᵢ xᵢ‖²/(2sᵢ²) and, when g is given, g(i, :) = ∇E(xᵢ) − (aᵢ/sᵢ²)(yᵢ − aᵢ xᵢ): the one
/// body of ember::Tether and of its row blocks (the same arithmetic per row, whatever the block).
template <class E, class T = typename E::scalar_type>
void tether_evaluate(const E& base, std::type_identity_t<BatchView<T>> y, std::type_identity_t<VectorView<T>> a,
                     std::type_identity_t<VectorView<T>> half_inv_s2, std::type_identity_t<VectorView<T>> a_over_s2,
                     std::type_identity_t<BatchView<T>> x, std::type_identity_t<VectorRef<T>> e,
                     std::type_identity_t<BatchRef<T>*> g,
                     const char* fn) {
  detail::require(x.rows() == y.rows(), fn, "x", detail::shape_of(x.rows(), x.cols()),
                  "must have one row per tethered point (", y.rows(), ")");
  if (g == nullptr) {
    base.energy(x, e);
  } else {
    base.energy_and_gradient(x, e, *g);
  }
  for (Index j = 0; j < x.cols(); ++j) {
    const auto residual = y.col(j).array() - a.array() * x.col(j).array();
    e.array() += residual.square() * half_inv_s2.array();
    if (g != nullptr) g->col(j).array() -= residual * a_over_s2.array();
  }
}

}  // namespace detail

/// @brief Rows [first, first + count) of an ember::Tether: the posterior energy of those tethered points
/// alone, for a sampler's worker that evaluates one block of chains. A view: valid while the tether lives
/// and keeps its targets.
template <class E>
class TetherRows {
 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  TetherRows(const E& base, BatchView<T> y, VectorView<T> a, VectorView<T> half_inv_s2, VectorView<T> a_over_s2)
      : base_(&base), y_(y), a_(a), half_inv_s2_(half_inv_s2), a_over_s2_(a_over_s2) {}

  [[nodiscard]] Index dim() const { return base_->dim(); }
  /// @brief As ember::Tether::energy on these rows. @pre x has the block's row count.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    detail::tether_evaluate(*base_, y_, a_, half_inv_s2_, a_over_s2_, x, e, nullptr, "ember::TetherRows::energy");
  }
  /// @brief As ember::Tether::energy_and_gradient on these rows. @pre x, g have the block's row count.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    detail::tether_evaluate(*base_, y_, a_, half_inv_s2_, a_over_s2_, x, e, &g,
                            "ember::TetherRows::energy_and_gradient");
  }

 private:
  const E* base_;
  BatchView<T> y_;
  VectorView<T> a_;
  VectorView<T> half_inv_s2_;
  VectorView<T> a_over_s2_;
};

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
    detail::tether_evaluate(*base_, y_, a_, half_inv_s2_, a_over_s2_, x, e, nullptr, "ember::Tether::energy");
  }

  /// @brief Also g(i, :) = ∇E(xᵢ) − (aᵢ/sᵢ²)(yᵢ − aᵢ xᵢ). @pre x, g are N × d, e has length N.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    detail::tether_evaluate(*base_, y_, a_, half_inv_s2_, a_over_s2_, x, e, &g, "ember::Tether::energy_and_gradient");
  }

  /// @brief The tether of points [first, first + count) alone (a view; see ember::TetherRows).
  /// @pre 0 ≤ first, count ≥ 1, first + count ≤ size().
  [[nodiscard]] TetherRows<E> rows(Index first, Index count) const {
    detail::require(first >= 0 && count >= 1 && first + count <= y_.rows(), "ember::Tether::rows", "first + count",
                    first + count, "must be in [1, size()] with first >= 0 and count >= 1");
    return TetherRows<E>(*base_, y_.middleRows(first, count), a_.segment(first, count),
                         half_inv_s2_.segment(first, count), a_over_s2_.segment(first, count));
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

  const E* base_;
  Batch<T> y_;
  Vector<T> a_;
  Vector<T> s_;
  Vector<T> half_inv_s2_;  // 1/(2sᵢ²)
  Vector<T> a_over_s2_;    // aᵢ/sᵢ²
};

}  // namespace ember
