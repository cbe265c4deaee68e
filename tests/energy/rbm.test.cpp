// Tests include/ember/energy/rbm.hpp.
#include "ember/energy/rbm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "ember/simd/random.hpp"
#include "support/finite_difference.hpp"
#include "support/random_rbm.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::BernoulliRbm;
using ember::GaussianBernoulliRbm;
using ember::Index;
using ember::Vector;

namespace {

template <class R>
R random_rbm(Index d, Index h, std::uint64_t seed, double scale = 0.7) {
  return ember::test::random_rbm<R>(d, h, seed, scale);
}

// −log Σ_h exp(−E(v, h)) by brute force over the hidden layer, with the model's own joint energy.
template <class R>
double brute_free_energy(const R& rbm, const Batch<double>& v_row) {
  const Index h = rbm.n_hidden();
  double total = 0;
  for (Index s = 0; s < (Index{1} << h); ++s) {
    Batch<double> hidden(1, h);
    for (Index j = 0; j < h; ++j) hidden(0, j) = static_cast<double>((s >> j) & 1);
    Vector<double> e(1);
    rbm.joint_energy(v_row, hidden, e);
    total += std::exp(-e(0));
  }
  return -std::log(total);
}

}  // namespace

TEST_CASE("Rbm: the free energy is the joint energy with the hidden layer summed out", "[rbm]") {
  const auto bern = random_rbm<BernoulliRbm<double>>(5, 4, 1);
  const auto gauss = random_rbm<GaussianBernoulliRbm<double>>(3, 4, 2);
  ember::test::Uniform uniform(3);
  const Batch<double> vb = (uniform.next<Batch<double>>(6, 5).array() > 0).cast<double>();
  const Batch<double> vg = 1.5 * uniform.next<Batch<double>>(6, 3);
  Vector<double> fb(6), fg(6);
  bern.energy(vb, fb);
  gauss.energy(vg, fg);
  for (Index i = 0; i < 6; ++i) {
    CHECK(fb(i) == Approx(brute_free_energy(bern, vb.row(i))).epsilon(1e-12));
    CHECK(fg(i) == Approx(brute_free_energy(gauss, vg.row(i))).epsilon(1e-12));
  }
}

TEST_CASE("Rbm: parameter layout is [W (d x h, column j = hidden unit j) | b | c]", "[rbm]") {
  BernoulliRbm<double> rbm(3, 2);
  CHECK(rbm.num_params() == 3 * 2 + 3 + 2);
  rbm.params() = Vector<double>::LinSpaced(11, 0.0, 10.0);
  CHECK(rbm.weights()(0, 1) == 3.0);  // column-major: W(k, j) at k + d j
  CHECK(rbm.visible_bias()(0) == 6.0);
  CHECK(rbm.hidden_bias()(1) == 10.0);
  // One visible pattern by hand: a_j = c_j + Σ_k v_k W(k, j).
  Batch<double> v(1, 3);
  v << 1, 0, 1;
  Batch<double> a(1, 2);
  rbm.hidden_input(v, a);
  CHECK(a(0, 0) == 9.0 + 0 + 2);
  CHECK(a(0, 1) == 10.0 + 3 + 5);
}

TEST_CASE("Rbm: every gradient matches central finite differences (both kinds of visible units)", "[rbm][gradient]") {
  ember::test::Uniform uniform(11);
  for (Index h : {1, 3, 7}) {
    INFO("hidden units " << h);
    const auto bern = random_rbm<BernoulliRbm<double>>(5, h, static_cast<std::uint64_t>(20 + h));
    const auto gauss = random_rbm<GaussianBernoulliRbm<double>>(4, h, static_cast<std::uint64_t>(40 + h));
    // Binary points (the Bernoulli RBM's support) and real points (F is smooth everywhere).
    const Batch<double> binary = (uniform.next<Batch<double>>(9, 5).array() > 0).cast<double>();
    ember::test::check_all_gradients(bern, binary, 5);
    ember::test::check_all_gradients(bern, Batch<double>(uniform.next<Batch<double>>(9, 5)), 6);
    ember::test::check_all_gradients(gauss, Batch<double>(2.0 * uniform.next<Batch<double>>(9, 4)), 7);
  }
}

