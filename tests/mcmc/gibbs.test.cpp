// Tests include/ember/mcmc/gibbs.hpp.
#include "ember/mcmc/gibbs.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"
#include "support/statistics.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::BlockGibbs;
using ember::Index;
using ember::Vector;

static_assert(ember::Kernel<BlockGibbs<float>, ember::BernoulliRbm<float>, ember::Philox>);
static_assert(ember::Kernel<BlockGibbs<double>, ember::GaussianBernoulliRbm<double>, ember::Philox>);
static_assert(ember::RbmEnergy<ember::BernoulliRbm<float>>);

namespace {

template <class R>
R test_rbm(Index d, Index h, std::uint64_t seed) {
  return ember::test::random_rbm<R>(d, h, seed, 0.8, 0.5);
}

// Upper α quantile of χ² with k degrees of freedom (Wilson–Hilferty; accurate to < 1% for k ≥ 5).
double chi2_critical(double k, double z_alpha) {
  const double a = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - a + z_alpha * std::sqrt(a), 3);
}
constexpr double z_alpha_1e3 = 3.0902;  // standard normal upper 10⁻³ quantile

double chi2(const std::vector<double>& counts, const std::vector<double>& probabilities, double n) {
  double stat = 0;
  for (std::size_t s = 0; s < counts.size(); ++s) {
    const double expected = n * probabilities[s];
    REQUIRE(expected >= 5);  // the χ² approximation holds
    stat += (counts[s] - expected) * (counts[s] - expected) / expected;
  }
  return stat;
}

// An RBM whose conditionals take no per-block epilogue (as a user's RbmEnergy may): BlockGibbs samples it whole.
template <class R>
struct WithoutEpilogue : R {
  using T = typename R::scalar_type;
  explicit WithoutEpilogue(const R& rbm) : R(rbm) {}
  void hidden_input(ember::BatchView<T> v, ember::BatchRef<T> a) const { R::hidden_input(v, a); }
  void visible_input(ember::BatchView<T> h, ember::BatchRef<T> a) const { R::visible_input(h, a); }
};
static_assert(ember::detail::ConditionalsWithEpilogue<ember::BernoulliRbm<float>>);
static_assert(!ember::detail::ConditionalsWithEpilogue<WithoutEpilogue<ember::BernoulliRbm<float>>>);
static_assert(ember::detail::DrawStartsAtCoordinate<ember::PhiloxDraw, double>);

}  // namespace

TEMPLATE_TEST_CASE("BlockGibbs: (v, h) of independent chains follows the exact joint (chi-squared over 2^7 states)",
                   "[gibbs]", float, double) {
  constexpr Index d = 4, h = 3, states = Index{1} << (d + h);
  const auto rbm = test_rbm<ember::BernoulliRbm<TestType>>(d, h, 7);
  const auto ref = test_rbm<ember::BernoulliRbm<double>>(d, h, 7);
  // Exact joint p(v, h) ∝ exp(−E(v, h)); state index s = v bits | h bits << d.
  std::vector<double> p(states);
  double z = 0;
  for (Index s = 0; s < states; ++s) {
    Batch<double> v(1, d), hid(1, h);
    for (Index k = 0; k < d; ++k) v(0, k) = static_cast<double>((s >> k) & 1);
    for (Index j = 0; j < h; ++j) hid(0, j) = static_cast<double>((s >> (d + j)) & 1);
    Vector<double> e(1);
    ref.joint_energy(v, hid, e);
    p[static_cast<std::size_t>(s)] = std::exp(-e(0));
    z += p[static_cast<std::size_t>(s)];
  }
  for (double& q : p) q /= z;

  constexpr Index chains = 40000;
  ember::Philox rng(2024);
  Batch<TestType> v = Batch<TestType>::Zero(chains, d);  // every chain starts in the same state
  Batch<TestType> hid(chains, h);
  BlockGibbs<TestType> gibbs;
  gibbs.run(rbm, v, rng, 25);
  gibbs.sample_hidden(rbm, v, hid, rng);
  std::vector<double> counts(states, 0.0);
  for (Index i = 0; i < chains; ++i) {
    Index s = 0;
    for (Index k = 0; k < d; ++k) s |= static_cast<Index>(v(i, k) > TestType(0.5)) << k;
    for (Index j = 0; j < h; ++j) s |= static_cast<Index>(hid(i, j) > TestType(0.5)) << (d + j);
    counts[static_cast<std::size_t>(s)] += 1;
  }
  const double stat = chi2(counts, p, chains);
  INFO("chi2 = " << stat << " with " << states - 1 << " degrees of freedom");
  CHECK(stat < chi2_critical(static_cast<double>(states - 1), z_alpha_1e3));
}

