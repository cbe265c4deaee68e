// Tests include/ember/energy/rbm.hpp's fused training hook (energy_and_accumulate_param_gradient,
// ember::FusedParametricEnergy) and its threaded products: the hook equals energy() + accumulate_param_gradient(),
// CD-1 trains alike with and without it, and every result is bit-identical for any worker count.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <tuple>

#include "ember/core/concepts.hpp"
#include "ember/simd/random.hpp"
#include "ember/divergence/cd.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/mcmc/gibbs.hpp"
#include "ember/train/sgd.hpp"
#include "support/finite_difference.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {

// Shapes that cut into several column blocks (Rbm::column_block = 128 columns) with a ragged last block.
constexpr Index visible = 140, hidden = 300, fused_rows = 37;

template <class R>
R random_rbm(std::uint64_t seed, double scale = 0.2) {
  return ember::test::random_rbm<R>(visible, hidden, seed, scale);
}

template <class R>
Batch<typename R::scalar_type> points_for(std::uint64_t seed) {
  using T = typename R::scalar_type;
  ember::Philox rng(seed);
  Batch<T> x(fused_rows, visible);
  if constexpr (R::visible_units == ember::VisibleUnits::bernoulli) {
    ember::BernoulliInit<T>{}(x, rng);
  } else {
    rng.normal(x);
  }
  return x;
}

// The RBM without the fused hook: forwards everything else, so ember::Contrastive takes its generic path.
template <class R>
struct WithoutFusedHook {
  using scalar_type = typename R::scalar_type;
  using T = scalar_type;
  static constexpr ember::VisibleUnits visible_units = R::visible_units;
  R rbm;
  [[nodiscard]] Index dim() const { return rbm.dim(); }
  [[nodiscard]] Index n_visible() const { return rbm.n_visible(); }
  [[nodiscard]] Index n_hidden() const { return rbm.n_hidden(); }
  Vector<T>& params() { return rbm.params(); }
  const Vector<T>& params() const { return rbm.params(); }
  auto weights() const { return rbm.weights(); }
  auto visible_bias() const { return rbm.visible_bias(); }
  auto hidden_bias() const { return rbm.hidden_bias(); }
  void hidden_input(ember::BatchView<T> v, ember::BatchRef<T> a) const { rbm.hidden_input(v, a); }
  void visible_input(ember::BatchView<T> h, ember::BatchRef<T> a) const { rbm.visible_input(h, a); }
  void energy(ember::BatchView<T> x, ember::VectorRef<T> e) const { rbm.energy(x, e); }
  void energy_and_gradient(ember::BatchView<T> x, ember::VectorRef<T> e, ember::BatchRef<T> g) const {
    rbm.energy_and_gradient(x, e, g);
  }
  void accumulate_param_gradient(ember::BatchView<T> x, ember::VectorView<T> w, ember::VectorRef<T> g) const {
    rbm.accumulate_param_gradient(x, w, g);
  }
  void accumulate_mixed_gradient(ember::BatchView<T> x, ember::BatchView<T> u, ember::VectorRef<T> g) const {
    rbm.accumulate_mixed_gradient(x, u, g);
  }
};

static_assert(ember::FusedParametricEnergy<ember::BernoulliRbm<float>>);
static_assert(ember::FusedParametricEnergy<ember::GaussianBernoulliRbm<double>>);
static_assert(ember::RbmEnergy<WithoutFusedHook<ember::BernoulliRbm<float>>>);
static_assert(!ember::FusedParametricEnergy<WithoutFusedHook<ember::BernoulliRbm<float>>>);

template <class R>
void check_hook_equals_separate_calls() {
  using T = typename R::scalar_type;
  const R rbm = random_rbm<R>(3);
  const Batch<T> x = points_for<R>(4);
  for (const T b : {T(0), T(0.03)}) {
    INFO("b = " << b);
    const T a = T(-1) / T(fused_rows);
    Vector<T> e_fused(fused_rows), e(fused_rows);
    Vector<T> g_fused = Vector<T>::Constant(rbm.num_params(), T(0.25)), g = g_fused;  // accumulates
    rbm.energy_and_accumulate_param_gradient(x, e_fused, a, b, g_fused);
    rbm.energy(x, e);
    const Vector<T> w = (a + b * e.array()).matrix();
    rbm.accumulate_param_gradient(x, w, g);
    // The same arithmetic in the same order: equal but for a possible contraction of a + b·e into an FMA.
    const double tol = 16 * std::numeric_limits<T>::epsilon();
    CHECK(ember::test::relative_error(e_fused, e) <= tol);
    CHECK(ember::test::relative_error(g_fused, g) <= tol);
    if (b == T(0)) {  // weights exactly a: bit for bit
      CHECK(e_fused == e);
      CHECK(g_fused == g);
    }
  }
}

// CD-1 + SGD for `steps` updates from the same start and seed; returns the parameters.
template <class E>
Vector<typename E::scalar_type> train_cd1(E energy, typename E::scalar_type alpha, int steps) {
  using T = typename E::scalar_type;
  ember::Philox rng(21);
  Batch<T> data(16, visible);
  ember::BernoulliInit<T>{}(data, rng);
  ember::ContrastiveDivergence cd(ember::BlockGibbs<T>{}, ember::CdSettings<T>{.steps = 1, .energy_regularization = alpha});
  ember::Sgd<T> sgd({.learning_rate = T(0.05), .momentum = T(0.5)});
  for (int s = 0; s < steps; ++s) {
    auto result = cd.estimate(energy, data, rng);
    sgd.step(energy.params(), result.gradient, ember::pool_of(energy));  // a threaded RBM's owners update θ
  }
  return energy.params();
}

}  // namespace

