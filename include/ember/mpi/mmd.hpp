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

#include <utility>

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
  ember::detail::MmdInputs in = ember::detail::mmd_inputs<T>(x, y, settings, fn);
  const Index n = in.x.rows(), m = in.y.rows();
  const Shard shard = shard_of(comm, n + m, shard_settings.block_rows, fn);
  for (Index b = shard.first_block; b < shard.first_block + shard.block_count; ++b)
    ember::detail::mmd_row_sums(in.x, in.y, in.bandwidths, shard.blocks.begin(b), shard.blocks.rows(b), in.sums);
  gather_rows(comm, shard, in.sums);
  MmdResult result;
  result.bandwidths = std::move(in.bandwidths);
  ember::detail::mmd_from_row_sums(in.sums, n, m, result);
  return result;
}

}  // namespace ember::mpi
