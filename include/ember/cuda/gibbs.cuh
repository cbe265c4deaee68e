#pragma once
/// @file
/// @brief Block Gibbs for RBMs on the device: one cuBLAS GEMM per half-step plus a fused
/// sigmoid/Bernoulli (or Gaussian) kernel, with the host's random stream.
///
/// `DeviceRbm` copies an ember::Rbm's flat θ = [W (d × h, column-major) | b (d) | c (h)]. Hidden inputs are
/// A = V W + 1cᵀ (gemm N × d by d × h), visible inputs H Wᵀ + 1bᵀ. Exactly as ember::BlockGibbs, each
/// half-step takes one draw: unit j of chain c is 1 if u < σ(a) with u the Philox uniform of (chain c,
/// coordinate j); Gaussian visible units add the Philox normal of (c, j) to their mean. The device chain is
/// the host chain except where u and σ(a) differ by rounding.
///
/// @code
/// ember::cuda::DeviceRbm<float> rbm(host_rbm);
/// ember::cuda::BlockGibbs<float> gibbs;  gibbs.run(rbm, v, rng, 100);   // v: DeviceBatch<float>
/// @endcode

#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/gibbs_conditional.hpp"
#include "ember/cuda/detail/launch.cuh"
#include "ember/cuda/random.cuh"
#include "ember/energy/rbm.hpp"
#include "ember/simd/random.hpp"

namespace ember::cuda {

/// @brief A device copy of an RBM's parameters (W, b, c) and shape.
template <Scalar T, VisibleUnits Visible = VisibleUnits::bernoulli>
class DeviceRbm {
 public:
  using scalar_type = T;
  static constexpr VisibleUnits visible_units = Visible;

  explicit DeviceRbm(const Rbm<T, Visible>& host) { update(host); }

  /// @brief Re-copies the host RBM's current θ (after training steps on the host).
  void update(const Rbm<T, Visible>& host) {
    d_ = host.n_visible();
    h_ = host.n_hidden();
    params_.upload(host.params());
  }

  [[nodiscard]] Index dim() const { return d_; }
  [[nodiscard]] Index n_visible() const { return d_; }
  [[nodiscard]] Index n_hidden() const { return h_; }
  [[nodiscard]] DeviceBuffer<T>& params() { return params_; }
  [[nodiscard]] const DeviceBuffer<T>& params() const { return params_; }
  [[nodiscard]] const T* weights() const { return params_.data(); }
  [[nodiscard]] const T* visible_bias() const { return params_.data() + d_ * h_; }
  [[nodiscard]] const T* hidden_bias() const { return params_.data() + d_ * h_ + d_; }

 private:
  Index d_ = 0;
  Index h_ = 0;
  DeviceBuffer<T> params_;
};

namespace detail {

// out(i, j) = 1 if u(i, j) < σ(a(i, j) + bias(j)) else 0 (Bernoulli), or a + bias + ξ (Gaussian)
// (detail/gibbs_conditional.hpp).
template <class T, bool Bernoulli>
__global__ void sample_units_kernel(const T* input, const T* bias, T* out, Index n, Index width, PhiloxDraw draw) {
  const Index idx = thread_index();
  if (idx >= n * width) return;
  const auto chain = static_cast<std::uint32_t>(idx % n);
  const auto unit = static_cast<std::uint32_t>(idx / n);
  const T a = input[idx] + bias[unit];
  if constexpr (Bernoulli) {
    out[idx] = bernoulli_unit(a, philox_uniform<T>(draw, chain, unit));
  } else {
    out[idx] = gaussian_unit(a, philox_normal<T>(draw, chain, unit));
  }
}

}  // namespace detail

/// @brief Block Gibbs kernel for device RBMs; holds a cuBLAS handle and reusable buffers.
template <Scalar T>
class BlockGibbs {
 public:
  using scalar_type = T;

