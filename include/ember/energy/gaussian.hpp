#pragma once
/// @file
/// @brief The quadratic (Gaussian) energy E(x) = ½ (x − μ)ᵀ P (x − μ) with learnable μ and precision P.
///
/// P = L Lᵀ with L lower triangular and a positive diagonal, parameterised by log L_kk, so every
/// parameter vector is a valid precision: the optimizer can never leave the positive-definite cone.
/// Parameter layout: θ = [μ (d entries) | L's lower triangle, column by column, diagonal as log L_kk].
///
/// @code
/// auto energy = ember::GaussianEnergy<double>::from_mean_covariance(mean, covariance);
/// ember::Vector<double> e(x.rows());
/// energy.energy(x, e);
/// @endcode

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <numbers>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/detail/symmetric_positive_definite.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"

namespace ember {

/// @brief Quadratic energy with learnable mean and Cholesky-factor precision. Unnormalised: the log
/// normaliser is `log_partition()`.
template <Scalar T>
class GaussianEnergy {
 public:
  using scalar_type = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// @brief N(0, I) in `dim` dimensions. @pre dim ≥ 1.
  static GaussianEnergy standard(Index dim) {
    detail::require_at_least_one(dim, "ember::GaussianEnergy::standard", "dim");
    (void)detail::checked_allocation<T>(dim, dim, "ember::GaussianEnergy::standard", "dim", dim,
                                        "the precision matrix");
    return from_mean_precision(Vector<T>::Zero(dim), Matrix::Identity(dim, dim));
  }

  /// @brief From a mean and a symmetric positive-definite precision matrix.
  static GaussianEnergy from_mean_precision(const Vector<T>& mean, const Matrix& precision) {
    constexpr const char* fn = "ember::GaussianEnergy::from_mean_precision";
    const Index d = mean.size();
    detail::require_at_least_one(d, fn, "mean.size()");
    detail::require_shape(precision, d, d, fn, "precision");
    detail::require_all_finite(mean, fn, "mean");
    detail::require_all_finite(precision, fn, "precision");
    detail::require_symmetric_positive_definite(precision, fn, "precision");
    Eigen::LLT<Matrix> llt(precision);
    detail::require(llt.info() == Eigen::Success && (llt.matrixL().toDenseMatrix().diagonal().array() > T(0)).all(),
                    fn, "precision", "(not positive definite)", "must be symmetric positive definite");
    GaussianEnergy result(d);
    result.params_.head(d) = mean;
    result.pack(llt.matrixL().toDenseMatrix());
    return result;
  }

  /// @brief From a mean and a symmetric positive-definite covariance matrix (checked: an asymmetric one, beyond
  /// rounding, or one that is not positive definite is an ember::invalid_argument naming the entry).
  static GaussianEnergy from_mean_covariance(const Vector<T>& mean, const Matrix& covariance) {
    constexpr const char* fn = "ember::GaussianEnergy::from_mean_covariance";
    detail::require_shape(covariance, mean.size(), mean.size(), fn, "covariance");
    detail::require_all_finite(covariance, fn, "covariance");
    detail::require_symmetric_positive_definite(covariance, fn, "covariance");
    Eigen::LLT<Matrix> llt(covariance);
    detail::require(llt.info() == Eigen::Success, fn, "covariance", "(not positive definite)",
                    "must be symmetric positive definite");
    Matrix precision = llt.solve(Matrix::Identity(mean.size(), mean.size()));
    precision = (T(0.5) * (precision + precision.transpose())).eval();  // exactly symmetric despite rounding
    return from_mean_precision(mean, precision);
  }

  [[nodiscard]] Index dim() const { return dim_; }
  [[nodiscard]] Index num_params() const { return params_.size(); }
  Vector<T>& params() { return params_; }
  const Vector<T>& params() const { return params_; }

  [[nodiscard]] Vector<T> mean() const { return params_.head(dim_); }
  /// The Cholesky factor L of the precision (lower triangular, positive diagonal).
  [[nodiscard]] Matrix precision_factor() const { return unpack(); }
  [[nodiscard]] Matrix precision() const {
    const Matrix l = unpack();
    return l * l.transpose();
  }
  [[nodiscard]] Matrix covariance() const {
    const Matrix l = unpack();
    const Matrix l_inv = l.template triangularView<Eigen::Lower>().solve(Matrix::Identity(dim_, dim_));
    return l_inv.transpose() * l_inv;
  }
  /// log ∫ exp(−E(x)) dx = (d/2) log 2π − Σₖ log L_kk.
  [[nodiscard]] T log_partition() const {
    T log_det_l = 0;
    for (Index k = 0; k < dim_; ++k) log_det_l += params_(dim_ + diagonal_offset(k));
    return T(0.5) * static_cast<T>(dim_) * std::log(T(2) * std::numbers::pi_v<T>) - log_det_l;
  }

  /// @brief e(i) = ½ ‖Lᵀ(xᵢ − μ)‖².
  void energy(BatchView<T> x, VectorRef<T> e) const {
    check(x, e.size(), "ember::GaussianEnergy::energy");
    auto& ws = workspace(x);
    auto u = ws.u(x.rows());
    u.noalias() = ws.r(x.rows()) * ws.l.template triangularView<Eigen::Lower>();
    e = T(0.5) * u.rowwise().squaredNorm();
  }