TEST_CASE("BlockGibbs: Gaussian-Bernoulli chains match the exact hidden marginal and visible mean", "[gibbs]") {
  constexpr Index d = 3, h = 3;
  const auto rbm = test_rbm<ember::GaussianBernoulliRbm<double>>(d, h, 8);
  const Eigen::MatrixXd w = rbm.weights();
  const Eigen::VectorXd b = rbm.visible_bias(), c = rbm.hidden_bias();
  // p(h) ∝ exp(cᵀh + ½‖b + W h‖²); E[v] = Σ_h p(h) (b + W h).
  std::vector<double> p(1 << h);
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(d);
  double z = 0;
  for (Index s = 0; s < (1 << h); ++s) {
    Eigen::VectorXd hv(h);
    for (Index j = 0; j < h; ++j) hv(j) = static_cast<double>((s >> j) & 1);
    const Eigen::VectorXd m = b + w * hv;
    p[static_cast<std::size_t>(s)] = std::exp(c.dot(hv) + 0.5 * m.squaredNorm());
    z += p[static_cast<std::size_t>(s)];
    mean += p[static_cast<std::size_t>(s)] * m;
  }
  for (double& q : p) q /= z;
  mean /= z;

  constexpr Index chains = 20000;
  ember::Philox rng(99);
  Batch<double> v = Batch<double>::Zero(chains, d);
  Batch<double> hid(chains, h);
  BlockGibbs<double> gibbs;
  gibbs.run(rbm, v, rng, 40);
  gibbs.sample_hidden(rbm, v, hid, rng);
  std::vector<double> counts(1 << h, 0.0);
  for (Index i = 0; i < chains; ++i) {
    Index s = 0;
    for (Index j = 0; j < h; ++j) s |= static_cast<Index>(hid(i, j) > 0.5) << j;
    counts[static_cast<std::size_t>(s)] += 1;
  }
  const double stat = chi2(counts, p, chains);
  INFO("chi2 = " << stat);
  CHECK(stat < chi2_critical(static_cast<double>((1 << h) - 1), z_alpha_1e3));
  const Eigen::VectorXd sample_mean = v.colwise().mean().transpose();
  for (Index k = 0; k < d; ++k) {
    const double sd = std::sqrt((v.col(k).array() - sample_mean(k)).square().sum() / (chains - 1));
    CHECK(std::abs(sample_mean(k) - mean(k)) < ember::test::z_bound * sd / std::sqrt(double(chains)));
  }
}

TEST_CASE("BlockGibbs: a chain's path depends only on the seed, the draw and its index", "[gibbs]") {
  const auto rbm = test_rbm<ember::BernoulliRbm<float>>(6, 5, 3);
  Batch<float> small = Batch<float>::Zero(7, 6), large = Batch<float>::Zero(50, 6);
  ember::Philox rng_small(5), rng_large(5);
  BlockGibbs<float> a, b;
  a.run(rbm, small, rng_small, 4);
  b.run(rbm, large, rng_large, 4);
  CHECK(small == large.topRows(7));
  CHECK(rng_small.position() == 8);  // one draw per half-step
  // Every visible unit stays binary, and the chains did move.
  CHECK(((large.array() == 0.f) || (large.array() == 1.f)).all());
  CHECK(large.sum() > 0);
  CHECK(a.hidden().rows() == 7);
}

