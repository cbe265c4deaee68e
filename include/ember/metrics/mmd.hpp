#pragma once
/// @file
/// @brief Unbiased MMD² between two samples with an RBF kernel (median-heuristic or fixed bandwidths),
/// with a standard error.
///
/// k(x, y) = Σ_b exp(−‖x − y‖² / (2 ℓ_b²)) / B over the bandwidths ℓ_b (one bandwidth: the plain RBF kernel).
/// The estimator is Gretton et al.'s (2012) unbiased U-statistic
/// MMD²_u = mean_{i≠i'} k(xᵢ, xᵢ') + mean_{j≠j'} k(yⱼ, yⱼ') − 2 mean_{i,j} k(xᵢ, yⱼ),
/// which can be negative and has expectation exactly 0 when both samples come from one distribution.
/// The standard error is the U-statistic's: with n = min(N, M) pairs zᵢ = (xᵢ, yᵢ) and
/// h(zᵢ, zⱼ) = k(xᵢ,xⱼ) + k(yᵢ,yⱼ) − k(xᵢ,yⱼ) − k(xⱼ,yᵢ),
/// Var ≈ 4(n−2)/(n(n−1)) ζ₁ + 2/(n(n−1)) ζ₂ with ζ₁ = Var(mean_j h(zᵢ, zⱼ)) and ζ₂ = Var h (Hoeffding).
/// The median heuristic sets ℓ to the median pairwise distance of the pooled sample (its first 1000 points).
///
/// @code
/// ember::MmdResult r = ember::mmd2_rbf<float>(model_samples, held_out);          // median heuristic
/// ember::MmdResult s = ember::mmd2_rbf<float>(model_samples, held_out, {.bandwidths = {0.1, 1.0}});
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"

namespace ember {

/// Settings of mmd2_rbf (aggregate).
struct MmdSettings {
  std::vector<double> bandwidths{};  ///< fixed RBF bandwidths ℓ > 0; empty: one bandwidth by the median heuristic
  Index max_points = 0;  ///< use only the first max_points rows of each sample; 0 uses all (memory O((N + M)²))
};

/// Result of mmd2_rbf.
struct MmdResult {
  double mmd2 = 0;            ///< the unbiased estimate of MMD² (may be slightly negative)
  double standard_error = 0;  ///< its estimated standard error
  std::vector<double> bandwidths{};  ///< the bandwidths used
};

namespace detail {

/// Pairwise squared distances between the rows of a (n × d) and b (m × d), in double.
inline Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  Eigen::MatrixXd d2 = (-2.0 * a * b.transpose()).eval();
  d2.colwise() += a.rowwise().squaredNorm();
  d2.rowwise() += b.rowwise().squaredNorm().transpose();
  return d2.cwiseMax(0.0);
}

inline Eigen::MatrixXd rbf_kernel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                  const std::vector<double>& bandwidths) {
  const Eigen::MatrixXd d2 = squared_distances(a, b);
  Eigen::MatrixXd k = Eigen::MatrixXd::Zero(a.rows(), b.rows());
  for (const double l : bandwidths) k.array() += (-d2.array() / (2 * l * l)).exp();
  return k / static_cast<double>(bandwidths.size());
}

}  // namespace detail

/// @brief The median pairwise distance of the pooled rows of x and y (at most `max_points` of each).
template <Scalar T>
double median_heuristic_bandwidth(BatchView<T> x, BatchView<T> y, Index max_points = 500) {
  constexpr const char* fn = "ember::median_heuristic_bandwidth";
  detail::require_batch(x, x.cols(), fn, "x");
  detail::require_batch(y, x.cols(), fn, "y");
  detail::require_at_least_one(max_points, fn, "max_points");
  const Index nx = std::min(x.rows(), max_points);
  const Index ny = std::min(y.rows(), max_points);
  (void)detail::checked_allocation<double>(nx + ny, nx + ny, fn, "max_points", max_points,
                                           "the pooled distance matrix");
  Eigen::MatrixXd pooled(nx + ny, x.cols());
  pooled.topRows(nx) = x.topRows(nx).template cast<double>();
  pooled.bottomRows(ny) = y.topRows(ny).template cast<double>();
  const Eigen::MatrixXd d2 = detail::squared_distances(pooled, pooled);
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(pooled.rows() * (pooled.rows() - 1) / 2));
  for (Index j = 0; j < pooled.rows(); ++j)
    for (Index i = j + 1; i < pooled.rows(); ++i) values.push_back(d2(i, j));
  detail::require(!values.empty(), fn, "x.rows() + y.rows()", nx + ny, "need at least 2 points");
  auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  const double median = std::sqrt(*middle);
  return median > 0 ? median : 1.0;
}

