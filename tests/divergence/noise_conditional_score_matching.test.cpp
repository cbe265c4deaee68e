#include "ember/divergence/noise_conditional_score_matching.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "divergence/gaussian_oracle.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/time_conditioned.hpp"
#include "support/statistics.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// E σᵏ for σ = σ_min (σ_max/σ_min)^u, u ~ U(0, 1): (σ_maxᵏ − σ_minᵏ) / (k ln(σ_max/σ_min)).
double ncsm_sigma_moment(double lo, double hi, int k) {
  return (std::pow(hi, k) - std::pow(lo, k)) / (k * std::log(hi / lo));
}

// E_σ E‖σP(x + σε − μ) − ε‖² for x ~ N(m, C): σ²(‖P(m − μ)‖² + tr(PCP) − 2 tr(P)) + σ⁴ tr(P²) + d, averaged over σ.
double ncsm_gaussian_loss(const ember::GaussianEnergy<double>& e, const Vector<double>& m, const Matrix& c, double lo,
                          double hi) {
  const Matrix p = e.precision();
  const double fixed = (p * (m - e.mean())).squaredNorm() + (p * c * p).trace() - 2 * p.trace();
  return ncsm_sigma_moment(lo, hi, 2) * fixed + ncsm_sigma_moment(lo, hi, 4) * (p * p).trace() +
         static_cast<double>(m.size());
}

// E(x, t) = ½ θ (1 + t) ‖x‖²: a one-parameter time-conditioned energy whose loss depends on which σ goes with t.
struct NcsmScaledQuadratic {
  using scalar_type = double;
  Vector<double> theta = Vector<double>::Constant(1, 0.7);
  [[nodiscard]] Index dim() const { return 2; }
  Vector<double>& params() { return theta; }
  [[nodiscard]] const Vector<double>& params() const { return theta; }
  void energy(ember::BatchView<double> x, ember::VectorView<double> t, ember::VectorRef<double> e) const {
    e = 0.5 * theta(0) * (1 + t.array()) * x.rowwise().squaredNorm().array();
  }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorView<double> t, ember::VectorRef<double> e,
                           ember::BatchRef<double> g) const {
    energy(x, t, e);
    g = (x.array().colwise() * (theta(0) * (1 + t.array()))).matrix();
  }
  void accumulate_param_gradient(ember::BatchView<double> x, ember::VectorView<double> t, ember::VectorView<double> w,
                                 ember::VectorRef<double> g) const {
    g(0) += (0.5 * w.array() * (1 + t.array()) * x.rowwise().squaredNorm().array()).sum();
  }
  // g += ∂θ Σᵢ ⟨∇ₓE(xᵢ, tᵢ), vᵢ⟩ = Σᵢ (1 + tᵢ) ⟨xᵢ, vᵢ⟩.
  void accumulate_mixed_gradient(ember::BatchView<double> x, ember::VectorView<double> t, ember::BatchView<double> v,
                                 ember::VectorRef<double> g) const {
    g(0) += ((1 + t.array()) * (x.array() * v.array()).rowwise().sum()).sum();
  }
};
static_assert(ember::TimeConditionedEnergy<NcsmScaledQuadratic>);

// Simpson's rule for ∫₀¹ f.
template <class F>
double ncsm_integral(F&& f) {
  const int n = 2000;
  double sum = f(0.0) + f(1.0);
  for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * f(static_cast<double>(i) / n);
  return sum / (3.0 * n);
}

// E(x, t) = ‖x‖²/(2 v(t)) with v(t) = 0.5 + t: its ULA chains are linear-Gaussian, so the law after annealing is exact.
struct NcsmTimeGaussian {
  using scalar_type = double;
  Vector<double> none = Vector<double>::Zero(0);
  [[nodiscard]] Index dim() const { return 1; }
  Vector<double>& params() { return none; }
  [[nodiscard]] const Vector<double>& params() const { return none; }
  static double variance(double t) { return 0.5 + t; }
  void energy(ember::BatchView<double> x, ember::VectorView<double> t, ember::VectorRef<double> e) const {
    e = 0.5 * x.col(0).array().square() / (0.5 + t.array());
  }
  void energy_and_gradient(ember::BatchView<double> x, ember::VectorView<double> t, ember::VectorRef<double> e,
                           ember::BatchRef<double> g) const {
    energy(x, t, e);
    g.col(0) = (x.col(0).array() / (0.5 + t.array())).matrix();
  }
  void accumulate_param_gradient(ember::BatchView<double>, ember::VectorView<double>, ember::VectorView<double>,
                                 ember::VectorRef<double>) const {}
};
}  // namespace

