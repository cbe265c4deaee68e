// Tests include/ember/divergence/with_sparsity.hpp: the wrapper returns the wrapped estimate plus exactly
// Rbm::accumulate_sparsity_gradient of the data batch (nothing when the strength is 0), and refuses bad settings
// naming the argument and its value. (Training with it end to end: tests/train/trainer_rbm.test.cpp.)
#include "ember/divergence/with_sparsity.hpp"

#include <catch2/catch.hpp>

#include "ember/core/concepts.hpp"
#include "ember/simd/random.hpp"
#include "ember/divergence/contrastive.hpp"
#include "ember/energy/rbm.hpp"
#include "support/random_batch.hpp"
#include "support/random_rbm.hpp"

namespace {

// A fixed estimate: loss 1, mean energies 2 and 3, gradient 0.5 everywhere; counts its calls.
struct FixedEstimator {
  int calls = 0;
  template <class E, class G>
  ember::EstimatorResult<double> estimate(const E& energy, ember::BatchView<double>, G&) {
    ++calls;
    ember::EstimatorResult<double> r;
    r.loss = 1;
    r.positive_energy = 2;
    r.negative_energy = 3;
    r.gradient = ember::Vector<double>::Constant(energy.num_params(), 0.5);
    return r;
  }
};

}  // namespace

static_assert(ember::Estimator<ember::WithSparsity<FixedEstimator, double>, ember::BernoulliRbm<double>, ember::Philox>,
              "WithSparsity around an estimator is itself an ember::Estimator");

TEST_CASE("WithSparsity adds exactly the RBM's sparsity gradient to the wrapped estimate", "[divergence][sparsity]") {
  const auto rbm = ember::test::random_rbm<ember::BernoulliRbm<double>>(6, 4, 3, 0.5);
  const ember::Batch<double> data = ember::test::binary_batch<double>(20, 6, 4);
  ember::Philox rng(5);
  const ember::SparsitySettings<double> settings{.target = 0.1, .strength = 0.7};
  ember::WithSparsity sparse(FixedEstimator{}, settings);
  const auto result = sparse.estimate(rbm, data, rng);
  ember::Vector<double> expected = ember::Vector<double>::Constant(rbm.num_params(), 0.5);
  rbm.accumulate_sparsity_gradient(data, settings.target, settings.strength, expected);
  CHECK(sparse.estimator().calls == 1);
  CHECK(result.gradient == expected);  // the same operations in the same order: bit for bit
  CHECK((result.gradient.array() != 0.5).any());
  CHECK(result.loss == 1);  // the loss and diagnostics are the wrapped estimator's
  CHECK(result.positive_energy == 2);
  CHECK(result.negative_energy == 3);

  ember::WithSparsity off(FixedEstimator{}, ember::SparsitySettings<double>{.target = 0.1, .strength = 0});
  CHECK(off.estimate(rbm, data, rng).gradient == ember::Vector<double>::Constant(rbm.num_params(), 0.5));
}

TEST_CASE("WithSparsity refuses a target outside (0, 1) and a negative or non-finite strength", "[divergence][sparsity]") {
  using Settings = ember::SparsitySettings<double>;
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(ember::WithSparsity(FixedEstimator{}, Settings{.target = 1.0, .strength = 1}),
                       ember::invalid_argument, Message("ember::WithSparsity: target = 1: must lie in (0, 1)"));
  CHECK_THROWS_MATCHES(ember::WithSparsity(FixedEstimator{}, Settings{.target = 0.5, .strength = -2}),
                       ember::invalid_argument, Message("ember::WithSparsity: strength = -2: must be finite and >= 0"));
}
