#pragma once
/// @file
/// @brief ember::SlicedScoreMatching (Song, Garg, Shi & Ermon 2019): score matching along random directions,
/// without the d-dimensional Hessian trace.
///
/// With the score s = −∇ₓE and random projections v (E[vvᵀ] = I), the objective is
///   J(θ) = mean_i E_v[ vᵀ∇ₓs(xᵢ) v + ½ (vᵀs(xᵢ))² ] = mean_i E_v[ −vᵀHᵢv + ½ (vᵀgᵢ)² ],
/// gᵢ = ∇ₓE(xᵢ), Hᵢ = ∇ₓ²E(xᵢ); it equals Hyvärinen's score matching up to a constant in θ. The curvature
/// vᵀHv is the central difference of the directional derivative, vᵀ(g(x + hv) − g(x − hv))/(2h), and its
/// θ-gradient the same difference of two mixed products (concepts.hpp's `accumulate_mixed_gradient`); the
/// square term's θ-gradient is one mixed product with weights (vᵀg)v. So an energy needs nothing beyond
/// ember::ParametricEnergy. The difference is exact for a quadratic energy and has error O(h²) otherwise.
/// `variance_reduction` (SSM-VR) replaces ½(vᵀg)² by its expectation ½‖g‖² (Gaussian or Rademacher v).
/// No negatives: `positive_energy` and `negative_energy` both report mean E(data).
///
/// @code
/// ember::SlicedScoreMatching<double> ssm({.projections = 4});
/// auto result = ssm.estimate(energy, batch, rng);   // result.loss is the SSM objective of the batch
/// @endcode

#include <cmath>
#include <limits>
#include <type_traits>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/divergence/contrastive.hpp"

namespace ember {

/// The distribution of the projection vectors v.
enum class SlicedProjection {
  gaussian,    ///< v ~ N(0, I)
  rademacher,  ///< vⱼ = ±1 with probability ½ each (lower variance)
};

/// Settings of sliced score matching (aggregate; designated initialisers welcome).
template <Scalar T>
struct SsmSettings {
  Index projections = 1;                                ///< M ≥ 1 directions per data point
  SlicedProjection distribution = SlicedProjection::gaussian;
  bool variance_reduction = false;                      ///< SSM-VR: ½‖∇ₓE‖² in place of ½(vᵀ∇ₓE)²
  T difference_step = T(0);                             ///< h > 0 of the curvature difference; 0: ∛ε of T
};

/// @brief Sliced score matching over any ember::ParametricEnergy.
template <Scalar T>
class SlicedScoreMatching {
 public:
  using scalar_type = T;

  /// @pre projections ≥ 1, difference_step finite and ≥ 0.
  explicit SlicedScoreMatching(SsmSettings<T> settings = {}) : settings_(settings) {
    constexpr const char* fn = "ember::SlicedScoreMatching";
    detail::require_at_least_one(settings.projections, fn, "projections");
    detail::require_non_negative(settings.difference_step, fn, "difference_step",
                                 " (0 picks the cube root of epsilon)");
    step_ = settings.difference_step > T(0) ? settings.difference_step
                                             : std::cbrt(std::numeric_limits<T>::epsilon());
  }

