#include "ember/divergence/dcd.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/simd/random.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/mcmc/gaussian_posterior.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/ema.hpp"
#include "ember/train/trainer.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::DiffusionNoise;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// ∇θ[KL(p_d ‖ p_θ) − KL(q∘p_d ‖ q∘p_θ)] for q(x̃ | x) = N(a x, s² I), by central differences of the closed form.
Vector<double> dcd_gradient(const ember::GaussianEnergy<double>& model, const Vector<double>& m, const Matrix& c,
                            double a, double s) {
  const Matrix noise = s * s * Matrix::Identity(m.size(), m.size());
  return fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) {
    return kl(m, c, e.mean(), e.covariance()) -
           kl(a * m, a * a * c + noise, a * e.mean(), a * a * e.covariance() + noise);
  });
}
}  // namespace

TEST_CASE("DCD with the exact posterior: mean gradient = grad of KL(p_d|p) - KL(q p_d|q p)", "[dcd][oracle]") {
  const Index d = 2;
  const Vector<double> m = (Vector<double>(d) << 0.5, -1.0).finished();
  const Matrix c = random_spd(d, 11);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(
      (Vector<double>(d) << -0.2, 0.3).finished(), random_spd(d, 12, 0.8));
  for (auto noise : {DiffusionNoise::variance_exploding, DiffusionNoise::variance_preserving}) {
    const double level = noise == DiffusionNoise::variance_exploding ? 0.7 : 0.6;
    const double a = noise == DiffusionNoise::variance_exploding ? 1.0 : std::sqrt(1 - level * level);
    INFO((noise == DiffusionNoise::variance_exploding ? "VE" : "VP"));
    ember::DiffusionContrastiveDivergence dcd(ember::GaussianPosterior<double>{},
                                              {.noise = noise, .noise_min = level, .noise_max = level, .steps = 1});
    ember::Philox rng(5);
    std::vector<Vector<double>> gradients;
    for (int b = 0; b < 400; ++b) {
      const Batch<double> data = sample_gaussian(m, c, 256, rng);
      gradients.push_back(dcd.estimate(model, data, rng).gradient);
    }
    check_within_error(mean_and_error(gradients), dcd_gradient(model, m, c, a, level));
  }
}

namespace {
// The law of the negatives after K textbook ULA steps x ← x − (ε/2)∇ₓE_tether(x) + √ε ξ on the tethered posterior
// of a Gaussian energy, started at x̃/a (or at the datum x), with x ~ N(m, C) and x̃ = a x + s ε. The tether's
// gradient P(x − μ) − (a/s²)(x̃ − a x) = Q x − Pμ − (a/s²)x̃, Q = P + (a²/s²)I, is affine, so
// x_k = N_k x + M_k x̃ + c_k + η_k with c_0 = 0, Cov η_0 = 0, (N_0, M_0) = (0, I/a) from x̃/a or (I, 0) from x, and,
// for B = I − (ε/2)Q: N ← B N, M ← B M + (ε/2)(a/s²)I, c ← B c + (ε/2)Pμ, Cov η ← B Cov η Bᵀ + εI. With
// x̃ = a x + s ε: x_K = (N + aM) x + sM ε + c + η ~ N((N + aM) m + c, (N + aM) C (N + aM)ᵀ + s² M Mᵀ + Cov η).
std::pair<Vector<double>, Matrix> tethered_ula_law(const ember::GaussianEnergy<double>& e, const Vector<double>& m,
                                                   const Matrix& c, double a, double s, double eps, Index steps,
                                                   ember::DcdStart start = ember::DcdStart::noisy) {
  const Index d = m.size();
  const Matrix id = Matrix::Identity(d, d);
  const Matrix b = id - 0.5 * eps * (e.precision() + (a * a / (s * s)) * id);
  const bool from_data = start == ember::DcdStart::data;
  Matrix nk = from_data ? id : Matrix::Zero(d, d), mk = from_data ? Matrix::Zero(d, d) : Matrix(id / a);
  Matrix noise = Matrix::Zero(d, d);
  Vector<double> ck = Vector<double>::Zero(d);
  for (Index k = 0; k < steps; ++k) {
    nk = b * nk;
    mk = b * mk + 0.5 * eps * (a / (s * s)) * id;
    ck = b * ck + 0.5 * eps * e.precision() * e.mean();
    noise = b * noise * b.transpose() + eps * id;
  }
  const Matrix total = nk + a * mk;
  return {total * m + ck, total * c * total.transpose() + s * s * mk * mk.transpose() + noise};
}
}  // namespace

