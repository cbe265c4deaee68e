#pragma once
/// @file
/// @brief What the CUDA backend's shared arithmetic (the `.hpp` files beside this one) builds on: the
/// host/device macro and a fused multiply-add that rounds once on both sides.
///
/// The per-element maths of the device kernels lives in plain C++ headers compiled by g++ for the CPU tests
/// and by nvcc for the kernels. Its +, −, ×, ÷, √ and fma are correctly rounded IEEE operations on both, so
/// the two agree bit for bit wherever no transcendental function (exp, log, sin, …) enters; a product that
/// feeds a sum is written as `fma` because nvcc contracts a·b + c into one by default and g++ only when the
/// target has FMA. nvcc's --use_fast_math (approximate division, square root, flush-to-zero) would break
/// the agreement, so it is refused here.
///
/// @code
/// float r = ember::cuda::detail::fma(a, x, y);   // a·x + y rounded once, on the host and on the device
/// @endcode

#include <cmath>

#include "ember/core/config.hpp"

#if defined(__USE_FAST_MATH__)
#error "ember/cuda: compile without --use_fast_math: the device arithmetic must stay IEEE to match the CPU path."
#endif

namespace ember::cuda::detail {

/// a·b + c rounded once (IEEE fma on the CPU and the GPU alike).
template <class T>
EMBER_HOST_DEVICE inline T fma(T a, T b, T c) {
  using std::fma;
  return fma(a, b, c);
}

}  // namespace ember::cuda::detail
