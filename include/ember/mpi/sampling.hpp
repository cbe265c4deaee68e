#pragma once
/// @file
/// @brief ember::mpi::run: any kernel's `steps` transitions over chains split across ranks, gathered back.
///
/// Each rank steps its shard of rows (mpi/shard.hpp) with global chain numbers, then every rank receives every
/// row. The result is bit-identical to `kernel.step` run `steps` times over all rows in one process, for any
/// rank count, because each chain's transition depends only on its own row and its (seed, draw, chain)
/// numbers. Kernels whose step couples chains (a warm-up that adapts the step size to the mean acceptance of
/// the batch) see only their shard: turn such adaptation off (adapt_steps = 0) or the bits differ.
///
/// @code
/// ember::Langevin<float> kernel({.step_size = 0.01f});
/// ember::mpi::run(comm, kernel, energy, x, rng, 100);   // x: all chains, the same on every rank
/// @endcode

#include <cstdint>
#include <type_traits>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/shard.hpp"

namespace ember::mpi {

/// Settings of the sharded computations (aggregate).
struct ShardSettings {
  Index block_rows = 64;  ///< rows per block (≥ 1); blocks are dealt to ranks, so chains ≥ block_rows · ranks
};

namespace detail {

/// Every rank's generator must stand at the same position after a sharded call (it does whenever a kernel
/// takes the same number of draws for any number of rows, as every ember kernel does); checked where the
/// generator reports a position, so a mismatch is refused on every rank alike.
template <class G>
void require_same_position(const Communicator& comm, const G& rng, std::string_view fn) {
  if constexpr (requires { { rng.position() } -> std::convertible_to<std::uint64_t>; }) {
    if (comm.size() == 1) return;
    const std::vector<std::uint64_t> all = comm.allgather(std::vector<std::uint64_t>{rng.position()});
    for (const std::uint64_t p : all)
      ember::detail::require(p == all.front(), fn, "rng.position()", p, "differs between ranks (rank 0 at ",
                             all.front(), "): the kernel's draws depend on the number of rows");
  }
}

}  // namespace detail

/// @brief `steps` transitions of every chain (row of x) with the chains split across the ranks of `comm`.
/// @param x   all N chains, the same on every rank; on return every rank holds all N rows
/// @param rng the run's generator, at the same position on every rank; it advances as in a one-process run
/// @pre steps ≥ 0; N ≥ settings.block_rows · comm.size() (one block per rank at least).
template <class K, class E, class G>
void run(const Communicator& comm, K& kernel, const E& energy, BatchRef<typename E::scalar_type> x, G& rng,
         Index steps, const ShardSettings& settings = {}) {
  static_assert(Energy<E>, "ember::mpi::run: the energy type must model ember::Energy.");
  static_assert(Kernel<K, E, ShardGenerator<G>>, "ember::mpi::run: the kernel must model ember::Kernel for this "
                                                 "energy and a shard of the generator (kernel.step(energy, x, rng)).");
  constexpr const char* fn = "ember::mpi::run";
  ember::detail::require(steps >= 0, fn, "steps", steps, "must be >= 0");
  const Shard shard = shard_of(comm, x.rows(), settings.block_rows, fn);
  ShardGenerator<G> generator(rng, shard.first_row);
  BatchRef<typename E::scalar_type> mine = x.middleRows(shard.first_row, shard.rows);
  for (Index s = 0; s < steps; ++s) kernel.step(energy, mine, generator);
  gather_rows(comm, shard, x);
  detail::require_same_position(comm, rng, fn);
}

}  // namespace ember::mpi
