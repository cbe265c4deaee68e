#pragma once
/// @file
/// @brief ember::DoubleWellEnergy: E(x) = a (x₀² − 1)² + ½ Σ_{j≥1} x_j², a bimodal target with a known
/// normaliser, for testing samplers' mode hopping and AIS.
///
/// log Z = log ∫ exp(−a(u² − 1)²) du + ((d − 1)/2) log 2π. The 1D integral is computed once, in double, by
/// the trapezoidal rule on [−R, R] with a(R² − 1)² = 50 and step h = min(1/√(8a), ½)/16. The integrand is
/// entire, and on the lines Im u = ±δ, δ = min(1/√(8a), ½), it is bounded by e^{4aδ²(1 + 2δ²)} ≤ e^{3/4}
/// times its real-axis envelope, so the rule's relative error is of order e^{3/4 − 2πδ/h} = e^{3/4 − 32π}
/// ≈ 1e-43, and the truncated tails are below e^{−50}: log_partition() is accurate to 1e-10 (in practice
/// to rounding) for every a > 0.
///
/// @code
/// ember::DoubleWellEnergy<double> target(2, /*a=*/2.0);
/// double log_z = target.log_partition();
/// @endcode

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief Double well in coordinate 0 (minima at x₀ = ±1, barrier height a), standard normal in the rest.
template <Scalar T>
class DoubleWellEnergy {
 public:
  using scalar_type = T;

  /// @pre dim ≥ 1; a finite and > 0.
  explicit DoubleWellEnergy(Index dim, T a = T(1)) : dim_(dim), a_(a) {
    constexpr const char* fn = "ember::DoubleWellEnergy::DoubleWellEnergy";
    detail::require_at_least_one(dim, fn, "dim");
    detail::require_positive(a, fn, "a");
    log_partition_ = static_cast<T>(std::log(well_integral(static_cast<double>(a))) +
                                    0.5 * static_cast<double>(dim - 1) * std::log(2 * std::numbers::pi));
  }

  [[nodiscard]] Index dim() const { return dim_; }
  /// The barrier height a (E(0) − E(±1) along coordinate 0).
  [[nodiscard]] T a() const { return a_; }
  /// log ∫ exp(−E(x)) dx, by the quadrature described in the file notes.
  [[nodiscard]] T log_partition() const { return log_partition_; }

  /// @brief e(i) = a (xᵢ₀² − 1)² + ½ Σ_{j≥1} xᵢⱼ². @pre x is N × d (N ≥ 1, finite), e has length N.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::DoubleWellEnergy::energy");
    evaluate(x, e);
  }

  /// @brief Also g(i, 0) = 4a xᵢ₀ (xᵢ₀² − 1), g(i, j) = xᵢⱼ for j ≥ 1. @pre g is N × d.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::DoubleWellEnergy::energy_and_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, x.rows(), dim_, fn, "g");
    evaluate(x, e);
    g.col(0).array() = (T(4) * a_) * x.col(0).array() * (x.col(0).array().square() - T(1));
    if (dim_ > 1) g.rightCols(dim_ - 1) = x.rightCols(dim_ - 1);
  }

  /// @brief out(i) = −E(xᵢ) − log Z. @pre out has length N.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    energy(x, out);
    out.array() = -out.array() - log_partition_;
  }

 private:
  void evaluate(BatchView<T> x, VectorRef<T> e) const {
    e.array() = a_ * (x.col(0).array().square() - T(1)).square();
    if (dim_ > 1) e.noalias() += T(0.5) * x.rightCols(dim_ - 1).rowwise().squaredNorm();
  }
  // ∫ exp(−a(u² − 1)²) du by the trapezoidal rule (see the file notes for the step and the range).
  static double well_integral(double a) {
    const double step = std::min(1 / std::sqrt(8 * a), 0.5) / 16;
    const double range = std::sqrt(1 + std::sqrt(50 / a));
    const auto count = static_cast<long>(std::ceil(range / step));
    double sum = 1 / std::exp(a);  // u = 0, counted once; the rest by symmetry
    for (long k = 1; k <= count; ++k) {
      const double u = static_cast<double>(k) * step;
      const double v = u * u - 1;
      sum += 2 * std::exp(-a * v * v);
    }
    return sum * step;
  }
  void check(BatchView<T> x, Index n, const char* fn) const {
    detail::require_batch(x, dim_, fn, "x");
    detail::require(n == x.rows(), fn, "the per-point vector's size", n,
                    "must equal the number of points ", x.rows());
  }

  Index dim_;
  T a_;
  T log_partition_;
};

}  // namespace ember
