#pragma once
/// @file
/// @brief Random bits → uniforms and standard normals, written once against xsimd::batch.
///
/// The public API never names an instruction set: xsimd picks the widest one the compiler targets.
/// Every lane goes through the same vector code (tails are padded, not handed to a scalar loop), so the
/// value a chain receives never depends on where it sits in a batch or on the thread count.
/// `uniform_from_bits` and `box_muller_reference` are the scalar definitions the SIMD path is tested against.

#include <xsimd/xsimd.hpp>

#include "ember/core/config.hpp"

#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

namespace ember::simd {

/// 32 random bits → a uniform in the open interval (0, 1): never 0 (log-safe), never 1.
/// float keeps the top 23 bits, double all 32, each offset by half a step. (23, not 24: k + ½ must be exact
/// in float, else the largest k rounds up to 2²⁴ and the result to exactly 1.)
template <class T>
EMBER_HOST_DEVICE constexpr T uniform_from_bits(std::uint32_t bits) {
  if constexpr (std::is_same_v<T, float>) {
    return (static_cast<float>(bits >> 9) + 0.5f) * 0x1p-23f;
  } else {
    return (static_cast<double>(bits) + 0.5) * 0x1p-32;
  }
}

/// Scalar Box–Muller: (u0, u1) in (0, 1) → two independent standard normals.
template <class T>
void box_muller_reference(T u0, T u1, T& z0, T& z1) {
  const T radius = std::sqrt(T(-2) * std::log(u0));
  const T angle = T(2) * std::numbers::pi_v<T> * u1;
  z0 = radius * std::cos(angle);
  z1 = radius * std::sin(angle);
}

/// Vector Box–Muller over `count` lanes: z0[i], z1[i] from u0[i], u1[i]. `count` must be a multiple of
/// xsimd::batch<T>::size (callers pad their tails).
template <class T>
void box_muller(const T* u0, const T* u1, T* z0, T* z1, std::size_t count) {
  using batch = xsimd::batch<T>;
  const batch minus_two(T(-2));
  const batch two_pi(T(2) * std::numbers::pi_v<T>);
  for (std::size_t i = 0; i < count; i += batch::size) {
    const batch radius = xsimd::sqrt(minus_two * xsimd::log(batch::load_unaligned(u0 + i)));
    const auto [s, c] = xsimd::sincos(two_pi * batch::load_unaligned(u1 + i));
    (radius * c).store_unaligned(z0 + i);
    (radius * s).store_unaligned(z1 + i);
  }
}

}  // namespace ember::simd
