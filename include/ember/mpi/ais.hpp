#pragma once
/// @file
/// @brief ember::mpi::ais: annealed importance sampling (mcmc/ais.hpp) with the AIS chains split across ranks.
///
/// Each rank runs its shard of the chains (global chain numbers, mpi/shard.hpp); the log weights and final
/// states are gathered in chain order and log Z, its delta-method standard error and the effective sample size
/// are computed from all n weights on every rank, exactly as ember::ais does: the result is bit-identical to
/// ember::ais in one process, for any rank count.
///
/// @code
/// ember::Mala<double> kernel({.step_size = 0.2});
/// auto result = ember::mpi::ais(comm, energy, kernel, rng, {.chains = 1024, .levels = 200});
/// @endcode

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/mcmc/ais.hpp"
#include "ember/mpi/communicator.hpp"
#include "ember/mpi/sampling.hpp"
#include "ember/mpi/shard.hpp"

namespace ember::mpi {

/// @brief ember::ais over the ranks of `comm`; every rank returns the whole result.
/// @pre as ember::ais, and settings.chains ≥ shard.block_rows · comm.size().
template <class E, class K, class G>
AisResult<typename E::scalar_type> ais(const Communicator& comm, const E& energy, K& kernel, G& rng,
                                       const AisSettings<typename E::scalar_type>& settings = {},
                                       const ShardSettings& shard_settings = {}) {
  static_assert(Energy<E>, "ember::mpi::ais: the energy type must model ember::Energy.");
  using T = typename E::scalar_type;
  static_assert(Kernel<K, ember::detail::GeometricPath<E>, ShardGenerator<G>>,
                "ember::mpi::ais: the kernel must model ember::Kernel for the path energy and a shard's generator.");
  constexpr const char* fn = "ember::mpi::ais";
  const Vector<T> betas = ember::detail::ais_betas(settings, fn);
  const Shard shard = shard_of(comm, settings.chains, shard_settings.block_rows, fn);
  const Index d = static_cast<Index>(energy.dim());
  ShardGenerator<G> generator(rng, shard.first_row);
  Batch<T> samples(shard.rows, d);
  Vector<T> log_weights;
  ember::detail::ais_chains(energy, kernel, generator, betas, settings.base_sigma, settings.transitions_per_level,
                            samples, log_weights, fn);
  AisResult<T> result;
  result.samples.resize(settings.chains, d);
  result.samples.middleRows(shard.first_row, shard.rows) = samples;
  result.log_weights.resize(settings.chains);
  result.log_weights.segment(shard.first_row, shard.rows) = log_weights;
  gather_rows(comm, shard, result.samples);
  gather_rows(comm, shard, result.log_weights);
  detail::require_same_position(comm, rng, fn);
  ember::detail::ais_estimate(result, d, settings.base_sigma);
  return result;
}

}  // namespace ember::mpi
