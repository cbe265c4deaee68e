#pragma once
/// @file
/// @brief Unadjusted Langevin on the device, both forms, with the host's random stream.
///
/// Textbook x ← x − (ε/2)∇E + √ε ξ and decoupled x ← x − λ∇E + σξ (optional per-entry gradient clipping),
/// exactly ember::Langevin's update. Each step takes one draw of the host ember::Philox; chain c,
/// coordinate j uses the same normal as the host kernel, so a device chain follows the host chain (up to
/// rounding). The energy evaluates ∇E for the whole batch, then one fused kernel per chain generates the
/// noise, clips, updates x in place and flags non-finite gradients; `step`/`run` throw
/// ember::numerical_error at their end if any gradient was NaN/Inf.
///
/// @code
/// ember::cuda::Langevin<float> kernel({.step_size = 0.01f});
/// kernel.run(device_energy, x, rng, 100);   // x: DeviceBatch<float>, rng: ember::Philox
/// @endcode

#include <cmath>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/langevin_update.hpp"
#include "ember/cuda/detail/launch.cuh"
#include "ember/cuda/energy.cuh"
#include "ember/cuda/random.cuh"
#include "ember/mcmc/langevin.hpp"
#include "ember/simd/random.hpp"

namespace ember::cuda {

namespace detail {

/// x(i, :) ← x(i, :) − λ clip(g(i, :)) + σ ξ(i, :), one thread per chain (detail/langevin_update.hpp).
template <class T>
__global__ void langevin_update_kernel(T* x, const T* g, Index n, Index d, PhiloxDraw draw, T gradient_step,
                                       T noise_scale, T clip, unsigned int* flag) {
  const Index i = thread_index();
  if (i >= n) return;
  const bool ok = langevin_chain_update(x, g, i, n, d, draw, gradient_step, noise_scale, clip);
  flag_if_not_finite(ok, flag);
}

}  // namespace detail

/// @brief Unadjusted Langevin kernel on the device; holds its settings and reusable device workspaces.
template <Scalar T>
class Langevin {
 public:
  using scalar_type = T;

  /// @brief Textbook form (the host's settings struct). @pre step_size > 0, gradient_clip ≥ 0.
  explicit Langevin(LangevinSettings<T> settings = {})
      : Langevin(ember::Langevin<T>(settings), settings.gradient_clip) {}

  /// @brief Decoupled form x ← x − λ∇E + σξ. @pre λ > 0, σ ≥ 0, clip ≥ 0 (validated by the host kernel).
  static Langevin decoupled(T gradient_step, T noise_scale, T gradient_clip = T(0)) {
    return Langevin(ember::Langevin<T>::decoupled(gradient_step, noise_scale, gradient_clip), gradient_clip);
  }

  [[nodiscard]] T gradient_step() const { return gradient_step_; }
  [[nodiscard]] T noise_scale() const { return noise_scale_; }

  /// @brief One transition of every chain (row of x), in place; one draw of `rng`.
  /// @throws ember::numerical_error if a gradient was NaN/Inf.
  template <class E>
  void step(const E& energy, DeviceBatch<T>& x, Philox& rng) {
    advance(energy, x, rng);
    flag_.throw_if_set("ember::cuda::Langevin::step", "the gradient of the energy");
  }

  /// @brief `steps` transitions; checks for NaN/Inf once, at the end (no host synchronisation per step).
  template <class E>
  void run(const E& energy, DeviceBatch<T>& x, Philox& rng, Index steps) {
    ember::detail::require(steps >= 0, "ember::cuda::Langevin::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) advance(energy, x, rng);
    flag_.throw_if_set("ember::cuda::Langevin::run", "the gradient of the energy");
  }

  /// Energies at the start of the last step (device; empty before the first step).
  [[nodiscard]] const DeviceVector<T>& last_energy() const { return energy_; }

 private:
  Langevin(const ember::Langevin<T>& host, T gradient_clip)
      : gradient_step_(host.gradient_step()), noise_scale_(host.noise_scale()), gradient_clip_(gradient_clip) {}

  template <class E>
  void advance(const E& energy, DeviceBatch<T>& x, Philox& rng) {
    static_assert(DeviceEnergy<E>, "ember::cuda::Langevin: the energy must model ember::cuda::DeviceEnergy "
                                   "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g) on DeviceBatch).");
    static_assert(HasScalarType<E, T>,
                  "ember::cuda::Langevin: the energy's scalar_type must match the kernel's scalar type.");
    energy.energy_and_gradient(x, energy_, gradient_);
    detail::langevin_update_kernel<T><<<detail::grid_for(x.rows()), detail::block_size>>>(
        x.data(), gradient_.data(), x.rows(), x.cols(), rng.draw(), gradient_step_, noise_scale_,
        gradient_clip_, flag_.device());
    detail::check_launch("ember::cuda::Langevin (update kernel)");
  }

  T gradient_step_;
  T noise_scale_;
  T gradient_clip_;
  DeviceVector<T> energy_;
  DeviceBatch<T> gradient_;
  detail::NumericsFlag flag_;
};

}  // namespace ember::cuda
