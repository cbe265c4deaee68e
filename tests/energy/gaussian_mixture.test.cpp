#include "ember/energy/gaussian_mixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "ember/simd/random.hpp"
#include "support/finite_difference.hpp"
#include "support/statistics.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::GaussianMixtureEnergy;
using ember::Index;
using ember::Vector;
using Matrix = Eigen::MatrixXd;

namespace {

GaussianMixtureEnergy<double> uneven_3d() {
  Vector<double> weights(3);
  weights << 1.0, 2.0, 0.5;
  Matrix means(3, 3);
  means << 0.0, 1.0, -1.0,  //
      2.0, 0.5, 0.0,        //
      -1.0, -1.0, 1.5;
  Vector<double> std_devs(3);
  std_devs << 0.7, 1.2, 0.4;
  return GaussianMixtureEnergy<double>(weights, means, std_devs);
}

// ∫ exp(log_density) over the square [−r, r]² by the midpoint rule with `cells` cells per side.
template <class T>
double grid_mass(const GaussianMixtureEnergy<T>& target, double r, Index cells) {
  const double h = 2 * r / static_cast<double>(cells);
  Batch<T> x(cells, 2);
  Vector<T> log_p(cells);
  double mass = 0;
  for (Index i = 0; i < cells; ++i) {
    for (Index j = 0; j < cells; ++j) {
      x(j, 0) = static_cast<T>(-r + h * (static_cast<double>(i) + 0.5));
      x(j, 1) = static_cast<T>(-r + h * (static_cast<double>(j) + 0.5));
    }
    target.log_density(x, log_p);
    mass += log_p.template cast<double>().array().exp().sum();
  }
  return mass * h * h;
}

}  // namespace

TEST_CASE("GaussianMixtureEnergy: E is the exact negative log-density", "[gaussian_mixture]") {
  const auto target = uneven_3d();
  CHECK(target.weights().sum() == Approx(1.0).epsilon(1e-15));
  ember::test::Uniform uniform(1);
  const Batch<double> x = 2.0 * uniform.next<Batch<double>>(5, 3);
  Vector<double> e(5);
  target.energy(x, e);
  for (Index i = 0; i < 5; ++i) {
    double p = 0;
    for (Index k = 0; k < 3; ++k) {
      const double s2 = target.std_devs()(k) * target.std_devs()(k);
      const double r2 = (x.row(i) - target.means().row(k)).squaredNorm();
      p += target.weights()(k) * std::exp(-r2 / (2 * s2)) / std::pow(2 * std::numbers::pi * s2, 1.5);
    }
    CHECK(e(i) == Approx(-std::log(p)).epsilon(1e-13));
  }
  // Far from every component the direct formula underflows; log-sum-exp does not.
  const auto eight = GaussianMixtureEnergy<float>::eight_gaussians();
  Batch<float> far(1, 2);
  far << 40.0f, 0.0f;
  Vector<float> e_far(1);
  eight.energy(far, e_far);
  // Only the nearest component (μ = (2, 0), weight 1/8) matters out there.
  const double expected = (38.0 * 38.0) / (2 * 0.04) + std::log(2 * std::numbers::pi * 0.04) + std::log(8.0);
  CHECK(std::isfinite(e_far(0)));
  CHECK(e_far(0) == Approx(expected).epsilon(1e-5));
}

TEST_CASE("GaussianMixtureEnergy: the x-gradient matches central finite differences", "[gaussian_mixture][gradient]") {
  ember::test::Uniform uniform(2);
  ember::test::check_x_gradient(uneven_3d(), 2.0 * uniform.next<Batch<double>>(9, 3).eval());
  ember::test::check_x_gradient(GaussianMixtureEnergy<double>::eight_gaussians(), 2.5 * uniform.next<Batch<double>>(9, 2).eval());
  ember::test::check_x_gradient(GaussianMixtureEnergy<double>::twenty_five_gaussians(),
                                2.5 * uniform.next<Batch<double>>(9, 2).eval());
}

TEMPLATE_TEST_CASE("GaussianMixtureEnergy: the toy densities integrate to 1 on a grid", "[gaussian_mixture]", float,
                   double) {
  using T = TestType;
  // The midpoint rule on a Gaussian of std σ with cell h errs by ~exp(−2π²σ²/h²) (h = σ/4: 1e-137); the
  // mass beyond the square is below e^{−40}. What is left is rounding: ~ε(T) per summed density.
  const double tol = 1e-10 + 100 * std::numeric_limits<T>::epsilon();
  CHECK(std::abs(grid_mass(GaussianMixtureEnergy<T>::eight_gaussians(), 4.0, 160) - 1.0) < tol);
  CHECK(std::abs(grid_mass(GaussianMixtureEnergy<T>::twenty_five_gaussians(), 3.0, 240) - 1.0) < tol);
}

