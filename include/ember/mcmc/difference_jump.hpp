#pragma once
/// @file
/// @brief Mode-jumping moves for chains that cannot cross between far-apart modes: ember::DifferenceJump, a
/// Metropolis–Hastings move by the difference of two reference points (the data), and ember::WithJumps, another
/// kernel with such a jump before every `period` of its transitions.
///
/// Gradient-based kernels (ULA, MALA, HMC) move a chain by about its step per transition, so a chain started in
/// one mode of exp(−E) never reaches a mode several units away; short-run chains then carry no information about
/// the modes' relative weights, and CD, PCD and improved CD cannot learn them (docs/results/robustness.md: every
/// method fails the far_modes set). The difference move of differential-evolution MCMC (ter Braak 2006, with
/// γ = 1, its mode-jumping setting) crosses in one step: with y_j, y_k two distinct rows of a fixed reference set
/// drawn uniformly,
///
///     x' = x + γ (y_j − y_k),    accepted with probability min(1, exp(E(x) − E(x'))).
///
/// The difference y_j − y_k is as likely as y_k − y_j and does not depend on x, so the proposal is symmetric and
/// the move leaves exp(−E) exactly invariant whatever the reference set: any set gives a correct kernel; the data
/// give one whose jumps land where the model should have mass (a chain near y_k is moved near y_j). Chains started
/// at the data move toward the model's weights: when the model weights a mode too little, jumps out of it are
/// accepted more often than jumps into it, so fewer negatives than data lie there, and the estimator's contrast
/// (data minus negatives) raises the mode's weight.
/// Each move costs two energy evaluations (no gradient) of the batch.
///
/// @code
/// // data: the training points, an ember::Batch<float> of n × d
/// ember::WithJumps kernel(ember::Mala<float>({.step_size = 0.1f}), ember::DifferenceJump<float>(data), 10);
/// ember::ContrastiveDivergence cd(std::move(kernel), {.steps = 10});   // a jump, then 10 MALA steps
/// @endcode

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/mcmc/acceptance.hpp"
#include "ember/mcmc/detail/acceptance.hpp"

namespace ember {

/// Settings of ember::DifferenceJump (aggregate; designated initialisers welcome).
template <Scalar T>
struct DifferenceJumpSettings {
  T scale = T(1);  ///< γ > 0: the move is γ (y_j − y_k); 1 moves a chain from one reference point's place to another's
};

/// @brief The difference move; models ember::Kernel. Copies of a kernel share its reference set (held by
/// shared pointer, never modified).
template <Scalar T>
class DifferenceJump {
 public:
  using scalar_type = T;
  static constexpr const char* name = "ember::DifferenceJump";

  /// @pre reference has ≥ 2 rows and ≥ 1 column, all finite; settings.scale finite and > 0.
  /// @throws ember::invalid_argument naming the argument.
  explicit DifferenceJump(Batch<T> reference, DifferenceJumpSettings<T> settings = {})
      : reference_(std::make_shared<const Batch<T>>(std::move(reference))), settings_(settings) {
    detail::require(reference_->rows() >= 2 && reference_->cols() >= 1, name, "reference",
                    detail::shape_of(reference_->rows(), reference_->cols()), "needs at least 2 rows and 1 column");
    detail::require_all_finite(*reference_, name, "reference");
    detail::require_positive(settings.scale, name, "settings.scale");
  }

  /// The reference set the differences are drawn from.
  [[nodiscard]] const Batch<T>& reference() const { return *reference_; }
  [[nodiscard]] const DifferenceJumpSettings<T>& settings() const { return settings_; }

