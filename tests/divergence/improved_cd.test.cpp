#include "ember/divergence/improved_cd.hpp"

#include <cmath>

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/mala.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

namespace {
// One decoupled ULA step from N(m0, S0) under E_θ: mean m0 − λP(m0 − μ), covariance A S0 Aᵀ + σ²I, A = I − λP.
// E_{q_θ}[E_θ̄] is then closed form; θ̄ is frozen at `frozen`.
double kl_objective(const ember::GaussianEnergy<double>& e, const ember::GaussianEnergy<double>& frozen,
                    const Vector<double>& m0, const Matrix& s0, double lambda, double sigma) {
  const Matrix p = e.precision();
  const Matrix a = Matrix::Identity(m0.size(), m0.size()) - lambda * p;
  const Vector<double> mk = m0 - lambda * p * (m0 - e.mean());
  const Matrix sk = a * s0 * a.transpose() + sigma * sigma * Matrix::Identity(m0.size(), m0.size());
  return expected_energy(frozen, mk, sk);
}
}  // namespace

TEST_CASE("Improved CD: the KL term's mean gradient is the analytic derivative through one ULA step",
          "[improved_cd][oracle]") {
  const Index d = 2;
  const auto model = ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << 0.4, -0.1).finished(),
                                                                        random_spd(d, 71));
  const Vector<double> m0 = (Vector<double>(d) << 1.0, 0.5).finished();
  const Matrix s0 = random_spd(d, 72);
  const double lambda = 0.1, sigma = 0.3;
  auto kernel = ember::Langevin<double>::decoupled(lambda, sigma);
  ember::Philox rng(14);
  std::vector<Vector<double>> gradients;
  const Batch<double> none(0, d);
  for (int b = 0; b < 300; ++b) {
    const Batch<double> previous = sample_gaussian(m0, s0, 256, rng);
    Batch<double> last = previous;
    kernel.step(model, last, rng);
    Vector<double> g = Vector<double>::Zero(model.params().size());
    ember::accumulate_improved_cd_terms(model, ember::BatchView<double>(previous), ember::BatchView<double>(last),
                                        ember::BatchView<double>(none), lambda, 1.0, 0.0, ember::VectorRef<double>(g));
    gradients.push_back(g);
  }
  const Vector<double> exact = fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) {
    return kl_objective(e, model, m0, s0, lambda, sigma);
  });
  check_within_error(mean_and_error(gradients), exact);
}

namespace {
// The law N(m_k, S_k) of k decoupled ULA steps x ← x − λP(x − μ) + σξ from N(m0, S0): the step is affine,
// x ← A x + λPμ + σξ with A = I − λP, so m ← A m + λPμ and S ← A S Aᵀ + σ²I.
struct GaussianLaw {
  Vector<double> mean;
  Matrix covariance;
};
GaussianLaw ula_law(const ember::GaussianEnergy<double>& e, GaussianLaw law, Index steps, double lambda,
                    double sigma) {
  const Index d = law.mean.size();
  const Matrix a = Matrix::Identity(d, d) - lambda * e.precision();
  for (Index k = 0; k < steps; ++k) {
    law.mean = a * law.mean + lambda * e.precision() * e.mean();
    law.covariance = a * law.covariance * a.transpose() + sigma * sigma * Matrix::Identity(d, d);
  }
  return law;
}

// The closed-form mean gradient of improved CD (no entropy term) with chains started at data N(m, C): K − 1 frozen
// ULA steps of (λ_f, σ_f) and a last one of (λ, σ), so E[gradient] = ∇θ'[E_{N(m,C)} E_θ' − E_{law after K} E_θ']
// (negatives frozen) + w_KL ∇θ E_{q_θ}[E_θ̄], q_θ the law of the last step from the frozen law after K − 1.
struct ClosedForm {
  Vector<double> gradient;
  GaussianLaw last;  // the negatives' law
};
ClosedForm closed_form(const ember::GaussianEnergy<double>& model, const Vector<double>& m, const Matrix& c,
                       Index steps, double lambda_frozen, double sigma_frozen, double lambda, double sigma,
                       double w_kl) {
  const GaussianLaw before_last = ula_law(model, {m, c}, steps - 1, lambda_frozen, sigma_frozen);
  const GaussianLaw last = ula_law(model, before_last, 1, lambda, sigma);
  const Vector<double> gradient = fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) {
    return expected_energy(e, m, c) - expected_energy(e, last.mean, last.covariance) +
           w_kl * kl_objective(e, model, before_last.mean, before_last.covariance, lambda, sigma);
  });
  return {gradient, last};
}
}  // namespace

