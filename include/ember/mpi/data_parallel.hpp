#pragma once
/// @file
/// @brief ember::mpi::DataParallel: any estimator run data-parallel over MPI ranks, with results that are
/// bit-identical for any rank count.
///
/// The minibatch (the same on every rank: ember::train draws it from the shared Philox) is cut into fixed row
/// blocks of `block_rows` (mpi/shard.hpp); each block has its own estimator (made by the caller's factory, so
/// persistent chains and replay buffers are sharded by chain: each block keeps the chains of its rows) and
/// rank r runs the blocks it owns. Block b draws its random numbers from a copy of the run's generator with
/// chains numbered from b·chain_stride. The per-block results (gradient, loss, mean energies, acceptance)
/// are gathered in block order and every rank adds them in that order, each weighted by its share of the rows:
///   ∇ = Σ_b (n_b / N) ∇_b,   loss = Σ_b (n_b / N) loss_b,   and the same for the mean energies.
/// Since neither the blocks nor the order of the sum depend on the rank count, every rank gets the same bits
/// for 1, 2, 3, … ranks, and so do the parameters ember::train updates from them. Afterwards the generator
/// stands max_b (draws of block b) past where it was: the same on every rank and for any rank count.
///
/// Errors: an exception in one rank's block is gathered with the results, so every rank throws it (as
/// ember::numerical_error or ember::invalid_argument, prefixed with the rank and the block): no rank is left
/// waiting. Checkpoints: `store` (collective) gathers every block's state into one ember::Checkpoint on every
/// rank (rank 0 saves it); `restore` reads the blocks a rank owns, for any rank count.
///
/// @code
/// ember::mpi::DataParallel dp(comm, 4096, [](ember::Index) { return ember::ContrastiveDivergence(kernel); });
/// ember::train(dp, energy, adam, data, {.batch_size = 4096, .seed = 7}, rank0_progress);
/// @endcode

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/shard.hpp"

namespace ember::mpi {

/// Settings of ember::mpi::DataParallel (aggregate).
struct DataParallelSettings {
  Index block_rows = 64;  ///< rows per block (≥ 1); the batch must have at least one block per rank
  /// Chains of block b are numbered from b · chain_stride (0: block_rows, the rows' own numbers). Set it to at
  /// least the number of chains a block's estimator numbers (a replay buffer's capacity when it fills it) so
  /// that blocks never share random numbers.
  Index chain_stride = 0;
};

/// @brief An estimator per block of a fixed-size minibatch, run over the ranks of a communicator.
/// @tparam Inner an ember::Estimator: `estimate(energy, batch, rng)` returning an ember::EstimatorResult
template <class Inner>
class DataParallel {
 public:
  using estimator_type = Inner;
  using scalar_type = typename Inner::scalar_type;
  using T = scalar_type;

  /// @param comm       the ranks (the reference is kept: it must outlive this object)
  /// @param batch_rows the minibatch size N every `estimate` gets (ember::TrainSettings::batch_size)
  /// @param make       make(b) returns block b's estimator (called for the blocks this rank owns)
  /// @pre N ≥ 1, block_rows ≥ 1, at least one block per rank, chain numbers below 2³².
  template <class Make>
  DataParallel(const Communicator& comm, Index batch_rows, Make&& make, DataParallelSettings settings = {})
      : comm_(&comm), settings_(settings) {
    constexpr const char* fn = "ember::mpi::DataParallel";
    ember::detail::require(settings.chain_stride >= 0, fn, "settings.chain_stride", settings.chain_stride,
                           "must be >= 0 (0: block_rows)");
    shard_ = shard_of(comm, batch_rows, settings.block_rows, fn);
    stride_ = settings.chain_stride > 0 ? settings.chain_stride : settings.block_rows;
    ember::detail::require(stride_ >= settings.block_rows, fn, "settings.chain_stride", settings.chain_stride,
                           "must be 0 or >= block_rows = ", settings.block_rows, " (a block's rows are its chains)");
    ember::detail::require(static_cast<double>(stride_) * static_cast<double>(shard_.blocks.count()) <= 4294967296.0,
                           fn, "settings.chain_stride", stride_, "times ", shard_.blocks.count(),
                           " blocks exceeds the 2^32 chain numbers of a draw");
    estimators_.reserve(static_cast<std::size_t>(shard_.block_count));
    for (Index b = 0; b < shard_.block_count; ++b) estimators_.push_back(make(shard_.first_block + b));
  }