TEST_CASE("Rbm: softplus and sigmoid are stable at extreme inputs, SIMD and scalar agree", "[rbm][simd]") {
  std::vector<double> x = {-1e4, -800, -50, -1, 0, 1e-9, 1, 30, 50, 700, 1e4, -3, 3, 2, -2, 0.5, -0.5};
  std::vector<double> s = x, p = x;
  ember::detail::sigmoid_inplace(s.data(), s.size());
  ember::detail::softplus_inplace(p.data(), p.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("x = " << x[i]);
    REQUIRE(std::isfinite(s[i]));
    REQUIRE(std::isfinite(p[i]));
    const double sig = x[i] >= 0 ? 1 / (1 + std::exp(-x[i])) : std::exp(x[i]) / (1 + std::exp(x[i]));
    const double soft = x[i] > 30 ? x[i] + std::exp(-x[i]) : std::log1p(std::exp(x[i]));
    CHECK(s[i] == Approx(sig).epsilon(8 * std::numeric_limits<double>::epsilon()).margin(1e-300));
    CHECK(p[i] == Approx(soft).epsilon(8 * std::numeric_limits<double>::epsilon()).margin(1e-300));
  }
  std::vector<float> xf(x.begin(), x.end()), sf = xf, pf = xf;
  ember::detail::sigmoid_inplace(sf.data(), sf.size());
  ember::detail::softplus_inplace(pf.data(), pf.size());
  for (std::size_t i = 0; i < xf.size(); ++i) {
    CHECK(std::isfinite(sf[i]));
    CHECK(std::isfinite(pf[i]));
    CHECK(sf[i] == Approx(ember::detail::sigmoid(xf[i])).epsilon(4 * std::numeric_limits<float>::epsilon()));
    CHECK(pf[i] == Approx(ember::Softplus::value(xf[i])).epsilon(4 * std::numeric_limits<float>::epsilon()));
  }
}

