#pragma once
// Statistical oracles for sampler tests: KS against a known CDF, and moment bounds from the
// Monte-Carlo standard error. Fixed seeds make each test deterministic; the bounds are what a correct
// sampler passes with overwhelming probability (never tuned to the observed numbers).

#include <algorithm>
#include <cmath>
#include <vector>

namespace ember::test {

inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Kolmogorov–Smirnov statistic sup |F_n − F| of `samples` against `cdf`.
template <class Cdf>
double ks_statistic(std::vector<double> samples, Cdf cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}

// Critical value of the one-sample KS statistic at level alpha (asymptotic: sqrt(−ln(α/2)/2)/√n).
inline double ks_critical(std::size_t n, double alpha = 1e-3) {
  return std::sqrt(-std::log(alpha / 2) / 2) / std::sqrt(static_cast<double>(n));
}

// Number of standard errors allowed in a moment test: 4.5σ is a 1-in-150000 false alarm per check.
inline constexpr double z_bound = 4.5;

// Standard error of a sample variance of n independent N(·, σ²) draws: σ²·√(2/(n−1)).
inline double variance_standard_error(double variance, std::size_t n) {
  return variance * std::sqrt(2.0 / static_cast<double>(n - 1));
}

}  // namespace ember::test