  /// @brief One jump of every chain (row of x), in place.
  /// @throws ember::invalid_argument on a batch of the wrong width; ember::numerical_error on a non-finite energy
  ///         at the current states or a NaN energy at a proposal (a proposal at +∞ is rejected).
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    static_assert(Energy<E>, "ember::DifferenceJump::step: the energy type must model ember::Energy.");
    static_assert(HasScalarType<E, T>,
                  "ember::DifferenceJump::step: the energy's scalar_type must match the kernel's scalar type.");
    static_assert(Generator<G>, "ember::DifferenceJump::step: the generator must model ember::Generator.");
    constexpr const char* fn = "ember::DifferenceJump::step";
    const Index n = x.rows(), d = x.cols(), m = reference_->rows();
    detail::require(n > 0, fn, "x", detail::shape_of(n, d), "the batch is empty");
    detail::require(d == static_cast<Index>(energy.dim()) && d == reference_->cols(), fn, "x", detail::shape_of(n, d),
                    "expected ", reference_->cols(), " columns (the reference set's and the energy's dimension)");
    counters_.ensure(n);
    energy_.resize(n);
    proposal_energy_.resize(n);
    proposal_.resize(n, d);
    picks_.resize(n, 2);
    uniform_.resize(n, 1);
    accept_.resize(n);
    probability_.resize(n);
    log_ratio_.resize(n);

    // An ordered pair j ≠ k, uniform over the m (m − 1) pairs: j from m, k from the other m − 1.
    rng.draw().template uniform<double>(picks_, 0);
    const Batch<T>& y = *reference_;
    for (Index i = 0; i < n; ++i) {
      const Index j = std::min(static_cast<Index>(picks_(i, 0) * double(m)), m - 1);
      Index k = std::min(static_cast<Index>(picks_(i, 1) * double(m - 1)), m - 2);
      k += k >= j ? 1 : 0;
      proposal_.row(i) = x.row(i) + settings_.scale * (y.row(j) - y.row(k));
    }
    energy.energy(BatchView<T>(x), energy_);
    detail::check_numerics(energy_, fn, "the energy at the current states");
    energy.energy(BatchView<T>(proposal_), proposal_energy_);
    // The current energies are finite, so +∞ at a proposal gives −∞ (a rejection) and NaN a failure (decide throws).
    log_ratio_ = energy_ - proposal_energy_;
    rng.draw().template uniform<T>(uniform_, 0);
    counters_.decide(log_ratio_, uniform_, accept_, probability_, fn);
    detail::copy_accepted_rows(x, proposal_, accept_);
    last_mean_acceptance_ = probability_.mean();
  }

  /// @brief `steps` jumps of every chain.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    detail::require(steps >= 0, "ember::DifferenceJump::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) step(energy, x, rng);
  }

  /// Per-chain accepted and divergent jumps since the last reset (see mcmc/acceptance.hpp).
  [[nodiscard]] AcceptanceStatistics<T> statistics() const {
    return {counters_.accepted(), counters_.divergent(), counters_.proposed()};
  }
  /// Mean acceptance probability over the chains of the last jump.
  [[nodiscard]] T last_mean_acceptance() const { return last_mean_acceptance_; }
  void reset_statistics() { counters_.reset(); }
  /// @brief Restores what `statistics()` and `last_mean_acceptance()` returned (a checkpoint: the reference set
  /// and settings are the constructor's, and a jump keeps nothing else between calls).
  /// @throws ember::invalid_argument on inconsistent counts or a non-finite acceptance.
  void set_statistics(AcceptanceStatistics<T> s, T last_mean_acceptance) {
    constexpr const char* fn = "ember::DifferenceJump::set_statistics";
    detail::require(s.accepted.size() == s.divergent.size(), fn, "statistics.divergent.size()", s.divergent.size(),
                    "must equal statistics.accepted.size() = ", s.accepted.size());
    detail::require(s.proposed >= 0, fn, "statistics.proposed", s.proposed, "must be >= 0");
    detail::require(((s.accepted.array() >= 0) && (s.accepted.array() <= s.proposed) && (s.divergent.array() >= 0) &&
                     (s.accepted.array() + s.divergent.array() <= s.proposed)).all(),
                    fn, "statistics.proposed", s.proposed,
                    "must be at least each chain's accepted plus divergent count (none negative)");
    detail::require(std::isfinite(last_mean_acceptance) && last_mean_acceptance >= T(0) && last_mean_acceptance <= T(1),
                    fn, "last_mean_acceptance", last_mean_acceptance, "must be in [0, 1]");
    counters_.set(std::move(s.accepted), std::move(s.divergent), s.proposed);
    last_mean_acceptance_ = last_mean_acceptance;
  }

 private:
  std::shared_ptr<const Batch<T>> reference_;
  DifferenceJumpSettings<T> settings_;
  detail::AcceptanceCounters<T> counters_;
  Batch<T> proposal_;
  Batch<double> picks_;
  Batch<T> uniform_;
  Vector<T> energy_, proposal_energy_, accept_, probability_, log_ratio_;
  T last_mean_acceptance_ = T(0);
};

