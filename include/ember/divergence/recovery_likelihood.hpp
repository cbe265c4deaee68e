#pragma once
/// @file
/// @brief ember::RecoveryLikelihood (Gao et al. 2021): DCD negatives at T noise levels with a time-conditioned
/// energy, and progressive sampling from N(0, I) down to level 0.
///
/// Levels come from ember::RecoveryLevels (a_i, σ_i, ā_i, σ̄_i, i = 0..L). Each example draws a sampling
/// level t ∈ {0..L−1} uniformly; its positive is x_t = ā_t x + σ̄_t ε and its conditioning point
/// y = a_{t+1} x_t + σ_{t+1} ε'. The negative is drawn from p_θ(x_t | y) ∝ exp(−E(x_t, τ_t) − ‖y − a_{t+1}x_t‖²/(2σ²_{t+1}))
/// by K steps of level t's kernel on ember::Tether(ember::AtTime(E, τ)), started at y itself. That is not Gao
/// et al.'s initialisation: their chain runs on the scaled variable a_{t+1}x_t and starts at y, i.e. at y/a_{t+1}
/// in x-space (as DCD starts at x̃/a); y stays finite and on the data's scale even at the top level, where a_L
/// is small and y/a_L would be far out. The level time is τ_t = (t + 1)/(L + 1)
/// (the schedule's grid time of level t; 0 is the data). The gradient is the contrastive skeleton with
/// times: mean ∇θE(x_t, τ) − mean ∇θE(x⁻, τ). `with_langevin` builds one ULA kernel per level with
/// the recovery-likelihood rule ε_t = step² = c_t² b² σ²_{t+1} (RecoveryLevels::step_size_squared); any other
/// kernel (MALA, HMC) may be given per level.
///
/// @code
/// auto rl = ember::RecoveryLikelihood<float, ember::Langevin<float>>::with_langevin(ember::RecoveryLevels<float>{}, 2e-4f, {.steps = 30});
/// auto result = rl.estimate(model, batch, rng);   ember::Batch<float> samples = rl.sample(model, 64, rng);
/// @endcode

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/energy/tether.hpp"
#include "ember/energy/time_conditioned.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/schedule/recovery_levels.hpp"

namespace ember {

/// Settings of recovery likelihood (aggregate; designated initialisers welcome).
template <Scalar T>
struct RecoveryLikelihoodSettings {
  Index steps = 30;                ///< K ≥ 1 kernel steps per level
  T energy_regularization = T(0);  ///< α ≥ 0: adds α·mean(E(x⁺)² + E(x⁻)²)
};

/// @brief Diffusion recovery likelihood over a time-conditioned energy, one kernel per sampling level.
template <Scalar T, class K>
class RecoveryLikelihood {
 public:
  using scalar_type = T;

  /// @param kernels one kernel per sampling level t = 0..L−1 (L = levels.top_level())
  /// @pre kernels.size() == L, settings.steps ≥ 1.
  RecoveryLikelihood(RecoveryLevels<T> levels, std::vector<K> kernels, RecoveryLikelihoodSettings<T> settings = {})
      : levels_(std::move(levels)), kernels_(std::move(kernels)), settings_(settings) {
    constexpr const char* fn = "ember::RecoveryLikelihood";
    detail::require(static_cast<Index>(kernels_.size()) == levels_.top_level(), fn, "kernels.size()", kernels_.size(),
                    "must equal the number of sampling levels ", levels_.top_level());
    detail::require_at_least_one(settings.steps, fn, "steps");
    detail::require_non_negative(settings.energy_regularization, fn, "energy_regularization");
  }

  /// @brief ULA at every level with the recovery-likelihood step rule ε_t = c_t² b² σ²_{t+1}.
  /// @pre b_square > 0.
  static RecoveryLikelihood with_langevin(RecoveryLevels<T> levels, T b_square,
                                          RecoveryLikelihoodSettings<T> settings = {}, bool scale_by_level = true) {
    static_assert(std::is_same_v<K, Langevin<T>>, "ember::RecoveryLikelihood::with_langevin: K must be "
                                                  "ember::Langevin<T>.");
    std::vector<K> kernels;
    for (Index t = 0; t < levels.top_level(); ++t)
      kernels.push_back(Langevin<T>({.step_size = levels.step_size_squared(t, b_square, scale_by_level)}));
    return RecoveryLikelihood(std::move(levels), std::move(kernels), settings);
  }

  /// The energy's time of sampling level t: (t + 1)/(L + 1).
  [[nodiscard]] T level_time(Index t) const {
    return static_cast<T>(t + 1) / static_cast<T>(levels_.top_level() + 1);
  }

