#pragma once
// Shared exactness checks for MH samplers (MALA, HMC): independent chains, one sample per chain, so the
// Monte-Carlo standard errors are those of i.i.d. draws (no autocorrelation correction needed).

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ember/core/batch.hpp"
#include "support/statistics.hpp"

namespace ember::test {

// Mean and covariance of the rows of x, each within z_bound standard errors of the exact values.
inline void check_moments(const Batch<double>& x, const Vector<double>& mean,
                          const Eigen::MatrixXd& covariance) {
  const auto n = static_cast<double>(x.rows());
  const Vector<double> m = x.colwise().mean().transpose();
  const Batch<double> c = x.rowwise() - m.transpose();
  const Eigen::MatrixXd s = c.transpose() * c / (n - 1);
  for (Index j = 0; j < x.cols(); ++j) {
    INFO("coordinate " << j);
    CHECK(std::abs(m(j) - mean(j)) < z_bound * std::sqrt(covariance(j, j) / n));
    for (Index k = 0; k <= j; ++k) {
      INFO("covariance entry (" << j << ", " << k << ")");
      // Var of a sample covariance of Gaussian data: (Σ_jj Σ_kk + Σ_jk²)/(n − 1)
      const double se = std::sqrt((covariance(j, j) * covariance(k, k) + covariance(j, k) * covariance(j, k)) / (n - 1));
      CHECK(std::abs(s(j, k) - covariance(j, k)) < z_bound * se);
    }
  }
}

template <class Cdf>
void check_ks(const Batch<double>& x, Cdf cdf) {
  std::vector<double> samples(x.col(0).data(), x.col(0).data() + x.rows());
  const double d = ks_statistic(samples, cdf);
  INFO("KS statistic " << d << ", critical value " << ks_critical(samples.size()));
  CHECK(d < ks_critical(samples.size()));
}

}  // namespace ember::test
