#pragma once
/// @file
/// @brief ember::Adam (Kingma & Ba 2015) on a flat parameter vector, with settable β's and weight decay.
///
/// With gradient g (plus L2 weight decay w θ), step count k (from 1):
///   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
///   θ ← θ − η (m / (1 − β₁ᵏ)) / (√(v / (1 − β₂ᵏ)) + ε),
/// exactly torch.optim.Adam. β₁ = 0 is allowed (Improved CD uses (β₁, β₂) = (0, 0.9)). `decoupled_weight_decay`
/// turns the L2 term into AdamW's θ ← θ − η w θ. The state (moments, step count) is public through `state()`.
///
/// @code
/// ember::Adam<float> optimizer({.learning_rate = 1e-3f, .beta1 = 0.0f, .beta2 = 0.9f});
/// optimizer.step(energy.params(), result.gradient);
/// @endcode

#include <cmath>
#include <cstdint>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of ember::Adam (aggregate; designated initialisers welcome).
template <Scalar T>
struct AdamSettings {
  T learning_rate = T(1e-3);           ///< η > 0
  T beta1 = T(0.9);                    ///< β₁ ∈ [0, 1): first-moment decay
  T beta2 = T(0.999);                  ///< β₂ ∈ [0, 1): second-moment decay
  T epsilon = T(1e-8);                 ///< ε > 0 added to √v̂
  T weight_decay = T(0);               ///< w ≥ 0
  bool decoupled_weight_decay = false;  ///< false: w θ is added to g (Adam); true: θ ← θ − η w θ (AdamW)
};

/// The state of ember::Adam, everything a checkpoint needs.
template <Scalar T>
struct AdamState {
  Vector<T> first_moment;   ///< m (empty before the first step)
  Vector<T> second_moment;  ///< v (empty before the first step)
  std::uint64_t steps = 0;  ///< k, the number of steps taken
};

/// @brief The Adam optimizer.
template <Scalar T>
class Adam {
 public:
  using scalar_type = T;

  /// @pre learning_rate > 0, β₁, β₂ ∈ [0, 1), ε > 0, weight_decay ≥ 0.
  explicit Adam(AdamSettings<T> settings = {}) : settings_(settings) {
    constexpr const char* fn = "ember::Adam";
    detail::require_positive(settings.learning_rate, fn, "learning_rate");
    detail::require(std::isfinite(settings.beta1) && settings.beta1 >= T(0) && settings.beta1 < T(1), fn, "beta1",
                    settings.beta1, "must be in [0, 1)");
    detail::require(std::isfinite(settings.beta2) && settings.beta2 >= T(0) && settings.beta2 < T(1), fn, "beta2",
                    settings.beta2, "must be in [0, 1)");
    detail::require_positive(settings.epsilon, fn, "epsilon");
    detail::require_non_negative(settings.weight_decay, fn, "weight_decay");
  }

  /// @brief One step, `params` updated in place; `gradient` is not modified.
  /// @pre gradient.size() == params.size(); gradient and params finite (else ember::invalid_argument, nothing
  /// changed).
  void step(VectorRef<T> params, VectorView<T> gradient) {
    constexpr const char* fn = "ember::Adam::step";
    detail::require_shape(gradient, params.size(), 1, fn, "gradient");
    // A NaN/Inf would enter the moments and every later step: refused before anything is changed.
    detail::require_all_finite(gradient, fn, "gradient");
    detail::require_all_finite(params, fn, "params");
    if (state_.steps == 0 || state_.first_moment.size() != params.size()) {
      state_.first_moment = Vector<T>::Zero(params.size());
      state_.second_moment = Vector<T>::Zero(params.size());
      state_.steps = 0;
    }
    const T w = settings_.weight_decay;
    g_ = gradient;
    if (w > T(0) && !settings_.decoupled_weight_decay) g_ += w * params;
    ++state_.steps;
    const T b1 = settings_.beta1, b2 = settings_.beta2;
    state_.first_moment = b1 * state_.first_moment + (T(1) - b1) * g_;
    state_.second_moment = b2 * state_.second_moment + (T(1) - b2) * g_.cwiseAbs2();
    const auto k = static_cast<T>(state_.steps);
    const T correction1 = T(1) - std::pow(b1, k);
    const T correction2 = T(1) - std::pow(b2, k);
    if (w > T(0) && settings_.decoupled_weight_decay) params *= T(1) - settings_.learning_rate * w;
    params.array() -= settings_.learning_rate * (state_.first_moment.array() / correction1) /
                      ((state_.second_moment.array() / correction2).sqrt() + settings_.epsilon);
  }

  [[nodiscard]] const AdamSettings<T>& settings() const { return settings_; }
  /// The learning rate may be changed between steps (schedules).
  void set_learning_rate(T learning_rate) {
    detail::require_positive(learning_rate, "ember::Adam::set_learning_rate", "learning_rate");
    settings_.learning_rate = learning_rate;
  }
  /// State for checkpoints: read it, or assign it back to resume exactly.
  [[nodiscard]] const AdamState<T>& state() const { return state_; }
  void set_state(AdamState<T> state) { state_ = std::move(state); }

 private:
  AdamSettings<T> settings_;
  AdamState<T> state_;
  Vector<T> g_;
};

}  // namespace ember
