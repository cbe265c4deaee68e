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
#include "ember/mcmc/detail/acceptance.hpp"
#include "ember/mcmc/detail/dual_averaging.hpp"

namespace ember {

/// Settings of ember::Mala (aggregate; designated initialisers welcome).
template <Scalar T>
struct MalaSettings {
  T step_size = T(0.01);           ///< ε > 0: proposal drift (ε/2)∇E, noise √ε
  T target_acceptance = T(0.574);  ///< δ ∈ (0, 1): the acceptance rate warm-up adapts toward
  Index adapt_steps = 0;           ///< ≥ 0: number of warm-up steps with dual-averaging adaptation (0 = fixed ε)
  int workers = 1;                 ///< ≥ 1: threads over blocks of chains for the energy and gradient (same bits for any count)
};

/// @brief MALA kernel; models ember::Kernel. Holds its settings, statistics and a reusable workspace.
template <Scalar T>
class Mala {
 public:
  using scalar_type = T;

  /// @pre step_size > 0, target_acceptance ∈ (0, 1), adapt_steps ≥ 0. @throws ember::invalid_argument.
  explicit Mala(MalaSettings<T> settings = {}) : settings_(settings), step_size_(settings.step_size) {
    constexpr const char* fn = "ember::Mala";
    detail::require_positive(settings.step_size, fn, "step_size");
    detail::require(settings.target_acceptance > T(0) && settings.target_acceptance < T(1), fn, "target_acceptance",
                    settings.target_acceptance, "must lie in (0, 1)");
    detail::require(settings.adapt_steps >= 0, fn, "adapt_steps", settings.adapt_steps, "must be >= 0");
    detail::require(settings.workers >= 1, fn, "workers", settings.workers, "must be >= 1");
    adaptation_.restart(step_size_, settings.target_acceptance);
  }

  /// The step size in use (changes during warm-up, then frozen).
  [[nodiscard]] T step_size() const { return step_size_; }
  /// Steps taken so far (warm-up included).
  [[nodiscard]] Index steps_taken() const { return steps_taken_; }
  /// Whether warm-up adaptation is still running.
  [[nodiscard]] bool adapting() const { return steps_taken_ < settings_.adapt_steps; }

  /// Accepted proposals per chain since the last reset.
  [[nodiscard]] const Eigen::Matrix<Index, Eigen::Dynamic, 1>& accepted() const { return counters_.accepted(); }
  /// Proposals per chain since the last reset (the same for every chain).
  [[nodiscard]] Index proposed() const { return counters_.proposed(); }
  /// Per-chain acceptance rates since the last reset.
  [[nodiscard]] Vector<T> acceptance_rate() const { return counters_.rates(); }
  /// Per-chain counts of rejected proposals whose energy was +∞ (the chain tried to diverge).
  [[nodiscard]] const Eigen::Matrix<Index, Eigen::Dynamic, 1>& divergences() const { return counters_.divergent(); }
  /// Mean acceptance probability over chains of the last step.
  [[nodiscard]] T last_mean_acceptance() const { return last_mean_acceptance_; }
  /// Zeroes the acceptance statistics (for example after warm-up).
  void reset_statistics() { counters_.reset(); }

  /// @brief One MH transition of every chain (row of x), in place.
  /// @throws ember::numerical_error on a non-finite current energy/gradient or a NaN acceptance ratio.
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    check_types<E, G>();
    begin(energy, x, "ember::Mala::step");
    transition(energy, x, rng);
  }

