#pragma once
/// @file
/// @brief Internal: Nesterov dual averaging of log ε toward a target acceptance (Hoffman & Gelman 2014,
/// NUTS §3.2.1), shared by MALA and HMC warm-up.
///
/// After warm-up iteration m with mean acceptance probability ᾱ_m (over chains):
///   H̄_m = (1 − 1/(m + t₀)) H̄_{m−1} + (δ − ᾱ_m)/(m + t₀),  log ε_m = μ − (√m/γ) H̄_m,
///   log ε̄_m = m^{−κ} log ε_m + (1 − m^{−κ}) log ε̄_{m−1},
/// with μ = log(10 ε₀), γ = 0.05, t₀ = 10, κ = 0.75 (the paper's constants). During warm-up the kernel uses
/// ε_m; at the end it switches to the averaged ε̄ (the iterate that converges).

#include <cmath>

namespace ember::detail {

template <class T>
class DualAveraging {
 public:
  /// What evolves during warm-up (μ and δ follow from the settings): enough to continue bit for bit.
  struct State {
    long iteration = 0;      ///< warm-up steps recorded
    T h_bar = T(0);          ///< H̄_m
    T log_step_bar = T(0);   ///< log ε̄_m
  };

  DualAveraging() = default;
  DualAveraging(T initial_step, T target) { restart(initial_step, target); }

  void restart(T initial_step, T target) {
    mu_ = std::log(T(10) * initial_step);
    target_ = target;
    iteration_ = 0;
    h_bar_ = T(0);
    log_step_bar_ = std::log(initial_step);
  }

  /// Records the mean acceptance probability of one warm-up step; returns the step size to use next.
  T update(T mean_acceptance) {
    constexpr T gamma = T(0.05), t0 = T(10), kappa = T(0.75);
    ++iteration_;
    const T m = static_cast<T>(iteration_);
    const T weight = T(1) / (m + t0);
    h_bar_ = (T(1) - weight) * h_bar_ + weight * (target_ - mean_acceptance);
    const T log_step = mu_ - std::sqrt(m) / gamma * h_bar_;
    const T eta = std::pow(m, -kappa);
    log_step_bar_ = eta * log_step + (T(1) - eta) * log_step_bar_;
    return std::exp(log_step);
  }

  /// The averaged step size ε̄ (used after warm-up).
  [[nodiscard]] T averaged_step() const { return std::exp(log_step_bar_); }

  [[nodiscard]] State state() const { return {iteration_, h_bar_, log_step_bar_}; }
  void set_state(const State& s) {
    iteration_ = s.iteration;
    h_bar_ = s.h_bar;
    log_step_bar_ = s.log_step_bar;
  }

 private:
  T mu_ = T(0);
  T target_ = T(0);
  long iteration_ = 0;
  T h_bar_ = T(0);
  T log_step_bar_ = T(0);
};

}  // namespace ember::detail
