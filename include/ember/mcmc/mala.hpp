#pragma once
/// @file
/// @brief The Metropolis-adjusted Langevin algorithm (MALA): a ULA proposal corrected by Metropolis–Hastings,
/// so the chain leaves exp(−E) exactly invariant.
///
/// Proposal y = x − (ε/2)∇E(x) + √ε ξ (the textbook ULA step), q(y | x) = N(y; x − (ε/2)∇E(x), εI).
/// Accept with probability min(1, exp(E(x) − E(y) + log q(x | y) − log q(y | x))), per chain.
/// Per-chain acceptance counts and rates are kept until `reset_statistics()`. Optional warm-up: during the
/// first `adapt_steps` steps the step size is tuned by dual averaging of log ε toward `target_acceptance`
/// (0.574, Roberts & Rosenthal's optimum), using the mean acceptance probability over chains; after warm-up
/// ε is frozen at the averaged value (see mcmc/detail/dual_averaging.hpp). Within one `run` call the energy
/// and gradient of the current states are cached: one energy-and-gradient evaluation per step.
/// Numerical failures: a non-finite energy or gradient at the current states, or a NaN acceptance ratio,
/// throws ember::numerical_error; a proposal with energy +∞ is simply rejected (counted in `divergences()`).
///
/// @code
/// ember::Mala<double> kernel({.step_size = 0.5, .adapt_steps = 500});
/// kernel.run(energy, x, rng, 1000);   // every chain (row of x) moves 1000 MH steps in place
/// @endcode

#include <cmath>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mcmc/acceptance.hpp"
#include "ember/mcmc/detail/acceptance.hpp"

namespace ember {

/// Settings of ember::Mala (aggregate; designated initialisers welcome).
template <Scalar T>
struct MalaSettings {
  T step_size = T(0.01);           ///< ε > 0: proposal drift (ε/2)∇E, noise √ε
  T target_acceptance = T(0.574);  ///< δ ∈ (0, 1): the acceptance rate warm-up adapts toward
  Index adapt_steps = 0;           ///< ≥ 0: number of warm-up steps with dual-averaging adaptation (0 = fixed ε)
  int workers = 1;                 ///< ≥ 1: threads over blocks of chains for the energy and gradient (same bits for any count)
};

/// @brief MALA kernel; models ember::Kernel. Holds its settings, statistics and a reusable workspace. The
/// step size, statistics (`statistics()`: ember::AcceptanceStatistics, mcmc/acceptance.hpp), `step`, `run` (with
/// an optional observer, mcmc/observer.hpp), and `state()`/`set_state()` (what a checkpoint saves) come from the
/// shared Metropolis–Hastings part (mcmc/detail/acceptance.hpp).
template <Scalar T>
class Mala : public detail::MetropolisKernel<T, Mala<T>> {
  using Base = detail::MetropolisKernel<T, Mala<T>>;
  friend Base;

 public:
  using scalar_type = T;
  static constexpr const char* name = "ember::Mala";

  /// @pre step_size > 0, target_acceptance ∈ (0, 1), adapt_steps ≥ 0, workers ≥ 1.
  /// @throws ember::invalid_argument.
  explicit Mala(MalaSettings<T> settings = {})
      : Base(settings.step_size, settings.target_acceptance, settings.adapt_steps), settings_(settings) {
    detail::require_at_least_one(settings.workers, name, "workers");
  }

 private:
  template <class E, class G>
  static constexpr void check_types() {
    static_assert(Energy<E>, "ember::Mala::step: the energy type must model ember::Energy "
                             "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
    static_assert(HasScalarType<E, T>,
                  "ember::Mala::step: the energy's scalar_type must match the kernel's scalar type.");
    static_assert(Generator<G>, "ember::Mala::step: the generator must model ember::Generator "
                                "(for example ember::Philox).");
  }

  void check_dimension(Index, const char*) const {}

  // The ULA proposal y = x − (ε/2)∇E(x) + √ε ξ, its energy and gradient, and the log acceptance ratio.
  template <class E, class G>
  void propose(const E& energy, BatchRef<T> x, G& rng) {
    detail::MetropolisWorkspace<T>& w = this->work_;
    const T eps = this->step_size();
    const T half = eps / T(2);
    rng.draw().template normal<T>(w.scratch, 0);  // ξ
    w.proposal = x - half * w.gradient + std::sqrt(eps) * w.scratch;
    // log q(y | x) = −‖ξ‖²/2 (+ const)
    w.log_ratio = T(0.5) * w.scratch.rowwise().squaredNorm();
    evaluate(energy, w.proposal, w.proposal_energy, w.proposal_gradient);
    // log q(x | y) = −‖x − y + (ε/2)∇E(y)‖² / (2ε)
    w.scratch = x - w.proposal + half * w.proposal_gradient;
    w.log_ratio += w.energy - w.proposal_energy - w.scratch.rowwise().squaredNorm() / (T(2) * eps);
  }

  // The energy and gradient of every row, over row blocks on the pool when settings_.workers > 1.
  template <class E>
  void evaluate(const E& energy, BatchView<T> points, Vector<T>& e, Batch<T>& g) {
    detail::evaluate_in_blocks<T>(energy, pool_.get(settings_.workers), settings_.workers, points, e, g);
  }

  MalaSettings<T> settings_;
  SharedPool pool_;
};

}  // namespace ember
