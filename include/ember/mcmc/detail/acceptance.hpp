#pragma once
/// @file
/// @brief Internal: what MALA and HMC share — the settings checks of the step size and its warm-up, the
/// per-chain Metropolis–Hastings decision and counters, the masked copy of accepted rows, the dual-averaging
/// warm-up, the workspace of current and proposed states, the energy evaluation over row blocks, and the calls
/// to an observer. The public types users see (ember::AcceptanceStatistics, ember::MetropolisState) live in
/// mcmc/acceptance.hpp; observers in mcmc/observer.hpp. A kernel derives from MetropolisKernel (CRTP) and
/// supplies `check_types`, `evaluate`, `check_dimension` and `propose`.

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mcmc/acceptance.hpp"
#include "ember/mcmc/detail/dual_averaging.hpp"
#include "ember/mcmc/observer.hpp"

namespace ember {

namespace detail {

/// Per-chain acceptance counters (proposals, acceptances, divergences).
template <class T>
class AcceptanceCounters {
 public:
  using Counts = Eigen::Matrix<Index, Eigen::Dynamic, 1>;

  void ensure(Index n) {
    if (accepted_.size() == n) return;
    accepted_ = Counts::Zero(n);
    divergent_ = Counts::Zero(n);
    proposed_ = 0;
  }
  void reset() {
    accepted_.setZero();
    divergent_.setZero();
    proposed_ = 0;
  }
  void set(Counts accepted, Counts divergent, Index proposed) {
    accepted_ = std::move(accepted);
    divergent_ = std::move(divergent);
    proposed_ = proposed;
  }

  /// Decides every chain from `log_ratio` (log acceptance ratio, −∞ allowed) and uniforms `u` in (0, 1),
  /// writes 1/0 into `accept`, the acceptance probability min(1, exp(log_ratio)) into `probability`.
  /// A NaN log ratio is a numerical failure: throws ember::numerical_error naming `function`.
  void decide(const Vector<T>& log_ratio, const Batch<T>& u, Vector<T>& accept, Vector<T>& probability,
              const char* function) {
    const Index n = log_ratio.size();
    Index nan_count = 0;
    for (Index i = 0; i < n; ++i) {
      const T r = log_ratio(i);
      if (std::isnan(r)) {
        ++nan_count;
        continue;
      }
      const bool divergent = !std::isfinite(r) && r < T(0);
      const bool ok = std::log(u(i, 0)) < r;
      accept(i) = ok ? T(1) : T(0);
      probability(i) = r >= T(0) ? T(1) : std::exp(r);
      accepted_(i) += ok ? 1 : 0;
      divergent_(i) += divergent ? 1 : 0;
    }
    ++proposed_;
    if (nan_count > 0)
      throw ember::numerical_error(std::string(function) + ": the Metropolis-Hastings log ratio is NaN in " +
                                   std::to_string(nan_count) + " of " + std::to_string(n) +
                                   " chains (NaN energy or gradient at a proposal; reduce the step size)");
  }

  [[nodiscard]] const Counts& accepted() const { return accepted_; }
  [[nodiscard]] const Counts& divergent() const { return divergent_; }
  [[nodiscard]] Index proposed() const { return proposed_; }
  [[nodiscard]] Vector<T> rates() const {
    if (proposed_ == 0) return Vector<T>::Zero(accepted_.size());
    return accepted_.template cast<T>() / static_cast<T>(proposed_);
  }

 private:
  Counts accepted_;
  Counts divergent_;
  Index proposed_ = 0;
};

/// dst.row(i) = src.row(i) where mask(i) = 1, column by column (vectorised select, exact copies).
template <class T, class Dst, class Src>
void copy_accepted_rows(Dst& dst, const Src& src, const Vector<T>& mask) {
  for (Index j = 0; j < dst.cols(); ++j) dst.col(j) = (mask.array() > T(0)).select(src.col(j), dst.col(j));
}

/// The energy and gradient of every row of `points`, over row blocks on `pool` when it is not null. Each
/// row's result depends on that row only (an energy with per-row terms, ember::Tether, evaluates the block's
/// own rows through ember::energy_rows), so the bits do not depend on the split or the worker count.
template <class T, class E>
void evaluate_in_blocks(const E& energy, ThreadPool* pool, int workers, BatchView<T> points, Vector<T>& e,
                        Batch<T>& g) {
  if (pool == nullptr) {
    energy.energy_and_gradient(points, e, g);
    return;
  }
  const RowBlocks blocks = blocks_of(points.rows(), workers);
  pool->parallel_for(blocks.count(), [&](Index b) {
    const Index first = blocks.begin(b), rows = blocks.rows(b);
    energy_rows(energy, first, rows)
        .energy_and_gradient(points.middleRows(first, rows), e.segment(first, rows), g.middleRows(first, rows));
  });
}

/// The buffers of one MH transition over n chains in d dimensions (sized on the first call, then reused).
template <class T>
struct MetropolisWorkspace {
  Vector<T> energy;             ///< E at the current states (cached across the steps of one call)
  Batch<T> gradient;            ///< ∇E at the current states
  Batch<T> proposal;            ///< proposed states
  Vector<T> proposal_energy;    ///< E at the proposals
  Batch<T> proposal_gradient;   ///< ∇E at the proposals
  Batch<T> scratch;             ///< n × d: MALA's noise and reverse residual, HMC's momentum
  Batch<T> uniform;             ///< n × 1 uniforms of the MH decision
  Vector<T> log_ratio;          ///< log acceptance ratio per chain
  Vector<T> accept;             ///< 1 where the chain accepted, else 0
  Vector<T> probability;        ///< min(1, exp(log_ratio))

