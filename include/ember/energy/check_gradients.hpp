#pragma once
/// @file
/// @brief ember::check_gradients: a user's hand-written gradients against central finite differences.
///
/// For an ember::Energy it checks ∇ₓE; for an ember::ParametricEnergy also ∇θ Σᵢ wᵢ E(xᵢ); for an
/// ember::MixedGradientEnergy also the mixed product ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩. The weights w and directions v
/// are standard normals from ember::Philox(seed). Each result is the worst error over all entries,
///     max |analytic − numeric| / (1 + max |numeric|),
/// relative for large gradients and absolute for small ones.
///
/// Central differences with step h = ∛ε·max(1, |u|) (u the perturbed coordinate or parameter) balance the
/// truncation error O(h²) against round-off O(ε/h): in double a correct gradient scores ~1e-9..1e-7, a wrong
/// one (a dropped term, a flipped sign, a transposed index) ~1e-2 or more. Check in double: in float the same
/// balance is only ~1e-4..1e-3. The mixed product is differenced along v, x ± h·v, from the parameter
/// gradient, so check that one first.
///
/// Cost: 2d + 1 `energy` calls for ∇ₓ (each row's energy must depend on its own point only, as every
/// ember::Energy's does), 2p + 1 for ∇θ (p = params().size()), 2 parameter gradients for the
/// mixed product, all on the N points of x; use a handful of points. The energy is copied to perturb θ.
///
/// @code
/// ember::MlpEnergy<double> energy({2, 16, 16}, /*seed=*/1);
/// ember::Batch<double> x(8, 2);  ember::Philox(3).normal(x);
/// const auto errors = ember::check_gradients(energy, x, /*seed=*/5);
/// assert(errors.x_gradient < 1e-6 && *errors.param_gradient < 1e-6 && *errors.mixed_gradient < 1e-6);
/// @endcode

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/simd/random.hpp"