TEST_CASE("BlockGibbs: bad arguments are reported", "[gibbs][errors]") {
  using Catch::Matchers::Contains;
  const ember::BernoulliRbm<double> rbm(3, 2);
  ember::Philox rng(1);
  BlockGibbs<double> gibbs;
  Batch<double> v = Batch<double>::Zero(4, 3);
  CHECK_THROWS_WITH(gibbs.run(rbm, v, rng, -1), Contains("ember::BlockGibbs::run") && Contains("steps = -1"));
  Batch<double> h(4, 3);
  CHECK_THROWS_WITH(gibbs.sample_hidden(rbm, v, h, rng), Contains("h = 4 x 3") && Contains("expected 4 x 2"));
  Batch<double> wrong = Batch<double>::Zero(4, 5);
  CHECK_THROWS_WITH(gibbs.step(rbm, wrong, rng), Contains("x = 4 x 5"));
  // The conditionals check their shapes before they take a draw: a refused call leaves the generator as it was.
  const auto position = rng.position();
  Batch<double> h2(4, 2);
  CHECK_THROWS_WITH(gibbs.sample_hidden(rbm, wrong, h2, rng),
                    Contains("ember::BlockGibbs::sample_hidden") && Contains("v = 4 x 5"));
  CHECK_THROWS_WITH(gibbs.sample_visible(rbm, h, v, rng),
                    Contains("ember::BlockGibbs::sample_visible") && Contains("h = 4 x 3"));
  CHECK_THROWS_WITH(gibbs.sample_visible(rbm, h2, wrong, rng),
                    Contains("ember::BlockGibbs::sample_visible") && Contains("v = 4 x 5"));
  CHECK(rng.position() == position);
}

TEST_CASE("BlockGibbs: an empty batch or a wrong column count is a clear error", "[gibbs][errors][bad input]") {
  using Catch::Matchers::Message;
  const ember::BernoulliRbm<float> rbm(3, 2);
  ember::Philox rng(1);
  BlockGibbs<float> gibbs;
  Batch<float> empty(0, 3);
  CHECK_THROWS_MATCHES(gibbs.run(rbm, empty, rng, 2), ember::invalid_argument,
                       Message("ember::BlockGibbs::run: x = 0 x 3: the batch is empty"));
  Batch<float> no_columns(4, 0);
  CHECK_THROWS_MATCHES(gibbs.step(rbm, no_columns, rng), ember::invalid_argument,
                       Message("ember::BlockGibbs::step: x = 4 x 0: expected 3 columns (the RBM's visible units)"));
}

// A NaN logit compares false with every uniform and would come out as a finite-looking 0: it must be refused.
TEMPLATE_TEST_CASE("BlockGibbs: a NaN/Inf parameter is a numerical_error, never silent 0/1 states", "[gibbs][errors][bad input]",
                   float, double) {
  using T = TestType;
  using Catch::Matchers::Message;
  ember::Philox rng(2);
  auto rbm = ember::BernoulliRbm<T>::random(3, 2, rng, T(0.1));
  Batch<T> v = Batch<T>::Ones(4, 3);
  BlockGibbs<T> gibbs;
  rbm.weights()(1, 0) = std::numeric_limits<T>::quiet_NaN();
  CHECK_THROWS_MATCHES(gibbs.run(rbm, v, rng, 1), ember::numerical_error,
                       Message("ember::BlockGibbs::sample_hidden: the hidden logit is not finite in 4 of 8 entries"));
  rbm.weights()(1, 0) = T(0.1);
  rbm.visible_bias()(2) = std::numeric_limits<T>::infinity();
  v.setOnes();
  CHECK_THROWS_MATCHES(gibbs.run(rbm, v, rng, 1), ember::numerical_error,
                       Message("ember::BlockGibbs::sample_visible: the visible logit is not finite in 4 of 12 entries"));
  auto gaussian = ember::GaussianBernoulliRbm<T>::random(3, 2, rng, T(0.1));
  gaussian.hidden_bias()(0) = std::numeric_limits<T>::quiet_NaN();
  Batch<T> x = Batch<T>::Zero(4, 3);
  CHECK_THROWS_AS(gibbs.run(gaussian, x, rng, 1), ember::numerical_error);
}

TEMPLATE_TEST_CASE("BlockGibbs on a threaded RBM: the same bits as one thread", "[gibbs][threads]",
                   ember::BernoulliRbm<float>, ember::GaussianBernoulliRbm<double>) {
  // The products run by column blocks (of 128 units: here 2 hidden, 3 visible) on the RBM's pool; the states
  // drawn from them must not depend on it.
  using T = typename TestType::scalar_type;
  const auto serial = test_rbm<TestType>(300, 200, 9);
  Batch<T> start(100, 300);
  ember::Philox(3).normal(start);
  if constexpr (TestType::visible_units == ember::VisibleUnits::bernoulli)
    start = (start.array() > T(0)).template cast<T>();
  const auto sweep = [&](const auto& rbm) {
    Batch<T> x = start;
    ember::Philox rng(11);
    BlockGibbs<T> gibbs;
    gibbs.run(rbm, x, rng, 3);
    return std::pair(x, Batch<T>(gibbs.hidden()));
  };
  const auto reference = sweep(serial);
  // An RBM type whose conditionals run no epilogue on their blocks is sampled after each whole product: the same bits.
  CHECK(sweep(WithoutEpilogue<TestType>(serial)) == reference);
  for (int workers : {2, 3}) {
    TestType threaded = serial;
    threaded.set_workers(workers);
    INFO("workers " << workers);
    CHECK(sweep(threaded) == reference);
  }
}