  /// @brief Also g(i, :) = P (xᵢ − μ).
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    constexpr const char* fn = "ember::GaussianEnergy::energy_and_gradient";
    check(x, e.size(), fn);
    detail::require_shape(g, x.rows(), dim_, fn, "g");
    auto& ws = workspace(x);
    auto u = ws.u(x.rows());
    u.noalias() = ws.r(x.rows()) * ws.l.template triangularView<Eigen::Lower>();
    e = T(0.5) * u.rowwise().squaredNorm();
    g.noalias() = u * ws.l.transpose();
  }

  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ): μ part −P rᵀw, L part (rᵀ diag(w) r) L.
  void accumulate_param_gradient(BatchView<T> x, VectorView<T> w, VectorRef<T> g) const {
    constexpr const char* fn = "ember::GaussianEnergy::accumulate_param_gradient";
    check(x, w.size(), fn);
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = workspace(x);
    const auto& l = ws.l;
    const auto r = ws.r(x.rows());
    auto u = ws.u(x.rows());
    g.head(dim_).noalias() -= l * (l.transpose() * (r.transpose() * w));
    u.noalias() = w.asDiagonal() * r;
    ws.s.noalias() = r.transpose() * u;
    ws.d_l.noalias() = ws.s * l;
    accumulate_factor_gradient(ws.d_l, g);
  }

  /// @brief g += ∇θ Σᵢ ⟨P(xᵢ − μ), vᵢ⟩: μ part −P vᵀ1, L part (rᵀv + vᵀr) L.
  void accumulate_mixed_gradient(BatchView<T> x, BatchView<T> v, VectorRef<T> g) const {
    constexpr const char* fn = "ember::GaussianEnergy::accumulate_mixed_gradient";
    check(x, x.rows(), fn);
    detail::require_shape(v, x.rows(), dim_, fn, "v");
    detail::require_shape(g, num_params(), 1, fn, "g");
    auto& ws = workspace(x);
    const auto& l = ws.l;
    g.head(dim_).noalias() -= l * (l.transpose() * v.colwise().sum().transpose());
    ws.s.noalias() = ws.r(x.rows()).transpose() * v;
    ws.d_l = ws.s.transpose();
    ws.s += ws.d_l;
    ws.d_l.noalias() = ws.s * l;
    accumulate_factor_gradient(ws.d_l, g);
  }

 private:
  explicit GaussianEnergy(Index dim) : dim_(dim), params_(Vector<T>::Zero(dim + dim * (dim + 1) / 2)) {}

  // Offset of L(i, j), i ≥ j, inside the packed lower triangle (column-major).
  [[nodiscard]] Index packed(Index i, Index j) const { return j * dim_ - j * (j - 1) / 2 + (i - j); }
  [[nodiscard]] Index diagonal_offset(Index k) const { return packed(k, k); }

  void pack(const Matrix& l) {
    for (Index j = 0; j < dim_; ++j)
      for (Index i = j; i < dim_; ++i)
        params_(dim_ + packed(i, j)) = (i == j) ? std::log(l(i, i)) : l(i, j);
  }
  [[nodiscard]] Matrix unpack() const {
    Matrix l;
    unpack_into(l);
    return l;
  }
  void unpack_into(Matrix& l) const {
    l.setZero(dim_, dim_);
    for (Index j = 0; j < dim_; ++j)
      for (Index i = j; i < dim_; ++i) {
        const T p = params_(dim_ + packed(i, j));
        l(i, j) = (i == j) ? std::exp(p) : p;
      }
  }
  // Per-thread buffers of the evaluations (const and thread-safe; no allocation once warm): the factor L,
  // d × d scratch, and the centred batch r = x − 1μᵀ with an N × d scratch u. r and u keep the largest row
  // count seen and are used through their top rows, so thread-pool row blocks of varying size never
  // reallocate them.
  struct Workspace {
    Matrix l, s, d_l;
    Batch<T> r_rows, u_rows;
    auto r(Index n) { return r_rows.topRows(n); }
    auto u(Index n) { return u_rows.topRows(n); }
  };
  Workspace& workspace(BatchView<T> x) const {
    thread_local Workspace ws;
    unpack_into(ws.l);
    if (ws.r_rows.rows() < x.rows() || ws.r_rows.cols() != dim_) {
      ws.r_rows.resize(x.rows(), dim_);
      ws.u_rows.resize(x.rows(), dim_);
    }
    ws.r(x.rows()) = x.rowwise() - params_.head(dim_).transpose();
    return ws;
  }
  // Adds dF/dL (given as a full d × d matrix) into the packed parameters; the log-diagonal picks up L_kk.
  void accumulate_factor_gradient(const Matrix& d_l, VectorRef<T> g) const {
    for (Index j = 0; j < dim_; ++j)
      for (Index i = j; i < dim_; ++i)
        g(dim_ + packed(i, j)) += (i == j) ? d_l(i, i) * std::exp(params_(dim_ + packed(i, i))) : d_l(i, j);
  }
  void check(BatchView<T> x, Index n, const char* fn) const {
    detail::require(x.rows() > 0, fn, "x", detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require_shape(x, x.rows(), dim_, fn, "x");
    detail::require(n == x.rows(), fn, "the per-point vector's size", n,
                    "must equal the number of points ", x.rows());
  }

  Index dim_;
  Vector<T> params_;
};

}  // namespace ember
