#pragma once
/// @file
/// @brief D-dimensional Gaussian data N(μ, Σ) with its exact mean and covariance: identity, random (Wishart),
/// a given condition number, or estimated from a data file.
///
/// - `identity(d)`: N(0, I) (seed 002's setup);
/// - `random(d, seed)`: Σ = A Aᵀ / (2d) with A a d × 2d matrix of standard normals (a Wishart draw with 2d
///   degrees of freedom, normalised to mean I);
/// - `with_condition_number(d, κ, seed)`: Σ = Q diag(λ) Qᵀ with Q a Haar-random rotation and λ log-spaced from
///   κ^{-1/2} to κ^{1/2} (so det Σ = 1 and cond Σ = κ exactly);
/// - `from_samples(x)`: the sample mean and (unbiased) sample covariance of a data set, e.g. read from a CSV.
/// Samples are x = μ + L ε with Σ = L Lᵀ, one generator draw per call.
///
/// @code
/// auto data = ember::GaussianData<double>::with_condition_number(16, 100.0, /*seed=*/3);
/// ember::Batch<double> x = data.sample(1000, rng);   // 1000 × 16
/// @endcode

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/QR>

#include <cmath>
#include <cstdint>
#include <numbers>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/detail/symmetric_positive_definite.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/simd/random.hpp"

namespace ember {

/// @brief A Gaussian data distribution with exact mean, covariance and log-density.
template <Scalar T>
class GaussianData {
 public:
  using scalar_type = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// @brief N(0, I) in `dim` dimensions. @pre dim ≥ 1.
  static GaussianData identity(Index dim) {
    detail::require_at_least_one(dim, "ember::GaussianData::identity", "dim");
    (void)detail::checked_allocation<double>(dim, dim, "ember::GaussianData::identity", "dim", dim, "the covariance");
    return GaussianData(Vector<T>::Zero(dim), Matrix::Identity(dim, dim), "ember::GaussianData::identity");
  }

  /// @brief N(0, A Aᵀ / (2d)) with A a d × 2d standard normal matrix drawn from Philox(seed). @pre dim ≥ 1.
  static GaussianData random(Index dim, std::uint64_t seed) {
    detail::require_at_least_one(dim, "ember::GaussianData::random", "dim");
    (void)detail::checked_allocation<double>(detail::checked_product(dim, 2, "ember::GaussianData::random", "dim", dim,
                                                                     "the d x 2d factor"),
                                             dim, "ember::GaussianData::random", "dim", dim, "the d x 2d factor");
    Philox rng(seed);
    Eigen::MatrixXd a(dim, 2 * dim);
    rng.normal(a);
    const Eigen::MatrixXd covariance = a * a.transpose() / static_cast<double>(2 * dim);
    return GaussianData(Vector<T>::Zero(dim), covariance.cast<T>(), "ember::GaussianData::random");
  }

  /// @brief N(0, Q diag(λ) Qᵀ), λ log-spaced from κ^{-1/2} to κ^{1/2}, Q Haar-random from Philox(seed).
  /// @pre dim ≥ 1, condition ≥ 1 (and condition = 1 when dim = 1).
  static GaussianData with_condition_number(Index dim, T condition, std::uint64_t seed) {
    constexpr const char* fn = "ember::GaussianData::with_condition_number";
    detail::require_at_least_one(dim, fn, "dim");
    (void)detail::checked_allocation<double>(dim, dim, fn, "dim", dim, "the covariance");
    detail::require(std::isfinite(condition) && condition >= T(1), fn, "condition", condition,
                    "must be finite and >= 1");
    detail::require(dim >= 2 || condition == T(1), fn, "condition", condition,
                    "a 1-dimensional covariance has condition number 1");
    const Eigen::MatrixXd q = random_rotation(dim, seed);
    Eigen::VectorXd lambda(dim);
    const double log_k = std::log(static_cast<double>(condition));
    for (Index i = 0; i < dim; ++i)
      lambda(i) = dim == 1 ? 1.0 : std::exp(log_k * (static_cast<double>(i) / static_cast<double>(dim - 1) - 0.5));
    const Eigen::MatrixXd covariance = q * lambda.asDiagonal() * q.transpose();
    return GaussianData(Vector<T>::Zero(dim), (0.5 * (covariance + covariance.transpose())).cast<T>(), fn);
  }

  /// @brief N(mean, covariance). @pre covariance symmetric positive definite, shapes agree, all finite.
  static GaussianData from_mean_covariance(const Vector<T>& mean, const Matrix& covariance) {
    return GaussianData(mean, covariance, "ember::GaussianData::from_mean_covariance");
  }

