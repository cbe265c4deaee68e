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
/// The current energy and gradient are cached across the steps of one `run` call.
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
#include "ember/mcmc/detail/acceptance.hpp"
#include "ember/mcmc/detail/dual_averaging.hpp"

namespace ember {

/// Settings of ember::Hmc (aggregate; designated initialisers welcome).
template <Scalar T>
struct HmcSettings {
  T step_size = T(0.1);           ///< ε > 0: the leapfrog step
  Index leapfrog_steps = 10;      ///< L ≥ 1: leapfrog steps per proposal
  Vector<T> mass = {};            ///< diagonal of M (all > 0), or empty for the identity
  T target_acceptance = T(0.65);  ///< δ ∈ (0, 1): the acceptance rate warm-up adapts toward
  Index adapt_steps = 0;          ///< ≥ 0: warm-up steps with dual-averaging adaptation of ε (0 = fixed)
};

/// @brief HMC kernel; models ember::Kernel.
template <Scalar T>
class Hmc {
 public:
  using scalar_type = T;

  /// @pre step_size > 0, leapfrog_steps ≥ 1, mass entries finite and > 0, target_acceptance ∈ (0, 1),
  /// adapt_steps ≥ 0. @throws ember::invalid_argument.
  explicit Hmc(HmcSettings<T> settings = {}) : settings_(std::move(settings)), step_size_(settings_.step_size) {
    constexpr const char* fn = "ember::Hmc";
    detail::require_positive(settings_.step_size, fn, "step_size");
    detail::require(settings_.leapfrog_steps >= 1, fn, "leapfrog_steps", settings_.leapfrog_steps, "must be >= 1");
    for (Index k = 0; k < settings_.mass.size(); ++k)
      detail::require_positive(settings_.mass(k), fn, ("mass(" + std::to_string(k) + ")").c_str());
    detail::require(settings_.target_acceptance > T(0) && settings_.target_acceptance < T(1), fn,
                    "target_acceptance", settings_.target_acceptance, "must lie in (0, 1)");
    detail::require(settings_.adapt_steps >= 0, fn, "adapt_steps", settings_.adapt_steps, "must be >= 0");
    if (settings_.mass.size() > 0) {
      inverse_mass_ = settings_.mass.cwiseInverse();
      sqrt_mass_ = settings_.mass.cwiseSqrt();
    }
    adaptation_.restart(step_size_, settings_.target_acceptance);
  }

  [[nodiscard]] T step_size() const { return step_size_; }
  [[nodiscard]] Index leapfrog_steps() const { return settings_.leapfrog_steps; }
  [[nodiscard]] Index steps_taken() const { return steps_taken_; }
  [[nodiscard]] bool adapting() const { return steps_taken_ < settings_.adapt_steps; }
  [[nodiscard]] const Eigen::Matrix<Index, Eigen::Dynamic, 1>& accepted() const { return counters_.accepted(); }
  [[nodiscard]] Index proposed() const { return counters_.proposed(); }
  [[nodiscard]] Vector<T> acceptance_rate() const { return counters_.rates(); }
  /// Per-chain counts of rejected trajectories whose Hamiltonian reached +∞.
  [[nodiscard]] const Eigen::Matrix<Index, Eigen::Dynamic, 1>& divergences() const { return counters_.divergent(); }
  [[nodiscard]] T last_mean_acceptance() const { return last_mean_acceptance_; }
  void reset_statistics() { counters_.reset(); }

  /// @brief One HMC transition of every chain (row of x), in place.
  template <class E, class G>
  void step(const E& energy, BatchRef<T> x, G& rng) {
    check_types<E, G>();
    begin(energy, x, "ember::Hmc::step");
    transition(energy, x, rng);
  }

  /// @brief `steps` transitions; the current energy and gradient are computed once.
  template <class E, class G>
  void run(const E& energy, BatchRef<T> x, G& rng, Index steps) {
    check_types<E, G>();
    detail::require(steps >= 0, "ember::Hmc::run", "steps", steps, "must be >= 0");
    if (steps == 0) return;
    begin(energy, x, "ember::Hmc::run");
    for (Index s = 0; s < steps; ++s) transition(energy, x, rng);
  }

  /// @brief Integrates `steps` leapfrog steps of size `step_size` from (x, p) in place (no MH, no randomness):
  /// the deterministic map the kernel proposes with. Exposed for tests (reversibility) and diagnostics.
  template <class E>
  void leapfrog(const E& energy, BatchRef<T> x, BatchRef<T> p, T step_size, Index steps) {
    check_energy<E>();
    constexpr const char* fn = "ember::Hmc::leapfrog";
    detail::require_positive(step_size, fn, "step_size");
    detail::require(steps >= 1, fn, "steps", steps, "must be >= 1");
    detail::require_shape(p, x.rows(), x.cols(), fn, "p");
    begin(energy, x, fn);
    integrate(energy, x, p, proposal_energy_, gradient_, step_size, steps);
  }

