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
/// The kernel matrices are never held whole: the pooled rows (x's, then y's) are taken in blocks of
/// `detail::mmd_block_rows`, each block's kernel rows reduced to per-row sums at once, and those sums added in row
/// order. Memory is O(N + M) and the time O((N + M)²); ember::mpi::mmd2_rbf deals the same blocks to ranks and
/// returns the same bits.
///
/// @code
/// ember::MmdResult r = ember::mmd2_rbf<float>(model_samples, held_out);          // median heuristic
/// ember::MmdResult s = ember::mmd2_rbf<float>(model_samples, held_out, {.bandwidths = {0.1, 1.0}});
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/size_limit.hpp"

namespace ember {

/// Settings of mmd2_rbf (aggregate).
struct MmdSettings {
  std::vector<double> bandwidths{};  ///< fixed RBF bandwidths ℓ > 0; empty: one bandwidth by the median heuristic
  Index max_points = 0;  ///< use only the first max_points rows of each sample; 0 uses all (time O((N + M)²))
};

/// Result of mmd2_rbf.
struct MmdResult {
  double mmd2 = 0;            ///< the unbiased estimate of MMD² (may be slightly negative)
  double standard_error = 0;  ///< its estimated standard error
  std::vector<double> bandwidths{};  ///< the bandwidths used
};

namespace detail {

/// Pairwise squared distances between the rows of a (n × d) and b (m × d), in double. A block of a matrix's rows
/// binds to the Ref without a copy.
inline Eigen::MatrixXd squared_distances(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                         const Eigen::Ref<const Eigen::MatrixXd>& b) {
  Eigen::MatrixXd d2 = (-2.0 * a * b.transpose()).eval();
  d2.colwise() += a.rowwise().squaredNorm();
  d2.rowwise() += b.rowwise().squaredNorm().transpose();
  return d2.cwiseMax(0.0);
}

inline Eigen::MatrixXd rbf_kernel(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                  const Eigen::Ref<const Eigen::MatrixXd>& b, const std::vector<double>& bandwidths) {
  const Eigen::MatrixXd d2 = squared_distances(a, b);
  Eigen::MatrixXd k = Eigen::MatrixXd::Zero(a.rows(), b.rows());
  for (const double l : bandwidths) k.array() += (-d2.array() / (2 * l * l)).exp();
  return k / static_cast<double>(bandwidths.size());
}

/// Rows per block of the kernel sums: a block's kernel rows (a few blocks × max(N, M) doubles) are all that is held.
inline constexpr Index mmd_block_rows = 16;
/// Columns of the per-row sums (mmd_row_sums).
inline constexpr Index mmd_row_fields = 4;

/// Per-row sums of rows [first, first + rows) of the pooled rows t (x's n rows, then y's m rows) into `sums`
/// ((n + m) × mmd_row_fields): the own-sample kernel row sum without the diagonal, the cross row sum Σⱼ k(xₜ, yⱼ)
/// (x rows), and for x rows t < p = min(n, m) the row sums Σⱼ h(t, j) and Σⱼ h(t, j)² of the paired U-statistic
/// (h(t, t) = 0). ember::mmd2_rbf and ember::mpi::mmd2_rbf cut the rows into the same blocks of mmd_block_rows.
inline void mmd_row_sums(const Eigen::MatrixXd& xd, const Eigen::MatrixXd& yd, const std::vector<double>& bandwidths,
                         Index first, Index rows, Eigen::MatrixXd& sums) {
  const Index n = xd.rows(), m = yd.rows(), p = std::min(n, m);
  // The block's x rows [x0, x1) and y rows [y0, y1).
  const Index x0 = std::min(first, n), x1 = std::min(first + rows, n);
  const Index y0 = std::max(first, n) - n, y1 = std::max(first + rows, n) - n;
  if (x1 > x0) {
    const auto x_rows = xd.middleRows(x0, x1 - x0);
    const Eigen::MatrixXd kxx = rbf_kernel(x_rows, xd, bandwidths);
    const Eigen::MatrixXd kxy = rbf_kernel(x_rows, yd, bandwidths);
    for (Index i = x0; i < x1; ++i) {
      sums(i, 0) = kxx.row(i - x0).sum() - kxx(i - x0, i);
      sums(i, 1) = kxy.row(i - x0).sum();
    }
    if (const Index h1 = std::min(x1, p); h1 > x0) {
      const Index count = h1 - x0;
      // h(i, j) = k(xᵢ, xⱼ) + k(yᵢ, yⱼ) − k(xᵢ, yⱼ) − k(xⱼ, yᵢ) over i, j < p.
      const auto y_rows = yd.middleRows(x0, count);
      Eigen::MatrixXd h = kxx.topLeftCorner(count, p) + rbf_kernel(y_rows, yd.topRows(p), bandwidths) -
                          kxy.topLeftCorner(count, p) - rbf_kernel(y_rows, xd.topRows(p), bandwidths);
      for (Index i = 0; i < count; ++i) h(i, x0 + i) = 0;
      for (Index i = 0; i < count; ++i) {
        sums(x0 + i, 2) = h.row(i).sum();
        sums(x0 + i, 3) = h.row(i).squaredNorm();
      }
    }
  }
  if (y1 > y0) {
    const Eigen::MatrixXd kyy = rbf_kernel(yd.middleRows(y0, y1 - y0), yd, bandwidths);
    for (Index j = y0; j < y1; ++j) sums(n + j, 0) = kyy.row(j - y0).sum() - kyy(j - y0, j);
  }
}

/// MMD² and its standard error (into `result`) from the per-row sums of all n + m pooled rows, added in row order.
inline void mmd_from_row_sums(const Eigen::MatrixXd& sums, Index n, Index m, MmdResult& result) {
  const Index p = std::min(n, m);
  const double nn = static_cast<double>(n), mm = static_cast<double>(m);
  const double sxx = sums.col(0).head(n).sum() / (nn * (nn - 1));
  const double syy = sums.col(0).tail(m).sum() / (mm * (mm - 1));
  result.mmd2 = sxx + syy - 2 * (sums.col(1).head(n).sum() / (nn * mm));
  result.standard_error = 0;
  if (p >= 3) {
    const double pp = static_cast<double>(p);
    const double pairs = pp * (pp - 1);
    const double u = sums.col(2).head(p).sum() / pairs;
    const Eigen::VectorXd row_means = sums.col(2).head(p) / (pp - 1);
    const double zeta2 = std::max(0.0, sums.col(3).head(p).sum() / pairs - u * u);
    // A row mean over p − 1 partners has variance ζ₁ + (ζ₂ − ζ₁)/(p − 1): remove the second part.
    const double row_variance = (row_means.array() - u).square().sum() / (pp - 1);
    const double zeta1 = std::max(0.0, (row_variance - zeta2 / (pp - 1)) * (pp - 1) / (pp - 2));
    const double variance = 4 * (pp - 2) / pairs * zeta1 + 2 / pairs * zeta2;
    result.standard_error = std::sqrt(std::max(variance, 0.0));
  }
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

namespace detail {

/// What ember::mmd2_rbf and ember::mpi::mmd2_rbf compute from: the rows used (the first max_points of each, in
/// double), the bandwidths (the median heuristic's when none are given) and zeroed per-row sums, after the
/// argument checks they share (`fn` names the caller in their errors).
struct MmdInputs {
  Eigen::MatrixXd x, y;
  std::vector<double> bandwidths;
  Eigen::MatrixXd sums;  ///< (N + M) × mmd_row_fields, for mmd_row_sums
};

template <Scalar T>
MmdInputs mmd_inputs(BatchView<T> x, BatchView<T> y, const MmdSettings& settings, const char* fn) {
  require_batch(x, x.cols(), fn, "x");
  require_batch(y, x.cols(), fn, "y");
  require(settings.max_points >= 0, fn, "settings.max_points", settings.max_points, "must be >= 0");
  const Index n = settings.max_points > 0 ? std::min(x.rows(), settings.max_points) : x.rows();
  const Index m = settings.max_points > 0 ? std::min(y.rows(), settings.max_points) : y.rows();
  require(n >= 2, fn, "x.rows()", n, "need at least 2 points");
  require(m >= 2, fn, "y.rows()", m, "need at least 2 points");
  // The per-row sums are (N + M) × 4 doubles; a block's kernel rows a few blocks × max(N, M).
  (void)checked_allocation<double>(n + m, mmd_row_fields, fn, "settings.max_points", settings.max_points,
                                   "the per-row kernel sums (subsample with max_points)");
  MmdInputs in;
  in.bandwidths = settings.bandwidths;
  if (in.bandwidths.empty()) in.bandwidths.push_back(median_heuristic_bandwidth<T>(x, y));
  for (const double l : in.bandwidths) require_positive(l, fn, "settings.bandwidths[]");
  in.x = x.topRows(n).template cast<double>();
  in.y = y.topRows(m).template cast<double>();
  in.sums = Eigen::MatrixXd::Zero(n + m, mmd_row_fields);
  return in;
}

}  // namespace detail

/// @brief Unbiased MMD² between the rows of x (N × d) and y (M × d), with its standard error.
/// @pre N, M ≥ 2; equal numbers of columns; all finite; bandwidths > 0.
template <Scalar T>
MmdResult mmd2_rbf(BatchView<T> x, BatchView<T> y, const MmdSettings& settings = {}) {
  detail::MmdInputs in = detail::mmd_inputs<T>(x, y, settings, "ember::mmd2_rbf");
  const Index n = in.x.rows(), m = in.y.rows();
  for (Index first = 0; first < n + m; first += detail::mmd_block_rows)
    detail::mmd_row_sums(in.x, in.y, in.bandwidths, first, std::min(detail::mmd_block_rows, n + m - first), in.sums);
  MmdResult result;
  result.bandwidths = std::move(in.bandwidths);
  detail::mmd_from_row_sums(in.sums, n, m, result);
  return result;
}

}  // namespace ember
