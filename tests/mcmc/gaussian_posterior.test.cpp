#include "ember/mcmc/gaussian_posterior.hpp"

#include <Eigen/LU>
#include <catch2/catch.hpp>

#include "ember/simd/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using Matrix = Eigen::MatrixXd;

// Draws must have the closed-form posterior mean Q⁻¹(Pμ + (a/s²)y) and covariance Q⁻¹, Q = P + (a²/s²)I.
TEST_CASE("GaussianPosterior draws the exact tethered posterior", "[gaussian_posterior]") {
  const Matrix precision = (Matrix(2, 2) << 2.0, 0.6, 0.6, 1.0).finished();
  const Vector<double> mu = (Vector<double>(2) << 0.5, -1.0).finished();
  const auto energy = ember::GaussianEnergy<double>::from_mean_precision(mu, precision);
  const Index n = 40000;
  // Two groups of points with different (y, a, s): rows < n/2 and rows ≥ n/2.
  Batch<double> y(n, 2);
  Vector<double> a(n), s(n);
  const Vector<double> y0 = (Vector<double>(2) << 1.0, 2.0).finished(), y1 = (Vector<double>(2) << -0.5, 0.0).finished();
  for (Index i = 0; i < n; ++i) {
    const bool first = i < n / 2;
    y.row(i) = (first ? y0 : y1).transpose();
    a(i) = first ? 0.9 : 1.0;
    s(i) = first ? 0.5 : 2.0;
  }
  const ember::Tether tethered(energy, y, a, s);
  ember::GaussianPosterior<double> exact;
  ember::Philox rng(3);
  Batch<double> x = Batch<double>::Zero(n, 2);
  exact.step(tethered, x, rng);
  for (int group = 0; group < 2; ++group) {
    const double ag = group == 0 ? 0.9 : 1.0, sg = group == 0 ? 0.5 : 2.0;
    const Vector<double>& yg = group == 0 ? y0 : y1;
    const Matrix q = precision + (ag * ag / (sg * sg)) * Matrix::Identity(2, 2);
    const Matrix cov = q.inverse();
    const Vector<double> mean = cov * (precision * mu + (ag / (sg * sg)) * yg);
    const Batch<double> xs = x.middleRows(group * n / 2, n / 2);
    const Vector<double> sample_mean = xs.colwise().mean().transpose();
    const Batch<double> centred = xs.rowwise() - sample_mean.transpose();
    const Matrix sample_cov = centred.transpose() * centred / static_cast<double>(n / 2 - 1);
    for (Index j = 0; j < 2; ++j) {
      INFO("group " << group << " coordinate " << j);
      CHECK(std::abs(sample_mean(j) - mean(j)) < ember::test::z_bound * std::sqrt(cov(j, j) / (n / 2)));
      CHECK(std::abs(sample_cov(j, j) - cov(j, j)) <
            ember::test::z_bound * ember::test::variance_standard_error(cov(j, j), n / 2));
    }
  }
}

TEST_CASE("GaussianPosterior on the plain energy draws N(mu, P^-1)", "[gaussian_posterior]") {
  const auto energy = ember::GaussianEnergy<float>::from_mean_precision(Vector<float>::Constant(3, 2.0f),
                                                                        Eigen::MatrixXf::Identity(3, 3) * 4.0f);
  ember::GaussianPosterior<float> exact;
  ember::Philox rng(8);
  Batch<float> x = Batch<float>::Zero(20000, 3);
  exact.run(energy, x, rng, 2);
  const auto n = static_cast<std::size_t>(x.size());
  const double mean = x.cast<double>().mean();
  const double variance = (x.cast<double>().array() - 2.0).square().mean();
  CHECK(std::abs(mean - 2.0) < ember::test::z_bound * std::sqrt(0.25 / static_cast<double>(n)));
  CHECK(std::abs(variance - 0.25) < ember::test::z_bound * ember::test::variance_standard_error(0.25, n));
}
