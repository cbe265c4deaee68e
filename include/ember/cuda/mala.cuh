#pragma once
/// @file
/// @brief MALA on the device: the ULA proposal plus a Metropolis–Hastings test, per-chain acceptance counts.
///
/// Proposal y = x − (ε/2)∇E(x) + √ε ξ (one draw: ξ for chain c, coordinate j as on the host), accepted with
/// probability min(1, exp(−E(y) + E(x) − (‖x − y + (ε/2)∇E(y)‖² − ‖y − x + (ε/2)∇E(x)‖²)/(2ε))) using a
/// second draw (chain c's uniform of coordinate 0). A proposal with a NaN/Inf energy or gradient is
/// rejected; a current state with a NaN/Inf energy or gradient is reported (ember::numerical_error) at the
/// end of the call. Within `run`, the energy and gradient of the current states are carried over between
/// steps (one evaluation per step). Exact: the chain leaves exp(−E) invariant for any ε.
///
/// @code
/// ember::cuda::Mala<double> kernel({.step_size = 0.5});
/// kernel.run(device_energy, x, rng, 1000);  double rate = kernel.acceptance_rate();
/// @endcode

#include <cmath>
#include <cstdint>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/launch.cuh"
#include "ember/cuda/detail/mala_update.hpp"
#include "ember/cuda/energy.cuh"
#include "ember/cuda/random.cuh"
#include "ember/simd/random.hpp"

namespace ember::cuda {

/// Settings of the device MALA kernel (aggregate).
template <Scalar T>
struct MalaSettings {
  T step_size = T(0.01);  ///< ε > 0: proposal drift (ε/2)∇E, proposal noise √ε
};

namespace detail {

// y = x − (ε/2) g + √ε ξ, one thread per chain (detail/mala_update.hpp).
template <class T>
__global__ void mala_propose_kernel(const T* x, const T* g, T* y, Index n, Index d, PhiloxDraw draw, T step) {
  const Index i = thread_index();
  if (i < n) mala_propose_chain(x, g, y, i, n, d, draw, step);
}

// The Metropolis–Hastings test; on acceptance the proposal's state, energy and gradient replace the current.
template <class T>
__global__ void mala_accept_kernel(T* x, T* e, T* g, const T* y, const T* ey, const T* gy, Index n, Index d,
                                   PhiloxDraw draw, T step, std::uint32_t* accepted, unsigned int* flag) {
  const Index i = thread_index();
  if (i >= n) return;
  bool current_ok = finite(e[i]);
  bool proposal_ok = finite(ey[i]);
  for (Index j = 0; j < d; ++j) {
    current_ok = current_ok && finite(g[i + j * n]);
    proposal_ok = proposal_ok && finite(gy[i + j * n]);
  }
  flag_if_not_finite(current_ok, flag);
  if (!(current_ok && proposal_ok)) return;
  const T log_ratio = mala_log_ratio(x, g, e[i], y, gy, ey[i], i, n, d, step);
  if (!mala_accepts(log_ratio, philox_uniform<T>(draw, static_cast<std::uint32_t>(i), 0))) return;
  for (Index j = 0; j < d; ++j) {
    const Index idx = i + j * n;
    x[idx] = y[idx];
    g[idx] = gy[idx];
  }
  e[i] = ey[i];
  accepted[i] += 1u;
}

}  // namespace detail

/// @brief Metropolis-adjusted Langevin on the device; per-chain acceptance counts stay on the device.
template <Scalar T>
class Mala {
 public:
  using scalar_type = T;

  /// @pre settings.step_size > 0.
  explicit Mala(MalaSettings<T> settings = {}) : step_size_(settings.step_size) {
    ember::detail::require_positive(settings.step_size, "ember::cuda::Mala", "step_size");
  }

  [[nodiscard]] T step_size() const { return step_size_; }
  /// @pre step_size > 0.
  void set_step_size(T step_size) {
    ember::detail::require_positive(step_size, "ember::cuda::Mala::set_step_size", "step_size");
    step_size_ = step_size;
  }