TEMPLATE_TEST_CASE("GaussianMixtureEnergy: samples match the mixture's moments and weights", "[gaussian_mixture]",
                   float, double) {
  using T = TestType;
  const auto target = GaussianMixtureEnergy<T>::eight_gaussians();
  const Index n = 200000;
  Batch<T> x(n, 2);
  ember::Philox rng(17);
  target.sample(x, rng);
  const Batch<double> xd = x.template cast<double>();
  const Vector<double> mean = target.mean().template cast<double>();
  const Matrix cov = target.covariance().template cast<double>();
  const Vector<double> sample_mean = xd.colwise().mean().transpose();
  const Batch<double> centred = xd.rowwise() - sample_mean.transpose();
  for (Index j = 0; j < 2; ++j) {
    INFO("coordinate " << j);
    CHECK(std::abs(sample_mean(j) - mean(j)) < ember::test::z_bound * std::sqrt(cov(j, j) / static_cast<double>(n)));
    for (Index k = 0; k < 2; ++k) {
      // Standard error of a sample (co)variance: sd of the products of centred coordinates over √n.
      const Vector<double> products = centred.col(j).cwiseProduct(centred.col(k));
      const double sample_cov = products.mean();
      const double se = std::sqrt((products.array() - sample_cov).square().mean() / static_cast<double>(n));
      CHECK(std::abs(sample_cov - cov(j, k)) < ember::test::z_bound * se);
    }
  }
  // Each component receives a Binomial(n, 1/8) share. Label by the nearest mean: neighbours sit 3.8σ
  // from the midpoint, and by the symmetry of the eight components the few mislabelled points flow in
  // and out of each component equally, so the expected count stays n/8.
  const Matrix means = target.means().template cast<double>();
  std::vector<Index> counts(8, 0);
  for (Index i = 0; i < n; ++i) {
    Index nearest;
    (means.rowwise() - xd.row(i)).rowwise().squaredNorm().minCoeff(&nearest);
    ++counts[static_cast<std::size_t>(nearest)];
  }
  const double p = 1.0 / 8, nd = static_cast<double>(n);
  for (Index k = 0; k < 8; ++k)
    CHECK(std::abs(static_cast<double>(counts[static_cast<std::size_t>(k)]) - nd * p) <
          ember::test::z_bound * std::sqrt(nd * p * (1 - p)));
  // Row i depends only on (seed, draw, i): a smaller batch from the same seed is a prefix.
  Batch<T> few(10, 2);
  ember::Philox again(17);
  target.sample(few, again);
  CHECK(few == x.topRows(10));
}

TEST_CASE("GaussianMixtureEnergy: float agrees with double within epsilon-derived bounds", "[gaussian_mixture]") {
  const auto ed = GaussianMixtureEnergy<double>::twenty_five_gaussians();
  const auto ef = GaussianMixtureEnergy<float>::twenty_five_gaussians();
  ember::test::Uniform uniform(3);
  const Batch<double> x = 2.5 * uniform.next<Batch<double>>(50, 2);
  Vector<double> e(50);
  Batch<double> g(50, 2);
  Vector<float> e_f(50);
  Batch<float> g_f(50, 2);
  ed.energy_and_gradient(x, e, g);
  ef.energy_and_gradient(x.cast<float>(), e_f, g_f);
  // Energies reach ‖x − μ‖²/(2σ²) ≈ 12: a few ulps of that; the gradient (x − μ)/σ² ≈ 50 likewise, with
  // responsibilities that move by ~(ΔE) when the energies do: 32 ulps of the largest entry.
  const double eps = std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < 32 * eps);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < 32 * eps * (1 + e.cwiseAbs().maxCoeff()));
}

TEST_CASE("GaussianMixtureEnergy: bad arguments name the function, the argument and the value",
          "[gaussian_mixture][errors]") {
  using Catch::Matchers::Contains;
  const Matrix means = Matrix::Zero(2, 2);
  CHECK_THROWS_WITH(GaussianMixtureEnergy<double>(Vector<double>::Ones(2), means, Vector<double>(Vector<double>::Constant(2, -0.1))),
                    Contains("ember::GaussianMixtureEnergy::GaussianMixtureEnergy") && Contains("std_devs(0) = -0.1"));
  Vector<double> w = Vector<double>::Ones(2);
  w(1) = 0;
  CHECK_THROWS_WITH(GaussianMixtureEnergy<double>(w, means, Vector<double>::Ones(2)), Contains("weights(1) = 0"));
  CHECK_THROWS_WITH(GaussianMixtureEnergy<double>(Vector<double>::Ones(3), means, Vector<double>::Ones(3)),
                    Contains("means = 2 x 2") && Contains("expected 3 x 2"));
  const auto target = GaussianMixtureEnergy<double>::eight_gaussians();
  Batch<double> wrong(5, 3);
  ember::Philox rng(1);
  CHECK_THROWS_WITH(target.sample(wrong, rng), Contains("ember::GaussianMixtureEnergy::sample") && Contains("out = 5 x 3"));
  Vector<double> e(5);
  CHECK_THROWS_WITH(target.energy(Batch<double>::Zero(5, 3), e), Contains("x = 5 x 3"));
}
