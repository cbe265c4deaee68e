// Tests include/ember/metrics/rbm_log_partition.hpp.
#include "ember/metrics/rbm_log_partition.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "ember/simd/random.hpp"
#include "ember/energy/rbm.hpp"
#include "support/random_rbm.hpp"

using ember::Batch;
using ember::Index;
using ember::Vector;

namespace {


// log Σ_{v, h} exp(−E(v, h)) over both layers, term by term.
double brute_log_z(const ember::BernoulliRbm<double>& rbm) {
  const Index d = rbm.n_visible(), h = rbm.n_hidden();
  double total = 0;
  for (Index s = 0; s < (Index{1} << (d + h)); ++s) {
    Batch<double> v(1, d), hid(1, h);
    for (Index k = 0; k < d; ++k) v(0, k) = static_cast<double>((s >> k) & 1);
    for (Index j = 0; j < h; ++j) hid(0, j) = static_cast<double>((s >> (d + j)) & 1);
    Vector<double> e(1);
    rbm.joint_energy(v, hid, e);
    total += std::exp(-e(0));
  }
  return std::log(total);
}

}  // namespace

TEST_CASE("exact_log_partition: matches brute force over both layers, enumerating either layer", "[log_partition]") {
  // d < h enumerates the visible layer, d > h the hidden one, d = h the hidden one.
  for (auto [d, h] : {std::pair<Index, Index>{3, 6}, {6, 3}, {5, 5}, {1, 1}}) {
    INFO("d = " << d << ", h = " << h);
    const auto rbm = ember::test::random_rbm<ember::BernoulliRbm<double>>(d, h, static_cast<std::uint64_t>(10 * d + h), 1.0);
    CHECK(ember::exact_log_partition(rbm) == Approx(brute_log_z(rbm)).epsilon(1e-12));
  }
}

TEST_CASE("exact_log_partition: Gaussian-Bernoulli RBM against quadrature over v and a sum over h", "[log_partition]") {
  const auto rbm = ember::test::random_rbm<ember::GaussianBernoulliRbm<double>>(2, 3, 4, 0.6);
  // The integrand is smooth and decays like a Gaussian: the trapezoid rule on [−12, 12]² converges
  // geometrically, so 1e-9 relative is far below what a wrong formula would give.
  const Index grid = 481;
  const double lo = -12, step = 24.0 / (grid - 1);
  Batch<double> v(grid * grid, 2);
  for (Index i = 0; i < grid; ++i)
    for (Index j = 0; j < grid; ++j) {
      v(i * grid + j, 0) = lo + step * static_cast<double>(i);
      v(i * grid + j, 1) = lo + step * static_cast<double>(j);
    }
  Vector<double> f(grid * grid);
  rbm.energy(v, f);
  const double log_z = std::log((-f.array()).exp().sum() * step * step);
  CHECK(ember::exact_log_partition(rbm) == Approx(log_z).epsilon(1e-9));
}

TEMPLATE_TEST_CASE("exact_log_partition: float models are enumerated in double; log-likelihood is mean -F - log Z",
                   "[log_partition]", float, double) {
  const auto ref = ember::test::random_rbm<ember::BernoulliRbm<double>>(16, 5, 3, 1.0);
  ember::BernoulliRbm<TestType> rbm(16, 5);
  rbm.params() = ref.params().cast<TestType>();
  const double log_z = ember::exact_log_partition(ref);
  // Parameters rounded to TestType change log Z by at most Σ|∂ log Z/∂θ| ε|θ| ≤ (d h + d + h) ε max|θ| per unit.
  const double rounding = static_cast<double>(rbm.num_params()) * std::numeric_limits<TestType>::epsilon() *
                          (1 + ref.params().cwiseAbs().maxCoeff());
  CHECK(std::abs(ember::exact_log_partition(rbm) - log_z) <= rounding);
  // Big weights: log Z ≫ 1 must not overflow the streaming log-sum-exp.
  auto big = ref;
  big.params() *= 40.0;
  CHECK(std::isfinite(ember::exact_log_partition(big)));
  CHECK(ember::exact_log_partition(big) > 100);
  Batch<TestType> data = Batch<TestType>::Zero(3, 16);
  data(1, 2) = 1;
  data(2, 7) = 1;
  Vector<double> f(3);
  ref.energy(data.template cast<double>(), f);
  CHECK(ember::exact_average_log_likelihood(rbm, data) == Approx(-f.mean() - log_z).epsilon(1e-5));
}

TEST_CASE("exact_log_partition: a layer over 20 units, or NaN data, are refused", "[log_partition][errors]") {
  using Catch::Matchers::Contains;
  const ember::BernoulliRbm<double> wide(21, 21);
  CHECK_THROWS_WITH(ember::exact_log_partition(wide), Contains("ember::exact_log_partition") && Contains("= 21"));
  const ember::GaussianBernoulliRbm<double> gauss(2, 21);
  CHECK_THROWS_WITH(ember::exact_log_partition(gauss), Contains("n_hidden = 21"));
  const ember::BernoulliRbm<double> rbm(3, 2);
  Batch<double> data = Batch<double>::Zero(2, 3);
  data(1, 1) = std::nan("");
  CHECK_THROWS_WITH(ember::exact_average_log_likelihood(rbm, data), Contains("data(1, 1) = nan"));
}

TEST_CASE("exact_log_partition: a NaN parameter is refused, not turned into a NaN log Z", "[log_partition][errors][bad input]") {
  ember::BernoulliRbm<double> rbm(3, 2);
  rbm.params()(4) = std::nan("");
  CHECK_THROWS_MATCHES(ember::exact_log_partition(rbm), ember::invalid_argument,
                       Catch::Matchers::Message("ember::exact_log_partition: rbm.params()(4, 0) = nan: must be finite "
                                                "(NaN/Inf in an input)"));
}
