// Tests include/ember/core/error.hpp: the message every refused argument carries, the require_* conditions, and
// the finiteness checks that stand between a NaN and the caller.
#include "ember/core/error.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>

using Catch::Matchers::Equals;

TEST_CASE("require throws ember::invalid_argument reading 'function: argument = value: reason'", "[error]") {
  CHECK_NOTHROW(ember::detail::require(true, "f", "x", 1, "never read"));
  CHECK_THROWS_WITH(ember::detail::require(false, "ember::Langevin", "step_size", -0.5, "must be ", "> 0"),
                    Equals("ember::Langevin: step_size = -0.5: must be > 0"));
  // Values print with 17 significant digits: a refused 0.1f is shown as the float it is.
  CHECK_THROWS_WITH(ember::detail::require(false, "g", "eps", 0.1f, "bad"), Equals("g: eps = 0.10000000149011612: bad"));
  // The type is ember's, and it is also a std::invalid_argument for callers that catch the standard one.
  CHECK_THROWS_AS(ember::detail::require(false, "f", "x", 1, "r"), ember::invalid_argument);
  CHECK_THROWS_AS(ember::detail::require(false, "f", "x", 1, "r"), std::invalid_argument);
}

TEMPLATE_TEST_CASE("require_positive, require_non_negative, require_finite and require_at_least_one draw their lines",
                   "[error]", float, double) {
  using T = TestType;
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T tiny = std::numeric_limits<T>::denorm_min();

  CHECK_NOTHROW(ember::detail::require_positive(tiny, "f", "s"));
  CHECK_NOTHROW(ember::detail::require_positive(std::numeric_limits<T>::max(), "f", "s"));
  for (const T bad : {T(0), T(-0.0), T(-1), nan, inf, -inf}) {
    INFO("value " << bad);
    CHECK_THROWS_WITH(ember::detail::require_positive(bad, "f", "s"), Catch::Contains("must be finite and > 0"));
  }

  CHECK_NOTHROW(ember::detail::require_non_negative(T(0), "f", "alpha"));
  CHECK_NOTHROW(ember::detail::require_non_negative(T(-0.0), "f", "alpha"));  // −0 compares equal to 0
  CHECK_THROWS_WITH(ember::detail::require_non_negative(T(-0.25), "f", "alpha", " (0 disables it)"),
                    Equals("f: alpha = -0.25: must be finite and >= 0 (0 disables it)"));
  for (const T bad : {nan, inf, -inf}) CHECK_THROWS_AS(ember::detail::require_non_negative(bad, "f", "a"), ember::invalid_argument);

  CHECK_NOTHROW(ember::detail::require_finite(-std::numeric_limits<T>::max(), "f", "v"));
  for (const T bad : {nan, inf, -inf})
    CHECK_THROWS_WITH(ember::detail::require_finite(bad, "f", "v"), Catch::EndsWith("must be finite"));

  CHECK_NOTHROW(ember::detail::require_at_least_one(1, "f", "steps"));
  CHECK_THROWS_WITH(ember::detail::require_at_least_one(0, "f", "steps", " (one level)"),
                    Equals("f: steps = 0: must be >= 1 (one level)"));
  CHECK_THROWS_AS(ember::detail::require_at_least_one(-3L, "f", "n"), ember::invalid_argument);
}

TEMPLATE_TEST_CASE("all_finite finds a NaN or an infinity anywhere, also in a block with a stride", "[error]", float,
                   double) {
  using T = TestType;
  using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  // The largest finite numbers are finite (x − x is 0 for them), as is every subnormal.
  M m = M::Constant(7, 5, std::numeric_limits<T>::max());
  m(3, 1) = -std::numeric_limits<T>::max();
  m(6, 4) = std::numeric_limits<T>::denorm_min();
  CHECK(ember::detail::all_finite(m));
  for (const T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                      -std::numeric_limits<T>::infinity()}) {
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      for (Eigen::Index i = 0; i < m.rows(); ++i) {
        M with = m;
        with(i, j) = bad;
        INFO("bad value " << bad << " at (" << i << ", " << j << ")");
        CHECK_FALSE(ember::detail::all_finite(with));
        // A block of rows (its columns strided) sees its own rows only.
        CHECK(ember::detail::all_finite(with.topRows(i)));
        CHECK_FALSE(ember::detail::all_finite(with.topRows(i + 1)));
      }
  }
}

TEST_CASE("require_all_finite names the first bad entry in column-major order; check_numerics counts them",
          "[error]") {
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(4, 3);
  CHECK_NOTHROW(ember::detail::require_all_finite(m, "f", "x"));
  CHECK_NOTHROW(ember::detail::check_numerics(m, "f", "energy"));
  m(1, 2) = std::numeric_limits<double>::infinity();  // first in row-major order, second in column-major
  m(3, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(ember::detail::require_all_finite(m, "ember::Mala::step", "x"),
                    Equals("ember::Mala::step: x(3, 0) = nan: must be finite (NaN/Inf in an input)"));
  CHECK_THROWS_AS(ember::detail::check_numerics(m, "f", "energy"), ember::numerical_error);
  CHECK_THROWS_WITH(ember::detail::check_numerics(m, "ember::train", "the gradient"),
                    Equals("ember::train: the gradient is not finite in 2 of 12 entries"));
}
