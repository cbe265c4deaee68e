#include "ember/energy/double_well.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::DoubleWellEnergy;
using ember::Index;
using ember::Vector;

namespace {
// log ∫∫ exp(−E) over [−r0, r0] × [−r1, r1] by the 2D midpoint rule, evaluated through energy() itself.
template <class E>
double log_grid_mass(const E& target, double r0, double r1, double h) {
  const auto n0 = static_cast<Index>(std::round(2 * r0 / h)), n1 = static_cast<Index>(std::round(2 * r1 / h));
  Batch<double> x(n1, 2);
  Vector<double> e(n1);
  double mass = 0;
  for (Index i = 0; i < n0; ++i) {
    for (Index j = 0; j < n1; ++j) {
      x(j, 0) = -r0 + h * (static_cast<double>(i) + 0.5);
      x(j, 1) = -r1 + h * (static_cast<double>(j) + 0.5);
    }
    target.energy(x, e);
    mass += (-e.array()).exp().sum();
  }
  return std::log(mass * h * h);
}
}  // namespace

TEST_CASE("DoubleWellEnergy: value and known minima", "[double_well]") {
  const DoubleWellEnergy<double> target(3, 2.5);
  Batch<double> x(3, 3);
  x << 1, 0, 0,  //
      -1, 0, 0,  //
      0, 1, -2;
  Vector<double> e(3);
  target.energy(x, e);
  CHECK(e(0) == 0.0);
  CHECK(e(1) == 0.0);
  CHECK(e(2) == Approx(2.5 + 0.5 * 5).epsilon(1e-15));
}

TEST_CASE("DoubleWellEnergy: the x-gradient matches central finite differences", "[double_well][gradient]") {
  ember::test::Uniform uniform(31);
  for (Index d : {1, 2, 4}) {
    INFO("dim " << d);
    ember::test::check_x_gradient(DoubleWellEnergy<double>(d, 1.7), 1.6 * uniform.next<Batch<double>>(8, d).eval());
  }
}

TEST_CASE("DoubleWellEnergy: log_partition agrees with a fine 2D quadrature", "[double_well]") {
  // Midpoint rule with h = 0.005 on a function whose wells have std ≥ 0.07: error far below 1e-10; the
  // box leaves out mass below e^{−40}.
  for (double a : {0.5, 2.0, 25.0}) {
    INFO("a = " << a);
    const DoubleWellEnergy<double> target(2, a);
    const double r0 = std::sqrt(1 + std::sqrt(40 / a));
    CHECK(target.log_partition() == Approx(log_grid_mass(target, r0, 9.0, 0.005)).epsilon(1e-10).margin(1e-10));
  }
  // Each extra coordinate is a standard normal: log Z grows by ½ log 2π.
  const DoubleWellEnergy<double> one(1, 1.0);
  const DoubleWellEnergy<double> two(2, 1.0);
  CHECK(two.log_partition() - one.log_partition() == Approx(0.5 * std::log(2 * std::numbers::pi)).epsilon(1e-14));
  const DoubleWellEnergy<float> single(2, 1.0f);
  CHECK(static_cast<double>(single.log_partition()) == Approx(two.log_partition()).epsilon(1e-6));
  // log_density is −E − log Z.
  Batch<double> x(1, 2);
  x << 0.3, -0.2;
  Vector<double> lp(1), e(1);
  two.log_density(x, lp);
  two.energy(x, e);
  CHECK(lp(0) == Approx(-e(0) - two.log_partition()).epsilon(1e-15));
}

TEST_CASE("DoubleWellEnergy: float agrees with double within epsilon-derived bounds", "[double_well]") {
  ember::test::Uniform uniform(32);
  const Batch<double> x = 1.5 * uniform.next<Batch<double>>(40, 3);
  Vector<double> e(40);
  Batch<double> g(40, 3);
  Vector<float> e_f(40);
  Batch<float> g_f(40, 3);
  DoubleWellEnergy<double>(3, 2.0).energy_and_gradient(x, e, g);
  DoubleWellEnergy<float>(3, 2.0f).energy_and_gradient(x.cast<float>(), e_f, g_f);
  // A few roundings of terms up to a(x²)² ≈ 10: 8 ulps of the largest entry.
  const double eps = std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < 8 * eps);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < 8 * eps);
}

TEST_CASE("DoubleWellEnergy: bad arguments name the function, the argument and the value", "[double_well][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(DoubleWellEnergy<double>(0, 1.0), Contains("ember::DoubleWellEnergy::DoubleWellEnergy") && Contains("dim = 0"));
  CHECK_THROWS_WITH(DoubleWellEnergy<double>(2, -1.0), Contains("a = -1"));
  CHECK_THROWS_WITH(DoubleWellEnergy<float>(2, 0.0f), Contains("a = 0"));
  const DoubleWellEnergy<double> target(2);
  Vector<double> e(3);
  Batch<double> g(3, 1);
  CHECK_THROWS_WITH(target.energy_and_gradient(Batch<double>::Zero(3, 2), e, g),
                    Contains("ember::DoubleWellEnergy::energy_and_gradient") && Contains("g = 3 x 1"));
}
