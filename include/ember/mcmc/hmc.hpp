#pragma once
/// @file
/// @brief Hamiltonian Monte Carlo: L leapfrog steps of the dynamics of H(x, p) = E(x) + ½ pᵀM⁻¹p, then a
/// Metropolis–Hastings correction, per chain.
///
/// Momentum p ~ N(0, M) with an identity or diagonal mass matrix M. Leapfrog: p ← p − (ε/2)∇E(x);
/// L − 1 times {x ← x + ε M⁻¹p; p ← p − ε∇E(x)}; x ← x + ε M⁻¹p; p ← p − (ε/2)∇E(x). It is volume
/// preserving and reversible (negating p and integrating again returns to the start, tested to round-off),
/// so accepting with min(1, exp(H(x, p) − H(x', p'))) leaves exp(−E) invariant. Optional warm-up: the first
/// `adapt_steps` steps tune ε by dual averaging toward `target_acceptance` (0.65; mcmc/detail/dual_averaging.hpp).
/// The current energy and gradient are cached across the steps of one `run` call; `run(…, observer)` shows
/// every transition's states, energies and accept flags (mcmc/observer.hpp). With `workers` > 1 each leapfrog
/// step's energy and gradient run over row blocks on a thread pool; every other operation is per chain, so the
/// chains are bit-identical for any worker count.
/// Numerical failures: a non-finite current energy/gradient or a NaN Hamiltonian throws
/// ember::numerical_error; a trajectory whose Hamiltonian reaches +∞ is rejected and counted in `divergences()`.
///
/// @code
/// ember::Hmc<double> kernel({.step_size = 0.2, .leapfrog_steps = 10});
/// kernel.run(energy, x, rng, 1000);
/// @endcode

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/concepts.hpp"
#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/mcmc/acceptance.hpp"
#include "ember/mcmc/detail/acceptance.hpp"

namespace ember {

/// Settings of ember::Hmc (aggregate; designated initialisers welcome).
template <Scalar T>
struct HmcSettings {
  T step_size = T(0.1);           ///< ε > 0: the leapfrog step
  Index leapfrog_steps = 10;      ///< L ≥ 1: leapfrog steps per proposal
  Vector<T> mass = {};            ///< diagonal of M (all > 0), or empty for the identity
  T target_acceptance = T(0.65);  ///< δ ∈ (0, 1): the acceptance rate warm-up adapts toward
  Index adapt_steps = 0;          ///< ≥ 0: warm-up steps with dual-averaging adaptation of ε (0 = fixed)
  int workers = 1;                ///< ≥ 1: threads over blocks of chains for the energy and gradient (same bits for any count)
};

/// @brief HMC kernel; models ember::Kernel. The step size, statistics, `step`, `run`, and
/// `state()`/`set_state()` (what a checkpoint saves) come from the shared Metropolis–Hastings part
/// (mcmc/detail/acceptance.hpp); the statistics' public type is ember::AcceptanceStatistics (mcmc/acceptance.hpp)
/// and `run` takes an optional observer (mcmc/observer.hpp).
template <Scalar T>
class Hmc : public detail::MetropolisKernel<T, Hmc<T>> {
  using Base = detail::MetropolisKernel<T, Hmc<T>>;
  friend Base;

 public:
  using scalar_type = T;
  static constexpr const char* name = "ember::Hmc";

  /// @pre step_size > 0, leapfrog_steps ≥ 1, mass entries finite and > 0, target_acceptance ∈ (0, 1),
  /// adapt_steps ≥ 0, workers ≥ 1. @throws ember::invalid_argument.
  explicit Hmc(HmcSettings<T> settings = {})
      : Base(settings.step_size, settings.target_acceptance, settings.adapt_steps), settings_(std::move(settings)) {
    detail::require_at_least_one(settings_.leapfrog_steps, name, "leapfrog_steps");
    detail::require_at_least_one(settings_.workers, name, "workers");
    for (Index k = 0; k < settings_.mass.size(); ++k)
      detail::require_positive(settings_.mass(k), name, ("mass(" + std::to_string(k) + ")").c_str());
    if (settings_.mass.size() > 0) {
      inverse_mass_ = settings_.mass.cwiseInverse();
      sqrt_mass_ = settings_.mass.cwiseSqrt();
    }
  }

  [[nodiscard]] Index leapfrog_steps() const { return settings_.leapfrog_steps; }

