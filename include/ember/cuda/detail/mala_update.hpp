#pragma once
/// @file
/// @brief One chain of MALA, for host and device: the ULA proposal y = x − (ε/2)∇E(x) + √ε ξ, the log
/// Metropolis–Hastings ratio and the decision (the device MALA kernels' bodies).
///
/// log α = E(x) − E(y) − (‖x − y + (ε/2)∇E(y)‖² − ‖y − x + (ε/2)∇E(x)‖²)/(2ε); the chain moves if
/// log u < log α with u the Philox uniform of (chain, coordinate 0) of the decision's draw, as in ember::Mala.
/// The CPU writes the forward term as ‖ξ‖²/2, which is the same quantity in exact arithmetic; both are
/// sums of d squares, so they agree within a few ulps of the terms (tests/cuda_host/mala_update.test.cpp).
///
/// @code
/// ember::cuda::detail::mala_propose_chain(x, g, y, chain, n, d, draw, eps);
/// auto r = ember::cuda::detail::mala_log_ratio(x, g, e, y, gy, ey, chain, n, d, eps);
/// @endcode

#include <cmath>
#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/cuda/detail/host_device.hpp"
#include "ember/cuda/detail/random_stream.hpp"
#include "ember/simd/random.hpp"

namespace ember::cuda::detail {

/// @brief y(chain, :) = x − (ε/2) g + √ε ξ for chain `chain` of n × d column-major batches.
template <class T>
EMBER_HOST_DEVICE inline void mala_propose_chain(const T* x, const T* g, T* y, Index chain, Index n, Index d,
                                                 const PhiloxDraw& draw, T step) {
  using std::sqrt;
  const T half = T(0.5) * step;
  const T root = sqrt(step);
  T xi[4];
  for (Index block = 0; 4 * block < d; ++block) {
    const int count = static_cast<int>(d - 4 * block < 4 ? d - 4 * block : 4);
    philox_normal_block(draw, static_cast<std::uint32_t>(chain), static_cast<std::uint32_t>(block), count, xi);
    for (int w = 0; w < count; ++w) {
      const Index idx = chain + (4 * block + w) * n;
      y[idx] = fma(root, xi[w], fma(-half, g[idx], x[idx]));
    }
  }
}

/// @brief log α of chain `chain` (current x, ∇E(x), E(x); proposal y, ∇E(y), E(y)); NaN if any input is.
template <class T>
EMBER_HOST_DEVICE inline T mala_log_ratio(const T* x, const T* g, T e, const T* y, const T* gy, T ey, Index chain,
                                          Index n, Index d, T step) {
  const T half = T(0.5) * step;
  T forward = 0;  // ‖y − x + (ε/2) ∇E(x)‖²
  T reverse = 0;  // ‖x − y + (ε/2) ∇E(y)‖²
  for (Index j = 0; j < d; ++j) {
    const Index idx = chain + j * n;
    const T f = fma(half, g[idx], y[idx] - x[idx]);
    const T r = fma(half, gy[idx], x[idx] - y[idx]);
    forward = fma(f, f, forward);
    reverse = fma(r, r, reverse);
  }
  return (e - ey) - (reverse - forward) / (T(2) * step);
}

/// @brief The Metropolis–Hastings decision: log u < log α (false when log α is NaN).
template <class T>
EMBER_HOST_DEVICE inline bool mala_accepts(T log_ratio, T u) {
  using std::log;
  return log(u) < log_ratio;
}

}  // namespace ember::cuda::detail
