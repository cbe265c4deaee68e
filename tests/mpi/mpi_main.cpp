// The Catch2 main of ember_test_mpi: MPI is initialised around the session, every rank runs every test (the
// tests are collective), and every rank exits with the worst rank's status so mpirun reports any failure.
#include <algorithm>
#include <vector>

#include "ember/mpi/communicator.hpp"
#include "support/catch_session.hpp"

int main(int argc, char** argv) {
  ember::mpi::Environment environment(argc, argv);
  int failed = 0;
  {
    ember::mpi::Communicator world;
    failed = ember::test::run_catch_session(argc, argv);
    const std::vector<int> all = world.allgather(std::vector<int>{failed});
    failed = *std::max_element(all.begin(), all.end());
  }
  return failed;
}