  /// @brief h ~ p(h | v) for every chain into h (resized to N × n_hidden); one draw of `rng`.
  template <VisibleUnits Visible>
  void sample_hidden(const DeviceRbm<T, Visible>& rbm, const DeviceBatch<T>& v, DeviceBatch<T>& h, Philox& rng) {
    check_visible(rbm, v, "ember::cuda::BlockGibbs::sample_hidden");
    const Index n = v.rows();
    h.resize(n, rbm.n_hidden());
    input_.resize(n, rbm.n_hidden());
    blas_.gemm(false, false, n, rbm.n_hidden(), rbm.n_visible(), T(1), v.data(), n, rbm.weights(), rbm.n_visible(),
               T(0), input_.data(), n);  // V W
    detail::sample_units_kernel<T, true><<<detail::grid_for(n * rbm.n_hidden()), detail::block_size>>>(
        input_.data(), rbm.hidden_bias(), h.data(), n, rbm.n_hidden(), rng.draw());
    detail::check_launch("ember::cuda::BlockGibbs (hidden units kernel)");
  }

  /// @brief v ~ p(v | h) for every chain into v (resized to N × n_visible); one draw of `rng`.
  template <VisibleUnits Visible>
  void sample_visible(const DeviceRbm<T, Visible>& rbm, const DeviceBatch<T>& h, DeviceBatch<T>& v, Philox& rng) {
    constexpr const char* fn = "ember::cuda::BlockGibbs::sample_visible";
    ember::detail::require(h.rows() > 0, fn, "h", ember::detail::shape_of(h.rows(), h.cols()), "the batch is empty");
    detail::require_shape(h, h.rows(), rbm.n_hidden(), fn, "h");
    const Index n = h.rows();
    v.resize(n, rbm.n_visible());
    input_.resize(n, rbm.n_visible());
    blas_.gemm(false, true, n, rbm.n_visible(), rbm.n_hidden(), T(1), h.data(), n, rbm.weights(), rbm.n_visible(),
               T(0), input_.data(), n);  // H Wᵀ
    detail::sample_units_kernel<T, Visible == VisibleUnits::bernoulli>
        <<<detail::grid_for(n * rbm.n_visible()), detail::block_size>>>(input_.data(), rbm.visible_bias(), v.data(), n,
                                                                        rbm.n_visible(), rng.draw());
    detail::check_launch("ember::cuda::BlockGibbs (visible units kernel)");
  }

  /// @brief One sweep of every chain (row of x), in place: h ~ p(h | x), x ~ p(x | h). Two draws.
  template <VisibleUnits Visible>
  void step(const DeviceRbm<T, Visible>& rbm, DeviceBatch<T>& x, Philox& rng) {
    sample_hidden(rbm, x, hidden_, rng);
    sample_visible(rbm, hidden_, x, rng);
  }

  /// @brief `steps` sweeps. @pre steps ≥ 0.
  template <VisibleUnits Visible>
  void run(const DeviceRbm<T, Visible>& rbm, DeviceBatch<T>& x, Philox& rng, Index steps) {
    ember::detail::require(steps >= 0, "ember::cuda::BlockGibbs::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) step(rbm, x, rng);
  }

  /// The hidden states drawn in the last `step` (device, N × n_hidden).
  [[nodiscard]] const DeviceBatch<T>& hidden() const { return hidden_; }

 private:
  template <VisibleUnits Visible>
  static void check_visible(const DeviceRbm<T, Visible>& rbm, const DeviceBatch<T>& v, const char* fn) {
    ember::detail::require(v.rows() > 0, fn, "v", ember::detail::shape_of(v.rows(), v.cols()), "the batch is empty");
    detail::require_shape(v, v.rows(), rbm.n_visible(), fn, "v");
  }

  detail::Blas blas_;
  DeviceBatch<T> input_;
  DeviceBatch<T> hidden_;
};

}  // namespace ember::cuda
