// Tests include/ember/metrics/rbm_monitors.hpp.
#include "ember/metrics/rbm_monitors.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

TEMPLATE_TEST_CASE("pseudo_log_likelihood: sum over units of log p(v_k | rest), by direct flips", "[monitors]", float, double) {
  ember::Philox rng(3);
  auto rbm = ember::BernoulliRbm<TestType>::random(7, 4, rng, TestType(1));
  rbm.visible_bias().setLinSpaced(TestType(-1), TestType(1));
  ember::test::Uniform uniform(4);
  const Batch<TestType> v = (uniform.next<Batch<double>>(10, 7).array() > 0).cast<TestType>();
  Vector<TestType> pl(10);
  ember::pseudo_log_likelihood(rbm, v, pl);
  Vector<double> f(10), f_flip(10);
  ember::BernoulliRbm<double> ref(7, 4);
  ref.params() = rbm.params().template cast<double>();
  ref.energy(v.template cast<double>(), f);
  Vector<double> expected = Vector<double>::Zero(10);
  for (Index k = 0; k < 7; ++k) {
    Batch<double> flipped = v.template cast<double>();
    flipped.col(k) = (1.0 - flipped.col(k).array()).matrix();
    ref.energy(flipped, f_flip);
    // log p(v_k | rest) = −F(v) − log(e^{−F(v)} + e^{−F(v')})
    for (Index i = 0; i < 10; ++i) expected(i) += -f(i) - std::log(std::exp(-f(i)) + std::exp(-f_flip(i)));
  }
  const double tol = 64 * std::numeric_limits<TestType>::epsilon() * (1 + expected.cwiseAbs().maxCoeff());
  CHECK((pl.template cast<double>() - expected).cwiseAbs().maxCoeff() < tol);
  CHECK((pl.array() < 0).all());
}

TEST_CASE("reconstruction_error: the mean-field up-down pass by hand; zero for a perfect auto-encoder", "[monitors]") {
  ember::BernoulliRbm<double> rbm(2, 1);
  rbm.weights() << 1.0, -2.0;
  rbm.visible_bias() << 0.5, 0.0;
  rbm.hidden_bias() << 0.25;
  Batch<double> v(2, 2);
  v << 1, 0, 0, 1;
  double expected = 0;
  for (Index i = 0; i < 2; ++i) {
    const double p = 1 / (1 + std::exp(-(0.25 + v(i, 0) * 1.0 - v(i, 1) * 2.0)));
    const double m0 = 1 / (1 + std::exp(-(0.5 + p * 1.0))), m1 = 1 / (1 + std::exp(-(0.0 - p * 2.0)));
    expected += (m0 - v(i, 0)) * (m0 - v(i, 0)) + (m1 - v(i, 1)) * (m1 - v(i, 1));
  }
  CHECK(ember::reconstruction_error(rbm, v) == Approx(expected / 2).epsilon(1e-12));
  ember::GaussianBernoulliRbm<double> gauss(3, 2);
  gauss.visible_bias() << 1, 2, 3;  // W = 0: the reconstruction is b
  Batch<double> at_b(4, 3);
  at_b.rowwise() = gauss.visible_bias().transpose();
  CHECK(ember::reconstruction_error(gauss, at_b) == 0.0);
  CHECK_THROWS_WITH(ember::reconstruction_error(gauss, Batch<double>::Zero(2, 2)),
                    Catch::Matchers::Contains("ember::reconstruction_error") && Catch::Matchers::Contains("v = 2 x 2"));
}

TEST_CASE("pseudo_log_likelihood and reconstruction_error refuse a NaN/Inf parameter", "[monitors][errors][bad input]") {
  using Catch::Matchers::Message;
  ember::BernoulliRbm<float> rbm(3, 2);
  rbm.hidden_bias()(1) = std::numeric_limits<float>::infinity();
  const Batch<float> v = Batch<float>::Ones(4, 3);
  Vector<float> out(4);
  CHECK_THROWS_MATCHES(ember::pseudo_log_likelihood(rbm, v, out), ember::invalid_argument,
                       Message("ember::pseudo_log_likelihood: rbm.params()(10, 0) = inf: must be finite (NaN/Inf in "
                               "an input)"));
  CHECK_THROWS_MATCHES(ember::reconstruction_error(rbm, v), ember::invalid_argument,
                       Message("ember::reconstruction_error: rbm.params()(10, 0) = inf: must be finite (NaN/Inf in "
                               "an input)"));
}
