#pragma once
/// @file
/// @brief The one skeleton every estimator shares: mean ∇θE on data − mean ∇θE on negatives (+ extras).
///
/// `ember::Contrastive` evaluates E on the positives (data) and on the negatives, writes the surrogate loss
/// mean E(x⁺) − mean E(x⁻) and the diagnostics into an `EstimatorResult`, and adds
///   ∇θ [ mean E(x⁺) − mean E(x⁻) + α · mean (E(x⁺)² + E(x⁻)²) ]
/// to its gradient with exactly one `accumulate_param_gradient` call per side (weights 1/N + (2α/N)E on the data,
/// −1/M + (2α/M)E on the negatives; α = 0 gives the plain ±1/N weights). An energy modelling
/// ember::FusedParametricEnergy (the RBMs) gets one `energy_and_accumulate_param_gradient` call per side
/// instead, which evaluates E and its weighted gradient from one forward pass. The estimators (cd.hpp, pcd.hpp,
/// improved_cd.hpp, dcd.hpp, recovery_likelihood.hpp) are small policies on top: how the negatives are made and
/// which extra terms are added. Negatives are treated as constants (no gradient flows through the sampler).
///
/// @code
/// ember::Contrastive<double> skeleton;
/// skeleton.accumulate(energy, data, negatives, result);   // result.gradient += ∇θ(mean E⁺ − mean E⁻)
/// @endcode

#include <cmath>
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mcmc/observer.hpp"

namespace ember {

/// @brief What every estimator returns: the loss where it is defined, the flat parameter gradient and
/// NaN-free diagnostics.
template <Scalar T>
struct EstimatorResult {
  T loss = T(0);             ///< the (surrogate) objective whose θ-gradient is `gradient`, averaged over the batch
  Vector<T> gradient;        ///< ∇θ loss, same layout as the energy's params()
  T positive_energy = T(0);  ///< mean E on the data (positives)
  T negative_energy = T(0);  ///< mean E on the negatives
  std::optional<T> acceptance;  ///< mean Metropolis–Hastings acceptance, present only where an MH step ran
};

/// @brief The shared gradient skeleton with its reusable workspace (one per estimator).
template <Scalar T>
class Contrastive {
 public:
  /// @brief For an ember::ParametricEnergy: adds ∇θ[mean E(x⁺) − mean E(x⁻) + α mean(E(x⁺)² + E(x⁻)²)] to
  /// `result.gradient` (sized to the parameters and zeroed if it has the wrong size), adds the same terms to
  /// `result.loss` and sets the mean energies.
  /// @param energy_regularization α ≥ 0 (Du & Mordatch's energy² regulariser); 0 disables it
  /// @param pool threads for the energies and ∇θ of an energy that can split them without changing a bit
  /// (MlpEnergy::accumulate_param_gradients); null, or any other energy: one thread
  template <class E>
  void accumulate(const E& energy, BatchView<T> positives, BatchView<T> negatives, EstimatorResult<T>& result,
                  T energy_regularization = T(0), ThreadPool* pool = nullptr) {
    static_assert(ParametricEnergy<E>, "ember::Contrastive::accumulate: the energy must model ember::ParametricEnergy "
                                       "(params(), accumulate_param_gradient).");
    static_assert(HasScalarType<E, T>,
                  "ember::Contrastive::accumulate: the energy's scalar_type must match the estimator's scalar type.");
    if constexpr (FusedParametricEnergy<E>) {
      const auto fused = [&](BatchView<T> x, VectorRef<T> e, T a, T b, VectorRef<T> g) {
        energy.energy_and_accumulate_param_gradient(x, e, a, b, g);
      };
      run_fused(fused, energy.params().size(), positives, negatives, result, energy_regularization, pool_of(energy));
    } else if constexpr (requires(VectorRef<T> g) {
                           energy.accumulate_param_gradients(positives, positives.col(0), negatives, negatives.col(0),
                                                             g, pool);
                         }) {
      if (pool != nullptr && pool->workers() > 1) {
        run_pooled(energy, positives, negatives, result, energy_regularization, *pool);
      } else {
        run_plain(energy, positives, negatives, result, energy_regularization);
      }
    } else {
      run_plain(energy, positives, negatives, result, energy_regularization);
    }
  }

 private:
  template <class E>
  void run_plain(const E& energy, BatchView<T> positives, BatchView<T> negatives, EstimatorResult<T>& result,
                 T energy_regularization) {
    run(
        [&](BatchView<T> x, VectorRef<T> e) { energy.energy(x, e); },
        [&](BatchView<T> x, VectorRef<T> e) { energy.energy(x, e); },
        [&](BatchView<T> x, VectorView<T> w, VectorRef<T> g) { energy.accumulate_param_gradient(x, w, g); },
        [&](BatchView<T> x, VectorView<T> w, VectorRef<T> g) { energy.accumulate_param_gradient(x, w, g); },
        energy.params().size(), positives, negatives, result, energy_regularization);
  }

