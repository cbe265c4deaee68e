// Device test: the device's Philox stream is the host's — identical bits and uniforms, normals within a few
// ulps — for a given key and counter, over whole batches with partial coordinate blocks.
#include "ember/cuda/ember_cuda.cuh"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "ember/simd/random.hpp"

using ember::Batch;
using ember::Index;

namespace {

template <class T>
__global__ void draw_kernel(ember::PhiloxDraw draw, Index n, Index d, T* normal, T* uniform, std::uint32_t* bits) {
  const Index i = ember::cuda::detail::thread_index();
  if (i >= n) return;
  for (Index j = 0; j < d; ++j) {
    normal[i + j * n] = ember::cuda::philox_normal<T>(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
    uniform[i + j * n] = ember::cuda::philox_uniform<T>(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
  }
  const auto block = draw.bits(static_cast<std::uint32_t>(i), 1);
  for (int w = 0; w < 4; ++w) bits[i + w * n] = block[w];
}

}  // namespace

TEMPLATE_TEST_CASE("device Philox bits, uniforms and normals match the host's", "[cuda][random]", float, double) {
  const Index n = 1000, d = 7;
  ember::Philox rng(0xC0FFEE1234ull, 41);  // a 64-bit key and a draw number above 2^5
  const auto draw = rng.draw();
  ember::cuda::DeviceBatch<TestType> normal(n, d), uniform(n, d);
  ember::cuda::DeviceBuffer<std::uint32_t> bits(4 * n);
  draw_kernel<TestType><<<ember::cuda::detail::grid_for(n), 256>>>(draw, n, d, normal.data(), uniform.data(), bits.data());
  ember::cuda::detail::check_launch("draw_kernel");
  const Batch<TestType> device_normal = normal.to_host();
  const Batch<TestType> device_uniform = uniform.to_host();
  const auto device_bits = bits.to_host();

  Batch<TestType> host_normal(n, d), host_uniform(n, d);
  draw.template normal<TestType>(host_normal, 0);
  draw.template uniform<TestType>(host_uniform, 0);
  const TestType eps = std::numeric_limits<TestType>::epsilon();
  Index bit_mismatches = 0, normal_mismatches = 0;
  for (Index i = 0; i < n; ++i) {
    const auto host_bits = draw.bits(static_cast<std::uint32_t>(i), 1);
    for (int w = 0; w < 4; ++w) bit_mismatches += device_bits(i + w * n) != host_bits[w];
    for (Index j = 0; j < d; ++j) {
      const auto b = draw.bits(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j / 4));
      const TestType radius = std::sqrt(TestType(-2) * std::log(ember::cuda::uniform_from_bits<TestType>(b[(j % 4) & ~Index{1}])));
      normal_mismatches += !(std::abs(device_normal(i, j) - host_normal(i, j)) <= 16 * eps * (1 + radius));
    }
  }
  CHECK(bit_mismatches == 0);
  CHECK(device_uniform == host_uniform);  // bit-identical
  CHECK(normal_mismatches == 0);           // a few ulps of the radius
}