TEST_CASE("DCD with K ULA steps: mean gradient = closed form under the law of K steps from x~/a or from x", "[dcd][oracle]") {
  // K is small and the steps short, so the negatives are far from the exact posterior: the law of the K steps,
  // not the posterior, is what the mean gradient must match; this pins the start x̃/a, the tether's a and s and
  // the kernel's step.
  const Index d = 2, steps = 3;
  const Vector<double> m = (Vector<double>(d) << 0.8, -0.6).finished();
  const Matrix c = random_spd(d, 13);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(
      (Vector<double>(d) << -0.4, 0.2).finished(), random_spd(d, 14, 0.8));
  const double eps = 0.1;
  for (auto noise : {DiffusionNoise::variance_exploding, DiffusionNoise::variance_preserving}) {
    const double level = noise == DiffusionNoise::variance_exploding ? 0.7 : 0.6;
    const double a = noise == DiffusionNoise::variance_exploding ? 1.0 : std::sqrt(1 - level * level);
    INFO((noise == DiffusionNoise::variance_exploding ? "VE" : "VP"));
    for (auto start : {ember::DcdStart::noisy, ember::DcdStart::data}) {
      INFO((start == ember::DcdStart::noisy ? "from x~/a" : "from the datum x"));
      ember::DiffusionContrastiveDivergence dcd(
          ember::Langevin<double>({.step_size = eps}),
          {.noise = noise, .noise_min = level, .noise_max = level, .steps = steps, .start = start});
      ember::Philox rng(6);
      std::vector<Vector<double>> gradients;
      for (int b = 0; b < 400; ++b) {
        const Batch<double> data = sample_gaussian(m, c, 256, rng);
        gradients.push_back(dcd.estimate(model, data, rng).gradient);
      }
      const auto [mean_k, cov_k] = tethered_ula_law(model, m, c, a, level, eps, steps, start);
      const Vector<double> exact = fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) {
        return expected_energy(e, m, c) - expected_energy(e, mean_k, cov_k);  // negatives frozen
      });
      check_within_error(mean_and_error(gradients), exact);
    }
  }
}

TEST_CASE("DCD: per-example levels from a range are what the estimator uses", "[dcd]") {
  const auto model = ember::GaussianEnergy<double>::standard(2);
  ember::DiffusionContrastiveDivergence dcd(ember::GaussianPosterior<double>{},
                                            {.noise = DiffusionNoise::variance_preserving, .noise_min = 0.2,
                                             .noise_max = 0.8});
  ember::Philox rng(3);
  const Batch<double> data = Batch<double>::Zero(4000, 2);
  const auto result = dcd.estimate(model, data, rng);
  // data = 0 so x̃ = s ε with s ~ U(0.2, 0.8): E‖x̃‖²/2 = E[s²] = (0.8³ − 0.2³)/(3·0.6) = 0.28 per point.
  const double mean_sq = 0.5 * dcd.noisy().rowwise().squaredNorm().mean();
  CHECK(std::abs(mean_sq - 0.28) < z_bound * 0.28 * std::sqrt(2.5 / 4000.0));
  CHECK(result.positive_energy == 0.0);
  CHECK(std::isfinite(result.loss));
}

TEST_CASE("DCD: log-uniform levels are uniform in log s", "[dcd]") {
  const auto model = ember::GaussianEnergy<double>::standard(2);
  ember::DiffusionContrastiveDivergence dcd(ember::GaussianPosterior<double>{},
                                            {.noise = DiffusionNoise::variance_preserving, .noise_min = 0.2,
                                             .noise_max = 0.8, .level_draw = ember::NoiseLevelDraw::log_uniform});
  ember::Philox rng(5);
  const Index n = 20000;
  const auto result = dcd.estimate(model, Batch<double>::Zero(n, 2), rng);
  // x̃ = s ε with density 1/(s ln 4) on [0.2, 0.8]: v = ‖x̃‖²/2 = s² χ²₂/2 has E v = E s² = (0.8² − 0.2²)/(2 ln 4)
  // = 0.2164 (uniform levels: 0.28, 28 standard errors away) and E v² = 2 E s⁴ = 2 (0.8⁴ − 0.2⁴)/(4 ln 4).
  const double log_ratio = std::log(4.0);
  const double mean = (0.64 - 0.04) / (2 * log_ratio), second = 2 * (0.4096 - 0.0016) / (4 * log_ratio);
  const double v = 0.5 * dcd.noisy().rowwise().squaredNorm().mean();
  CHECK(std::abs(v - mean) < z_bound * std::sqrt((second - mean * mean) / static_cast<double>(n)));
  CHECK(std::isfinite(result.loss));
}