/// @brief Kernel K with a DifferenceJump before every `period` of its transitions (before transitions 0,
/// period, 2·period, … counted over the kernel's life). Models ember::Kernel when K does; `run` hands each stretch
/// between jumps to K's own `run` (a Metropolis kernel then evaluates its current states once per stretch), and
/// reports K's acceptance (`last_mean_acceptance`), not the jumps' (`jump().statistics()`).
template <class K, Scalar T>
class WithJumps {
 public:
  using scalar_type = T;

  /// @pre period ≥ 1. @throws ember::invalid_argument.
  WithJumps(K kernel, DifferenceJump<T> jump, Index period)
      : kernel_(std::move(kernel)), jump_(std::move(jump)), period_(period) {
    detail::require_at_least_one(period, "ember::WithJumps", "period");
  }

  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    run(energy, x, rng, 1);
  }
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    run(energy, x, rng, steps, [](const StepRecord<T>&) {});
  }
  /// @brief `steps` transitions of K with the jumps due among them; `observer` sees K's transitions (indices
  /// 0 … steps − 1 of this call) when K's run takes one, and is not called otherwise.
  template <class E, class G, class Observer>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps, Observer&& observer) {
    detail::require(steps >= 0, "ember::WithJumps::run", "steps", steps, "must be >= 0");
    for (Index done = 0; done < steps;) {
      if (since_jump_ == 0) jump_.step(energy, x, rng);
      const Index stretch = std::min(steps - done, period_ - since_jump_);
      if constexpr (requires { kernel_.run(energy, x, rng, stretch, observer); }) {
        kernel_.run(energy, x, rng, stretch, [&](const StepRecord<T>& r) {
          observer(StepRecord<T>{done + r.step, r.states, r.energy, r.accepted});
        });
      } else {
        for (Index s = 0; s < stretch; ++s) kernel_.step(energy, x, rng);
      }
      since_jump_ = (since_jump_ + stretch) % period_;
      done += stretch;
    }
  }

  /// K's mean acceptance probability over the chains of its last transition (for K with one).
  [[nodiscard]] T last_mean_acceptance() const
    requires requires(const K& k) { k.last_mean_acceptance(); }
  {
    return kernel_.last_mean_acceptance();
  }
  [[nodiscard]] K& inner() { return kernel_; }
  [[nodiscard]] const K& inner() const { return kernel_; }
  [[nodiscard]] DifferenceJump<T>& jump() { return jump_; }
  [[nodiscard]] const DifferenceJump<T>& jump() const { return jump_; }
  [[nodiscard]] Index period() const { return period_; }
  /// K's transitions since the last jump (0 when the next transition is preceded by one).
  [[nodiscard]] Index since_jump() const { return since_jump_; }
  /// @brief Sets the position in the period (a checkpoint's `since_jump()`). @pre 0 ≤ k < period.
  void set_since_jump(Index k) {
    detail::require(k >= 0 && k < period_, "ember::WithJumps::set_since_jump", "k", k, "must be in [0, period = ",
                    period_, ")");
    since_jump_ = k;
  }

 private:
  K kernel_;
  DifferenceJump<T> jump_;
  Index period_;
  Index since_jump_ = 0;
};

template <class K, Scalar T>
WithJumps(K, DifferenceJump<T>, Index) -> WithJumps<K, T>;

}  // namespace ember