namespace ember {

/// The worst finite-difference error of each quantity an energy offers (see the file comment for the measure).
struct GradientErrors {
  double energy_consistency = 0;          ///< energy() against the energy of energy_and_gradient()
  double x_gradient = 0;                  ///< ∇ₓE
  std::optional<double> param_gradient;   ///< ∇θ Σᵢ wᵢ E(xᵢ); empty unless a ParametricEnergy
  std::optional<double> mixed_gradient;   ///< ∇θ Σᵢ ⟨∇ₓE(xᵢ), vᵢ⟩; empty unless a MixedGradientEnergy
};

namespace detail {

template <class T>
T difference_step(T at) {
  return std::cbrt(std::numeric_limits<T>::epsilon()) * std::max(T(1), std::abs(at));
}

/// max |a − b| / (1 + max |b|).
template <class A, class B>
double worst_error(const A& analytic, const B& numeric) {
  const double scale = 1.0 + static_cast<double>(numeric.cwiseAbs().maxCoeff());
  return static_cast<double>((analytic - numeric).cwiseAbs().maxCoeff()) / scale;
}

/// Σᵢ wᵢ E(xᵢ) for the current parameters.
template <class E, class T = typename E::scalar_type>
T weighted_energy(const E& energy, BatchView<T> x, const Vector<T>& w, Vector<T>& e) {
  energy.energy(x, e);
  check_numerics(e, "ember::check_gradients", "the energy");
  return w.dot(e);
}

}  // namespace detail

/// @brief Checks an energy's analytic gradients against central finite differences (see the file comment).
/// @param energy an ember::Energy; parameter gradients are checked when it is a ParametricEnergy (it must then
///               be copyable) and the mixed product when it is a MixedGradientEnergy
/// @param x      the points, N × dim() (a few rows suffice), finite; not modified
/// @param seed   the seed of the random weights w and directions v
/// @return the worst error of each quantity
/// @throws ember::invalid_argument if x is empty, has the wrong width or is not finite;
///         ember::numerical_error if an energy or gradient is NaN/Inf at or near x
template <class E>
GradientErrors check_gradients(const E& energy, BatchView<typename E::scalar_type> x, std::uint64_t seed) {
  static_assert(Energy<E>, "ember::check_gradients: the energy must model ember::Energy (scalar_type, dim(), "
                           "energy(x, e), energy_and_gradient(x, e, g)).");
  using T = typename E::scalar_type;
  constexpr const char* fn = "ember::check_gradients";
  detail::require_batch(x, energy.dim(), fn, "x");
  const Index n = x.rows(), d = x.cols();
  GradientErrors errors;

  // ∇ₓ: one central difference per coordinate j, for every point at once (row i's energy depends on xᵢ only).
  Vector<T> e(n), e_only(n), e_plus(n), e_minus(n);
  Batch<T> g(n, d), numeric(n, d);
  energy.energy_and_gradient(x, e, g);
  energy.energy(x, e_only);
  detail::check_numerics(e, fn, "the energy");
  detail::check_numerics(g, fn, "the x-gradient");
  errors.energy_consistency = detail::worst_error(e_only, e);
  Batch<T> x_plus = x, x_minus = x;
  for (Index j = 0; j < d; ++j) {
    for (Index i = 0; i < n; ++i) {
      const T h = detail::difference_step(x(i, j));
      x_plus(i, j) = x(i, j) + h;
      x_minus(i, j) = x(i, j) - h;
    }
    energy.energy(x_plus, e_plus);
    energy.energy(x_minus, e_minus);
    // Divide by the step actually taken (x ± h rounds), not by 2h.
    numeric.col(j) = (e_plus - e_minus).cwiseQuotient(x_plus.col(j) - x_minus.col(j));
    x_plus.col(j) = x.col(j);
    x_minus.col(j) = x.col(j);
  }
  detail::check_numerics(numeric, fn, "the energy near x");
  errors.x_gradient = detail::worst_error(g, numeric);

  if constexpr (ParametricEnergy<E>) {
    Philox rng(seed);
    Batch<T> w_column(n, 1);
    rng.normal(w_column);
    const Vector<T> w = w_column.col(0);
    E perturbed = energy;
    Vector<T>& theta = perturbed.params();
    const Index p = theta.size();
    Vector<T> pg = Vector<T>::Zero(p), pg_numeric(p);
    energy.accumulate_param_gradient(x, w, pg);
    detail::check_numerics(pg, fn, "the parameter gradient");
    for (Index k = 0; k < p; ++k) {
      const T saved = theta(k), h = detail::difference_step(saved);
      theta(k) = saved + h;
      const T plus = detail::weighted_energy(perturbed, x, w, e);
      theta(k) = saved - h;
      const T minus = detail::weighted_energy(perturbed, x, w, e);
      theta(k) = saved;
      pg_numeric(k) = (plus - minus) / (T(2) * h);
    }
    errors.param_gradient = p == 0 ? 0.0 : detail::worst_error(pg, pg_numeric);

    if constexpr (MixedGradientEnergy<E>) {
      // ∇θ Σ ⟨∇ₓE(xᵢ), vᵢ⟩ = d/dε ∇θ Σ E(xᵢ + ε vᵢ): the parameter gradient differenced along v.
      Batch<T> v(n, d);
      rng.normal(v);
      Vector<T> mixed = Vector<T>::Zero(p), plus = Vector<T>::Zero(p), minus = Vector<T>::Zero(p);
      energy.accumulate_mixed_gradient(x, v, mixed);
      detail::check_numerics(mixed, fn, "the mixed product");
      const T h = detail::difference_step(x.cwiseAbs().maxCoeff()) / std::max(T(1), v.cwiseAbs().maxCoeff());
      const Vector<T> ones = Vector<T>::Ones(n);
      x_plus = x + h * v;
      x_minus = x - h * v;
      energy.accumulate_param_gradient(x_plus, ones, plus);
      energy.accumulate_param_gradient(x_minus, ones, minus);
      const Vector<T> mixed_numeric = (plus - minus) / (T(2) * h);
      detail::check_numerics(mixed_numeric, fn, "the parameter gradient near x");
      errors.mixed_gradient = p == 0 ? 0.0 : detail::worst_error(mixed, mixed_numeric);
    }
  }
  return errors;
}

}  // namespace ember
