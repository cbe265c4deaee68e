#pragma once
// A 1D two-component Gaussian mixture energy E(x) = −log Σₖ wₖ N(x; μₖ, sₖ²) for sampler tests, with its
// exact CDF and moments (energy/gaussian_mixture.hpp is not part of the mcmc tests' dependencies).

#include <cmath>
#include <numbers>

#include "ember/core/batch.hpp"
#include "support/statistics.hpp"

namespace ember::test {

template <class T>
struct Mixture1d {
  using scalar_type = T;
  double w0 = 0.3, mu0 = -1.0, s0 = 0.6, mu1 = 1.0, s1 = 0.6;

  [[nodiscard]] Index dim() const { return 1; }
  [[nodiscard]] double density(double x, double& slope) const {
    const double z0 = (x - mu0) / s0, z1 = (x - mu1) / s1;
    const double p0 = w0 * std::exp(-0.5 * z0 * z0) / s0, p1 = (1 - w0) * std::exp(-0.5 * z1 * z1) / s1;
    slope = -(p0 * z0 / s0 + p1 * z1 / s1);
    return (p0 + p1) / std::sqrt(2 * std::numbers::pi);
  }
  void energy(BatchView<T> x, VectorRef<T> e) const {
    double slope;
    for (Index i = 0; i < x.rows(); ++i) e(i) = static_cast<T>(-std::log(density(x(i, 0), slope)));
  }
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    for (Index i = 0; i < x.rows(); ++i) {
      double slope;
      const double p = density(x(i, 0), slope);
      e(i) = static_cast<T>(-std::log(p));
      g(i, 0) = static_cast<T>(-slope / (p * std::sqrt(2 * std::numbers::pi)));
    }
  }
  [[nodiscard]] double cdf(double x) const {
    return w0 * normal_cdf((x - mu0) / s0) + (1 - w0) * normal_cdf((x - mu1) / s1);
  }
  [[nodiscard]] double mean() const { return w0 * mu0 + (1 - w0) * mu1; }
  [[nodiscard]] double second_moment() const { return w0 * (s0 * s0 + mu0 * mu0) + (1 - w0) * (s1 * s1 + mu1 * mu1); }
};

}  // namespace ember::test
