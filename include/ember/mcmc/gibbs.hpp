#pragma once
/// @file
/// @brief Block Gibbs sampling for RBMs: h ~ p(h | v), then v ~ p(v | h), every chain at once.
///
/// Each half-step is one product (A = V W + 1cᵀ, or H Wᵀ + 1bᵀ) followed by a fused, vectorised
/// "σ then Bernoulli" pass: unit = 1 if u < σ(a), with u a Philox uniform (Gaussian visible units add a
/// Philox normal to the mean instead); on an ember::Rbm the pass runs on each column block of A right after the
/// worker that computed it. Each half-step takes exactly one draw of the generator, so the number of chain c and
/// unit j depends only on (seed, draw, c, j) — never on the batch size or on threads. Block Gibbs leaves the
/// RBM's joint distribution p(v, h), hence its visible marginal exp(−F(v))/Z, invariant: it is an
/// ember::Kernel for ember::Rbm energies, and the estimators (CD-k, PCD) use it like any other kernel.
///
/// @code
/// ember::BlockGibbs<float> gibbs;
/// gibbs.run(rbm, v, rng, 10);   // 10 full Gibbs sweeps of every chain (row of v), in place
/// @endcode

#include <xsimd/xsimd.hpp>

#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

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

/// Whether the draw fills a block of columns from its first coordinate (ember::PhiloxDraw does).
template <class D, class T>
concept DrawStartsAtCoordinate = requires(const D& draw, BatchRef<T> out, Index first) {
  draw.template uniform<T>(out, first, first);
  draw.template normal<T>(out, first, first);
};

/// Whether the RBM runs an epilogue on each column block of its conditionals' products as soon as it is computed
/// (ember::Rbm::hidden_input(v, a, then)).
template <class E>
concept ConditionalsWithEpilogue =
    requires(const E& rbm, BatchView<typename E::scalar_type> x, BatchRef<typename E::scalar_type> a,
             void (*then)(Index, Index)) {
      rbm.hidden_input(x, a, then);
      rbm.visible_input(x, a, then);
    };

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
    // Shapes are checked before the draw is taken: a refused call leaves the generator where it was.
    check_batch(rbm, v, fn, "v");
    detail::require_shape(h, v.rows(), rbm.n_hidden(), fn, "h");
    // A NaN logit would compare false with every u and come out as a silent 0: refused instead.
    sample_units<true, by_blocks<E, G>>(h, uniform_, rng, fn, "the hidden logit",
                                        [&](auto&&... then) { rbm.hidden_input(v, h, then...); });
  }

  /// @brief v ~ p(v | h) for every chain into v (N × n_visible); one draw of `rng`.
  template <class E, class G>
  void sample_visible(const E& rbm, BatchView<T> h, BatchRef<T> v, G& rng) {
    check_types<E, G>();
    constexpr const char* fn = "ember::BlockGibbs::sample_visible";
    detail::require(h.rows() > 0, fn, "h", detail::shape_of(h.rows(), h.cols()), "the batch is empty");
    detail::require_shape(h, h.rows(), rbm.n_hidden(), fn, "h");
    detail::require_shape(v, h.rows(), rbm.n_visible(), fn, "v");
    const auto input = [&](auto&&... then) { rbm.visible_input(h, v, then...); };
    if constexpr (E::visible_units == VisibleUnits::bernoulli)
      sample_units<true, by_blocks<E, G>>(v, noise_, rng, fn, "the visible logit", input);
    else
      sample_units<false, by_blocks<E, G>>(v, noise_, rng, fn, "the visible mean", input);
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
  // units ← a sample given the conditional's parameters, which input() computes into units: 1 if u < σ(logit)
  // else 0 (Bernoulli), or mean + N(0, 1) (Gaussian); one draw of rng. ByBlocks: input(then) runs then(first, count)
  // on each block of columns as soon as it is computed, and each block is sampled there, by the worker that computed
  // it, while it is in that core's cache; the numbers are those of the whole batch either way. Non-finite parameters
  // are refused with check_numerics' message (the blocks that were finite are then already samples).
  template <bool Bernoulli, bool ByBlocks, class G, class Input>
  static void sample_units(BatchRef<T> units, Batch<T>& noise, G& rng, const char* fn, const char* quantity,
                           Input&& input) {
    noise.resize(units.rows(), units.cols());
    const auto draw = rng.draw();
    std::atomic<bool> finite{true};
    const auto sample_block = [&](Index first, Index count) {
      auto block = units.middleCols(first, count);
      if (!detail::all_finite(block)) {
        finite.store(false, std::memory_order_relaxed);
        return;
      }
      BatchRef<T> u = noise.middleCols(first, count);
      if constexpr (Bernoulli) {
        fill<false>(draw, u, first);
        detail::for_column_runs(block.rows(), block.outerStride(), 0, count, [&](Index j, Index n) {
          detail::bernoulli_from_logits(block.col(j).data(), u.col(j).data(), block.col(j).data(),
                                        static_cast<std::size_t>(n));
        });
      } else {
        fill<true>(draw, u, first);
        block += u;
      }
    };
    if constexpr (ByBlocks) {
      input(sample_block);
    } else {
      input();
      sample_block(0, units.cols());
    }
    if (!finite.load()) detail::check_numerics(units, fn, quantity);
  }

  template <class D>
  static constexpr bool starts_at_coordinate = detail::DrawStartsAtCoordinate<D, T>;
  template <class E, class G>
  static constexpr bool by_blocks =
      starts_at_coordinate<decltype(std::declval<G&>().draw())> && detail::ConditionalsWithEpilogue<E>;

  template <bool Normal, class D>
  static void fill(const D& draw, BatchRef<T> out, Index first_coordinate) {
    if constexpr (starts_at_coordinate<D>) {
      if constexpr (Normal) draw.template normal<T>(out, 0, first_coordinate);
      else draw.template uniform<T>(out, 0, first_coordinate);
    } else {  // one block: the whole batch
      if constexpr (Normal) draw.template normal<T>(out, 0);
      else draw.template uniform<T>(out, 0);
    }
  }

  // At least one chain of the RBM's n_visible units.
  template <class E>
  static void check_batch(const E& rbm, BatchView<T> x, const char* fn, const char* argument = "x") {
    detail::require(x.rows() > 0, fn, argument, detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require(x.cols() == rbm.n_visible(), fn, argument, detail::shape_of(x.rows(), x.cols()), "expected ",
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
