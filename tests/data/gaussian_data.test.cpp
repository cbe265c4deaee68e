#include "ember/data/gaussian_data.hpp"

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::GaussianData;
using ember::Index;

TEST_CASE("GaussianData: the condition number and the spectrum are exact", "[gaussian_data]") {
  for (Index d : {2, 16, 64}) {
    const auto data = GaussianData<double>::with_condition_number(d, 100.0, 11);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(data.covariance());
    const auto lambda = eig.eigenvalues();
    CHECK(lambda.maxCoeff() / lambda.minCoeff() == Approx(100.0).epsilon(1e-9));
    CHECK(data.log_det_covariance() == Approx(0.0).margin(1e-9));  // geometric mean 1
    const Eigen::MatrixXd q = GaussianData<double>::random_rotation(d, 5);
    CHECK(ember::test::relative_error(q.transpose() * q, Eigen::MatrixXd::Identity(d, d)) < 1e-12);
  }
  CHECK_THROWS_AS(GaussianData<double>::with_condition_number(1, 10.0, 1), ember::invalid_argument);
  CHECK_THROWS_WITH(GaussianData<double>::with_condition_number(4, 0.5, 1),
                    Catch::Matchers::Contains("condition = 0.5"));
}

TEMPLATE_TEST_CASE("GaussianData: sample moments match the exact mean and covariance", "[gaussian_data]", float,
                   double) {
  const auto data = GaussianData<TestType>::random(3, 7);
  ember::Philox rng(99);
  const Index n = 40000;
  const Batch<TestType> x = data.sample(n, rng);
  const Eigen::MatrixXd xd = x.template cast<double>();
  const Eigen::RowVectorXd mean = xd.colwise().mean();
  const Eigen::MatrixXd centred = xd.rowwise() - mean;
  const Eigen::MatrixXd cov = centred.transpose() * centred / static_cast<double>(n - 1);
  const Eigen::MatrixXd sigma = data.covariance().template cast<double>();
  for (Index i = 0; i < 3; ++i) {
    // Mean: standard error √(Σᵢᵢ/n). Covariance entry: √((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/n).
    CHECK(std::abs(mean(i) - data.mean()(i)) < ember::test::z_bound * std::sqrt(sigma(i, i) / n));
    for (Index j = 0; j < 3; ++j)
      CHECK(std::abs(cov(i, j) - sigma(i, j)) <
            ember::test::z_bound * std::sqrt((sigma(i, i) * sigma(j, j) + sigma(i, j) * sigma(i, j)) / n));
  }
}

TEST_CASE("GaussianData: log_density is the normal log-density; from_samples recovers the moments", "[gaussian_data]") {
  Eigen::VectorXd mean(2);
  mean << 1.0, -1.0;
  Eigen::MatrixXd cov(2, 2);
  cov << 2.0, 0.5, 0.5, 1.0;
  const auto data = GaussianData<double>::from_mean_covariance(mean, cov);
  Batch<double> x(2, 2);
  x << 0.3, 0.7, -1.0, 2.0;
  ember::Vector<double> lp(2);
  data.log_density(x, lp);
  for (Index i = 0; i < 2; ++i) {
    const Eigen::VectorXd r = x.row(i).transpose() - mean;
    const double expected = -0.5 * r.dot(cov.inverse() * r) - std::log(2 * M_PI) - 0.5 * std::log(cov.determinant());
    CHECK(lp(i) == Approx(expected).epsilon(1e-12));
  }
  // The exact data energy is the same density up to its exact log Z.
  const auto energy = data.energy();
  ember::Vector<double> e(2);
  energy.energy(x, e);
  CHECK(ember::test::relative_error(-(e.array() + energy.log_partition()).matrix(), lp) < 1e-12);
  // from_samples is the sample mean and the unbiased sample covariance.
  Batch<double> y(3, 2);
  y << 0.0, 0.0, 2.0, 0.0, 1.0, 3.0;
  const auto estimated = GaussianData<double>::from_samples(y);
  CHECK(estimated.mean()(0) == Approx(1.0));
  CHECK(estimated.mean()(1) == Approx(1.0));
  CHECK(estimated.covariance()(0, 0) == Approx(1.0));
  CHECK(estimated.covariance()(1, 1) == Approx(3.0));
  CHECK(estimated.covariance()(0, 1) == Approx(0.0).margin(1e-15));
  CHECK_THROWS_WITH(GaussianData<double>::from_samples(x), Catch::Matchers::Contains("more points than dimensions"));
}