/// @brief Unbiased MMD² between the rows of x (N × d) and y (M × d), with its standard error.
/// @pre N, M ≥ 2; equal numbers of columns; all finite; bandwidths > 0.
template <Scalar T>
MmdResult mmd2_rbf(BatchView<T> x, BatchView<T> y, const MmdSettings& settings = {}) {
  constexpr const char* fn = "ember::mmd2_rbf";
  detail::require_batch(x, x.cols(), fn, "x");
  detail::require_batch(y, x.cols(), fn, "y");
  detail::require(settings.max_points >= 0, fn, "settings.max_points", settings.max_points, "must be >= 0");
  const Index n = settings.max_points > 0 ? std::min(x.rows(), settings.max_points) : x.rows();
  const Index m = settings.max_points > 0 ? std::min(y.rows(), settings.max_points) : y.rows();
  detail::require(n >= 2, fn, "x.rows()", n, "need at least 2 points");
  detail::require(m >= 2, fn, "y.rows()", m, "need at least 2 points");
  // The kernel matrices are max(n, m)² doubles at most: a huge sample needs settings.max_points.
  (void)detail::checked_allocation<double>(std::max(n, m), std::max(n, m), fn, "settings.max_points",
                                           settings.max_points, "the kernel matrices (subsample with max_points)");
  MmdResult result;
  result.bandwidths = settings.bandwidths;
  if (result.bandwidths.empty()) result.bandwidths.push_back(median_heuristic_bandwidth<T>(x, y));
  for (const double l : result.bandwidths) detail::require_positive(l, fn, "settings.bandwidths[]");
  const Eigen::MatrixXd xd = x.topRows(n).template cast<double>();
  const Eigen::MatrixXd yd = y.topRows(m).template cast<double>();
  const Eigen::MatrixXd kxx = detail::rbf_kernel(xd, xd, result.bandwidths);
  const Eigen::MatrixXd kyy = detail::rbf_kernel(yd, yd, result.bandwidths);
  const Eigen::MatrixXd kxy = detail::rbf_kernel(xd, yd, result.bandwidths);
  const double nn = static_cast<double>(n), mm = static_cast<double>(m);
  const double sxx = (kxx.sum() - kxx.trace()) / (nn * (nn - 1));
  const double syy = (kyy.sum() - kyy.trace()) / (mm * (mm - 1));
  result.mmd2 = sxx + syy - 2 * kxy.mean();
  // Standard error from the paired U-statistic on the first p = min(n, m) points of each sample.
  const Index p = std::min(n, m);
  if (p >= 3) {
    Eigen::MatrixXd h = kxx.topLeftCorner(p, p) + kyy.topLeftCorner(p, p) - kxy.topLeftCorner(p, p) -
                        kxy.topLeftCorner(p, p).transpose();
    h.diagonal().setZero();
    const double pp = static_cast<double>(p);
    const double pairs = pp * (pp - 1);
    const double u = h.sum() / pairs;
    const Eigen::VectorXd row_means = h.rowwise().sum() / (pp - 1);
    const double zeta2 = std::max(0.0, h.array().square().sum() / pairs - u * u);
    // A row mean over p − 1 partners has variance ζ₁ + (ζ₂ − ζ₁)/(p − 1): remove the second part.
    const double row_variance = (row_means.array() - u).square().sum() / (pp - 1);
    const double zeta1 = std::max(0.0, (row_variance - zeta2 / (pp - 1)) * (pp - 1) / (pp - 2));
    const double variance = 4 * (pp - 2) / pairs * zeta1 + 2 / pairs * zeta2;
    result.standard_error = std::sqrt(std::max(variance, 0.0));
  }
  return result;
}

}  // namespace ember
