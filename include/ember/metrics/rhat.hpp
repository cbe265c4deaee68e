#pragma once
/// @file
/// @brief The potential scale reduction R̂ of several MCMC chains: split-R̂ (Gelman et al., BDA3 §11.4) and
/// the rank-normalised, folded split-R̂ of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021).
///
/// Input: an N × S trace, one row per chain (the batch layout; ember::TraceRecorder::coordinate gives one).
/// Split-R̂ cuts every chain into its first and second half (dropping the middle draw when S is odd), so that
/// M = 2N chains of n = ⌊S/2⌋ draws compare both with each other and with themselves over time. With W the
/// mean within-chain variance (divisor n − 1), B/n the variance of the M chain means (divisor M − 1) and
/// var⁺ = (n − 1)/n · W + B/n, R̂ = √(var⁺ / W). It is ≈ 1 when all chains sample the same distribution and
/// grows when they disagree — chains stuck in different modes give R̂ ≫ 1 (+∞ when each chain is constant
/// at a different value); 1.01 is the usual threshold.
/// The rank-normalised version replaces the draws by normal scores of their pooled ranks,
/// z = Φ⁻¹((r − 3/8)/(NS + 1/4)) (average ranks for ties), which makes R̂ invariant to monotone transforms and
/// robust to heavy tails; it returns the larger of the R̂ of z ("bulk") and of the normal scores of
/// |x − median| ("tail", which catches chains with equal centres but different scales).
///
/// @code
/// ember::Batch<double> trace = recorder.coordinate(0);        // chains × steps
/// double rhat = ember::rank_normalized_rhat<double>(trace);  // want < 1.01
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

namespace detail {

/// The checks every R̂ shares: ≥ 1 chain, ≥ 4 steps (two halves of ≥ 2 draws), finite entries.
template <class T>
void require_rhat_trace(BatchView<T> trace, const char* fn) {
  require(trace.rows() >= 1, fn, "trace", shape_of(trace.rows(), trace.cols()), "needs at least one chain (row)");
  require(trace.cols() >= 4, fn, "trace", shape_of(trace.rows(), trace.cols()), "needs at least 4 steps (columns)");
  require_all_finite(trace, fn, "trace");
}

/// Split-R̂ of a checked trace, in double.
inline double split_rhat_of(const Eigen::MatrixXd& trace) {
  const Index n = trace.cols() / 2;  // draws per half-chain; the middle draw of an odd S is dropped
  const Index m = 2 * trace.rows();  // half-chains
  Eigen::MatrixXd halves(m, n);
  halves.topRows(trace.rows()) = trace.leftCols(n);
  halves.bottomRows(trace.rows()) = trace.rightCols(n);
  const Eigen::VectorXd means = halves.rowwise().mean();
  const double within = (halves.colwise() - means).rowwise().squaredNorm().sum() /
                        (static_cast<double>(m) * static_cast<double>(n - 1));
  const double between_over_n = (means.array() - means.mean()).square().sum() / static_cast<double>(m - 1);
  const double var_plus = static_cast<double>(n - 1) / static_cast<double>(n) * within + between_over_n;
  if (within > 0) return std::sqrt(var_plus / within);
  return between_over_n > 0 ? std::numeric_limits<double>::infinity() : 1.0;  // constant chains: agree or not
}

/// Φ⁻¹(p) for p ∈ (0, 1): Acklam's rational approximation (relative error < 1.2·10⁻⁹), then one Halley step
/// on Φ computed with erfc, which brings it to about double precision.
inline double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  const double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * 3.14159265358979323846) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

/// Normal scores of the pooled ranks of every entry (average ranks for ties), same shape as `values`.
inline Eigen::MatrixXd normal_scores(const Eigen::MatrixXd& values) {
  const Index total = values.size();
  std::vector<Index> order(static_cast<std::size_t>(total));
  std::iota(order.begin(), order.end(), Index{0});
  const double* v = values.data();
  std::sort(order.begin(), order.end(), [&](Index i, Index j) { return v[i] < v[j]; });
  Eigen::MatrixXd scores(values.rows(), values.cols());
  for (Index first = 0; first < total;) {
    Index last = first;  // [first, last] hold tied values
    while (last + 1 < total && v[order[static_cast<std::size_t>(last + 1)]] == v[order[static_cast<std::size_t>(first)]]) ++last;
    const double rank = 0.5 * static_cast<double>(first + last) + 1;  // 1-based average rank
    const double z = normal_quantile((rank - 0.375) / (static_cast<double>(total) + 0.25));
    for (Index k = first; k <= last; ++k) scores.data()[order[static_cast<std::size_t>(k)]] = z;
    first = last + 1;
  }
  return scores;
}

}  // namespace detail

/// @brief Split-R̂ (BDA3) of an N × S trace (row = chain, column = step).
/// @pre N ≥ 1, S ≥ 4, all entries finite. @throws ember::invalid_argument.
/// @return R̂ ≥ 0 (≈ 1 for agreeing chains; +∞ for constant chains at different values; 1 for one constant).
template <Scalar T>
T split_rhat(BatchView<T> trace) {
  detail::require_rhat_trace<T>(trace, "ember::split_rhat");
  return static_cast<T>(detail::split_rhat_of(trace.template cast<double>()));
}

/// @brief Rank-normalised folded split-R̂ (Vehtari et al. 2021): max of the bulk and tail R̂.
/// @pre N ≥ 1, S ≥ 4, all entries finite. @throws ember::invalid_argument.
template <Scalar T>
T rank_normalized_rhat(BatchView<T> trace) {
  detail::require_rhat_trace<T>(trace, "ember::rank_normalized_rhat");
  const Eigen::MatrixXd x = trace.template cast<double>();
  const double bulk = detail::split_rhat_of(detail::normal_scores(x));
  std::vector<double> sorted(x.data(), x.data() + x.size());
  const auto half = sorted.size() / 2;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(half), sorted.end());
  double median = sorted[half];
  if (sorted.size() % 2 == 0) median = 0.5 * (median + *std::max_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(half)));
  const double tail = detail::split_rhat_of(detail::normal_scores((x.array() - median).abs().matrix()));
  return static_cast<T>(std::max(bulk, tail));
}

}  // namespace ember
