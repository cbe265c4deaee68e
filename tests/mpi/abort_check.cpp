// One rank throws while the other waits in a collective: run_or_abort must end the job with the thrower's
// message (ctest matches it) instead of leaving the other rank waiting forever (ctest's timeout would fail it).
#include <stdexcept>

#include "ember/mpi/communicator.hpp"

int main(int argc, char** argv) {
  ember::mpi::Environment environment(argc, argv);
  ember::mpi::Communicator world;
  return ember::mpi::run_or_abort([&] {
    if (world.rank() == 1) throw std::runtime_error("ember_mpi_abort_check: rank 1 fails on purpose");
    world.barrier();  // rank 0 would wait here forever without the abort
  });
}