TEST_CASE("DCD with Langevin as the posterior sampler runs and reports NaN-free diagnostics", "[dcd]") {
  auto model = ember::GaussianEnergy<float>::standard(3);
  ember::DiffusionContrastiveDivergence dcd(ember::Langevin<float>({.step_size = 0.01f}),
                                            {.noise_min = 0.3f, .noise_max = 0.3f, .steps = 5});
  ember::Philox rng(2);
  const Batch<float> data = Batch<float>::Ones(64, 3);
  const auto result = dcd.estimate(model, data, rng);
  CHECK(result.gradient.allFinite());
  CHECK(result.gradient.size() == model.params().size());
  CHECK_FALSE(result.acceptance.has_value());
  CHECK(std::isfinite(result.negative_energy));
}

TEST_CASE("DCD fits an 8-dimensional Gaussian to KL < 0.01", "[dcd][convergence]") {
  const Index d = 8;
  ember::test::Uniform uniform(21);
  const Vector<double> m = uniform.next<Vector<double>>(d);
  const Matrix c = random_spd(d, 22, 0.3);
  ember::Philox data_rng(1);
  const Batch<double> data = sample_gaussian(m, c, 40000, data_rng);
  auto model = ember::GaussianEnergy<double>::standard(d);
  ember::DiffusionContrastiveDivergence dcd(ember::GaussianPosterior<double>{},
                                            {.noise = DiffusionNoise::variance_preserving, .noise_min = 0.5,
                                             .noise_max = 0.5});
  ember::Adam<double> adam({.learning_rate = 0.02});
  ember::ParameterEma<double> ema({.decay = 0.995});
  ember::train(dcd, model, adam, data, {.iterations = 3000, .batch_size = 256, .seed = 9},
               [&](const ember::TrainProgress& p) {
                 ema.update(model.params());
                 if (p.iteration == 2000) adam.set_learning_rate(0.005);
               });
  model.params() = ema.average();
  const double divergence = kl(m, c, model.mean(), model.covariance());
  INFO("KL(p_d | p_theta) = " << divergence);
  CHECK(divergence < 0.01);
}

TEST_CASE("DCD: bad settings are rejected with the argument's name", "[dcd][errors]") {
  using Catch::Matchers::Contains;
  using K = ember::GaussianPosterior<double>;
  CHECK_THROWS_WITH(ember::DiffusionContrastiveDivergence(K{}, {.noise_min = -1.0}), Contains("noise_min = -1"));
  CHECK_THROWS_WITH(ember::DiffusionContrastiveDivergence(K{}, {.noise_min = 0.5, .noise_max = 0.4}),
                    Contains("noise_max = 0.4"));
  CHECK_THROWS_WITH(ember::DiffusionContrastiveDivergence(K{}, {.noise_min = 0.5, .noise_max = 1.5}),
                    Contains("noise_max = 1.5"));
  CHECK_THROWS_WITH(ember::DiffusionContrastiveDivergence(K{}, {.steps = 0}), Contains("steps = 0"));
  ember::DiffusionContrastiveDivergence dcd(K{});
  const auto model = ember::GaussianEnergy<double>::standard(2);
  ember::Philox rng(1);
  Batch<double> data = Batch<double>::Zero(3, 2);
  data(1, 1) = std::nan("");
  CHECK_THROWS_WITH(dcd.estimate(model, data, rng), Contains("data(1, 1) = nan"));
}

TEST_CASE("DCD with Langevin: negatives and gradient are the same bits for 1 and 2 workers", "[dcd][threads]") {
  // The tethered posterior has one target per point: each worker's row block must see its own targets.
  const ember::MlpEnergy<float> energy({2, 32, 32}, 3, {.base_scale = 4.0f});
  ember::Philox data_rng(9);
  Batch<float> data(300, 2);
  data_rng.normal(data);
  const auto run = [&](int workers) {
    ember::DiffusionContrastiveDivergence dcd(ember::Langevin<float>({.step_size = 0.01f, .workers = workers}),
                                              {.noise_min = 0.1f, .noise_max = 0.3f, .steps = 3});
    ember::Philox rng(4);
    auto result = dcd.estimate(energy, data, rng);
    return std::pair(Batch<float>(dcd.negatives()), result.gradient);
  };
  const auto one = run(1), two = run(2);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
}
