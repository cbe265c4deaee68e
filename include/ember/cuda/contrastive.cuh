#pragma once
/// @file
/// @brief CD and DCD training steps for a device MLP energy, with the parameter gradient reduced on the device.
///
/// The gradient skeleton of every contrastive estimator (DESIGN.md §1):
///     ∇θL = mean_{data} ∇θE(x) − mean_{negatives} ∇θE(x⁻),
/// computed as two `accumulate_param_gradient` calls with per-point weights +1/N and −1/M: the batch is the
/// inner dimension of the GEMMs, so the reduction never leaves the device.
/// - CD-k: the negatives are k Langevin steps started at the data batch.
/// - DCD (one noise level): x̃ = a x + s ε (one draw), negatives from the posterior
///   p(x | x̃) ∝ exp(−E(x) − ‖x̃ − a x‖²/(2s²)) by k tethered Langevin steps started at x̃ / a.
/// `sgd_update` applies θ ← θ − η ∇θL on the device.
///
/// @code
/// ember::cuda::ContrastiveStep<float, ember::cuda::Silu> trainer;
/// trainer.cd(mlp, data, kernel, rng, 20);  ember::cuda::sgd_update(mlp, trainer.gradient(), 1e-3f);
/// @endcode

#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/launch.cuh"
#include "ember/cuda/energy.cuh"
#include "ember/cuda/langevin.cuh"
#include "ember/cuda/mlp.cuh"
#include "ember/cuda/random.cuh"
#include "ember/simd/random.hpp"

namespace ember::cuda {

namespace detail {

// e(i) += ‖y_i − a x_i‖²/(2s²); g(i, :) −= (a/s²)(y_i − a x_i).
template <class T>
__global__ void tether_kernel(const T* x, const T* y, T* e, T* g, Index n, Index d, T a, T inv_var) {
  const Index i = thread_index();
  if (i >= n) return;
  T squared = 0;
  for (Index j = 0; j < d; ++j) {
    const Index idx = i + j * n;
    const T r = y[idx] - a * x[idx];
    squared += r * r;
    if (g != nullptr) g[idx] -= a * inv_var * r;
  }
  e[i] += T(0.5) * inv_var * squared;
}

// y = a x + s ξ (the VP/VE noising kernel); start = y / a.
template <class T>
__global__ void diffuse_kernel(const T* x, T* y, T* start, Index n, Index d, PhiloxDraw draw, T a, T s) {
  const Index i = thread_index();
  if (i >= n) return;
  T z[4];
  for (Index block = 0; 4 * block < d; ++block) {
    const int count = static_cast<int>(d - 4 * block < 4 ? d - 4 * block : 4);
    philox_normal_block(draw, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(block), count, z);
    for (int w = 0; w < count; ++w) {
      const Index idx = i + (4 * block + w) * n;
      const T noisy = a * x[idx] + s * z[w];
      y[idx] = noisy;
      start[idx] = noisy / a;
    }
  }
}

template <class T>
__global__ void scaled_add_kernel(T* y, const T* x, T a, Index count) {
  const Index idx = thread_index();
  if (idx < count) y[idx] += a * x[idx];
}

}  // namespace detail

/// @brief The posterior energy E(x) + ‖y − a x‖²/(2s²) of a device energy (held by pointer), scalar a, s > 0.
template <class E>
class DeviceTether {
 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  /// @pre `base` and `y` outlive the tether; a, s finite and > 0; y has base.dim() columns.
  DeviceTether(const E& base, const DeviceBatch<T>& y, T a, T s) : base_(&base), y_(&y), a_(a), inv_var_(T(1) / (s * s)) {
    constexpr const char* fn = "ember::cuda::DeviceTether";
    ember::detail::require_positive(a, fn, "a");
    ember::detail::require_positive(s, fn, "s");
    detail::require_shape(y, y.rows(), base.dim(), fn, "y");
  }
  [[nodiscard]] Index dim() const { return base_->dim(); }

  void energy(const DeviceBatch<T>& x, DeviceVector<T>& e) const {
    base_->energy(x, e);
    add(x, e, nullptr);
  }
  void energy_and_gradient(const DeviceBatch<T>& x, DeviceVector<T>& e, DeviceBatch<T>& g) const {
    base_->energy_and_gradient(x, e, g);
    add(x, e, g.data());
  }

 private:
  void add(const DeviceBatch<T>& x, DeviceVector<T>& e, T* g) const {
    detail::require_shape(x, y_->rows(), y_->cols(), "ember::cuda::DeviceTether", "x");
    detail::tether_kernel<T><<<detail::grid_for(x.rows()), detail::block_size>>>(x.data(), y_->data(), e.data(), g,
                                                                                 x.rows(), x.cols(), a_, inv_var_);
    detail::check_launch("ember::cuda::DeviceTether (tether kernel)");
  }

