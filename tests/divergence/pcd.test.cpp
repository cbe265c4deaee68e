#include "ember/divergence/pcd.hpp"

#include <catch2/catch.hpp>

#include "divergence/gaussian_oracle.hpp"
#include "ember/mcmc/gaussian_posterior.hpp"
#include "ember/mcmc/langevin.hpp"

#include <cmath>

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

TEST_CASE("PCD in order (Tieleman): every persistent chain advances exactly once per pass, in slot order",
          "[pcd][tieleman]") {
  const auto model = ember::GaussianEnergy<double>::standard(1);
  // Noiseless gradient descent halves a chain exactly at each advance: a chain's value tells how often it moved.
  auto make = [](ember::PcdChains chains) {
    return ember::PersistentContrastiveDivergence(
        ember::Langevin<double>::decoupled(0.5, 0.0),
        ember::ReplayBuffer(1, ember::UniformInit<double>{1.0, 2.0}, {.capacity = 12, .reinit_probability = 0.0}),
        {.chains = chains});
  };
  auto pcd = make(ember::PcdChains::in_order);
  ember::Philox rng(4);
  const Batch<double> data = Batch<double>::Zero(4, 1);
  pcd.buffer().fill(rng);
  const Batch<double> initial = pcd.buffer().stored();
  for (Index update = 0; update < 9; ++update) {  // 3 passes over 12 chains, 4 per update
    pcd.estimate(model, data, rng);
    INFO("update " << update);
    for (Index i = 0; i < 4; ++i) {  // this update advanced slots 4u … 4u + 3 (mod 12), in order
      CHECK(pcd.buffer().last_slots()[static_cast<std::size_t>(i)] == (4 * update + i) % 12);
      CHECK(pcd.negatives()(i, 0) == pcd.buffer().stored()((4 * update + i) % 12, 0));
    }
    const Index passes = (update + 1) / 3;
    if ((update + 1) % 3 == 0) {  // after each full pass every chain has moved exactly `passes` times
      const Batch<double> expected = initial * std::ldexp(1.0, -static_cast<int>(passes));
      CHECK(pcd.buffer().stored() == expected);
    }
  }
  // The replay-buffer mode (the default) draws with replacement: after as many updates, some chains moved
  // twice or more and others never.
  auto sampled = make(ember::PcdChains::sampled);
  CHECK(ember::PcdSettings<double>{}.chains == ember::PcdChains::sampled);
  ember::Philox rng2(4);
  sampled.buffer().fill(rng2);
  const Batch<double> start = sampled.buffer().stored();
  for (int update = 0; update < 3; ++update) sampled.estimate(model, data, rng2);
  const Batch<double> ratio = sampled.buffer().stored().cwiseQuotient(start);
  CHECK(ratio.maxCoeff() == 1.0);   // a chain that never moved
  CHECK(ratio.minCoeff() <= 0.25);  // a chain that moved at least twice

  using Catch::Matchers::Contains;
  const Batch<double> too_many = Batch<double>::Zero(13, 1);
  CHECK_THROWS_WITH(pcd.estimate(model, too_many, rng), Contains("data.rows() = 13") && Contains("capacity 12"));
  CHECK_THROWS_WITH(ember::PersistentContrastiveDivergence(
                        ember::Langevin<double>::decoupled(0.5, 0.0),
                        ember::ReplayBuffer(1, ember::UniformInit<double>{1.0, 2.0}, {.capacity = 12}),
                        {.chains = ember::PcdChains::in_order}),
                    Contains("reinit_probability = 0.05") && Contains("in_order"));
}
