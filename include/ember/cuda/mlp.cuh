#pragma once
/// @file
/// @brief The MLP energy on the device: a fused per-chain kernel with the weights in shared memory for small
/// MLPs, cuBLAS GEMMs for wide layers, and the parameter gradient reduced on the device.
///
/// Parameter layout (identical to the host's ember::MlpEnergy, so θ is copied as one flat vector): for each
/// hidden layer l = 1..k, W_l (h_l × h_{l−1}, column-major) then b_l (h_l); then the output weights w (h_k)
/// and the output bias (1). Forward: H_l = σ(H_{l−1} W_lᵀ + 1 b_lᵀ), E = H_k w + b, plus the optional base
/// term ‖x‖²/(2s²) when a base scale s > 0 is given. With the N × d column-major batch layout each layer is
/// one GEMM on contiguous memory: Z_l = H_{l−1} W_lᵀ is cublas gemm(N, T) with W_l's own leading dimension.
///
/// Paths: `MlpPath::fused` runs one thread per chain, all of θ in shared memory, activations in registers
/// (hidden widths ≤ 32, at most 4 hidden layers): no intermediate ever reaches global memory.
/// `MlpPath::blas` runs each layer as a cuBLAS GEMM plus a fused bias/activation kernel. `automatic` picks
/// fused when it fits. The parameter gradient always uses the GEMM path: with per-chain weights wᵢ,
/// ∇W_l Σᵢ wᵢEᵢ = D_lᵀ H_{l−1} (one GEMM with the batch as the reduction dimension).
///
/// @code
/// ember::cuda::DeviceMlp<float, ember::cuda::Silu> mlp({2, 128, 128}, host_params);   // 2 → 128 → 128 → 1
/// mlp.energy_and_gradient(x, e, g);
/// @endcode

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/activations.cuh"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/launch.cuh"
#include "ember/cuda/detail/mlp_chain.hpp"
#include "ember/cuda/energy.cuh"

namespace ember::cuda {

/// Which kernels a DeviceMlp evaluates energies and input gradients with.
enum class MlpPath {
  automatic,  ///< fused when the MLP fits its limits and θ fits in shared memory, else blas
  fused,      ///< one thread per chain, θ in shared memory (throws if the MLP does not fit)
  blas        ///< cuBLAS GEMM per layer + fused bias/activation kernels (any width)
};

namespace detail {

template <class T, class Act>
__global__ void mlp_fused_kernel(const T* params, Index num_params, MlpShape shape, const T* x, T* e, T* g, Index n,
                                 T inv_base_var) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  T* theta = reinterpret_cast<T*>(shared_bytes);
  for (Index p = threadIdx.x; p < num_params; p += blockDim.x) theta[p] = params[p];
  __syncthreads();
  const Index i = thread_index();
  if (i < n) e[i] = mlp_chain<Act>(theta, shape, x + i, n, inv_base_var, g == nullptr ? nullptr : g + i);
}

// Z ← Z + 1bᵀ, H ← σ(Z) over an N × h batch.
template <class T, class Act>
__global__ void bias_activate_kernel(T* z, const T* b, T* h, Index n, Index width) {
  const Index idx = thread_index();
  if (idx >= n * width) return;
  const T value = z[idx] + b[idx / n];
  z[idx] = value;
  h[idx] = Act::value(value);
}

// e(i) += bias + ‖xᵢ‖² / (2s²).
template <class T>
__global__ void output_kernel(T* e, const T* bias, const T* x, Index n, Index d, T inv_base_var) {
  const Index i = thread_index();
  if (i >= n) return;
  T squared_norm = 0;
  for (Index k = 0; k < d; ++k) squared_norm += x[i + k * n] * x[i + k * n];
  e[i] += *bias + T(0.5) * inv_base_var * squared_norm;
}

// D(i, j) = weight(i) · w_out(j) · σ'(Z(i, j)) (weight = 1 when null): ∂(Σᵢ wᵢEᵢ)/∂Z_k.
template <class T, class Act>
__global__ void seed_delta_kernel(const T* z, const T* w_out, const T* weight, T* delta, Index n, Index width) {
  const Index idx = thread_index();
  if (idx >= n * width) return;
  const T scale = weight == nullptr ? T(1) : weight[idx % n];
  delta[idx] = scale * w_out[idx / n] * Act::slope(z[idx]);
}

// D ← D ∘ σ'(Z).
template <class T, class Act>
__global__ void scale_by_slope_kernel(T* delta, const T* z, Index count) {
  const Index idx = thread_index();
  if (idx < count) delta[idx] *= Act::slope(z[idx]);
}

// y ← y + a x.
template <class T>
__global__ void axpy_kernel(T* y, const T* x, T a, Index count) {
  const Index idx = thread_index();
  if (idx < count) y[idx] += a * x[idx];
}

template <class T>
__global__ void fill_kernel(T* y, T value, Index count) {
  const Index idx = thread_index();
  if (idx < count) y[idx] = value;
}

}  // namespace detail