TEST_CASE("NCSM: mean loss and gradient equal the closed form averaged over log-uniform scales", "[ncsm][oracle]") {
  // A time-independent Gaussian model: the σ²-weighted DSM loss at each σ is known in closed form, and σ is
  // log-uniform on [σ_min, σ_max], so the expected loss is a combination of E σ² and E σ⁴. With antithetic pairs
  // too: −ε has ε's law, so the pair's mean is the one-draw mean.
  const bool antithetic = GENERATE(false, true);
  const Index d = 3;
  const Vector<double> m = (Vector<double>(d) << 0.3, -0.2, 1.0).finished();
  const Matrix c = random_spd(d, 71);
  const auto gaussian = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(d), random_spd(d, 72));
  const ember::TimeIndependent model(gaussian);
  const double lo = 0.1, hi = 2.0;
  ember::NoiseConditionalScoreMatching<double> ncsm({.sigma_min = lo, .sigma_max = hi, .antithetic = antithetic});
  check_estimates_against_closed_form(ncsm, model, gaussian, m, c, antithetic ? 14 : 13,
                                      [&](const ember::GaussianEnergy<double>& e) { return ncsm_gaussian_loss(e, m, c, lo, hi); });
  ember::Philox rng(15);
  // Every example's scale is σ_min (σ_max/σ_min)^t at its own time; an antithetic pair shares it and its noised
  // points are x ± σε (their sum is 2x).
  for (Index i = 0; i < ncsm.times().size(); ++i) CHECK(ncsm.sigmas()(i) == Approx(ncsm.sigma_at(ncsm.times()(i))));
  if (antithetic) {
    const Index n = ncsm.noisy().rows() / 2;
    REQUIRE(n == 256);
    CHECK(ncsm.times().tail(n) == ncsm.times().head(n));
    const Batch<double> data = sample_gaussian(m, c, n, rng);
    ncsm.estimate(model, data, rng);
    CHECK((ncsm.noisy().topRows(n) + ncsm.noisy().bottomRows(n) - 2 * data).cwiseAbs().maxCoeff() < 1e-12);
    CHECK((ncsm.noisy().topRows(n) - data).squaredNorm() > 1.0);  // and they are noised
  }
}

TEST_CASE("NCSM with antithetic pairs: the gradient's variance at small scales falls", "[ncsm]") {
  // At σ ≈ σ_min the cross term −2σ⟨∇ₓE(x), ε⟩ carries most of the noise; within a pair it cancels for a quadratic
  // energy. Per-batch gradients of a Gaussian model, with and without pairs, at the same data.
  const Index d = 2;
  const auto gaussian = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Ones(d), random_spd(d, 73));
  const ember::TimeIndependent model(gaussian);
  const auto spread = [&](bool antithetic) {
    ember::NoiseConditionalScoreMatching<double> ncsm({.sigma_min = 0.01, .sigma_max = 0.02, .antithetic = antithetic});
    ember::Philox rng(23);
    std::vector<Vector<double>> gradients;
    for (int b = 0; b < 100; ++b) gradients.push_back(ncsm.estimate(model, sample_gaussian(Vector<double>::Zero(d), Matrix::Identity(d, d), 64, rng), rng).gradient);
    return mean_and_error(gradients).error.norm();
  };
  CHECK(spread(true) < 0.2 * spread(false));
}

