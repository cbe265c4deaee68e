#include "ember/divergence/score_matching.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "divergence/gaussian_oracle.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// E‖P(x + σε − μ) − ε/σ‖² for x ~ N(m, C): ‖P(m − μ)‖² + tr(PCP) + σ² tr(P²) − 2 tr(P) + d/σ².
double dsm_loss(const ember::GaussianEnergy<double>& e, const Vector<double>& m, const Matrix& c, double sigma) {
  const Matrix p = e.precision();
  const double d = static_cast<double>(m.size());
  return (p * (m - e.mean())).squaredNorm() + (p * c * p).trace() + sigma * sigma * (p * p).trace() -
         2 * p.trace() + d / (sigma * sigma);
}

// DSM's mean loss and gradient over 300 batches against `closed_form` (gaussian_oracle.hpp); returns the mean loss.
template <class ClosedForm>
double check_against_closed_form(const ember::DsmSettings<double>& settings, const ember::GaussianEnergy<double>& model,
                                 const Vector<double>& m, const Matrix& c, std::uint64_t seed,
                                 const ClosedForm& closed_form) {
  ember::DenoisingScoreMatching<double> dsm(settings);
  return check_estimates_against_closed_form(dsm, model, model, m, c, seed, closed_form);
}
}  // namespace

TEST_CASE("DSM: mean loss and mean gradient equal the closed form", "[score_matching][oracle]") {
  // With antithetic noise too: −ε has ε's law, so the pair's mean is the one-draw mean.
  const bool antithetic = GENERATE(false, true);
  const Index d = 3;
  const Vector<double> m = (Vector<double>(d) << 0.3, -0.2, 1.0).finished();
  const Matrix c = random_spd(d, 61);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Zero(d), random_spd(d, 62));
  const double sigma = 0.4;
  check_against_closed_form({.noise_scale = sigma, .antithetic = antithetic}, model, m, c, antithetic ? 12 : 10,
                            [&](const ember::GaussianEnergy<double>& e) { return dsm_loss(e, m, c, sigma); });
}

TEST_CASE("DSM: the gradient is the theta-derivative of the batch loss with the noise held fixed", "[score_matching]") {
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Ones(2), random_spd(2, 63));
  ember::DenoisingScoreMatching<double> dsm({.noise_scale = 0.2});
  ember::test::Uniform uniform(1);
  const Batch<double> data = uniform.next<Batch<double>>(16, 2);
  ember::Philox rng(1);
  const auto result = dsm.estimate(model, data, rng);
  const Batch<double> noisy = dsm.noisy();
  auto loss = [&](const ember::GaussianEnergy<double>& e) {
    Vector<double> en(16);
    Batch<double> g(16, 2);
    e.energy_and_gradient(noisy, en, g);
    return (g - (noisy - data) / 0.04).squaredNorm() / 16;
  };
  CHECK(result.loss == Approx(loss(model)).epsilon(1e-12));
  CHECK(relative_error(result.gradient, fd_gradient(model, loss)) < fd_tolerance);
  CHECK_THROWS_WITH(ember::DenoisingScoreMatching<double>({.noise_scale = 0.0}), Catch::Matchers::Contains("noise_scale = 0"));
}

TEST_CASE("DSM with sigma^2 weighting: mean loss and gradient are sigma^2 times the closed form", "[score_matching][oracle]") {
  // λ(σ) = σ²: E‖σ∇ₓE(x̃) − ε‖² = σ² × the unweighted closed form; at σ = 0.1 the factor is 100, so a dropped or
  // doubled weight is far outside the Monte-Carlo error.
  const Index d = 3;
  const Vector<double> m = (Vector<double>(d) << -0.4, 0.1, 0.7).finished();
  const Matrix c = random_spd(d, 64);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Constant(d, 0.2), random_spd(d, 65));
  const double sigma = 0.1;
  const auto weighted = [&](const ember::GaussianEnergy<double>& e) { return sigma * sigma * dsm_loss(e, m, c, sigma); };
  const bool antithetic = GENERATE(false, true);
  const double mean_loss = check_against_closed_form(
      {.noise_scale = sigma, .weighting = ember::DsmWeighting::sigma_squared, .antithetic = antithetic}, model, m, c,
      antithetic ? 13 : 11, weighted);
  // The loss is O(1) at small σ (the unweighted one is ≈ d/σ² = 300 here).
  CHECK(mean_loss < 10);
}

