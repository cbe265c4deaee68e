#pragma once
/// @file
/// @brief Unadjusted Langevin (ULA), in the textbook form and in the decoupled form EBM papers use.
///
/// Textbook: x ← x − (ε/2) ∇E(x) + √ε ξ, the Euler–Maruyama step of the Langevin diffusion; for
/// E = ‖x‖²/2 its stationary variance is 1/(1 − ε/4) per coordinate (tests/mcmc/langevin.test.cpp).
/// Decoupled: x ← x − λ ∇E(x) + σ ξ with λ and σ set independently (λ = ε/2, σ = √ε recovers the
/// textbook form). Optional clipping clamps each gradient entry to [−c, c] (Du & Mordatch's practice).
///
/// Threads: with `workers` > 1 the chains are split into row blocks run on a ember::ThreadPool (shared by
/// copies of the kernel). Each chain's noise comes from its own Philox stream and each energy evaluates a
/// chain from its own row (an energy with per-row terms, ember::Tether, through ember::energy_rows), so the
/// result is bit-identical for any worker count. The step allocates nothing
/// once its workspace has the batch's size.
///
/// @code
/// ember::Langevin<float> kernel({.step_size = 0.01f});
/// kernel.run(energy, x, rng, 100);   // 100 steps of every chain (row of x), in place
/// @endcode

#include <cmath>
#include <limits>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mcmc/observer.hpp"

namespace ember {

/// Settings of the textbook form (aggregate; designated initialisers welcome).
template <Scalar T>
struct LangevinSettings {
  T step_size = T(0.01);  ///< ε > 0: drift (ε/2)∇E, noise √ε
  T gradient_clip = T(0);  ///< c ≥ 0: clamp each entry of ∇E to [−c, c]; 0 disables clipping
  int workers = 1;         ///< threads over blocks of chains (≥ 1; the result does not depend on it)
};

/// @brief Unadjusted Langevin kernel; holds only its settings and a reusable workspace.
template <Scalar T>
class Langevin {
 public:
  using scalar_type = T;

  /// @brief Textbook form. @pre settings.step_size > 0, settings.gradient_clip ≥ 0.
  explicit Langevin(LangevinSettings<T> settings = {})
      : Langevin((detail::require_positive(settings.step_size, "ember::Langevin", "step_size"),
                  settings.step_size / T(2)),
                 std::sqrt(settings.step_size), settings.gradient_clip, "ember::Langevin") {
    set_workers(settings.workers);
  }

  /// @brief Decoupled form x ← x − λ∇E + σξ. @pre λ > 0, σ ≥ 0, clip ≥ 0, workers ≥ 1.
  static Langevin decoupled(T gradient_step, T noise_scale, T gradient_clip = T(0), int workers = 1) {
    detail::require_positive(gradient_step, "ember::Langevin::decoupled", "gradient_step");
    Langevin kernel(gradient_step, noise_scale, gradient_clip, "ember::Langevin::decoupled");
    kernel.set_workers(workers);
    return kernel;
  }

  /// @brief Threads over blocks of chains from the next step on. @pre workers ≥ 1.
  void set_workers(int workers) {
    detail::require_at_least_one(workers, "ember::Langevin::set_workers", "workers");
    workers_ = workers;
  }
  [[nodiscard]] int workers() const { return workers_; }
  /// The pool the steps run on (null for one worker); estimators reuse it for the work after the sampler.
  [[nodiscard]] ThreadPool* pool() { return pool_.get(workers_); }

  [[nodiscard]] T gradient_step() const { return gradient_step_; }
  [[nodiscard]] T noise_scale() const { return noise_scale_; }

