#include "ember/divergence/cd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/difference_jump.hpp"
#include "ember/mcmc/gaussian_posterior.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/train/ema.hpp"
#include "ember/train/sgd.hpp"
#include "ember/train/trainer.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// ∇θ E_{N(m,S)}[E_θ] − ∇θ E_{N(mΠ,SΠ)}[E_θ] with Π p_d the law after one textbook ULA step from p_d = N(m, C):
// mean m − (ε/2)P(m − μ), covariance A C Aᵀ + εI, A = I − (ε/2)P (held fixed while differentiating).
Vector<double> cd1_gradient(const ember::GaussianEnergy<double>& model, const Vector<double>& m, const Matrix& c,
                            double eps) {
  const Matrix p = model.precision();
  const Matrix a = Matrix::Identity(m.size(), m.size()) - 0.5 * eps * p;
  const Vector<double> m1 = m - 0.5 * eps * p * (m - model.mean());
  const Matrix c1 = a * c * a.transpose() + eps * Matrix::Identity(m.size(), m.size());
  return fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) {
    return expected_energy(e, m, c) - expected_energy(e, m1, c1);
  });
}
// CD-1 with ULA of step ε on 1-d data N(0, 1) is stationary where the ULA chain's variance 1/(p(1 − εp/4))
// equals the data variance: p* = 2(1 − √(1 − ε))/ε ≠ 1, the bias of CD with an unadjusted kernel.
double cd1_fixed_point_precision(double eps) { return 2 * (1 - std::sqrt(1 - eps)) / eps; }
}  // namespace

TEST_CASE("CD-1 with ULA: mean gradient = E_pd grad E - E_{Pi pd} grad E (closed form)", "[cd][oracle]") {
  const Index d = 2;
  const Vector<double> m = (Vector<double>(d) << 1.0, -0.5).finished();
  const Matrix c = random_spd(d, 31);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << 0.0, 0.4).finished(),
                                                                        random_spd(d, 32, 0.7));
  const double eps = 0.3;
  ember::ContrastiveDivergence cd(ember::Langevin<double>({.step_size = eps}), {.steps = 1});
  ember::Philox rng(8);
  std::vector<Vector<double>> gradients;
  for (int b = 0; b < 400; ++b) {
    const Batch<double> data = sample_gaussian(m, c, 256, rng);
    gradients.push_back(cd.estimate(model, data, rng).gradient);
  }
  check_within_error(mean_and_error(gradients), cd1_gradient(model, m, c, eps));
}

TEST_CASE("CD-k with an exact kernel is the maximum-likelihood gradient", "[cd][oracle]") {
  const Index d = 2;
  const Vector<double> m = (Vector<double>(d) << -0.3, 0.8).finished();
  const Matrix c = random_spd(d, 41);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(d), random_spd(d, 42));
  ember::ContrastiveDivergence cd(ember::GaussianPosterior<double>{}, {.steps = 2});
  ember::Philox rng(4);
  std::vector<Vector<double>> gradients;
  for (int b = 0; b < 300; ++b) gradients.push_back(cd.estimate(model, sample_gaussian(m, c, 256, rng), rng).gradient);
  const Vector<double> exact =
      fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) { return kl(m, c, e.mean(), e.covariance()); });
  check_within_error(mean_and_error(gradients), exact);
}

