#pragma once
/// @file
/// @brief One chain's unadjusted Langevin update, for host and device: x ← x − λ clip(∇E) + σξ with ξ the
/// host's Philox normals of that chain (the device Langevin kernel's body).
///
/// Each coordinate rounds twice, as ember::Langevin does (x − λg, then + σξ), but through fma, so that g++
/// and nvcc give the same bits for the same ξ; against the CPU's Eigen expression the result differs by at
/// most one rounding of each step plus σ times the difference of the two Box–Muller normals
/// (tests/cuda_host/langevin_update.test.cpp).
///
/// @code
/// bool ok = ember::cuda::detail::langevin_chain_update(x, g, chain, n, d, draw, lambda, sigma, clip);
/// @endcode

#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/cuda/detail/host_device.hpp"
#include "ember/cuda/detail/random_stream.hpp"
#include "ember/simd/random.hpp"

namespace ember::cuda::detail {

/// True if x is finite (NaN − NaN and ±Inf − ±Inf are NaN).
template <class T>
EMBER_HOST_DEVICE inline bool finite(T x) {
  return x - x == T(0);
}

/// g clamped to [−clip, clip]; clip = 0 leaves g as it is.
template <class T>
EMBER_HOST_DEVICE inline T clip_gradient(T g, T clip) {
  if (clip <= T(0)) return g;
  return g < -clip ? -clip : (g > clip ? clip : g);
}

/// @brief The Langevin move of one coordinate: (x − λ·g) + σ·ξ, each step rounded once.
template <class T>
EMBER_HOST_DEVICE inline T langevin_coordinate(T x, T g, T xi, T gradient_step, T noise_scale) {
  return fma(noise_scale, xi, fma(-gradient_step, g, x));
}

/// @brief Updates chain `chain` of an n × d column-major batch in place (x(chain, j) at x[chain + j·n]).
/// @return false if any gradient entry of the chain is NaN/Inf (the update is still applied).
template <class T>
EMBER_HOST_DEVICE inline bool langevin_chain_update(T* x, const T* g, Index chain, Index n, Index d,
                                                    const PhiloxDraw& draw, T gradient_step, T noise_scale,
                                                    T clip) {
  bool ok = true;
  T xi[4];
  for (Index block = 0; 4 * block < d; ++block) {
    const int count = static_cast<int>(d - 4 * block < 4 ? d - 4 * block : 4);
    philox_normal_block(draw, static_cast<std::uint32_t>(chain), static_cast<std::uint32_t>(block), count, xi);
    for (int w = 0; w < count; ++w) {
      const Index idx = chain + (4 * block + w) * n;
      ok = ok && finite(g[idx]);
      x[idx] = langevin_coordinate(x[idx], clip_gradient(g[idx], clip), xi[w], gradient_step, noise_scale);
    }
  }
  return ok;
}

}  // namespace ember::cuda::detail
