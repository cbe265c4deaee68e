// Catch2 runner for the device tests: without a CUDA device it says so and exits with 77, which ctest
// reports as "Skipped" (SKIP_RETURN_CODE 77) — a missing GPU is never counted as a pass.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#include <cstdio>

int main(int argc, char* argv[]) {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device (%s)\n", status == cudaSuccess ? "0 devices" : cudaGetErrorString(status));
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
