// ember::mpi::Communicator: RAII duplicates, checked calls (a failure names the call and MPI's message),
// gathers in rank order, splits.
#include <catch2/catch.hpp>

#include <mpi.h>

#include <string>
#include <vector>

#include "ember/mpi/communicator.hpp"

using Catch::Matchers::Contains;

TEST_CASE("mpi::Communicator: rank, size and allgather in rank order", "[mpi][communicator]") {
  ember::mpi::Communicator world;
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  CHECK(world.size() == size);
  // Rank r sends r + 1 copies of r: the gather is 0, 1, 1, 2, 2, 2, ...
  const std::vector<int> mine(static_cast<std::size_t>(world.rank() + 1), world.rank());
  const std::vector<int> all = world.allgather(mine);
  std::vector<int> expected;
  for (int r = 0; r < world.size(); ++r) expected.insert(expected.end(), static_cast<std::size_t>(r + 1), r);
  CHECK(all == expected);
  std::vector<double> value{world.is_root() ? 2.5 : -1.0};
  world.broadcast(value);
  CHECK(value[0] == 2.5);
  ember::mpi::Communicator self = ember::mpi::Communicator::self();
  CHECK(self.size() == 1);
  CHECK(self.rank() == 0);
  const ember::mpi::Communicator pair = world.split(world.rank() / 2, world.rank());
  CHECK(pair.size() == std::min(2, world.size() - world.rank() / 2 * 2));
}

TEST_CASE("mpi::Communicator: a failed call throws mpi_error naming the call and MPI's message",
          "[mpi][communicator]") {
  CHECK_NOTHROW(ember::mpi::detail::check(MPI_SUCCESS, "MPI_Barrier"));
  CHECK_THROWS_AS(ember::mpi::detail::check(MPI_ERR_COUNT, "MPI_Allgatherv"), ember::mpi::mpi_error);
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(MPI_ERR_COUNT, text, &length);
  CHECK_THROWS_WITH(ember::mpi::detail::check(MPI_ERR_COUNT, "MPI_Allgatherv"),
                    Contains("ember::mpi: MPI_Allgatherv failed: ") && Contains(std::string(text, length)));
  // A real failing call (a negative count) is returned by MPI, not fatal, on the duplicate.
  ember::mpi::Communicator world;
  int value = 0;
  CHECK_THROWS_WITH(ember::mpi::detail::check(MPI_Bcast(&value, -1, MPI_INT, 0, world.handle()), "MPI_Bcast"),
                    Contains("ember::mpi: MPI_Bcast failed: "));
  CHECK_THROWS_WITH(ember::mpi::detail::count_of(ember::Index{1} << 40, "f", "n"),
                    Contains("f: n = 1099511627776: must fit MPI's int count"));
}
