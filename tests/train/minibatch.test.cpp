#include "ember/train/minibatch.hpp"

#include <catch2/catch.hpp>

#include "ember/core/random.hpp"
#include "support/statistics.hpp"

using ember::Batch;

TEST_CASE("draw_minibatch draws rows uniformly and reproducibly", "[minibatch]") {
  const Batch<double> data = ember::Vector<double>::LinSpaced(10, 0.0, 9.0).replicate(1, 2);
  ember::Philox a(1), b(1);
  Batch<double> x(20000, 2), y(20000, 2);
  ember::draw_minibatch<double>(data, x, a);
  ember::draw_minibatch<double>(data, y, b);
  CHECK(x == y);
  CHECK(x.col(0) == x.col(1));  // whole rows are copied
  // Uniform over 0..9: mean 4.5, variance 8.25.
  CHECK(std::abs(x.col(0).mean() - 4.5) < ember::test::z_bound * std::sqrt(8.25 / 20000));
  Batch<double> wrong(4, 3);
  CHECK_THROWS_WITH(ember::draw_minibatch<double>(data, wrong, a), Catch::Matchers::Contains("out"));
}
