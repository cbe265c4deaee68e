#include "ember/energy/gaussian.hpp"

#include <Eigen/LU>
#include <catch2/catch.hpp>

#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::GaussianEnergy;
using ember::Vector;
using Matrix = Eigen::MatrixXd;

namespace {
Matrix random_spd(Eigen::Index d, unsigned seed) {
  ember::test::Uniform uniform(seed);
  const Matrix a = uniform.next<Matrix>(d, d);
  return a * a.transpose() + 0.5 * Matrix::Identity(d, d);
}
}  // namespace

TEST_CASE("GaussianEnergy: value is the quadratic form, log Z the Gaussian normaliser", "[gaussian]") {
  const Vector<double> mean = Vector<double>::LinSpaced(3, -1.0, 2.0);
  const Matrix precision = random_spd(3, 1);
  const auto energy = GaussianEnergy<double>::from_mean_precision(mean, precision);
  CHECK(ember::test::relative_error(energy.precision(), precision) < 1e-12);
  CHECK(ember::test::relative_error(energy.covariance(), Matrix(precision.inverse())) < 1e-12);
  ember::test::Uniform uniform(2);
  const Batch<double> x = uniform.next<Batch<double>>(5, 3);
  Vector<double> e(5);
  energy.energy(x, e);
  for (Eigen::Index i = 0; i < 5; ++i) {
    const Vector<double> r = x.row(i).transpose() - mean;
    CHECK(e(i) == Approx(0.5 * r.dot(precision * r)).epsilon(1e-12));
  }
  const double expected = 1.5 * std::log(2 * M_PI) - 0.5 * std::log(precision.determinant());
  CHECK(energy.log_partition() == Approx(expected).epsilon(1e-12));
}

TEST_CASE("GaussianEnergy: every gradient matches central finite differences", "[gaussian][gradient]") {
  for (Eigen::Index d : {1, 2, 5}) {
    INFO("dim " << d);
    ember::test::Uniform uniform(static_cast<unsigned>(10 + d));
    const Vector<double> mean = uniform.next<Vector<double>>(d);
    auto energy = GaussianEnergy<double>::from_mean_precision(mean, random_spd(d, static_cast<unsigned>(d)));
    const Batch<double> x = 2.0 * uniform.next<Batch<double>>(7, d);
    ember::test::check_all_gradients(energy, x, 3);
  }
}

TEST_CASE("GaussianEnergy: float agrees with double within epsilon-derived bounds", "[gaussian]") {
  const auto ed = GaussianEnergy<double>::from_mean_precision(Vector<double>::Constant(4, 0.3), random_spd(4, 9));
  auto ef = GaussianEnergy<float>::standard(4);
  ef.params() = ed.params().cast<float>();
  ember::test::Uniform uniform(4);
  const Batch<double> x = uniform.next<Batch<double>>(16, 4);
  Vector<double> e(16);
  Vector<float> e_f(16);
  Batch<double> g(16, 4);
  Batch<float> g_f(16, 4);
  ed.energy_and_gradient(x, e, g);
  ef.energy_and_gradient(x.cast<float>(), e_f, g_f);
  // Each output is a sum of O(d²) products of O(1) terms: allow 4·d² ulps of float.
  const double tol = 4 * 16 * std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < tol);
}

TEST_CASE("GaussianEnergy: bad arguments name the function, the argument and the value", "[gaussian][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_AS(GaussianEnergy<double>::standard(0), ember::invalid_argument);
  CHECK_THROWS_WITH(GaussianEnergy<double>::standard(0), Contains("ember::GaussianEnergy::standard") && Contains("dim = 0"));
  Matrix not_pd = Matrix::Identity(2, 2);
  not_pd(1, 1) = -1;
  CHECK_THROWS_WITH(GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(2), not_pd),
                    Contains("precision") && Contains("positive definite"));
  Matrix nan = Matrix::Identity(2, 2);
  nan(0, 1) = std::nan("");
  CHECK_THROWS_WITH(GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(2), nan),
                    Contains("precision(0, 1) = nan"));
  const auto energy = GaussianEnergy<double>::standard(2);
  Batch<double> x3(4, 3);
  x3.setZero();
  Vector<double> e(4);
  CHECK_THROWS_WITH(energy.energy(x3, e), Contains("ember::GaussianEnergy::energy") && Contains("x = 4 x 3") &&
                                              Contains("expected 4 x 2"));
  Batch<double> empty(0, 2);
  Vector<double> e0(0);
  CHECK_THROWS_WITH(energy.energy(empty, e0), Contains("empty"));
  Batch<double> x(4, 2);
  x.setZero();
  Vector<double> e5(5);
  CHECK_THROWS_AS(energy.energy(x, e5), ember::invalid_argument);
}

TEST_CASE("GaussianEnergy: an asymmetric or indefinite covariance/precision is refused, naming the entry",
          "[gaussian][errors][bad input]") {
  using Catch::Matchers::Message;
  const Vector<double> mean = Vector<double>::Zero(2);
  // The case: LLT reads only the lower triangle and would take this as diag(2, 2).
  Matrix asymmetric(2, 2);
  asymmetric << 2, 1, 0, 2;
  CHECK_THROWS_MATCHES(GaussianEnergy<double>::from_mean_covariance(mean, asymmetric), ember::invalid_argument,
                       Message("ember::GaussianEnergy::from_mean_covariance: covariance(0, 1) = 1: must equal "
                               "covariance(1, 0) = 0 (the matrix must be symmetric, to 1000 epsilon of its largest "
                               "magnitude)"));
  CHECK_THROWS_WITH(GaussianEnergy<float>::from_mean_precision(mean.cast<float>(), asymmetric.cast<float>()),
                    Catch::Matchers::Contains("precision(0, 1) = 1: must equal precision(1, 0) = 0"));
  // Symmetric but indefinite: eigenvalues 3 and −1; the second Cholesky pivot is 1 − 4 = −3.
  Matrix indefinite(2, 2);
  indefinite << 1, 2, 2, 1;
  CHECK_THROWS_MATCHES(GaussianEnergy<double>::from_mean_covariance(mean, indefinite), ember::invalid_argument,
                       Message("ember::GaussianEnergy::from_mean_covariance: covariance(1, 1) = 1: the matrix is not "
                               "positive definite (the Cholesky pivot of row 1 is -3, not > 0)"));
  Matrix nan = Matrix::Identity(2, 2);
  nan(1, 0) = std::nan("");
  CHECK_THROWS_WITH(GaussianEnergy<double>::from_mean_covariance(mean, nan), Catch::Matchers::Contains("covariance(1, 0) = nan"));
  // Rounding-level asymmetry (a computed covariance) is accepted, and the result is the symmetrised one.
  Matrix rounded(2, 2);
  rounded << 2, 0.5 * (1 + 1e-15), 0.5, 1;
  CHECK_NOTHROW(GaussianEnergy<double>::from_mean_covariance(mean, rounded));
  CHECK_THROWS_MATCHES(GaussianEnergy<float>::standard(ember::Index{1} << 20), ember::invalid_argument,
                       Message("ember::GaussianEnergy::standard: dim = 1048576: the precision matrix would take "
                               "4398046511104 bytes, more than ember::max_allocation_bytes = 17179869184"));
}
