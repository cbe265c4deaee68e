#include "ember/train/ema.hpp"

#include <catch2/catch.hpp>

using ember::Vector;

TEST_CASE("ParameterEma: first update copies, later ones average with the decay", "[ema]") {
  ember::ParameterEma<double> ema({.decay = 0.9});
  CHECK_THROWS_WITH(ema.average(), Catch::Matchers::Contains("updates = 0"));
  ema.update(Vector<double>::Constant(2, 1.0));
  CHECK(ema.average()(0) == 1.0);
  ema.update(Vector<double>::Constant(2, 2.0));
  CHECK(ema.average()(0) == Approx(1.1).epsilon(1e-15));
  ema.update(Vector<double>::Constant(2, 0.0));
  CHECK(ema.average()(1) == Approx(0.99).epsilon(1e-15));
  ember::ParameterEma<double> resumed({.decay = 0.9});
  resumed.set_state(ema.state());
  CHECK(resumed.state().updates == 3);
  CHECK(resumed.average() == ema.average());
  CHECK_THROWS_WITH(ember::ParameterEma<double>({.decay = 1.0}), Catch::Matchers::Contains("decay = 1"));
}