TEST_CASE("DSM with antithetic noise: on a quadratic energy the terms odd in the noise cancel exactly",
          "[score_matching]") {
  // With ∇ₓE = P(x − μ), the residual of x ± σε is r± = P(x − μ) ± (σP − I/σ)ε, and the pair's mean loss is
  // ‖P(x − μ)‖² + ‖(σP − I/σ)ε‖²: no cross term. The batch loss and its θ-gradient (ε held fixed) must be exactly
  // that; an estimate that noised both copies with +ε, or averaged over N instead of 2N, is not.
  const Index n = 16, d = 2;
  const double sigma = 0.2;
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Ones(d), random_spd(d, 66));
  ember::DenoisingScoreMatching<double> dsm({.noise_scale = sigma, .antithetic = true});
  ember::test::Uniform uniform(2);
  const Batch<double> data = uniform.next<Batch<double>>(n, d);
  ember::Philox rng(3);
  const auto result = dsm.estimate(model, data, rng);
  REQUIRE(dsm.noisy().rows() == 2 * n);
  const Batch<double> eps = (dsm.noisy().topRows(n) - data) / sigma;
  CHECK((dsm.noisy().bottomRows(n) - (data - sigma * eps)).cwiseAbs().maxCoeff() < 1e-12);
  const auto pair_loss = [&](const ember::GaussianEnergy<double>& e) {
    const Matrix p = e.precision();
    const Batch<double> centred = data.rowwise() - e.mean().transpose();
    const Matrix b = sigma * p - Matrix::Identity(d, d) / sigma;
    return ((centred * p).squaredNorm() + (eps * b).squaredNorm()) / static_cast<double>(n);
  };
  CHECK(result.loss == Approx(pair_loss(model)).epsilon(1e-10));
  CHECK(relative_error(result.gradient, fd_gradient(model, pair_loss)) < fd_tolerance);

  // The first copy is the point noised exactly as without antithetic noise (the same draws from the generator).
  ember::DenoisingScoreMatching<double> single({.noise_scale = sigma});
  ember::Philox same(3);
  (void)single.estimate(model, data, same);
  CHECK(single.noisy() == dsm.noisy().topRows(n));
}

TEST_CASE("DSM with antithetic noise: the gradient's variance at small noise falls by orders of magnitude",
          "[score_matching]") {
  // One draw's gradient carries terms odd in ε whose variance is O(1/σ²) times the rest; the pair removes them.
  // At σ = 0.02 on fixed data (so only the noise varies) the variance falls ~900× (measured); without the
  // cancellation (two independent draws) it would fall only 2×.
  const Index n = 64, d = 3;
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Constant(d, 0.5), random_spd(d, 67));
  ember::test::Uniform uniform(4);
  const Batch<double> data = uniform.next<Batch<double>>(n, d);
  const auto variance = [&](bool antithetic) {
    ember::DenoisingScoreMatching<double> dsm({.noise_scale = 0.02, .weighting = ember::DsmWeighting::sigma_squared,
                                               .antithetic = antithetic});
    ember::Philox rng(5);
    std::vector<Vector<double>> gradients;
    for (int k = 0; k < 200; ++k) gradients.push_back(dsm.estimate(model, data, rng).gradient);
    Vector<double> mean = Vector<double>::Zero(gradients.front().size());
    for (const auto& g : gradients) mean += g / 200.0;
    double total = 0;
    for (const auto& g : gradients) total += (g - mean).squaredNorm() / 199.0;
    return total;
  };
  CHECK(variance(true) < variance(false) / 100);
}