/// @brief An MLP energy on the device (see the file comment). Models ember::cuda::DeviceEnergy.
///
/// Evaluation functions are const but use internal workspaces: one DeviceMlp must not be evaluated from two
/// host threads at once. All work is queued on the default stream (asynchronous until a copy back).
/// @tparam T          float or double
/// @tparam Activation ember::cuda::Silu, Softplus or Tanh (any type with static value(z) and slope(z))
template <Scalar T, class Activation>
class DeviceMlp {
 public:
  using scalar_type = T;
  using activation_type = Activation;

  /// @brief From the layer widths {d, h_1, ..., h_k} and the flat parameter vector θ (host).
  /// @param base_scale s > 0 adds ‖x‖²/(2s²); 0 (the default) adds nothing
  /// @pre k ≥ 1, every width ≥ 1, θ has the layout's size and is finite, s ≥ 0.
  DeviceMlp(std::vector<Index> widths, VectorView<T> params, T base_scale = T(0), MlpPath path = MlpPath::automatic)
      : widths_(std::move(widths)) {
    constexpr const char* fn = "ember::cuda::DeviceMlp";
    ember::detail::require(widths_.size() >= 2, fn, "widths.size()", widths_.size(),
                           "needs the input dimension and at least one hidden layer");
    for (std::size_t l = 0; l < widths_.size(); ++l)
      ember::detail::require_at_least_one(widths_[l], fn, "widths[" + std::to_string(l) + "]");
    ember::detail::require_non_negative(base_scale, fn, "base_scale", " (0 disables the base term)");
    Index offset = 0;
    for (std::size_t l = 1; l < widths_.size(); ++l) {
      weight_offset_.push_back(offset);
      offset += widths_[l] * widths_[l - 1] + widths_[l];
    }
    weight_offset_.push_back(offset);  // output weights, then the output bias
    num_params_ = offset + widths_.back() + 1;
    inv_base_var_ = base_scale > T(0) ? T(1) / (base_scale * base_scale) : T(0);
    set_params(params);
    choose_path(path);
  }

  [[nodiscard]] Index dim() const { return widths_.front(); }
  [[nodiscard]] Index num_params() const { return num_params_; }
  [[nodiscard]] const std::vector<Index>& widths() const { return widths_; }
  /// True when energies and input gradients run in the fused shared-memory kernel.
  [[nodiscard]] bool fused() const { return fused_; }

  /// θ on the device (trainers update it in place).
  [[nodiscard]] DeviceBuffer<T>& params() { return params_; }
  [[nodiscard]] const DeviceBuffer<T>& params() const { return params_; }
  /// @brief Copies a host θ to the device. @pre the layout's size, all finite.
  void set_params(VectorView<T> params) {
    constexpr const char* fn = "ember::cuda::DeviceMlp::set_params";
    ember::detail::require_shape(params, num_params_, 1, fn, "params");
    ember::detail::require_all_finite(params, fn, "params");
    params_.upload(params);
  }
  [[nodiscard]] Vector<T> params_to_host() const { return params_.to_host(); }

  /// @brief e(i) = E(xᵢ).
  void energy(const DeviceBatch<T>& x, DeviceVector<T>& e) const {
    constexpr const char* fn = "ember::cuda::DeviceMlp::energy";
    detail::prepare_outputs(x, dim(), e, static_cast<DeviceBatch<T>*>(nullptr), fn);
    if (fused_) return launch_fused(x, e, nullptr);
    forward(x);
    const Index k = layers();
    blas().gemv(false, x.rows(), widths_[k], T(1), h_[k - 1].data(), x.rows(), theta(weight_offset_[k]), T(0), e.data());
    finish_energy(x, e);
  }

