// Catch2's implementation, compiled once for every test runner (ember_test_main, the CUDA device runner and
// the MPI runner each bring only their main()): the single header's implementation costs ~25 CPU-seconds.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/catch_session.hpp"

namespace ember::test {

int run_catch_session(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }

}  // namespace ember::test
