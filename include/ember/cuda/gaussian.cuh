#pragma once
/// @file
/// @brief The quadratic energy E(x) = ½ (x − μ)ᵀ P (x − μ) on the device, copied from ember::GaussianEnergy.
///
/// One thread per chain (the dimension is small in every use: toys and the Gaussian oracles); μ and the dense
/// precision P are read from device memory through the cache. Models ember::cuda::DeviceEnergy.
///
/// @code
/// ember::cuda::DeviceGaussian<float> energy(ember::GaussianEnergy<float>::standard(2));
/// energy.energy_and_gradient(x, e, g);   // x, g: DeviceBatch; e: DeviceVector
/// @endcode

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/energy.cuh"
#include "ember/energy/gaussian.hpp"

namespace ember::cuda {

namespace detail {

/// The per-chain functor: raw device pointers to μ (d) and P (d × d, column-major).
template <class T>
struct GaussianPoint {
  const T* mean;
  const T* precision;
  Index dim;

  EMBER_HOST_DEVICE T operator()(const T* x, T* g, Index stride) const {
    T energy = 0;
    for (Index i = 0; i < dim; ++i) {
      T p_r = 0;  // (P r)_i
      for (Index j = 0; j < dim; ++j) p_r += precision[i + j * dim] * (x[j * stride] - mean[j]);
      energy += (x[i * stride] - mean[i]) * p_r;
      if (g != nullptr) g[i * stride] = p_r;
    }
    return T(0.5) * energy;
  }
};

}  // namespace detail

/// @brief A device copy of a GaussianEnergy (its mean and precision at construction or at `update`).
template <Scalar T>
class DeviceGaussian {
 public:
  using scalar_type = T;

  explicit DeviceGaussian(const GaussianEnergy<T>& host) { update(host); }

  /// @brief Re-copies the host energy's current parameters (after training steps on the host).
  void update(const GaussianEnergy<T>& host) {
    dim_ = host.dim();
    mean_.upload(host.mean());
    const auto precision = host.precision();
    precision_.upload(Eigen::Map<const Vector<T>>(precision.data(), precision.size()));
  }

  [[nodiscard]] Index dim() const { return dim_; }

  /// @brief e(i) = ½ (xᵢ − μ)ᵀ P (xᵢ − μ).
  void energy(const DeviceBatch<T>& x, DeviceVector<T>& e) const {
    detail::launch_pointwise(point(), x, dim_, e, static_cast<DeviceBatch<T>*>(nullptr),
                             "ember::cuda::DeviceGaussian::energy");
  }
  /// @brief Also g(i, :) = P (xᵢ − μ).
  void energy_and_gradient(const DeviceBatch<T>& x, DeviceVector<T>& e, DeviceBatch<T>& g) const {
    detail::launch_pointwise(point(), x, dim_, e, &g, "ember::cuda::DeviceGaussian::energy_and_gradient");
  }

  /// The per-chain functor (for fused kernels).
  [[nodiscard]] detail::GaussianPoint<T> point() const { return {mean_.data(), precision_.data(), dim_}; }

 private:
  Index dim_ = 0;
  DeviceBuffer<T> mean_;
  DeviceBuffer<T> precision_;
};

}  // namespace ember::cuda