TEMPLATE_TEST_CASE("BlockGibbs on a threaded RBM: each column block gets the whole batch's numbers",
                   "[gibbs][threads]", ember::BernoulliRbm<float>, ember::GaussianBernoulliRbm<double>) {
  // The draws are made block by block on the pool (coordinates 0, 128, 256); each block must get the numbers of
  // those columns of one draw for the whole batch, else units of different blocks would share their noise.
  using T = typename TestType::scalar_type;
  auto rbm = test_rbm<TestType>(300, 200, 4);
  rbm.set_workers(2);
  Batch<T> v(100, 300);
  ember::Philox(5).uniform(v);
  v = (v.array() < T(0.5)).template cast<T>();
  Batch<T> h(100, 200), logit(100, 200), uniform(100, 200);
  rbm.hidden_input(v, logit);
  ember::Philox expected_rng(8);
  expected_rng.uniform(uniform);
  const Batch<T> expected_h = (uniform.array() < (T(1) / (T(1) + (-logit.array()).exp()))).template cast<T>();
  BlockGibbs<T> gibbs;
  ember::Philox rng(8);
  gibbs.sample_hidden(rbm, v, h, rng);
  // σ's SIMD exp may differ from Eigen's in the last bit: a unit may flip only where u is within 1e-5 of σ(a).
  Index flips = 0;
  for (Index i = 0; i < h.size(); ++i)
    flips += h(i) != expected_h(i) &&
             std::abs(uniform(i) - T(1) / (T(1) + std::exp(-logit(i)))) > T(1e-5);
  CHECK(flips == 0);

  Batch<T> x(100, 300), mean(100, 300), noise(100, 300);
  rbm.visible_input(h, mean);
  ember::Philox noise_rng(9);
  if constexpr (TestType::visible_units == ember::VisibleUnits::bernoulli) noise_rng.uniform(noise);
  else noise_rng.normal(noise);
  ember::Philox visible_rng(9);
  gibbs.sample_visible(rbm, h, x, visible_rng);
  if constexpr (TestType::visible_units == ember::VisibleUnits::bernoulli) {
    Index visible_flips = 0;
    for (Index i = 0; i < x.size(); ++i) {
      const T p = T(1) / (T(1) + std::exp(-mean(i)));
      visible_flips += x(i) != T(noise(i) < p) && std::abs(noise(i) - p) > T(1e-5);
    }
    CHECK(visible_flips == 0);
  } else {
    CHECK(x == mean + noise);  // bit for bit
  }
}

TEST_CASE("BlockGibbs on a threaded RBM: a NaN in one worker's column block is the one-thread error",
          "[gibbs][threads][errors]") {
  auto rbm = test_rbm<ember::BernoulliRbm<float>>(300, 200, 6);
  rbm.set_workers(2);
  rbm.hidden_bias()(150) = std::numeric_limits<float>::quiet_NaN();  // the second block of 128 hidden units
  Batch<float> v = Batch<float>::Ones(100, 300);
  BlockGibbs<float> gibbs;
  ember::Philox rng(2);
  CHECK_THROWS_MATCHES(
      gibbs.run(rbm, v, rng, 1), ember::numerical_error,
      Catch::Matchers::Message("ember::BlockGibbs::sample_hidden: the hidden logit is not finite in 100 of 20000 entries"));
}

TEST_CASE("BlockGibbs on a threaded RBM: a NaN logit is the one-thread error", "[gibbs][threads][errors]") {
  ember::Philox rng(2);
  auto rbm = ember::BernoulliRbm<float>::random(3, 2, rng, 0.1f);
  rbm.set_workers(2);
  Batch<float> v = Batch<float>::Ones(64, 3);
  v(50, 1) = std::numeric_limits<float>::quiet_NaN();
  BlockGibbs<float> gibbs;
  CHECK_THROWS_MATCHES(
      gibbs.run(rbm, v, rng, 1), ember::numerical_error,
      Catch::Matchers::Message("ember::BlockGibbs::sample_hidden: the hidden logit is not finite in 2 of 128 entries"));
}