TEST_CASE("Improved CD (chains from the data, no entropy): the mean gradient is the closed form of CD + w_KL KL",
          "[improved_cd][oracle]") {
  // Data N(m, C); chains start at the data and take K ULA steps. By linearity of the gradient in the negatives'
  // law, E[gradient] = ∇θ'[E_{N(m,C)} E_θ' − E_{N(m_K,S_K)} E_θ'] (negatives frozen) + w_KL ∇θ E_{q_θ}[E_θ̄],
  // q_θ the law of one last step from the frozen N(m_{K−1}, S_{K−1}) (kl_objective). λ ≠ σ, and one step moves
  // the chains far, so every term (and each of its ingredients) is many standard errors from zero.
  const Index d = 2, steps = 3, batch = 256, batches = 400;
  const double lambda = 0.25, sigma = 0.6, w_kl = 1.5;
  const Vector<double> m = (Vector<double>(d) << 1.0, -0.5).finished();
  const Matrix c = random_spd(d, 74, 0.3);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << -0.3, 0.4).finished(),
                                                                        random_spd(d, 75, 0.6));
  ember::ImprovedContrastiveDivergence icd(ember::ReplayBuffer(d, ember::UniformInit<double>{-1.0, 1.0},
                                                               {.capacity = 512}),
                                           {.steps = steps, .gradient_step = lambda, .noise_scale = sigma,
                                            .kl_weight = w_kl, .entropy_weight = 0.0, .persistent = false});
  ember::Philox rng(31);
  std::vector<Vector<double>> gradients, kl_values;
  for (int b = 0; b < batches; ++b) {
    const Batch<double> data = sample_gaussian(m, c, batch, rng);
    const auto result = icd.estimate(model, data, rng);
    gradients.push_back(result.gradient);
    kl_values.push_back(Vector<double>::Constant(1, result.terms.kl));
  }
  const ClosedForm exact = closed_form(model, m, c, steps, lambda, sigma, lambda, sigma, w_kl);
  check_within_error(mean_and_error(gradients), exact.gradient);
  INFO("the KL term's value: mean E(x_K) under the law of K steps");
  check_within_error(mean_and_error(kl_values),
                     Vector<double>::Constant(1, expected_energy(model, exact.last.mean, exact.last.covariance)));
}

TEST_CASE("Improved CD with its own kernel for the first K - 1 steps: the mean gradient is the closed form of that "
          "kernel's law, and only the last step is Langevin's", "[improved_cd][oracle]") {
  // As above, but the K − 1 frozen steps are a ULA of another step (λ₂, σ₂) given as the kernel: the negatives'
  // law is K − 1 steps of (λ₂, σ₂) and one of (λ, σ), and the KL term differentiates that last one only.
  const Index d = 2, steps = 3, batch = 256, batches = 400;
  const double lambda = 0.25, sigma = 0.6, lambda2 = 0.1, sigma2 = 0.9, w_kl = 1.5;
  const Vector<double> m = (Vector<double>(d) << 1.0, -0.5).finished();
  const Matrix c = random_spd(d, 74, 0.3);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << -0.3, 0.4).finished(),
                                                                        random_spd(d, 75, 0.6));
  ember::ImprovedContrastiveDivergence icd(ember::Langevin<double>::decoupled(lambda2, sigma2),
                                           ember::ReplayBuffer(d, ember::UniformInit<double>{-1.0, 1.0},
                                                               {.capacity = 512}),
                                           {.steps = steps, .gradient_step = lambda, .noise_scale = sigma,
                                            .kl_weight = w_kl, .entropy_weight = 0.0, .persistent = false});
  ember::Philox rng(32);
  std::vector<Vector<double>> gradients;
  for (int b = 0; b < batches; ++b) {
    const Batch<double> data = sample_gaussian(m, c, batch, rng);
    const auto result = icd.estimate(model, data, rng);
    CHECK_FALSE(result.acceptance.has_value());  // an unadjusted kernel reports none
    gradients.push_back(result.gradient);
  }
  check_within_error(mean_and_error(gradients),
                     closed_form(model, m, c, steps, lambda2, sigma2, lambda, sigma, w_kl).gradient);
}

