#pragma once
/// @file
/// @brief ember::BananaEnergy: the twisted Gaussian (Haario et al.'s "banana"), a curved target with an
/// exact normaliser and exact sampling.
///
/// x₀ ~ N(0, s²), x₁ | x₀ ~ N(b (x₀² − s²), 1), x_j ~ N(0, 1) for j ≥ 2, so
///     E(x) = x₀²/(2s²) + ½ (x₁ − b(x₀² − s²))² + ½ Σ_{j≥2} x_j²,   log Z = (d/2) log 2π + log s,
/// with mean 0 and Var x₀ = s², Var x₁ = 1 + 2b²s⁴ (x₀ and x₁ are uncorrelated yet strongly dependent).
///
/// @code
/// ember::BananaEnergy<double> target(2, /*scale=*/1.0, /*curvature=*/1.0);
/// target.log_density(x, log_p);
/// @endcode

#include <cmath>
#include <numbers>
#include <string>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief The twisted Gaussian in d ≥ 2 dimensions (not parametric).
template <Scalar T>
class BananaEnergy {
 public:
  using scalar_type = T;

  /// @pre dim ≥ 2; scale s finite and > 0; curvature b finite (0 gives a Gaussian).
  explicit BananaEnergy(Index dim = 2, T scale = T(1), T curvature = T(1)) : dim_(dim), s_(scale), b_(curvature) {
    constexpr const char* fn = "ember::BananaEnergy::BananaEnergy";
    detail::require(dim >= 2, fn, "dim", dim, "must be >= 2 (the twist couples coordinates 0 and 1)");
    detail::require_positive(scale, fn, "scale");
    detail::require_finite(curvature, fn, "curvature");
  }

  [[nodiscard]] Index dim() const { return dim_; }
  [[nodiscard]] T scale() const { return s_; }
  [[nodiscard]] T curvature() const { return b_; }
  /// log Z = (d/2) log 2π + log s, exactly.
  [[nodiscard]] T log_partition() const {
    return T(0.5) * static_cast<T>(dim_) * std::log(T(2) * std::numbers::pi_v<T>) + std::log(s_);
  }

  /// @brief e(i) = E(xᵢ). @pre x is N × d (N ≥ 1, finite), e has length N.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::BananaEnergy::energy");
    evaluate(x, e);
  }

  /// @brief Also g = (x₀/s² − 2b x₀ r, r, x₂, …) with r = x₁ − b(x₀² − s²). @pre g is N × d.
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::BananaEnergy::energy_and_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, x.rows(), dim_, fn, "g");
    evaluate(x, e);
    const auto x0 = x.col(0).array();
    g.col(1).array() = x.col(1).array() - b_ * (x0.square() - s_ * s_);  // r
    g.col(0).array() = x0 / (s_ * s_) - (T(2) * b_) * x0 * g.col(1).array();
    if (dim_ > 2) g.rightCols(dim_ - 2) = x.rightCols(dim_ - 2);
  }

  /// @brief out(i) = −E(xᵢ) − log Z. @pre out has length N.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    energy(x, out);
    out.array() = -out.array() - log_partition();
  }

  /// @brief Exact samples, one per row of `out` (one draw of the generator; row i depends only on
  /// (seed, draw, i)). @pre out has d columns and at least one row.
  template <class G>
  void sample(BatchRef<T> out, G& rng) const {
    static_assert(Generator<G>, "ember::BananaEnergy::sample: the generator must model ember::Generator "
                                "(for example ember::Philox).");
    constexpr const char* fn = "ember::BananaEnergy::sample";
    detail::require(out.rows() >= 1, fn, "out", detail::shape_of(out.rows(), out.cols()), "the batch is empty");
    detail::require_shape(out, out.rows(), dim_, fn, "out");
    rng.draw().template normal<T>(out, 0);
    out.col(0) *= s_;
    out.col(1).array() += b_ * (out.col(0).array().square() - s_ * s_);
  }

 private:
  void evaluate(BatchView<T> x, VectorRef<T> e) const {
    const auto x0 = x.col(0).array();
    e.array() = (T(0.5) / (s_ * s_)) * x0.square() +
                T(0.5) * (x.col(1).array() - b_ * (x0.square() - s_ * s_)).square();
    if (dim_ > 2) e.noalias() += T(0.5) * x.rightCols(dim_ - 2).rowwise().squaredNorm();
  }
  void check(BatchView<T> x, Index n, const char* fn) const {
    detail::require_batch(x, dim_, fn, "x");
    detail::require(n == x.rows(), fn, "the per-point vector's size", n,
                    "must equal the number of points ", x.rows());
  }

  Index dim_;
  T s_;
  T b_;
};

}  // namespace ember
