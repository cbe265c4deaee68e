#pragma once
/// @file
/// @brief Compile-time kernel composition: repeat a kernel k times, run kernels in sequence, apply a kernel
/// every n-th step (the data-augmentation transitions of improved CD). Templates over the kernels, held by
/// value; no std::function or virtual call in the step loop.
///
/// @code
/// auto kernel = ember::sequence(ember::repeat(ember::Langevin<float>({.step_size = 0.01f}), 20),
///                               ember::every(my_augmentation, 5));
/// @endcode

#include <cstddef>
#include <tuple>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// @brief `step` runs the inner kernel k times. Models ember::Kernel when the inner kernel does.
template <class K>
class Repeat {
 public:
  /// @pre times ≥ 1. @throws ember::invalid_argument.
  Repeat(K kernel, Index times) : kernel_(std::move(kernel)), times_(times) {
    detail::require_at_least_one(times, "ember::Repeat", "times");
  }
  template <class E, class G>
  void step(const E& energy, BatchRef<typename E::scalar_type> x, G& rng) {
    static_assert(Kernel<K, E, G>, "ember::Repeat::step: the inner type must model ember::Kernel for this energy "
                                   "and generator (step(energy, x, rng)).");
    for (Index k = 0; k < times_; ++k) kernel_.step(energy, x, rng);
  }
  template <class E, class G>
  void run(const E& energy, BatchRef<typename E::scalar_type> x, G& rng, Index steps) {
    detail::require(steps >= 0, "ember::Repeat::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) step(energy, x, rng);
  }
  [[nodiscard]] K& inner() { return kernel_; }
  [[nodiscard]] const K& inner() const { return kernel_; }
  [[nodiscard]] Index times() const { return times_; }

 private:
  K kernel_;
  Index times_;
};

/// @brief `step` runs every kernel once, in order. Models ember::Kernel when each kernel does.
template <class... Ks>
class Sequence {
  static_assert(sizeof...(Ks) >= 1, "ember::Sequence: give at least one kernel.");

 public:
  explicit Sequence(Ks... kernels) : kernels_(std::move(kernels)...) {}
  template <class E, class G>
  void step(const E& energy, BatchRef<typename E::scalar_type> x, G& rng) {
    static_assert((Kernel<Ks, E, G> && ...), "ember::Sequence::step: every kernel of the sequence must model "
                                             "ember::Kernel for this energy and generator (step(energy, x, rng)).");
    std::apply([&](auto&... kernel) { (kernel.step(energy, x, rng), ...); }, kernels_);
  }
  template <class E, class G>
  void run(const E& energy, BatchRef<typename E::scalar_type> x, G& rng, Index steps) {
    detail::require(steps >= 0, "ember::Sequence::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) step(energy, x, rng);
  }
  /// The I-th kernel.
  template <std::size_t I>
  [[nodiscard]] auto& get() { return std::get<I>(kernels_); }
  template <std::size_t I>
  [[nodiscard]] const auto& get() const { return std::get<I>(kernels_); }

 private:
  std::tuple<Ks...> kernels_;
};

/// @brief `step` applies the inner kernel on every n-th call (calls n, 2n, 3n, … counting from 1) and does
/// nothing otherwise. Models ember::Kernel when the inner kernel does.
template <class K>
class Every {
 public:
  /// @pre period ≥ 1. @throws ember::invalid_argument.
  Every(K kernel, Index period) : kernel_(std::move(kernel)), period_(period) {
    detail::require_at_least_one(period, "ember::Every", "period");
  }
  template <class E, class G>
  void step(const E& energy, BatchRef<typename E::scalar_type> x, G& rng) {
    static_assert(Kernel<K, E, G>, "ember::Every::step: the inner type must model ember::Kernel for this energy "
                                   "and generator (step(energy, x, rng)).");
    if (++calls_ % period_ == 0) kernel_.step(energy, x, rng);
  }
  template <class E, class G>
  void run(const E& energy, BatchRef<typename E::scalar_type> x, G& rng, Index steps) {
    detail::require(steps >= 0, "ember::Every::run", "steps", steps, "must be >= 0");
    for (Index s = 0; s < steps; ++s) step(energy, x, rng);
  }
  [[nodiscard]] K& inner() { return kernel_; }
  [[nodiscard]] Index period() const { return period_; }
  /// Calls of `step` so far (the inner kernel ran calls() / period() times).
  [[nodiscard]] Index calls() const { return calls_; }

 private:
  K kernel_;
  Index period_;
  Index calls_ = 0;
};

/// @brief Repeat<K>: `kernel` k times per step.
template <class K>
Repeat<K> repeat(K kernel, Index times) {
  return Repeat<K>(std::move(kernel), times);
}
/// @brief Sequence<Ks...>: each kernel once per step, in order.
template <class... Ks>
Sequence<Ks...> sequence(Ks... kernels) {
  return Sequence<Ks...>(std::move(kernels)...);
}
/// @brief Every<K>: `kernel` on every `period`-th step.
template <class K>
Every<K> every(K kernel, Index period) {
  return Every<K>(std::move(kernel), period);
}

}  // namespace ember
