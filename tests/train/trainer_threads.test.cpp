// The whole training loop gives the same bits for any number of workers: the sampler's row blocks, and after
// it the energies and ∇θ that ember::Contrastive runs on the kernel's pool (MlpEnergy::accumulate_param_gradients);
// for an RBM, its column blocks, the gradient's zeroing and the optimizer's step on its pool (Rbm::pool).
#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "ember/core/parallel.hpp"
#include "ember/simd/random.hpp"
#include "ember/data/toy2d.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/divergence/dcd.hpp"
#include "ember/divergence/pcd.hpp"
#include "ember/energy/mlp.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/mcmc/replay_buffer.hpp"
#include "ember/train/adam.hpp"
#include "ember/train/sgd.hpp"
#include "ember/train/trainer.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {
// ember-toy2d's demo shape (8gaussians, MLP 2 → h → h → 1, Adam, K ULA steps): the parameters after `updates`.
template <class MakeEstimator>
Vector<float> train_demo(MakeEstimator make, int workers, Index hidden, Index batch, Index updates) {
  ember::Philox data_rng(1);
  const auto data = ember::Toy2d<float>::named("8gaussians").sample(2000, data_rng);
  ember::MlpEnergy<float> model({2, hidden, hidden}, 1, {.base_scale = 4.0f});
  ember::Adam<float> adam({.learning_rate = 1e-2f});
  auto estimator = make(ember::Langevin<float>({.step_size = 0.01f, .workers = workers}));
  ember::train(estimator, model, adam, data, {.iterations = updates, .batch_size = batch, .seed = 2},
               ember::SilentProgress{});
  return model.params();
}

template <class MakeEstimator>
void check_workers(MakeEstimator make) {
  for (const auto& [hidden, batch] : {std::pair<Index, Index>{128, 256}, {40, 300}, {24, 19}}) {
    CAPTURE(hidden, batch);
    const auto one = train_demo(make, 1, hidden, batch, 4);
    CHECK(one == train_demo(make, 2, hidden, batch, 4));
    CHECK(one == train_demo(make, 3, hidden, batch, 4));
  }
}
}  // namespace

TEST_CASE("train with CD, DCD and PCD on an MLP: workers 1, 2 and 3 give the same parameters", "[trainer][threads]") {
  SECTION("CD") {
    check_workers([](ember::Langevin<float> k) { return ember::ContrastiveDivergence(k, {.steps = 3}); });
  }
  SECTION("DCD") {
    check_workers([](ember::Langevin<float> k) {
      return ember::DiffusionContrastiveDivergence(
          k, ember::DcdSettings<float>{.noise_min = 0.1f, .noise_max = 0.3f, .steps = 3});
    });
  }
  SECTION("PCD with the energy regulariser") {
    check_workers([](ember::Langevin<float> k) {
      return ember::PersistentContrastiveDivergence(
          k, ember::ReplayBuffer(2, ember::UniformInit<float>{-4.0f, 4.0f}, {.capacity = 1000}),
          ember::PcdSettings<float>{.steps = 2, .energy_regularization = 0.1f});
    });
  }
}

