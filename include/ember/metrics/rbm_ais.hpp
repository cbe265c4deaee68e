#pragma once
/// @file
/// @brief Annealed importance sampling (AIS) estimate of an RBM's log Z with its standard error
/// (Salakhutdinov & Murray 2008, "On the quantitative analysis of deep belief networks").
///
/// Base model A: an RBM with W = 0, hidden biases 0 and visible biases b_A (from the data: the logit of
/// the smoothed visible means for Bernoulli units, the mean for Gaussian ones), whose log Z is known:
/// Σₖ softplus(b_A,ₖ) + h log 2 (Bernoulli) or (d/2) log 2π + h log 2 (Gaussian). The path is geometric in
/// the inverse temperature β on the joint distributions, 0 = β₀ < β₁ < … < β_K = 1 (equally spaced):
///   log p*_β(v) = ((1 − β) b_A + β b)ᵀv + Σⱼ softplus(β (cⱼ + Wⱼᵀv))          (Bernoulli visible),
///   log p*_β(v) = −½‖v‖² + ((1 − β) b_A + β b)ᵀv − ½((1 − β)‖b_A‖² + β‖b‖²) + Σⱼ softplus(β aⱼ)  (Gaussian),
/// and the transition at β is block Gibbs on it: h ~ σ(β(c + Wᵀv)), v | h with input (1 − β) b_A + β(b + W h).
/// Each run's log weight is Σₖ [log p*_{βₖ}(vₖ) − log p*_{βₖ₋₁}(vₖ)]; log Ẑ = log Z_A + log mean exp(log w),
/// and its standard error (delta method) is sd(w) / (√M · mean(w)) over the M runs.
///
/// @code
/// const auto base = ember::ais_base_visible_bias(rbm, data);
/// const auto result = ember::ais_log_partition(rbm, base, {.runs = 100, .temperatures = 10000}, rng);
/// @endcode

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <numbers>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/simd/activations.hpp"
#include "ember/mcmc/gibbs.hpp"