TEST_CASE("Improved CD with a MALA kernel reports its acceptance; the default kernel gives the bits it always gave",
          "[improved_cd]") {
  const auto model = ember::GaussianEnergy<double>::standard(2);
  const Batch<double> data = Batch<double>::Constant(16, 2, 0.5);
  const ember::ImprovedCdSettings<double> settings{.steps = 4, .gradient_step = 0.05, .noise_scale = 0.3};
  const auto buffer = [] { return ember::ReplayBuffer(2, ember::UniformInit<double>{-1.0, 1.0}, {.capacity = 64}); };
  ember::ImprovedContrastiveDivergence mala(ember::Mala<double>({.step_size = 0.5}), buffer(), settings);
  ember::Philox rng(3);
  const auto with_mala = mala.estimate(model, data, rng);
  REQUIRE(with_mala.acceptance.has_value());
  CHECK(*with_mala.acceptance > 0.0);
  CHECK(*with_mala.acceptance <= 1.0);
  // Du et al.'s form (all K steps Langevin) and the same Langevin given as the kernel: the same numbers.
  ember::ImprovedContrastiveDivergence plain(buffer(), settings);
  ember::ImprovedContrastiveDivergence given(ember::Langevin<double>::decoupled(0.05, 0.3), buffer(), settings);
  ember::Philox a(4), b(4);
  for (int i = 0; i < 3; ++i) {
    const auto x = plain.estimate(model, data, a);
    const auto y = given.estimate(model, data, b);
    CHECK(x.gradient == y.gradient);
    CHECK(plain.negatives() == given.negatives());
  }
}

TEST_CASE("Improved CD with in-order chains advances each slot in turn and writes it back in place",
          "[improved_cd]") {
  // Noise-free steps, so every chain's path is known: x ← x − λ∇E(x) with ∇E(x) = x (standard normal), i.e.
  // x ← (1 − λ)x. Capacity 2n: estimates take slots 0..n−1, then n..2n−1, then 0..n−1 again.
  const Index n = 4, steps = 2;
  const double lambda = 0.1;
  const auto model = ember::GaussianEnergy<double>::standard(2);
  ember::ImprovedContrastiveDivergence icd(ember::ReplayBuffer(2, ember::UniformInit<double>{-1.0, 1.0},
                                                               {.capacity = 2 * n, .reinit_probability = 0.0}),
                                           {.steps = steps, .gradient_step = lambda, .noise_scale = 0.0,
                                            .entropy_weight = 0.3, .chains = ember::PcdChains::in_order});
  ember::Philox rng(5);
  const Batch<double> data = Batch<double>::Constant(n, 2, 0.5);
  const double shrink = std::pow(1.0 - lambda, static_cast<double>(steps));
  icd.estimate(model, data, rng);  // fills the buffer, then moves slots 0..n−1
  const Batch<double> after_first = icd.buffer().stored();
  CHECK(icd.buffer().fill_count() == 2 * n);
  CHECK(after_first.topRows(n) == icd.negatives());  // written back in place, nothing pushed
  const auto second = icd.estimate(model, data, rng);
  CHECK(icd.negatives().isApprox(shrink * after_first.bottomRows(n), 1e-14));
  CHECK(icd.buffer().stored().topRows(n) == after_first.topRows(n));  // untouched by the second estimate
  // The neighbours are drawn before the write-back: no chain meets itself (that would be −log of a tiny
  // distance, ≈ +355 for doubles).
  CHECK(second.terms.entropy < 10.0);
  icd.estimate(model, data, rng);
  CHECK(icd.negatives().isApprox(shrink * after_first.topRows(n), 1e-14));

  CHECK_THROWS_WITH(icd.estimate(model, Batch<double>::Constant(2 * n + 1, 2, 0.5), rng),
                    Catch::Matchers::Contains("data.rows() = 9") && Catch::Matchers::Contains("capacity 8"));
  const auto reinitialised = [] {
    return ember::ReplayBuffer(2, ember::UniformInit<double>{}, {.capacity = 8, .reinit_probability = 0.05});
  };
  CHECK_THROWS_WITH(ember::ImprovedContrastiveDivergence(reinitialised(), {.chains = ember::PcdChains::in_order}),
                    Catch::Matchers::Contains("reinit_probability = 0.05"));
}

