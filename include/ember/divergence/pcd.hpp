#pragma once
/// @file
/// @brief ember::PersistentContrastiveDivergence: PCD (Tieleman 2008), negatives from persistent chains.
///
/// The chains live in an ember::ReplayBuffer: each estimate takes N chains from it, moves them k kernel steps
/// with any ember::Kernel, writes them back to their slots, and returns mean ∇θE(data) − mean ∇θE(chains).
/// An empty buffer is filled from the initial distribution on the first call. Which N chains:
/// - `PcdChains::sampled` (the default, unchanged from earlier versions so that existing runs and
///   checkpoints reproduce): N slots drawn uniformly with replacement, each re-initialised with probability ρ —
///   Du & Mordatch's replay buffer; some chains move twice in an update, others wait several updates;
/// - `PcdChains::in_order`: Tieleman's PCD — the next N chains in slot order, cyclically, so every persistent
///   chain is advanced exactly once per ⌈capacity/N⌉ updates (every update when capacity = N) and none is
///   ever re-initialised; needs N ≤ capacity and ρ = 0.
///
/// @code
/// ember::PersistentContrastiveDivergence pcd(kernel, ember::ReplayBuffer(2, ember::NormalInit<double>{}, {.capacity = 512}), {.steps = 5});
/// auto result = pcd.estimate(energy, batch, rng);
/// @endcode

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/mcmc/replay_buffer.hpp"

namespace ember {

/// How PCD picks the persistent chains it advances.
enum class PcdChains {
  sampled,   ///< N slots uniformly with replacement, re-initialised with probability ρ (replay buffer)
  in_order,  ///< the next N slots cyclically, never re-initialised (Tieleman 2008)
};

/// Settings of PCD (aggregate; designated initialisers welcome).
template <Scalar T>
struct PcdSettings {
  Index steps = 1;                 ///< k ≥ 1 kernel transitions per estimate
  T energy_regularization = T(0);  ///< α ≥ 0: adds α·mean(E(x⁺)² + E(x⁻)²)
  PcdChains chains = PcdChains::sampled;  ///< which chains each estimate advances
};

/// @brief PCD over any kernel, with the persistent chains in a replay buffer.
template <Scalar T, class K, class Init>
class PersistentContrastiveDivergence {
 public:
  using scalar_type = T;

  /// @pre settings.steps ≥ 1, energy_regularization ≥ 0; with PcdChains::in_order the buffer's
  /// reinit_probability is 0.
  PersistentContrastiveDivergence(K kernel, ReplayBuffer<T, Init> buffer, PcdSettings<T> settings = {})
      : kernel_(std::move(kernel)), buffer_(std::move(buffer)), settings_(settings) {
    if (settings.chains == PcdChains::in_order)
      detail::require(buffer_.settings().reinit_probability == T(0), "ember::PersistentContrastiveDivergence",
                      "buffer.settings().reinit_probability", buffer_.settings().reinit_probability,
                      "must be 0 with PcdChains::in_order (Tieleman's chains are never re-initialised)");
    detail::require_at_least_one(settings.steps, "ember::PersistentContrastiveDivergence", "steps");
    detail::require_non_negative(settings.energy_regularization, "ember::PersistentContrastiveDivergence",
                                 "energy_regularization");
  }

  /// @brief One estimate: N chains from the buffer, k steps, written back. `data` is not modified.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(ParametricEnergy<E>, "ember::PersistentContrastiveDivergence::estimate: the energy must model "
                                       "ember::ParametricEnergy.");
    static_assert(HasScalarType<E, T>, "ember::PersistentContrastiveDivergence::estimate: "
                                       "the energy's scalar_type must match the estimator's.");
    static_assert(Kernel<K, E, G>, "ember::PersistentContrastiveDivergence::estimate: the kernel must model "
                                   "ember::Kernel for this energy and generator.");
    constexpr const char* fn = "ember::PersistentContrastiveDivergence::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    detail::require(buffer_.dim() == static_cast<Index>(energy.dim()), fn, "buffer.dim()", buffer_.dim(),
                    "must equal the energy's dimension ", energy.dim());
    if (settings_.chains == PcdChains::in_order) {
      detail::require(data.rows() <= buffer_.capacity(), fn, "data.rows()", data.rows(),
                      "must be <= the buffer's capacity ", buffer_.capacity(),
                      " with PcdChains::in_order (each chain moves at most once per update)");
      if (buffer_.fill_count() < buffer_.capacity()) buffer_.fill(rng);
    } else if (buffer_.fill_count() == 0) {
      buffer_.fill(rng);
    }
    negatives_.resize(data.rows(), data.cols());
    if (settings_.chains == PcdChains::in_order) {
      buffer_.sample_in_order(BatchRef<T>(negatives_));
    } else {
      buffer_.sample(BatchRef<T>(negatives_), rng);
    }
    EstimatorResult<T> result;
    result.acceptance = detail::run_kernel<T>(kernel_, energy, BatchRef<T>(negatives_), rng, settings_.steps);
    detail::check_numerics(negatives_, fn, "the persistent chains");
    buffer_.write_back(negatives_);
    skeleton_.accumulate(energy, data, negatives_, result, settings_.energy_regularization,
                         pool_of(kernel_));
    return result;
  }

  [[nodiscard]] K& kernel() { return kernel_; }
  [[nodiscard]] ReplayBuffer<T, Init>& buffer() { return buffer_; }
  [[nodiscard]] const PcdSettings<T>& settings() const { return settings_; }
  [[nodiscard]] const Batch<T>& negatives() const { return negatives_; }

 private:
  K kernel_;
  ReplayBuffer<T, Init> buffer_;
  PcdSettings<T> settings_;
  Contrastive<T> skeleton_;
  Batch<T> negatives_;
};

template <class K, Scalar T, class Init>
PersistentContrastiveDivergence(K, ReplayBuffer<T, Init>) -> PersistentContrastiveDivergence<T, K, Init>;
template <class K, Scalar T, class Init>
PersistentContrastiveDivergence(K, ReplayBuffer<T, Init>, PcdSettings<T>) -> PersistentContrastiveDivergence<T, K, Init>;

}  // namespace ember