  // The two energy passes as two tasks and ∇θ split by the energy: the same calls, hence bits, as run_plain.
  template <class E>
  void run_pooled(const E& energy, BatchView<T> positives, BatchView<T> negatives, EstimatorResult<T>& result,
                  T alpha, ThreadPool& pool) {
    prepare(energy.params().size(), positives, negatives, result, alpha, &pool);
    pool.parallel_for(2, [&](Index side) {
      if (side == 0) {
        energy.energy(positives, positive_energy_);
      } else {
        energy.energy(negatives, negative_energy_);
      }
    });
    check_energies();
    set_weights(weight_, positive_energy_, T(1), alpha);
    set_weights(negative_weight_, negative_energy_, T(-1), alpha);
    energy.accumulate_param_gradients(positives, weight_, negatives, negative_weight_, result.gradient, &pool);
    finish(result, alpha);
  }

 public:
  /// @brief For an ember::TimeConditionedEnergy: the same with per-point times (t⁺ for the positives, t⁻ for
  /// the negatives; lengths equal to the batches' row counts).
  template <class E>
  void accumulate(const E& energy, BatchView<T> positives, VectorView<T> positive_times, BatchView<T> negatives,
                  VectorView<T> negative_times, EstimatorResult<T>& result, T energy_regularization = T(0)) {
    static_assert(TimeConditionedEnergy<E>, "ember::Contrastive::accumulate: with times, the energy must model "
                                            "ember::TimeConditionedEnergy.");
    static_assert(HasScalarType<E, T>,
                  "ember::Contrastive::accumulate: the energy's scalar_type must match the estimator's scalar type.");
    constexpr const char* fn = "ember::Contrastive::accumulate";
    detail::require_shape(positive_times, positives.rows(), 1, fn, "positive_times");
    detail::require_shape(negative_times, negatives.rows(), 1, fn, "negative_times");
    run(
        [&](BatchView<T> x, VectorRef<T> e) { energy.energy(x, positive_times, e); },
        [&](BatchView<T> x, VectorRef<T> e) { energy.energy(x, negative_times, e); },
        [&](BatchView<T> x, VectorView<T> w, VectorRef<T> g) {
          energy.accumulate_param_gradient(x, positive_times, w, g);
        },
        [&](BatchView<T> x, VectorView<T> w, VectorRef<T> g) {
          energy.accumulate_param_gradient(x, negative_times, w, g);
        },
        energy.params().size(), positives, negatives, result, energy_regularization);
  }

  /// Energies of the positives and negatives from the last call (diagnostics, energy histograms).
  [[nodiscard]] const Vector<T>& positive_energies() const { return positive_energy_; }
  [[nodiscard]] const Vector<T>& negative_energies() const { return negative_energy_; }

 private:
  // Checks the batches and α, sizes the gradient and the energy vectors. A new gradient is zeroed by the workers
  // of `pool` that will add into each part of it (for_owned_ranges), so that each part starts in their cache.
  void prepare(Index num_params, BatchView<T> positives, BatchView<T> negatives, EstimatorResult<T>& result,
               T alpha, ThreadPool* pool) {
    constexpr const char* fn = "ember::Contrastive::accumulate";
    detail::require(positives.rows() > 0, fn, "positives", detail::shape_of(positives.rows(), positives.cols()),
                    "the batch is empty");
    detail::require(negatives.rows() > 0, fn, "negatives", detail::shape_of(negatives.rows(), negatives.cols()),
                    "the batch is empty");
    detail::require_shape(negatives, negatives.rows(), positives.cols(), fn, "negatives");
    detail::require_non_negative(alpha, fn, "energy_regularization", " (0 disables the regulariser)");
    if (result.gradient.size() != num_params) {
      result.gradient.resize(num_params);
      for_owned_ranges(pool, num_params, [&](Index begin, Index end) {
        result.gradient.segment(begin, end - begin).setZero();
      });
    }
    positive_energy_.resize(positives.rows());
    negative_energy_.resize(negatives.rows());
  }

