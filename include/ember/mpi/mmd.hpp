#pragma once
/// @file
/// @brief ember::mpi::mmd2_rbf: the unbiased MMD² of metrics/mmd.hpp and its standard error, with the kernel
/// matrix rows computed in parallel across ranks.
///
/// The O((N + M)²) work is cut into fixed blocks of rows (the N rows of x, then the M rows of y), dealt to ranks
/// (mpi/shard.hpp). A block yields, per row, its kernel row sums (without the diagonal) and, for the first
/// p = min(N, M) rows, the row sums of h and h² of the paired U-statistic; those per-row sums are gathered in
/// row order and every rank adds them up in that order. So the result is bit-identical for any rank count;
/// it equals ember::mmd2_rbf up to rounding (the sums are grouped by rows instead of whole matrices).
///
/// @code
/// ember::MmdResult r = ember::mpi::mmd2_rbf<float>(comm, model_samples, held_out);  // every rank gets r
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/metrics/mmd.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/sampling.hpp"
#include "ember/mpi/shard.hpp"

namespace ember::mpi {

/// @brief ember::mmd2_rbf over the ranks of `comm`; every rank returns the whole result.
/// @pre as ember::mmd2_rbf (N, M ≥ 2 rows used), and N + M ≥ shard.block_rows · comm.size().
template <Scalar T>
MmdResult mmd2_rbf(const Communicator& comm, BatchView<T> x, BatchView<T> y, const MmdSettings& settings = {},
                   const ShardSettings& shard_settings = {.block_rows = 16}) {
  constexpr const char* fn = "ember::mpi::mmd2_rbf";
  ember::detail::require_batch(x, x.cols(), fn, "x");
  ember::detail::require_batch(y, x.cols(), fn, "y");
  ember::detail::require(settings.max_points >= 0, fn, "settings.max_points", settings.max_points, "must be >= 0");
  const Index n = settings.max_points > 0 ? std::min(x.rows(), settings.max_points) : x.rows();
  const Index m = settings.max_points > 0 ? std::min(y.rows(), settings.max_points) : y.rows();
  ember::detail::require(n >= 2, fn, "x.rows()", n, "need at least 2 points");
  ember::detail::require(m >= 2, fn, "y.rows()", m, "need at least 2 points");
  MmdResult result;
  result.bandwidths = settings.bandwidths;
  if (result.bandwidths.empty()) result.bandwidths.push_back(median_heuristic_bandwidth<T>(x, y));
  for (const double l : result.bandwidths) ember::detail::require_positive(l, fn, "settings.bandwidths[]");
  const Eigen::MatrixXd xd = x.topRows(n).template cast<double>();
  const Eigen::MatrixXd yd = y.topRows(m).template cast<double>();
  const Index p = std::min(n, m);
  const Shard shard = shard_of(comm, n + m, shard_settings.block_rows, fn);

  // Per row t of the pooled rows (x, then y): [own-sample row sum without the diagonal, cross row sum,
  // Σⱼ h(t, j), Σⱼ h(t, j)²] (the h sums only for x rows t < p).
  constexpr Index fields = 4;
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(n + m, fields);
  const auto& l = result.bandwidths;
  for (Index b = shard.first_block; b < shard.first_block + shard.block_count; ++b) {
    const Index first = shard.blocks.begin(b), rows = shard.blocks.rows(b);
    // The block's x rows [x0, x1) and y rows [y0, y1).
    const Index x0 = std::min(first, n), x1 = std::min(first + rows, n);
    const Index y0 = std::max(first, n) - n, y1 = std::max(first + rows, n) - n;
    if (x1 > x0) {
      const Eigen::MatrixXd kxx = ember::detail::rbf_kernel(xd.middleRows(x0, x1 - x0), xd, l);
      const Eigen::MatrixXd kxy = ember::detail::rbf_kernel(xd.middleRows(x0, x1 - x0), yd, l);
      for (Index i = x0; i < x1; ++i) {
        sums(i, 0) = kxx.row(i - x0).sum() - kxx(i - x0, i);
        sums(i, 1) = kxy.row(i - x0).sum();
      }
      if (const Index h1 = std::min(x1, p); h1 > x0) {
        const Index count = h1 - x0;
        Eigen::MatrixXd h = kxx.topLeftCorner(count, p) +
                            ember::detail::rbf_kernel(yd.middleRows(x0, count), yd.topRows(p), l) -
                            kxy.topLeftCorner(count, p) -
                            ember::detail::rbf_kernel(yd.middleRows(x0, count), xd.topRows(p), l);
        for (Index i = 0; i < count; ++i) h(i, x0 + i) = 0;
        for (Index i = 0; i < count; ++i) {
          sums(x0 + i, 2) = h.row(i).sum();
          sums(x0 + i, 3) = h.row(i).squaredNorm();
        }
      }
    }
    if (y1 > y0) {
      const Eigen::MatrixXd kyy = ember::detail::rbf_kernel(yd.middleRows(y0, y1 - y0), yd, l);
      for (Index j = y0; j < y1; ++j) sums(n + j, 0) = kyy.row(j - y0).sum() - kyy(j - y0, j);
    }
  }
  gather_rows(comm, shard, sums);

  const double nn = static_cast<double>(n), mm = static_cast<double>(m);
  const double sxx = sums.col(0).head(n).sum() / (nn * (nn - 1));
  const double syy = sums.col(0).tail(m).sum() / (mm * (mm - 1));
  result.mmd2 = sxx + syy - 2 * (sums.col(1).head(n).sum() / (nn * mm));
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
  return result;
}

}  // namespace ember::mpi