  /// @brief One estimate on the minibatch `data` (N × d, the same on every rank). Collective.
  /// @param rng the run's generator (a copyable one with position(), like ember::Philox), the same on every rank
  template <class E, class G>
    requires Estimator<Inner, E, ShardGenerator<G>>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    constexpr const char* fn = "ember::mpi::DataParallel::estimate";
    ember::detail::require(data.rows() == shard_.blocks.n, fn, "data.rows()", data.rows(),
                           "must equal the batch_rows = ", shard_.blocks.n, " this object was made for");
    const std::uint64_t start = rng.position();
    const Index params = static_cast<Index>(energy.params().size());
    const std::size_t width = header + static_cast<std::size_t>(params);
    std::vector<double>& mine = mine_;  // kept between calls: no per-iteration allocation
    mine.assign(static_cast<std::size_t>(shard_.block_count) * width, 0.0);
    std::string error;
    for (Index k = 0; k < shard_.block_count && error.empty(); ++k) {
      const Index b = shard_.first_block + k;
      double* packet = mine.data() + static_cast<std::size_t>(k) * width;
      try {
        G copy = rng;
        ShardGenerator<G> generator(copy, b * stride_);
        const auto r = estimators_[static_cast<std::size_t>(k)].estimate(
            energy, data.middleRows(shard_.blocks.begin(b), shard_.blocks.rows(b)), generator);
        ember::detail::require(r.gradient.size() == params, fn, "the gradient's size", r.gradient.size(),
                               "must equal the energy's ", params, " parameters");
        packet[draws] = static_cast<double>(copy.position() - start);
        packet[loss] = static_cast<double>(r.loss);
        packet[positive] = static_cast<double>(r.positive_energy);
        packet[negative] = static_cast<double>(r.negative_energy);
        packet[has_acceptance] = r.acceptance ? 1.0 : 0.0;
        packet[acceptance] = r.acceptance ? static_cast<double>(*r.acceptance) : 0.0;
        for (Index i = 0; i < params; ++i) packet[header + static_cast<std::size_t>(i)] = static_cast<double>(r.gradient(i));
      } catch (const ember::invalid_argument& e) {
        packet[status] = 2;
        error = describe_failure(b, e.what());
      } catch (const std::exception& e) {
        packet[status] = 1;
        error = describe_failure(b, e.what());
      }
    }
    comm_->allgather(mine, all_);
    rethrow_any_failure(all_, width, error);
    return combine(all_, width, params, rng, start);
  }