  /// @brief Integrates `steps` leapfrog steps of size `step_size` from (x, p) in place (no MH, no randomness):
  /// the deterministic map the kernel proposes with. Exposed for tests (reversibility) and diagnostics.
  template <class E>
  void leapfrog(const E& energy, BatchRef<T> x, BatchRef<T> p, T step_size, Index steps) {
    check_energy<E>();
    constexpr const char* fn = "ember::Hmc::leapfrog";
    detail::require_positive(step_size, fn, "step_size");
    detail::require_at_least_one(steps, fn, "steps");
    detail::require_shape(p, x.rows(), x.cols(), fn, "p");
    this->begin(energy, x, fn);
    integrate(energy, x, p, this->work_.proposal_energy, this->work_.gradient, step_size, steps);
  }

 private:
  template <class E>
  static constexpr void check_energy() {
    static_assert(Energy<E>, "ember::Hmc::step: the energy type must model ember::Energy "
                             "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
    static_assert(HasScalarType<E, T>,
                  "ember::Hmc::step: the energy's scalar_type must match the kernel's scalar type.");
  }
  template <class E, class G>
  static constexpr void check_types() {
    check_energy<E>();
    static_assert(Generator<G>, "ember::Hmc::step: the generator must model ember::Generator "
                                "(for example ember::Philox).");
  }

  void check_dimension(Index d, const char* fn) const {
    detail::require(inverse_mass_.size() == 0 || inverse_mass_.size() == d, fn, "mass.size()", inverse_mass_.size(),
                    "must equal the dimension ", d, " (or be empty for the identity)");
  }

  // The energy and gradient of every row, over row blocks on the pool when settings_.workers > 1.
  template <class E>
  void evaluate(const E& energy, BatchView<T> points, Vector<T>& e, Batch<T>& g) {
    detail::evaluate_in_blocks<T>(energy, pool_.get(settings_.workers), settings_.workers, points, e, g);
  }

  // ½ pᵀM⁻¹p per row, times `sign`, added into `out`.
  template <class P>
  void add_kinetic(const P& p, Vector<T>& out, T sign) const {
    if (inverse_mass_.size() == 0) {
      out += sign * T(0.5) * p.rowwise().squaredNorm();
    } else {
      for (Index j = 0; j < p.cols(); ++j) out += sign * T(0.5) * inverse_mass_(j) * p.col(j).cwiseAbs2();
    }
  }

  // x ← x + ε M⁻¹ p
  template <class X, class P>
  void drift(X& x, const P& p, T eps) const {
    if (inverse_mass_.size() == 0) {
      x += eps * p;
    } else {
      for (Index j = 0; j < x.cols(); ++j) x.col(j) += (eps * inverse_mass_(j)) * p.col(j);
    }
  }

  // Leapfrog from (x, p) with gradient g at x; on exit x, p are the end point, e and g its energy and gradient.
  template <class E, class X, class P>
  void integrate(const E& energy, X& x, P& p, Vector<T>& e, Batch<T>& g, T eps, Index steps) {
    p -= (eps / T(2)) * g;
    for (Index l = 0; l < steps; ++l) {
      drift(x, p, eps);
      evaluate(energy, x, e, g);
      p -= (l + 1 < steps ? eps : eps / T(2)) * g;
    }
  }

  // Momentum p ~ N(0, M), L leapfrog steps from (x, p), and the log acceptance ratio H(x, p) − H(x', p').
  template <class E, class G>
  void propose(const E& energy, BatchRef<T> x, G& rng) {
    detail::MetropolisWorkspace<T>& w = this->work_;
    Batch<T>& momentum = w.scratch;
    rng.draw().template normal<T>(momentum, 0);
    if (sqrt_mass_.size() > 0)
      for (Index j = 0; j < momentum.cols(); ++j) momentum.col(j) *= sqrt_mass_(j);
    w.log_ratio = w.energy;  // H(x, p) = E(x) + K(p), accumulated as log_ratio = H₀ − H₁
    add_kinetic(momentum, w.log_ratio, T(1));
    w.proposal = x;
    w.proposal_gradient = w.gradient;
    integrate(energy, w.proposal, momentum, w.proposal_energy, w.proposal_gradient, this->step_size(),
              settings_.leapfrog_steps);
    w.log_ratio -= w.proposal_energy;
    add_kinetic(momentum, w.log_ratio, T(-1));
  }

  HmcSettings<T> settings_;
  Vector<T> inverse_mass_;
  Vector<T> sqrt_mass_;
  SharedPool pool_;
};

}  // namespace ember