TEST_CASE("NCSM: each example's scale goes with its time (a time-conditioned energy)", "[ncsm][oracle]") {
  // E(x, t) = ½θ(1 + t)‖x‖² on x ~ N(0, I₂): with a = θ(1 + t) and σ = σ(t), ‖σ a x̃ − ε‖² has mean
  // 2[σ²a² + (σ²a − 1)²] and θ-derivative 2[2σ²a + 2(σ²a − 1)σ²](1 + t); both averaged over t ~ U(0, 1).
  // Pairing σ(1 − t) with t, or dropping the σ² weight, moves both by many standard errors.
  NcsmScaledQuadratic model;
  const double lo = 0.2, hi = 2.0, theta = model.theta(0);
  ember::NoiseConditionalScoreMatching<double> ncsm({.sigma_min = lo, .sigma_max = hi});
  const auto sigma = [&](double t) { return lo * std::pow(hi / lo, t); };
  const double loss = ncsm_integral([&](double t) {
    const double s2 = sigma(t) * sigma(t), a = theta * (1 + t);
    return 2 * (s2 * a * a + (s2 * a - 1) * (s2 * a - 1));
  });
  const double gradient = ncsm_integral([&](double t) {
    const double s2 = sigma(t) * sigma(t), a = theta * (1 + t);
    return 2 * (2 * s2 * a + 2 * (s2 * a - 1) * s2) * (1 + t);
  });
  ember::Philox rng(17);
  std::vector<Vector<double>> gradients, losses;
  for (int b = 0; b < 300; ++b) {
    Batch<double> x(256, 2);
    rng.draw().normal<double>(x, 0);
    const auto result = ncsm.estimate(model, x, rng);
    gradients.push_back(result.gradient);
    losses.push_back(Vector<double>::Constant(1, result.loss));
  }
  check_within_error(mean_and_error(losses), Vector<double>::Constant(1, loss));
  check_within_error(mean_and_error(gradients), Vector<double>::Constant(1, gradient));
}

TEST_CASE("NCSM's annealed sampler: the exact law of ULA down the levels of a time-conditioned Gaussian",
          "[ncsm][oracle]") {
  // E(x, t) = x²/(2v(t)), v(t) = 0.5 + t. One ULA step with ε at precision p maps a variance V to
  // (1 − εp/2)² V + ε; starting from N(0, σ_max²), the variance after the sweep follows level by level, with the
  // levels' times l/(L − 1) and steps ε (σₗ/σ_min)².
  const double lo = 0.1, hi = 1.0, step = 0.02;
  const Index levels = 6, steps = 8, n = 20000;
  ember::NoiseConditionalScoreMatching<double> ncsm({.sigma_min = lo, .sigma_max = hi});
  auto sampler = ncsm.annealed_sampler(levels, step, {.steps_per_level = steps});
  REQUIRE(sampler.levels() == levels);
  double variance = hi * hi;
  for (Index l = levels - 1; l >= 0; --l) {
    const double t = static_cast<double>(l) / (levels - 1), ratio = lo * std::pow(hi / lo, t) / lo;
    const double eps = step * ratio * ratio, p = 1 / NcsmTimeGaussian::variance(t);
    CHECK(sampler.times()(l) == Approx(t));
    CHECK(sampler.step_sizes()(l) == Approx(eps));
    for (Index k = 0; k < steps; ++k) variance = (1 - eps * p / 2) * (1 - eps * p / 2) * variance + eps;
  }
  ember::Philox rng(19);
  Batch<double> x(n, 1);
  rng.draw().normal<double>(x, 0);
  x *= hi;
  sampler.step(NcsmTimeGaussian{}, x, rng);
  std::vector<double> values(x.data(), x.data() + n);
  const double sd = std::sqrt(variance);
  INFO("exact variance " << variance);
  CHECK(ks_statistic(values, [&](double v) { return 0.5 * std::erfc(-v / (sd * std::sqrt(2.0))); }) < ks_critical(values.size()));
}

TEST_CASE("NCSM: bad settings are refused with the argument's name", "[ncsm][errors]") {
  using Ncsm = ember::NoiseConditionalScoreMatching<double>;
  CHECK_THROWS_WITH(Ncsm({.sigma_min = 0, .sigma_max = 1}), Catch::Matchers::Contains("sigma_min = 0"));
  CHECK_THROWS_WITH(Ncsm({.sigma_min = 0.5, .sigma_max = 0.4}), Catch::Matchers::Contains("sigma_max = 0.4"));
  CHECK_THROWS_WITH(Ncsm({.sigma_min = 0.1, .sigma_max = std::nan("")}), Catch::Matchers::Contains("sigma_max"));
  const Ncsm ncsm({.sigma_min = 0.1, .sigma_max = 1});
  CHECK_THROWS_WITH(ncsm.annealed_sampler(0, 0.1), Catch::Matchers::Contains("levels = 0"));
  CHECK_THROWS_WITH(ncsm.annealed_sampler(3, -1.0), Catch::Matchers::Contains("step = -1"));
  Ncsm estimator({.sigma_min = 0.1, .sigma_max = 1});
  ember::Philox rng(1);
  const ember::TimeIndependent model(ember::GaussianEnergy<double>::standard(2));
  CHECK_THROWS_WITH(estimator.estimate(model, Batch<double>::Zero(4, 3), rng), Catch::Matchers::Contains("data"));
}