  /// @brief One estimate: a level per example (one draw), two noise draws, then each level's kernel.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(TimeConditionedEnergy<E>, "ember::RecoveryLikelihood::estimate: the energy must model "
                                            "ember::TimeConditionedEnergy (wrap a plain one in ember::TimeIndependent).");
    static_assert(HasScalarType<E, T>, "ember::RecoveryLikelihood::estimate: the energy's "
                                       "scalar_type must match the estimator's.");
    static_assert(Kernel<K, Tether<AtTime<E>>, G>, "ember::RecoveryLikelihood::estimate: the kernel must model "
                                                   "ember::Kernel for ember::Tether<ember::AtTime<E>>.");
    constexpr const char* fn = "ember::RecoveryLikelihood::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    const Index n = data.rows(), levels = levels_.top_level();
    // Sort the examples by level so that each level's kernel runs on one contiguous row block.
    const auto choice = rng.draw();
    std::vector<Index> level(static_cast<std::size_t>(n));
    std::vector<Index> count(static_cast<std::size_t>(levels + 1), 0);
    for (Index i = 0; i < n; ++i) {
      level[static_cast<std::size_t>(i)] =
          static_cast<Index>(choice.index(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(levels)));
      ++count[static_cast<std::size_t>(level[static_cast<std::size_t>(i)] + 1)];
    }
    for (Index t = 0; t < levels; ++t) count[static_cast<std::size_t>(t + 1)] += count[static_cast<std::size_t>(t)];
    std::vector<Index> next(count.begin(), count.end() - 1);
    positives_.resize(n, data.cols());
    a_.resize(n);
    s_.resize(n);
    times_.resize(n);
    Vector<T> a_bar(n), s_bar(n);
    for (Index i = 0; i < n; ++i) {
      const Index t = level[static_cast<std::size_t>(i)];
      const Index row = next[static_cast<std::size_t>(t)]++;
      positives_.row(row) = data.row(i);
      a_bar(row) = levels_.a_cumulative(t);
      s_bar(row) = levels_.sigma_cumulative(t);
      a_(row) = levels_.a(t + 1);
      s_(row) = levels_.sigma(t + 1);
      times_(row) = level_time(t);
    }
    noise_.resize(n, data.cols());
    rng.draw().template normal<T>(noise_, 0);
    positives_ = (positives_.array().colwise() * a_bar.array() + noise_.array().colwise() * s_bar.array()).matrix();
    rng.draw().template normal<T>(noise_, 0);
    conditioning_ = (positives_.array().colwise() * a_.array() + noise_.array().colwise() * s_.array()).matrix();
    negatives_ = conditioning_;
    EstimatorResult<T> result;
    double acceptance = 0;
    bool reported = false;
    for (Index t = 0; t < levels; ++t) {
      const Index start = count[static_cast<std::size_t>(t)], rows = count[static_cast<std::size_t>(t + 1)] - start;
      if (rows == 0) continue;
      if (const auto a = posterior_steps(energy, t, start, rows, rng)) {
        acceptance += static_cast<double>(*a) * static_cast<double>(rows);
        reported = true;
      }
    }
    if (reported) result.acceptance = static_cast<T>(acceptance / static_cast<double>(n));
    skeleton_.accumulate(energy, positives_, times_, negatives_, times_, result, settings_.energy_regularization);
    return result;
  }

  /// @brief Progressive sampling: x_L ~ N(0, I), then x_t from the posterior at level t given x_{t+1} (K steps of
  /// level t's kernel, started at x_{t+1}), t = L−1..0. Returns the n level-0 samples (≈ data: ā_0 ≈ 1).
  template <class E, class G>
  [[nodiscard]] Batch<T> sample(const E& energy, Index n, G& rng) {
    static_assert(TimeConditionedEnergy<E>, "ember::RecoveryLikelihood::sample: the energy must model "
                                            "ember::TimeConditionedEnergy.");
    detail::require_at_least_one(n, "ember::RecoveryLikelihood::sample", "n");
    negatives_.resize(n, static_cast<Index>(energy.dim()));
    rng.draw().template normal<T>(negatives_, 0);
    a_.resize(n);
    s_.resize(n);
    times_.resize(n);
    for (Index t = levels_.top_level() - 1; t >= 0; --t) {
      a_.setConstant(levels_.a(t + 1));
      s_.setConstant(levels_.sigma(t + 1));
      times_.setConstant(level_time(t));
      conditioning_ = negatives_;
      posterior_steps(energy, t, 0, n, rng);
    }
    return negatives_;
  }

  [[nodiscard]] const RecoveryLevels<T>& levels() const { return levels_; }
  [[nodiscard]] std::vector<K>& kernels() { return kernels_; }
  [[nodiscard]] const RecoveryLikelihoodSettings<T>& settings() const { return settings_; }
  /// Positives (sorted by level), their times and the negatives of the last estimate.
  [[nodiscard]] const Batch<T>& positives() const { return positives_; }
  [[nodiscard]] const Vector<T>& times() const { return times_; }
  [[nodiscard]] const Batch<T>& negatives() const { return negatives_; }

 private:
  template <class E, class G>
  std::optional<T> posterior_steps(const E& energy, Index t, Index start, Index rows, G& rng) {
    const AtTime<E> at_level(energy, times_.segment(start, rows));
    const Tether<AtTime<E>> posterior(at_level, conditioning_.middleRows(start, rows), a_.segment(start, rows),
                                      s_.segment(start, rows));
    return detail::run_kernel<T>(kernels_[static_cast<std::size_t>(t)], posterior,
                                 BatchRef<T>(negatives_.middleRows(start, rows)), rng, settings_.steps);
  }

  RecoveryLevels<T> levels_;
  std::vector<K> kernels_;
  RecoveryLikelihoodSettings<T> settings_;
  Contrastive<T> skeleton_;
  Batch<T> positives_;
  Batch<T> conditioning_;
  Batch<T> negatives_;
  Batch<T> noise_;
  Vector<T> a_;
  Vector<T> s_;
  Vector<T> times_;
};

}  // namespace ember