 private:
  template <class E>
  static constexpr void check_energy() {
    static_assert(Energy<E>, "ember::Hmc::step: the energy type must model ember::Energy "
                             "(scalar_type, dim(), energy(x, e), energy_and_gradient(x, e, g)).");
    static_assert(std::is_same_v<typename E::scalar_type, T>,
                  "ember::Hmc::step: the energy's scalar_type must match the kernel's scalar type.");
  }
  template <class E, class G>
  static constexpr void check_types() {
    check_energy<E>();
    static_assert(Generator<G>, "ember::Hmc::step: the generator must model ember::Generator "
                                "(for example ember::Philox).");
  }

  template <class E>
  void begin(const E& energy, BatchRef<T> x, const char* fn) {
    const Index n = x.rows(), d = x.cols();
    detail::require(n > 0, fn, "x", detail::shape_of(n, d), "the batch is empty");
    detail::require(d == static_cast<Index>(energy.dim()), fn, "x", detail::shape_of(n, d),
                    "expected ", energy.dim(), " columns (the energy's dimension)");
    detail::require(inverse_mass_.size() == 0 || inverse_mass_.size() == d, fn, "mass.size()", inverse_mass_.size(),
                    "must equal the dimension ", d, " (or be empty for the identity)");
    if (energy_.size() != n || gradient_.cols() != d) {
      energy_.resize(n);
      gradient_.resize(n, d);
      proposal_.resize(n, d);
      proposal_energy_.resize(n);
      proposal_gradient_.resize(n, d);
      momentum_.resize(n, d);
      uniform_.resize(n, 1);
      log_ratio_.resize(n);
      accept_.resize(n);
      probability_.resize(n);
    }
    counters_.ensure(n);
    energy.energy_and_gradient(x, energy_, gradient_);
    detail::check_numerics(energy_, fn, "the energy at the current states");
    detail::check_numerics(gradient_, fn, "the gradient of the energy at the current states");
  }

  // ½ pᵀM⁻¹p per row, written into `out` (out = −kinetic when `negate`).
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
      energy.energy_and_gradient(x, e, g);
      p -= (l + 1 < steps ? eps : eps / T(2)) * g;
    }
  }

  template <class E, class G>
  void transition(const E& energy, BatchRef<T> x, G& rng) {
    rng.draw().template normal<T>(momentum_, 0);
    if (sqrt_mass_.size() > 0)
      for (Index j = 0; j < momentum_.cols(); ++j) momentum_.col(j) *= sqrt_mass_(j);
    log_ratio_ = energy_;  // H(x, p) = E(x) + K(p), accumulated as log_ratio = H₀ − H₁
    add_kinetic(momentum_, log_ratio_, T(1));
    proposal_ = x;
    proposal_gradient_ = gradient_;
    integrate(energy, proposal_, momentum_, proposal_energy_, proposal_gradient_, step_size_, settings_.leapfrog_steps);
    log_ratio_ -= proposal_energy_;
    add_kinetic(momentum_, log_ratio_, T(-1));
    rng.draw().template uniform<T>(uniform_, 0);
    counters_.decide(log_ratio_, uniform_, accept_, probability_, "ember::Hmc::step");
    detail::copy_accepted_rows(x, proposal_, accept_);
    detail::copy_accepted_rows(gradient_, proposal_gradient_, accept_);
    energy_ = (accept_.array() > T(0)).select(proposal_energy_, energy_);
    last_mean_acceptance_ = probability_.mean();
    if (adapting()) {
      step_size_ = adaptation_.update(last_mean_acceptance_);
      if (steps_taken_ + 1 == settings_.adapt_steps) step_size_ = adaptation_.averaged_step();
    }
    ++steps_taken_;
  }

  HmcSettings<T> settings_;
  T step_size_;
  Vector<T> inverse_mass_;
  Vector<T> sqrt_mass_;
  Index steps_taken_ = 0;
  T last_mean_acceptance_ = T(0);
  detail::DualAveraging<T> adaptation_;
  detail::AcceptanceCounters<T> counters_;
  Vector<T> energy_;
  Batch<T> gradient_;
  Batch<T> proposal_;
  Vector<T> proposal_energy_;
  Batch<T> proposal_gradient_;
  Batch<T> momentum_;
  Batch<T> uniform_;
  Vector<T> log_ratio_;
  Vector<T> accept_;
  Vector<T> probability_;
};

}  // namespace ember