TEST_CASE("CD-1 with ULA is biased: it fits p* = 2(1 - sqrt(1 - eps))/eps, not the data's precision 1",
          "[cd][bias]") {
  const double eps = 0.5, p_star = cd1_fixed_point_precision(eps);  // 1.1716: the learned variance is 0.854
  auto at_precision = [](double p) {
    return ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(1), Matrix::Constant(1, 1, p));
  };
  const Vector<double> m = Vector<double>::Zero(1);
  const Matrix c = Matrix::Identity(1, 1);
  // The exact mean CD-1 gradient vanishes at p* and not at the true precision 1.
  CHECK(std::abs(cd1_gradient(at_precision(p_star), m, c, eps)(1)) < 1e-8);
  CHECK(std::abs(cd1_gradient(at_precision(1.0), m, c, eps)(1)) > 0.05);
  // Training measures it: the Monte-Carlo gradient at the data's own precision points away from it ...
  ember::ContrastiveDivergence cd(ember::Langevin<double>({.step_size = eps}));
  ember::Philox rng(12);
  std::vector<Vector<double>> at_truth;
  for (int b = 0; b < 200; ++b) at_truth.push_back(cd.estimate(at_precision(1.0), sample_gaussian(m, c, 512, rng), rng).gradient);
  const auto truth = mean_and_error(at_truth);
  CHECK(std::abs(truth.mean(1)) > z_bound * truth.error(1));
  // ... and SGD lands on p*, within a tenth of the bias |p* − 1|.
  auto model = at_precision(1.0);
  ember::Philox data_rng(13);
  const Batch<double> data = sample_gaussian(m, c, 100000, data_rng);
  ember::Sgd<double> sgd({.learning_rate = 0.3});
  ember::ParameterEma<double> ema({.decay = 0.99});
  ember::train(cd, model, sgd, data, {.iterations = 2000, .batch_size = 512, .seed = 3},
               [&](const ember::TrainProgress&) { ema.update(model.params()); });
  model.params() = ema.average();
  const double learned = model.precision()(0, 0);
  INFO("learned precision " << learned << ", CD-1 fixed point " << p_star);
  CHECK(std::abs(learned - p_star) < 0.1 * (p_star - 1.0));
}

TEST_CASE("CD: settings and data are checked", "[cd][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(ember::ContrastiveDivergence(ember::Langevin<double>(), {.steps = 0}), Contains("steps = 0"));
  ember::ContrastiveDivergence cd{ember::Langevin<float>()};
  const auto model = ember::GaussianEnergy<float>::standard(2);
  ember::Philox rng(1);
  CHECK_THROWS_WITH(cd.estimate(model, Batch<float>::Zero(4, 3), rng), Contains("expected 2 columns"));
}

namespace {
// E(x; θ) = −log(s N(x; −3, 0.15²) + (1 − s) N(x; 3, 0.15²)), s = sigmoid(θ): two modes 6 apart whose weight is the one
// parameter. ∂E/∂θ = s − r with r the first component's responsibility: ≈ −(1 − s) at the first mode, ≈ s at the second.
struct ModeWeightEnergy {
  using scalar_type = double;
  Vector<double> theta = Vector<double>::Zero(1);
  static constexpr double centre = 3.0, sd = 0.15;

  [[nodiscard]] Index dim() const { return 1; }
  [[nodiscard]] Vector<double>& params() { return theta; }
  [[nodiscard]] const Vector<double>& params() const { return theta; }
  // log p(x) (less log(sd √2π)) by log-sum-exp, so that it stays finite anywhere, and the first component's
  // responsibility r = s φ_A / (s φ_A + (1 − s) φ_B).
  double log_density(double x, double& r) const {
    const double za = (x + centre) / sd, zb = (x - centre) / sd;
    const double la = -std::log1p(std::exp(-theta(0))) - 0.5 * za * za;  // log s + log φ_A
    const double lb = -std::log1p(std::exp(theta(0))) - 0.5 * zb * zb;   // log(1 − s) + log φ_B
    const double top = std::max(la, lb), lse = top + std::log(std::exp(la - top) + std::exp(lb - top));
    r = std::exp(la - lse);
    return lse;
  }
  void energy(ember::BatchView<double> x, ember::VectorRef<double> e) const {
    double r;
    for (Index i = 0; i < x.rows(); ++i) e(i) = -log_density(x(i, 0), r);
  }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorRef<double> e, ember::BatchRef<double> g) const {
    for (Index i = 0; i < x.rows(); ++i) {
      double r;
      e(i) = -log_density(x(i, 0), r);
      g(i, 0) = (r * (x(i, 0) + centre) + (1 - r) * (x(i, 0) - centre)) / (sd * sd);
    }
  }
  // ∂E/∂θ = −(r (1 − s) − (1 − r) s) = s − r.
  void accumulate_param_gradient(ember::BatchView<double> x, ember::VectorView<double> w,
                                 ember::VectorRef<double> g) const {
    const double s = 1 / (1 + std::exp(-theta(0)));
    for (Index i = 0; i < x.rows(); ++i) {
      double r;
      log_density(x(i, 0), r);
      g(0) += w(i) * (s - r);
    }
  }
};
static_assert(ember::ParametricEnergy<ModeWeightEnergy>);