  /// @brief Also g(i, :) = ∇ₓE(xᵢ).
  void energy_and_gradient(const DeviceBatch<T>& x, DeviceVector<T>& e, DeviceBatch<T>& g) const {
    constexpr const char* fn = "ember::cuda::DeviceMlp::energy_and_gradient";
    detail::prepare_outputs(x, dim(), e, &g, fn);
    if (fused_) return launch_fused(x, e, g.data());
    forward(x);
    const Index n = x.rows();
    const Index k = layers();
    blas().gemv(false, n, widths_[k], T(1), h_[k - 1].data(), n, theta(weight_offset_[k]), T(0), e.data());
    finish_energy(x, e);
    backward(n, nullptr);
    // g = D_1 W_1 (+ x / s²)
    blas().gemm(false, false, n, dim(), widths_[1], T(1), d_[0].data(), n, theta(0), widths_[1], T(0), g.data(), n);
    add_base_gradient(x, g.data());
  }

  /// @brief g += ∇θ Σᵢ wᵢ E(xᵢ), reduced over the batch on the device (GEMMs with N as the inner dimension).
  /// @pre w has x.rows() entries, g has num_params() entries.
  void accumulate_param_gradient(const DeviceBatch<T>& x, const DeviceVector<T>& w, DeviceVector<T>& g) const {
    constexpr const char* fn = "ember::cuda::DeviceMlp::accumulate_param_gradient";
    ember::detail::require(x.rows() > 0, fn, "x", ember::detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require_shape(x, x.rows(), dim(), fn, "x");
    ember::detail::require(w.size() == x.rows(), fn, "w.size()", w.size(), "must equal the number of points");
    ember::detail::require(g.size() == num_params_, fn, "g.size()", g.size(),
                           "must equal num_params() = " + std::to_string(num_params_));
    const Index n = x.rows();
    const Index k = layers();
    forward(x);
    backward(n, w.data());
    if (ones_.size() != n) {
      ones_.resize(n);
      detail::fill_kernel<T><<<detail::grid_for(n), detail::block_size>>>(ones_.data(), T(1), n);
      detail::check_launch(fn);
    }
    for (Index l = 1; l <= k; ++l) {
      const Index h = widths_[l];
      const Index h_in = widths_[l - 1];
      const T* input = l == 1 ? x.data() : h_[l - 2].data();
      T* g_w = g.data() + weight_offset_[l - 1];
      blas().gemm(true, false, h, h_in, n, T(1), d_[l - 1].data(), n, input, n, T(1), g_w, h);  // += D_lᵀ H_{l−1}
      blas().gemv(true, n, h, T(1), d_[l - 1].data(), n, ones_.data(), T(1), g_w + h * h_in);  // += D_lᵀ 1
    }
    T* g_out = g.data() + weight_offset_[k];
    blas().gemv(true, n, widths_[k], T(1), h_[k - 1].data(), n, w.data(), T(1), g_out);  // += H_kᵀ w
    blas().gemv(true, n, 1, T(1), w.data(), n, ones_.data(), T(1), g_out + widths_[k]);  // += Σ wᵢ
  }

 private:
  [[nodiscard]] Index layers() const { return static_cast<Index>(widths_.size()) - 1; }
  [[nodiscard]] const T* theta(Index offset) const { return params_.data() + offset; }
  [[nodiscard]] const detail::Blas& blas() const {
    if (!blas_) blas_ = std::make_unique<detail::Blas>();
    return *blas_;
  }

  void choose_path(MlpPath path) {
    constexpr const char* fn = "ember::cuda::DeviceMlp";
    bool fits = layers() <= detail::fused_max_layers;
    for (Index l = 1; l < static_cast<Index>(widths_.size()); ++l) fits = fits && widths_[l] <= detail::fused_max_width;
    int device = 0;
    int shared_limit = 0;
    detail::check(cudaGetDevice(&device), "cudaGetDevice");
    detail::check(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
                  "cudaDeviceGetAttribute (shared memory per block)");
    shared_bytes_ = static_cast<std::size_t>(num_params_) * sizeof(T);
    fits = fits && shared_bytes_ <= static_cast<std::size_t>(shared_limit);
    if (path == MlpPath::fused)
      ember::detail::require(fits, fn, "path", "MlpPath::fused",
                             "needs <= 4 hidden layers of width <= 32 and θ within the shared memory per block");
    fused_ = path == MlpPath::fused || (path == MlpPath::automatic && fits);
    if (fused_) {
      shape_.layers = static_cast<int>(layers());
      for (std::size_t l = 0; l < widths_.size(); ++l) shape_.width[l] = static_cast<int>(widths_[l]);
      for (std::size_t l = 0; l < weight_offset_.size(); ++l) shape_.weight_offset[l] = static_cast<int>(weight_offset_[l]);
      detail::check(cudaFuncSetAttribute(detail::mlp_fused_kernel<T, Activation>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared_bytes_)),
                    "cudaFuncSetAttribute (fused MLP kernel shared memory)");
    }
  }

