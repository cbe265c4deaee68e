// A user's MPI program against the installed package (ember::mpi): each rank sums its share of 0..99 and the
// ranks gather their sums; every rank must see 4950.
#include <ember/mpi/ember_mpi.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

int main(int argc, char** argv) {
  ember::mpi::Environment environment(argc, argv);
  return ember::mpi::run_or_abort([&] {
    const ember::mpi::Communicator comm;
    double mine = 0;
    for (int i = comm.rank(); i < 100; i += comm.size()) mine += i;
    const std::vector<double> all = comm.allgather(std::vector<double>{mine});
    const double total = std::accumulate(all.begin(), all.end(), 0.0);
    std::printf("rank %d of %d: total %.0f\n", comm.rank(), comm.size(), total);
    return total == 4950.0 ? 0 : 1;
  });
}
