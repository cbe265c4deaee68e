#pragma once
/// @file
/// @brief What a device energy offers the CUDA samplers, and `PointEnergy`: an analytic energy written as a
/// per-chain functor, evaluated by one thread per chain.
///
/// A device energy (concept `ember::cuda::DeviceEnergy`) mirrors ember::Energy on DeviceBatch arguments:
/// `dim()`, `energy(x, e)` and `energy_and_gradient(x, e, g)` with x, g N × d on the device and e length N.
/// An analytic energy is a trivially copyable functor `f(x, g, stride) -> T` called in device code for one
/// chain: coordinate j of the chain is `x[j * stride]`; it writes ∇ₓE into `g[j * stride]` unless g is null.
/// Device energies do not synchronise: the samplers flag NaN/Inf gradients in their update kernels and throw
/// ember::numerical_error at the end of their call; `ember::cuda::check_numerics` checks any device array.
///
/// @code
/// struct Quadratic { __host__ __device__ float operator()(const float* x, float* g, ember::Index s) const; };
/// ember::cuda::PointEnergy<float, Quadratic> energy(Quadratic{}, 2);   // a 2-D device energy
/// @endcode

#include <concepts>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/launch.cuh"

namespace ember::cuda {

/// @brief A batched energy on the device: the samplers' view of an energy (see the file comment). Not in
/// core/concepts.hpp with the others: it names DeviceBatch, which needs the CUDA headers.
template <class E>
concept DeviceEnergy = requires(const E& energy, const DeviceBatch<typename E::scalar_type>& x,
                                DeviceVector<typename E::scalar_type>& e, DeviceBatch<typename E::scalar_type>& g) {
  requires Scalar<typename E::scalar_type>;
  { energy.dim() } -> std::convertible_to<Index>;
  energy.energy(x, e);
  energy.energy_and_gradient(x, e, g);
};

namespace detail {

template <class T, class F>
__global__ void pointwise_kernel(F f, const T* x, T* e, T* g, Index n) {
  const Index i = thread_index();
  if (i >= n) return;
  e[i] = f(x + i, g == nullptr ? nullptr : g + i, n);
}

/// Checks the shapes shared by every device energy's entry points and sizes the outputs.
template <class T>
void prepare_outputs(const DeviceBatch<T>& x, Index dim, DeviceVector<T>& e, DeviceBatch<T>* g, const char* fn) {
  ember::detail::require(x.rows() > 0, fn, "x", ember::detail::shape_of(x.rows(), x.cols()), "the batch is empty");
  detail::require_shape(x, x.rows(), dim, fn, "x");
  e.resize(x.rows());
  if (g != nullptr) g->resize(x.rows(), dim);
}

/// One thread per chain: e(i) = f(xᵢ), and g(i, :) = ∇f(xᵢ) when g is given.
template <class T, class F>
void launch_pointwise(const F& f, const DeviceBatch<T>& x, Index dim, DeviceVector<T>& e, DeviceBatch<T>* g,
                      const char* fn) {
  prepare_outputs(x, dim, e, g, fn);
  pointwise_kernel<T, F><<<grid_for(x.rows()), block_size>>>(f, x.data(), e.data(),
                                                              g == nullptr ? nullptr : g->data(), x.rows());
  check_launch(fn);
}

}  // namespace detail

/// @brief An analytic energy from a per-chain functor (see the file comment); models DeviceEnergy.
template <Scalar T, class F>
class PointEnergy {
  static_assert(PointFunctor<F, T>, "ember::cuda::PointEnergy: the functor must be trivially copyable and callable "
                                    "in device code as f(const T* x, T* g, Index stride) returning the energy.");

 public:
  using scalar_type = T;

  /// @brief Wraps `f` as a `dim`-dimensional device energy. @pre dim ≥ 1.
  PointEnergy(F f, Index dim) : f_(f), dim_(dim) {
    ember::detail::require_at_least_one(dim, "ember::cuda::PointEnergy", "dim");
  }

  [[nodiscard]] Index dim() const { return dim_; }
  [[nodiscard]] const F& functor() const { return f_; }

  /// @brief e(i) = E(xᵢ) (asynchronous; see ember::cuda::check_numerics for NaN/Inf).
  void energy(const DeviceBatch<T>& x, DeviceVector<T>& e) const {
    detail::launch_pointwise(f_, x, dim_, e, static_cast<DeviceBatch<T>*>(nullptr), "ember::cuda::PointEnergy::energy");
  }
  /// @brief Also g(i, :) = ∇ₓE(xᵢ).
  void energy_and_gradient(const DeviceBatch<T>& x, DeviceVector<T>& e, DeviceBatch<T>& g) const {
    detail::launch_pointwise(f_, x, dim_, e, &g, "ember::cuda::PointEnergy::energy_and_gradient");
  }

 private:
  F f_;
  Index dim_;
};

}  // namespace ember::cuda