TEMPLATE_TEST_CASE("Rbm: the fused hook equals energy() + accumulate_param_gradient() (both visible kinds)",
                   "[rbm][fused]", float, double) {
  check_hook_equals_separate_calls<ember::BernoulliRbm<TestType>>();
  check_hook_equals_separate_calls<ember::GaussianBernoulliRbm<TestType>>();
}

TEST_CASE("Rbm: the fused hook's gradient matches central finite differences of sum (a + b e_i) e_i", "[rbm][fused][gradient]") {
  // θ-derivative of Σᵢ (a + b·eᵢ)·eᵢ with e fixed inside the weight: the weights are constants of the hook.
  auto rbm = random_rbm<ember::GaussianBernoulliRbm<double>>(8, 0.3);
  const Batch<double> x = points_for<ember::GaussianBernoulliRbm<double>>(9);
  const double a = 0.7, b = -0.2;
  Vector<double> e(fused_rows), g = Vector<double>::Zero(rbm.num_params());
  rbm.energy_and_accumulate_param_gradient(x, e, a, b, g);
  const Vector<double> w = (a + b * e.array()).matrix();
  Vector<double> numeric(rbm.num_params()), ep(fused_rows), em(fused_rows);
  for (Index k = 0; k < rbm.num_params(); k += 97) {  // every 97th parameter: W, b and c all sampled
    const double saved = rbm.params()(k), h = ember::test::fd_step(saved);
    rbm.params()(k) = saved + h;
    rbm.energy(x, ep);
    rbm.params()(k) = saved - h;
    rbm.energy(x, em);
    rbm.params()(k) = saved;
    INFO("parameter " << k);
    CHECK(std::abs(g(k) - w.dot(ep - em) / (2 * h)) < ember::test::fd_tolerance * (1 + std::abs(g(k))));
  }
}

TEMPLATE_TEST_CASE("ContrastiveDivergence: CD-1 trains an RBM to the same parameters with and without the fused hook",
                   "[rbm][fused][training]", float, double) {
  const auto init = random_rbm<ember::BernoulliRbm<TestType>>(13, 0.05);
  const Vector<TestType> fused = train_cd1(init, TestType(0), 20);
  const Vector<TestType> generic = train_cd1(WithoutFusedHook<ember::BernoulliRbm<TestType>>{init}, TestType(0), 20);
  CHECK((fused - init.params()).norm() > 0.01);  // it did train
  CHECK(fused == generic);                       // weights ±1/N exactly: bit for bit
}

TEST_CASE("ContrastiveDivergence: with the energy^2 regulariser the fused and generic paths agree to rounding",
          "[rbm][fused][training]") {
  const auto init = random_rbm<ember::BernoulliRbm<double>>(14, 0.05);
  const Vector<double> fused = train_cd1(init, 0.01, 10);
  const Vector<double> generic = train_cd1(WithoutFusedHook<ember::BernoulliRbm<double>>{init}, 0.01, 10);
  CHECK((fused - init.params()).norm() > 0.01);
  CHECK(ember::test::relative_error(fused, generic) < 1e-12);
}

TEMPLATE_TEST_CASE("Rbm: every product is bit-identical for 1, 2 and 3 workers", "[rbm][threads]", float, double) {
  using R = ember::BernoulliRbm<TestType>;
  const R serial = random_rbm<R>(15);
  const Batch<TestType> x = points_for<R>(16);
  Batch<TestType> hid(fused_rows, hidden);
  ember::Philox(17).normal(hid);
  auto outputs = [&](const R& rbm) {
    Vector<TestType> e(fused_rows), e2(fused_rows), e3(fused_rows);
    Batch<TestType> a(fused_rows, hidden), p(fused_rows, hidden), v(fused_rows, visible), gx(fused_rows, visible);
    Vector<TestType> g = Vector<TestType>::Zero(rbm.num_params()), g2 = g;
    rbm.energy(x, e);
    rbm.energy_and_gradient(x, e2, gx);
    rbm.hidden_input(x, a);
    rbm.hidden_probabilities(x, p);
    rbm.visible_input(hid, v);
    rbm.accumulate_param_gradient(x, e, g);
    rbm.energy_and_accumulate_param_gradient(x, e3, TestType(0.1), TestType(0.2), g2);
    return std::tuple(e, e2, gx, a, p, v, g, e3, g2);
  };
  const auto reference = outputs(serial);
  for (int workers : {2, 3}) {
    INFO("workers " << workers);
    R threaded = serial;
    threaded.set_workers(workers);
    CHECK(threaded.workers() == workers);
    CHECK(outputs(threaded) == reference);
  }
  CHECK(serial.workers() == 1);
  R bad = serial;
  CHECK_THROWS_AS(bad.set_workers(0), ember::invalid_argument);
}

TEST_CASE("ContrastiveDivergence: CD-1 on a threaded RBM trains to bit-identical parameters", "[rbm][threads][training]") {
  const auto init = random_rbm<ember::BernoulliRbm<float>>(18, 0.05);
  auto threaded = init;
  threaded.set_workers(2);
  CHECK(train_cd1(threaded, 0.0f, 10) == train_cd1(init, 0.0f, 10));
}
