#include "ember/energy/sum.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "ember/energy/double_well.hpp"
#include "ember/energy/gaussian.hpp"
#include "ember/energy/mlp.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::Batch;
using ember::DoubleWellEnergy;
using ember::GaussianEnergy;
using ember::MlpEnergy;
using ember::Sum;
using ember::Vector;

namespace {
MlpEnergy<double, ember::Tanh> some_mlp(unsigned seed) {
  MlpEnergy<double, ember::Tanh> energy({2, 5, 4}, seed, {.base_scale = 2.0});
  ember::test::Uniform uniform(seed);
  energy.params() = uniform.next<Vector<double>>(energy.num_params());
  return energy;
}
}  // namespace

TEST_CASE("Sum: values and x-gradients add", "[sum]") {
  STATIC_REQUIRE(ember::Energy<Sum<DoubleWellEnergy<double>, DoubleWellEnergy<double>>>);
  STATIC_REQUIRE_FALSE(ember::ParametricEnergy<Sum<DoubleWellEnergy<double>, DoubleWellEnergy<double>>>);
  const Sum sum(DoubleWellEnergy<double>(2, 1.5), GaussianEnergy<double>::standard(2));
  ember::test::Uniform uniform(1);
  const Batch<double> x = 1.5 * uniform.next<Batch<double>>(7, 2);
  Vector<double> e(7), e_a(7), e_b(7);
  sum.energy(x, e);
  sum.first().energy(x, e_a);
  sum.second().energy(x, e_b);
  CHECK(ember::test::relative_error(e, (e_a + e_b).eval()) < 4 * std::numeric_limits<double>::epsilon());
  ember::test::check_x_gradient(sum, x);
}

TEST_CASE("Sum: with one parametric part it is a ParametricEnergy with that part's parameters",
          "[sum][gradient]") {
  using ModelFirst = Sum<MlpEnergy<double, ember::Tanh>, DoubleWellEnergy<double>>;
  using ModelSecond = Sum<DoubleWellEnergy<double>, MlpEnergy<double, ember::Tanh>>;
  STATIC_REQUIRE(ember::ParametricEnergy<ModelFirst>);
  STATIC_REQUIRE(ember::ParametricEnergy<ModelSecond>);
  ember::test::Uniform uniform(2);
  const Batch<double> x = 1.5 * uniform.next<Batch<double>>(6, 2);
  ModelFirst first(some_mlp(3), DoubleWellEnergy<double>(2, 0.7));
  CHECK(first.params().data() == first.first().params().data());
  ember::test::check_all_gradients(first, x, 4);
  ModelSecond second(DoubleWellEnergy<double>(2, 0.7), some_mlp(5));
  CHECK(second.params().data() == second.second().params().data());
  ember::test::check_all_gradients(second, x, 6);
}

TEST_CASE("Sum: float agrees with double within epsilon-derived bounds", "[sum]") {
  const Sum sd(DoubleWellEnergy<double>(2, 1.0), GaussianEnergy<double>::standard(2));
  const Sum sf(DoubleWellEnergy<float>(2, 1.0f), GaussianEnergy<float>::standard(2));
  ember::test::Uniform uniform(7);
  const Batch<double> x = uniform.next<Batch<double>>(30, 2);
  Vector<double> e(30);
  Batch<double> g(30, 2);
  Vector<float> e_f(30);
  Batch<float> g_f(30, 2);
  sd.energy_and_gradient(x, e, g);
  sf.energy_and_gradient(x.cast<float>(), e_f, g_f);
  // The parts' own bounds (8 ulps each) add.
  const double tol = 16 * std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < tol);
}

TEST_CASE("Sum: parts of different dimensions are rejected", "[sum][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(Sum(DoubleWellEnergy<double>(2), DoubleWellEnergy<double>(3)),
                    Contains("ember::Sum::Sum") && Contains("second.dim() = 3") && Contains("first.dim() = 2"));
}
