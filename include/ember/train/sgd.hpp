#pragma once
/// @file
/// @brief ember::Sgd: stochastic gradient descent with momentum and weight decay on a flat parameter vector.
///
/// With weight decay w, momentum μ and learning rate η, one step is
///   g ← g + w θ,   b ← μ b + g   (b = g on the first step),   θ ← θ − η b   (Nesterov: θ ← θ − η (g + μ b)),
/// exactly PyTorch's torch.optim.SGD (dampening 0). The whole state (velocity b, step count) is public
/// through `state()` so that checkpoints save and restore it. `step` may take a thread pool (an RBM's `pool()`):
/// each worker then updates its own range of θ, the same bits as one thread.
///
/// @code
/// ember::Sgd<double> optimizer({.learning_rate = 0.05, .momentum = 0.9});
/// optimizer.step(energy.params(), result.gradient);   // θ ← θ − η b
/// @endcode

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of ember::Sgd (aggregate; designated initialisers welcome).
template <Scalar T>
struct SgdSettings {
  T learning_rate = T(0.01);  ///< η > 0
  T momentum = T(0);          ///< μ ∈ [0, 1); 0 is plain SGD
  T weight_decay = T(0);      ///< w ≥ 0: adds w θ to the gradient (L2 penalty ½ w ‖θ‖²)
  bool nesterov = false;      ///< Nesterov momentum (needs μ > 0)
};

/// The state of ember::Sgd, everything a checkpoint needs.
template <Scalar T>
struct SgdState {
  Vector<T> velocity;       ///< the momentum buffer b (empty before the first step)
  std::uint64_t steps = 0;  ///< number of steps taken
};

/// @brief SGD with momentum, Nesterov momentum and weight decay.
template <Scalar T>
class Sgd {
 public:
  using scalar_type = T;

  /// @pre learning_rate > 0, 0 ≤ momentum < 1, weight_decay ≥ 0.
  explicit Sgd(SgdSettings<T> settings = {}) : settings_(settings) {
    constexpr const char* fn = "ember::Sgd";
    detail::require_positive(settings.learning_rate, fn, "learning_rate");
    detail::require(std::isfinite(settings.momentum) && settings.momentum >= T(0) && settings.momentum < T(1), fn,
                    "momentum", settings.momentum, "must be in [0, 1)");
    detail::require_non_negative(settings.weight_decay, fn, "weight_decay");
    detail::require(!settings.nesterov || settings.momentum > T(0), fn, "nesterov", settings.nesterov,
                    "Nesterov momentum needs momentum > 0");
  }

  /// @brief One step: θ ← θ − η b. `params` is updated in place; `gradient` is not modified.
  /// @param pool null (one thread), or threads that split θ into one range per worker (ember::for_owned_ranges):
  /// elementwise arithmetic, so the result is bit for bit the same
  /// @pre gradient.size() == params.size(); gradient and params finite (else ember::invalid_argument, nothing
  /// changed).
  void step(VectorRef<T> params, VectorView<T> gradient, ThreadPool* pool = nullptr) {
    constexpr const char* fn = "ember::Sgd::step";
    detail::require_shape(gradient, params.size(), 1, fn, "gradient");
    // A NaN/Inf would enter the moments and every later step: refused before anything is changed.
    if (!all_finite_by_ranges(pool, params, gradient)) {
      detail::require_all_finite(gradient, fn, "gradient");
      detail::require_all_finite(params, fn, "params");
    }
    const bool momentum = settings_.momentum > T(0);
    const bool first = state_.steps == 0 || state_.velocity.size() != params.size();
    if (momentum && first) state_.velocity.resize(params.size());
    // One pass over θ, g and b (memory-bound for large models: an RBM's 393 k parameters are 1.5 MB each);
    // the arithmetic, and so every rounding, is that of the formulas in the file comment, in their order.
    const Update update_range{params.data(), gradient.data(), momentum ? state_.velocity.data() : nullptr,
                        settings_.learning_rate, settings_.momentum, settings_.weight_decay};
    const bool decayed = settings_.weight_decay > T(0), nesterov = settings_.nesterov;
    // The four choices as template arguments: a loop of its own for each case, which the compiler vectorises.
    const auto update = [&](Index begin, Index end) {
      with_flag(decayed, [&](auto decay) {
        with_flag(momentum, [&](auto with_momentum) {
          with_flag(first, [&](auto first_step) {
            with_flag(nesterov, [&](auto look_ahead) {
              update_range.template run<decay(), with_momentum(), first_step(), look_ahead()>(begin, end);
            });
          });
        });
      });
    };
    for_owned_ranges(pool, params.size(), update);
    ++state_.steps;
  }

  [[nodiscard]] const SgdSettings<T>& settings() const { return settings_; }
  /// The learning rate may be changed between steps (schedules).
  void set_learning_rate(T learning_rate) {
    detail::require_positive(learning_rate, "ember::Sgd::set_learning_rate", "learning_rate");
    settings_.learning_rate = learning_rate;
  }
  /// State for checkpoints: read it, or assign it back to resume exactly.
  [[nodiscard]] const SgdState<T>& state() const { return state_; }
  void set_state(SgdState<T> state) { state_ = std::move(state); }

 private:
  // The update of elements [begin, end), the arithmetic of the file comment in its order.
  struct Update {
    T* theta;
    const T* grad;
    T* velocity;
    T lr, mu, decay;
    template <bool Decayed, bool Momentum, bool First, bool Nesterov>
    void run(Index begin, Index end) const {
      for (Index i = begin; i < end; ++i) {
        T g = grad[i];
        if constexpr (Decayed) g += decay * theta[i];
        if constexpr (!Momentum) {
          theta[i] -= lr * g;
        } else {
          const T b = First ? g : mu * velocity[i] + g;
          velocity[i] = b;
          theta[i] -= lr * (Nesterov ? g + mu * b : b);
        }
      }
    }
  };

  // f(std::true_type{}) or f(std::false_type{}).
  template <class F>
  static void with_flag(bool flag, F&& f) {
    if (flag) {
      f(std::true_type{});
    } else {
      f(std::false_type{});
    }
  }

  SgdSettings<T> settings_;
  SgdState<T> state_;
};

}  // namespace ember