  /// @brief One estimate: one draw per projection. `data` is not modified.
  template <class E, class G>
  EstimatorResult<T> estimate(const E& energy, BatchView<T> data, G& rng) {
    [[maybe_unused]] const auto hold = ember::hold_parameters(energy);  // read-only until we return
    static_assert(MixedGradientEnergy<E>, "ember::SlicedScoreMatching::estimate: the energy must model "
                                          "ember::MixedGradientEnergy: sliced score matching's loss contains ∇ₓE, so "
                                          "its gradient needs accumulate_mixed_gradient(x, v, g).");
    static_assert(HasScalarType<E, T>, "ember::SlicedScoreMatching::estimate: the "
                                       "energy's scalar_type must match the estimator's.");
    static_assert(Generator<G>, "ember::SlicedScoreMatching::estimate: the generator must model ember::Generator.");
    constexpr const char* fn = "ember::SlicedScoreMatching::estimate";
    detail::require_batch(data, static_cast<Index>(energy.dim()), fn, "data");
    const Index n = data.rows(), d = data.cols(), m = settings_.projections;
    const T h = step_;
    const T per_term = T(1) / static_cast<T>(n * m);  // every (point, projection) pair weighs 1/(NM)

    EstimatorResult<T> result;
    result.gradient = Vector<T>::Zero(energy.params().size());
    energy_.resize(n);
    gradient_.resize(n, d);
    energy.energy_and_gradient(data, energy_, gradient_);
    detail::check_numerics(energy_, fn, "the energy of the data");
    detail::check_numerics(gradient_, fn, "the x-gradient of the energy at the data");
    result.positive_energy = energy_.mean();
    result.negative_energy = result.positive_energy;
    if (settings_.variance_reduction) {  // ½ mean ‖g‖², θ-gradient: mixed product with weights g/N
      result.loss = T(0.5) * gradient_.squaredNorm() / static_cast<T>(n);
      weights_ = gradient_ / static_cast<T>(n);
      energy.accumulate_mixed_gradient(data, weights_, result.gradient);
    }

    projections_.resize(n * m, d);
    shifted_gradient_.resize(n, d);
    for (Index k = 0; k < m; ++k) {
      auto v = projections_.middleRows(k * n, n);
      draw_projection(v, rng);
      // The square term ½(vᵀg)², θ-gradient: mixed product with weights (vᵀg)v/(NM).
      directional_ = (gradient_.array() * v.array()).rowwise().sum();
      if (!settings_.variance_reduction) {
        result.loss += T(0.5) * per_term * directional_.squaredNorm();
        weights_ = v.array().colwise() * (per_term * directional_).array();
        energy.accumulate_mixed_gradient(data, weights_, result.gradient);
      }
      // The curvature −vᵀHv = −vᵀ(g(x + hv) − g(x − hv))/(2h), θ-gradient: the same difference of mixed products.
      for (const T sign : {T(1), T(-1)}) {
        shifted_ = data + (sign * h) * v;
        energy.energy_and_gradient(shifted_, energy_, shifted_gradient_);
        detail::check_numerics(shifted_gradient_, fn, "the x-gradient of the energy near the data (x ± hv)");
        result.loss -= sign * per_term / (T(2) * h) * (shifted_gradient_.array() * v.array()).sum();
        weights_ = (-sign * per_term / (T(2) * h)) * v;
        energy.accumulate_mixed_gradient(shifted_, weights_, result.gradient);
      }
    }
    return result;
  }

  [[nodiscard]] const SsmSettings<T>& settings() const { return settings_; }
  /// The difference step h in use.
  [[nodiscard]] T difference_step() const { return step_; }
  /// The projections of the last estimate, (N·M) × d: rows k·N … k·N + N − 1 hold projection k of every point.
  [[nodiscard]] const Batch<T>& projections() const { return projections_; }

 private:
  template <class V, class G>
  void draw_projection(V& v, G& rng) const {
    if (settings_.distribution == SlicedProjection::gaussian) {
      rng.draw().template normal<T>(v, 0);
    } else {
      rng.draw().template uniform<T>(v, 0);
      v = (v.array() < T(0.5)).select(Batch<T>::Constant(v.rows(), v.cols(), T(-1)),
                                      Batch<T>::Constant(v.rows(), v.cols(), T(1)));
    }
  }

  SsmSettings<T> settings_;
  T step_;
  Vector<T> energy_;
  Vector<T> directional_;
  Batch<T> gradient_;
  Batch<T> shifted_;
  Batch<T> shifted_gradient_;
  Batch<T> projections_;
  Batch<T> weights_;
};

}  // namespace ember
