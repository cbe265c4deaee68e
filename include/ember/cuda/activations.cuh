#pragma once
/// @file
/// @brief The MLP activations in device code: value σ(z) and slope σ'(z), the same formulas as the host's.
///
/// Each activation is a stateless type with static EMBER_HOST_DEVICE `value` and `slope`. Only the
/// activations of a device MLP need these two; the host classes (simd/activations.hpp) also carry σ''.
///
/// @code
/// float h = ember::cuda::Silu::value(0.5f);   // 0.5 · σ(0.5)
/// float s = ember::cuda::Silu::slope(0.5f);   // σ(0.5) (1 + 0.5 (1 − σ(0.5)))
/// @endcode

#include <cmath>

#include "ember/core/config.hpp"

namespace ember::cuda {

namespace detail {
/// Logistic σ(z) = 1 / (1 + e^{−z}): e^{−z} → ∞ gives exactly 0, never NaN.
template <class T>
EMBER_HOST_DEVICE inline T logistic(T z) {
  using std::exp;
  return T(1) / (T(1) + exp(-z));
}
}  // namespace detail

/// SiLU (swish): z σ(z).
struct Silu {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    return z * detail::logistic(z);
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    const T s = detail::logistic(z);
    return s * (T(1) + z * (T(1) - s));
  }
};

/// Softplus: log(1 + eᶻ) = max(z, 0) + log1p(e^{−|z|}); slope σ(z).
struct Softplus {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    using std::exp;
    using std::fabs;
    using std::log1p;
    return (z > T(0) ? z : T(0)) + log1p(exp(-fabs(z)));
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    return detail::logistic(z);
  }
};

/// Hyperbolic tangent; slope 1 − tanh².
struct Tanh {
  template <class T>
  EMBER_HOST_DEVICE static T value(T z) {
    using std::tanh;
    return tanh(z);
  }
  template <class T>
  EMBER_HOST_DEVICE static T slope(T z) {
    using std::tanh;
    const T t = tanh(z);
    return T(1) - t * t;
  }
};

}  // namespace ember::cuda
