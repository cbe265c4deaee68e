#pragma once
/// @file
/// @brief Annealed (progressive) Langevin: K unadjusted Langevin steps per level, from the top (noisiest)
/// level down to level 0, each level with its own energy and step size.
///
/// Level l ∈ {0, …, L−1} has a time tₗ and a textbook ULA step size εₗ (x ← x − (εₗ/2)∇Eₗ + √εₗ ξ). The
/// energy of a level is, by overload:
/// - a time-conditioned energy E(x, t) (ember::TimeConditionedEnergy) evaluated at tₗ for every point;
/// - a plain ember::Energy, the same at every level (only the step size anneals);
/// - a level-energy factory `make(l)` returning an ember::Energy for level l (`run_levels`), for example a
///   tethered posterior p(x_t | x_{t+1}) of recovery likelihood built by the caller.
/// For recovery likelihood, `RecoveryLevels::step_sizes(b²)` gives εₗ = c_l² b² σ²_{l+1} (schedule/recovery_levels.hpp).
///
/// @code
/// ember::AnnealedLangevin<float> sampler(times, levels.step_sizes(2e-4f), {.steps_per_level = 30});
/// sampler.step(model, x, rng);   // levels L−1, …, 0, 30 steps each, in place
/// @endcode

#include <cmath>
#include <string>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"

namespace ember {

/// Settings of ember::AnnealedLangevin (aggregate; designated initialisers welcome).
template <Scalar T>
struct AnnealedLangevinSettings {
  Index steps_per_level = 10;  ///< K ≥ 1: ULA steps at each level
  T gradient_clip = T(0);      ///< c ≥ 0: clamp each entry of ∇E to [−c, c]; 0 disables clipping
};

/// @brief Annealed Langevin over L levels; models ember::Kernel (one `step` = one sweep over all levels).
template <Scalar T>
class AnnealedLangevin {
 public:
  using scalar_type = T;

  /// @param times      tₗ for l = 0..L−1 (finite; used only with time-conditioned energies)
  /// @param step_sizes εₗ for l = 0..L−1 (each finite and > 0)
  /// @pre L ≥ 1, times.size() == step_sizes.size(), settings valid. @throws ember::invalid_argument.
  AnnealedLangevin(Vector<T> times, Vector<T> step_sizes, AnnealedLangevinSettings<T> settings = {})
      : times_(std::move(times)), step_sizes_(std::move(step_sizes)), settings_(settings) {
    constexpr const char* fn = "ember::AnnealedLangevin";
    detail::require_at_least_one(step_sizes_.size(), fn, "step_sizes.size()", " (one level)");
    detail::require(times_.size() == step_sizes_.size(), fn, "times.size()", times_.size(),
                    "must equal step_sizes.size() = ", step_sizes_.size());
    detail::require_all_finite(times_, fn, "times");
    for (Index l = 0; l < step_sizes_.size(); ++l)
      detail::require_positive(step_sizes_(l), fn, "step_sizes(" + std::to_string(l) + ")");
    detail::require_at_least_one(settings.steps_per_level, fn, "steps_per_level");
    detail::require_non_negative(settings.gradient_clip, fn, "gradient_clip", " (0 disables clipping)");
  }

  [[nodiscard]] Index levels() const { return step_sizes_.size(); }
  [[nodiscard]] const Vector<T>& times() const { return times_; }
  [[nodiscard]] const Vector<T>& step_sizes() const { return step_sizes_; }
  [[nodiscard]] Index steps_per_level() const { return settings_.steps_per_level; }

  /// @brief One sweep, levels L−1 down to 0, K steps each. E is an ember::Energy (the same at every level)
  /// or an ember::TimeConditionedEnergy (evaluated at tₗ).
  /// @throws ember::numerical_error if an energy or gradient is NaN/Inf.
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    static_assert(Energy<E> || TimeConditionedEnergy<E>,
                  "ember::AnnealedLangevin::step: the energy type must model ember::Energy or "
                  "ember::TimeConditionedEnergy.");
    static_assert(HasScalarType<E, T>,
                  "ember::AnnealedLangevin::step: the energy's scalar_type must match the sampler's scalar type.");
    if constexpr (Energy<E>) {
      run_levels([&](Index) -> const E& { return energy; }, x, rng);
    } else {
      times_of_points_.resize(x.rows());
      run_levels(
          [&](Index l) {
            times_of_points_.setConstant(times_(l));
            return Bound<E>{&energy, &times_of_points_};
          },
          x, rng);
    }
  }

  /// @brief `sweeps` sweeps over all levels.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index sweeps) {
    detail::require(sweeps >= 0, "ember::AnnealedLangevin::run", "sweeps", sweeps, "must be >= 0");
    for (Index s = 0; s < sweeps; ++s) step(energy, x, rng);
  }

  /// @brief One sweep with level energies from a factory: `make(l)` returns an ember::Energy for level l
  /// (by value or by reference); called once per level, from l = L−1 down to 0.
  template <class MakeEnergy, class G>
  void run_levels(MakeEnergy&& make, BatchRef<T> x, G& rng) {
    static_assert(Generator<G>, "ember::AnnealedLangevin::run_levels: the generator must model ember::Generator "
                                "(for example ember::Philox).");
    using LevelEnergy = std::remove_cvref_t<decltype(make(Index{0}))>;
    static_assert(Energy<LevelEnergy>, "ember::AnnealedLangevin::run_levels: make(level) must return a type that "
                                       "models ember::Energy.");
    constexpr const char* fn = "ember::AnnealedLangevin::run_levels";
    const Index n = x.rows(), d = x.cols();
    detail::require(n > 0, fn, "x", detail::shape_of(n, d), "the batch is empty");
    energy_.resize(n);
    gradient_.resize(n, d);
    noise_.resize(n, d);
    for (Index l = levels() - 1; l >= 0; --l) {
      decltype(auto) level_energy = make(l);
      const T eps = step_sizes_(l);
      const T drift = eps / T(2), scale = std::sqrt(eps);
      for (Index k = 0; k < settings_.steps_per_level; ++k) {
        level_energy.energy_and_gradient(x, energy_, gradient_);
        detail::check_numerics(gradient_, fn, "the gradient of the energy");
        if (settings_.gradient_clip > T(0))
          gradient_ = gradient_.cwiseMax(-settings_.gradient_clip).cwiseMin(settings_.gradient_clip);
        rng.draw().template normal<T>(noise_, 0);
        x.noalias() -= drift * gradient_;
        x.noalias() += scale * noise_;
      }
      detail::check_numerics(energy_, fn, "the energy");
    }
  }

 private:
  // A time-conditioned energy at the per-point times of one level (no copy, no allocation).
  template <class E>
  struct Bound {
    using scalar_type = T;
    const E* base;
    const Vector<T>* t;
    [[nodiscard]] Index dim() const { return base->dim(); }
    void energy(BatchView<T> x, VectorRef<T> e) const { base->energy(x, *t, e); }
    void energy_and_gradient(BatchView<T> x, VectorRef<T> e, BatchRef<T> g) const {
      base->energy_and_gradient(x, *t, e, g);
    }
  };

  Vector<T> times_;
  Vector<T> step_sizes_;
  AnnealedLangevinSettings<T> settings_;
  Vector<T> times_of_points_;
  Vector<T> energy_;
  Batch<T> gradient_;
  Batch<T> noise_;
};

}  // namespace ember
