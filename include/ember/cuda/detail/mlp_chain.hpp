#pragma once
/// @file
/// @brief One chain of the device MLP, for host and device: a dense unit (dot + bias), and the energy and
/// input gradient of a small MLP with every activation in registers (the fused kernel's body).
///
/// θ has ember::MlpEnergy's layout: for each hidden layer l = 1..k, W_l (h_l × h_{l−1}, column-major) then
/// b_l (h_l); then the output weights w (h_k) and the output bias. Coordinate j of the chain is
/// x[j · stride], and the gradient goes to g[j · stride]. Every sum runs in index order through fma, so g++
/// and nvcc produce the same bits up to the activations' exp (see activations.hpp). The CPU's MlpEnergy
/// sums in another order (blocked SIMD products), so the two agree within the usual dot-product bound
/// n·u·Σ|wᵢaᵢ| (tests/cuda_host/mlp_chain.test.cpp).
///
/// @code
/// ember::cuda::detail::MlpShape shape{1, {2, 8}, {0, 24}};   // 2 → 8 → 1: W₁ at 0, b₁ at 16, w at 24
/// float e = ember::cuda::detail::mlp_chain<ember::cuda::Silu>(theta, shape, x, 1, 0.0f, gradient);
/// @endcode

#include "ember/core/batch.hpp"
#include "ember/cuda/detail/host_device.hpp"

namespace ember::cuda::detail {

inline constexpr int fused_max_layers = 4;
inline constexpr int fused_max_width = 32;

/// Layer widths and parameter offsets of an MLP small enough for one thread per chain.
struct MlpShape {
  int layers = 0;                                // k hidden layers, 1 ≤ k ≤ fused_max_layers
  int width[fused_max_layers + 1] = {};          // d, h_1, ..., h_k, each ≤ fused_max_width
  int weight_offset[fused_max_layers + 1] = {};  // W_l at weight_offset[l − 1]; output w at weight_offset[k]
};

/// @brief Pre-activation of unit j of a dense layer: b_j + Σ_k W(j, k) in_k, W h × h_in column-major,
/// input k at in[k · in_stride]; summed in k order by fma.
template <class T>
EMBER_HOST_DEVICE inline T dense_unit(const T* w, int h, int j, T bias, const T* in, Index in_stride, int h_in) {
  T s = bias;
  for (int k = 0; k < h_in; ++k) s = fma(w[j + k * h], in[k * in_stride], s);
  return s;
}

/// @brief E(x) of one chain, and ∇ₓE into g (unless g is null); adds ‖x‖²/(2s²) with inv_base_var = 1/s².
/// @pre shape within fused_max_layers × fused_max_width.
template <class Act, class T>
EMBER_HOST_DEVICE inline T mlp_chain(const T* theta, const MlpShape& shape, const T* x, Index stride,
                                     T inv_base_var, T* g) {
  T z[fused_max_layers][fused_max_width];  // pre-activations of every hidden layer (for the backward pass)
  T a[fused_max_width];                    // activations of the current layer
  const int d = shape.width[0];
  for (int l = 0; l < shape.layers; ++l) {
    const int h_in = shape.width[l];
    const int h = shape.width[l + 1];
    const T* w = theta + shape.weight_offset[l];
    const T* b = w + h * h_in;
    for (int j = 0; j < h; ++j)
      z[l][j] = l == 0 ? dense_unit(w, h, j, b[j], x, stride, h_in) : dense_unit(w, h, j, b[j], a, 1, h_in);
    for (int j = 0; j < h; ++j) a[j] = Act::value(z[l][j]);
  }
  const int last = shape.layers - 1;
  const int h_last = shape.width[shape.layers];
  const T* w_out = theta + shape.weight_offset[shape.layers];
  const T energy = dense_unit(w_out, 1, 0, w_out[h_last], a, 1, h_last);
  T squared_norm = 0;
  for (int k = 0; k < d; ++k) squared_norm = fma(x[k * stride], x[k * stride], squared_norm);
  if (g == nullptr) return fma(T(0.5) * inv_base_var, squared_norm, energy);

  T delta[fused_max_width];  // ∂E/∂z of the current layer
  T next[fused_max_width];
  for (int j = 0; j < h_last; ++j) delta[j] = w_out[j] * Act::slope(z[last][j]);
  for (int l = last; l >= 1; --l) {  // back through W_{l+1} (0-based l) into layer l − 1
    const int h_in = shape.width[l];
    const int h = shape.width[l + 1];
    const T* w = theta + shape.weight_offset[l];
    for (int k = 0; k < h_in; ++k) {
      T s = 0;
      for (int j = 0; j < h; ++j) s = fma(delta[j], w[j + k * h], s);
      next[k] = s * Act::slope(z[l - 1][k]);
    }
    for (int k = 0; k < h_in; ++k) delta[k] = next[k];
  }
  const int h1 = shape.width[1];
  for (int k = 0; k < d; ++k) {
    T s = 0;
    for (int j = 0; j < h1; ++j) s = fma(delta[j], theta[j + k * h1], s);
    g[k * stride] = fma(inv_base_var, x[k * stride], s);
  }
  return fma(T(0.5) * inv_base_var, squared_norm, energy);
}

}  // namespace ember::cuda::detail