TEMPLATE_TEST_CASE("Rbm: float agrees with double within epsilon-derived bounds", "[rbm]", float, double) {
  const auto ref = random_rbm<BernoulliRbm<double>>(12, 6, 9);
  BernoulliRbm<TestType> rbm(12, 6);
  rbm.params() = ref.params().cast<TestType>();
  ember::test::Uniform uniform(5);
  const Batch<double> v = (uniform.next<Batch<double>>(20, 12).array() > 0).cast<double>();
  Vector<double> e(20), ge(20);
  Vector<TestType> et(20);
  Batch<double> g(20, 12);
  Batch<TestType> gt(20, 12);
  ref.energy_and_gradient(v, e, g);
  rbm.energy_and_gradient(v.cast<TestType>(), et, gt);
  // Each output sums O(d + h) terms of O(1): allow 4 (d + h) ulps of the type under test.
  const double tol = 4 * 18 * std::numeric_limits<TestType>::epsilon();
  CHECK(ember::test::relative_error(et.template cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(gt.template cast<double>(), g) < tol);
}

TEST_CASE("Rbm: the sparsity gradient follows its documented formula and descends toward the target", "[rbm]") {
  auto rbm = random_rbm<BernoulliRbm<double>>(6, 4, 13);
  ember::test::Uniform uniform(14);
  const Batch<double> v = (uniform.next<Batch<double>>(30, 6).array() > 0).cast<double>();
  Vector<double> g = Vector<double>::Zero(rbm.num_params());
  rbm.accumulate_sparsity_gradient(v, 0.1, 2.0, g);
  Batch<double> p(30, 4);
  rbm.hidden_input(v, p);
  p = p.unaryExpr([](double a) { return 1 / (1 + std::exp(-a)); });
  const Vector<double> q = p.colwise().mean().transpose();
  const Vector<double> vbar = v.colwise().mean().transpose();
  for (Index j = 0; j < 4; ++j) {
    const double dj = 2.0 * (q(j) - 0.1);
    CHECK(g(6 * 4 + 6 + j) == Approx(dj).epsilon(1e-12));
    for (Index k = 0; k < 6; ++k) CHECK(g(k + 6 * j) == Approx(dj * vbar(k)).epsilon(1e-12).margin(1e-15));
  }
  CHECK(g.segment(24, 6).isZero());  // visible biases untouched
  // Descending the regulariser alone moves every unit's mean activation toward the target.
  for (int it = 0; it < 200; ++it) {
    g.setZero();
    rbm.accumulate_sparsity_gradient(v, 0.1, 1.0, g);
    rbm.params() -= 0.5 * g;
  }
  rbm.hidden_input(v, p);
  p = p.unaryExpr([](double a) { return 1 / (1 + std::exp(-a)); });
  const Vector<double> q_after = p.colwise().mean().transpose();
  for (Index j = 0; j < 4; ++j) CHECK(std::abs(q_after(j) - 0.1) < std::abs(q(j) - 0.1));
}

TEST_CASE("Rbm: bad arguments name the function, the argument and the value", "[rbm][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(BernoulliRbm<double>(0, 3), Contains("ember::Rbm") && Contains("n_visible = 0"));
  CHECK_THROWS_WITH(BernoulliRbm<double>(3, -1), Contains("n_hidden = -1"));
  ember::Philox rng(1);
  CHECK_THROWS_WITH(BernoulliRbm<double>::random(3, 2, rng, -1.0), Contains("weight_std = -1"));
  const BernoulliRbm<double> rbm(3, 2);
  Batch<double> x(4, 5);
  x.setZero();
  Vector<double> e(4);
  CHECK_THROWS_WITH(rbm.energy(x, e), Contains("ember::Rbm::energy") && Contains("x = 4 x 5") && Contains("expected 4 x 3"));
  Batch<double> empty(0, 3);
  Vector<double> e0(0);
  CHECK_THROWS_WITH(rbm.energy(empty, e0), Contains("empty"));
  Batch<double> x3 = Batch<double>::Zero(4, 3);
  Vector<double> e3(3);
  CHECK_THROWS_WITH(rbm.energy(x3, e3), Contains("per-point vector's size = 3"));
  Vector<double> g(2);
  CHECK_THROWS_WITH(rbm.accumulate_param_gradient(x3, e, g), Contains("g = 2 x 1") && Contains("expected 11 x 1"));
  Vector<double> g11 = Vector<double>::Zero(11);
  CHECK_THROWS_WITH(rbm.accumulate_sparsity_gradient(x3, 1.5, 1.0, g11), Contains("target = 1.5"));
  CHECK_THROWS_WITH(rbm.accumulate_sparsity_gradient(x3, 0.1, -1.0, g11), Contains("strength = -1"));
}

TEST_CASE("Rbm: huge sizes are refused before any allocation (no overflow of d h + d + h)", "[rbm][errors][bad input]") {
  using Catch::Matchers::Message;
  CHECK_THROWS_MATCHES(BernoulliRbm<float>(Index{1} << 32, Index{1} << 32), ember::invalid_argument,
                       Message("ember::Rbm: n_hidden = 4294967296: the weights would have 4294967296 x 4294967296 entries, "
                               "which overflows the index type"));
  CHECK_THROWS_MATCHES(BernoulliRbm<double>(Index{1} << 20, Index{1} << 20), ember::invalid_argument,
                       Message("ember::Rbm: n_hidden = 1048576: the weights would take 8796093022208 bytes, more than "
                               "ember::max_allocation_bytes = 17179869184"));
}
