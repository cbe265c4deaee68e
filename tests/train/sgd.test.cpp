#include "ember/train/sgd.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include "ember/simd/random.hpp"

using ember::Vector;

TEMPLATE_TEST_CASE("Sgd: plain, momentum, Nesterov and weight decay steps match hand-computed values", "[sgd]", float,
                   double) {
  using T = TestType;
  const T tol = 8 * std::numeric_limits<T>::epsilon();
  const Vector<T> g = (Vector<T>(2) << T(0.5), T(1)).finished();
  Vector<T> theta = (Vector<T>(2) << T(1), T(-2)).finished();
  ember::Sgd<T> plain({.learning_rate = T(0.1)});
  plain.step(theta, g);  // θ − 0.1 g
  CHECK(theta(0) == Approx(0.95).epsilon(tol));
  CHECK(theta(1) == Approx(-2.1).epsilon(tol));

  theta << T(1), T(-2);
  ember::Sgd<T> momentum({.learning_rate = T(0.1), .momentum = T(0.9)});
  momentum.step(theta, g);  // b = g: 1 − 0.05
  momentum.step(theta, g);  // b = 0.9·0.5 + 0.5 = 0.95: 0.95 − 0.095
  CHECK(theta(0) == Approx(0.855).epsilon(tol));
  CHECK(momentum.state().steps == 2);
  CHECK(momentum.state().velocity(0) == Approx(0.95).epsilon(tol));

  theta << T(1), T(-2);
  ember::Sgd<T> nesterov({.learning_rate = T(0.1), .momentum = T(0.9), .nesterov = true});
  nesterov.step(theta, g);  // b = 0.5, θ −= 0.1·(0.5 + 0.45)
  CHECK(theta(0) == Approx(0.905).epsilon(tol));

  theta << T(1), T(-2);
  ember::Sgd<T> decay({.learning_rate = T(0.1), .weight_decay = T(0.1)});
  decay.step(theta, g);  // g + 0.1θ = (0.6, 0.8)
  CHECK(theta(0) == Approx(0.94).epsilon(tol));
  CHECK(theta(1) == Approx(-2.08).epsilon(tol));
}

TEST_CASE("Sgd: the state restores a run exactly; bad settings are rejected", "[sgd][errors]") {
  using Catch::Matchers::Contains;
  Vector<double> a = Vector<double>::Ones(3), b;
  const Vector<double> g = Vector<double>::LinSpaced(3, -1, 1);
  ember::Sgd<double> first({.learning_rate = 0.1, .momentum = 0.5});
  first.step(a, g);
  ember::Sgd<double> resumed({.learning_rate = 0.1, .momentum = 0.5});
  resumed.set_state(first.state());
  b = a;
  first.step(a, g);
  resumed.step(b, g);
  CHECK(a == b);
  CHECK_THROWS_WITH(ember::Sgd<double>({.learning_rate = 0.0}), Contains("learning_rate = 0"));
  CHECK_THROWS_WITH(ember::Sgd<double>({.momentum = 1.0}), Contains("momentum = 1"));
  CHECK_THROWS_WITH(ember::Sgd<double>({.nesterov = true}), Contains("nesterov"));
  CHECK_THROWS_WITH(first.step(a, Vector<double>::Ones(2)), Contains("gradient"));
}

TEST_CASE("Sgd::step refuses a NaN/Inf gradient or parameter and leaves parameters and velocity untouched",
          "[sgd][bad input]") {
  Vector<float> theta = Vector<float>::Constant(2, 1.0f);
  ember::Sgd<float> sgd({.learning_rate = 0.1f, .momentum = 0.9f});
  sgd.step(theta, Vector<float>::Constant(2, 1.0f));
  const Vector<float> before = theta;
  const Vector<float> velocity = sgd.state().velocity;
  Vector<float> bad = Vector<float>::Constant(2, 1.0f);
  bad(0) = -std::numeric_limits<float>::infinity();
  CHECK_THROWS_MATCHES(sgd.step(theta, bad), ember::invalid_argument,
                       Catch::Matchers::Message("ember::Sgd::step: gradient(0, 0) = -inf: must be finite (NaN/Inf in "
                                                "an input)"));
  CHECK(theta == before);
  CHECK(sgd.state().velocity == velocity);
  CHECK(sgd.state().steps == 1);
}

TEST_CASE("Sgd::step on a thread pool: the same bits as one thread, for every kind of step", "[sgd][parallel]") {
  // Sizes around the 16-element ranges the workers split θ into (an RBM's θ is 392 000 + 1 284 entries).
  ember::ThreadPool pool(3);
  ember::Philox rng(5);
  for (const ember::SgdSettings<float>& settings :
       {ember::SgdSettings<float>{.learning_rate = 0.1f},
        ember::SgdSettings<float>{.learning_rate = 0.1f, .momentum = 0.9f},
        ember::SgdSettings<float>{.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = true},
        ember::SgdSettings<float>{.learning_rate = 0.1f, .momentum = 0.5f, .weight_decay = 0.01f}})
    for (ember::Index n : {ember::Index{1}, ember::Index{17}, ember::Index{50}, ember::Index{393284}}) {
      ember::Batch<float> draws(n, 4);
      rng.normal(draws);
      Vector<float> serial = draws.col(0), pooled = serial;
      ember::Sgd<float> one(settings), many(settings);
      for (int step = 1; step <= 3; ++step) {  // the first step (b = g) and two later ones
        one.step(serial, draws.col(step));
        many.step(pooled, draws.col(step), &pool);
      }
      INFO("n = " << n << ", momentum " << settings.momentum << ", nesterov " << settings.nesterov);
      CHECK(pooled == serial);
      CHECK(many.state().velocity == one.state().velocity);
      CHECK(many.state().steps == 3);
    }
}

TEST_CASE("Sgd::step on a thread pool refuses a NaN/Inf anywhere with the one-thread message, changing nothing",
          "[sgd][parallel][bad input]") {
  ember::ThreadPool pool(2);
  Vector<float> theta = Vector<float>::Constant(1000, 1.0f);
  ember::Sgd<float> sgd({.learning_rate = 0.1f, .momentum = 0.9f});
  sgd.step(theta, Vector<float>::Constant(1000, 1.0f), &pool);
  const Vector<float> before = theta;
  Vector<float> bad = Vector<float>::Constant(1000, 1.0f);
  bad(900) = std::numeric_limits<float>::quiet_NaN();  // in the second worker's range
  CHECK_THROWS_MATCHES(sgd.step(theta, bad, &pool), ember::invalid_argument,
                       Catch::Matchers::Message("ember::Sgd::step: gradient(900, 0) = nan: must be finite (NaN/Inf in "
                                                "an input)"));
  CHECK(theta == before);
  CHECK(sgd.state().steps == 1);
}
