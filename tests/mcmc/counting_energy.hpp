#pragma once
// An energy wrapper that counts how often, and on how many rows, the wrapped energy is evaluated: the proof
// that observing a sampler costs no extra energy evaluation.
#include <atomic>

#include "ember/core/batch.hpp"

namespace ember::test {

template <class Inner>
struct CountingEnergy {
  using scalar_type = typename Inner::scalar_type;
  using T = scalar_type;
  const Inner* inner;
  mutable std::atomic<Index> calls{0};  // energy or energy_and_gradient calls (threads may call at once)
  mutable std::atomic<Index> rows{0};   // rows evaluated in all

  explicit CountingEnergy(const Inner& energy) : inner(&energy) {}
  [[nodiscard]] Index dim() const { return inner->dim(); }
  void energy(BatchView<T> x, VectorRef<T> e) const {
    ++calls;
    rows += x.rows();
    inner->energy(x, e);
  }
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    ++calls;
    rows += x.rows();
    inner->energy_and_gradient(x, e, g);
  }
  void reset() {
    calls = 0;
    rows = 0;
  }
};

}  // namespace ember::test
