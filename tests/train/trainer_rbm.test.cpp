// Tests include/ember/train/trainer.hpp with an RBM, end to end: the shared CD-k / PCD estimators (and
// ember::WithSparsity), optimizers and trainer with the RBM energy and its block Gibbs kernel (no RBM-specific
// estimator code), judged by the exact log-likelihood.
#include <catch2/catch.hpp>

#include <cmath>

#include "ember/simd/random.hpp"
#include "ember/data/bars_and_stripes.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/divergence/with_sparsity.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "ember/mcmc/replay_buffer.hpp"
#include "ember/metrics/rbm_log_partition.hpp"
#include "ember/train/sgd.hpp"
#include "ember/train/trainer.hpp"

using ember::Batch;
using ember::BernoulliRbm;

namespace {
constexpr double uniform_log_likelihood = -16 * 0.69314718055994531;  // every 16-pixel image equally likely
}

TEMPLATE_TEST_CASE("CD-1 with block Gibbs raises the exact log-likelihood of 4x4 bars-and-stripes", "[training]", float,
                   double) {
  const Batch<TestType> data = ember::bars_and_stripes_patterns<TestType>(4);
  ember::Philox rng(3);
  auto rbm = BernoulliRbm<TestType>::random(16, 16, rng, TestType(0.01));
  const double before = ember::exact_average_log_likelihood(rbm, data);
  CHECK(std::abs(before - uniform_log_likelihood) < 0.05);  // tiny weights: close to uniform
  ember::ContrastiveDivergence cd(ember::BlockGibbs<TestType>{}, ember::CdSettings<TestType>{.steps = 1});
  ember::Sgd<TestType> sgd({.learning_rate = TestType(0.1), .momentum = TestType(0.5)});
  ember::train(cd, rbm, sgd, data, {.iterations = 1500, .batch_size = 30, .seed = 4}, ember::SilentProgress{});
  const double after = ember::exact_average_log_likelihood(rbm, data);
  INFO("average log-likelihood " << before << " -> " << after << " (the best possible is log(1/30) = -3.40)");
  // The data set holds 30 of 65536 images: a model that learned anything about it gains several nats.
  CHECK(after > before + 3.0);
  CHECK(after < std::log(1.0 / 30.0));  // and no model beats the empirical distribution
}

TEST_CASE("PCD with persistent Gibbs chains and sparsity-regularised CD train through the shared trainer", "[training]") {
  const Batch<double> data = ember::bars_and_stripes_patterns<double>(4);
  ember::Philox rng(5);
  const auto init = BernoulliRbm<double>::random(16, 16, rng, 0.01);

  auto rbm = init;
  ember::PersistentContrastiveDivergence pcd(
      ember::BlockGibbs<double>{}, ember::ReplayBuffer<double, ember::BernoulliInit<double>>(16, {}, {.capacity = 30, .reinit_probability = 0.0}),
      ember::PcdSettings<double>{.steps = 1});
  ember::Sgd<double> sgd({.learning_rate = 0.05, .momentum = 0.5});
  ember::train(pcd, rbm, sgd, data, {.iterations = 1500, .batch_size = 30, .seed = 6}, ember::SilentProgress{});
  const double pcd_ll = ember::exact_average_log_likelihood(rbm, data);
  INFO("PCD average log-likelihood " << pcd_ll);
  CHECK(pcd_ll > uniform_log_likelihood + 3.0);

  // Sparsity: the same CD-1 run with a strong pull toward mean activation 0.05 ends with sparser hidden units.
  auto dense = init, sparse = init;
  ember::ContrastiveDivergence cd(ember::BlockGibbs<double>{}, ember::CdSettings<double>{.steps = 1});
  ember::WithSparsity cd_sparse(cd, ember::SparsitySettings<double>{.target = 0.05, .strength = 1.0});
  ember::Sgd<double> sgd_a({.learning_rate = 0.1}), sgd_b({.learning_rate = 0.1});
  ember::train(cd, dense, sgd_a, data, {.iterations = 500, .batch_size = 30, .seed = 7}, ember::SilentProgress{});
  ember::train(cd_sparse, sparse, sgd_b, data, {.iterations = 500, .batch_size = 30, .seed = 7}, ember::SilentProgress{});
  auto mean_activation = [&](const BernoulliRbm<double>& model) {
    Batch<double> p(data.rows(), 16);
    model.hidden_input(data, p);
    return p.unaryExpr([](double a) { return 1 / (1 + std::exp(-a)); }).mean();
  };
  INFO("mean hidden activation: plain " << mean_activation(dense) << ", sparse " << mean_activation(sparse));
  CHECK(mean_activation(sparse) < mean_activation(dense));
  CHECK(std::abs(mean_activation(sparse) - 0.05) < std::abs(mean_activation(dense) - 0.05));
}
