#pragma once
/// @file
/// @brief Effective sample size of MCMC output by Geyer's initial monotone sequence estimator, over one or
/// several chains (the multi-chain autocorrelation of Stan / Vehtari et al. 2021, without rank normalisation).
///
/// Input: an N × S trace, one row per chain (the batch layout), S successive values of one scalar quantity.
/// With W the mean within-chain variance, B/S the variance of the chain means and var⁺ = (S−1)/S·W + B/S,
/// the lag-k autocorrelation is ρ_k = 1 − (W − mean over chains of the lag-k autocovariance)/var⁺. Pairs
/// Γ_m = ρ_{2m} + ρ_{2m+1} are summed while positive, made monotone non-increasing (Geyer 1992), and
/// τ = −1 + 2 Σ Γ_m; ESS = N·S/τ. One chain (N = 1) gives the classical single-chain estimator.
/// Cost O(N·S·K) for the K lags actually used (the sum stops at the first negative pair).
///
/// @code
/// ember::Batch<double> trace(chains, steps);   // trace(i, s) = f(x_i at step s)
/// double ess = ember::effective_sample_size<double>(trace);
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief Effective sample size of an N × S trace (row = chain, column = step).
/// @pre S ≥ 4, N ≥ 1, all entries finite. @throws ember::invalid_argument.
/// @return ESS in (0, N·S·log10(N·S)] (Stan's cap); N·S for a constant trace.
template <Scalar T>
T effective_sample_size(BatchView<T> trace) {
  constexpr const char* fn = "ember::effective_sample_size";
  const Index chains = trace.rows(), steps = trace.cols();
  detail::require(chains >= 1, fn, "trace", detail::shape_of(chains, steps), "needs at least one chain (row)");
  detail::require(steps >= 4, fn, "trace", detail::shape_of(chains, steps), "needs at least 4 steps (columns)");
  detail::require_all_finite(trace, fn, "trace");
  using Real = double;
  const Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic> centred =
      (trace.template cast<Real>().colwise() - trace.template cast<Real>().rowwise().mean());
  const Eigen::Matrix<Real, Eigen::Dynamic, 1> means = trace.template cast<Real>().rowwise().mean();
  const Real s = static_cast<Real>(steps);
  // lag-k autocovariance of every chain (biased, divided by S), averaged over chains
  auto mean_autocovariance = [&](Index lag) {
    Real total = 0;
    for (Index i = 0; i < chains; ++i)
      total += centred.row(i).head(steps - lag).dot(centred.row(i).tail(steps - lag));
    return total / (s * static_cast<Real>(chains));
  };
  const Real within = mean_autocovariance(0) * s / (s - 1);  // W: mean of the unbiased within-chain variances
  const Real between_over_s = chains > 1 ? (means.array() - means.mean()).square().sum() / static_cast<Real>(chains - 1) : 0;
  const Real var_plus = (s - 1) / s * within + between_over_s;
  const Real total_draws = s * static_cast<Real>(chains);
  if (!(var_plus > 0)) return static_cast<T>(total_draws);
  auto rho = [&](Index lag) { return 1 - (within - mean_autocovariance(lag)) / var_plus; };

  Real tau_sum = 0;      // Σ Γ_m
  Real previous = std::numeric_limits<Real>::infinity();
  for (Index m = 0; 2 * m + 1 < steps; ++m) {
    Real pair = (m == 0 ? Real(1) : rho(2 * m)) + rho(2 * m + 1);
    if (pair <= 0) break;        // initial positive sequence
    pair = std::min(pair, previous);  // initial monotone sequence
    tau_sum += pair;
    previous = pair;
  }
  const Real tau = std::max(-1 + 2 * tau_sum, Real(1) / std::log10(total_draws));
  return static_cast<T>(total_draws / tau);
}

}  // namespace ember
