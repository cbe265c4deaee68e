// Tests include/ember/core/batch.hpp: views of a row block share the batch's memory, and require_batch and
// require_shape refuse what the layout does not allow, naming the shape.
#include "ember/core/batch.hpp"

#include <catch2/catch.hpp>

#include <limits>

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

TEST_CASE("a row block passes as BatchView and BatchRef without a copy", "[batch]") {
  ember::Batch<float> x(10, 3);
  x.setZero();
  const ember::BatchView<float> view = x.middleRows(2, 5);
  CHECK(view.data() == x.data() + 2);
  CHECK(view.outerStride() == 10);  // a coordinate's column keeps the batch's stride
  ember::BatchRef<float> ref = x.middleRows(2, 5);
  ref(0, 1) = 4.0f;  // writes through to row 2 of the batch
  CHECK(x(2, 1) == 4.0f);
  const ember::VectorView<float> energies = ember::Vector<float>::Ones(6).segment(1, 4);
  CHECK(energies.size() == 4);
}

TEST_CASE("require_batch refuses an empty batch, the wrong width, no columns and a non-finite entry", "[batch]") {
  ember::Batch<double> x = ember::Batch<double>::Zero(5, 2);
  CHECK_NOTHROW(ember::detail::require_batch(x, 2, "f", "x"));
  CHECK_THROWS_WITH(ember::detail::require_batch(ember::Batch<double>(0, 2), 2, "ember::Langevin::run", "x"),
                    Equals("ember::Langevin::run: x = 0 x 2: the batch is empty"));
  CHECK_THROWS_WITH(ember::detail::require_batch(x, 3, "f", "x"), Equals("f: x = 5 x 2: expected 3 columns (one per coordinate)"));
  CHECK_THROWS_WITH(ember::detail::require_batch(ember::Batch<double>(5, 0), 0, "f", "x"),
                    Equals("f: x = 5 x 0: the batch has no columns (coordinates)"));
  x(4, 1) = -std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(ember::detail::require_batch(x, 2, "f", "x"), Contains("x(4, 1) = -inf"));
}

TEST_CASE("require_shape names the shape it got and the one it expected", "[batch]") {
  const ember::Batch<float> g(4, 2);
  CHECK_NOTHROW(ember::detail::require_shape(g, 4, 2, "f", "gradient"));
  CHECK_THROWS_WITH(ember::detail::require_shape(g, 4, 3, "ember::MlpEnergy::gradient", "out"),
                    Equals("ember::MlpEnergy::gradient: out = 4 x 2: expected 4 x 3"));
  CHECK_THROWS_AS(ember::detail::require_shape(g, 2, 4, "f", "out"), ember::invalid_argument);
}