namespace ember {

/// Settings of ais_log_partition (aggregate; designated initialisers welcome).
struct RbmAisSettings {
  Index runs = 100;           ///< M ≥ 2 independent annealing runs (rows of one batch)
  Index temperatures = 1000;  ///< K ≥ 1 steps of β from 0 to 1 (β_k = k / K)
  Index gibbs_steps = 1;      ///< block Gibbs sweeps at each intermediate β (≥ 1)
};

/// The result of ais_log_partition.
struct AisEstimate {
  double log_partition = 0;       ///< log Ẑ
  double standard_error = 0;      ///< standard error of log Ẑ (delta method over the runs)
  double base_log_partition = 0;  ///< log Z_A of the base model
  Eigen::VectorXd log_weights;    ///< log importance weight of each run
};

/// @brief Base visible biases for AIS from a data batch: logit of the smoothed means (n₁ + 1)/(N + 2) for
/// Bernoulli visible units, the data means for Gaussian ones.
template <class E>
Vector<typename E::scalar_type> ais_base_visible_bias(const E& rbm, BatchView<typename E::scalar_type> data) {
  static_assert(RbmEnergy<E>, "ember::ais_base_visible_bias: the energy must be an RBM (ember::Rbm or a type "
                              "modelling ember::RbmEnergy).");
  using T = typename E::scalar_type;
  detail::require_batch(data, rbm.n_visible(), "ember::ais_base_visible_bias", "data");
  const Eigen::VectorXd sum = data.template cast<double>().colwise().sum().transpose();
  const auto n = static_cast<double>(data.rows());
  if constexpr (E::visible_units == VisibleUnits::bernoulli) {
    const Eigen::ArrayXd p = (sum.array() + 1.0) / (n + 2.0);
    return (p / (1.0 - p)).log().matrix().template cast<T>();
  } else {
    return (sum / n).template cast<T>();
  }
}

/// @brief AIS estimate of log Z for an RBM of any size (see the file comment for the path and the weights).
/// @param rbm               the model
/// @param base_visible_bias b_A (length n_visible), e.g. from ais_base_visible_bias
/// @param settings          runs, temperatures, Gibbs sweeps per temperature
/// @param rng               generator; every Gibbs half-step takes one draw
/// @throws ember::numerical_error if a log weight is NaN/Inf.
template <class E, class G>
AisEstimate ais_log_partition(const E& rbm, VectorView<typename E::scalar_type> base_visible_bias,
                              const RbmAisSettings& settings, G& rng) {
  static_assert(RbmEnergy<E>, "ember::ais_log_partition: the energy must be an RBM (ember::Rbm or a type "
                              "modelling ember::RbmEnergy).");
  static_assert(Generator<G>, "ember::ais_log_partition: the generator must model ember::Generator (for example ember::Philox).");
  using T = typename E::scalar_type;
  constexpr const char* fn = "ember::ais_log_partition";
  constexpr bool gaussian = E::visible_units == VisibleUnits::gaussian;
  const Index d = rbm.n_visible();
  const Index h = rbm.n_hidden();
  const Index m = settings.runs;
  detail::require(m >= 2, fn, "settings.runs", m, "must be >= 2 (the standard error needs two runs)");
  detail::require_at_least_one(settings.temperatures, fn, "settings.temperatures");
  detail::require_at_least_one(settings.gibbs_steps, fn, "settings.gibbs_steps");
  detail::require_shape(base_visible_bias, d, 1, fn, "base_visible_bias");
  detail::require_all_finite(base_visible_bias, fn, "base_visible_bias");
  detail::require_all_finite(rbm.params(), fn, "rbm.params()");

  const Vector<T> b_a = base_visible_bias;
  const auto b = rbm.visible_bias();
  const auto c = rbm.hidden_bias();
  const auto w = rbm.weights();
  const auto mn = static_cast<std::size_t>(m);
  Batch<T> v(m, d), hidden(m, h), input(m, h), vis(m, d), noise(m, d), uniform(m, h), scaled(m, h);
  Eigen::VectorXd log_w = Eigen::VectorXd::Zero(m);

  // Exact sample from the base model: v ~ σ(b_A) or N(b_A, I).
  if constexpr (gaussian) {
    rng.draw().template normal<T>(noise, 0);
    v = noise.rowwise() + b_a.transpose();
  } else {
    rng.draw().template uniform<T>(noise, 0);
    for (Index k = 0; k < d; ++k) {
      vis.col(k).setConstant(b_a(k));
      detail::bernoulli_from_logits(vis.col(k).data(), noise.col(k).data(), v.col(k).data(), mn);
    }
  }

  // Σⱼ softplus(β aᵢⱼ) for every run, in double.
  auto softplus_sum = [&](T beta, Eigen::VectorXd& out) {
    scaled = beta * input;
    detail::softplus_inplace(scaled.data(), static_cast<std::size_t>(scaled.size()));
    out = scaled.rowwise().sum().template cast<double>();
  };
  Eigen::VectorXd at_new(m), at_old(m);
  const auto k_total = static_cast<double>(settings.temperatures);
  for (Index k = 1; k <= settings.temperatures; ++k) {
    const double beta_old = static_cast<double>(k - 1) / k_total;
    const double beta_new = static_cast<double>(k) / k_total;
    // log p*_{β_k}(v) − log p*_{β_{k−1}}(v): the linear terms change by (β_k − β_{k−1}) (b − b_A)ᵀv.
    input.noalias() = v * w;
    input.rowwise() += c.transpose();
    softplus_sum(static_cast<T>(beta_new), at_new);
    softplus_sum(static_cast<T>(beta_old), at_old);
    const double step = beta_new - beta_old;
    log_w += at_new - at_old + step * (v * (b - b_a)).template cast<double>();
    if constexpr (gaussian) log_w.array() -= 0.5 * step * static_cast<double>(b.squaredNorm() - b_a.squaredNorm());
    if (k == settings.temperatures) break;
    // Block Gibbs at β_k: h ~ σ(β a(v)), then v | h with input (1 − β) b_A + β (b + W h).
    const auto beta = static_cast<T>(beta_new);
    const Vector<T> mixed_bias = (T(1) - beta) * b_a + beta * b;
    for (Index sweep = 0; sweep < settings.gibbs_steps; ++sweep) {
      if (sweep > 0) {
        input.noalias() = v * w;
        input.rowwise() += c.transpose();
      }
      scaled = beta * input;
      rng.draw().template uniform<T>(uniform, 0);
      detail::bernoulli_from_logits(scaled.data(), uniform.data(), hidden.data(), static_cast<std::size_t>(hidden.size()));
      vis.noalias() = beta * (hidden * w.transpose());
      vis.rowwise() += mixed_bias.transpose();
      if constexpr (gaussian) {
        rng.draw().template normal<T>(noise, 0);
        v = vis + noise;
      } else {
        rng.draw().template uniform<T>(noise, 0);
        detail::bernoulli_from_logits(vis.data(), noise.data(), v.data(), static_cast<std::size_t>(v.size()));
      }
    }
  }
  detail::check_numerics(log_w, fn, "the AIS log weights");

  AisEstimate result;
  double base = static_cast<double>(h) * std::numbers::ln2;
  if constexpr (gaussian) {
    base += 0.5 * static_cast<double>(d) * std::log(2 * std::numbers::pi);
  } else {
    for (Index k = 0; k < d; ++k) base += Softplus::value(static_cast<double>(b_a(k)));
  }
  const double top = log_w.maxCoeff();
  const Eigen::ArrayXd scaled_w = (log_w.array() - top).exp();
  const double mean = scaled_w.mean();
  const double variance = (scaled_w - mean).square().sum() / static_cast<double>(m - 1);
  result.base_log_partition = base;
  result.log_partition = base + top + std::log(mean);
  result.standard_error = std::sqrt(variance / static_cast<double>(m)) / mean;
  result.log_weights = log_w;
  return result;
}

}  // namespace ember