  /// @brief Every block's state into `ck` under `key.block<b>.*` via store_block(ck, key, estimator), plus the
  /// layout under `key.*`. Collective: afterwards every rank's `ck` holds all blocks (let rank 0 save it).
  template <class StoreBlock>
  void store(Checkpoint& ck, const std::string& key, StoreBlock&& store_block) {
    Checkpoint local;
    for (Index k = 0; k < shard_.block_count; ++k)
      store_block(local, block_key(key, shard_.first_block + k), estimators_[static_cast<std::size_t>(k)]);
    const std::vector<unsigned char> bytes = local.serialize();
    const std::vector<std::uint64_t> sizes = comm_->allgather(std::vector<std::uint64_t>{bytes.size()});
    const std::vector<unsigned char> all = comm_->allgather(bytes);
    std::size_t offset = 0;
    for (int r = 0; r < comm_->size(); ++r) {
      const auto size = static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)]);
      ck.merge(Checkpoint::parse(all.data() + offset, size, "(rank " + std::to_string(r) + ")"));
      offset += size;
    }
    ck.set(key + ".batch_rows", static_cast<std::uint64_t>(shard_.blocks.n));
    ck.set(key + ".block_rows", static_cast<std::uint64_t>(shard_.blocks.size));
    ck.set(key + ".chain_stride", static_cast<std::uint64_t>(stride_));
  }

  /// @brief Restores the blocks this rank owns via restore_block(ck, key, estimator); the checkpoint may have
  /// been written with any rank count, but with the same batch_rows, block_rows and chain_stride.
  /// @throws ember::checkpoint_error if the layout differs or an entry is missing.
  template <class RestoreBlock>
  void restore(const Checkpoint& ck, const std::string& key, RestoreBlock&& restore_block) {
    const auto expect = [&](const char* name, Index value) {
      const std::uint64_t stored = ck.integer(key + "." + name);
      if (stored != static_cast<std::uint64_t>(value))
        throw checkpoint_error("ember::mpi::DataParallel::restore: file \"" + ck.source() + "\": entry '" + key + "." +
                               name + "' = " + std::to_string(stored) + " differs from this run's " +
                               std::to_string(value));
    };
    expect("batch_rows", shard_.blocks.n);
    expect("block_rows", shard_.blocks.size);
    expect("chain_stride", stride_);
    for (Index k = 0; k < shard_.block_count; ++k)
      restore_block(ck, block_key(key, shard_.first_block + k), estimators_[static_cast<std::size_t>(k)]);
  }

  /// The estimators of the blocks this rank owns, first block first.
  [[nodiscard]] std::vector<Inner>& estimators() { return estimators_; }
  [[nodiscard]] const Shard& shard() const { return shard_; }
  [[nodiscard]] const DataParallelSettings& settings() const { return settings_; }

 private:
  // Packet layout per block (doubles; a float gradient converts exactly both ways).
  static constexpr std::size_t status = 0, draws = 1, loss = 2, positive = 3, negative = 4, has_acceptance = 5,
                               acceptance = 6, header = 7;

  static std::string block_key(const std::string& key, Index b) { return key + ".block" + std::to_string(b); }

  std::string describe_failure(Index b, const char* what) const {
    return "ember::mpi::DataParallel::estimate: rank " + std::to_string(comm_->rank()) + ", block " +
           std::to_string(b) + ": " + what;
  }

  // If any block failed, every rank throws the first failure (in block order) with its message.
  void rethrow_any_failure(const std::vector<double>& all, std::size_t width, const std::string& error) const {
    const std::size_t blocks = all.size() / width;
    std::size_t first = blocks;
    for (std::size_t b = 0; b < blocks && first == blocks; ++b)
      if (all[b * width + status] != 0) first = b;
    if (first == blocks) return;
    const std::vector<char> messages = comm_->allgather(std::vector<char>(error.begin(), error.end()));
    const std::vector<std::uint64_t> lengths = comm_->allgather(std::vector<std::uint64_t>{error.size()});
    // The failing block's owner is the rank whose block range holds it; its message is its first failure.
    int owner = 0;
    while (owner + 1 < comm_->size() && shard_.first_block_of(owner + 1) <= static_cast<Index>(first)) ++owner;
    std::size_t offset = 0;
    for (int r = 0; r < owner; ++r) offset += static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)]);
    const std::string message(messages.begin() + static_cast<std::ptrdiff_t>(offset),
                              messages.begin() + static_cast<std::ptrdiff_t>(offset + lengths[static_cast<std::size_t>(owner)]));
    if (all[first * width + status] == 2) throw ember::invalid_argument(message);
    throw numerical_error(message);
  }

  // Σ_b (n_b / N)·(block b's numbers), in block order; the generator moves max_b draws_b past `start`.
  template <class G>
  EstimatorResult<T> combine(const std::vector<double>& all, std::size_t width, Index params, G& rng,
                             std::uint64_t start) const {
    EstimatorResult<T> result;
    result.gradient = Vector<T>::Zero(params);
    T acceptance_sum = T(0);
    bool every_acceptance = true;
    double most_draws = 0;
    const T total = static_cast<T>(shard_.blocks.n);
    for (Index b = 0; b < shard_.blocks.count(); ++b) {
      const double* packet = all.data() + static_cast<std::size_t>(b) * width;
      const T weight = static_cast<T>(shard_.blocks.rows(b)) / total;
      result.loss += weight * static_cast<T>(packet[loss]);
      result.positive_energy += weight * static_cast<T>(packet[positive]);
      result.negative_energy += weight * static_cast<T>(packet[negative]);
      if (packet[has_acceptance] != 0) acceptance_sum += weight * static_cast<T>(packet[acceptance]);
      else every_acceptance = false;
      for (Index i = 0; i < params; ++i)
        result.gradient(i) += weight * static_cast<T>(packet[header + static_cast<std::size_t>(i)]);
      most_draws = std::max(most_draws, packet[draws]);
    }
    if (every_acceptance) result.acceptance = acceptance_sum;
    rng.set_position(start + static_cast<std::uint64_t>(most_draws));
    return result;
  }

  const Communicator* comm_;
  DataParallelSettings settings_;
  Shard shard_;
  Index stride_ = 1;
  std::vector<Inner> estimators_;
  std::vector<double> mine_, all_;  // this rank's packets and every rank's, reused by each estimate
};

template <class Make>
DataParallel(const Communicator&, Index, Make&&) -> DataParallel<std::invoke_result_t<Make&, Index>>;
template <class Make>
DataParallel(const Communicator&, Index, Make&&, DataParallelSettings)
    -> DataParallel<std::invoke_result_t<Make&, Index>>;

}  // namespace ember::mpi
