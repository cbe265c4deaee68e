// Catch2 runner for the device tests: without a CUDA device it says so and exits with 77, which ctest reports
// as "Skipped" (SKIP_RETURN_CODE 77) — a missing GPU is never counted as a pass. Catch2's implementation comes
// from tests/support/catch_session.cpp.
#include <cuda_runtime.h>

#include <cstdio>

#include "support/catch_session.hpp"

int main(int argc, char* argv[]) {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device (%s)\n", status == cudaSuccess ? "0 devices" : cudaGetErrorString(status));
    return 77;
  }
  return ember::test::run_catch_session(argc, argv);
}
