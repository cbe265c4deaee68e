#pragma once
/// @file
/// @brief A rank's share of the chains: fixed row blocks, a contiguous range of them per rank, the generator
/// that gives a shard's rows their global chain numbers, and the gather that puts the rows back together.
///
/// The blocks depend on the number of chains and `block_rows` only, never on the rank count; rank r of R
/// owns blocks [⌊rB/R⌋, ⌊(r+1)B/R⌋) of the B blocks (uneven shares differ by one block). Since chain c's random
/// numbers depend only on (seed, draw, c) (simd/random.hpp) and every kernel treats rows independently, a
/// shard stepped with `ShardGenerator` (chain numbers offset by the shard's first row) holds exactly the rows a
/// one-process run over all chains would hold, bit for bit.
///
/// @code
/// const ember::mpi::Shard shard = ember::mpi::shard_of(comm, x.rows(), 64, "my_function");
/// ember::mpi::ShardGenerator generator(rng, shard.first_row);     // rng.draw() with global chain numbers
/// kernel.step(energy, x.middleRows(shard.first_row, shard.rows), generator);
/// ember::mpi::gather_rows(comm, shard, x);                         // every rank holds every row again
/// @endcode

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mpi/communicator.hpp"

namespace ember::mpi {

/// @brief The rows a rank owns: blocks [first_block, first_block + block_count) of `blocks`.
struct Shard {
  RowBlocks blocks;       ///< the fixed row blocks of all chains (the same on every rank and rank count)
  int rank = 0;           ///< the owner
  int ranks = 1;          ///< ranks in all
  Index first_block = 0;  ///< the owner's first block
  Index block_count = 0;  ///< its blocks (≥ 1)
  Index first_row = 0;    ///< its first row (chain)
  Index rows = 0;         ///< its rows

  /// The first block of rank r (r = ranks gives the block count).
  [[nodiscard]] Index first_block_of(int r) const { return blocks.count() * r / ranks; }
  /// The first row and the number of rows of rank r.
  [[nodiscard]] Index first_row_of(int r) const { return std::min(blocks.n, blocks.begin(first_block_of(r))); }
  [[nodiscard]] Index rows_of(int r) const { return first_row_of(r + 1) - first_row_of(r); }
};

/// @brief The share of rank `rank` of `ranks` of n chains cut into blocks of `block_rows`.
/// @pre n ≥ 1, block_rows ≥ 1 and at least one block per rank (⌈n / block_rows⌉ ≥ ranks); the refusal names
/// `fn` and reads the same on every rank.
inline Shard shard_of(Index n, Index block_rows, int rank, int ranks, std::string_view fn) {
  ember::detail::require_at_least_one(block_rows, fn, "block_rows");
  ember::detail::require_at_least_one(n, fn, "chains");
  Shard s;
  s.blocks = RowBlocks{n, block_rows};
  s.rank = rank;
  s.ranks = ranks;
  ember::detail::require(s.blocks.count() >= ranks, fn, "chains", n, s.blocks.count(), " block(s) of ", block_rows,
                         " rows cannot give each of ", ranks, " ranks a block (use fewer ranks or smaller blocks)");
  s.first_block = s.first_block_of(rank);
  s.block_count = s.first_block_of(rank + 1) - s.first_block;
  s.first_row = s.first_row_of(rank);
  s.rows = s.rows_of(rank);
  return s;
}

/// @brief This rank's share of n chains on `comm`.
inline Shard shard_of(const Communicator& comm, Index n, Index block_rows, std::string_view fn) {
  return shard_of(n, block_rows, comm.rank(), comm.size(), fn);
}

/// @brief One draw of a generator seen from a shard: chain c of the shard is chain `offset + c` of the draw.
template <class Draw>
class ShardDraw {
 public:
  ShardDraw(Draw draw, Index offset) : draw_(draw), offset_(offset) {}
  template <class T>
  void normal(BatchRef<T> out, Index first_chain = 0) const {
    draw_.template normal<T>(out, offset_ + first_chain);
  }
  template <class T>
  void uniform(BatchRef<T> out, Index first_chain = 0) const {
    draw_.template uniform<T>(out, offset_ + first_chain);
  }
  [[nodiscard]] auto bits(std::uint32_t chain, std::uint32_t block) const { return draw_.bits(shift(chain), block); }
  [[nodiscard]] std::uint32_t index(std::uint32_t chain, std::uint32_t n, std::uint32_t block = 0,
                                    std::uint32_t word = 0) const {
    return draw_.index(shift(chain), n, block, word);
  }
  [[nodiscard]] std::uint64_t draw_number() const { return draw_.draw_number(); }

 private:
  std::uint32_t shift(std::uint32_t chain) const { return static_cast<std::uint32_t>(offset_ + chain); }
  Draw draw_;
  Index offset_;
};

/// @brief A generator (held by reference) whose draws number chains from `offset`: a shard of rows starting at
/// global row `offset` gets the random numbers those rows get in a run over all chains.
template <class G>
class ShardGenerator {
 public:
  ShardGenerator(G& generator, Index offset) : generator_(&generator), offset_(offset) {}
  auto draw() { return ShardDraw<decltype(generator_->draw())>(generator_->draw(), offset_); }
  [[nodiscard]] Index offset() const { return offset_; }
  [[nodiscard]] G& base() const { return *generator_; }

 private:
  G* generator_;
  Index offset_;
};

/// @brief After each rank has written its shard's rows of x (N × d, the same shape on every rank), gives every
/// rank all rows (MPI_Allgatherv in rank order, i.e. in chain order).
template <class Derived>
void gather_rows(const Communicator& comm, const Shard& shard, Eigen::MatrixBase<Derived>& x) {
  using T = typename Derived::Scalar;
  constexpr const char* fn = "ember::mpi::gather_rows";
  ember::detail::require(x.rows() == shard.blocks.n, fn, "x.rows()", x.rows(), "must equal the shard's chains ",
                         shard.blocks.n);
  if (comm.size() == 1) return;
  const Index d = x.cols();
  std::vector<T> mine(static_cast<std::size_t>(shard.rows * d));
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < shard.rows; ++i) mine[static_cast<std::size_t>(i * d + j)] = x(shard.first_row + i, j);
  const std::vector<T> all = comm.allgather(mine);
  ember::detail::require(static_cast<Index>(all.size()) == x.rows() * d, fn, "the gathered size",
                         static_cast<Index>(all.size()), "must equal rows × cols = ", x.rows() * d,
                         " (every rank must pass the same shape)");
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < d; ++j) x(i, j) = all[static_cast<std::size_t>(i * d + j)];
}

}  // namespace ember::mpi
