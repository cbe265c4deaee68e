#pragma once
/// @file
/// @brief ember::mpi::mmd2_rbf: the unbiased MMD² of metrics/mmd.hpp and its standard error, with the kernel
/// matrix rows computed in parallel across ranks.
///
/// The O((N + M)²) work is cut into ember::mmd2_rbf's blocks of rows (the N rows of x, then the M rows of y),
/// dealt to ranks (mpi/shard.hpp). A block yields, per row, its kernel row sums (without the diagonal) and, for
/// the first p = min(N, M) rows, the row sums of h and h² of the paired U-statistic (detail::mmd_row_sums);
/// those per-row sums are gathered in row order and every rank adds them up in that order, as ember::mmd2_rbf
/// does. So the result is bit-identical for any rank count, and with the default block size, to ember::mmd2_rbf.
///
/// @code
/// ember::MmdResult r = ember::mpi::mmd2_rbf<float>(comm, model_samples, held_out);  // every rank gets r
/// @endcode

#include <Eigen/Core>

#include <algorithm>
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
                   const ShardSettings& shard_settings = {.block_rows = ember::detail::mmd_block_rows}) {
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
  const Shard shard = shard_of(comm, n + m, shard_settings.block_rows, fn);
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(n + m, ember::detail::mmd_row_fields);
  for (Index b = shard.first_block; b < shard.first_block + shard.block_count; ++b)
    ember::detail::mmd_row_sums(xd, yd, result.bandwidths, shard.blocks.begin(b), shard.blocks.rows(b), sums);
  gather_rows(comm, shard, sums);
  ember::detail::mmd_from_row_sums(sums, n, m, result);
  return result;
}

}  // namespace ember::mpi
