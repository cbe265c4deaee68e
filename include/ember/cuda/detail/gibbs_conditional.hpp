#pragma once
/// @file
/// @brief One unit of an RBM's block Gibbs half-step, for host and device: the Bernoulli conditional
/// 1{u < σ(a)} and the Gaussian conditional a + ξ (the device Gibbs kernel's body).
///
/// σ(a) = 1/(1 + e^{−a}) as the CPU's scalar `ember::detail::sigmoid`; u is the Philox uniform of
/// (chain, unit), which is identical on both sides. The unit can differ from the CPU's only where u lies
/// within the exponential's few ulps of σ(a) (tests/cuda_host/gibbs_conditional.test.cpp counts such ties).
///
/// @code
/// float unit = ember::cuda::detail::bernoulli_unit(a, u);   // 1 or 0
/// @endcode

#include <cmath>

#include "ember/cuda/detail/host_device.hpp"

namespace ember::cuda::detail {

/// σ(a) = 1/(1 + e^{−a}): e^{−a} = ∞ gives exactly 0, never NaN.
template <class T>
EMBER_HOST_DEVICE inline T logistic(T a) {
  using std::exp;
  return T(1) / (T(1) + exp(-a));
}

/// @brief A Bernoulli unit of total input a: 1 if u < σ(a), else 0.
template <class T>
EMBER_HOST_DEVICE inline T bernoulli_unit(T a, T u) {
  return u < logistic(a) ? T(1) : T(0);
}

/// @brief A Gaussian (unit-variance) visible unit of total input a: a + ξ.
template <class T>
EMBER_HOST_DEVICE inline T gaussian_unit(T a, T xi) {
  return a + xi;
}

}  // namespace ember::cuda::detail
