// ember::mpi::mmd2_rbf: the same bits for any rank count, and ember::mmd2_rbf's bits (the same blocks and sums).
#include <catch2/catch.hpp>

#include "ember/mpi/mmd.hpp"
#include "support/random_batch.hpp"

using Catch::Matchers::Contains;
using ember::Batch;

TEMPLATE_TEST_CASE("mpi::mmd2_rbf: bit-identical for any rank count and to mmd2_rbf",
                   "[mpi][mmd]", float, double) {
  using T = TestType;
  ember::mpi::Communicator world;
  const ember::mpi::Communicator self = ember::mpi::Communicator::self();
  const Batch<T> x = ember::test::normal_batch<T>(150, 3, 1);
  Batch<T> y = ember::test::normal_batch<T>(97, 3, 2, T(1.3));
  y.col(0).array() += T(1.5);
  for (const auto& settings : {ember::MmdSettings{}, ember::MmdSettings{.bandwidths = {0.3, 2.0}},
                               ember::MmdSettings{.max_points = 120}}) {
    const ember::MmdResult plain = ember::mmd2_rbf<T>(x, y, settings);
    const ember::MmdResult one = ember::mpi::mmd2_rbf<T>(self, x, y, settings);
    const ember::MmdResult all = ember::mpi::mmd2_rbf<T>(world, x, y, settings);
    CHECK(all.mmd2 == one.mmd2);
    CHECK(all.standard_error == one.standard_error);
    CHECK(all.bandwidths == plain.bandwidths);
    // The same row blocks and the same per-row sums, added in row order.
    CHECK(all.mmd2 == plain.mmd2);
    CHECK(all.standard_error == plain.standard_error);
    CHECK(all.mmd2 > 3 * all.standard_error);  // the shifted sample is told apart
  }
  CHECK_THROWS_WITH(ember::mpi::mmd2_rbf<T>(world, x.topRows(1), y), Contains("ember::mpi::mmd2_rbf: x.rows() = 1"));
}
