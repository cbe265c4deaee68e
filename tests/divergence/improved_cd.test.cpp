#include "ember/divergence/improved_cd.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"

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

TEST_CASE("Improved CD: KL + entropy gradient matches finite differences with the noise held fixed",
          "[improved_cd][gradient]") {
  const Index d = 3, n = 12;
  const auto model = ember::GaussianEnergy<double>::from_mean_precision(Vector<double>::Constant(d, 0.2), random_spd(d, 73));
  std::srand(5);
  const Batch<double> previous = Batch<double>::Random(n, d), xi = Batch<double>::Random(n, d);
  const Batch<double> neighbours = 2.0 * Batch<double>::Random(20, d);
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
  CHECK(second.terms.kl == Approx(second.negative_energy));
  CHECK_THROWS_WITH(ember::ImprovedContrastiveDivergence(ember::ReplayBuffer(2, ember::UniformInit<float>{}),
                                                         {.kl_weight = -1.0f}),
                    Catch::Matchers::Contains("kl_weight = -1"));
}