  void ensure(Index n, Index d) {
    if (energy.size() == n && gradient.cols() == d) return;
    energy.resize(n);
    gradient.resize(n, d);
    proposal.resize(n, d);
    proposal_energy.resize(n);
    proposal_gradient.resize(n, d);
    scratch.resize(n, d);
    uniform.resize(n, 1);
    log_ratio.resize(n);
    accept.resize(n);
    probability.resize(n);
  }
};

/// @brief The part of a Metropolis-adjusted kernel that does not depend on its proposal (CRTP base of
/// ember::Mala and ember::Hmc). `Derived` supplies, reachable from this class (public or by friendship):
///   `template <class E, class G> static void check_types()` — the static_asserts, in its own words;
///   `static constexpr const char* name` — "ember::Mala", used in messages ("ember::Mala::step");
///   `template <class E> void evaluate(const E&, BatchView<T>, Vector<T>& e, Batch<T>& g)`;
///   `void check_dimension(Index d, const char* fn) const` — extra O(1) checks against the dimension;
///   `template <class E, class G> void propose(const E&, BatchRef<T> x, G& rng)` — fills the workspace's
///   proposal, proposal energy and gradient, and the log acceptance ratio.
template <class T, class Derived>
class MetropolisKernel {
 public:
  using scalar_type = T;
  /// The state saved by a checkpoint (see ember::MetropolisState).
  using State = MetropolisState<T>;

  /// The step size in use (changes during warm-up, then frozen).
  [[nodiscard]] T step_size() const { return step_size_; }
  /// Steps taken so far (warm-up included).
  [[nodiscard]] Index steps_taken() const { return steps_taken_; }
  /// Whether warm-up adaptation is still running.
  [[nodiscard]] bool adapting() const { return steps_taken_ < adapt_steps_; }
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
  /// The per-chain acceptance counts since the last reset, as a public value (see mcmc/acceptance.hpp).
  [[nodiscard]] AcceptanceStatistics<T> statistics() const {
    return {counters_.accepted(), counters_.divergent(), counters_.proposed()};
  }
  /// Zeroes the acceptance statistics (for example after warm-up).
  void reset_statistics() { counters_.reset(); }

  /// @brief The state between calls (step size, steps taken, warm-up, statistics), for checkpoints.
  [[nodiscard]] State state() const {
    const auto a = adaptation_.state();
    return {step_size_,  steps_taken_,           last_mean_acceptance_, a.iteration, a.h_bar,
            a.log_step_bar, counters_.accepted(), counters_.divergent(),  counters_.proposed()};
  }
  /// @brief Restores a state from `state()` of a kernel with the same settings: the next transitions equal
  /// those the saved kernel would have made. @throws ember::invalid_argument on an inconsistent state.
  void set_state(State s) {
    const std::string fn = std::string(Derived::name) + "::set_state";
    require_positive(s.step_size, fn, "state.step_size");
    require(s.steps_taken >= 0, fn, "state.steps_taken", s.steps_taken, "must be >= 0");
    require(s.adaptation_iteration >= 0 && s.adaptation_iteration <= s.steps_taken, fn,
            "state.adaptation_iteration", s.adaptation_iteration, "must be in [0, steps_taken]");
    require_finite(s.last_mean_acceptance, fn, "state.last_mean_acceptance");
    require_finite(s.adaptation_h_bar, fn, "state.adaptation_h_bar");
    require_finite(s.adaptation_log_step_bar, fn, "state.adaptation_log_step_bar");
    require(s.accepted.size() == s.divergent.size(), fn, "state.divergent.size()", s.divergent.size(),
            "must equal state.accepted.size() = ", s.accepted.size());
    require(s.proposed >= 0, fn, "state.proposed", s.proposed, "must be >= 0");
    for (Index i = 0; i < s.accepted.size(); ++i) {  // the names are built only on failure
      if (s.accepted(i) < 0 || s.accepted(i) > s.proposed)
        require(false, fn, "state.accepted(" + std::to_string(i) + ")", s.accepted(i), "must be in [0, proposed = ",
                s.proposed, "]");
      if (s.divergent(i) < 0 || s.divergent(i) > s.proposed - s.accepted(i))
        require(false, fn, "state.divergent(" + std::to_string(i) + ")", s.divergent(i),
                "must be in [0, proposed - accepted = ", s.proposed - s.accepted(i),
                "] (a divergent proposal is a rejected one)");
    }
    step_size_ = s.step_size;
    steps_taken_ = s.steps_taken;
    last_mean_acceptance_ = s.last_mean_acceptance;
    adaptation_.set_state({s.adaptation_iteration, s.adaptation_h_bar, s.adaptation_log_step_bar});
    counters_.set(std::move(s.accepted), std::move(s.divergent), s.proposed);
  }

