#include "ember/train/adam.hpp"

#include <catch2/catch.hpp>

#include <limits>

using ember::Vector;

TEMPLATE_TEST_CASE("Adam: two steps match the hand-computed update", "[adam]", float, double) {
  using T = TestType;
  const double tol = 16 * std::numeric_limits<T>::epsilon();
  // g₁ = 1, g₂ = −1, β = (0.9, 0.999), η = 0.1: step 1 moves by −η·1/(1 + ε); step 2 has
  // m̂ = (0.09 − 0.1)/0.19, v̂ = (0.000999 + 0.001)/0.001999 = 1.
  Vector<T> theta = Vector<T>::Constant(1, T(2));
  ember::Adam<T> adam({.learning_rate = T(0.1)});
  adam.step(theta, Vector<T>::Constant(1, T(1)));
  const double eps = 1e-8;
  const double after1 = 2.0 - 0.1 / (1.0 + eps);
  CHECK(static_cast<double>(theta(0)) == Approx(after1).epsilon(tol));
  adam.step(theta, Vector<T>::Constant(1, T(-1)));
  const double after2 = after1 - 0.1 * (-0.01 / 0.19) / (1.0 + eps);
  CHECK(static_cast<double>(theta(0)) == Approx(after2).epsilon(tol));
  CHECK(adam.state().steps == 2);
  CHECK(static_cast<double>(adam.state().first_moment(0)) == Approx(-0.01).epsilon(tol));
}

TEST_CASE("Adam: beta1 = 0 (Improved CD's setting) and weight decay", "[adam]") {
  Vector<double> theta = Vector<double>::Constant(1, 1.0);
  ember::Adam<double> adam({.learning_rate = 0.1, .beta1 = 0.0, .beta2 = 0.9});
  adam.step(theta, Vector<double>::Constant(1, 3.0));
  adam.step(theta, Vector<double>::Constant(1, 1.0));
  // step 1: m = 3, v = 0.1·9 → v̂ = 9: a unit step of −η; step 2: m = m̂ = 1, v = 0.9·0.9 + 0.1 = 0.91 →
  // v̂ = 0.91/0.19; update 0.1·1/(√(0.91/0.19) + ε)
  CHECK(theta(0) == Approx(1.0 - 0.1 - 0.1 * std::sqrt(0.19 / 0.91)).epsilon(1e-9));
  Vector<double> l2 = Vector<double>::Constant(1, 1.0), decoupled = l2;
  ember::Adam<double> a({.learning_rate = 0.1, .weight_decay = 0.5});
  ember::Adam<double> w({.learning_rate = 0.1, .weight_decay = 0.5, .decoupled_weight_decay = true});
  a.step(l2, Vector<double>::Constant(1, 0.0));         // g = 0.5θ: a unit step of −η
  w.step(decoupled, Vector<double>::Constant(1, 0.0));  // g = 0: only θ ← (1 − η w) θ
  CHECK(l2(0) == Approx(0.9).epsilon(1e-7));
  CHECK(decoupled(0) == Approx(0.95).epsilon(1e-12));
  CHECK_THROWS_WITH(ember::Adam<double>({.beta2 = 1.0}), Catch::Matchers::Contains("beta2 = 1"));
}

TEST_CASE("Adam::step refuses a NaN/Inf gradient or parameter and leaves parameters and moments untouched",
          "[adam][bad input]") {
  Vector<double> theta = Vector<double>::Constant(3, 1.0);
  ember::Adam<double> adam({.learning_rate = 0.1});
  adam.step(theta, Vector<double>::Constant(3, 0.5));
  const Vector<double> before = theta;
  const ember::AdamState<double> state = adam.state();
  Vector<double> bad = Vector<double>::Constant(3, 0.5);
  bad(2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_MATCHES(adam.step(theta, bad), ember::invalid_argument,
                       Catch::Matchers::Message("ember::Adam::step: gradient(2, 0) = nan: must be finite (NaN/Inf in "
                                                "an input)"));
  bad(2) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(adam.step(theta, bad), ember::invalid_argument);
  CHECK(theta == before);
  CHECK(adam.state().steps == state.steps);
  CHECK(adam.state().first_moment == state.first_moment);
  CHECK(adam.state().second_moment == state.second_moment);
  theta(1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_MATCHES(adam.step(theta, Vector<double>::Constant(3, 0.5)), ember::invalid_argument,
                       Catch::Matchers::Message("ember::Adam::step: params(1, 0) = nan: must be finite (NaN/Inf in "
                                                "an input)"));
  CHECK(adam.state().steps == state.steps);
}