TEST_CASE("Improved CD: KL + entropy gradient matches finite differences with the noise held fixed",
          "[improved_cd][gradient]") {
  const Index d = 3, n = 12;
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Constant(d, 0.2), random_spd(d, 73));
  ember::test::Uniform uniform(5);
  const Batch<double> previous = uniform.next<Batch<double>>(n, d), xi = uniform.next<Batch<double>>(n, d);
  const Batch<double> neighbours = 2.0 * uniform.next<Batch<double>>(20, d);
  const double lambda = 0.05, sigma = 0.1, w_kl = 0.7, w_ent = 0.3;
  auto last_for = [&](const ember::GaussianEnergy<double>& e) {
    Vector<double> en(n);
    Batch<double> g(n, d);
    e.energy_and_gradient(previous, en, g);
    return Batch<double>(previous - lambda * g + sigma * xi);
  };
  auto loss = [&](const ember::GaussianEnergy<double>& e) {
    const Batch<double> last = last_for(e);
    Vector<double> en(n);
    model.energy(last, en);  // θ̄ frozen
    double entropy = 0;
    for (Index i = 0; i < n; ++i) entropy -= std::log((neighbours.rowwise() - last.row(i)).rowwise().norm().minCoeff());
    return w_kl * en.mean() + w_ent * entropy / n;
  };
  const Batch<double> last = last_for(model);
  Vector<double> g = Vector<double>::Zero(model.params().size());
  const auto terms = ember::accumulate_improved_cd_terms(model, ember::BatchView<double>(previous),
                                                         ember::BatchView<double>(last),
                                                         ember::BatchView<double>(neighbours), lambda, w_kl, w_ent,
                                                         ember::VectorRef<double>(g));
  CHECK(w_kl * terms.kl + w_ent * terms.entropy == Approx(loss(model)).epsilon(1e-12));
  CHECK(relative_error(g, fd_gradient(model, loss)) < fd_tolerance);
}

TEST_CASE("Improved CD: an estimate combines the terms, fills the buffer and reports finite numbers", "[improved_cd]") {
  auto model = ember::GaussianEnergy<float>::standard(2);
  ember::ImprovedContrastiveDivergence icd(ember::ReplayBuffer(2, ember::UniformInit<float>{-1.0f, 1.0f},
                                                               {.capacity = 100}),
                                           {.steps = 10, .gradient_step = 0.05f, .noise_scale = 0.01f,
                                            .energy_regularization = 0.1f});
  ember::Philox rng(2);
  const Batch<float> data = Batch<float>::Constant(32, 2, 0.5f);
  auto first = icd.estimate(model, data, rng);
  CHECK(first.terms.entropy == 0.0f);  // empty buffer: no neighbours yet
  CHECK(icd.buffer().fill_count() == 32);
  auto second = icd.estimate(model, data, rng);
  CHECK(second.terms.entropy != 0.0f);
  CHECK(second.gradient.allFinite());
  CHECK(std::isfinite(second.loss));
  CHECK_THROWS_WITH(ember::ImprovedContrastiveDivergence(ember::ReplayBuffer(2, ember::UniformInit<float>{}),
                                                         {.kl_weight = -1.0f}),
                    Catch::Matchers::Contains("kl_weight = -1"));
}