  /// @brief One transition of every chain (row of x), in place.
  /// @throws ember::invalid_argument if x has no rows or not energy.dim() columns (as MALA and HMC);
  /// ember::numerical_error if an energy or gradient is NaN/Inf.
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    static_assert(Energy<E>, "ember::Langevin::step: the energy type must model ember::Energy "
                             "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
    static_assert(HasScalarType<E, T>,
                  "ember::Langevin::step: the energy's scalar_type must match the kernel's scalar type.");
    static_assert(Generator<G>, "ember::Langevin::step: the generator must model ember::Generator "
                                "(for example ember::Philox).");
    check_batch(energy, x, "ember::Langevin::step");
    const Index n = x.rows();
    const Index d = x.cols();
    energy_.resize(n);
    gradient_.resize(n, d);
    noise_.resize(n, d);
    ThreadPool* pool = pool_.get(workers_);
    const RowBlocks blocks = pool != nullptr ? blocks_of(n, workers_) : RowBlocks{n, n};  // n ≥ 1: checked above
    parallel_for(pool, blocks.count(), [&](Index b) {
      const Index first = blocks.begin(b), rows = blocks.rows(b);
      energy_rows(energy, first, rows)
          .energy_and_gradient(x.middleRows(first, rows), energy_.segment(first, rows),
                               gradient_.middleRows(first, rows));
    });
    detail::check_numerics(gradient_, "ember::Langevin::step", "the gradient of the energy");
    const auto draw = rng.draw();
    parallel_for(pool, blocks.count(), [&](Index b) {
      const Index first = blocks.begin(b), rows = blocks.rows(b);
      auto gradient = gradient_.middleRows(first, rows);
      auto noise = noise_.middleRows(first, rows);
      if (gradient_clip_ > T(0)) gradient = gradient.cwiseMax(-gradient_clip_).cwiseMin(gradient_clip_);
      draw.template normal<T>(noise, first);
      x.middleRows(first, rows).noalias() -= gradient_step_ * gradient;
      x.middleRows(first, rows).noalias() += noise_scale_ * noise;
    });
  }

  /// @brief `steps` transitions of every chain.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    run(energy, x, rng, steps, NoObserver{});
  }

  /// @brief `steps` transitions, calling `observer(ember::StepRecord<T>)` after each with the new states
  /// (mcmc/observer.hpp). The record's energies and accept flags are empty: an unadjusted step knows the
  /// energy only at its start, and evaluating it at the new states would double the cost.
  template <class E, class G, class Observer>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps, Observer&& observer) {
    static_assert(StepObserver<std::remove_reference_t<Observer>, T>,
                  "ember::Langevin::run: the observer must be callable as observer(const ember::StepRecord<T>&) "
                  "(see ember/mcmc/observer.hpp).");
    detail::require(steps >= 0, "ember::Langevin::run", "steps", steps, "must be >= 0");
    check_batch(energy, x, "ember::Langevin::run");
    const Vector<T> none;
    for (Index s = 0; s < steps; ++s) {
      step(energy, x, rng);
      observer(StepRecord<T>{s, x, none, none});
    }
  }

  /// Energies at the start of the last step (useful as a diagnostic; empty before the first step).
  [[nodiscard]] const Vector<T>& last_energy() const { return energy_; }

 private:
  // The batch must hold at least one chain of the energy's dimension (an empty batch is a mistake, not a no-op).
  template <class E>
  static void check_batch(const E& energy, BatchView<T> x, const char* fn) {
    detail::require(x.rows() > 0, fn, "x", detail::shape_of(x.rows(), x.cols()), "the batch is empty");
    detail::require(x.cols() == static_cast<Index>(energy.dim()), fn, "x", detail::shape_of(x.rows(), x.cols()),
                    "expected ", energy.dim(), " columns (the energy's dimension)");
  }

  Langevin(T gradient_step, T noise_scale, T gradient_clip, const char* fn)
      : gradient_step_(gradient_step), noise_scale_(noise_scale), gradient_clip_(gradient_clip) {
    detail::require_non_negative(noise_scale, fn, "noise_scale");
    detail::require_non_negative(gradient_clip, fn, "gradient_clip", " (0 disables clipping)");
  }

  T gradient_step_;
  T noise_scale_;
  T gradient_clip_;
  int workers_ = 1;
  SharedPool pool_;
  Vector<T> energy_;
  Batch<T> gradient_;
  Batch<T> noise_;
};

}  // namespace ember
