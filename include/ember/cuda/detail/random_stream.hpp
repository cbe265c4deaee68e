#pragma once
/// @file
/// @brief The host's Philox stream in scalar form, for host and device: the same bits and uniforms as
/// ember::PhiloxDraw, Box–Muller normals from the same formula.
///
/// Chain c, coordinate j of draw n gets the bits of counter {j / 4, c, lo(n), hi(n)}, word j % 4, exactly
/// what `PhiloxDraw::normal/uniform` fill on the host; bits and uniforms are identical on both sides (integer
/// arithmetic, and a conversion whose every step is exact). Normals pair the words (0, 1) and (2, 3): word 2k
/// gives r cos(2π u₁), word 2k+1 gives r sin(2π u₁) with r = √(−2 log u₀). They use the platform's log, cos
/// and sin (glibc on the CPU, CUDA's logf/sincosf on the GPU) where the CPU's batch path uses xsimd's, so
/// they agree with it within a few ulps of r (tests/cuda_host/random_stream.test.cpp measures the bound).
///
/// @code
/// const ember::PhiloxDraw draw = rng.draw();                           // on the host, passed by value
/// float z = ember::cuda::philox_normal<float>(draw, chain, coordinate);  // host or device
/// @endcode

#include <cmath>
#include <cstdint>

#include "ember/core/philox.hpp"
#include "ember/cuda/detail/host_device.hpp"
#include "ember/simd/box_muller.hpp"
#include "ember/simd/random.hpp"

namespace ember::cuda {

/// 32 random bits → a uniform in (0, 1), the same mapping as ember::simd::uniform_from_bits.
template <class T>
EMBER_HOST_DEVICE constexpr T uniform_from_bits(std::uint32_t bits) {
  return simd::uniform_from_bits<T>(bits);
}

/// @brief Scalar Box–Muller with the host's formula: (u0, u1) → (r cos 2πu1, r sin 2πu1), r = √(−2 log u0).
template <class T>
EMBER_HOST_DEVICE inline void box_muller(T u0, T u1, T& z0, T& z1) {
  constexpr T two_pi = T(2) * T(3.14159265358979323846264338327950288);
#if defined(__CUDA_ARCH__)
  T s, c;
  if constexpr (sizeof(T) == 4) {
    const float radius = sqrtf(-2.0f * logf(u0));
    sincosf(two_pi * u1, &s, &c);
    z0 = radius * c;
    z1 = radius * s;
  } else {
    const double radius = sqrt(-2.0 * log(u0));
    sincos(two_pi * u1, &s, &c);
    z0 = radius * c;
    z1 = radius * s;
  }
#else
  const T radius = std::sqrt(T(-2) * std::log(u0));
  z0 = radius * std::cos(two_pi * u1);
  z1 = radius * std::sin(two_pi * u1);
#endif
}

/// @brief Uniform in (0, 1) for chain `chain`, coordinate `coordinate` of a draw (host: `PhiloxDraw::uniform`).
template <class T>
EMBER_HOST_DEVICE inline T philox_uniform(const PhiloxDraw& draw, std::uint32_t chain, std::uint32_t coordinate) {
  return uniform_from_bits<T>(draw.bits(chain, coordinate / 4)[coordinate % 4]);
}

/// @brief Standard normal for chain `chain`, coordinate `coordinate` of a draw (host: `PhiloxDraw::normal`).
template <class T>
EMBER_HOST_DEVICE inline T philox_normal(const PhiloxDraw& draw, std::uint32_t chain, std::uint32_t coordinate) {
  const philox::Block b = draw.bits(chain, coordinate / 4);
  const std::uint32_t pair = (coordinate % 4) & ~std::uint32_t{1};
  T z0, z1;
  box_muller(uniform_from_bits<T>(b[pair]), uniform_from_bits<T>(b[pair + 1]), z0, z1);
  return (coordinate % 2 == 0) ? z0 : z1;
}

/// @brief The normals of coordinates 4·block .. 4·block + count − 1 (count ≤ 4) of one chain, from one
/// Philox call: what a per-chain kernel uses to fill a whole row cheaply.
template <class T>
EMBER_HOST_DEVICE inline void philox_normal_block(const PhiloxDraw& draw, std::uint32_t chain, std::uint32_t block,
                                                  int count, T* out) {
  const philox::Block b = draw.bits(chain, block);
  T z0, z1;
  box_muller(uniform_from_bits<T>(b[0]), uniform_from_bits<T>(b[1]), z0, z1);
  out[0] = z0;
  if (count > 1) out[1] = z1;
  if (count > 2) {
    box_muller(uniform_from_bits<T>(b[2]), uniform_from_bits<T>(b[3]), z0, z1);
    out[2] = z0;
    if (count > 3) out[3] = z1;
  }
}

}  // namespace ember::cuda
