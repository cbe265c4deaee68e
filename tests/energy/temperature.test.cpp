#include "ember/energy/temperature.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "ember/energy/banana.hpp"
#include "ember/energy/mlp.hpp"
#include "support/finite_difference.hpp"
#include "support/random_batch.hpp"

using ember::BananaEnergy;
using ember::Batch;
using ember::MlpEnergy;
using ember::Temperature;
using ember::Vector;

TEST_CASE("Temperature: E/tau, value and x-gradient", "[temperature]") {
  STATIC_REQUIRE(ember::Energy<Temperature<BananaEnergy<double>>>);
  STATIC_REQUIRE_FALSE(ember::ParametricEnergy<Temperature<BananaEnergy<double>>>);
  Temperature hot(BananaEnergy<double>(3, 1.0, 0.5), 2.5);
  ember::test::Uniform uniform(1);
  const Batch<double> x = 2.0 * uniform.next<Batch<double>>(7, 3);
  Vector<double> e(7), e_inner(7);
  hot.energy(x, e);
  hot.inner().energy(x, e_inner);
  CHECK(ember::test::relative_error(e, (e_inner / 2.5).eval()) < 2 * std::numeric_limits<double>::epsilon());
  ember::test::check_x_gradient(hot, x);
  hot.set_temperature(0.25);
  CHECK(hot.temperature() == 0.25);
  hot.energy(x, e);
  CHECK(ember::test::relative_error(e, (4.0 * e_inner).eval()) < 2 * std::numeric_limits<double>::epsilon());
  ember::test::check_x_gradient(hot, x);
}

TEMPLATE_TEST_CASE("Temperature: of a parametric energy, every gradient matches finite differences",
                   "[temperature][gradient]", ember::Silu, ember::SmoothLeaky) {
  using Model = Temperature<MlpEnergy<double, TestType>>;
  STATIC_REQUIRE(ember::ParametricEnergy<Model>);
  MlpEnergy<double, TestType> mlp({3, 5, 4}, 2, {.base_scale = 1.0});
  ember::test::Uniform uniform(3);
  mlp.params() = uniform.next<Vector<double>>(mlp.num_params());
  const Model model(mlp, 0.6);
  CHECK(model.params() == mlp.params());
  ember::test::check_all_gradients(model, 1.5 * uniform.next<Batch<double>>(6, 3).eval(), 4);
}

TEST_CASE("Temperature: float agrees with double within epsilon-derived bounds", "[temperature]") {
  const Temperature td(BananaEnergy<double>(2), 3.0);
  const Temperature tf(BananaEnergy<float>(2), 3.0f);
  ember::test::Uniform uniform(5);
  const Batch<double> x = 2.0 * uniform.next<Batch<double>>(30, 2);
  Vector<double> e(30);
  Batch<double> g(30, 2);
  Vector<float> e_f(30);
  Batch<float> g_f(30, 2);
  td.energy_and_gradient(x, e, g);
  tf.energy_and_gradient(x.cast<float>(), e_f, g_f);
  // The banana's bound (8 ulps of terms ≤ 5) plus one rounding for the division.
  const double tol = (8 * 5 + 1) * std::numeric_limits<float>::epsilon();
  CHECK(ember::test::relative_error(e_f.cast<double>(), e) < tol);
  CHECK(ember::test::relative_error(g_f.cast<double>(), g) < tol);
}

TEST_CASE("Temperature: a non-positive temperature is rejected", "[temperature][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(Temperature(BananaEnergy<double>(2), 0.0),
                    Contains("ember::Temperature::set_temperature") && Contains("tau = 0"));
  Temperature t(BananaEnergy<double>(2), 1.0);
  CHECK_THROWS_WITH(t.set_temperature(-1.0), Contains("tau = -1"));
  CHECK(t.temperature() == 1.0);
}
