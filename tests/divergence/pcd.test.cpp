#include "ember/divergence/pcd.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/gaussian_posterior.hpp"
#include "ember/mcmc/langevin.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;
using namespace ember::test;

TEST_CASE("PCD with an exact kernel: mean gradient = grad KL(p_d | p_theta)", "[pcd][oracle]") {
  const Index d = 2;
  const Vector<double> m = (Vector<double>(d) << 0.2, -0.6).finished();
  const Matrix c = random_spd(d, 51);
  const auto model = ember::GaussianEnergy<double>::from_mean_precision((Vector<double>(d) << 0.5, 0.0).finished(),
                                                                        random_spd(d, 52));
  ember::PersistentContrastiveDivergence pcd(ember::GaussianPosterior<double>{},
                                             ember::ReplayBuffer(d, ember::UniformInit<double>{-3.0, 3.0},
                                                                 {.capacity = 256, .reinit_probability = 0.05}));
  ember::Philox rng(6);
  std::vector<Vector<double>> gradients;
  for (int b = 0; b < 300; ++b) gradients.push_back(pcd.estimate(model, sample_gaussian(m, c, 256, rng), rng).gradient);
  const Vector<double> exact =
      fd_gradient(model, [&](const ember::GaussianEnergy<double>& e) { return kl(m, c, e.mean(), e.covariance()); });
  check_within_error(mean_and_error(gradients), exact);
}

TEST_CASE("PCD: chains persist in the buffer between estimates", "[pcd]") {
  const auto model = ember::GaussianEnergy<double>::standard(1);
  // Gradient descent without noise (σ = 0) and no re-initialisation: each estimate halves exactly the chains it
  // drew, writes them back to their slots, and leaves every other slot untouched.
  ember::PersistentContrastiveDivergence pcd(ember::Langevin<double>::decoupled(0.5, 0.0),
                                             ember::ReplayBuffer(1, ember::UniformInit<double>{1.0, 2.0},
                                                                 {.capacity = 16, .reinit_probability = 0.0}));
  ember::Philox rng(2);
  const Batch<double> data = Batch<double>::Zero(8, 1);
  pcd.estimate(model, data, rng);  // fills the buffer, then moves 8 chains
  for (int k = 0; k < 4; ++k) {
    const Batch<double> before = pcd.buffer().stored();
    pcd.estimate(model, data, rng);
    Batch<double> expected = before;
    for (const Index slot : pcd.buffer().last_slots()) expected(slot, 0) = 0.5 * before(slot, 0);
    CHECK(pcd.buffer().stored() == expected);
    CHECK(pcd.negatives().minCoeff() > 0.0);
  }
}