  const E* base_;
  const DeviceBatch<T>* y_;
  T a_;
  T inv_var_;
};

/// @brief θ ← θ − η g on the device. @pre g has num_params() entries, η > 0.
template <Scalar T, class Activation>
void sgd_update(DeviceMlp<T, Activation>& energy, const DeviceVector<T>& g, T learning_rate) {
  constexpr const char* fn = "ember::cuda::sgd_update";
  ember::detail::require_positive(learning_rate, fn, "learning_rate");
  ember::detail::require(g.size() == energy.num_params(), fn, "g.size()", g.size(), "must equal num_params()");
  detail::scaled_add_kernel<T><<<detail::grid_for(g.size()), detail::block_size>>>(energy.params().data(), g.data(),
                                                                                  -learning_rate, g.size());
  detail::check_launch(fn);
}

/// @brief One CD-k or DCD training step's gradient for a DeviceMlp; owns the device workspaces.
template <Scalar T, class Activation>
class ContrastiveStep {
 public:
  using Energy = DeviceMlp<T, Activation>;

  /// @brief g = mean_data ∇θE − mean_negatives ∇θE into `gradient()`; checks it for NaN/Inf.
  /// @throws ember::numerical_error if the gradient is not finite.
  void gradient_from(const Energy& energy, const DeviceBatch<T>& data, const DeviceBatch<T>& negatives) {
    constexpr const char* fn = "ember::cuda::ContrastiveStep::gradient_from";
    ember::detail::require(data.rows() > 0 && negatives.rows() > 0, fn, "the batch sizes",
                           ember::detail::shape_of(data.rows(), negatives.rows()), "both batches must be non-empty");
    gradient_.resize(energy.num_params());
    gradient_.set_zero();
    fill(positive_, data.rows(), T(1) / static_cast<T>(data.rows()));
    fill(negative_, negatives.rows(), T(-1) / static_cast<T>(negatives.rows()));
    energy.accumulate_param_gradient(data, positive_, gradient_);
    energy.accumulate_param_gradient(negatives, negative_, gradient_);
    check_numerics(gradient_.data(), gradient_.size(), fn, "the parameter gradient");
  }

  /// @brief CD-k: negatives = k steps of `kernel` from the data; then the gradient.
  template <class Kernel>
  void cd(const Energy& energy, const DeviceBatch<T>& data, Kernel& kernel, Philox& rng, Index k) {
    ember::detail::require_at_least_one(k, "ember::cuda::ContrastiveStep::cd", "k");
    negatives_.copy_from(data);
    kernel.run(energy, negatives_, rng, k);
    gradient_from(energy, data, negatives_);
  }

  /// @brief DCD at one noise level: x̃ = a x + s ε (one draw), k tethered steps of `kernel` from x̃ / a on
  /// E(x) + ‖x̃ − a x‖²/(2s²), then the gradient. @pre a, s > 0, k ≥ 1.
  template <class Kernel>
  void dcd(const Energy& energy, const DeviceBatch<T>& data, Kernel& kernel, Philox& rng, Index k, T a, T s) {
    constexpr const char* fn = "ember::cuda::ContrastiveStep::dcd";
    ember::detail::require_at_least_one(k, fn, "k");
    ember::detail::require_positive(a, fn, "a");
    ember::detail::require_positive(s, fn, "s");
    detail::require_shape(data, data.rows(), energy.dim(), fn, "data");
    noisy_.resize(data.rows(), data.cols());
    negatives_.resize(data.rows(), data.cols());
    detail::diffuse_kernel<T><<<detail::grid_for(data.rows()), detail::block_size>>>(
        data.data(), noisy_.data(), negatives_.data(), data.rows(), data.cols(), rng.draw(), a, s);
    detail::check_launch("ember::cuda::ContrastiveStep::dcd (diffusion kernel)");
    const DeviceTether<Energy> posterior(energy, noisy_, a, s);
    kernel.run(posterior, negatives_, rng, k);
    gradient_from(energy, data, negatives_);
  }

  /// The last gradient (device, num_params() entries).
  [[nodiscard]] const DeviceVector<T>& gradient() const { return gradient_; }
  /// The last negatives (device).
  [[nodiscard]] const DeviceBatch<T>& negatives() const { return negatives_; }
  /// The last noisy data x̃ of a DCD step (device).
  [[nodiscard]] const DeviceBatch<T>& noisy() const { return noisy_; }

 private:
  static void fill(DeviceVector<T>& v, Index n, T value) {
    v.resize(n);
    detail::fill_kernel<T><<<detail::grid_for(n), detail::block_size>>>(v.data(), value, n);
    detail::check_launch("ember::cuda::ContrastiveStep (fill kernel)");
  }

  DeviceVector<T> gradient_, positive_, negative_;
  DeviceBatch<T> negatives_, noisy_;
};

}  // namespace ember::cuda
