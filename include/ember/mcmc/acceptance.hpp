#pragma once
/// @file
/// @brief ember::AcceptanceStatistics and ember::MetropolisState: what a Metropolis-adjusted kernel
/// (ember::Mala, ember::Hmc) reports about its accept/reject decisions, and what it keeps between calls.
///
/// Every transition proposes one move per chain and accepts it with probability min(1, exp(log ratio)).
/// The kernel counts, per chain, the accepted proposals and the divergent ones (rejected because the
/// proposal's energy or Hamiltonian was +∞) since the last `reset_statistics()`; `statistics()` returns a copy
/// of those counts. A well-tuned MALA accepts about 57 % of proposals, HMC about 65 %; a chain whose rate is
/// far below the others is stuck, and any divergence means the step size is too large for that region.
///
/// @code
/// ember::Mala<double> kernel({.step_size = 0.5});
/// kernel.run(energy, x, rng, 1000);
/// const ember::AcceptanceStatistics<double> stats = kernel.statistics();
/// std::printf("%.3f accepted, %lld divergent\n", stats.mean_rate(), (long long)stats.total_divergences());
/// @endcode

#include <Eigen/Core>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"

namespace ember {

/// @brief Per-chain Metropolis–Hastings counts since the last statistics reset.
template <Scalar T>
struct AcceptanceStatistics {
  using Counts = Eigen::Matrix<Index, Eigen::Dynamic, 1>;
  Counts accepted;    ///< accepted proposals, one entry per chain
  Counts divergent;   ///< rejected proposals whose energy (or Hamiltonian) was +∞, per chain
  Index proposed = 0; ///< proposals per chain (the same for every chain: one per transition)

  /// Acceptance rate of every chain, accepted(i) / proposed (zeros before the first proposal).
  [[nodiscard]] Vector<T> rates() const {
    if (proposed == 0) return Vector<T>::Zero(accepted.size());
    return accepted.template cast<T>() / static_cast<T>(proposed);
  }
  /// Acceptance rate over all chains and proposals (0 before the first proposal).
  [[nodiscard]] T mean_rate() const {
    if (proposed == 0 || accepted.size() == 0) return T(0);
    return static_cast<T>(static_cast<double>(accepted.sum()) /
                          (static_cast<double>(proposed) * static_cast<double>(accepted.size())));
  }
  /// Divergent proposals over all chains.
  [[nodiscard]] Index total_divergences() const { return divergent.sum(); }
};

/// @brief Everything a Metropolis-adjusted kernel (ember::Mala, ember::Hmc) keeps between calls, beyond its
/// settings: the step size in use, the steps taken, the warm-up's dual-averaging state and the acceptance
/// statistics. Restoring it (`set_state`, or `ember::restore` from a checkpoint) into a kernel built with the
/// same settings continues the chain bit for bit. The cached energies and gradients are not part of it:
/// every `step`/`run` call recomputes them from the states it is given.
template <class T>
struct MetropolisState {
  using Counts = Eigen::Matrix<Index, Eigen::Dynamic, 1>;
  T step_size = T(0);                ///< ε in use (adapted during warm-up, then frozen)
  Index steps_taken = 0;             ///< transitions so far, warm-up included
  T last_mean_acceptance = T(0);     ///< mean acceptance probability of the last transition
  long adaptation_iteration = 0;     ///< dual averaging: warm-up steps recorded
  T adaptation_h_bar = T(0);         ///< dual averaging: H̄
  T adaptation_log_step_bar = T(0);  ///< dual averaging: log ε̄
  Counts accepted;                   ///< per-chain accepted proposals since the last statistics reset
  Counts divergent;                  ///< per-chain rejected proposals whose energy was +∞
  Index proposed = 0;                ///< proposals per chain since the last statistics reset
};

}  // namespace ember