  /// @brief One transition of every chain (row of x), in place; two draws of `rng`.
  template <class E>
  void step(const E& energy, DeviceBatch<T>& x, Philox& rng) {
    run(energy, x, rng, 1);
  }

  /// @brief `steps` transitions; NaN/Inf in a current state is reported once, at the end.
  template <class E>
  void run(const E& energy, DeviceBatch<T>& x, Philox& rng, Index steps) {
    static_assert(DeviceEnergy<E>, "ember::cuda::Mala: the energy must model ember::cuda::DeviceEnergy "
                                   "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g) on DeviceBatch).");
    static_assert(HasScalarType<E, T>,
                  "ember::cuda::Mala: the energy's scalar_type must match the kernel's scalar type.");
    constexpr const char* fn = "ember::cuda::Mala::run";
    ember::detail::require(steps >= 0, fn, "steps", steps, "must be >= 0");
    if (steps == 0) return;
    if (accepted_.size() != x.rows()) {  // a new batch: restart the statistics
      accepted_.resize(x.rows());
      accepted_.set_zero();
      steps_ = 0;
    }
    energy.energy_and_gradient(x, energy_, gradient_);  // the current states (x may have changed since)
    proposal_.resize(x.rows(), x.cols());
    for (Index s = 0; s < steps; ++s) {
      detail::mala_propose_kernel<T><<<detail::grid_for(x.rows()), detail::block_size>>>(
          x.data(), gradient_.data(), proposal_.data(), x.rows(), x.cols(), rng.draw(), step_size_);
      detail::check_launch("ember::cuda::Mala (proposal kernel)");
      energy.energy_and_gradient(proposal_, proposal_energy_, proposal_gradient_);
      detail::mala_accept_kernel<T><<<detail::grid_for(x.rows()), detail::block_size>>>(
          x.data(), energy_.data(), gradient_.data(), proposal_.data(), proposal_energy_.data(),
          proposal_gradient_.data(), x.rows(), x.cols(), rng.draw(), step_size_, accepted_.data(), flag_.device());
      detail::check_launch("ember::cuda::Mala (accept kernel)");
      ++steps_;
    }
    flag_.throw_if_set(fn, "the energy or gradient of a current state");
  }

  /// Fraction of accepted proposals per chain since the last reset (host copy; length N).
  [[nodiscard]] Vector<double> chain_acceptance() const {
    Vector<double> rate = Vector<double>::Zero(accepted_.size());
    if (steps_ == 0) return rate;
    const auto counts = accepted_.to_host();
    for (Index i = 0; i < counts.size(); ++i) rate(i) = static_cast<double>(counts(i)) / static_cast<double>(steps_);
    return rate;
  }
  /// Mean acceptance over chains and steps since the last reset (0 before the first step).
  [[nodiscard]] double acceptance_rate() const {
    const Vector<double> rate = chain_acceptance();
    return rate.size() == 0 ? 0.0 : rate.mean();
  }
  /// Forgets the acceptance statistics.
  void reset_statistics() {
    accepted_.set_zero();
    steps_ = 0;
  }
  /// @brief Moves ε toward a target acceptance: ε ← ε · exp(rate · (acceptance − target)), then resets the
  /// statistics (call between runs while tuning). @pre 0 < target < 1, rate > 0.
  void adapt_step_size(double target = 0.574, double rate = 1.0) {
    constexpr const char* fn = "ember::cuda::Mala::adapt_step_size";
    ember::detail::require(target > 0.0 && target < 1.0, fn, "target", target, "must be in (0, 1)");
    ember::detail::require_positive(rate, fn, "rate");
    if (steps_ == 0) return;
    step_size_ = static_cast<T>(static_cast<double>(step_size_) * std::exp(rate * (acceptance_rate() - target)));
    reset_statistics();
  }

 private:
  T step_size_;
  Index steps_ = 0;
  DeviceBuffer<std::uint32_t> accepted_;
  DeviceVector<T> energy_, proposal_energy_;
  DeviceBatch<T> gradient_, proposal_, proposal_gradient_;
  detail::NumericsFlag flag_;
};

}  // namespace ember::cuda
