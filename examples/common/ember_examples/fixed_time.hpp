#pragma once
// A time-conditioned energy frozen at one time τ, as an ordinary ember::Energy that accepts batches of any
// size (ember::AtTime binds one time per point, so its batches must keep one size). The example programs
// measure a recovery-likelihood model by its level-0 energy E(x, τ_0) with the same grid and KL code as the
// other estimators.
#include <ember/core/batch.hpp>
#include <ember/core/concepts.hpp>

namespace ember::examples {

template <class E>
class AtFixedTime {
  static_assert(TimeConditionedEnergy<E>, "ember::examples::AtFixedTime: E must model ember::TimeConditionedEnergy.");

 public:
  using scalar_type = typename E::scalar_type;
  using T = scalar_type;

  AtFixedTime(const E& base, T time) : base_(&base), time_(time) {}
  AtFixedTime(const E&&, T) = delete;  // held by pointer: a temporary would dangle

  [[nodiscard]] Index dim() const { return base_->dim(); }
  [[nodiscard]] T time() const { return time_; }
  // A fresh time vector per call: the grid quadrature may call from several threads at once.
  void energy(BatchView<T> x, VectorRef<T> e) const {
    const Vector<T> t = Vector<T>::Constant(x.rows(), time_);
    base_->energy(x, t, e);
  }
  void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
    const Vector<T> t = Vector<T>::Constant(x.rows(), time_);
    base_->energy_and_gradient(x, t, e, g);
  }

 private:
  const E* base_;
  T time_;
};

}  // namespace ember::examples