// CD-10 (MALA at ε = 0.005, one difference jump first when `jumps`) on `n` points with 70 % in the first mode: the mean
// gradient in θ and its standard error (the per-point differences ∇θE(x⁺) − ∇θE(x⁻) are independent).
std::pair<double, double> mode_weight_cd_gradient(double theta, bool jumps, Index n, std::uint64_t seed) {
  ember::Philox rng(seed);
  Batch<double> data(n, 1), noise(n, 1);
  rng.normal(noise);
  for (Index i = 0; i < n; ++i) data(i, 0) = (i < n * 7 / 10 ? -3.0 : 3.0) + 0.15 * noise(i, 0);
  ModeWeightEnergy model;
  model.theta(0) = theta;
  const ember::Mala<double> mala({.step_size = 0.005});
  Batch<double> negatives;
  if (jumps) {
    ember::ContrastiveDivergence cd(ember::WithJumps(mala, ember::DifferenceJump<double>(data), 10), {.steps = 10});
    cd.estimate(model, data, rng);
    negatives = cd.negatives();
  } else {
    ember::ContrastiveDivergence cd(mala, {.steps = 10});
    cd.estimate(model, data, rng);
    negatives = cd.negatives();
  }
  std::vector<double> differences;
  double mean = 0;
  for (Index i = 0; i < n; ++i) {
    Vector<double> g = Vector<double>::Zero(1);
    const Vector<double> one = Vector<double>::Ones(1);
    model.accumulate_param_gradient(data.middleRows(i, 1), one, g);
    model.accumulate_param_gradient(negatives.middleRows(i, 1), -one, g);
    differences.push_back(g(0));
    mean += g(0) / double(n);
  }
  double variance = 0;
  for (double v : differences) variance += (v - mean) * (v - mean) / double(n - 1);
  return {mean, std::sqrt(variance / double(n))};
}
}  // namespace

TEST_CASE("CD's chains learn the weights of far-apart modes only with difference jumps", "[cd][difference_jump]") {
  const Index n = 4000;
  const double truth = std::log(0.7 / 0.3);  // s = 0.7: the data's weights
  // At equal weights (θ = 0) CD without jumps sees nothing: each negative stays in its datum's mode, so the gradient
  // is zero up to the within-mode differences. With a jump first, negatives move toward the model's half-and-half
  // weights and the gradient raises the first mode's weight (descent increases θ).
  const auto [blind, blind_se] = mode_weight_cd_gradient(0.0, false, n, 5);
  INFO("without jumps at theta = 0: " << blind << " +- " << blind_se);
  CHECK(std::abs(blind) < 0.005);
  const auto [seeing, seeing_se] = mode_weight_cd_gradient(0.0, true, n, 5);
  INFO("with jumps at theta = 0: " << seeing << " +- " << seeing_se);
  CHECK(seeing < -ember::test::z_bound * seeing_se);
  CHECK(seeing < -0.02);
  // At the data's weights the model is the data's law, which MALA and the jumps leave invariant: the expected
  // gradient is exactly zero.
  const auto [at_truth, at_truth_se] = mode_weight_cd_gradient(truth, true, n, 6);
  INFO("with jumps at the data's weights: " << at_truth << " +- " << at_truth_se);
  CHECK(std::abs(at_truth) < ember::test::z_bound * at_truth_se);
}
