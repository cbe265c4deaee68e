// tests include/ember/cuda/detail/random_stream.hpp: the device's Philox stream, compiled by g++, against the
// CPU path (ember::PhiloxDraw's batch fill): bits and uniforms bit for bit, normals within a measured bound.
#include "ember/cuda/detail/random_stream.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "ember/simd/random.hpp"

using ember::Batch;
using ember::Index;

TEST_CASE("cuda random_stream: the counter layout is {coordinate / 4, chain, lo(draw), hi(draw)}", "[cuda_host][random]") {
  // A draw index above 2³² exercises the high counter word.
  const ember::philox::Key key{0x01234567u, 0x89abcdefu};
  const std::uint64_t n = (std::uint64_t{5} << 32) + 17;
  const ember::PhiloxDraw draw(key, n);
  for (std::uint32_t chain : {0u, 1u, 1000u, 0xFFFFFFFFu}) {
    for (std::uint32_t coordinate : {0u, 1u, 2u, 3u, 4u, 7u, 130u}) {
      const ember::philox::Block expected = ember::philox::philox4x32_10({coordinate / 4, chain, 17u, 5u}, key);
      CHECK(ember::cuda::philox_uniform<float>(draw, chain, coordinate) ==
            ember::simd::uniform_from_bits<float>(expected[coordinate % 4]));
      CHECK(ember::cuda::philox_uniform<double>(draw, chain, coordinate) ==
            ember::simd::uniform_from_bits<double>(expected[coordinate % 4]));
    }
  }
  // Random123's known answer for counter 0, key 0, and the uniforms' extremes stay inside (0, 1).
  CHECK(ember::philox::philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
  CHECK(ember::cuda::uniform_from_bits<float>(0u) == 0x1p-24f);
  CHECK(ember::cuda::uniform_from_bits<float>(0xFFFFFFFFu) < 1.0f);
  CHECK(ember::cuda::uniform_from_bits<double>(0u) == 0x1p-33);
  CHECK(ember::cuda::uniform_from_bits<double>(0xFFFFFFFFu) < 1.0);
}

TEMPLATE_TEST_CASE("cuda random_stream: uniforms equal PhiloxDraw::uniform bit for bit", "[cuda_host][random]", float,
                   double) {
  const auto draw = ember::Philox(20240917, 3).draw();
  Batch<TestType> uniform(1001, 7);  // odd sizes: the CPU's 16-lane batch path and its tails
  draw.template uniform<TestType>(uniform, 0);
  Index mismatches = 0;
  for (Index i = 0; i < uniform.rows(); ++i)
    for (Index j = 0; j < uniform.cols(); ++j)
      mismatches += ember::cuda::philox_uniform<TestType>(draw, static_cast<std::uint32_t>(i),
                                                          static_cast<std::uint32_t>(j)) != uniform(i, j);
  CHECK(mismatches == 0);
}

// The normals use std::log/cos/sin where the CPU's batch path uses xsimd's: both are within a few ulps of
// the exact r·cos(2πu₁), whose natural scale is the radius r = √(−2 log u₀) (cos near 0 has no relative
// precision in either). Measured over 2²⁰ normals per type on x86-64 (glibc 2.36, xsimd 8.1, -march=native):
// max |Δ|/(ε·r) = 1.90 and 1.96 (float, double); the bound below, 8, leaves room for other libms. CUDA's
// logf/sincosf (≤ 1 and 2 ulp, CUDA Programming Guide) should stay within it too: checked only on a GPU run.
TEMPLATE_TEST_CASE("cuda random_stream: normals agree with PhiloxDraw::normal within 8 ulps of the radius",
                   "[cuda_host][random]", float, double) {
  const auto draw = ember::Philox(7, 11).draw();
  Batch<TestType> normal(Index{1} << 18, 4);
  draw.template normal<TestType>(normal, 0);
  const double eps = std::numeric_limits<TestType>::epsilon();
  double worst = 0;
  for (Index i = 0; i < normal.rows(); ++i) {
    const auto chain = static_cast<std::uint32_t>(i);
    TestType block[4];
    ember::cuda::philox_normal_block(draw, chain, 0, 4, block);
    for (Index j = 0; j < normal.cols(); ++j) {
      const auto coordinate = static_cast<std::uint32_t>(j);
      const TestType z = ember::cuda::philox_normal<TestType>(draw, chain, coordinate);
      REQUIRE(block[j] == z);  // the block form is the per-coordinate form
      const auto bits = draw.bits(chain, 0);
      const double u0 = ember::cuda::uniform_from_bits<TestType>(bits[coordinate & ~1u]);
      const double radius = std::sqrt(-2.0 * std::log(u0));
      worst = std::max(worst, std::abs(static_cast<double>(z) - static_cast<double>(normal(i, j))) / (eps * radius));
    }
  }
  INFO("max |cuda − cpu| / (eps · r) = " << worst);
  CHECK(worst <= 8.0);
}

TEST_CASE("cuda random_stream: a partial block writes only `count` normals", "[cuda_host][random]") {
  const auto draw = ember::Philox(3).draw();
  float out[4] = {-7.0f, -7.0f, -7.0f, -7.0f};
  ember::cuda::philox_normal_block(draw, 5, 2, 3, out);
  CHECK(out[3] == -7.0f);
  for (int w = 0; w < 3; ++w) CHECK(out[w] == ember::cuda::philox_normal<float>(draw, 5, 8 + static_cast<std::uint32_t>(w)));
}