  /// @brief The Gaussian with the sample mean and unbiased sample covariance of x (N × d). @pre N > d.
  static GaussianData from_samples(BatchView<T> x) {
    constexpr const char* fn = "ember::GaussianData::from_samples";
    detail::require_batch(x, x.cols(), fn, "x");
    detail::require(x.rows() > x.cols(), fn, "x.rows()", x.rows(),
                    "need more points than dimensions ", x.cols(), " for a covariance");
    const Eigen::MatrixXd xd = x.template cast<double>();
    const Eigen::VectorXd mean = xd.colwise().mean().transpose();
    const Eigen::MatrixXd centred = xd.rowwise() - mean.transpose();
    const Eigen::MatrixXd covariance = centred.transpose() * centred / static_cast<double>(x.rows() - 1);
    return GaussianData(mean.cast<T>(), covariance.cast<T>(), fn);
  }

  [[nodiscard]] Index dim() const { return mean_.size(); }
  [[nodiscard]] const Vector<T>& mean() const { return mean_; }
  [[nodiscard]] const Matrix& covariance() const { return covariance_; }
  /// The lower Cholesky factor L of Σ = L Lᵀ.
  [[nodiscard]] const Matrix& covariance_factor() const { return factor_; }
  /// log det Σ.
  [[nodiscard]] T log_det_covariance() const { return T(2) * factor_.diagonal().array().log().sum(); }

  /// @brief The exact data energy ½(x − μ)ᵀΣ⁻¹(x − μ) (its log_partition() is exact).
  [[nodiscard]] GaussianEnergy<T> energy() const { return GaussianEnergy<T>::from_mean_covariance(mean_, covariance_); }

  /// @brief out(i) = log N(xᵢ; μ, Σ). @pre x is N × d, out has N entries.
  void log_density(BatchView<T> x, VectorRef<T> out) const {
    constexpr const char* fn = "ember::GaussianData::log_density";
    detail::require_batch(x, dim(), fn, "x");
    detail::require_shape(out, x.rows(), 1, fn, "out");
    const Batch<T> centred = x.rowwise() - mean_.transpose();
    // Solve L z = (x − μ) for all points at once: zᵀ = L⁻¹ (x − μ)ᵀ.
    const Matrix z = factor_.template triangularView<Eigen::Lower>().solve(centred.transpose());
    const T constant = T(0.5) * (static_cast<T>(dim()) * std::log(T(2) * std::numbers::pi_v<T>) + log_det_covariance());
    out = (T(-0.5) * z.colwise().squaredNorm().transpose()).array() - constant;
  }

  /// @brief Fills every row of `out` (N × d) with an independent draw of N(μ, Σ); one generator draw.
  template <class G>
  void sample(BatchRef<T> out, G& rng) const {
    static_assert(Generator<G>, "ember::GaussianData::sample: the generator must model ember::Generator.");
    detail::require_shape(out, out.rows(), dim(), "ember::GaussianData::sample", "out");
    Batch<T> z(out.rows(), dim());
    rng.draw().template normal<T>(z, 0);
    out.noalias() = z * factor_.transpose();
    out.rowwise() += mean_.transpose();
  }

  /// @brief n independent draws as a new n × d batch. @pre n ≥ 1.
  template <class G>
  Batch<T> sample(Index n, G& rng) const {
    detail::require_at_least_one(n, "ember::GaussianData::sample", "n");
    (void)detail::checked_allocation<T>(n, dim(), "ember::GaussianData::sample", "n", n, "the samples");
    Batch<T> out(n, dim());
    sample(out, rng);
    return out;
  }

  /// @brief A Haar-distributed d × d rotation (orthogonal matrix) from Philox(seed): QR of a Gaussian matrix
  /// with the signs of R's diagonal moved into Q (Mezzadri 2007).
  static Eigen::MatrixXd random_rotation(Index dim, std::uint64_t seed) {
    Philox rng(seed);
    Eigen::MatrixXd g(dim, dim);
    rng.normal(g);
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
    Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(dim, dim);
    const Eigen::MatrixXd r = qr.matrixQR().template triangularView<Eigen::Upper>();
    for (Index j = 0; j < dim; ++j)
      if (r(j, j) < 0) q.col(j) = -q.col(j);
    return q;
  }

 private:
  GaussianData(const Vector<T>& mean, const Matrix& covariance, const char* fn) : mean_(mean), covariance_(covariance) {
    const Index d = mean.size();
    detail::require_at_least_one(d, fn, "mean.size()");
    detail::require_shape(covariance, d, d, fn, "covariance");
    detail::require_all_finite(mean, fn, "mean");
    detail::require_all_finite(covariance, fn, "covariance");
    detail::require_symmetric_positive_definite(covariance, fn, "covariance");
    Eigen::LLT<Matrix> llt(covariance);
    detail::require(llt.info() == Eigen::Success, fn, "covariance", "(not positive definite)",
                    "must be symmetric positive definite");
    factor_ = llt.matrixL();
  }

  Vector<T> mean_;
  Matrix covariance_;
  Matrix factor_;
};

}  // namespace ember
