#include "ember/mcmc/annealed.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ember/simd/random.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/mcmc/langevin.hpp"
#include "ember/schedule/recovery_levels.hpp"
#include "support/statistics.hpp"

using ember::AnnealedLangevin;
using ember::Batch;
using ember::Vector;

namespace {
// E(x, t) = ‖x‖² / (2 s(t)²), s(t) = 1 + 2t: a time-conditioned quadratic whose annealed ULA is a
// linear-Gaussian recursion with an exactly computable variance.
template <class T>
struct WideningGaussian {
  using scalar_type = T;
  Vector<T> theta = Vector<T>::Zero(1);
  [[nodiscard]] ember::Index dim() const { return 2; }
  static T scale(T t) { return T(1) + T(2) * t; }
  void energy(ember::BatchView<T> x, ember::VectorView<T> t, ember::VectorRef<T> e) const {
    for (ember::Index i = 0; i < x.rows(); ++i) e(i) = x.row(i).squaredNorm() / (T(2) * scale(t(i)) * scale(t(i)));
  }
  void energy_and_gradient(ember::BatchView<T> x, ember::VectorView<T> t, ember::VectorRef<T> e,
                           ember::BatchRef<T> g) const {
    energy(x, t, e);
    for (ember::Index i = 0; i < x.rows(); ++i) g.row(i) = x.row(i) / (scale(t(i)) * scale(t(i)));
  }
  Vector<T>& params() { return theta; }
  const Vector<T>& params() const { return theta; }
  void accumulate_param_gradient(ember::BatchView<T>, ember::VectorView<T>, ember::VectorView<T>, ember::VectorRef<T>) const {}
  void accumulate_mixed_gradient(ember::BatchView<T>, ember::VectorView<T>, ember::BatchView<T>, ember::VectorRef<T>) const {}
};
static_assert(ember::TimeConditionedEnergy<WideningGaussian<double>>);
}  // namespace

static_assert(ember::Kernel<AnnealedLangevin<double>, ember::GaussianEnergy<double>, ember::Philox>);

TEMPLATE_TEST_CASE("annealed Langevin on a time-conditioned Gaussian has the exact recursion's variance",
                   "[annealed]", float, double) {
  using T = TestType;
  const WideningGaussian<T> energy;
  Vector<T> times(4), steps(4);
  for (int l = 0; l < 4; ++l) {
    times(l) = T(l) / T(3);
    steps(l) = T(0.1) * WideningGaussian<T>::scale(times(l)) * WideningGaussian<T>::scale(times(l));
  }
  AnnealedLangevin<T> sampler(times, steps, {.steps_per_level = 20});
  const ember::Index n = 20000;
  ember::Philox rng(41);
  Batch<T> x(n, 2);
  rng.normal(x);
  x *= T(3);  // x ~ N(0, s(1)²)
  sampler.step(energy, x, rng);
  // var ← c² var + ε with c = 1 − ε/(2s²), level 3 down to 0, 20 steps each
  double variance = 9;
  for (int l = 3; l >= 0; --l) {
    const double s = 1 + 2 * static_cast<double>(times(l)), eps = static_cast<double>(steps(l));
    for (int k = 0; k < 20; ++k) variance = (1 - eps / (2 * s * s)) * (1 - eps / (2 * s * s)) * variance + eps;
  }
  const auto samples = static_cast<std::size_t>(x.size());
  const double observed = x.template cast<double>().squaredNorm() / static_cast<double>(samples);
  CHECK(std::abs(observed - variance) < ember::test::z_bound * ember::test::variance_standard_error(variance, samples));
  CHECK(std::abs(variance - 1.0) > 0.05);  // not yet at level 0's stationary variance: the recursion matters
}

TEST_CASE("annealed Langevin with a plain energy equals ULA at each level's step size, top level first", "[annealed]") {
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  Vector<double> times = Vector<double>::Zero(3), steps(3);
  steps << 0.01, 0.05, 0.2;
  AnnealedLangevin<double> sampler(times, steps, {.steps_per_level = 5});
  ember::Philox rng_a(2), rng_b(2);
  Batch<double> a = Batch<double>::Constant(6, 2, 3.0), b = a;
  sampler.step(energy, a, rng_a);
  for (int l = 2; l >= 0; --l) ember::Langevin<double>({.step_size = steps(l)}).run(energy, b, rng_b, 5);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("run_levels asks the factory for every level from the top down", "[annealed]") {
  const auto energy = ember::GaussianEnergy<double>::standard(1);
  const ember::RecoveryLevels<double> levels;
  const Vector<double> steps = levels.step_sizes(2e-4);
  AnnealedLangevin<double> sampler(Vector<double>::Zero(steps.size()), steps, {.steps_per_level = 2});
  std::vector<ember::Index> order;
  ember::Philox rng(3);
  Batch<double> x = Batch<double>::Zero(4, 1);
  sampler.run_levels(
      [&](ember::Index l) -> const ember::GaussianEnergy<double>& {
        order.push_back(l);
        return energy;
      },
      x, rng);
  CHECK(order == std::vector<ember::Index>{5, 4, 3, 2, 1, 0});
}

TEST_CASE("annealed Langevin: bad settings and diverged chains are reported", "[annealed][errors]") {
  using Catch::Matchers::Contains;
  const Vector<double> one = Vector<double>::Ones(2);
  CHECK_THROWS_WITH(AnnealedLangevin<double>(one, Vector<double>::Ones(3)), Contains("times.size() = 2"));
  CHECK_THROWS_WITH(AnnealedLangevin<double>(one, (Vector<double>(2) << 0.1, -0.2).finished()),
                    Contains("ember::AnnealedLangevin") && Contains("step_sizes(1) = -0.2"));
  CHECK_THROWS_WITH(AnnealedLangevin<double>(one, one, {.steps_per_level = 0}), Contains("steps_per_level = 0"));
  CHECK_THROWS_WITH(AnnealedLangevin<double>(Vector<double>(0), Vector<double>(0)), Contains("step_sizes.size() = 0"));
  const auto energy = ember::GaussianEnergy<double>::standard(1);
  AnnealedLangevin<double> sampler(one, one);
  ember::Philox rng(1);
  Batch<double> x = Batch<double>::Constant(2, 1, std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(sampler.step(energy, x, rng), ember::numerical_error);
}

TEST_CASE("annealed Langevin: an empty batch or one without the energy's columns is a clear error",
          "[annealed][errors][bad input]") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::Message;
  const Vector<double> one = Vector<double>::Ones(2);
  AnnealedLangevin<double> sampler(one, one);
  ember::Philox rng(1);
  const auto energy = ember::GaussianEnergy<double>::standard(2);
  Batch<double> empty(0, 2);
  CHECK_THROWS_MATCHES(sampler.run(energy, empty, rng, 3), ember::invalid_argument,
                       Message("ember::AnnealedLangevin::run_levels: x = 0 x 2: the batch is empty"));
  Batch<double> no_columns(3, 0);
  CHECK_THROWS_AS(sampler.run(energy, no_columns, rng, 1), ember::invalid_argument);
  CHECK_THROWS_WITH(sampler.run(energy, no_columns, rng, 1), Contains("x = 3 x 0"));
}
