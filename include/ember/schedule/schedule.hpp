#pragma once
/// @file
/// @brief The conventions of every diffusion noise schedule; the ember::Schedule concept and ember::Transition
/// themselves are in core/concepts.hpp (included here).
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

#include "ember/core/concepts.hpp"