  // The weight of point i on a side of `count` points is a + b·eᵢ: a = ±1/count, b = 2α/count.
  static T weight_offset(Index count, T sign) { return sign / static_cast<T>(count); }
  static T weight_slope(Index count, T alpha) { return T(2) * alpha / static_cast<T>(count); }
  static void set_weights(Vector<T>& weights, const Vector<T>& energies, T sign, T alpha) {
    const Index count = energies.size();
    weights.resize(count);
    weights = (weight_offset(count, sign) + weight_slope(count, alpha) * energies.array()).matrix();
  }

  template <class EnergyPos, class EnergyNeg, class GradPos, class GradNeg>
  void run(EnergyPos&& energy_pos, EnergyNeg&& energy_neg, GradPos&& grad_pos, GradNeg&& grad_neg, Index num_params,
           BatchView<T> positives, BatchView<T> negatives, EstimatorResult<T>& result, T alpha) {
    prepare(num_params, positives, negatives, result, alpha, nullptr);
    energy_pos(positives, positive_energy_);
    energy_neg(negatives, negative_energy_);
    check_energies();
    set_weights(weight_, positive_energy_, T(1), alpha);
    grad_pos(positives, weight_, result.gradient);
    set_weights(weight_, negative_energy_, T(-1), alpha);
    grad_neg(negatives, weight_, result.gradient);
    finish(result, alpha);
  }

  // One fused call per side. The energies are checked after the calls: a non-finite energy throws (and the
  // gradient it touched is not to be used).
  template <class Fused>
  void run_fused(Fused&& fused, Index num_params, BatchView<T> positives, BatchView<T> negatives,
                 EstimatorResult<T>& result, T alpha, ThreadPool* pool) {
    prepare(num_params, positives, negatives, result, alpha, pool);
    const Index n = positives.rows(), m = negatives.rows();
    fused(positives, positive_energy_, weight_offset(n, T(1)), weight_slope(n, alpha), result.gradient);
    fused(negatives, negative_energy_, weight_offset(m, T(-1)), weight_slope(m, alpha), result.gradient);
    check_energies();
    finish(result, alpha);
  }

  void check_energies() const {
    constexpr const char* fn = "ember::Contrastive::accumulate";
    detail::check_numerics(positive_energy_, fn, "the energy of the data");
    detail::check_numerics(negative_energy_, fn, "the energy of the negatives");
  }

  // Mean energies, loss (+ the energy² term).
  void finish(EstimatorResult<T>& result, T alpha) const {
    const auto n = static_cast<T>(positive_energy_.size()), m = static_cast<T>(negative_energy_.size());
    const T mean_pos = positive_energy_.mean(), mean_neg = negative_energy_.mean();
    result.positive_energy = mean_pos;
    result.negative_energy = mean_neg;
    result.loss += mean_pos - mean_neg;
    if (alpha > T(0)) result.loss += alpha * (positive_energy_.squaredNorm() / n + negative_energy_.squaredNorm() / m);
  }

  Vector<T> positive_energy_;
  Vector<T> negative_energy_;
  Vector<T> weight_;
  Vector<T> negative_weight_;
};

namespace detail {

/// Mean MH acceptance of the kernel's last step, for kernels that report one (MALA, HMC): any kernel with a
/// `last_mean_acceptance()` member returning a number. Other kernels (ULA, Gibbs, exact samplers) report nothing.
template <class K>
std::optional<double> kernel_acceptance(const K& kernel) {
  if constexpr (requires { { kernel.last_mean_acceptance() } -> std::convertible_to<double>; }) {
    return static_cast<double>(kernel.last_mean_acceptance());
  } else {
    return std::nullopt;
  }
}

/// Runs `steps` kernel transitions and returns the mean acceptance over them where the kernel reports one.
template <class T, class K, class E, class G>
std::optional<T> run_kernel(K& kernel, const E& energy, BatchRef<T> x, G& rng, Index steps) {
  double total = 0;
  bool reported = false;
  const auto add_acceptance = [&] {
    if (const auto a = kernel_acceptance(kernel)) {
      total += *a;
      reported = true;
    }
  };
  // A Metropolis kernel's run() evaluates the current states once and then reuses each accepted proposal's energy
  // and gradient; its step() evaluates them again at every transition (twice the work, the same bits).
  if constexpr (requires { kernel.last_mean_acceptance(); } &&
                requires { kernel.run(energy, x, rng, steps, [](const StepRecord<T>&) {}); }) {
    if (steps > 0) kernel.run(energy, x, rng, steps, [&](const StepRecord<T>&) { add_acceptance(); });
  } else {
    for (Index s = 0; s < steps; ++s) {
      kernel.step(energy, x, rng);
      add_acceptance();
    }
  }
  if (!reported || steps == 0) return std::nullopt;
  return static_cast<T>(total / static_cast<double>(steps));
}

}  // namespace detail
}  // namespace ember