  void launch_fused(const DeviceBatch<T>& x, DeviceVector<T>& e, T* g) const {
    constexpr int threads = 128;
    detail::mlp_fused_kernel<T, Activation><<<detail::grid_for(x.rows(), threads), threads, shared_bytes_>>>(
        params_.data(), num_params_, shape_, x.data(), e.data(), g, x.rows(), inv_base_var_);
    detail::check_launch("ember::cuda::DeviceMlp (fused kernel)");
  }

  // Z_l, H_l for every hidden layer (GEMM + fused bias/activation).
  void forward(const DeviceBatch<T>& x) const {
    const Index n = x.rows();
    const Index k = layers();
    z_.resize(static_cast<std::size_t>(k));
    h_.resize(static_cast<std::size_t>(k));
    d_.resize(static_cast<std::size_t>(k));
    for (Index l = 1; l <= k; ++l) {
      const auto s = static_cast<std::size_t>(l - 1);
      const Index h = widths_[l];
      const Index h_in = widths_[l - 1];
      z_[s].resize(n, h);
      h_[s].resize(n, h);
      d_[s].resize(n, h);
      const T* input = l == 1 ? x.data() : h_[s - 1].data();
      const T* w = theta(weight_offset_[l - 1]);
      blas().gemm(false, true, n, h, h_in, T(1), input, n, w, h, T(0), z_[s].data(), n);  // Z = H Wᵀ
      detail::bias_activate_kernel<T, Activation><<<detail::grid_for(n * h), detail::block_size>>>(
          z_[s].data(), w + h * h_in, h_[s].data(), n, h);
      detail::check_launch("ember::cuda::DeviceMlp (bias/activation kernel)");
    }
  }

  // D_l = ∂(Σᵢ wᵢEᵢ)/∂Z_l for every hidden layer (wᵢ = 1 when weight is null).
  void backward(Index n, const T* weight) const {
    const Index k = layers();
    const auto last = static_cast<std::size_t>(k - 1);
    detail::seed_delta_kernel<T, Activation><<<detail::grid_for(n * widths_[k]), detail::block_size>>>(
        z_[last].data(), theta(weight_offset_[k]), weight, d_[last].data(), n, widths_[k]);
    detail::check_launch("ember::cuda::DeviceMlp (output delta kernel)");
    for (Index l = k; l >= 2; --l) {
      const auto s = static_cast<std::size_t>(l - 1);
      const Index h = widths_[l];
      const Index h_in = widths_[l - 1];
      blas().gemm(false, false, n, h_in, h, T(1), d_[s].data(), n, theta(weight_offset_[l - 1]), h, T(0),
                  d_[s - 1].data(), n);  // D_{l−1} = (D_l W_l) ∘ σ'(Z_{l−1})
      detail::scale_by_slope_kernel<T, Activation><<<detail::grid_for(n * h_in), detail::block_size>>>(
          d_[s - 1].data(), z_[s - 1].data(), n * h_in);
      detail::check_launch("ember::cuda::DeviceMlp (slope kernel)");
    }
  }

  void finish_energy(const DeviceBatch<T>& x, DeviceVector<T>& e) const {
    detail::output_kernel<T><<<detail::grid_for(x.rows()), detail::block_size>>>(
        e.data(), theta(weight_offset_[layers()] + widths_.back()), x.data(), x.rows(), dim(), inv_base_var_);
    detail::check_launch("ember::cuda::DeviceMlp (output kernel)");
  }

  void add_base_gradient(const DeviceBatch<T>& x, T* g) const {
    if (inv_base_var_ == T(0)) return;
    const Index count = x.rows() * x.cols();
    detail::axpy_kernel<T><<<detail::grid_for(count), detail::block_size>>>(g, x.data(), inv_base_var_, count);
    detail::check_launch("ember::cuda::DeviceMlp (base term kernel)");
  }

  std::vector<Index> widths_;
  std::vector<Index> weight_offset_;
  Index num_params_ = 0;
  T inv_base_var_ = 0;
  DeviceBuffer<T> params_;
  bool fused_ = false;
  detail::MlpShape shape_;
  std::size_t shared_bytes_ = 0;
  mutable std::unique_ptr<detail::Blas> blas_;
  mutable std::vector<DeviceBatch<T>> z_, h_, d_;
  mutable DeviceBuffer<T> ones_;
};

}  // namespace ember::cuda