TEMPLATE_TEST_CASE("MlpEnergy::accumulate_param_gradients on a pool is the two serial calls, bit for bit",
                   "[mlp][threads]", float, double) {
  using T = TestType;
  ember::ThreadPool two(2), three(3);
  const std::vector<std::vector<Index>> shapes = {{2, 128, 128}, {3, 64, 48, 32}, {4, 24, 1, 8}, {5, 16}, {4}};
  for (const auto& widths : shapes) {
    for (const auto& [n, m] : {std::pair<Index, Index>{256, 256}, {300, 77}, {7, 40}, {1000, 333}}) {  // 1000: several row passes
      CAPTURE(widths, n, m);
      const ember::MlpEnergy<T> energy(widths, 5, {.base_scale = T(3)});
      ember::Philox rng(6);
      Batch<T> positives(n, widths[0]), negatives(m, widths[0]);
      rng.normal(positives);
      rng.normal(negatives);
      Batch<T> weights(n + m, 1);
      rng.normal(weights);
      const Vector<T> wp = weights.col(0).head(n), wn = weights.col(0).tail(m);
      Vector<T> serial = Vector<T>::Constant(energy.num_params(), T(0.25));
      energy.accumulate_param_gradient(positives, wp, serial);
      energy.accumulate_param_gradient(negatives, wn, serial);
      for (ember::ThreadPool* pool : {static_cast<ember::ThreadPool*>(nullptr), &two, &three}) {
        Vector<T> pooled = Vector<T>::Constant(energy.num_params(), T(0.25));
        energy.accumulate_param_gradients(positives, wp, negatives, wn, pooled, pool);
        CHECK(pooled == serial);
      }
    }
  }
}

TEST_CASE("train with CD-1 on an RBM: workers 1, 2 and 3 give the same parameters (Sgd steps on the RBM's pool)",
          "[trainer][threads][rbm]") {
  // 200 visible × 300 hidden: three column blocks of W and θ split into ranges that do not fall on them.
  ember::Philox rng(4);
  const auto init = ember::BernoulliRbm<float>::random(200, 300, rng, 0.05f);
  Batch<float> data(64, 200);
  ember::BernoulliInit<float>{}(data, rng);
  const auto train_with = [&](int workers) {
    auto rbm = init;
    if (workers > 1) rbm.set_workers(workers);
    ember::ContrastiveDivergence cd(ember::BlockGibbs<float>{}, ember::CdSettings<float>{.steps = 1});
    ember::Sgd<float> sgd({.learning_rate = 0.05f, .momentum = 0.5f, .weight_decay = 1e-4f});
    ember::train(cd, rbm, sgd, data, {.iterations = 6, .batch_size = 32, .seed = 3}, ember::SilentProgress{});
    return Vector<float>(rbm.params());
  };
  const Vector<float> one = train_with(1);
  CHECK((one - init.params()).norm() > 0.01f);  // it trained
  CHECK(train_with(2) == one);
  CHECK(train_with(3) == one);
}

namespace {
// An SGD step that then breaks the last parameter at iteration `bad`: the check after the update must find it in
// the last worker's range of θ.
struct BreaksLastParameter {
  ember::Sgd<float> sgd{{.learning_rate = 0.05f}};
  int bad = 2, calls = 0;
  void step(Vector<float>& params, const Vector<float>& gradient) {
    sgd.step(params, gradient);
    if (++calls == bad) params(params.size() - 1) = std::numeric_limits<float>::quiet_NaN();
  }
};
}  // namespace

TEST_CASE("train on a threaded RBM: a non-finite update in the last worker's part of θ is undone and reported",
          "[trainer][threads][rbm][errors]") {
  ember::Philox rng(5);
  auto rbm = ember::BernoulliRbm<float>::random(200, 300, rng, 0.05f);
  rbm.set_workers(2);
  Batch<float> data(64, 200);
  ember::BernoulliInit<float>{}(data, rng);
  ember::ContrastiveDivergence cd(ember::BlockGibbs<float>{}, ember::CdSettings<float>{.steps = 1});
  BreaksLastParameter optimizer;
  Vector<float> after_first;
  try {
    ember::train(cd, rbm, optimizer, data, {.iterations = 4, .batch_size = 32, .seed = 3},
                 [&](const ember::TrainProgress& p) { if (p.iteration == 1) after_first = rbm.params(); });
    FAIL("the NaN parameter was not reported");
  } catch (const ember::training_diverged& e) {
    CHECK(e.iteration() == 2);
    CHECK(e.quantity() == "params");
  }
  REQUIRE(after_first.size() == rbm.params().size());
  CHECK(rbm.params() == after_first);  // θ before the failed update, bit for bit
}
