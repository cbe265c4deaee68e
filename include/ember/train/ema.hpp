#pragma once
/// @file
/// @brief ember::ParameterEma: an exponential moving average of the flat parameter vector.
///
/// After each optimizer step, `update(θ)` sets θ̄ ← δ θ̄ + (1 − δ) θ (θ̄ = θ on the first update). Evaluating or
/// sampling with θ̄ instead of θ removes most of the optimizer's stochastic jitter.
///
/// @code
/// ember::ParameterEma<double> ema({.decay = 0.99});
/// ema.update(energy.params());   // after each optimizer step; ema.average() is θ̄
/// @endcode

#include <cmath>
#include <cstdint>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of ember::ParameterEma.
template <Scalar T>
struct EmaSettings {
  T decay = T(0.999);  ///< δ ∈ [0, 1): weight of the old average
};

/// The state of ember::ParameterEma, everything a checkpoint needs.
template <Scalar T>
struct EmaState {
  Vector<T> average;          ///< θ̄ (empty before the first update)
  std::uint64_t updates = 0;  ///< number of updates so far
};

/// @brief Exponential moving average of parameters.
template <Scalar T>
class ParameterEma {
 public:
  using scalar_type = T;

  /// @pre 0 ≤ decay < 1.
  explicit ParameterEma(EmaSettings<T> settings = {}) : settings_(settings) {
    detail::require(std::isfinite(settings.decay) && settings.decay >= T(0) && settings.decay < T(1),
                    "ember::ParameterEma", "decay", settings.decay, "must be in [0, 1)");
  }

  /// @brief θ̄ ← δ θ̄ + (1 − δ) θ; the first call copies θ.
  void update(VectorView<T> params) {
    if (state_.updates == 0 || state_.average.size() != params.size()) {
      state_.average = params;
    } else {
      state_.average = settings_.decay * state_.average + (T(1) - settings_.decay) * params;
    }
    ++state_.updates;
  }

  /// θ̄. @pre at least one update.
  [[nodiscard]] const Vector<T>& average() const {
    detail::require(state_.updates > 0, "ember::ParameterEma::average", "updates", state_.updates,
                    "call update() at least once first");
    return state_.average;
  }

  [[nodiscard]] const EmaSettings<T>& settings() const { return settings_; }
  [[nodiscard]] const EmaState<T>& state() const { return state_; }
  void set_state(EmaState<T> state) { state_ = std::move(state); }

 private:
  EmaSettings<T> settings_;
  EmaState<T> state_;
};

}  // namespace ember
