#pragma once
/// @file
/// @brief The radial Gaussian: a circle of radius r blurred by N(0, σ²I), whose exact log-density the 2D data
/// sets (toy2d.hpp, stress2d.hpp) share. Internal.
///
/// p(x) = exp(−(‖x‖² + r²)/(2σ²)) I₀(‖x‖ r/σ²) / (2πσ²), computed as
/// log p = −log 2πσ² − (‖x‖ − r)²/(2σ²) + log I₀ₑ(‖x‖ r/σ²) with the exponentially scaled Bessel function I₀ₑ.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>

namespace ember::detail {

/// log I₀ₑ(z) = log(I₀(z) e^{−z}) for z ≥ 0, to double precision: power series below 30, the asymptotic
/// (Hankel) series above, where its smallest term is below e^{−60}.
inline double log_bessel_i0e(double z) {
  if (z < 30) {
    const double q = 0.25 * z * z;
    double term = 1, sum = 1;
    for (int k = 1; k < 200 && term > 1e-17 * sum; ++k) {
      term *= q / (static_cast<double>(k) * static_cast<double>(k));
      sum += term;
    }
    return std::log(sum) - z;
  }
  double term = 1, sum = 1;
  for (int k = 1; k < 60; ++k) {
    const double next = term * (2.0 * k - 1) * (2.0 * k - 1) / (8.0 * k * z);
    if (next > term || next < 1e-17 * sum) break;
    term = next;
    sum += term;
  }
  return std::log(sum) - 0.5 * std::log(2 * std::numbers::pi * z);
}

/// log of an equal-weight mixture of circles of radii `radii` blurred by N(0, σ²I), at radius ρ.
template <std::size_t K>
double log_radial_mixture(double rho, const std::array<double, K>& radii, double sigma) {
  std::array<double, K> parts{};
  double top = -std::numeric_limits<double>::infinity();
  const double s2 = sigma * sigma;
  for (std::size_t k = 0; k < K; ++k) {
    const double r = radii[k];
    parts[k] = -std::log(2 * std::numbers::pi * s2) - (rho - r) * (rho - r) / (2 * s2) + log_bessel_i0e(rho * r / s2);
    top = std::max(top, parts[k]);
  }
  double sum = 0;
  for (double p : parts) sum += std::exp(p - top);
  return top + std::log(sum / static_cast<double>(K));
}

}  // namespace ember::detail
