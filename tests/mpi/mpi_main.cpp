// The Catch2 main of ember_test_mpi: MPI is initialised around the session, every rank runs every test (the
// tests are collective), and every rank exits with the worst rank's status so mpirun reports any failure.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "ember/mpi/communicator.hpp"

int main(int argc, char** argv) {
  ember::mpi::Environment environment(argc, argv);
  int failed = 0;
  {
    ember::mpi::Communicator world;
    failed = Catch::Session().run(argc, argv);
    const std::vector<int> all = world.allgather(std::vector<int>{failed});
    failed = *std::max_element(all.begin(), all.end());
  }
  return failed;
}
