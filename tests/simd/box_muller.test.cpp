// Tests include/ember/simd/box_muller.hpp: uniforms from 32 bits stay inside (0, 1) at both ends, and the vector
// Box–Muller transform equals the scalar definition lane by lane.
#include "ember/simd/box_muller.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

TEMPLATE_TEST_CASE("uniform_from_bits maps 32 bits into the open interval (0, 1), evenly", "[box_muller]", float,
                   double) {
  using T = TestType;
  using ember::simd::uniform_from_bits;
  const T lowest = uniform_from_bits<T>(0u);
  const T highest = uniform_from_bits<T>(0xFFFFFFFFu);
  CHECK(lowest > T(0));  // log-safe
  CHECK(highest < T(1));
  // Half a step in from each end: the steps are 2⁻²³ for float (the top 23 bits), 2⁻³² for double.
  const T step = std::is_same_v<T, float> ? T(0x1p-23) : T(0x1p-32);
  CHECK(lowest == step / 2);
  CHECK(highest == T(1) - step / 2);
  CHECK(uniform_from_bits<T>(0x80000000u) == T(0.5) + step / 2);
}

TEMPLATE_TEST_CASE("box_muller equals box_muller_reference in every lane", "[box_muller]", float, double) {
  using T = TestType;
  constexpr std::size_t lanes = xsimd::batch<T>::size;
  const std::size_t count = 8 * lanes;
  std::vector<T> u0(count), u1(count), z0(count), z1(count);
  // Uniforms over the whole range, the extreme ends included (the largest radius, the angle next to 2π).
  for (std::size_t i = 0; i < count; ++i) {
    const auto bits = static_cast<std::uint32_t>(i * 0x9E3779B9u);
    u0[i] = ember::simd::uniform_from_bits<T>(i == 0 ? 0u : bits);
    u1[i] = ember::simd::uniform_from_bits<T>(i == 1 ? 0xFFFFFFFFu : bits ^ 0x5bd1e995u);
  }
  ember::simd::box_muller(u0.data(), u1.data(), z0.data(), z1.data(), count);
  for (std::size_t i = 0; i < count; ++i) {
    T r0, r1;
    ember::simd::box_muller_reference(u0[i], u1[i], r0, r1);
    INFO("lane " << i << ": u0 = " << u0[i] << ", u1 = " << u1[i]);
    // xsimd's log, sqrt and sincos against the standard library's: a few ulps of the radius (≤ 6.7).
    const T tolerance = 16 * std::numeric_limits<T>::epsilon() * (T(1) + std::abs(r0) + std::abs(r1));
    CHECK(std::abs(z0[i] - r0) <= tolerance);
    CHECK(std::abs(z1[i] - r1) <= tolerance);
  }
}
