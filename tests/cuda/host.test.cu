// The CUDA backend's host-callable parts, compiled by nvcc and run on the CPU (no device needed): the
// device random stream's host path agrees with core's Philox/Box–Muller, errors are named, activation slopes
// are the derivatives of their values, and argument checks fire before any device call.
#include "ember/cuda/ember_cuda.cuh"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "ember/simd/random.hpp"

using ember::Batch;
using ember::Index;

TEMPLATE_TEST_CASE("cuda random: host path of philox_normal/philox_uniform agrees with PhiloxDraw", "[cuda][random]",
                   float, double) {
  const auto draw = ember::Philox(20240917, 3).draw();
  Batch<TestType> normal(37, 7), uniform(37, 7);  // 7 columns: a full block of four and a partial one
  draw.template normal<TestType>(normal, 0);
  draw.template uniform<TestType>(uniform, 0);
  const TestType eps = std::numeric_limits<TestType>::epsilon();
  for (Index i = 0; i < normal.rows(); ++i) {
    for (Index j = 0; j < normal.cols(); ++j) {
      const auto chain = static_cast<std::uint32_t>(i);
      const auto coordinate = static_cast<std::uint32_t>(j);
      // The uniform is a pure function of the bits: identical.
      CHECK(ember::cuda::philox_uniform<TestType>(draw, chain, coordinate) == uniform(i, j));
      // The normal: the same formula with std:: instead of xsimd math; both are within a few ulps of the
      // exact value, whose size is bounded by the radius r = √(−2 log u0) ≤ |z0| + |z1| (+1 for the log).
      const auto bits = draw.bits(chain, coordinate / 4);
      const unsigned pair = (coordinate % 4) & ~1u;
      const TestType radius = std::sqrt(TestType(-2) * std::log(ember::cuda::uniform_from_bits<TestType>(bits[pair])));
      const TestType z = ember::cuda::philox_normal<TestType>(draw, chain, coordinate);
      INFO("chain " << i << ", coordinate " << j);
      CHECK(std::abs(z - normal(i, j)) <= 16 * eps * (1 + radius));
    }
    TestType block[4];
    ember::cuda::philox_normal_block(draw, static_cast<std::uint32_t>(i), 1, 3, block);
    for (int w = 0; w < 3; ++w)
      CHECK(block[w] == ember::cuda::philox_normal<TestType>(draw, static_cast<std::uint32_t>(i), 4 + w));
  }
}

TEST_CASE("cuda random: uniform_from_bits is core's mapping and stays in (0, 1)", "[cuda][random]") {
  for (std::uint32_t bits : {0u, 1u, 255u, 256u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    CHECK(ember::cuda::uniform_from_bits<float>(bits) == ember::simd::uniform_from_bits<float>(bits));
    CHECK(ember::cuda::uniform_from_bits<double>(bits) == ember::simd::uniform_from_bits<double>(bits));
    CHECK(ember::cuda::uniform_from_bits<float>(bits) > 0.0f);
    CHECK(ember::cuda::uniform_from_bits<float>(bits) < 1.0f);
    CHECK(ember::cuda::uniform_from_bits<double>(bits) > 0.0);
    CHECK(ember::cuda::uniform_from_bits<double>(bits) < 1.0);
  }
  // The Philox block itself: Random123's known answer for counter 0, key 0.
  CHECK(ember::philox::philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
}

TEST_CASE("cuda errors name the call and the runtime's description", "[cuda][error]") {
  try {
    ember::cuda::detail::check(cudaErrorInvalidValue, "cudaMemcpy (host to device)");
    FAIL("no exception");
  } catch (const ember::cuda::cuda_error& error) {
    const std::string message = error.what();
    CHECK(message.find("cudaMemcpy (host to device)") != std::string::npos);
    CHECK(message.find("cudaErrorInvalidValue") != std::string::npos);
    CHECK(message.find(cudaGetErrorString(cudaErrorInvalidValue)) != std::string::npos);
  }
  CHECK_THROWS_AS(ember::cuda::detail::check(CUBLAS_STATUS_NOT_INITIALIZED, "cublasSgemm"), ember::cuda::cuda_error);
  CHECK_NOTHROW(ember::cuda::detail::check(cudaSuccess, "cudaMalloc"));
  CHECK_NOTHROW(ember::cuda::detail::check(CUBLAS_STATUS_SUCCESS, "cublasSgemm"));
}

TEST_CASE("cuda argument checks fire on the host before any device call", "[cuda][error]") {
  ember::cuda::DeviceBuffer<float> buffer;
  CHECK(buffer.size() == 0);
  CHECK_THROWS_AS(buffer.resize(-1), ember::invalid_argument);
  CHECK_THROWS_WITH(ember::cuda::Langevin<float>({.step_size = -1.0f}), Catch::Contains("step_size"));
  CHECK_THROWS_AS(ember::cuda::Langevin<double>::decoupled(0.1, -1.0), ember::invalid_argument);
  CHECK_THROWS_WITH(ember::cuda::Mala<double>({.step_size = 0.0}), Catch::Contains("ember::cuda::Mala"));
  const ember::Vector<float> params = ember::Vector<float>::Zero(4);
  using Mlp = ember::cuda::DeviceMlp<float, ember::cuda::Silu>;
  CHECK_THROWS_WITH(Mlp({2}, params), Catch::Contains("widths.size()"));
  CHECK_THROWS_WITH(Mlp({2, 0}, params), Catch::Contains("widths[1]"));
  CHECK_THROWS_WITH(Mlp({2, 3}, params), Catch::Contains("params"));  // 2·3 + 3 + 3 + 1 = 13 expected
  CHECK_THROWS_WITH(Mlp({2, 3}, ember::Vector<float>::Zero(13), -1.0f), Catch::Contains("base_scale"));
}

TEST_CASE("cuda activations: slope is the derivative of value (central differences, double)", "[cuda][mlp]") {
  const auto check = [](auto activation, const char* name) {
    using A = decltype(activation);
    for (double z : {-30.0, -4.0, -1.3, -0.2, 0.0, 0.7, 2.5, 30.0}) {
      const double h = 1e-5 * std::max(1.0, std::abs(z));
      const double numeric = (A::value(z + h) - A::value(z - h)) / (2 * h);
      INFO(name << " at " << z);
      CHECK(std::abs(A::slope(z) - numeric) <= 1e-8 * (1 + std::abs(numeric)));
      CHECK(std::isfinite(A::value(static_cast<float>(z))));
    }
  };
  check(ember::cuda::Silu{}, "Silu");
  check(ember::cuda::Softplus{}, "Softplus");
  check(ember::cuda::Tanh{}, "Tanh");
  CHECK(ember::cuda::Softplus::value(-800.0) == 0.0);  // no overflow, no NaN
  CHECK(ember::cuda::Softplus::value(800.0) == 800.0);
  CHECK(ember::cuda::Silu::value(-800.0f) == -0.0f);
}
