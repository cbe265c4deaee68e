#pragma once
/// @file
/// @brief The device MLP's activations σ(z) and slopes σ′(z), for host and device, in the operations of the
/// CPU's scalar reference (ember::Silu, Softplus, Tanh in simd/activations.hpp).
///
/// Each activation is a stateless type with static EMBER_HOST_DEVICE `value` and `slope`, written exactly as
/// the host's scalar `value` and `first`: the logistic from e = e^{−|z|} (never overflows), softplus as
/// max(z, 0) + log1p(e^{−|z|}), tanh through expm1. Compiled by g++ they equal the CPU's scalar reference
/// bit for bit; on the GPU they differ only through CUDA's expf/log1pf/expm1f (within 2 ulp each, CUDA
/// Programming Guide) and nvcc's contraction of s·(1 + z·c). The CPU's batch path (its own exponential
/// kernel) differs from both by a few ulps (tests/cuda_host/activations.test.cpp measures the bound).
///
/// @code
/// float h = ember::cuda::Silu::value(0.5f);   // 0.5 · s(0.5)
/// float s = ember::cuda::Silu::slope(0.5f);   // s(0.5) (1 + 0.5 (1 − s(0.5)))
/// @endcode

#include <cmath>

#include "ember/cuda/detail/host_device.hpp"

namespace ember::cuda {

namespace detail {
/// The logistic s = 1/(1 + e^{−z}) and its complement c = 1 − s without cancellation, from e = e^{−|z|}.
template <class T>
EMBER_HOST_DEVICE inline void logistic_pair(T z, T& s, T& c) {
  using std::exp;
  using std::fabs;
  const T e = exp(-fabs(z));
  const T p = T(1) / (T(1) + e);  // the logistic of |z|
  const T q = e * p;              // the logistic of −|z|
  s = z >= T(0) ? p : q;
  c = z >= T(0) ? q : p;
}
}  // namespace detail

/// SiLU (swish): z·s(z); slope s(1 + z(1 − s)).
struct Silu {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    T s, c;
    detail::logistic_pair(z, s, c);
    return z * s;
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    T s, c;
    detail::logistic_pair(z, s, c);
    return s * (T(1) + z * c);
  }
};

/// Softplus: log(1 + eᶻ) = max(z, 0) + log1p(e^{−|z|}); slope s(z).
struct Softplus {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    using std::exp;
    using std::fabs;
    using std::log1p;
    return (z < T(0) ? T(0) : z) + log1p(exp(-fabs(z)));  // (z < 0 ? 0 : z) is std::max(z, 0), NaN included
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    T s, c;
    detail::logistic_pair(z, s, c);
    return s;
  }
};

/// tanh z = sign(z)·(−expm1(−2|z|))/(1 + e^{−2|z|}); slope sech² z = 4e/(1 + e)² with e = e^{−2|z|}.
struct Tanh {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    using std::copysign;
    using std::exp;
    using std::expm1;
    using std::fabs;
    const T e = exp(T(-2) * fabs(z));
    return copysign(-expm1(T(-2) * fabs(z)) / (T(1) + e), z);
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    using std::exp;
    using std::fabs;
    const T e = exp(T(-2) * fabs(z));
    return T(4) * e / ((T(1) + e) * (T(1) + e));
  }
};

}  // namespace ember::cuda
