#include "ember/divergence/recovery_likelihood.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/mala.hpp"
#include "ember/schedule/ddpm.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/ema.hpp"
#include "ember/train/trainer.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

// One sampling level (boundaries {0, 99}: a_1² ≈ 0.90, σ_1 ≈ 0.32) with an exact MH posterior sampler: the
// energy at level 0 must recover the law of x_0 = ā_0 x + σ̄_0 ε (≈ the data; both closed form).
TEST_CASE("Recovery likelihood fits an 8-dimensional Gaussian to KL < 0.01", "[recovery_likelihood][convergence]") {
  const Index d = 8;
  ember::test::Uniform uniform(23);
  const Vector<double> m = uniform.next<Vector<double>>(d);
  const Matrix c = random_spd(d, 24, 0.3);
  ember::Philox data_rng(2);
  const Batch<double> data = sample_gaussian(m, c, 40000, data_rng);
  const ember::RecoveryLevels<double> levels(ember::ddpm_linear_betas(), {0, 99});
  REQUIRE(levels.top_level() == 1);
  const double step = 0.3 * levels.sigma(1) * levels.sigma(1);  // ε λ_max(posterior) ≈ 0.3 + small
  ember::RecoveryLikelihood<double, ember::Mala<double>> rl(levels, {ember::Mala<double>({.step_size = step})},
                                                            {.steps = 30});
  ember::TimeIndependent model(ember::GaussianEnergy<double>::standard(d));
  ember::Adam<double> adam({.learning_rate = 0.02});
  ember::ParameterEma<double> ema({.decay = 0.995});
  ember::train(rl, model, adam, data, {.iterations = 3000, .batch_size = 256, .seed = 4},
               [&](const ember::TrainProgress& p) {
                 ema.update(model.params());
                 if (p.iteration == 2000) adam.set_learning_rate(0.005);
               });
  auto fitted = ember::GaussianEnergy<double>::standard(d);
  fitted.params() = ema.average();
  const double a0 = levels.a_cumulative(0), s0 = levels.sigma_cumulative(0);
  const double divergence = kl(a0 * m, a0 * a0 * c + s0 * s0 * Matrix::Identity(d, d), fitted.mean(), fitted.covariance());
  INFO("KL(law of x_0 | p_theta) = " << divergence);
  CHECK(divergence < 0.01);
}

TEST_CASE("Recovery likelihood: levels, times and progressive sampling", "[recovery_likelihood]") {
  const ember::RecoveryLevels<double> levels;  // Gao et al.'s six sampling levels
  auto rl = ember::RecoveryLikelihood<double, ember::Langevin<double>>::with_langevin(levels, 2e-4, {.steps = 5});
  CHECK(rl.kernels().size() == 6);
  CHECK(rl.level_time(0) == Approx(1.0 / 7.0));
  CHECK(rl.kernels()[2].gradient_step() == Approx(0.5 * levels.step_size_squared(2, 2e-4)));
  ember::TimeIndependent model(ember::GaussianEnergy<double>::standard(2));
  ember::Philox rng(3);
  const Batch<double> data = Batch<double>::Constant(600, 2, 0.5);
  const auto result = rl.estimate(model, data, rng);
  CHECK(result.gradient.allFinite());
  // Every level is drawn (600 examples, 6 levels) and the times are sorted by level.
  for (Index t = 0; t < 6; ++t) CHECK((rl.times().array() == rl.level_time(t)).count() > 50);
  CHECK(std::is_sorted(rl.times().data(), rl.times().data() + rl.times().size()));
  // If the energy is N(0, I) and every level's posterior is sampled to convergence (MALA with ε_t = σ²_{t+1}/2,
  // so ε·λ_max(posterior) ≈ 0.5, and 60 steps: contraction ≤ 0.75⁶⁰), every level's law stays N(0, I).
  std::vector<ember::Mala<double>> kernels;
  for (Index t = 0; t < 6; ++t) kernels.emplace_back(ember::MalaSettings<double>{.step_size = 0.5 * levels.sigma(t + 1) * levels.sigma(t + 1)});
  auto exact = ember::RecoveryLikelihood<double, ember::Mala<double>>(levels, kernels, {.steps = 60});
  const Batch<double> x = exact.sample(model, 4000, rng);
  const double variance = x.squaredNorm() / static_cast<double>(x.size());
  CHECK(std::abs(variance - 1.0) < z_bound * variance_standard_error(1.0, static_cast<std::size_t>(x.size())));
  CHECK_THROWS_WITH((ember::RecoveryLikelihood<double, ember::Langevin<double>>(levels, {}, {})),
                    Catch::Matchers::Contains("kernels.size() = 0"));
}