  /// @brief One MH transition of every chain (row of x), in place.
  /// @throws ember::numerical_error on a non-finite current energy/gradient or a NaN acceptance ratio.
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    Derived::template check_types<E, G>();
    begin(energy, x, step_name());
    transition(energy, x, rng);
  }

  /// @brief `steps` transitions of every chain; the current energy and gradient are computed once.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    run(energy, x, rng, steps, NoObserver{});
  }

  /// @brief `steps` transitions, calling `observer(ember::StepRecord<T>)` after each with the new states, their
  /// energies and the accept flags, all from the workspace: no energy evaluation beyond the run's own
  /// (1 + steps evaluations of the batch, counting the leapfrog steps of HMC as one each).
  template <class E, class G, class Observer>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps, Observer&& observer) {
    Derived::template check_types<E, G>();
    static_assert(StepObserver<std::remove_reference_t<Observer>, T>,
                  "ember::MetropolisKernel::run: the observer must be callable as observer(const "
                  "ember::StepRecord<T>&) (see ember/mcmc/observer.hpp).");
    require(steps >= 0, run_name(), "steps", steps, "must be >= 0");
    if (steps == 0) return;
    begin(energy, x, run_name());
    for (Index s = 0; s < steps; ++s) {
      transition(energy, x, rng);
      observer(StepRecord<T>{s, x, work_.energy, work_.accept});
    }
  }

 protected:
  /// Checks the settings every MH kernel has. @pre step_size > 0, target ∈ (0, 1), adapt_steps ≥ 0.
  MetropolisKernel(T step_size, T target_acceptance, Index adapt_steps)
      : step_size_(step_size), adapt_steps_(adapt_steps) {
    constexpr const char* fn = Derived::name;
    require_positive(step_size, fn, "step_size");
    require(target_acceptance > T(0) && target_acceptance < T(1), fn, "target_acceptance", target_acceptance,
            "must lie in (0, 1)");
    require(adapt_steps >= 0, fn, "adapt_steps", adapt_steps, "must be >= 0");
    adaptation_.restart(step_size, target_acceptance);
  }

  // Checks the batch, sizes the workspace, evaluates the current states and checks them.
  template <class E>
  void begin(const E& energy, BatchRef<T> x, const char* fn) {
    const Index n = x.rows(), d = x.cols();
    require(n > 0, fn, "x", shape_of(n, d), "the batch is empty");
    require(d == static_cast<Index>(energy.dim()), fn, "x", shape_of(n, d), "expected ", energy.dim(),
            " columns (the energy's dimension)");
    self().check_dimension(d, fn);
    work_.ensure(n, d);
    counters_.ensure(n);
    self().evaluate(energy, x, work_.energy, work_.gradient);
    check_numerics(work_.energy, fn, "the energy at the current states");
    check_numerics(work_.gradient, fn, "the gradient of the energy at the current states");
  }

  MetropolisWorkspace<T> work_;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  // "ember::Mala::step", "ember::Mala::run" (built once).
  static const char* step_name() {
    static const std::string name = std::string(Derived::name) + "::step";
    return name.c_str();
  }
  static const char* run_name() {
    static const std::string name = std::string(Derived::name) + "::run";
    return name.c_str();
  }

  // The derived proposal, then the MH decision, the accepted rows, the warm-up and the step count.
  template <class E, class G>
  void transition(const E& energy, BatchRef<T> x, G& rng) {
    self().propose(energy, x, rng);
    MetropolisWorkspace<T>& w = work_;
    rng.draw().template uniform<T>(w.uniform, 0);
    counters_.decide(w.log_ratio, w.uniform, w.accept, w.probability, step_name());
    copy_accepted_rows(x, w.proposal, w.accept);
    copy_accepted_rows(w.gradient, w.proposal_gradient, w.accept);
    w.energy = (w.accept.array() > T(0)).select(w.proposal_energy, w.energy);
    last_mean_acceptance_ = w.probability.mean();
    if (adapting()) {
      step_size_ = adaptation_.update(last_mean_acceptance_);
      if (steps_taken_ + 1 == adapt_steps_) step_size_ = adaptation_.averaged_step();
    }
    ++steps_taken_;
  }

  T step_size_;
  Index adapt_steps_;
  Index steps_taken_ = 0;
  T last_mean_acceptance_ = T(0);
  DualAveraging<T> adaptation_;
  AcceptanceCounters<T> counters_;
};

}  // namespace detail
}  // namespace ember
