#pragma once
/// @file
/// @brief Block Gibbs sampling for RBMs: h ~ p(h | v), then v ~ p(v | h), every chain at once.
///
/// Each half-step is one GEMM (A = V W + 1cᵀ, or H Wᵀ + 1bᵀ) followed by a fused, vectorised
/// "σ then Bernoulli" pass: unit = 1 if u < σ(a), with u a Philox uniform (Gaussian visible units add a
/// Philox normal to the mean instead). Each half-step takes exactly one draw of the generator, so chain c's
/// numbers depend only on (seed, draw, c) — never on the batch size or on threads. Block Gibbs leaves the
/// RBM's joint distribution p(v, h), hence its visible marginal exp(−F(v))/Z, invariant: it is an
/// ember::Kernel for ember::Rbm energies, and the estimators (CD-k, PCD) use it like any other kernel.
///
/// @code
/// ember::BlockGibbs<float> gibbs;
/// gibbs.run(rbm, v, rng, 10);   // 10 full Gibbs sweeps of every chain (row of v), in place
/// @endcode

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/energy/rbm.hpp"
#include "ember/simd/activations.hpp"

namespace ember {

namespace detail {

/// out[i] = 1 if u[i] < σ(logit[i]) else 0, over `count` entries (xsimd body, scalar tail). `out` may
/// alias `logit`.
template <class T>
void bernoulli_from_logits(const T* logit, const T* u, T* out, std::size_t count) {
  using batch = xsimd::batch<T>;
  const batch one(T(1));
  const batch zero(T(0));
  std::size_t i = 0;
  for (; i + batch::size <= count; i += batch::size) {
    const batch p = one / (one + xsimd::exp(-batch::load_unaligned(logit + i)));
    xsimd::select(batch::load_unaligned(u + i) < p, one, zero).store_unaligned(out + i);
  }
  for (; i < count; ++i) out[i] = u[i] < sigmoid(logit[i]) ? T(1) : T(0);
}

}  // namespace detail

/// @brief Initial distribution for persistent chains of Bernoulli RBMs (PCD's ember::ReplayBuffer): each
/// unit is 1 with probability `probability`, independently; one draw of the generator.
template <Scalar T>
struct BernoulliInit {
  T probability = T(0.5);  ///< p ∈ [0, 1]
  template <class G>
  void operator()(BatchRef<T> out, G& rng) const {
    rng.draw().template uniform<T>(out, 0);
    out.array() = (out.array() < probability).template cast<T>();
  }
};

/// @brief Block Gibbs kernel for RBM energies; holds only reusable buffers (no allocation once warm).
/// NaN/Inf conditionals (a NaN weight, an overflowing input) throw ember::numerical_error: they would
/// otherwise turn into finite-looking 0/1 states.
template <Scalar T>
class BlockGibbs {
 public:
  using scalar_type = T;

  /// @brief h ~ p(h | v) for every chain (row of v) into h (N × n_hidden); one draw of `rng`.
  template <class E, class G>
  void sample_hidden(const E& rbm, BatchView<T> v, BatchRef<T> h, G& rng) {
    check_types<E, G>();
    constexpr const char* fn = "ember::BlockGibbs::sample_hidden";
    detail::require_shape(h, v.rows(), rbm.n_hidden(), fn, "h");
    rbm.hidden_input(v, h);
    // A NaN logit would compare false with every u and come out as a silent 0: refused instead.
    detail::check_numerics(h, fn, "the hidden logit");
    uniform_.resize(v.rows(), rbm.n_hidden());
    rng.draw().template uniform<T>(uniform_, 0);
    bernoulli_in_place(h, uniform_);
  }

  /// @brief v ~ p(v | h) for every chain into v (N × n_visible); one draw of `rng`.
  template <class E, class G>
  void sample_visible(const E& rbm, BatchView<T> h, BatchRef<T> v, G& rng) {
    check_types<E, G>();
    constexpr const char* fn = "ember::BlockGibbs::sample_visible";
    rbm.visible_input(h, v);
    detail::check_numerics(v, fn, E::visible_units == VisibleUnits::bernoulli ? "the visible logit" : "the visible mean");
    noise_.resize(v.rows(), v.cols());
    if constexpr (E::visible_units == VisibleUnits::bernoulli) {
      rng.draw().template uniform<T>(noise_, 0);
      bernoulli_in_place(v, noise_);
    } else {
      rng.draw().template normal<T>(noise_, 0);
      v += noise_;
    }
  }

  /// @brief One full sweep of every chain (row of x), in place: h ~ p(h | x), then x ~ p(x | h).
  /// Two draws of `rng`. The hidden states drawn are kept in `hidden()`.
  template <class E, class G>
  void step(const E& rbm, BatchRef<T> x, G& rng) {
    check_types<E, G>();
    check_batch(rbm, x, "ember::BlockGibbs::step");
    hidden_.resize(x.rows(), rbm.n_hidden());
    sample_hidden(rbm, x, hidden_, rng);
    sample_visible(rbm, hidden_, x, rng);
  }

  /// @brief `steps` full sweeps of every chain. @pre steps ≥ 0.
  template <class E, class G>
  void run(const E& rbm, BatchRef<T> x, G& rng, Index steps) {
    check_types<E, G>();
    detail::require(steps >= 0, "ember::BlockGibbs::run", "steps", steps, "must be >= 0");
    check_batch(rbm, x, "ember::BlockGibbs::run");
    for (Index s = 0; s < steps; ++s) step(rbm, x, rng);
  }

  /// The hidden states drawn in the last `step` (N × n_hidden; empty before the first step).
  [[nodiscard]] const Batch<T>& hidden() const { return hidden_; }

 private:
  // units(i, j) ← 1 if u(i, j) < σ(units(i, j)) else 0 (u is contiguous, of units' shape): one run over the
  // whole batch when it is contiguous too, else column by column (detail::for_column_runs).
  static void bernoulli_in_place(BatchRef<T> units, const Batch<T>& u) {
    detail::for_column_runs(units.rows(), units.outerStride(), 0, units.cols(), [&](Index j, Index n) {
      detail::bernoulli_from_logits(units.col(j).data(), u.col(j).data(), units.col(j).data(),
                                    static_cast<std::size_t>(n));
    });
  }

  // At least one chain of the RBM's n_visible units.
  template <class E>
  static void check_batch(const E& rbm, BatchView<T> x, const char* fn) {
    detail::require(x.rows() > 0, fn, "x", detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require(x.cols() == rbm.n_visible(), fn, "x", detail::shape_of(x.rows(), x.cols()), "expected ",
                    rbm.n_visible(), " columns (the RBM's visible units)");
  }

  template <class E, class G>
  static constexpr void check_types() {
    static_assert(RbmEnergy<E>, "ember::BlockGibbs: block Gibbs sampling needs an RBM energy "
                                "(ember::Rbm or a type modelling ember::RbmEnergy, with the conditionals "
                                "hidden_input(v, a) and visible_input(h, a)); use Langevin, MALA or HMC for other energies.");
    if constexpr (RbmEnergy<E>)
      static_assert(HasScalarType<E, T>,
                    "ember::BlockGibbs: the RBM's scalar_type must match the kernel's scalar type.");
    static_assert(Generator<G>, "ember::BlockGibbs: the generator must model ember::Generator (for example ember::Philox).");
  }

  Batch<T> hidden_;
  Batch<T> uniform_;
  Batch<T> noise_;
};

}  // namespace ember
