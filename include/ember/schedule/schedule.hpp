#pragma once
/// @file
/// @brief The ember::Schedule concept: what every diffusion noise schedule offers, and its transition type.
///
/// A schedule describes the forward (noising) process x_t = α(t) x_0 + σ(t) ε at times t ∈ [0, 1]
/// (t = 0 is the data, t = 1 the most noise). Every schedule gives the marginal mean coefficient α(t),
/// the standard deviation σ(t), the rate β(t), the signal-to-noise ratio α²/σ², and the transition
/// between two times s ≤ t: x_t = a_{t|s} x_s + s_{t|s} ε. Times outside [0, 1] or NaN throw
/// ember::invalid_argument; none of these functions divides by zero or returns NaN at t = 0 or t = 1.
///
/// @code
/// ember::VpLinear<float> schedule;                       // schedule/vp_linear.hpp
/// auto [scale, std] = schedule.transition(0.2f, 0.5f);   // x_0.5 = scale · x_0.2 + std · ε
/// @endcode

#include <concepts>

#include "ember/core/concepts.hpp"
#include "ember/core/config.hpp"

namespace ember {

/// @brief The Gaussian transition x_t = scale · x_s + std · ε between two times s ≤ t of a schedule.
template <Scalar T>
struct Transition {
  T scale;  ///< a_{t|s}: the mean coefficient of x_t given x_s (1 for variance-exploding schedules)
  T std;    ///< s_{t|s}: the standard deviation of x_t given x_s (0 when s = t)
};

/// @brief A noise schedule over t ∈ [0, 1].
///
/// - `mean_coefficient(t)`: α(t), x_t = α(t) x_0 + σ(t) ε;
/// - `standard_deviation(t)`: σ(t);
/// - `beta(t)`: the rate of the forward SDE (VP: dx = −½β x dt + √β dW; VE: β = dσ²/dt);
/// - `snr(t)`: α(t)² / σ(t)², finite everywhere (σ² is floored at the smallest normal number);
/// - `transition(s, t)`: ember::Transition from time s to time t ≥ s.
template <class S>
concept Schedule = requires(const S& schedule, typename S::scalar_type t) {
  requires Scalar<typename S::scalar_type>;
  { schedule.mean_coefficient(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.standard_deviation(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.beta(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.snr(t) } -> std::same_as<typename S::scalar_type>;
  { schedule.transition(t, t) } -> std::same_as<Transition<typename S::scalar_type>>;
};

}  // namespace ember