  /// @brief `steps` transitions of every chain; the current energy and gradient are computed once.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    check_types<E, G>();
    detail::require(steps >= 0, "ember::Mala::run", "steps", steps, "must be >= 0");
    if (steps == 0) return;
    begin(energy, x, "ember::Mala::run");
    for (Index s = 0; s < steps; ++s) transition(energy, x, rng);
  }

 private:
  template <class E, class G>
  static constexpr void check_types() {
    static_assert(Energy<E>, "ember::Mala::step: the energy type must model ember::Energy "
                             "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
    static_assert(std::is_same_v<typename E::scalar_type, T>,
                  "ember::Mala::step: the energy's scalar_type must match the kernel's scalar type.");
    static_assert(Generator<G>, "ember::Mala::step: the generator must model ember::Generator "
                                "(for example ember::Philox).");
  }

  // Sizes the workspace, evaluates the current states and checks them.
  template <class E>
  void begin(const E& energy, BatchRef<T> x, const char* fn) {
    const Index n = x.rows(), d = x.cols();
    detail::require(n > 0, fn, "x", detail::shape_of(n, d), "the batch is empty");
    detail::require(d == static_cast<Index>(energy.dim()), fn, "x", detail::shape_of(n, d),
                    "expected ", energy.dim(), " columns (the energy's dimension)");
    if (energy_.size() != n || gradient_.cols() != d) {
      energy_.resize(n);
      gradient_.resize(n, d);
      proposal_.resize(n, d);
      proposal_energy_.resize(n);
      proposal_gradient_.resize(n, d);
      work_.resize(n, d);
      uniform_.resize(n, 1);
      log_ratio_.resize(n);
      accept_.resize(n);
      probability_.resize(n);
    }
    counters_.ensure(n);
    energy_and_gradient_blocks(energy, x, energy_, gradient_);
    detail::check_numerics(energy_, fn, "the energy at the current states");
    detail::check_numerics(gradient_, fn, "the gradient of the energy at the current states");
  }

  template <class E, class G>
  void transition(const E& energy, BatchRef<T> x, G& rng) {
    const T eps = step_size_;
    const T half = eps / T(2);
    rng.draw().template normal<T>(work_, 0);  // ξ
    proposal_ = x - half * gradient_ + std::sqrt(eps) * work_;
    // log q(y | x) = −‖ξ‖²/2 (+ const)
    log_ratio_ = T(0.5) * work_.rowwise().squaredNorm();
    energy_and_gradient_blocks(energy, proposal_, proposal_energy_, proposal_gradient_);
    // log q(x | y) = −‖x − y + (ε/2)∇E(y)‖² / (2ε)
    work_ = x - proposal_ + half * proposal_gradient_;
    log_ratio_ += energy_ - proposal_energy_ - work_.rowwise().squaredNorm() / (T(2) * eps);
    rng.draw().template uniform<T>(uniform_, 0);
    counters_.decide(log_ratio_, uniform_, accept_, probability_, "ember::Mala::step");
    detail::copy_accepted_rows(x, proposal_, accept_);
    detail::copy_accepted_rows(gradient_, proposal_gradient_, accept_);
    energy_ = (accept_.array() > T(0)).select(proposal_energy_, energy_);
    last_mean_acceptance_ = probability_.mean();
    if (adapting()) {
      step_size_ = adaptation_.update(last_mean_acceptance_);
      if (steps_taken_ + 1 == settings_.adapt_steps) step_size_ = adaptation_.averaged_step();
    }
    ++steps_taken_;
  }

  // The energy and gradient of every row, over row blocks on the pool when settings_.workers > 1 (each row's
  // result depends on that row only, so the bits do not depend on the split).
  template <class E>
  void energy_and_gradient_blocks(const E& energy, BatchView<T> points, Vector<T>& e, Batch<T>& g) {
    ThreadPool* pool = pool_.get(settings_.workers);
    if (pool == nullptr) {
      energy.energy_and_gradient(points, e, g);
      return;
    }
    const RowBlocks blocks = blocks_of(points.rows(), settings_.workers);
    pool->parallel_for(blocks.count(), [&](Index b) {
      const Index first = blocks.begin(b), rows = blocks.rows(b);
      energy.energy_and_gradient(points.middleRows(first, rows), e.segment(first, rows), g.middleRows(first, rows));
    });
  }

  MalaSettings<T> settings_;
  SharedPool pool_;
  T step_size_;
  Index steps_taken_ = 0;
  T last_mean_acceptance_ = T(0);
  detail::DualAveraging<T> adaptation_;
  detail::AcceptanceCounters<T> counters_;
  Vector<T> energy_;
  Batch<T> gradient_;
  Batch<T> proposal_;
  Vector<T> proposal_energy_;
  Batch<T> proposal_gradient_;
  Batch<T> work_;
  Batch<T> uniform_;
  Vector<T> log_ratio_;
  Vector<T> accept_;
  Vector<T> probability_;
};

}  // namespace ember
