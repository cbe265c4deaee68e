// ember::mpi::grid_density / grid_nll: the grid's cells and the held-out points split across ranks give the
// one-process functions' results bit for bit.
#include <catch2/catch.hpp>

#include "ember/energy/mlp.hpp"
#include "ember/mpi/grid_nll.hpp"
#include "support/random_batch.hpp"

using Catch::Matchers::Contains;
using ember::Batch;

TEMPLATE_TEST_CASE("mpi::grid_density and grid_nll equal the one-process functions bit for bit", "[mpi][grid_nll]",
                   float, double) {
  using T = TestType;
  ember::mpi::Communicator world;
  const ember::MlpEnergy<T> energy({2, 32, 32}, 11, {.base_scale = T(1.5)});
  const ember::GridSettings settings{.half_width = 5.0, .cells = 120};
  const ember::GridDensity2d expected = ember::grid_density(energy, settings);
  const ember::GridDensity2d g = ember::mpi::grid_density(world, energy, settings, {.block_rows = 500});
  CHECK(g.log_density == expected.log_density);
  CHECK(g.log_z == expected.log_z);
  CHECK(g.refinement_difference == expected.refinement_difference);
  CHECK(g.edge_mass == expected.edge_mass);
  const Batch<T> x = ember::test::normal_batch<T>(1000, 2, 5);
  CHECK(ember::mpi::grid_nll(world, energy, x, g) == ember::grid_nll(energy, x, expected));
  CHECK_THROWS_WITH(ember::mpi::grid_density(world, energy, {.cells = 5}),
                    Contains("ember::mpi::grid_density: settings.cells = 5"));
}
