#include "ember/train/clip.hpp"

#include <catch2/catch.hpp>

using ember::Vector;

TEMPLATE_TEST_CASE("clip_gradient_norm rescales only above the bound and returns the old norm", "[clip]", float, double) {
  using T = TestType;
  Vector<T> g = (Vector<T>(2) << T(3), T(4)).finished();
  CHECK(ember::clip_gradient_norm(g, T(10)) == Approx(5));
  CHECK(g(0) == T(3));
  CHECK(ember::clip_gradient_norm(g, T(1)) == Approx(5));
  CHECK(g.norm() == Approx(1).epsilon(4 * std::numeric_limits<T>::epsilon()));
  CHECK(g(0) / g(1) == Approx(0.75));
  Vector<T> bad = Vector<T>::Constant(2, std::numeric_limits<T>::quiet_NaN());
  CHECK(std::isnan(ember::clip_gradient_norm(bad, T(1))));
  CHECK_THROWS_WITH(ember::clip_gradient_norm(g, T(0)), Catch::Matchers::Contains("max_norm = 0"));
}
